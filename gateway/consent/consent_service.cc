// The write path of the Consent endpoint (consent_service.h); reads and the
// ledger state are in consent_service_read.cc.
#include "gateway/consent/consent_service.h"

#include <chrono>
#include <thread>

#include "fhir/json/canonical.h"
#include "fhir/validate/validator.h"
#include "gateway/base/clock.h"
#include "gateway/consent/consent_audit.h"
#include "gateway/consent/consent_operations.h"
#include "gateway/consent/consent_service_util.h"
#include "gateway/crypto/sha256.h"
#include "gateway/pipeline/tokenize.h"
#include "ledger-client/consortium/consent_registry.h"
#include "ledger-client/outbox/item_codec.h"

namespace gw::consent {

using fhir::JsonValue;
using rest::ApiResult;
using rest::error_result;

ConsentService::ConsentService(ConsentServiceOptions options) : options_(std::move(options)) {
  if (!options_.now_ms) options_.now_ms = [] { return gw::now_ms(); };
}

rest::ExtensionHandler ConsentService::extension() {
  return [this](const rest::ExtensionRequest& r) { return handle(r); };
}

std::optional<ApiResult> ConsentService::handle(const rest::ExtensionRequest& request) {
  const std::vector<std::string>& seg = request.segments;
  if (seg.empty() || seg[0] != "Consent") return std::nullopt;
  const std::string& method = request.http.method;
  if (seg.size() == 1) {
    if (method == "GET") return search(request.params);
    if (method == "POST") return write(request, rest::new_uuid(), true);
    return error_result(405, "not-supported",
                        "Consent: only read, search by patient, create and update are supported");
  }
  if (seg.size() == 2) {
    if (!rest::is_valid_id(seg[1])) return error_result(400, "invalid", "malformed id");
    if (method == "GET") return read(seg[1]);
    if (method == "PUT") return write(request, seg[1], false);
    return error_result(405, "not-supported",
                        "Consent: only read, search by patient, create and update are supported; "
                        "to take a Consent back, PUT it with status inactive");
  }
  return std::nullopt;  // _history and the like: the generic API
}

namespace {

std::vector<uint8_t> item_key(std::string_view prefix, std::span<const uint8_t> a, size_t index) {
  std::string k(prefix);
  k += ledger::to_hex(a);
  k += '|';
  k += std::to_string(index);
  return std::vector<uint8_t>(k.begin(), k.end());
}

}  // namespace

std::optional<ApiResult> ConsentService::ensure_custody(const ledger::Hash256& token) {
  const std::optional<Address> custodian = options_.lookups.custodian(token);
  if (custodian && *custodian == options_.self) return std::nullopt;
  if (custodian) {
    return path_error(409, "conflict", "Consent.patient",
                      "another member is this patient's custodian; write the Consent there");
  }
  // Not registered (or the view has not seen it yet): registerPatient, once
  // per token (the outbox key makes a repeat return the same item), and wait
  // until it is final. The grants cannot go in the same breath: the outbox
  // sends calls and grant batches as separate transactions, and a grant batch
  // estimated before the registration is mined reverts (UnknownPatient).
  const std::vector<uint8_t> key = item_key("consent-register|", token, 0);
  auto queued = options_.outbox->enqueue(
      {{ledger::ItemKind::kCall,
        ledger::encode_call_body(options_.consent_registry,
                                 ledger::consortium::register_patient(token, Address{})),
        key}});
  if (!queued.ok() || queued->size() != 1) {
    return error_result(503, "transient", "the ledger outbox cannot take the registration now");
  }
  const int64_t seq = queued->front();
  const auto deadline = std::chrono::steady_clock::now() + options_.registration_wait;
  for (;;) {
    auto item = options_.outbox->item(seq);
    if (item.ok() && item->has_value()) {
      const ledger::ItemState state = (*item)->state;
      if (state == ledger::ItemState::kDone) return std::nullopt;
      if (state == ledger::ItemState::kRefused || state == ledger::ItemState::kFailed) {
        return path_error(409, "conflict", "Consent.patient",
                          "the ledger refused to register this gateway as the patient's "
                          "custodian (gatewayctl ledger outbox shows why)");
      }
    }
    if (std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ApiResult r = error_result(503, "transient",
                             "the patient's registration on the ledger is not final yet; send "
                             "the Consent again shortly");
  r.headers.emplace_back("Retry-After", "5");
  return r;
}

ApiResult ConsentService::write(const rest::ExtensionRequest& request, const std::string& id,
                                bool create) {
  if (request.in_bundle) {
    return error_result(422, "not-supported",
                        "write Consent on its own, not in a batch or transaction Bundle");
  }
  if (options_.outbox == nullptr) {
    return error_result(503, "not-supported",
                        "consents need the ledger: [ledger] is not enabled on this gateway");
  }
  // One Consent is small; the bound of consent_json_limits() holds here too.
  if (request.http.body.size() > consent_json_limits().max_input_bytes) {
    return error_result(413, "too-costly", "a Consent is at most 1 MiB");
  }
  if (request.body == nullptr || !request.body->is_object()) {
    return error_result(400, "structure", "the body must be a FHIR Consent in JSON");
  }
  JsonValue consent = *request.body;
  const JsonValue* type = consent.find("resourceType");
  if (type == nullptr || !type->is_string() || type->text() != "Consent") {
    return error_result(400, "invalid", "resourceType of the body must be Consent");
  }
  if (!create) {
    const JsonValue* body_id = consent.find("id");
    if (body_id == nullptr || !body_id->is_string() || body_id->text() != id) {
      return error_result(400, "invalid", "the id in the body must equal the id in the URL");
    }
  }
  rest::set_resource_id(&consent, id);
  rest::strip_server_meta(&consent);
  drop_ledger_state(&consent);
  if (fhir::ValidationResult v = fhir::validate_resource(consent); !v.ok()) {
    ApiResult r;
    r.status = 400;
    r.body = fhir::operation_outcome(v.issues);
    return r;
  }
  const int64_t now = options_.now_ms();
  MemberResolver resolve = [this](std::string_view, std::string_view org) {
    return options_.lookups.member_by_org_id(org);
  };
  ConsentResult<ConsentPlan> mapped =
      map_consent(consent, resolve, static_cast<uint64_t>(now / 1000));
  if (!mapped.ok()) return consent_error_result(mapped.error());
  ConsentPlan plan = std::move(mapped).value();

  // The patient: a stored Patient, by id or by exactly one identifier match.
  std::optional<store::StoredRecord> patient;
  if (!plan.patient.id.empty()) {
    patient = options_.records->read_record("Patient", plan.patient.id);
  } else {
    auto found = options_.records->find_records("Patient", plan.patient.identifier_system,
                                                plan.patient.identifier_value, 2);
    if (found.size() > 1) {
      return path_error(422, "business-rule", "Consent.patient",
                        "the identifier matches more than one stored Patient");
    }
    if (found.size() == 1) patient = std::move(found[0]);
  }
  if (!patient) {
    return path_error(422, "business-rule", "Consent.patient",
                      "no stored Patient matches the reference");
  }
  // The first token is the one this gateway registers and grants under
  // (README.md, "Which token").
  const std::vector<ledger::Hash256> tokens =
      pipeline::stored_patient_tokens(*options_.keys, *patient);
  if (tokens.empty()) {
    return path_error(422, "business-rule", "Consent.patient",
                      "the Patient has no identifier with both system and value, so no "
                      "consortium token");
  }
  const ledger::Hash256& token = tokens.front();
  plan.patient = PatientRef{};  // never stored beside the plan (it may be an identifier)

  // Custody before anything of this version is queued (and outside the write
  // lock: a first registration waits for the chain). An inactive Consent of a
  // patient never registered asks for nothing, so it needs no custody.
  if (plan.in_force()) {
    if (std::optional<ApiResult> refused = ensure_custody(token)) return *refused;
  }

  std::lock_guard lock(write_mu_);
  auto previous = options_.consents->get(id);
  if (!previous.ok()) return error_result(500, "exception", "the consent store cannot be read");
  if (previous->has_value() && (*previous)->token != token) {
    return path_error(422, "business-rule", "Consent.patient",
                      "a Consent cannot move to another patient; write a new Consent");
  }
  std::optional<int64_t> expected;
  if (!request.http.if_match.empty()) {
    expected = rest::parse_etag_version(request.http.if_match);
    if (!expected) return error_result(400, "invalid", "malformed If-Match (expected W/\"n\")");
  }

  if (plan.in_force()) {
    auto others = options_.consents->by_token(token, kMaxConsentsPerPatient);
    if (!others.ok()) return error_result(500, "exception", "the consent store cannot be read");
    for (const ConsentRow& other : *others) {
      if (other.id == id || !other.plan.in_force()) continue;
      if (std::optional<std::string> why = find_overlap(plan, other.plan)) {
        return path_error(422, "business-rule", "Consent.provision",
                          "another Consent of this patient already covers this: " + *why);
      }
    }
  }

  auto canonical = fhir::canonicalize(consent);
  if (!canonical.ok()) return error_result(400, "invalid", "the Consent cannot be canonicalized");
  const crypto::Sha256Digest hash = crypto::sha256(*canonical);
  std::optional<ConsentPlan> before;
  if (previous->has_value()) before = (*previous)->plan;
  const std::vector<ContractOp> ops = plan_operations(before, plan, token, hash);

  std::vector<ledger::OutboxStore::NewItem> items;
  for (size_t i = 0; i < ops.size(); ++i) {
    std::vector<uint8_t> key = item_key("consent|", hash, i);
    if (const auto* grant = std::get_if<ledger::consortium::GrantInput>(&ops[i])) {
      auto body = ledger::encode_grant_body(*grant);
      if (!body.ok()) return error_result(500, "exception", "a grant does not encode");
      items.push_back({ledger::ItemKind::kConsentGrant, std::move(body).value(), std::move(key)});
    } else {
      items.push_back({ledger::ItemKind::kCall,
                       ledger::encode_call_body(options_.consent_registry, call_data(ops[i])),
                       std::move(key)});
    }
  }

  // If-Match is checked before anything is queued.
  std::optional<store::StoredRecord> stored = options_.records->read_record("Consent", id);
  if (expected && (!stored || stored->version != *expected)) {
    return error_result(412, "conflict", "If-Match does not match the current version");
  }
  std::vector<int64_t> seqs;
  if (!items.empty()) {
    auto queued = options_.outbox->enqueue(items);
    if (!queued.ok()) {
      return error_result(503, "transient", "the ledger outbox cannot take the Consent now");
    }
    seqs = std::move(queued).value();
  } else if (previous->has_value()) {
    seqs = (*previous)->item_seqs;  // nothing changed on chain: the state is the last one's
  }

  // The domain entry (consent_audit.h): durable before the answer. The REST
  // layer's create/update entry follows with the answer (README, "Audit").
  const bool existed = previous->has_value() || stored.has_value();
  const std::string_view change = consent_change_kind(existed, plan);
  const ConsentPlan planned = plan;
  auto audit_change = [&](audit::OutcomeKind outcome, int status) -> Status {
    if (!options_.audit) return ok_status();
    audit::AuditEntry e =
        consent_change_entry(request.http, id, token, planned, change, items.size(), status, now);
    e.outcome.kind = outcome;
    auto written = options_.audit->append(e);
    return written.ok() ? ok_status() : written.error();
  };

  store::RecordWrite w;
  w.resource_type = "Consent";
  w.resource_id = id;
  w.resource_json = std::move(canonical).value();
  w.identifiers = rest::resource_identifiers(consent);
  w.patients = std::vector<std::string>{patient->resource_id};
  store::InboundMessage m;
  m.channel = options_.channel;
  m.sender = request.http.sender;
  m.message_type = "Consent";
  m.peer = request.http.peer;
  m.raw = request.http.body;
  m.received_at_ms = now;
  m.records.push_back(std::move(w));
  store::CommitResult c = options_.records->submit_sync(std::move(m));
  if (c.kind != store::CommitResult::Kind::kStored || c.records.size() != 1) {
    (void)audit_change(audit::OutcomeKind::kFailed, 500);  // its ledger calls are queued
    return error_result(500, "exception",
                        "the Consent was queued for the ledger but could not be stored; send it "
                        "again (the ledger calls are not repeated)");
  }
  const store::RecordVersion& v = c.records[0];

  ConsentRow row;
  row.id = id;
  row.version = v.version;
  row.patient_id = patient->resource_id;
  row.token = token;
  row.plan = std::move(plan);
  row.item_seqs = std::move(seqs);
  row.created_ms = previous->has_value() ? (*previous)->created_ms : now;
  row.updated_ms = now;
  if (!options_.consents->put(row).ok()) {
    (void)audit_change(audit::OutcomeKind::kFailed, 500);
    return error_result(500, "exception",
                        "the Consent was stored but its ledger state was not; send it again");
  }

  const int status = existed ? 200 : 201;
  if (!audit_change(audit::OutcomeKind::kSuccess, status).ok()) {
    return error_result(503, "transient",
                        "the Consent was stored but its audit entry could not be written; send it "
                        "again (the ledger calls are not repeated)");
  }

  ApiResult r;
  r.status = status;
  r.headers.emplace_back(
      "Location", options_.base_url + "/Consent/" + id + "/_history/" + std::to_string(v.version));
  r.headers.emplace_back("ETag", rest::weak_etag(v.version));
  r.headers.emplace_back("Last-Modified", rest::http_date(v.updated_at_ms));
  JsonValue body = rest::with_server_meta(consent, v.version, v.updated_at_ms);
  add_ledger_state(&body, ledger_state(row));
  r.body = std::move(body);
  return r;
}

}  // namespace gw::consent
