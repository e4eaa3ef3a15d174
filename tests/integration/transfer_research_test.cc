// test-needs: integration swtpm anvil
// A research (HRESCH) transfer between two real member gateways arrives
// de-identified by Safe Harbor: every identifying value the custodian's
// HL7 v2 carried is gone from every record the recipient stored, dates keep
// their year, and the Patient is linked only by the study pseudonym.
#include <gtest/gtest.h>

#include <map>

#include "fhir/json/write.h"
#include "gateway/crypto/sha256.h"
#include "gateway/crypto/tokenizer.h"
#include "gateway/transfer/transfer_store.h"
#include "tests/integration/transfer_consent.h"

namespace gw::testing {
namespace {

// One patient's messages, carrying as many of the 18 kinds as HL7 v2 can.
const std::string kAdmit =
    "MSH|^~\\&|ADT|HOSPA|GW|GW|20260312093000||ADT^A01|R-ADT-1|P|2.5.1\r"
    "EVN|A01|20260312093000\r"
    "PID|1||MRN-R4410^^^HOSPA^MR~987-65-4320^^^SSA^SS||Researchova^Petra^K||19750314|F|||"
    "742 Evergreen Terrace^^Shelbyville^IL^62565||555-0199^PRN^PH~^NET^Internet^petra.r@example.org"
    "|555-0288||||ACCT-55120|987-65-4320|DL-IL-P2218830^^IL\r"
    "NK1|1|Researchov^Tomas^J|SPO^Spouse|742 Evergreen Terrace^^Shelbyville^IL^62565|555-0177"
    "||||||||||||||||||||||||||||NK-R1\r"
    "NK1|2|Initech Widgets|EMP^Employer||555-0166||||||||Initech Widgets"
    "||||||||||||||||||||NK-R2\r"
    "PV1|1|I|WARD2^202^B||||2233^Nguyen^Ann|||MED|||||||||V-R5501|||||||||||||||||||||||||"
    "20260312093000\r"
    "DG1|1||E11.9^Type 2 diabetes mellitus without complications^I10||20260312|A\r";
const std::string kResult =
    "MSH|^~\\&|LAB|HOSPA|GW|GW|20260312110000||ORU^R01|R-ORU-1|P|2.5.1\r"
    "PID|1||MRN-R4410^^^HOSPA^MR~987-65-4320^^^SSA^SS||Researchova^Petra^K||19750314|F|||"
    "742 Evergreen Terrace^^Shelbyville^IL^62565||555-0199^PRN^PH~^NET^Internet^petra.r@example.org"
    "|555-0288||||ACCT-55120|987-65-4320|DL-IL-P2218830^^IL\r"
    "OBR|1|ORD-R1|FIL-R1|4548-4^Hemoglobin A1c^LN|||20260312101500\r"
    "OBX|1|NM|4548-4^Hemoglobin A1c^LN||7.9|%|4.0-5.6|H|||F\r"
    "NTE|1|L|Petra Researchova reports Tomas Researchov manages her insulin\r";

struct Kind {
  const char* kind;
  const char* value;
};
// Safe Harbor kinds (45 CFR 164.514(b)(2)(i)) -> a value of it in the
// messages above, each held by A (checked below) in the records the v2
// mapping makes: the Patient (PID), RelatedPersons (NK1, the employer one
// too), the Encounter (PV1) and its Account (PID-18), the report, its
// ServiceRequest and the Observation with its note (NTE).
// Kinds not in this table, because nothing in these messages can carry them
// into a record: (E) fax numbers would be ContactPoints like the phones here
// (PID-13/14 carry no fax use the mapping distinguishes); (I) health plan
// numbers travel in IN1 (Coverage, which the de-identifier drops whole);
// (L) vehicle and (M) device identifiers, (N) URLs, (O) IP addresses,
// (P) biometrics and (Q) full-face photographs have no PID/NK1/PV1/OBX field
// the gateway maps (gateway/deid's safe_harbor_test covers each of them).
const Kind kKinds[] = {
    {"(A) name: family", "Researchova"},
    {"(A) name: given", "Petra"},
    {"(A) relative's name", "Researchov"},
    {"(A) relative's given name", "Tomas"},
    {"(A) employer", "Initech"},
    {"(B) street", "Evergreen"},
    {"(B) city", "Shelbyville"},
    {"(B) ZIP (five digits)", "62565"},
    {"(C) birth date", "1975-03-14"},
    {"(C) admission date", "2026-03-12"},
    {"(D) phone", "555-0199"},
    {"(D) business phone", "555-0288"},
    {"(D) relative's phone", "555-0177"},
    {"(D) employer's phone", "555-0166"},
    {"(F) email", "petra.r@example.org"},
    {"(G) SSN", "987-65-4320"},
    {"(H) MRN", "MRN-R4410"},
    {"(J) account number (PID-18)", "ACCT-55120"},
    {"(K) driver's license (PID-20)", "DL-IL-P2218830"},
    {"(R) visit number", "V-R5501"},
    {"(R) order numbers", "ORD-R1"},
    {"(R) filler number", "FIL-R1"},
    {"free text naming the patient (NTE)", "insulin"},
};

class ResearchTransferTest : public TransferFixture {};

TEST_F(ResearchTransferTest, ArrivesDeidentifiedWithOnlyTheStudyPseudonym) {
  ASSERT_NO_FATAL_FAILURE(SetUpConsortium());
  ASSERT_NO_FATAL_FAILURE(send_hl7(a_, "admit", kAdmit));
  ASSERT_NO_FATAL_FAILURE(send_hl7(a_, "result", kResult));
  std::vector<std::string> patients = patients_named(a_, "MRN-R4410");
  ASSERT_EQ(patients.size(), 1u);
  rest::testing::Reply patient_at_a = a_.call("GET", "/Patient/" + patients[0]);
  ASSERT_EQ(patient_at_a.status, 200);
  ASSERT_FALSE(write_consent(a_, grant_consent(patients[0], b_.org_id, "HRESCH")).empty());

  // Research needs a study.
  const std::string push = "/Patient/" + patients[0] + "/$transfer";
  EXPECT_EQ(a_.call("POST", push, transfer_params(b_.org_id, "HRESCH")).status / 100, 4);
  rest::testing::Reply accepted =
      a_.call("POST", push, transfer_params(b_.org_id, "HRESCH", {.study = "STUDY-1"}));
  ASSERT_EQ(accepted.status, 202) << accepted.body;
  const std::string transfer_id = transfer_id_of(accepted.body);
  ASSERT_FALSE(transfer_id.empty()) << accepted.body;
  const std::string transfer = ledger::to_hex_0x(a_.account) + "/" + transfer_id;
  const std::string provenance_id = crypto::to_hex(crypto::sha256("gw-transfer|" + transfer));
  ASSERT_TRUE(
      wait_until([&] { return b_.call("GET", "/Provenance/" + provenance_id).status == 200; }, 90s))
      << a_.gw->output() << "\n---- B ----\n"
      << b_.gw->output();

  // Every record the Provenance lists, as B serves it.
  rest::testing::Reply prov = b_.call("GET", "/Provenance/" + provenance_id);
  ASSERT_EQ(prov.status, 200) << prov.body;
  auto parsed = fhir::parse_json(prov.body);
  ASSERT_TRUE(parsed.ok());
  std::map<std::string, std::string> at_b;  // reference -> JSON
  for (const fhir::JsonValue& t : parsed.value().find("target")->items()) {
    const std::string ref = t.find("reference")->text();
    rest::testing::Reply r = b_.call("GET", "/" + ref);
    ASSERT_EQ(r.status, 200) << ref;
    at_b[ref] = r.body;
  }
  ASSERT_GE(at_b.size(), 2u) << "the Patient and at least one clinical record";

  // The custodian had every value (so that its absence below means
  // something): in the Patient, the relatives' RelatedPersons, the
  // Encounter, its Account, the lab report and its Observation.
  std::string at_a = patient_at_a.body;
  auto first_found = [&](const std::string& search) -> std::string {
    auto bundle = fhir::parse_json(a_.call("GET", search).body);
    if (!bundle.ok() || bundle.value().find("entry") == nullptr) return "";
    return fhir::write_json(*bundle.value().find("entry")->items()[0].find("resource"));
  };
  auto referenced = [&](const std::string& json, const char* element) -> std::string {
    auto r = fhir::parse_json(json);
    if (!r.ok() || r.value().find(element) == nullptr) return "";
    const fhir::JsonValue& e = r.value().find(element)->items()[0];
    const fhir::JsonValue* ref = e.find("reference");
    return ref == nullptr ? "" : a_.call("GET", "/" + ref->text()).body;
  };
  at_a += first_found("/RelatedPerson?identifier=NK-R1");
  at_a += first_found("/RelatedPerson?identifier=NK-R2");
  const std::string encounter = first_found("/Encounter?identifier=V-R5501");
  at_a += encounter + referenced(encounter, "account");
  const std::string report = first_found("/DiagnosticReport?identifier=FIL-R1");
  at_a += report + referenced(report, "result") + referenced(report, "basedOn");
  for (const Kind& k : kKinds) {
    EXPECT_NE(at_a.find(k.value), std::string::npos) << "A does not hold " << k.kind;
  }

  for (const Kind& k : kKinds) {
    for (const auto& [ref, json] : at_b) {
      EXPECT_EQ(json.find(k.value), std::string::npos) << k.kind << " left A in " << ref << json;
    }
  }
  // Nor the patient's consortium token (as text or hex) nor A's ids.
  auto store = transfer::TransferStore::open_read_only(a_.dir + "/state/transfers.db");
  ASSERT_TRUE(store.ok()) << store.error().message();
  auto out = (*store)->outgoing(std::stoll(transfer_id));
  ASSERT_TRUE(out.ok() && out->has_value());
  const std::string token = crypto::token_text((*out)->request.patient_token);
  const std::string token_hex = ledger::to_hex_0x((*out)->request.patient_token).substr(2);
  EXPECT_EQ((*out)->request.study_id, "STUDY-1");
  for (const auto& [ref, json] : at_b) {
    EXPECT_EQ(json.find(token), std::string::npos) << ref;
    EXPECT_EQ(json.find(token_hex), std::string::npos) << ref;
    EXPECT_EQ(json.find(patients[0]), std::string::npos) << "A's Patient id in " << ref;
    EXPECT_EQ(ref.find(patients[0]), std::string::npos) << ref;
  }

  // The Patient: the year of birth, and the study pseudonym as its only
  // identifier; other records keep the years of their dates.
  int patients_at_b = 0;
  bool year_kept = false;
  for (const auto& [ref, json] : at_b) {
    if (ref.rfind("Provenance/", 0) == 0) continue;
    if (json.find("\"2026\"") != std::string::npos) year_kept = true;
    if (ref.rfind("Patient/", 0) != 0) continue;
    ++patients_at_b;
    auto p = fhir::parse_json(json);
    ASSERT_TRUE(p.ok());
    ASSERT_NE(p.value().find("birthDate"), nullptr) << json;
    EXPECT_EQ(p.value().find("birthDate")->text(), "1975");
    const fhir::JsonValue* ids = p.value().find("identifier");
    ASSERT_NE(ids, nullptr) << json;
    ASSERT_EQ(ids->items().size(), 1u) << json;
    EXPECT_EQ(ids->items()[0].find("system")->text(), "urn:gateway:study:STUDY-1:pseudonym");
    EXPECT_EQ(ids->items()[0].find("value")->text().size(), 64u) << json;
    EXPECT_EQ(p.value().find("name"), nullptr);
    EXPECT_EQ(p.value().find("telecom"), nullptr);
    EXPECT_EQ(p.value().find("contact"), nullptr);
    EXPECT_NE(json.find("PSEUDED"), std::string::npos);
  }
  EXPECT_EQ(patients_at_b, 1);
  EXPECT_TRUE(year_kept) << "no record kept the year of its 2026 date";
  // B cannot find the patient by any of A's identifiers.
  EXPECT_TRUE(patients_named(b_, "MRN-R4410").empty());
  EXPECT_TRUE(patients_named(b_, "987-65-4320").empty());

  // And no PHI in either log.
  for (const std::string& log : {a_.gw->output(), b_.gw->output()}) {
    for (const char* phi : {"Researchova", "MRN-R4410", "987-65-4320", "Evergreen", "19750314"}) {
      EXPECT_EQ(log.find(phi), std::string::npos) << phi;
    }
  }
}

// A patient of 96: B pulls her for the study (the pull path), and her birth
// date leaves neither as a date nor as a year (a year would show she is over
// 89); the Patient is marked as 90 or older instead, and the admission keeps
// its year.
TEST_F(ResearchTransferTest, APullForAStudyGroupsAgesOver89) {
  ASSERT_NO_FATAL_FAILURE(SetUpConsortium());
  ASSERT_NO_FATAL_FAILURE(send_hl7(
      a_, "old",
      "MSH|^~\\&|ADT|HOSPA|GW|GW|20260312093000||ADT^A01|R-ADT-9|P|2.5.1\r"
      "EVN|A01|20260312093000\r"
      "PID|1||MRN-R9000^^^HOSPA^MR~111-22-3330^^^SSA^SS||Elderova^Vera||19300105|F\r"
      "PV1|1|I|WARD2^203^A|||||||MED|||||||||V-R9001|||||||||||||||||||||||||20260312093000\r"));
  std::vector<std::string> patients = patients_named(a_, "MRN-R9000");
  ASSERT_EQ(patients.size(), 1u);
  ASSERT_FALSE(write_consent(a_, grant_consent(patients[0], b_.org_id, "HRESCH")).empty());
  auto patient = fhir::parse_json(a_.call("GET", "/Patient/" + patients[0]).body);
  ASSERT_TRUE(patient.ok());
  std::string ssn_system;
  for (const fhir::JsonValue& id : patient.value().find("identifier")->items()) {
    if (id.find("value")->text() == "111-22-3330") ssn_system = id.find("system")->text();
  }
  ASSERT_FALSE(ssn_system.empty());
  const std::string pull =
      request_transfer_params(a_.org_id, ssn_system, "111-22-3330", "HRESCH", "STUDY-1");
  rest::testing::Reply asked = b_.call("POST", "/$request-transfer", pull);
  ASSERT_EQ(asked.status, 202) << asked.body;
  ASSERT_TRUE(wait_until(
      [&] { return b_.gw->output().find("event=transfer.received") != std::string::npos; }, 90s))
      << a_.gw->output() << "\n---- B ----\n"
      << b_.gw->output();
  const std::string log = b_.gw->output();
  const size_t at = log.find("transfer=", log.find("event=transfer.received"));
  ASSERT_NE(at, std::string::npos) << log;
  const std::string transfer = log.substr(at + 9, log.find_first_of(" \n", at + 9) - at - 9);
  rest::testing::Reply prov =
      b_.call("GET", "/Provenance/" + crypto::to_hex(crypto::sha256("gw-transfer|" + transfer)));
  ASSERT_EQ(prov.status, 200) << prov.body;
  auto parsed = fhir::parse_json(prov.body);
  ASSERT_TRUE(parsed.ok());
  int patients_at_b = 0;
  bool admission_year = false;
  for (const fhir::JsonValue& t : parsed.value().find("target")->items()) {
    const std::string ref = t.find("reference")->text();
    rest::testing::Reply r = b_.call("GET", "/" + ref);
    ASSERT_EQ(r.status, 200) << ref;
    for (const char* gone : {"1930", "Elderova", "MRN-R9000", "111-22-3330", "V-R9001"}) {
      EXPECT_EQ(r.body.find(gone), std::string::npos) << gone << " in " << ref << r.body;
    }
    if (ref.rfind("Encounter/", 0) == 0) {
      admission_year = r.body.find("\"start\":\"2026\"") != std::string::npos;
    }
    if (ref.rfind("Patient/", 0) != 0) continue;
    ++patients_at_b;
    EXPECT_EQ(r.body.find("birthDate"), std::string::npos) << r.body;
    EXPECT_NE(r.body.find("urn:gateway:deid:age-90-or-older"), std::string::npos) << r.body;
    EXPECT_NE(r.body.find("urn:gateway:study:STUDY-1:pseudonym"), std::string::npos) << r.body;
  }
  EXPECT_EQ(patients_at_b, 1);
  EXPECT_TRUE(admission_year) << "the Encounter keeps the year it started";
}

}  // namespace
}  // namespace gw::testing
