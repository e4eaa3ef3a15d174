// The consent-change entry of the audit trail (gateway/audit): one per
// Consent written through ConsentService (create, update, revoke), durable
// before the write is answered. It names the patient by consortium token and
// the Consent by id; `detail` holds the kind of change and counts only.
#pragma once

#include <string>

#include "gateway/audit/audit_entry.h"
#include "gateway/consent/consent_mapping.h"
#include "gateway/rest/rest_types.h"

namespace gw::consent {

// "create" (a new Consent), "revoke" (a version no longer in force: inactive
// or entered-in-error), else "update".
std::string_view consent_change_kind(bool existed, const ConsentPlan& plan);

// The entry; `caller` is "client:NAME" when a configured client made the
// request (the HTTPS server puts its name in `sender`), else anonymous.
audit::AuditEntry consent_change_entry(const rest::RestRequest& caller,
                                       const std::string& consent_id,
                                       const ledger::Hash256& patient_token,
                                       const ConsentPlan& plan, std::string_view kind,
                                       size_t ledger_calls, int http_status, int64_t now_ms);

}  // namespace gw::consent
