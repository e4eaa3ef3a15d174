// Updates from later messages: a field the message leaves empty says nothing
// (the Patient or Encounter element it feeds is marked keep_stored, so the
// store keeps what earlier messages gave), a field holding the explicit null
// "" deletes (the element is not kept, the new version has none), a valued
// field replaces. An element fed by several fields is kept only when all of
// them are empty.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "adapters/v2fhir/test_expect.h"

namespace gw::v2fhir::testing {
namespace {

std::string Msg(std::string_view type, std::initializer_list<std::string> segments) {
  std::string out =
      "MSH|^~\\&|APP|FAC|GW|GWFAC|20240315103005||" + std::string(type) + "|C1|P|2.5.1\r";
  for (const auto& s : segments) out += s + "\r";
  return out;
}

// The partial of the one `type` entry of the converted message.
PartialUpdate PartialOf(const std::string& er7, const std::string& type) {
  Converted c;
  ConvertText(er7, {}, &c);
  EXPECT_TRUE(c.parsed.ok());
  EXPECT_TRUE(c.result.ok()) << (c.result.errors.empty() ? "" : c.result.errors[0].text);
  PartialUpdate out;
  int found = 0;
  for (const MappedRecord& r : c.result.records()) {
    if (r.resource_type != type) continue;
    ++found;
    out = r.partial;
  }
  EXPECT_EQ(found, 1) << type;
  return out;
}

bool Kept(const PartialUpdate& p, const std::string& element) {
  return std::find(p.keep_stored.begin(), p.keep_stored.end(), element) != p.keep_stored.end();
}

const char kIdOnly[] = "PID|1||7001^^^FAC^MR||SAMPLE^ANN";
const char kFull[] =
    "PID|1||7001^^^FAC^MR||SAMPLE^ANN||19800101|F|||1 MAIN ST^^TOWN^ST^12345|CTY|"
    "^PRN^PH^^^555^1234567|^WPN^PH^^^555^7654321|en|M||||||||||||||N";

TEST(PatientUpdateTest, EmptyFieldsKeepTheStoredElements) {
  PartialUpdate p = PartialOf(Msg("ORU^R01", {kIdOnly, "OBR|1||F1|1^A^L"}), "Patient");
  for (const char* e : {"telecom", "address", "birthDate", "gender", "maritalStatus",
                        "communication", "deceasedBoolean", "deceasedDateTime",
                        "multipleBirthBoolean", "multipleBirthInteger", "generalPractitioner"}) {
    EXPECT_TRUE(Kept(p, e)) << e;
  }
  // Sent: replaced. Identity is never merged (it is what the update matches).
  EXPECT_FALSE(Kept(p, "name"));
  EXPECT_FALSE(Kept(p, "identifier"));
}

TEST(PatientUpdateTest, ValuedFieldsReplace) {
  PartialUpdate p = PartialOf(Msg("ADT^A08", {kFull}), "Patient");
  for (const char* e : {"telecom", "address", "birthDate", "gender", "maritalStatus",
                        "communication", "deceasedBoolean", "deceasedDateTime"}) {
    EXPECT_FALSE(Kept(p, e)) << e;
  }
}

TEST(PatientUpdateTest, ExplicitNullDeletes) {
  // PID-7, 8, 11, 13, 16 hold "".
  PartialUpdate p =
      PartialOf(Msg("ADT^A08", {"PID|1||7001^^^FAC^MR||SAMPLE^ANN||\"\"|\"\"|||\"\"||\"\"|||\"\""}),
                "Patient");
  for (const char* e : {"birthDate", "gender", "address", "telecom", "maritalStatus"})
    EXPECT_FALSE(Kept(p, e)) << e;
  EXPECT_TRUE(Kept(p, "communication"));  // PID-15 empty
}

TEST(PatientUpdateTest, ElementsOfSeveralFieldsAreKeptOnlyWhenAllAreEmpty) {
  // Work phone only: telecom is the message's.
  EXPECT_FALSE(Kept(
      PartialOf(Msg("ADT^A08", {std::string(kIdOnly) + "|||||||||^WPN^PH^^^555^1"}), "Patient"),
      "telecom"));
  // County only, or a null county: address is the message's.
  EXPECT_FALSE(
      Kept(PartialOf(Msg("ADT^A08", {std::string(kIdOnly) + "|||||||CTY"}), "Patient"), "address"));
  EXPECT_FALSE(Kept(PartialOf(Msg("ADT^A08", {std::string(kIdOnly) + "|||||||\"\""}), "Patient"),
                    "address"));
  // PID-29 (death time) valued, PID-30 empty: both choices are the message's.
  PartialUpdate dead = PartialOf(
      Msg("ADT^A08", {std::string(kIdOnly) + "||||||||||||||||||||||||202401010000"}), "Patient");
  EXPECT_FALSE(Kept(dead, "deceasedDateTime"));
  EXPECT_FALSE(Kept(dead, "deceasedBoolean"));
}

TEST(PatientUpdateTest, FieldOfDelimitersOnlySaysNothing) {
  PartialUpdate p =
      PartialOf(Msg("ADT^A08", {std::string(kIdOnly) + "||||||^^^^||^~^"}), "Patient");
  EXPECT_TRUE(Kept(p, "address"));
  EXPECT_TRUE(Kept(p, "telecom"));
}

TEST(PatientUpdateTest, Pd1SendsTheGeneralPractitioner) {
  PartialUpdate p = PartialOf(
      Msg("ADT^A08", {kIdOnly, "PD1|||CLINIC^^123|1234567890^DOC^DAN^^^^^^NPI"}), "Patient");
  EXPECT_FALSE(Kept(p, "generalPractitioner"));
  p = PartialOf(Msg("ADT^A08", {kIdOnly, "PD1|||\"\""}), "Patient");
  EXPECT_FALSE(Kept(p, "generalPractitioner"));
  p = PartialOf(Msg("ADT^A08", {kIdOnly, "PD1||||||||||||N"}), "Patient");
  EXPECT_TRUE(Kept(p, "generalPractitioner"));
}

// The key path `element` is merged by, or "-" when it is not merged.
std::string MergedBy(const PartialUpdate& p, const std::string& element) {
  for (const PartialUpdate::MergeBy& m : p.merge_by)
    if (m.element == element) return m.key_path;
  return "-";
}

TEST(PatientUpdateTest, ExtensionsAreMergedByUrlUnlessOneIsDeleted) {
  // Race only: the stored extensions of other urls stay, race is replaced.
  PartialUpdate p =
      PartialOf(Msg("ADT^A08", {std::string(kIdOnly) + "|||||2106-3^White^CDCREC"}), "Patient");
  EXPECT_EQ(MergedBy(p, "extension"), "url");
  // Religion "": the message's extensions stand alone.
  p = PartialOf(Msg("ADT^A08", {std::string(kIdOnly) + "||||||||||||\"\""}), "Patient");
  EXPECT_EQ(MergedBy(p, "extension"), "-");
  EXPECT_FALSE(Kept(p, "extension"));
  p = PartialOf(Msg("ADT^A08", {kIdOnly, "PD1||||||\"\""}), "Patient");  // PD1-6 handicap
  EXPECT_EQ(MergedBy(p, "extension"), "-");
  // Links come from events, never from a field: always merged.
  EXPECT_EQ(MergedBy(p, "link"), "other.reference");
}

TEST(PatientUpdateTest, MergeKeepsTheRetiredPatientsDemographics) {
  Converted c;
  ConvertText(Msg("ADT^A40", {kIdOnly, "MRG|6001^^^FAC^MR"}), {}, &c);
  ASSERT_TRUE(c.result.ok());
  int retired = 0;
  for (const MappedRecord& r : c.result.records()) {
    if (r.resource_type != "Patient" || r.identifiers.empty() || r.identifiers[0].second != "6001")
      continue;
    ++retired;
    for (const char* e : {"address", "telecom", "birthDate", "name", "extension"})
      EXPECT_TRUE(Kept(r.partial, e)) << e;
    EXPECT_FALSE(Kept(r.partial, "active"));
    EXPECT_EQ(MergedBy(r.partial, "link"), "other.reference");
  }
  EXPECT_EQ(retired, 1);
}

const char kVisitOnly[] = "PV1|1||||||||||||||||||V1^^^FAC^VN";

TEST(EncounterUpdateTest, EmptyFieldsKeepTheStoredElements) {
  PartialUpdate p =
      PartialOf(Msg("ORU^R01", {kIdOnly, kVisitOnly, "OBR|1||F1|1^A^L"}), "Encounter");
  for (const char* e :
       {"class", "status", "period", "location", "participant", "type", "serviceType",
        "hospitalization", "serviceProvider", "reasonCode", "priority", "length"}) {
    EXPECT_TRUE(Kept(p, e)) << e;
  }
  EXPECT_TRUE(Kept(p, "account"));  // PID-18 empty
  EXPECT_FALSE(Kept(p, "identifier"));
  EXPECT_FALSE(Kept(p, "subject"));
}

TEST(EncounterUpdateTest, SentOrDeletedFieldsAreTheMessages) {
  PartialUpdate p = PartialOf(
      Msg("ADT^A08", {kIdOnly, "PV1|1|I|\"\"||||1234567890^DOC^DAN^^^^^^NPI||||||||||||V1^^^FAC^VN",
                      "PV2|||R^Reason"}),
      "Encounter");
  EXPECT_FALSE(Kept(p, "class"));
  EXPECT_FALSE(Kept(p, "location"));
  EXPECT_FALSE(Kept(p, "participant"));
  EXPECT_FALSE(Kept(p, "reasonCode"));
  EXPECT_TRUE(Kept(p, "period"));
  // PID-18 account number sent, or "": Encounter.account is the message's.
  for (const char* account : {"A-1", "\"\""}) {
    p = PartialOf(Msg("ADT^A08", {std::string(kIdOnly) + "|||||||||||||" + account, kVisitOnly}),
                  "Encounter");
    EXPECT_FALSE(Kept(p, "account")) << account;
  }
  // The event sets the status (A03: finished), with or without PV1-45.
  p = PartialOf(Msg("ADT^A03", {kIdOnly, kVisitOnly}), "Encounter");
  EXPECT_FALSE(Kept(p, "status"));
  // PV1-44 sent: status and period are the message's.
  p = PartialOf(
      Msg("ORU^R01", {kIdOnly, std::string(kVisitOnly) + "|||||||||||||||||||||||||20240101",
                      "OBR|1||F1|1^A^L"}),
      "Encounter");
  EXPECT_FALSE(Kept(p, "status"));
  EXPECT_FALSE(Kept(p, "period"));
}

}  // namespace
}  // namespace gw::v2fhir::testing
