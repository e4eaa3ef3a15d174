// The search parameters of GET /AuditEvent, parsed into an audit::AuditQuery.
//
// Parameters (FHIR R4 search, http://hl7.org/fhir/R4/search.html):
//   patient=Patient/ID | ID      resolved to a consortium token by the caller's
//                                PatientResolver (an unknown patient matches nothing)
//   patient.identifier=[SYSTEM|]TOKEN   a raw token: "0x" + 64 hex digits (or the
//                                64 digits alone); SYSTEM, if given, must be
//                                kPatientTokenSystem
//   date=[eq|ge|gt|le|lt]VALUE   the entry's time, VALUE a FHIR date or dateTime at
//                                year, month, day or second precision (fractions
//                                allowed); a value is the interval its precision
//                                spans; repeated: all must hold (AND). Without a
//                                zone, UTC (the appliance's clock).
//   agent=client:NAME | NAME | operator | member:0x.. | anonymous   who acted
//   _count=N                     page size (default 50, at most max_count; 0: none)
//   _after=SEQ                   paging: entries after this seq (the next link's)
//   _format, _pretty             ignored here (the REST layer answers _format)
// Repeating patient, patient.identifier or agent means AND: different values
// match nothing. Comma-separated alternatives (OR) are refused, as are the
// prefixes ne, sa, eb and ap and every modifier.
//
// Unknown parameters: an error naming the parameter, unless `lenient`
// (Prefer: handling=lenient), which ignores them. Errors never quote a
// value (it may be a patient id); names are quoted only when shaped like
// parameter names.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>

#include "gateway/audit/audit_log.h"
#include "gateway/base/status.h"
#include "gateway/rest/fhir_rest_util.h"

namespace gw::auditview {

// A Patient id -> its consortium token; nullopt if the gateway knows no such
// patient. Called once per `patient` value, from the request's thread.
using PatientResolver =
    std::function<std::optional<audit::PatientToken>(std::string_view patient_id)>;

// Bounds on what a request may carry; more is refused (400).
inline constexpr size_t kMaxSearchParams = 64;
inline constexpr size_t kMaxSearchValueBytes = 256;

struct SearchOptions {
  bool lenient = false;  // Prefer: handling=lenient
  size_t default_count = 50;
  size_t max_count = audit::kMaxQueryLimit;  // clamped to 1..kMaxQueryLimit
};

struct AuditEventSearch {
  // Filters and paging; query.limit = count when count > 0.
  audit::AuditQuery query;
  size_t count = 50;
  // The filters cannot match (an unknown patient, contradicting values, an
  // empty date range): answer an empty page without asking the log.
  bool matches_nothing = false;
  // The parameters applied, in request order, without _after and with
  // _count as used: what the self and next links repeat.
  rest::QueryParams used;
};

// A FHIR date/dateTime search value as the half-open interval [from_ms,
// to_ms) of Unix ms its precision spans ("2026" is the whole year).
// invalid-argument for anything else (years 0001..9999; seconds 00..59).
struct TimeInterval {
  int64_t from_ms = 0, to_ms = 0;
};
Result<TimeInterval> parse_date_value(std::string_view text);

// Narrows [*from_ms, *to_ms) by one prefixed date parameter value
// ("ge2026-01-01", "2026-03"): eq keeps the interval, ge from its start, gt
// from its end, le before its end, lt before its start.
Status apply_date_param(std::string_view value, int64_t* from_ms, int64_t* to_ms);

// invalid-argument (the message names the parameter) for a malformed or
// unsupported parameter; failed-precondition for `patient` when `resolve`
// is empty (the integrator gave no resolver).
Result<AuditEventSearch> parse_audit_event_search(const rest::QueryParams& params,
                                                  const PatientResolver& resolve,
                                                  const SearchOptions& options = {});

}  // namespace gw::auditview
