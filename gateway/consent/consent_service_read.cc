// The read side of the Consent endpoint (consent_service.h): GET by id,
// search by patient, and the ledger state of a Consent's current version.
#include "gateway/consent/consent_service.h"
#include "gateway/consent/consent_service_util.h"

namespace gw::consent {

using fhir::JsonValue;
using rest::ApiResult;
using rest::error_result;

JsonValue ConsentService::ledger_state(const std::optional<ConsentRow>& row) {
  JsonValue state = items_state(row);
  // In ConsentRegistry a deny wins over the consortium's emergency policy: say
  // so, since the patient may not expect it of "deny everyone".
  if (row && row->plan.in_force()) {
    const uint32_t etreat = ledger::consortium::purpose_bit(Purpose::kEtreat);
    for (const PlannedDeny& d : row->plan.denies) {
      if ((d.purpose_mask & etreat) == 0) continue;
      add_note(&state,
               "this Consent's deny also blocks emergency access (ETREAT) for the members "
               "it names");
      break;
    }
  }
  return state;
}

JsonValue ConsentService::items_state(const std::optional<ConsentRow>& row) {
  if (!row) {
    return make_ledger_state("refused", "", "this gateway holds no ledger record of the Consent");
  }
  if (row->item_seqs.empty()) return make_ledger_state("recorded", "", "nothing to record");
  if (options_.outbox == nullptr) {
    return make_ledger_state("pending", "", "the ledger is not enabled on this gateway");
  }
  std::string last_tx;
  uint64_t last_block = 0;
  bool pending = false;
  for (int64_t seq : row->item_seqs) {
    auto item = options_.outbox->item(seq);
    if (!item.ok()) return make_ledger_state("pending", "", "the ledger outbox cannot be read");
    if (!item->has_value()) {
      // Pruned after its retention: it was final and done (refusals are kept
      // no longer, but the state read before pruning said so).
      continue;
    }
    const ledger::OutboxItem& it = **item;
    if (it.state == ledger::ItemState::kRefused || it.state == ledger::ItemState::kFailed) {
      // The revert's name only: its arguments may hold the patient token.
      const std::string reason = it.outcome.substr(0, it.outcome.find('('));
      return make_ledger_state(
          "refused", it.tx_hash ? ledger::to_hex_0x(*it.tx_hash) : std::string(),
          reason.empty() ? std::string(ledger::item_state_name(it.state)) : reason);
    }
    if (it.state != ledger::ItemState::kDone) {
      pending = true;
      continue;
    }
    if (it.tx_hash && it.block_number.value_or(0) >= last_block) {
      last_block = it.block_number.value_or(0);
      last_tx = ledger::to_hex_0x(*it.tx_hash);
    }
  }
  if (pending) return make_ledger_state("pending", "", "");
  // Final on the ledger, but transfers are decided from the consortium view,
  // which follows the chain a poll behind: "recorded" once the view has it.
  if (options_.lookups.applied_block && options_.lookups.applied_block() < last_block) {
    return make_ledger_state("pending", last_tx,
                             "final on the ledger; not yet applied by this gateway's consent view");
  }
  return make_ledger_state("recorded", last_tx, "");
}

std::optional<JsonValue> ConsentService::served(const store::StoredRecord& record,
                                                const std::optional<ConsentRow>& row) {
  std::optional<JsonValue> resource = rest::record_resource(record);
  if (!resource) return std::nullopt;
  add_ledger_state(&*resource, ledger_state(row));
  return resource;
}

ApiResult ConsentService::read(const std::string& id) {
  std::optional<store::StoredRecord> rec = options_.records->read_record("Consent", id);
  if (!rec) return error_result(404, "not-found", "resource not found");
  auto row = options_.consents->get(id);
  if (!row.ok()) return error_result(500, "exception", "the consent store cannot be read");
  std::optional<JsonValue> body = served(*rec, *row);
  if (!body) return error_result(500, "exception", "stored resource is unreadable");
  ApiResult r;
  r.headers.emplace_back("ETag", rest::weak_etag(rec->version));
  r.headers.emplace_back("Last-Modified", rest::http_date(rec->updated_at_ms));
  r.headers.emplace_back("Content-Location", options_.base_url + "/Consent/" + id + "/_history/" +
                                                 std::to_string(rec->version));
  r.body = std::move(*body);
  return r;
}

ApiResult ConsentService::search(const rest::QueryParams& params) {
  std::optional<std::string> patient;
  for (const auto& [name, value] : params) {
    if (name == "_format") continue;
    if (name != "patient" || patient) {
      return error_result(400, "not-supported",
                          "Consent search takes exactly one parameter: patient=Patient/{id}");
    }
    patient = value;
  }
  if (!patient) {
    return error_result(400, "not-supported",
                        "Consent search takes exactly one parameter: patient=Patient/{id}");
  }
  std::string_view id = *patient;
  if (id.starts_with("Patient/")) id.remove_prefix(8);
  if (!rest::is_valid_id(id)) {
    return error_result(400, "invalid", "patient must be Patient/{id} or {id}");
  }
  auto rows = options_.consents->by_patient(std::string(id), kMaxConsentsPerPatient);
  if (!rows.ok()) return error_result(500, "exception", "the consent store cannot be read");
  JsonValue bundle = JsonValue::make_object();
  bundle.add("resourceType", JsonValue::make_string("Bundle"));
  bundle.add("type", JsonValue::make_string("searchset"));
  JsonValue entries = JsonValue::make_array();
  size_t total = 0;
  for (const ConsentRow& row : *rows) {
    std::optional<store::StoredRecord> rec = options_.records->read_record("Consent", row.id);
    if (!rec) continue;
    std::optional<JsonValue> resource = served(*rec, row);
    if (!resource) continue;
    JsonValue entry = JsonValue::make_object();
    entry.add("fullUrl", JsonValue::make_string(options_.base_url + "/Consent/" + row.id));
    entry.add("resource", std::move(*resource));
    JsonValue search = JsonValue::make_object();
    search.add("mode", JsonValue::make_string("match"));
    entry.add("search", std::move(search));
    entries.push(std::move(entry));
    ++total;
  }
  bundle.add("total", JsonValue::make_number(std::to_string(total)));
  if (total > 0) bundle.add("entry", std::move(entries));
  ApiResult r;
  r.body = std::move(bundle);
  return r;
}

}  // namespace gw::consent
