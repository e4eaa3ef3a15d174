// Unit tests of the datatype maps (datatypes.h).
#include <gtest/gtest.h>

#include "adapters/v2fhir/datatypes.h"
#include "adapters/v2fhir/test_util.h"
#include "fhir/json/canonical.h"

namespace gw::v2fhir::testing {
namespace {

using fhir::JsonValue;

std::string C(const JsonValue& v) { return Canonical(v); }

MappingConfig NewYork() {
  MappingConfig c;
  c.time_zone = "America/New_York";
  return c;
}

TEST(XpnTest, NameWithUseAndParts) {
  TestContext t({"PID|1||1^^^A||EVERYWOMAN^EVE^E^JR^MS^MD^L~DOE^J^^^^^M~X^^^^^^Q"});
  auto names = human_names_field(*t.ctx, t.seg("PID"), 5);
  ASSERT_EQ(names.size(), 3u);
  EXPECT_EQ(
      C(names[0]),
      R"({"family":"EVERYWOMAN","given":["EVE","E"],"prefix":["MS"],"suffix":["JR","MD"],"use":"official"})");
  EXPECT_EQ(C(names[1]), R"({"family":"DOE","given":["J"],"use":"maiden"})");
  EXPECT_EQ(C(names[2]), R"({"family":"X"})");  // unknown name type: no use
}

TEST(XpnTest, EmptyAndNullNamesAreSkipped) {
  TestContext t({"PID|1||1^^^A||\"\"~^^^^^^L"});
  EXPECT_TRUE(human_names_field(*t.ctx, t.seg("PID"), 5).empty());
}

TEST(XadTest, AddressUseAndType) {
  TestContext t(
      {"PID|1||1^^^A||N||||||1 MAIN ST^APT 4B^ANYTOWN^MA^01234^USA^H^^MIDDLESEX~PO BOX "
       "9^^X^^^^M~^^^^^^B"});
  auto a = addresses_field(*t.ctx, t.seg("PID"), 11);
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(
      C(a[0]),
      R"({"city":"ANYTOWN","country":"USA","district":"MIDDLESEX","line":["1 MAIN ST","APT 4B"],"postalCode":"01234","state":"MA","use":"home"})");
  EXPECT_EQ(C(a[1]), R"({"city":"X","line":["PO BOX 9"],"type":"postal"})");
}

TEST(XtnTest, V25ComponentsAndV23Text) {
  TestContext t(
      {"PID|1||1^^^A||N||||||||^PRN^PH^^1^617^5551212~^NET^Internet^a@example.org~(900)485-5344~^"
       "PRN^CP^^^^5553434|^WPN^FX^^1^617^5559876^22"});
  auto home = contact_points_field(*t.ctx, t.seg("PID"), 13, "home");
  ASSERT_EQ(home.size(), 4u);
  EXPECT_EQ(
      C(home[0]),
      R"({"extension":[{"url":"http://hl7.org/fhir/StructureDefinition/contactpoint-country","valueString":"1"},)"
      R"({"url":"http://hl7.org/fhir/StructureDefinition/contactpoint-area","valueString":"617"},)"
      R"({"url":"http://hl7.org/fhir/StructureDefinition/contactpoint-local","valueString":"5551212"}],)"
      R"("system":"phone","use":"home","value":"+1 617 5551212"})");
  EXPECT_EQ(C(home[1]), R"({"system":"email","value":"a@example.org"})");
  EXPECT_EQ(C(home[2]), R"({"system":"phone","use":"home","value":"(900)485-5344"})");
  EXPECT_EQ(
      C(home[3]),
      R"({"extension":[{"url":"http://hl7.org/fhir/StructureDefinition/contactpoint-local","valueString":"5553434"}],)"
      R"("system":"phone","use":"mobile","value":"5553434"})");
  auto work = contact_points_field(*t.ctx, t.seg("PID"), 14, "work");
  ASSERT_EQ(work.size(), 1u);
  EXPECT_EQ(C(*work[0].find("value")), R"("+1 617 5559876 ext. 22")");
  EXPECT_EQ(C(*work[0].find("system")), R"("fax")");
  EXPECT_EQ(work[0].find("extension")->items().size(), 4u);
}

// Equipment and use codes per the IG, periods (XTN-13/14), rank (XTN-18),
// and a telecom the reader refuses is kept as text, with a warning.
TEST(XtnTest, EquipmentUsePeriodRankAndUnreadable) {
  TestContext t(
      {"PID|1||1^^^A||N||||||||^ORN^BP^^^^5550001~^PRS^PH^^^^5550002^^^^^^20240101^"
       "20241231^^^^2~^^X.400^x400@example.org~^ASN^TDD^^^^5550003"});
  auto c = contact_points_field(*t.ctx, t.seg("PID"), 13, "home");
  ASSERT_EQ(c.size(), 4u);
  EXPECT_EQ(C(*c[0].find("system")), R"("pager")");
  EXPECT_EQ(c[0].find("use"), nullptr);  // ORN (other residence) has no counterpart
  EXPECT_EQ(C(*c[1].find("use")), R"("mobile")");
  EXPECT_EQ(C(*c[1].find("period")), R"({"end":"2024-12-31","start":"2024-01-01"})");
  EXPECT_EQ(C(*c[1].find("rank")), "2");
  EXPECT_EQ(C(*c[2].find("system")), R"("email")");
  EXPECT_EQ(C(*c[3].find("system")), R"("other")");
  EXPECT_TRUE(t.ctx->errors().empty());
}

TEST(XadTest, StreetPartsAndPeriod) {
  TestContext t(
      {"PID|1||1^^^A||N||||||&Elm Street&12^^Springfield^IL^62701^USA^H^^^^^"
       "20200101&20231231~Main St 5^^X^^^^^^^^^^20240101"});
  auto a = addresses_field(*t.ctx, t.seg("PID"), 11);
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(C(*a[0].find("line")), R"(["12 Elm Street"])");
  EXPECT_EQ(
      C(*a[0].find("_line")),
      R"([{"extension":[{"url":"http://hl7.org/fhir/StructureDefinition/iso21090-ADXP-streetName",)"
      R"("valueString":"Elm Street"},{"url":"http://hl7.org/fhir/StructureDefinition/)"
      R"(iso21090-ADXP-houseNumber","valueString":"12"}]}])");
  EXPECT_EQ(C(*a[0].find("period")), R"({"end":"2023-12-31","start":"2020-01-01"})");
  EXPECT_EQ(C(*a[1].find("period")), R"({"start":"2024-01-01"})");
}

