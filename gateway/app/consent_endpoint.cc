#include "gateway/app/consent_endpoint.h"

namespace gw::app {

std::string consent_store_path(const config::GatewayConfig& cfg) {
  return cfg.state_dir + "/consents.db";
}

Result<ConsentEndpoint> start_consent_endpoint(const config::GatewayConfig& cfg,
                                               store::MessageStore* records,
                                               std::shared_ptr<const crypto::StoreKeys> keys,
                                               anchoring::LedgerService* ledger,
                                               const consortium::ConsortiumView* view,
                                               std::shared_ptr<audit::AuditLog> audit) {
  ConsentEndpoint out;
  GW_ASSIGN_OR_RETURN(out.store, consent::ConsentStore::open(consent_store_path(cfg)));
  consent::ConsentServiceOptions o;
  o.records = records;
  o.keys = std::move(keys);
  o.consents = out.store.get();
  o.audit = std::move(audit);
  // As FhirRestServer defaults it (a configured listen port is never 0).
  o.base_url =
      cfg.https.base_url.empty() ? "https://" + cfg.https.listen.to_string() : cfg.https.base_url;
  if (ledger != nullptr && view != nullptr) {
    o.outbox = ledger->outbox();
    o.consent_registry = ledger->deployment().contracts.consents;
    o.self = ledger->address();
    o.lookups.member_by_org_id = [view](std::string_view org_id) -> std::optional<consent::Member> {
      std::optional<consortium::MemberEntry> m = view->member_by_org_id(std::string(org_id));
      if (!m) return std::nullopt;
      return consent::Member{m->info.account,
                             m->status == ledger::consortium::MemberStatus::kActive};
    };
    o.lookups.custodian = [view](const ledger::Hash256& token) { return view->custodian(token); };
    o.lookups.applied_block = [view] { return view->status().applied_block; };
  }
  out.service = std::make_unique<consent::ConsentService>(std::move(o));
  return out;
}

}  // namespace gw::app
