// Helpers the transfer tests share beyond the fixture: a FHIR Consent that
// grants one member one purpose, writing it at the custodian and waiting
// until its grant is recorded, and the Parameters of $transfer and
// $request-transfer.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <thread>

#include "fhir/json/json.h"
#include "gateway/rest/rest_test_util.h"
#include "tests/integration/transfer_fixture.h"
#include "tests/support/wait.h"

namespace gw::testing {

// What a test Consent says: `org` permitted the `purpose` (v3 ActReason) for
// the patient, except records carrying `denied_label` (a v3 ActCode
// sensitivity label) when one is named.
struct ConsentSpec {
  std::string id;  // "" for a POST
  std::string status = "active";
  std::string patient_id, org, purpose;
  std::string denied_label;
};

inline std::string consent_json(const ConsentSpec& c) {
  const std::string deny = c.denied_label.empty() ? ""
                                                  : R"(,
    "provision":[{"type":"deny","securityLabel":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":")" +
                                                        c.denied_label + R"("}]}])";
  return std::string(R"({"resourceType":"Consent",)") +
         (c.id.empty() ? "" : "\"id\":\"" + c.id + "\",") + "\"status\":\"" + c.status + R"(",
  "scope":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/consentscope","code":"patient-privacy"}]},
  "category":[{"coding":[{"system":"http://loinc.org","code":"59284-0"}]}],
  "patient":{"reference":"Patient/)" +
         c.patient_id + R"("},
  "policyRule":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"OPTIN"}]},
  "provision":{"type":"permit",
    "actor":[{"role":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"IRCP"}]},
              "reference":{"identifier":{"system":"urn:ietf:rfc:3986","value":")" +
         c.org + R"("}}}],
    "purpose":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActReason","code":")" +
         c.purpose + R"("}])" + deny + "}}";
}

// A Consent permitting `org` the `purpose` (v3 ActReason) for the patient.
inline std::string grant_consent(const std::string& patient_id, const std::string& org,
                                 const std::string& purpose) {
  return consent_json({.patient_id = patient_id, .org = org, .purpose = purpose});
}

// Writes a Consent at the custodian: a POST to /Consent (201), or a PUT to
// /Consent/{id} (200, or 201 when it creates), retrying while the patient's
// first registration is not final yet; then waits until its ledger state is
// recorded. Returns the Consent's id, "" on failure (with a test failure).
inline std::string write_consent(Member& custodian, const std::string& body,
                                 const std::string& method = "POST",
                                 const std::string& target = "/Consent") {
  rest::testing::Reply r;
  for (int i = 0; i < 20; ++i) {
    r = custodian.call(method, target, body);
    if (r.status != 503) break;
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
  if (method == "POST") {
    EXPECT_EQ(r.status, 201) << r.body;
  } else {
    EXPECT_TRUE(r.status == 200 || r.status == 201) << r.status << " " << r.body;
  }
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

// The optional parameters of $transfer.
struct TransferExtras {
  std::string study;   // a research transfer's study id
  std::string reason;  // why, for an emergency transfer
};

// The Parameters of POST /Patient/{id}/$transfer.
inline std::string transfer_params(const std::string& org_id, const std::string& purpose,
                                   const TransferExtras& extras = {}) {
  std::string body =
      R"({"resourceType":"Parameters","parameter":[)"
      R"({"name":"recipient","valueIdentifier":{"system":"urn:ietf:rfc:3986","value":")" +
      org_id + R"("}},{"name":"purpose","valueCode":")" + purpose + R"("})";
  if (!extras.study.empty()) {
    body += R"(,{"name":"study","valueString":")" + extras.study + R"("})";
  }
  if (!extras.reason.empty()) {
    body += R"(,{"name":"reason","valueString":")" + extras.reason + R"("})";
  }
  return body + "]}";
}

// The Parameters of POST /$request-transfer: the custodian's org id and the
// patient's identifier there.
inline std::string request_transfer_params(const std::string& custodian_org,
                                           const std::string& system, const std::string& value,
                                           const std::string& purpose,
                                           const std::string& study = "") {
  std::string body =
      R"({"resourceType":"Parameters","parameter":[)"
      R"({"name":"custodian","valueIdentifier":{"system":"urn:ietf:rfc:3986","value":")" +
      custodian_org + R"("}},{"name":"patient","valueIdentifier":{"system":")" + system +
      R"(","value":")" + value + R"("}},{"name":"purpose","valueCode":")" + purpose + R"("})";
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
