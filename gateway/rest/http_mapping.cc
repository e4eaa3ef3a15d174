#include "gateway/rest/http_mapping.h"

#include <string>

namespace gw::rest {

HttpMapping http_for_commit(store::CommitResult::Kind kind, bool had_if_match) {
  switch (kind) {
    case store::CommitResult::Kind::kStored:
      return {200, "", "", 0};
    case store::CommitResult::Kind::kConflict:
      return had_if_match ? HttpMapping{412, "conflict", "version does not match If-Match", 0}
                          : HttpMapping{409, "conflict", "resource changed concurrently", 0};
    case store::CommitResult::Kind::kDuplicate:  // REST writes carry no control id to repeat
    case store::CommitResult::Kind::kDuplicateConflict:
    case store::CommitResult::Kind::kFailed:
      break;
  }
  // Nothing was stored and nothing is wrong with the request: retry later.
  return {503, "transient", "the store could not commit; retry later", 5};
}

ApiResult commit_error_result(store::CommitResult::Kind kind, bool had_if_match,
                              std::string_view diagnostics) {
  const HttpMapping m = http_for_commit(kind, had_if_match);
  ApiResult r =
      error_result(m.status, m.issue_code, diagnostics.empty() ? m.diagnostics : diagnostics);
  if (m.retry_after_s > 0) r.headers.emplace_back("Retry-After", std::to_string(m.retry_after_s));
  return r;
}

}  // namespace gw::rest
