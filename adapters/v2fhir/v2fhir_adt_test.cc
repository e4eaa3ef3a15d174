// ADT family: one bad field never loses a message (each former refusal of an
// ADT segment is now a located warning with the message still converting),
// the patient identity fallbacks, and the per-event rules of the message table.
#include <gtest/gtest.h>

#include <string>

#include "adapters/v2fhir/test_expect.h"

namespace gw::v2fhir::testing {
namespace {

using fhir::JsonValue;

std::string Msg(std::string_view type, std::initializer_list<std::string> segments) {
  std::string out =
      "MSH|^~\\&|APP|FAC|GW|GWFAC|20240315103005||" + std::string(type) + "|C1|P|2.5.1\r";
  for (const auto& s : segments) out += s + "\r";
  return out;
}

std::string DataAbsent(const JsonValue& element) {
  const JsonValue* ext = element.find("extension");
  if (ext == nullptr || ext->items().empty()) return {};
  const JsonValue& e = ext->items().front();
  if (e.find("url")->text() != "http://hl7.org/fhir/StructureDefinition/data-absent-reason")
    return {};
  return e.find("valueCode")->text();
}

const std::string kPid = "PID|1||7001^^^FAC^MR||SECRETFAMILY^ANN||19800101|F";

TEST(AdtFieldTest, Al1WithoutAllergenIsKeptWithDataAbsentCode) {
  Converted c;
  ConvertText(Msg("ADT^A01", {kPid, "AL1|1|DA||SV|SECRETREACTION"}), {}, &c);
  ASSERT_TRUE(c.result.ok()) << c.result.errors.size();
  EXPECT_TRUE(HasWarning(c.result, "AL1-3", "allergen code missing"));
  auto allergies = Resources(c.result, "AllergyIntolerance");
  ASSERT_EQ(allergies.size(), 1u);
  EXPECT_EQ(DataAbsent(*allergies[0]->find("code")), "unknown");
  EXPECT_EQ(allergies[0]->find("criticality")->text(), "high");
  ExpectNoContent(c.result, {"SECRETFAMILY", "SECRETREACTION"});
}

TEST(AdtFieldTest, Dg1WithoutCodeKeepsDescriptionOrDataAbsent) {
  Converted a;
  ConvertText(Msg("ADT^A01", {kPid, "PV1|1|I|W^1^1|||||||||||||||V1^^^FAC^VN",
                              "DG1|1|||Chest pain|20240315|A"}),
              {}, &a);
  ASSERT_TRUE(a.result.ok());
  auto conditions = Resources(a.result, "Condition");
  ASSERT_EQ(conditions.size(), 1u);
  EXPECT_EQ(conditions[0]->find("code")->find("text")->text(), "Chest pain");
  Converted b;
  ConvertText(Msg("ADT^A01", {kPid, "PV1|1|I|W^1^1|||||||||||||||V1^^^FAC^VN",
                              "DG1|1||||20240315|A|||||||||1"}),
              {}, &b);
  ASSERT_TRUE(b.result.ok());
  EXPECT_TRUE(HasWarning(b.result, "DG1-3", "diagnosis code missing"));
  conditions = Resources(b.result, "Condition");
  ASSERT_EQ(conditions.size(), 1u);
  EXPECT_EQ(DataAbsent(*conditions[0]->find("code")), "unknown");
  // Still linked from the Encounter with its use and rank.
  auto encounters = Resources(b.result, "Encounter");
  ASSERT_EQ(encounters.size(), 1u);
  const JsonValue& diagnosis = encounters[0]->find("diagnosis")->items().at(0);
  EXPECT_EQ(diagnosis.find("rank")->text(), "1");
  EXPECT_EQ(diagnosis.find("use")->find("coding")->items().at(0).find("code")->text(), "AD");
}

TEST(AdtFieldTest, Pr1WithoutCodeIsKept) {
  Converted c;
  ConvertText(Msg("ADT^A01", {kPid, "PR1|1||||20240315080000"}), {}, &c);
  ASSERT_TRUE(c.result.ok());
  EXPECT_TRUE(HasWarning(c.result, "PR1-3", "procedure code missing"));
  auto procedures = Resources(c.result, "Procedure");
  ASSERT_EQ(procedures.size(), 1u);
  EXPECT_EQ(DataAbsent(*procedures[0]->find("code")), "unknown");
}

TEST(AdtFieldTest, In1WithoutInsurerHasDataAbsentPayor) {
  Converted c;
  ConvertText(Msg("ADT^A01", {kPid, "IN1|1|PLAN1^Gold plan||||||GRP1|||||||||SEL"}), {}, &c);
  ASSERT_TRUE(c.result.ok());
  EXPECT_TRUE(HasWarning(c.result, "IN1-3", "insurance company missing"));
  auto coverages = Resources(c.result, "Coverage");
  ASSERT_EQ(coverages.size(), 1u);
  EXPECT_EQ(DataAbsent(coverages[0]->find("payor")->items().at(0)), "unknown");
  // The insured is the patient: subscriber and policy holder.
  auto patients = Resources(c.result, "Patient");
  ASSERT_EQ(patients.size(), 1u);
  EXPECT_NE(coverages[0]->find("subscriber"), nullptr);
}

TEST(AdtFieldTest, MrgWithoutPriorIdWarnsAndMapsTheRest) {
  Converted c;
  ConvertText(Msg("ADT^A40", {kPid, "MRG|||||||SECRETOLDNAME"}), {}, &c);
  ASSERT_TRUE(c.result.ok());
  EXPECT_TRUE(HasWarning(c.result, "MRG-1", "prior patient identifier missing"));
  EXPECT_EQ(Resources(c.result, "Patient").size(), 1u);
  ExpectNoContent(c.result, {"SECRETOLDNAME", "SECRETFAMILY"});
}

TEST(AdtFieldTest, MrgEqualToSurvivorWarns) {
  Converted c;
  ConvertText(Msg("ADT^A40", {kPid, "MRG|7001^^^FAC^MR"}), {}, &c);
  ASSERT_TRUE(c.result.ok());
  EXPECT_TRUE(HasWarning(c.result, "MRG-1", "equals surviving"));
  EXPECT_EQ(Resources(c.result, "Patient").size(), 1u);
}

// A merge retires the MRG patient; a move (A43 identifiers, A44 account,
// A45 visit) takes something from a patient who lives on.
TEST(AdtEventTest, OnlyMergesRetireThePriorPatient) {
  Converted merge;
  ConvertText(Msg("ADT^A40", {kPid, "MRG|7000^^^FAC^MR"}), {}, &merge);
  ASSERT_TRUE(merge.result.ok()) << Issues(merge);
  ASSERT_EQ(Resources(merge.result, "Patient").size(), 2u);
  EXPECT_FALSE(Resources(merge.result, "Patient")[1]->find("active")->as_bool());
  for (const char* move : {"ADT^A43", "ADT^A44", "ADT^A45"}) {
    Converted c;
    ConvertText(Msg(move, {kPid, "MRG|7000^^^FAC^MR|||V1^^^FAC^VN", "PV1|1|O"}), {}, &c);
    ASSERT_TRUE(c.result.ok()) << move << ": " << Issues(c);
    ASSERT_EQ(Resources(c.result, "Patient").size(), 1u) << move;
    EXPECT_EQ(Resources(c.result, "Patient")[0]->find("link"), nullptr) << move;
    EXPECT_TRUE(HasWarning(c.result, "MRG-1", "prior patient of a move")) << move;
  }
}

TEST(AdtFieldTest, MrgBeforeAnyPidWarnsAndMapsTheRest) {
  Converted c;
  ConvertText(Msg("ADT^A40", {"MRG|7000^^^FAC^MR", kPid}), {}, &c);
  ASSERT_TRUE(c.result.ok());
  EXPECT_TRUE(HasWarning(c.result, "MRG", "without a preceding PID"));
  EXPECT_EQ(Resources(c.result, "Patient").size(), 1u);
}

TEST(AdtIdentityTest, EmptyPid3FallsBackToSsn) {
  Converted c;
  ConvertText(Msg("ADT^A04", {"PID|1||||SECRETFAMILY^ANN||19800101|F|||||||||||999-00-1234"}), {},
              &c);
  ASSERT_TRUE(c.result.ok());
  EXPECT_TRUE(HasWarning(c.result, "PID-3", "identity taken from another PID identifier"));
  auto patients = Resources(c.result, "Patient");
  ASSERT_EQ(patients.size(), 1u);
  const JsonValue& id = patients[0]->find("identifier")->items().at(0);
  EXPECT_EQ(id.find("system")->text(), "http://hl7.org/fhir/sid/us-ssn");
  ExpectNoContent(c.result, {"999-00-1234", "SECRETFAMILY"});
}

TEST(AdtIdentityTest, EmptyPid3FallsBackToDriversLicence) {
  Converted c;
  ConvertText(Msg("ADT^A04", {"PID|1||||DOE^ANN||19800101|F||||||||||||S99^MA"}), {}, &c);
  ASSERT_TRUE(c.result.ok());
  auto patients = Resources(c.result, "Patient");
  ASSERT_EQ(patients.size(), 1u);
  const JsonValue& id = patients[0]->find("identifier")->items().at(0);
  EXPECT_EQ(id.find("type")->find("coding")->items().at(0).find("code")->text(), "DL");
  EXPECT_EQ(id.find("value")->text(), "S99");
}

TEST(AdtIdentityTest, NoPatientIdentityAtAllRefuses) {
  Converted c;
  ConvertText(
      Msg("ADT^A04", {"PID|1||||SECRETFAMILY^ANN||19800101|F", "AL1|1|DA|70618^Pen^RXNORM"}), {},
      &c);
  ASSERT_FALSE(c.result.ok());
  ASSERT_EQ(c.result.errors.size(), 1u);
  EXPECT_EQ(c.result.errors[0].location.to_string(), "PID-3");
  ExpectNoContent(c.result, {"SECRETFAMILY"});
}

TEST(AdtPatientTest, RaceOutsideCdcIsKeptAsTextWithWarning) {
  Converted c;
  ConvertText(Msg("ADT^A08", {"PID|1||7001^^^FAC^MR||DOE^ANN||19800101|F||W^Weiss^L"}), {}, &c);
  ASSERT_TRUE(c.result.ok());
  EXPECT_TRUE(HasWarning(c.result, "PID-10", "not CDC race"));
  const JsonValue& ext = Resources(c.result, "Patient")[0]->find("extension")->items().at(0);
  EXPECT_EQ(ext.find("url")->text(),
            "http://hl7.org/fhir/us/core/StructureDefinition/us-core-race");
  ASSERT_EQ(ext.find("extension")->items().size(), 1u);  // text only
  EXPECT_EQ(ext.find("extension")->items()[0].find("valueString")->text(), "Weiss");
}

TEST(AdtPatientTest, BirthTimeAndEthnicityLetters) {
  Converted c;
  ConvertText(Msg("ADT^A08", {"PID|1||7001^^^FAC^MR||DOE^ANN||198001010730|F||||||||||||||N"}), {},
              &c);
  ASSERT_TRUE(c.result.ok());
  const JsonValue& p = *Resources(c.result, "Patient")[0];
  EXPECT_EQ(p.find("birthDate")->text(), "1980-01-01");
  const JsonValue& birth_time = p.find("_birthDate")->find("extension")->items().at(0);
  EXPECT_EQ(birth_time.find("valueDateTime")->text().substr(0, 19), "1980-01-01T07:30:00");
  const JsonValue& eth = p.find("extension")->items().at(0);
  EXPECT_EQ(eth.find("extension")->items()[0].find("valueCoding")->find("code")->text(), "2186-5");
}

TEST(AdtEventTest, A29DeactivatesAndA24Links) {
  Converted a;
  ConvertText(Msg("ADT^A29", {kPid}), {}, &a);
  ASSERT_TRUE(a.result.ok());
  EXPECT_FALSE(Resources(a.result, "Patient")[0]->find("active")->as_bool());
  Converted b;
  ConvertText(Msg("ADT^A24", {kPid, "PID|1||7002^^^FAC^MR||DOE^ANN||19800101|F"}), {}, &b);
  ASSERT_TRUE(b.result.ok());
  auto patients = Resources(b.result, "Patient");
  ASSERT_EQ(patients.size(), 2u);
  for (const JsonValue* p : patients)
    EXPECT_EQ(p->find("link")->items().at(0).find("type")->text(), "seealso");
}

TEST(AdtEventTest, EncounterStatusPerEvent) {
  const struct {
    const char* type;
    const char* status;
  } kCases[] = {{"ADT^A21", "onleave"},          {"ADT^A14", "planned"},
                {"ADT^A23", "entered-in-error"}, {"ADT^A27", "cancelled"},
                {"ADT^A06", "in-progress"},      {"ADT^A16", "in-progress"}};
  for (const auto& k : kCases) {
    Converted c;
    ConvertText(Msg(k.type, {kPid, "PV1|1|I|W^1^1|||||||||||||||V1^^^FAC^VN"}), {}, &c);
    ASSERT_TRUE(c.result.ok()) << k.type;
    EXPECT_EQ(Resources(c.result, "Encounter")[0]->find("status")->text(), k.status) << k.type;
  }
}

TEST(AdtEventTest, A17SwapsBothEncounters) {
  Converted c;
  ConvertText(Msg("ADT^A17", {kPid, "PV1|1|I|W^2^B|||W^1^A|||||||||||||V1^^^FAC^VN",
                              "PID|1||7002^^^FAC^MR||DOE^BEN||19700101|M",
                              "PV1|1|I|W^1^A|||W^2^B|||||||||||||V2^^^FAC^VN"}),
              {}, &c);
  ASSERT_TRUE(c.result.ok());
  auto encounters = Resources(c.result, "Encounter");
  ASSERT_EQ(encounters.size(), 2u);
  // Each encounter's active bed is the other's completed one.
  auto loc = [](const JsonValue* e, size_t i) {
    return e->find("location")->items().at(i).find("location")->find("reference")->text();
  };
  EXPECT_EQ(loc(encounters[0], 0), loc(encounters[1], 1));
  EXPECT_EQ(loc(encounters[0], 1), loc(encounters[1], 0));
  EXPECT_NE(encounters[0]->find("subject")->find("reference")->text(),
            encounters[1]->find("subject")->find("reference")->text());
}

TEST(AdtLocationTest, PlLevelsAreChainedByPartOf) {
  Converted c;
  ConvertText(Msg("ADT^A01", {kPid, "PV1|1|I|4E^412^B^HOSP^O^N^MAIN^4|||||||||||||||V1^^^FAC^VN"}),
              {}, &c);
  ASSERT_TRUE(c.result.ok());
  auto locations = Resources(c.result, "Location");
  ASSERT_EQ(locations.size(), 6u);  // facility, building, floor, ward, room, bed
  const char* kTypes[] = {"si", "bu", "lvl", "wa", "ro", "bd"};
  for (size_t i = 0; i < 6; ++i) {
    EXPECT_EQ(locations[i]->find("physicalType")->find("coding")->items()[0].find("code")->text(),
              kTypes[i]);
    EXPECT_EQ(locations[i]->find("partOf") != nullptr, i > 0);
  }
  EXPECT_EQ(locations[5]->find("operationalStatus")->find("code")->text(), "O");
}

}  // namespace
}  // namespace gw::v2fhir::testing
