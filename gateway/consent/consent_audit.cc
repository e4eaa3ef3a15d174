#include "gateway/consent/consent_audit.h"

#include <set>

namespace gw::consent {

std::string_view consent_change_kind(bool existed, const ConsentPlan& plan) {
  if (!plan.in_force()) return "revoke";
  return existed ? "update" : "create";
}

audit::AuditEntry consent_change_entry(const rest::RestRequest& caller,
                                       const std::string& consent_id,
                                       const ledger::Hash256& patient_token,
                                       const ConsentPlan& plan, std::string_view kind,
                                       size_t ledger_calls, int http_status, int64_t now_ms) {
  audit::AuditEntry e;
  e.time_ms = now_ms;
  e.actor = audit::Actor{audit::ActorKind::kAnonymous, ""};
  if (caller.client_authenticated) {
    if (auto a = audit::Actor::parse("client:" + caller.sender); a.ok()) e.actor = *a;
  }
  if (caller.peer.size() <= audit::kMaxSourceBytes) e.source = caller.peer;
  e.action = audit::Action::kConsentChange;
  e.resource_type = "Consent";
  e.resource_id = consent_id;  // a FHIR id (checked by the service): at most 64 of [A-Za-z0-9.-]
  e.patient = patient_token;
  // The purposes the Consent grants, as their codes ("TREAT,HRESCH"), as many
  // as fit; a deny-only or revoking version has none.
  std::set<uint8_t> purposes;
  for (const PlannedGrant& g : plan.grants) purposes.insert(static_cast<uint8_t>(g.purpose));
  for (uint8_t p : purposes) {
    auto purpose = ledger::consortium::purpose_from_byte(p);
    if (!purpose) continue;
    const std::string_view code = ledger::consortium::purpose_code(*purpose);
    const size_t extra = code.size() + (e.purpose.empty() ? 0 : 1);
    if (e.purpose.size() + extra > audit::kMaxPurposeBytes) break;
    if (!e.purpose.empty()) e.purpose += ',';
    e.purpose += code;
  }
  e.outcome = audit::Outcome{audit::OutcomeKind::kSuccess, http_status, ""};
  e.detail = std::string(kind) + "; " + std::to_string(plan.grants.size()) + " grants, " +
             std::to_string(plan.denies.size()) + " denies; " + std::to_string(ledger_calls) +
             " ledger calls";
  return e;
}

}  // namespace gw::consent