TEST(XpnTest, NamePeriods) {
  TestContext t({"PID|1||1^^^A||DOE^JANE^^^^^L^^^20000101&20191231~ROE^JANE^^^^^L^^^^^20200101"});
  auto n = human_names_field(*t.ctx, t.seg("PID"), 5);
  ASSERT_EQ(n.size(), 2u);
  EXPECT_EQ(C(*n[0].find("period")), R"({"end":"2019-12-31","start":"2000-01-01"})");
  EXPECT_EQ(C(*n[1].find("period")), R"({"start":"2020-01-01"})");
}

TEST(CxTest, SystemsFromConfigOidAndFallback) {
  MappingConfig cfg;
  cfg.identifier_systems["HOSP"] = "http://hosp.example.org/mrn";
  cfg.identifier_systems["1.2.3.4"] = "http://by-oid.example.org/id";
  TestContext t({"PID|1||1^^^HOSP^MR~2^^^X&1.2.3.4&ISO~3^^^&2.16.840.1.113883.4.1&ISO^SS~4^^^OTHER^"
                 "PI~5^^^^MR~6"},
                cfg);
  auto ids = identifiers_field(*t.ctx, t.seg("PID"), 3);
  ASSERT_EQ(ids.size(), 6u);
  EXPECT_EQ(
      C(ids[0]),
      R"({"system":"http://hosp.example.org/mrn","type":{"coding":[{"code":"MR","system":"http://terminology.hl7.org/CodeSystem/v2-0203"}]},"value":"1"})");
  EXPECT_EQ(C(ids[1]), R"({"system":"http://by-oid.example.org/id","value":"2"})");
  EXPECT_EQ(
      C(ids[2]),
      R"({"system":"urn:oid:2.16.840.1.113883.4.1","type":{"coding":[{"code":"SS","system":"http://terminology.hl7.org/CodeSystem/v2-0203"}]},"value":"3"})");
  EXPECT_EQ(ids[3].find("system")->text(), "urn:gateway:sender:FAC:authority:OTHER");
  EXPECT_EQ(ids[4].find("system")->text(), "urn:gateway:sender:FAC:type:MR");
  EXPECT_EQ(ids[5].find("system")->text(), "urn:gateway:sender:FAC:authority:unknown");
  // Three fallbacks -> three warnings, located, without values.
  ASSERT_EQ(t.ctx->warnings().size(), 3u);
  EXPECT_EQ(t.ctx->warnings()[0].location.to_string(), "PID-3(4)");
  for (const auto& w : t.ctx->warnings()) EXPECT_EQ(w.text.find("OTHER"), std::string::npos);
}

TEST(CweTest, BothTripletsAndSystems) {
  TestContext t(
      {"OBX|1|CWE|600-7^Bacteria^LN||3092008^Staph^SCT^STAU^Staph aureus^HL70078^v1^v2^Original"});
  JsonValue cc = codeable_concept_field(*t.ctx, t.seg("OBX"), 5);
  EXPECT_EQ(
      C(cc),
      R"({"coding":[{"code":"3092008","display":"Staph","system":"http://snomed.info/sct","version":"v1"},{"code":"STAU","display":"Staph aureus","system":"http://terminology.hl7.org/CodeSystem/v2-0078","version":"v2"}],"text":"Original"})");
  EXPECT_TRUE(t.ctx->warnings().empty());
}

TEST(CweTest, SystemTable) {
  TestContext t({"PID|1"});
  for (auto [name, uri] : std::vector<std::pair<std::string, std::string>>{
           {"LN", "http://loinc.org"},
           {"SCT", "http://snomed.info/sct"},
           {"SNM", "http://snomed.info/sct"},
           {"I10", "http://hl7.org/fhir/sid/icd-10"},
           {"I10C", "http://hl7.org/fhir/sid/icd-10-cm"},
           {"I9C", "http://hl7.org/fhir/sid/icd-9-cm"},
           {"CVX", "http://hl7.org/fhir/sid/cvx"},
           {"RXNORM", "http://www.nlm.nih.gov/research/umls/rxnorm"},
           {"RxNorm", "http://www.nlm.nih.gov/research/umls/rxnorm"},
           {"UCUM", "http://unitsofmeasure.org"},
           {"NDC", "http://hl7.org/fhir/sid/ndc"},
           {"CPT", "http://www.ama-assn.org/go/cpt"},
           {"CPT4", "http://www.ama-assn.org/go/cpt"},
           {"NCIT", "http://ncicb.nci.nih.gov/xml/owl/EVS/Thesaurus.owl"},
           {"HL70001", "http://terminology.hl7.org/CodeSystem/v2-0001"},
           {"L", ""},
           {"99LAB", ""},
       }) {
    EXPECT_EQ(coding_system_uri(*t.ctx, name), uri) << name;
  }
}

TEST(CweTest, LocalCodesTranslatedOrKeptWithWarning) {
  MappingConfig cfg;
  cfg.code_translations.push_back({"99LAB", "GLU", "http://loinc.org", "2345-7", "Glucose"});
  cfg.coding_systems["MYSYS"] = "http://my.example.org/cs";
  TestContext t({"OBX|1|CWE|GLU^Glucose^99LAB~K^Potassium^99LAB~X^Y^MYSYS~Q^^WHAT"}, cfg);
  auto ccs = codeable_concepts_field(*t.ctx, t.seg("OBX"), 3);
  ASSERT_EQ(ccs.size(), 4u);
  EXPECT_EQ(
      C(ccs[0]),
      R"({"coding":[{"code":"2345-7","display":"Glucose","system":"http://loinc.org"},{"code":"GLU","display":"Glucose","system":"urn:gateway:sender:FAC:codesystem:99LAB"}],"text":"Glucose"})");
  EXPECT_EQ(
      C(ccs[1]),
      R"({"coding":[{"code":"K","display":"Potassium","system":"urn:gateway:sender:FAC:codesystem:99LAB"}],"text":"Potassium"})");
  EXPECT_EQ(ccs[2].find("coding")->items()[0].find("system")->text(), "http://my.example.org/cs");
  ASSERT_EQ(t.ctx->warnings().size(), 2u);  // K untranslated, WHAT unknown
  EXPECT_EQ(t.ctx->warnings()[0].location.to_string(), "OBX-3(2)");
  EXPECT_EQ(t.ctx->warnings()[0].text, "local code without configured translation");
  EXPECT_EQ(t.ctx->warnings()[1].text, "unknown coding system");
}

TEST(CweTest, TextOnly) {
  TestContext t({"DG1|1||^Chest pain"});
  EXPECT_EQ(C(codeable_concept_field(*t.ctx, t.seg("DG1"), 3)), R"({"text":"Chest pain"})");
}

std::string Time(TestContext& t, int field, TimeKind kind) {
  return time_field(*t.ctx, t.seg("OBX"), field, kind);
}

TEST(TsTest, PrecisionAndZoneCompletion) {
  TestContext t({"OBX|1|2024|20240315|2024031510|202403151030|20240315103005.25|20240715103000|"
                 "20240315103000+0100|20240315103000-0000|2024-03"},
                NewYork());
  EXPECT_EQ(Time(t, 2, TimeKind::kDateTime), "2024");
  EXPECT_EQ(Time(t, 3, TimeKind::kDateTime), "2024-03-15");
  EXPECT_EQ(Time(t, 4, TimeKind::kDateTime),
            "2024-03-15T10:00:00-04:00");  // hour only; EDT since 10 March
  EXPECT_EQ(Time(t, 5, TimeKind::kDateTime), "2024-03-15T10:30:00-04:00");
  EXPECT_EQ(Time(t, 6, TimeKind::kDateTime), "2024-03-15T10:30:05.25-04:00");
  EXPECT_EQ(Time(t, 7, TimeKind::kDateTime), "2024-07-15T10:30:00-04:00");
  EXPECT_EQ(Time(t, 8, TimeKind::kDateTime), "2024-03-15T10:30:00+01:00");  // sent offset wins
  EXPECT_EQ(Time(t, 9, TimeKind::kDateTime), "2024-03-15T10:30:00Z");
  EXPECT_EQ(Time(t, 8, TimeKind::kDate), "2024-03-15");
  EXPECT_EQ(Time(t, 5, TimeKind::kInstant), "2024-03-15T10:30:00-04:00");
  EXPECT_TRUE(t.ctx->errors().empty());
  EXPECT_EQ(Time(t, 3, TimeKind::kInstant), "");  // a date is not an instant
  EXPECT_EQ(t.ctx->warnings().size(), 1u);
  EXPECT_EQ(Time(t, 10, TimeKind::kDateTime), "");  // malformed: named, not fatal
  EXPECT_TRUE(t.ctx->errors().empty());
  ASSERT_EQ(t.ctx->warnings().size(), 2u);
  EXPECT_EQ(t.ctx->warnings()[1].location.to_string(), "OBX-10");
  EXPECT_EQ(t.ctx->warnings()[1].text, "invalid timestamp: not mapped");
}

TEST(TsTest, WinterAndFixedOffsetZones) {
  TestContext t({"OBX|1|20240115083000"}, NewYork());
  EXPECT_EQ(Time(t, 2, TimeKind::kDateTime), "2024-01-15T08:30:00-05:00");
  MappingConfig fixed;
  fixed.time_zone = "+05:30";
  TestContext u({"OBX|1|20240115083000"}, fixed);
  EXPECT_EQ(time_field(*u.ctx, u.seg("OBX"), 2, TimeKind::kDateTime), "2024-01-15T08:30:00+05:30");
}

TEST(QuantityTest, UcumAndText) {
  auto unit = [](std::string code, std::string text, std::string system) {
    hl7::CWE u;
    u.identifier = std::move(code);
    u.text = std::move(text);
    u.coding_system = std::move(system);
    return u;
  };
  hl7::CWE ucum = unit("mg/dL", "mg/dL", "UCUM");
  EXPECT_EQ(C(quantity("1.50", ucum)),
            R"({"code":"mg/dL","system":"http://unitsofmeasure.org","unit":"mg/dL","value":1.50})");
  hl7::CWE known = unit("mmol/L", "", "");
  EXPECT_EQ(C(quantity("4", known)),
            R"({"code":"mmol/L","system":"http://unitsofmeasure.org","unit":"mmol/L","value":4})");
  hl7::CWE local = unit("CELLS", "cells per field", "L");
  EXPECT_EQ(C(quantity("4", local)), R"({"unit":"cells per field","value":4})");
  EXPECT_EQ(C(quantity("4", {})), R"({"value":4})");
}

TEST(XcnTest, PractitionerDeduplicated) {
  TestContext t({"PV1|1|I|||||123^DOC^ANN^^^DR^^^NPI|123^DOC^ANN^^^DR^^^NPI|^NONAME"});
  Seg pv1 = t.seg("PV1");
  EntryRef a = practitioner_from_xcn(*t.ctx, pv1.view.at(7, 1), MappingContext::location(pv1, 7));
  EntryRef b = practitioner_from_xcn(*t.ctx, pv1.view.at(8, 1), MappingContext::location(pv1, 8));
  EntryRef c = practitioner_from_xcn(*t.ctx, pv1.view.at(9, 1), MappingContext::location(pv1, 9));
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  EXPECT_EQ(
      C(t.ctx->resource(a)),
      R"({"identifier":[{"system":"http://hl7.org/fhir/sid/us-npi","value":"123"}],"name":[{"family":"DOC","given":["ANN"],"prefix":["DR"]}],"resourceType":"Practitioner"})");
  // No id: a minted identifier keyed by the name.
  EXPECT_EQ(t.ctx->resource(c).find("identifier")->items()[0].find("system")->text(),
            "urn:gateway:sender:FAC:resource-id");
}

}  // namespace
}  // namespace gw::v2fhir::testing
