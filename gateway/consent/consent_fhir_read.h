// Internal to gateway/consent: readers of the FHIR R4 data types a Consent is
// made of (Coding, CodeableConcept, Identifier, Reference, Period, dateTime),
// each checking JSON types, known member names and bounds, and reporting the
// element path. Views returned here point into the JsonValue read; they live
// as long as it does.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "fhir/json/json.h"
#include "gateway/consent/consent_mapping.h"

namespace gw::consent::internal {

using fhir::JsonValue;

// nullopt: fine; else the refusal. Result<T, E> needs a value type, and most
// checks have none.
using Check = std::optional<ConsentError>;

// Returns the error of `expr` (a Check) from the enclosing function.
#define GW_CONSENT_CHECK(expr)                                                           \
  do {                                                                                   \
    if (::gw::consent::internal::Check gw_check_ = (expr)) return std::move(*gw_check_); \
  } while (false)

ConsentError invalid(std::string path, std::string reason);
ConsentError not_expressible(std::string path, std::string reason);

// "Consent.provision" + "actor" -> "Consent.provision.actor"; a name not
// shaped like a FHIR element name becomes "*".
std::string child(const std::string& path, std::string_view name);
// "Consent.provision.actor" + 1 -> "Consent.provision.actor[1]".
std::string item(const std::string& path, size_t index);

// `v` must be an object whose members are all in `known` (or "_" + a known
// name: a primitive's id and extensions). A modifierExtension is refused as
// not expressible: it changes the meaning in ways the gateway does not know.
Check check_object(const JsonValue& v, const std::string& path,
                   std::span<const std::string_view> known);
inline Check check_object(const JsonValue& v, const std::string& path,
                          std::initializer_list<std::string_view> known) {
  return check_object(v, path, std::span<const std::string_view>(known.begin(), known.size()));
}

// `v` must be a non-empty array (FHIR forbids empty ones) of at most `max`
// items; more is not expressible (`what` names the bound in the reason).
Check check_array(const JsonValue& v, const std::string& path, size_t max, std::string_view what);

// `v` must be a non-empty string of at most `max_bytes`.
ConsentResult<std::string_view> read_string(const JsonValue& v, const std::string& path,
                                            size_t max_bytes = 4096);

struct CodingView {
  std::string_view system, code;  // empty when absent
};

ConsentResult<CodingView> read_coding(const JsonValue& v, const std::string& path);

// The codings of a CodeableConcept (empty if it has text only).
ConsentResult<std::vector<CodingView>> read_concept(const JsonValue& v, const std::string& path);

struct IdentifierView {
  std::string_view system, value;  // value non-empty; PHI for patients
};
ConsentResult<IdentifierView> read_identifier(const JsonValue& v, const std::string& path);

// A Reference's literal reference, type and identifier (empty when absent).
struct ReferenceView {
  std::string_view reference, type;
  std::optional<IdentifierView> identifier;
};
ConsentResult<ReferenceView> read_reference(const JsonValue& v, const std::string& path);

// A Period as the chain's validFrom (inclusive) / validUntil (exclusive), in
// Unix seconds. Both ends must be full dateTimes with a time zone; an absent
// start is 0, an absent end kOpenEnded.
struct ValidityWindow {
  uint64_t from = 0;
  uint64_t until = ledger::consortium::kOpenEnded;
};
ConsentResult<ValidityWindow> read_period(const JsonValue& v, const std::string& path);

// A FHIR dateTime with seconds and time zone, as Unix seconds: the first whole
// second at or after it (`round_up`, for a start) or the first whole second
// after every instant it includes (for an end, which FHIR makes inclusive).
// nullopt with `*partial` set for a valid dateTime without time or zone (no
// single instant), and with it clear for text that is not a dateTime.
std::optional<int64_t> datetime_bound(std::string_view text, bool is_end, bool* partial);

}  // namespace gw::consent::internal
