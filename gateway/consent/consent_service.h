// The Consent endpoint of the FHIR API: FHIR Consent in, grants on chain,
// ledger state out. A rest::ExtensionHandler claiming the resource type
// Consent (README.md in this folder, "REST surface"):
//
//   POST /Consent, PUT /Consent/{id}   map (consent_mapping.h), resolve the
//       patient and its token, check custody and overlap, diff against the
//       previous version (consent_operations.h), queue the calls in the ledger
//       outbox, store the resource and this version's plan and items
//   GET /Consent/{id}                   the stored Consent + its ledger state
//   GET /Consent?patient=Patient/{id}   the patient's Consents (searchset)
//
// Other Consent interactions answer 405; _history reads fall through to the
// generic API. Writes are serialized within this object (one process), so
// two concurrent versions of one patient's Consents cannot both pass the
// overlap check. Errors and logs hold element paths and fixed texts only.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "gateway/audit/audit_log.h"
#include "gateway/consent/consent_mapping.h"
#include "gateway/consent/consent_store.h"
#include "gateway/crypto/store_keys.h"
#include "gateway/rest/fhir_api.h"
#include "gateway/store/message_store.h"
#include "ledger-client/outbox/outbox_store.h"

namespace gw::consent {

// The URL of the extension GET and write responses carry: sub-extensions
// `state` (valueCode pending | recorded | refused), `transaction` (valueString
// 0x hash of the last transaction, when recorded), `reason` (valueString,
// when refused) and `note` (valueString: a deny that also blocks emergency
// access). Never stored: a client's copy is dropped on write.
inline constexpr std::string_view kLedgerStateUrl = "urn:gateway:consent:ledger-state";

// What the service needs to know of the consortium (the daemon fills these
// from consortium::ConsortiumView; a test from its own directory).
struct ConsortiumLookups {
  // The member whose registered org_id is `org_id` exactly.
  std::function<std::optional<Member>(std::string_view org_id)> member_by_org_id;
  // The patient's custodian on chain (nullopt: not registered).
  std::function<std::optional<Address>(const ledger::Hash256& token)> custodian;
  // The last block the consortium view has applied: a Consent is in effect
  // for this gateway's transfer decisions only from then on. May be empty
  // (then final on the ledger is taken as in effect).
  std::function<uint64_t()> applied_block;
};

struct ConsentServiceOptions {
  store::MessageStore* records = nullptr;         // Patients and the Consents themselves
  std::shared_ptr<const crypto::StoreKeys> keys;  // patient tokens
  ConsentStore* consents = nullptr;               // plans and outbox items per Consent
  // The ledger outbox; nullptr when [ledger] is disabled: writes then answer
  // 503 (consents need the ledger), reads still work.
  ledger::OutboxStore* outbox = nullptr;
  Address consent_registry{};  // the deployment's ConsentRegistry (to of calls)
  Address self{};              // this gateway's ledger account (the custodian it registers)
  ConsortiumLookups lookups;
  std::string base_url;             // "https://host:8443", for Location and fullUrl
  std::string channel = "fhir";     // InboundMessage::channel of the stored Consents
  std::function<int64_t()> now_ms;  // default: the system clock
  // The audit trail: one consent-change entry per write, durable before the
  // answer (consent_audit.h). Null: none (tests, constructions without one).
  std::shared_ptr<audit::AuditLog> audit;
  // How long a write waits for the first registerPatient of a patient to be
  // final before answering 503 (Retry-After; the registration stays queued).
  std::chrono::milliseconds registration_wait{30000};
};

class ConsentService {
 public:
  // Every pointer must outlive the service.
  explicit ConsentService(ConsentServiceOptions options);

  // Thread-safe. nullopt for requests not about Consent.
  std::optional<rest::ApiResult> handle(const rest::ExtensionRequest& request);
  // handle() as an ApiOptions extension (the service must outlive it).
  rest::ExtensionHandler extension();

 private:
  rest::ApiResult write(const rest::ExtensionRequest& request, const std::string& id, bool create);
  // nullopt when this gateway is the patient's custodian (registering it
  // first if nobody is), else the answer (409 another custodian, 503 pending).
  std::optional<rest::ApiResult> ensure_custody(const ledger::Hash256& token);
  rest::ApiResult read(const std::string& id);
  rest::ApiResult search(const rest::QueryParams& params);
  // The Consent as served: the stored record with server meta and its ledger state.
  std::optional<fhir::JsonValue> served(const store::StoredRecord& record,
                                        const std::optional<ConsentRow>& row);
  fhir::JsonValue ledger_state(const std::optional<ConsentRow>& row);
  fhir::JsonValue items_state(const std::optional<ConsentRow>& row);  // of the outbox items

  ConsentServiceOptions options_;
  std::mutex write_mu_;  // see the file comment
};

}  // namespace gw::consent
