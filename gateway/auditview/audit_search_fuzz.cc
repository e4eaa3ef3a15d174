// Fuzz target for the AuditEvent search parameters: an auditor's query
// string is hostile input like any other (a stolen auditor credential, or a
// confused client). Any bytes give a search or an error, never a crash; a
// search keeps its bounds (page size, a non-empty time range unless it
// matches nothing) and a date value is a non-empty interval.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "gateway/auditview/audit_search.h"
#include "gateway/rest/fhir_rest_util.h"

namespace {

std::optional<gw::audit::PatientToken> resolve(std::string_view id) {
  if (id.empty() || id[0] != 'a') return std::nullopt;
  gw::audit::PatientToken t;
  t.fill(static_cast<uint8_t>(id.size()));
  return t;
}

void check(const gw::rest::QueryParams& params, bool lenient) {
  gw::auditview::SearchOptions options;
  options.lenient = lenient;
  auto s = gw::auditview::parse_audit_event_search(params, resolve, options);
  if (!s.ok()) return;
  if (s->count > gw::audit::kMaxQueryLimit) std::abort();
  if (s->query.limit < 1 || s->query.limit > gw::audit::kMaxQueryLimit) std::abort();
  if (!s->matches_nothing && s->query.from_ms >= s->query.to_ms) std::abort();
  if (s->query.after_seq < 0) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto interval = gw::auditview::parse_date_value(text);
  if (interval.ok() && interval->from_ms >= interval->to_ms) std::abort();
  gw::rest::QueryParams params;
  if (gw::rest::parse_query(text, &params)) {
    check(params, false);
    check(params, true);
  }
  return 0;
}
