// gatewayd's Consent endpoint (gateway/consent/consent_service.h): its store
// in the state directory, and the service wired to the ledger outbox and the
// consortium view when [ledger] is enabled. Without the ledger the endpoint
// still serves reads, and answers writes with 503 (consents need the ledger),
// so the generic FHIR API never stores a Consent the ledger does not know.
#pragma once

#include <memory>
#include <string>

#include "gateway/anchoring/ledger_service.h"
#include "gateway/audit/audit_log.h"
#include "gateway/base/status.h"
#include "gateway/config/config.h"
#include "gateway/consent/consent_service.h"
#include "gateway/consent/consent_store.h"
#include "gateway/consortium/consortium_view.h"
#include "gateway/crypto/store_keys.h"
#include "gateway/store/message_store.h"

namespace gw::app {

struct ConsentEndpoint {
  std::unique_ptr<consent::ConsentStore> store;
  std::unique_ptr<consent::ConsentService> service;
};

// <state_dir>/consents.db, beside the message store.
std::string consent_store_path(const config::GatewayConfig& cfg);

// `audit`: the consent-change entries (null: none).
// `ledger` and `view` are both set ([ledger] enabled) or both null. Every
// pointer must outlive the endpoint.
Result<ConsentEndpoint> start_consent_endpoint(const config::GatewayConfig& cfg,
                                               store::MessageStore* records,
                                               std::shared_ptr<const crypto::StoreKeys> keys,
                                               anchoring::LedgerService* ledger,
                                               const consortium::ConsortiumView* view,
                                               std::shared_ptr<audit::AuditLog> audit = nullptr);

}  // namespace gw::app
