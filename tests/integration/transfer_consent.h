// Helpers the transfer tests share beyond the fixture: a FHIR Consent that
// grants one member one purpose, writing it at the custodian and waiting
// until its grant is recorded, and the $transfer Parameters.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <thread>

#include "fhir/json/json.h"
#include "gateway/rest/rest_test_util.h"
#include "tests/integration/transfer_fixture.h"
#include "tests/support/wait.h"

namespace gw::testing {

// A Consent permitting `org` the `purpose` (v3 ActReason) for the patient.
inline std::string grant_consent(const std::string& patient_id, const std::string& org,
                                 const std::string& purpose) {
  return R"({"resourceType":"Consent","status":"active",
  "scope":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/consentscope","code":"patient-privacy"}]},
  "category":[{"coding":[{"system":"http://loinc.org","code":"59284-0"}]}],
  "patient":{"reference":"Patient/)" +
         patient_id + R"("},
  "policyRule":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"OPTIN"}]},
  "provision":{"type":"permit",
    "actor":[{"role":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"IRCP"}]},
              "reference":{"identifier":{"system":"urn:ietf:rfc:3986","value":")" +
         org + R"("}}}],
    "purpose":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActReason","code":")" +
         purpose + R"("}]}})";
}

// POSTs a Consent at the custodian (retrying while the patient's first
// registration is not final yet) and waits until its grant is recorded.
// Returns the Consent's id, "" on failure (with a test failure).
inline std::string write_consent(Member& custodian, const std::string& body) {
  rest::testing::Reply r;
  for (int i = 0; i < 20; ++i) {
    r = custodian.call("POST", "/Consent", body);
    if (r.status != 503) break;
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
  EXPECT_EQ(r.status, 201) << r.body;
  auto parsed = fhir::parse_json(r.body);
  if (!parsed.ok() || parsed.value().find("id") == nullptr) return "";
  const std::string id = parsed.value().find("id")->text();
  EXPECT_TRUE(wait_until(
      [&] {
        return custodian.call("GET", "/Consent/" + id).body.find("\"recorded\"") !=
               std::string::npos;
      },
      std::chrono::seconds(60)))
      << custodian.call("GET", "/Consent/" + id).body;
  return id;
}

// The Parameters of POST /Patient/{id}/$transfer.
inline std::string transfer_params(const std::string& org_id, const std::string& purpose,
                                   const std::string& study = "") {
  std::string body =
      R"({"resourceType":"Parameters","parameter":[)"
      R"({"name":"recipient","valueIdentifier":{"system":"urn:ietf:rfc:3986","value":")" +
      org_id + R"("}},{"name":"purpose","valueCode":")" + purpose + R"("})";
  if (!study.empty()) body += R"(,{"name":"study","valueString":")" + study + R"("})";
  return body + "]}";
}

// The transfer id a 202 answer of $transfer names ("" when it names none).
inline std::string transfer_id_of(const std::string& answer) {
  auto parsed = fhir::parse_json(answer);
  if (!parsed.ok() || parsed.value().find("parameter") == nullptr) return "";
  for (const fhir::JsonValue& p : parsed.value().find("parameter")->items()) {
    if (const fhir::JsonValue* v = p.find("valueString")) return v->text();
  }
  return "";
}

}  // namespace gw::testing
