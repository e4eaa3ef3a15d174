// What a FHIR REST client is told when the store does not take a write: the
// one mapping from the store's verdict (store::CommitResult::Kind) to an HTTP
// status, the OperationOutcome issue code and a Retry-After. Its HL7 v2
// counterpart is gateway/pipeline/ack_mapping.h.
//
// It lives here rather than in gateway/base because the base depends on
// nothing, and HTTP statuses and issue codes are the REST endpoint's words:
// each protocol keeps its single mapping beside the code that answers in it.
#pragma once

#include <string_view>

#include "gateway/rest/fhir_rest_util.h"
#include "gateway/store/message_store.h"

namespace gw::rest {

struct HttpMapping {
  int status = 200;
  std::string_view issue_code;   // OperationOutcome.issue.code when status >= 400
  std::string_view diagnostics;  // default OperationOutcome text (fixed, no PHI)
  int retry_after_s = 0;         // > 0: send Retry-After (the failure is transient)
};

// `had_if_match`: the write carried an expected version (If-Match), so a
// conflict is a failed precondition (412) rather than a concurrent change (409).
HttpMapping http_for_commit(store::CommitResult::Kind kind, bool had_if_match);

// The error result of a write the store did not take (kind is not kStored):
// the mapping above, with `diagnostics` instead of its text when not empty
// (a Bundle names the entry; still a fixed text).
ApiResult commit_error_result(store::CommitResult::Kind kind, bool had_if_match,
                              std::string_view diagnostics = {});

}  // namespace gw::rest
