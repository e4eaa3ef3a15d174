// Shared by the gateway/consent tests: a valid permit Consent to start from,
// small editing helpers, and a member directory standing in for the
// ProviderRegistry (the resolver is the caller's in production).
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <string_view>

#include "fhir/json/json.h"
#include "gateway/consent/consent_mapping.h"

namespace gw::consent::testing {

inline constexpr std::string_view kScopeSystem =
    "http://terminology.hl7.org/CodeSystem/consentscope";
inline constexpr std::string_view kRoleSystem =
    "http://terminology.hl7.org/CodeSystem/v3-ParticipationType";
inline constexpr std::string_view kReasonSystem =
    "http://terminology.hl7.org/CodeSystem/v3-ActReason";
inline constexpr std::string_view kActCodeSystem =
    "http://terminology.hl7.org/CodeSystem/v3-ActCode";

// 2025-06-15T15:06:40Z: "now" for every test.
inline constexpr uint64_t kNow = 1'750'000'000;

// Members: B and C active, S suspended.
inline constexpr std::string_view kOrgB = "urn:oid:1.2.3.2";
inline constexpr std::string_view kOrgC = "urn:oid:1.2.3.3";
inline constexpr std::string_view kOrgS = "urn:oid:1.2.3.9";
inline Address account(uint8_t last) {
  Address a{};
  a[19] = last;
  return a;
}
inline const Address kB = account(2), kC = account(3), kS = account(9);

inline MemberResolver directory() {
  return [](std::string_view, std::string_view value) -> std::optional<Member> {
    if (value == kOrgB) return Member{kB, true};
    if (value == kOrgC) return Member{kC, true};
    if (value == kOrgS) return Member{kS, false};
    return std::nullopt;
  };
}

// Grants B TREAT from 2025-01-01T00:00:00Z to 2030-01-01T00:00:00+01:00,
// every category, excluding PSY.
inline constexpr std::string_view kPermit = R"({
  "resourceType": "Consent", "id": "c1", "status": "active",
  "scope": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentscope",
                        "code": "patient-privacy"}]},
  "category": [{"coding": [{"system": "http://loinc.org", "code": "59284-0"}]}],
  "patient": {"reference": "Patient/p1"},
  "policyRule": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
                             "code": "OPTIN"}]},
  "provision": {
    "type": "permit",
    "period": {"start": "2025-01-01T00:00:00Z", "end": "2030-01-01T00:00:00+01:00"},
    "actor": [{"role": {"coding": [{"system":
                 "http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "code": "IRCP"}]},
               "reference": {"identifier": {"system": "urn:ietf:rfc:3986",
                                            "value": "urn:oid:1.2.3.2"}}}],
    "purpose": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActReason",
                 "code": "TREAT"}],
    "provision": [{"type": "deny", "securityLabel": [
        {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "PSY"}]}]
  }
})";

inline fhir::JsonValue parse(std::string_view json) {
  auto v = fhir::parse_json(json);
  if (!v.ok()) {
    ADD_FAILURE() << "test JSON does not parse: " << v.error().to_string();
    return {};
  }
  return *std::move(v);
}

inline fhir::JsonValue permit() { return parse(kPermit); }
inline fhir::JsonValue& provision(fhir::JsonValue& consent) {
  return *consent.find_mutable("provision");
}
// Sets (or replaces) member `key` of `object` to the JSON `value`.
inline void set(fhir::JsonValue& object, std::string key, std::string_view value) {
  object.add(std::move(key), parse(value));
}

inline fhir::JsonValue actor(std::string_view org, std::string_view role = "IRCP") {
  return parse(R"({"role": {"coding": [{"system": ")" + std::string(kRoleSystem) +
               R"(", "code": ")" + std::string(role) +
               R"("}]}, "reference": {"identifier": {"system": "urn:ietf:rfc:3986", "value": ")" +
               std::string(org) + R"("}}})");
}
inline fhir::JsonValue purpose(std::string_view code) {
  return parse(R"({"system": ")" + std::string(kReasonSystem) + R"(", "code": ")" +
               std::string(code) + R"("})");
}

inline ConsentResult<ConsentPlan> map(const fhir::JsonValue& consent) {
  return map_consent(consent, directory(), kNow);
}

}  // namespace gw::consent::testing
