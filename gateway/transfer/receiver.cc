#include "gateway/transfer/receiver.h"

#include <chrono>
#include <set>

#include "fhir/json/canonical.h"
#include "fhir/json/json.h"
#include "fhir/json/write.h"
#include "fhir/validate/validator.h"
#include "gateway/base/clock.h"
#include "gateway/crypto/sha256.h"
#include "gateway/log/log.h"
#include "gateway/pipeline/tokenize.h"
#include "gateway/rest/fhir_rest_util.h"
#include "gateway/transfer/transfer_audit.h"
#include "ledger-client/consortium/consent_registry.h"
#include "ledger-client/consortium/transfer_log.h"

namespace gw::transfer {
namespace {

namespace cs = ledger::consortium;
using fhir::JsonValue;

JsonValue str(std::string s) { return JsonValue::make_string(std::move(s)); }

JsonValue coding(std::string system, std::string code) {
  JsonValue c = JsonValue::make_object();
  c.add("system", str(std::move(system)));
  c.add("code", str(std::move(code)));
  return c;
}

JsonValue concept_of(JsonValue c) {
  JsonValue cc = JsonValue::make_object();
  cc.add("coding", JsonValue::make_array()).push(std::move(c));
  return cc;
}

JsonValue identifier_entity(std::string system, std::string value) {
  JsonValue e = JsonValue::make_object();
  e.add("role", str("source"));
  JsonValue& what = e.add("what", JsonValue::make_object());
  JsonValue& id = what.add("identifier", JsonValue::make_object());
  id.add("system", str(std::move(system)));
  id.add("value", str(std::move(value)));
  return e;
}

// The Provenance stored with a received transfer: who sent it, under which
// ledger entry, for what purpose.
store::RecordWrite provenance(const Payload& p, const cs::MemberInfo& sender,
                              const std::string& tx_hash, bool emergency, int64_t now) {
  const std::string transfer =
      ledger::to_hex_0x(p.transfer.from) + "/" + std::to_string(p.transfer.id);
  const std::string id = crypto::to_hex(crypto::sha256("gw-transfer|" + transfer));
  JsonValue r = JsonValue::make_object();
  r.add("resourceType", str("Provenance"));
  r.add("id", str(id));
  if (emergency) {
    JsonValue& meta = r.add("meta", JsonValue::make_object());
    meta.add("security", JsonValue::make_array())
        .push(coding("http://terminology.hl7.org/CodeSystem/v3-ActCode", "BTG"));
  }
  JsonValue& targets = r.add("target", JsonValue::make_array());
  for (const PayloadRecord& rec : p.records) {
    JsonValue t = JsonValue::make_object();
    t.add("reference", str(rec.resource_type + "/" + rec.resource_id));
    targets.push(std::move(t));
  }
  r.add("recorded", str(rest::format_instant(now)));
  JsonValue& reasons = r.add("reason", JsonValue::make_array());
  if (auto purpose = cs::purpose_from_byte(p.transfer.purpose)) {
    reasons.push(concept_of(coding("http://terminology.hl7.org/CodeSystem/v3-ActReason",
                                   std::string(cs::purpose_code(*purpose)))));
  }
  if (!p.emergency_reason.empty()) {
    JsonValue why = JsonValue::make_object();
    why.add("text", str(p.emergency_reason));
    reasons.push(std::move(why));
  }
  if (reasons.items().empty()) r.remove("reason");
  r.add("activity",
        concept_of(coding("http://terminology.hl7.org/CodeSystem/v3-DataOperation", "CREATE")));
  JsonValue agent = JsonValue::make_object();
  agent.add("type",
            concept_of(coding("http://terminology.hl7.org/CodeSystem/provenance-participant-type",
                              "author")));
  JsonValue& who = agent.add("who", JsonValue::make_object());
  JsonValue& org = who.add("identifier", JsonValue::make_object());
  if (sender.org_id.find(':') != std::string::npos) org.add("system", str("urn:ietf:rfc:3986"));
  org.add("value", str(sender.org_id));
  who.add("display", str(sender.name));
  r.add("agent", JsonValue::make_array()).push(std::move(agent));
  JsonValue& entities = r.add("entity", JsonValue::make_array());
  entities.push(identifier_entity("urn:gateway:consortium:transfer", transfer));
  entities.push(identifier_entity("urn:gateway:consortium:transaction", tx_hash));
  store::RecordWrite w;
  w.resource_type = "Provenance";
  w.resource_id = id;
  w.resource_json = fhir::canonicalize(r).value();
  return w;
}

// (system, value) identifiers of a resource, for search.
std::vector<std::pair<std::string, std::string>> identifiers_of(const JsonValue& resource) {
  std::vector<std::pair<std::string, std::string>> out;
  const JsonValue* ids = resource.find("identifier");
  if (ids == nullptr) return out;
  auto one = [&](const JsonValue& id) {
    const JsonValue* value = id.find("value");
    if (value == nullptr || !value->is_string() || value->text().empty()) return;
    const JsonValue* system = id.find("system");
    out.emplace_back(system != nullptr && system->is_string() ? system->text() : "", value->text());
  };
  if (ids->is_array()) {
    for (const JsonValue& id : ids->items()) one(id);
  } else if (ids->is_object()) {
    one(*ids);
  }
  return out;
}

struct Refusal {
  int status;
  std::string code, reason;
};

}  // namespace

std::string peer_sender_key(const Address& member) { return "member:" + ledger::to_hex_0x(member); }

peering::PeerResponse TransferReceiver::handle_delivery(const peering::PeerRequest& request) {
  const auto started = std::chrono::steady_clock::now();
  const int64_t now = ctx_.options.now_ms ? ctx_.options.now_ms() : now_ms();
  // Every refusal is one transfer-refused entry of the calling member, durable
  // before the answer; what is known of the transfer (from the ledger, once
  // its event is final) goes in as it is learnt.
  TransferAuditFacts facts;
  facts.actor = member_actor(request.peer);
  auto refused_entry = [&](int status,
                           const std::string& code) -> std::optional<peering::PeerResponse> {
    const audit::AuditEntry e =
        transfer_entry(audit::Action::kTransferRefused, facts,
                       audit::Outcome{audit::OutcomeKind::kRefused, status, code}, "", now);
    if (Status s = append_audit(ctx_.audit.get(), {&e, 1}); !s.ok()) {
      log::warn("transfer.audit_failed", {{"transfer", facts.transfer}, {"error", s.message()}});
      return peering::peer_error(503, "AUDIT_UNAVAILABLE",
                                 "the audit trail cannot take the entry now");
    }
    return std::nullopt;
  };
  auto answer_refused = [&](int status, std::string_view code, std::string_view reason) {
    if (auto failed = refused_entry(status, std::string(code))) return *failed;
    return peering::peer_error(status, code, reason);
  };
  auto envelope = read_envelope(request.body, ctx_.options.limits);
  if (!envelope.ok()) {
    const bool large = envelope.error().code() == StatusCode::kResourceExhausted;
    return answer_refused(large ? 413 : 400, large ? "TOO_LARGE" : "MALFORMED",
                          envelope.error().message());
  }
  const TransferRef& ref = envelope->transfer;
  const std::string transfer_text = ledger::to_hex_0x(ref.from) + "/" + std::to_string(ref.id);
  facts.transfer = transfer_text;
  if (ref.from != request.peer) {
    return answer_refused(403, "SENDER_MISMATCH",
                          "the envelope names another sender than the calling member");
  }
  if (ref.to != ctx_.self) {
    return answer_refused(403, "NOT_ADDRESSED_HERE", "the transfer is addressed to another member");
  }
  auto seen = ctx_.transfers->incoming(ref.from, ref.id);
  if (!seen.ok()) return peering::peer_error(503, "BUSY", "the transfer store is unavailable");
  if (seen->has_value()) {
    const IncomingTransfer& t = **seen;
    if (t.state == IncomingState::kStored) {
      return {200, R"({"status":"stored","already":true,"records":)" +
                       std::to_string(t.record_count) + "}"};
    }
    // What the ledger named, if the first refusal came after its event.
    if (t.patient_token != Hash256{}) {
      facts.patient = t.patient_token;
      facts.purpose = t.purpose;
      facts.purpose_known = true;
    }
    return answer_refused(422, "REFUSED", "this transfer was refused before: " + t.detail);
  }

  IncomingTransfer in;
  in.sender = ref.from;
  in.transfer_id = ref.id;
  in.received_ms = now;
  // A refusal for good: recorded, logged on both sides, nothing stored.
  auto refuse = [&](int status, std::string code, std::string reason) {
    // Not recorded as refused unless its entry is durable: a retry after
    // 503 is refused (and audited) again.
    if (auto failed = refused_entry(status, code)) return *failed;
    in.state = IncomingState::kRefused;
    in.detail = code + ": " + reason;
    (void)ctx_.transfers->record_incoming(in);
    log::warn("transfer.received_refused",
              {{"transfer", transfer_text}, {"code", code}, {"reason", reason}});
    return peering::peer_error(status, code, reason);
  };

  auto sender = ctx_.view->member(ref.from);
  if (!sender || !ctx_.view->is_active(ref.from)) {
    return refuse(403, "SENDER_NOT_ACTIVE", "the sender is not an active member");
  }
  auto recorded = ctx_.view->wait_for_recorded_transfer(
      ref.from, ledger::Uint256::from_u64(ref.id),
      std::chrono::steady_clock::now() + ctx_.options.recorded_wait);
  if (!recorded.ok()) {
    // Not final here yet (or never recorded): the sender comes back later.
    return peering::peer_error(503, "NOT_RECORDED",
                               "the transfer is not final on the ledger as seen here yet");
  }
  const consortium::TransferEntry& event = *recorded;
  in.tx_hash = ledger::to_hex_0x(event.tx_hash);
  in.patient_token = event.patient_token;
  in.purpose = event.purpose;
  in.emergency = (event.flags & cs::kFlagEmergency) != 0;
  // From here the ledger names the patient (by token) and the purpose.
  facts.patient = event.patient_token;
  facts.purpose = event.purpose;
  facts.purpose_known = true;

  // Until the envelope opens as sealed by the sender's registered key, nothing
  // proves the sender sealed it (a stolen certificate is enough to call), so
  // those answers are not held against the transfer id: only what the
  // sender's own key authenticated is refused for good.
  auto reject = [&](int status, std::string code, std::string reason) {
    log::warn("transfer.received_rejected",
              {{"transfer", transfer_text}, {"code", code}, {"reason", reason}});
    return answer_refused(status, code, reason);
  };
  const keys::PayloadKey* mine = ctx_.payload_keys->find(envelope->recipient_key);
  if (mine == nullptr) {
    return reject(422, "WRONG_KEY", "sealed to a payload key this gateway does not hold");
  }
  // The two members' views of the registry follow the same chain but not in
  // step: around a rekey of the sender, one of them may hold the new key
  // while the other does not yet. So a sender key other than the registered
  // one lets this view catch up, then asks the sender to come back (it
  // reseals with the key its own view registers): 409, not a refusal.
  if (envelope->sender_key != sender->info.encryption_key) {
    (void)ctx_.view->refresh(std::chrono::steady_clock::now() + ctx_.options.refusal_refresh);
    sender = ctx_.view->member(ref.from);
    if (!sender) return reject(403, "SENDER_NOT_ACTIVE", "the sender is not an active member");
    if (envelope->sender_key != sender->info.encryption_key) {
      return reject(409, "SENDER_KEY_MISMATCH",
                    "sealed with a payload key that is not the sender's registered one as seen "
                    "here (a rekey not yet final on one side, or not the sender's key)");
    }
  }
  auto payload =
      open(*envelope, mine->private_key, sender->info.encryption_key, ctx_.options.limits);
  if (!payload.ok()) return reject(422, "UNREADABLE", payload.error().message());
  const Payload& p = *payload;
  if (event.to != ctx_.self || event.patient_token != p.transfer.patient_token ||
      event.purpose != p.transfer.purpose) {
    return refuse(422, "LEDGER_MISMATCH",
                  "recipient, patient token or purpose differ from the ledger entry");
  }
  if ((event.flags & cs::kFlagBatchRoot) == 0 || event.commitment != p.root) {
    return refuse(422, "ROOT_MISMATCH", "the payload's root is not the commitment on the ledger");
  }
  if (Status s = verify_commitments(p); !s.ok()) {
    return refuse(422, "COMMITMENT_MISMATCH", s.message());
  }

  store::InboundMessage message;
  message.channel = kPeerChannel;
  message.sender = peer_sender_key(ref.from);
  message.control_id = std::to_string(ref.id);
  message.message_type = kTransferMessageType;
  message.peer = ledger::to_hex_0x(ref.from);
  message.received_at_ms = now;
  std::set<std::pair<std::string, std::string>> ids;
  for (size_t i = 0; i < p.records.size(); ++i) {
    const PayloadRecord& r = p.records[i];
    const std::string where = "record " + std::to_string(i);
    auto parsed = fhir::parse_json(r.resource_json);
    if (!parsed.ok()) return refuse(422, "INVALID_RESOURCE", where + " is not JSON");
    const JsonValue& resource = parsed.value();
    const JsonValue* type = resource.find("resourceType");
    const JsonValue* id = resource.find("id");
    if (type == nullptr || !type->is_string() || type->text() != r.resource_type ||
        (id != nullptr && (!id->is_string() || id->text() != r.resource_id))) {
      return refuse(422, "INVALID_RESOURCE", where + " is not the resource it is listed as");
    }
    if (!ids.emplace(r.resource_type, r.resource_id).second) {
      return refuse(422, "INVALID_RESOURCE", where + " repeats a resource");
    }
    const fhir::ValidationResult v = fhir::validate_resource(resource);
    if (!v.ok()) {
      std::string first;
      for (const fhir::ValidationIssue& issue : v.issues) {
        if (issue.severity == fhir::IssueSeverity::kError ||
            issue.severity == fhir::IssueSeverity::kFatal) {
          first = issue.path + ": " + issue.message;
          break;
        }
      }
      return refuse(422, "INVALID_RESOURCE", where + " is not valid FHIR R4 (" + first + ")");
    }
    // Never over a record that came from elsewhere: only the same sender may
    // update what it sent before.
    if (auto existing = ctx_.store->read_record(r.resource_type, r.resource_id)) {
      const auto owner = ctx_.store->list(existing->message_id - 1, 1);
      if (owner.empty() || owner.front().id != existing->message_id ||
          owner.front().channel != kPeerChannel || owner.front().sender != message.sender) {
        return refuse(409, "ID_CONFLICT",
                      where + " has the id of a record this gateway holds from another source");
      }
    }
    store::RecordWrite w;
    w.resource_type = r.resource_type;
    w.resource_id = r.resource_id;
    w.resource_json = r.resource_json;
    w.identifiers = identifiers_of(resource);
    message.records.push_back(std::move(w));
  }
  message.records.push_back(provenance(p, sender->info, in.tx_hash, in.emergency, now));
  pipeline::tokenize(ctx_.store->keys(), &message.records);
  in.record_count = static_cast<int64_t>(p.records.size());
  in.state = IncomingState::kStored;
  const std::string answer =
      R"({"status":"stored","records":)" + std::to_string(in.record_count) + "}";
  message.ack = answer;
  message.raw = request.body;  // the sealed envelope, as received
  if (auto req = ctx_.transfers->request_for_transfer(ref.from, ref.id); req.ok() && *req) {
    in.request_id = (*req)->id;
  }
  const store::CommitResult committed = ctx_.store->submit_sync(std::move(message));
  if (committed.kind == store::CommitResult::Kind::kDuplicate) {
    // Stored by an earlier delivery whose answer was lost before it was recorded here.
  } else if (committed.kind != store::CommitResult::Kind::kStored) {
    return peering::peer_error(503, "STORE_UNAVAILABLE", "the records could not be stored now");
  }
  in.message_id = committed.id;
  // The entry is durable before the transfer is recorded here and answered:
  // without it the sender's retry finds the records stored (a duplicate)
  // and writes the entry then.
  for (const PayloadRecord& r : p.records) {
    if (r.resource_type != "Patient") continue;
    if (!facts.patient_id.empty()) {
      facts.patient_id.clear();  // several Patients: none is "the" local id
      break;
    }
    facts.patient_id = r.resource_id;
  }
  const audit::AuditEntry received = transfer_entry(
      audit::Action::kTransferReceived, facts,
      audit::Outcome{audit::OutcomeKind::kSuccess, 200, ""},
      std::to_string(in.record_count) + " records" + (in.emergency ? "; emergency" : ""), now);
  if (Status s = append_audit(ctx_.audit.get(), {&received, 1}); !s.ok()) {
    log::warn("transfer.audit_failed", {{"transfer", transfer_text}, {"error", s.message()}});
    return peering::peer_error(503, "AUDIT_UNAVAILABLE",
                               "the audit trail cannot take the entry now");
  }
  (void)ctx_.transfers->record_incoming(in);
  if (in.request_id) {
    (void)ctx_.transfers->update_request(*in.request_id, RequestState::kReceived, ref.id, "", now);
  }
  log::info("transfer.received",
            {{"transfer", transfer_text},
             {"records", std::to_string(in.record_count)},
             {"emergency", in.emergency ? "true" : "false"},
             {"ms", std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                       std::chrono::steady_clock::now() - started)
                                       .count())}});
  return {200, answer};
}

}  // namespace gw::transfer
