// The table of access_table_test.cc: every HTTPS endpoint (rows) × every
// kind of caller (columns) with the status gatewayd must answer, and what its
// 403s must name. The requests' bodies are here too.
#pragma once

#include <array>
#include <map>
#include <string>
#include <vector>

#include "tests/integration/access_table_support.h"

namespace gw::testing::access {

// PHI of the table's patient: it must never reach the log.
inline constexpr char kFamily[] = "Zyxwvutsson";
inline constexpr char kMrnSystem[] = "urn:oid:1.2.3.4.5.6";
inline constexpr char kMrn[] = "MRN-739164";
inline constexpr char kBirthDate[] = "1961-04-12";
inline constexpr char kPatient[] = "tbl-p1";

inline std::string patient_json(const std::string& id, const std::string& mrn) {
  return R"({"resourceType":"Patient",)" + (id.empty() ? "" : "\"id\":\"" + id + "\",") +
         R"("identifier":[{"system":")" + kMrnSystem + R"(","value":")" + mrn +
         R"("}],"name":[{"family":")" + kFamily + R"(","given":["Ada"]}],"birthDate":")" +
         kBirthDate + R"("})";
}

inline std::string consent_json() {
  return std::string(R"({"resourceType":"Consent","status":"active",
  "scope":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/consentscope","code":"patient-privacy"}]},
  "category":[{"coding":[{"system":"http://loinc.org","code":"59284-0"}]}],
  "patient":{"reference":"Patient/)") +
         kPatient + R"("},
  "policyRule":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"OPTIN"}]},
  "provision":{"type":"permit",
    "actor":[{"role":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ParticipationType","code":"IRCP"}]},
              "reference":{"identifier":{"system":"urn:ietf:rfc:3986","value":"urn:oid:2.16.840.1.113883.3.9999.2"}}}],
    "purpose":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActReason","code":"TREAT"}]}})";
}

// The columns, in this order. wrong-ca and expired-cert carry the reader's
// subject, so only their issuer or their dates refuse them. updater may
// update Patients but not create them: PUT to a new id is a create.
enum Col {
  kAnon,
  kWrongCa,
  kExpCert,
  kLabonly,
  kReader,
  kWriter,
  kUpdater,
  kSecops,
  kAuditor,
  kRegistry,
  kExpToken,
  kGarbage,
  kReplayed,
  kOtherAud,
  kCols
};
inline constexpr const char* kColNames[kCols] = {
    "anonymous",   "wrong-ca",      "expired-cert", "labonly",  "reader",
    "writer",      "updater",       "secops",       "auditor",  "registry",
    "expired-tok", "garbage-token", "replayed",     "other-aud"};

struct Row {
  std::string method, path;  // {id}: the patient; {caller}: the column's name
  std::string body;
  std::string denied;  // what a 403 must name
  std::array<int, kCols> expect;
  std::array<int, kCols> entry{};              // a batch's entry status (0: not checked)
  bool token_request = false;                  // the body is the caller's token request
  std::map<int, std::string> denied_for = {};  // a column's 403 that names something else
};

