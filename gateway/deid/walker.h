// The element walk of one resource (internal to gateway/deid): every member
// is looked up in the R4 tables (fhir/defs) and kept, rewritten or dropped by
// the rule of its type; README.md has the table. Recursion follows the JSON
// nesting, which the parser bounds (64 levels by default).
#pragma once

#include <chrono>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "fhir/defs/definitions.h"
#include "fhir/json/json.h"
#include "gateway/deid/rules.h"

namespace gw::deid::internal {

// The marker of a birth date dropped because the person is 90 or older
// (an extension on the resource that held it: Patient, FamilyMemberHistory).
inline constexpr std::string_view kAge90OrOlderUrl = "urn:gateway:deid:age-90-or-older";

struct WalkContext {
  // "Type/id" -> new id, for every record still in the output: references
  // to anything else are removed.
  const std::unordered_map<std::string, std::string>* ids = nullptr;
  const PhiWords* phi = nullptr;
  std::chrono::year_month_day reference_date{};
  std::span<const std::string> restricted_zip3;
};

struct WalkOutcome {
  enum class Verdict { kKept, kUnsafeModifier, kNothingSafeLeft } verdict = Verdict::kKept;
  // kKept: the resource without resourceType, id and the PSEUDED label
  // (the caller adds those). kNothingSafeLeft: what was left, if anything
  // (an object with at most meta and the 90+ marker).
  fhir::JsonValue resource;
  // "Type/id" of every record a kept reference points to.
  std::vector<std::string> targets;
};

WalkOutcome walk_resource(const fhir::JsonValue& resource, const fhir::defs::TypeDef& type,
                          const WalkContext& context);

// Adds to `phi` the words of every identifying value in `resource` (names,
// identifiers, contact points, street address parts, reference displays),
// contained resources included.
void harvest_phi(const fhir::JsonValue& resource, PhiWords& phi);

}  // namespace gw::deid::internal
