// FHIR R4 Consent (scope patient-privacy) -> the ConsentRegistry state it asks
// for: grants per (member, purpose) with a scope, and denies per member (or
// every member) by purpose. README.md in this folder lists every accepted form
// and every refusal; consent_operations.h turns two versions of a Consent into
// the contract calls between them.
//
// Exactness is the contract: a Consent the on-chain model cannot express
// exactly is refused, never narrowed or widened to something close. Each
// refusal names the element (a FHIRPath such as
// "Consent.provision.provision[0].dataPeriod") and a fixed reason; neither
// ever holds identifier values or other content of the resource, so both are
// safe to log and to put in an OperationOutcome.
//
// Pure: no I/O, no clock (the caller passes "now"), no logging. The input is
// hostile: every array read here is bounded (kMax* below), wrong JSON types
// are refused, and nested provisions deeper than one level are refused.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fhir/json/json.h"
#include "gateway/base/status.h"
#include "ledger-client/abi/abi_value.h"
#include "ledger-client/consortium/consent_registry.h"
#include "ledger-client/consortium/scope.h"

namespace gw::consent {

using ledger::Address;
using ledger::consortium::Purpose;

// The consortium's code system naming the record categories of
// ledger-client/consortium/scope.h, for Consent.provision.code (README.md,
// "Record categories"). An identifier, not a page to fetch; every member
// gateway must use the same one.
inline constexpr std::string_view kRecordCategorySystem =
    "https://consortium.example/fhir/CodeSystem/record-category";

// A kRecordCategorySystem code <-> its category: "laboratory" <->
// Category::kLaboratory. nullopt for a code the system does not define;
// "unknown" for a category it does not name. The transfer API and gatewayctl
// name categories by these codes too.
std::optional<ledger::consortium::Category> category_from_code(std::string_view code);
std::string_view category_code(ledger::consortium::Category category);

// Bounds on what one Consent may ask for (hostile input, and gas: every pair
// is one grant in a transaction).
inline constexpr size_t kMaxActors = 64;
inline constexpr size_t kMaxPurposes = 16;    // purpose[] entries
inline constexpr size_t kMaxGrantPairs = 64;  // actors x purposes of a permit
inline constexpr size_t kMaxNestedProvisions = 16;
inline constexpr size_t kMaxLabels = 32;          // securityLabel[] of one nested deny
inline constexpr size_t kMaxClassesOrCodes = 64;  // class[] or code[] entries
inline constexpr size_t kMaxCodings = 16;         // coding[] of one CodeableConcept
inline constexpr size_t kMaxIdentifierBytes = 1024;

enum class ConsentErrorKind : uint8_t {
  // Not a well-formed FHIR R4 Consent: not JSON, a wrong JSON type, an unknown
  // element, a missing required element, an impossible date. HTTP 400.
  kInvalid,
  // Well-formed, but the consent model cannot express it exactly (or it is
  // over a bound of this header). HTTP 422.
  kNotExpressible,
};

struct ConsentError {
  ConsentErrorKind kind = ConsentErrorKind::kInvalid;
  // FHIRPath of the element, for OperationOutcome.issue.expression:
  // "Consent.provision.actor[1].reference.identifier". Element names that are
  // not shaped like FHIR names are shown as "*".
  std::string path;
  // What is wrong and, where there is one, the accepted form. Fixed text.
  std::string reason;

  // "Consent.status: a draft Consent has no ledger meaning". Safe to log.
  std::string to_string() const;
};

template <typename T>
using ConsentResult = gw::Result<T, ConsentError>;

// Consent.patient, resolved by the caller to a stored Patient (and its
// consortium token). Exactly one of the two forms is set. The identifier is
// PHI: never log it.
struct PatientRef {
  std::string id;                                   // literal reference "Patient/{id}": the id
  std::string identifier_system, identifier_value;  // logical reference; value non-empty
  bool operator==(const PatientRef&) const = default;
};

enum class ConsentStatus : uint8_t { kActive, kInactive, kEnteredInError };

// One grant the Consent asks for: ConsentRegistry.grant without the patient
// token and consent hash (consent_operations.h adds them).
struct PlannedGrant {
  Address grantee{};
  Purpose purpose = Purpose::kTreat;
  uint64_t categories = 0;                                // category_bit()s, never 0
  uint64_t exclusions = 0;                                // label_bit()s
  uint64_t valid_from = 0;                                // Unix seconds, inclusive
  uint64_t valid_until = ledger::consortium::kOpenEnded;  // exclusive
  bool operator==(const PlannedGrant&) const = default;
};

// One deny the Consent asks for: ConsentRegistry.setDeny(grantee, mask, true).
struct PlannedDeny {
  Address grantee{};          // all zero: every member
  uint32_t purpose_mask = 0;  // purpose_bit()s; 0xFFFFFFFF: every purpose
  bool operator==(const PlannedDeny&) const = default;
};

struct ConsentPlan {
  PatientRef patient;
  ConsentStatus status = ConsentStatus::kActive;
  // Sorted by (grantee, purpose), one per pair. Empty unless in force.
  std::vector<PlannedGrant> grants;
  // Sorted by grantee (every-member deny first), one per grantee. Empty
  // unless in force.
  std::vector<PlannedDeny> denies;

  // Only an active Consent puts anything on the chain; inactive and
  // entered-in-error take back everything the previous version put there.
  bool in_force() const { return status == ConsentStatus::kActive; }
};

// A consortium member found by an organization identifier.
struct Member {
  Address account{};
  bool active = false;  // grants need an active member; denies do not
};

// Resolves Consent.provision.actor[].reference.identifier to a member: the
// member whose registered org_id equals `value` exactly, or nullopt. The
// system is passed along but is not needed to decide: org_ids are unique in
// the ProviderRegistry (README.md, "Actors"). Called at most kMaxActors times.
using MemberResolver =
    std::function<std::optional<Member>(std::string_view system, std::string_view value)>;

// Maps a parsed Consent. `now` (Unix seconds) refuses a period that has
// already ended (the contract would revert the grant).
ConsentResult<ConsentPlan> map_consent(const fhir::JsonValue& consent,
                                       const MemberResolver& resolve_member, uint64_t now);

// The same from JSON text, parsed with limits fit for one Consent
// (consent_json_limits()); a parse error is kInvalid at path "Consent".
ConsentResult<ConsentPlan> map_consent_json(std::string_view json,
                                            const MemberResolver& resolve_member, uint64_t now);
fhir::JsonParseOptions consent_json_limits();

}  // namespace gw::consent
