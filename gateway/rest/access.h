// How the FHIR API describes a request to the authorization decision
// (gateway/auth/policy.h) and to the audit trail: the interaction, the type,
// the operation — decided from the method and path alone, before any room
// (consents, transfers, the audit view) or the generic routing answers it,
// so that nothing is served that was not described and allowed.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/audit/audit_entry.h"
#include "gateway/auth/policy.h"
#include "gateway/rest/fhir_rest_util.h"

namespace gw::rest {

// The AccessRequest's views point into `segments` and `params`, which must
// outlive it. An error result (404 unknown path or type, 405 method) when the
// request names nothing the API could serve: it is answered as it is.
struct DescribedRequest {
  auth::AccessRequest access;
  std::optional<ApiResult> error;
};
DescribedRequest describe_request(std::string_view method, const std::vector<std::string>& segments,
                                  const QueryParams& params, bool has_if_none_exist);

// The audit trail's action for a described request: reads, searches (and
// histories, capabilities) as such, writes as such, $access-report as an
// export, other operations ($transfer, $request-transfer: the transfer rooms
// record the transfers themselves) as operation.
audit::Action audit_action(const auth::AccessRequest& access);

}  // namespace gw::rest