inline std::vector<Row> table() {
  constexpr int T = kTls, N = kNa;
  const std::string transaction =
      R"({"resourceType":"Bundle","type":"transaction","entry":[{"fullUrl":"urn:uuid:6b0e1a52-3c1f-4f7e-9d59-0a3d1b2c4e5f","resource":)" +
      patient_json("", std::string(kMrn) + "-tx") +
      R"(,"request":{"method":"POST","url":"Patient"}}]})";
  const std::string batch =
      R"({"resourceType":"Bundle","type":"batch","entry":[{"request":{"method":"GET","url":"Patient/)" +
      std::string(kPatient) + R"("}}]})";
  const std::string transfer =
      R"({"resourceType":"Parameters","parameter":[{"name":"recipient","valueIdentifier":{"system":"urn:ietf:rfc:3986","value":"urn:oid:2.16.840.1.113883.3.9999.2"}},{"name":"purpose","valueCode":"TREAT"}]})";
  const std::string search =
      std::string("/Patient?identifier=") + kMrnSystem + "%7C" + kMrn;  // system|value
  // clang-format off
  // anon wrongCA expCert labonly reader writer updater secops auditor registry expTok garbage replayed otherAud
  return {
    {"GET", "/metadata", "", "",
     {200, T, T, 200, 200, 200, 200, 200, 200, 200, 200, 200, N, N}},
    {"GET", "/.well-known/smart-configuration", "", "",
     {200, T, T, 200, 200, 200, 200, 200, 200, 200, 200, 200, N, N}},
    // The token endpoint authenticates by the assertion only: a request
    // without one is a 400 whoever sends it.
    {"POST", "/auth/token", "", "",
     {400, T, T, 400, 400, 400, 400, 400, 400, 200, 400, 400, 401, 401}, {}, true},
    {"GET", "/Patient/{id}", "", "needs system/Patient.r",
     {401, T, T, 403, 200, 200, 200, 403, 403, 200, 401, 401, N, N}},
    {"GET", search, "", "needs system/Patient.s",
     {401, T, T, 403, 200, 200, 200, 403, 403, 200, 401, 401, N, N}},
    {"POST", "/Patient", patient_json("", std::string(kMrn) + "-post"), "needs system/Patient.c",
     {401, T, T, 403, 403, 201, 403, 403, 403, 403, 401, 401, N, N}},
    {"PUT", "/Patient/{id}", patient_json(kPatient, kMrn), "needs system/Patient.u",
     {401, T, T, 403, 403, 200, 200, 403, 403, 403, 401, 401, N, N}},
    {"PUT", "/Patient/new-{caller}", "", "needs system/Patient.u",
     {401, T, T, 403, 403, 201, 403, 403, 403, 403, 401, 401, N, N}, {}, false,
     {{kUpdater, "needs system/Patient.c"}}},
    {"POST", "/", transaction, "entry 0: needs system/Patient.c",
     {401, T, T, 403, 403, 200, 403, 403, 403, 403, 401, 401, N, N}},
    // A batch needs only a known caller; each entry is decided on its own.
    {"POST", "/", batch, "",
     {401, T, T, 200, 200, 200, 200, 200, 200, 200, 401, 401, N, N},
     {0,   0, 0, 403, 200, 200, 200, 403, 403, 200, 0,   0,   0, 0}},
    {"GET", "/AuditEvent", "", "needs the auditor role",
     {401, T, T, 403, 403, 403, 403, 403, 200, 403, 401, 401, N, N}},
    {"GET", "/AuditEvent/1", "", "needs the auditor role",
     {401, T, T, 403, 403, 403, 403, 403, 200, 403, 401, 401, N, N}},
    {"GET", "/Patient/{id}/$access-report", "", "needs the auditor role",
     {401, T, T, 403, 403, 403, 403, 403, 200, 403, 401, 401, N, N}},
    {"GET", "/admin/metrics", "", "needs the admin role",
     {401, T, T, 403, 403, 403, 403, 200, 403, 403, 401, 401, N, N}},
    {"GET", "/admin/attestation?nonce=0102030405060708", "", "needs the admin role",
     {401, T, T, 403, 403, 403, 403, 200, 403, 403, 401, 401, N, N}},
    // Without [ledger], Consent writes answer 503 after the access check
    // (no Consent is stored that the ledger would not know).
    {"POST", "/Consent", consent_json(), "needs system/Consent.c",
     {401, T, T, 403, 403, 503, 403, 403, 403, 403, 401, 401, N, N}},
    // Without [ledger] no transfer service is registered: past the access
    // check, the operation is unknown (404 not-supported).
    {"POST", "/Patient/{id}/$transfer", transfer,
     "needs system/*.r ($transfer sends records of every type)",
     {401, T, T, 403, 404, 404, 403, 403, 403, 403, 401, 401, N, N}},
  };
  // clang-format on
}

}  // namespace gw::testing::access
