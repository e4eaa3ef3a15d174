// Message-level tests of convert_message: errors, events, groups, ids,
// requests, Z-segments, determinism and content-free issues.
#include <gtest/gtest.h>

#include "adapters/v2fhir/test_expect.h"
#include "fhir/json/canonical.h"

namespace gw::v2fhir::testing {
namespace {

using fhir::JsonValue;

std::string Msg(std::initializer_list<std::string> segments) {
  std::string out;
  for (const auto& s : segments) out += s + "\r";
  return out;
}

const std::string kMsh = "MSH|^~\\&|APP|FAC|GW|GWFAC|20240315103005||";

std::string Request(const ConversionResult& r, std::string_view type) {
  for (const JsonValue& e : r.bundle.find("entry")->items()) {
    if (e.find("resource")->find("resourceType")->text() == type)
      return e.find("request")->find("url")->text();
  }
  return {};
}

TEST(ConvertTest, UnsupportedType) {
  Converted c;
  ConvertText(Msg({kMsh + "ADT^A99|C1|P|2.5.1", "PID|1||1^^^A"}), {}, &c);
  ASSERT_TRUE(c.parsed.ok());
  ASSERT_EQ(c.result.errors.size(), 1u);
  EXPECT_EQ(c.result.errors[0].location.to_string(), "MSH-9");
  EXPECT_EQ(c.result.errors[0].text, "unsupported message type ADT^A99");
  EXPECT_FALSE(c.result.ok());
  EXPECT_TRUE(c.result.bundle.is_null());
}

// An ADT event HL7 defines but the table does not list keeps its data:
// mapped segment by segment, with a warning at MSH-9.
TEST(ConvertTest, UnlistedAdtEventIsMappedSegmentBySegment) {
  Converted c;
  ConvertText(Msg({kMsh + "ADT^A18|C1|P|2.5.1", "PID|1||1^^^A||DOE^JANE", "PV1|1|I|W^1^2"}), {},
              &c);
  ASSERT_TRUE(c.result.ok()) << Issues(c.result);
  EXPECT_EQ(Resources(c.result, "Patient").size(), 1u);
  EXPECT_EQ(Resources(c.result, "Encounter").size(), 1u);
  bool warned = false;
  for (const auto& w : c.result.warnings)
    warned |=
        w.location.to_string() == "MSH-9" && w.text.find("event semantics") != std::string::npos;
  EXPECT_TRUE(warned);
}

// v2.7+ senders put every number in PID-40 with its own use code.
TEST(ConvertTest, Pid40TelecomSupersedesPid13And14) {
  Converted c;
  ConvertText(
      Msg({kMsh + "ADT^A08|C1|P|2.7",
           "PID|1||1^^^A||DOE^JANE|||F|||||^PRN^PH^^1^555^1111000|||||||||||||||||||||||||||"
           "^PRS^CP^^1^555^2222000~^NET^Internet^jane@example.org"}),
      {}, &c);
  ASSERT_TRUE(c.result.ok()) << Issues(c.result);
  const JsonValue* telecom = Resources(c.result, "Patient")[0]->find("telecom");
  ASSERT_NE(telecom, nullptr);
  ASSERT_EQ(telecom->items().size(), 2u);
  EXPECT_EQ(telecom->items()[0].find("use")->text(), "mobile");
  EXPECT_EQ(telecom->items()[1].find("system")->text(), "email");
  bool warned = false;
  for (const auto& w : c.result.warnings) warned |= w.location.to_string() == "PID-13";
  EXPECT_TRUE(warned);
}

TEST(ConvertTest, RequiredSegmentsAndFields) {
  Converted a;
  ConvertText(Msg({kMsh + "ADT^A01|C1|P|2.5.1", "EVN|A01"}), {}, &a);
  ASSERT_EQ(a.result.errors.size(), 1u);
  EXPECT_EQ(a.result.errors[0].location.to_string(), "PID");
  Converted b;
  ConvertText(Msg({kMsh + "ADT^A01|C1|P|2.5.1", "PID|1||||SECRETNAME^X"}), {}, &b);
  ASSERT_EQ(b.result.errors.size(), 1u);
  EXPECT_EQ(b.result.errors[0].location.to_string(), "PID-3");
  ExpectNoContent(b.result, {"SECRETNAME"});
  Converted c;
  ConvertText(Msg({kMsh + "ADT^A40|C1|P|2.5.1", "PID|1||1^^^A"}), {}, &c);
  ASSERT_EQ(c.result.errors.size(), 1u);
  EXPECT_EQ(c.result.errors[0].location.to_string(), "MRG");
}

// Groups the standard makes optional are not required: a registry's VXU
// with demographics only, an ORM from a sender that leaves ORC out.
TEST(ConvertTest, OptionalOrderGroupsAreNotRequired) {
  Converted vxu;
  ConvertText(Msg({kMsh + "VXU^V04^VXU_V04|C1|P|2.6", "PID|1||1234^^^A^MR||DOE^JANE||20100101|F"}),
              {}, &vxu);
  ASSERT_TRUE(vxu.result.ok()) << Issues(vxu);
  EXPECT_EQ(Resources(vxu.result, "Patient").size(), 1u);
  EXPECT_TRUE(Resources(vxu.result, "Immunization").empty());
  Converted orm;
  ConvertText(Msg({kMsh + "ORM^O01|C1|P|2.3", "PID|1||1234^^^A^MR||DOE^JANE",
                   "OBR|1|PL1^CPOE||85025^CBC^CPT|||20240315100000"}),
              {}, &orm);
  ASSERT_TRUE(orm.result.ok()) << Issues(orm);
  ASSERT_EQ(Resources(orm.result, "ServiceRequest").size(), 1u);
  const fhir::JsonValue* code = Resources(orm.result, "ServiceRequest")[0]->find("code");
  ASSERT_NE(code, nullptr);
  EXPECT_EQ(code->find("coding")->items()[0].find("code")->text(), "85025");
}

TEST(ConvertTest, EncounterStatusAndClassByEvent) {
  struct Case {
    std::string event, patient_class, status, cls;
  };
  for (const Case& k : std::vector<Case>{{"A01", "I", "in-progress", "IMP"},
                                         {"A03", "O", "finished", "AMB"},
                                         {"A04", "E", "arrived", "EMER"},
                                         {"A05", "P", "planned", "PRENC"},
                                         {"A11", "I", "cancelled", "IMP"},
                                         {"A13", "I", "in-progress", "IMP"}}) {
    Converted c;
    ConvertText(Msg({kMsh + "ADT^" + k.event + "|C1|P|2.5.1", "PID|1||1^^^A",
                     "PV1|1|" + k.patient_class + "|W^1^2||||||||||||||||V1^^^A^VN"}),
                {}, &c);
    ASSERT_TRUE(c.result.ok()) << k.event;
    auto enc = Resources(c.result, "Encounter");
    ASSERT_EQ(enc.size(), 1u);
    EXPECT_EQ(enc[0]->find("status")->text(), k.status) << k.event;
    EXPECT_EQ(enc[0]->find("class")->find("code")->text(), k.cls) << k.event;
  }
  // A08: from PV1-44/45.
  Converted c;
  ConvertText(
      Msg({kMsh + "ADT^A08|C1|P|2.5.1", "PID|1||1^^^A",
           "PV1|1|I|W||||||||||||||||V1^^^A|||||||||||||||||||||||||202403150900|202403161000"}),
      {}, &c);
  ASSERT_TRUE(c.result.ok()) << Issues(c.result);
  EXPECT_EQ(Resources(c.result, "Encounter")[0]->find("status")->text(), "finished");
}

TEST(ConvertTest, PatientClassNotApplicableHasNoEncounter) {
  Converted c;
  ConvertText(Msg({kMsh + "ADT^A28|C1|P|2.5.1", "PID|1||1^^^A", "PV1|1|N"}), {}, &c);
  ASSERT_TRUE(c.result.ok()) << Issues(c.result);
  EXPECT_TRUE(Resources(c.result, "Encounter").empty());
}

std::string OruWith(std::initializer_list<std::string> tail) {
  std::string s = Msg(
      {kMsh + "ORU^R01|C1|P|2.5.1", "PID|1||P1^^^A", "ORC|RE|PL1^X|FI1^Y||CM",
       "OBR|1|PL1^X|FI1^Y|1234-5^Panel^LN|||20240315080000|||||||||||||||20240315100000||LAB|F"});
  for (const auto& t : tail) s += t + "\r";
  return s;
}

TEST(ConvertTest, NoteAttachesToThePrecedingResource) {
  Converted c;
  ConvertText(
      OruWith({"NTE|1||order note", "OBX|1|NM|1-1^A^LN||5|mg|||||F", "NTE|1||obs note~line 2"}), {},
      &c);
  ASSERT_TRUE(c.result.ok()) << Issues(c.result);
  auto sr = Resources(c.result, "ServiceRequest");
  ASSERT_EQ(sr.size(), 1u);
  EXPECT_EQ(Canonical(*sr[0]->find("note")), R"([{"text":"order note"}])");
  auto obs = Resources(c.result, "Observation");
  ASSERT_EQ(obs.size(), 1u);
  EXPECT_EQ(Canonical(*obs[0]->find("note")), R"([{"text":"obs note\nline 2"}])");
  EXPECT_EQ(Canonical(*obs[0]->find("valueQuantity")),
            R"({"code":"mg","system":"http://unitsofmeasure.org","unit":"mg","value":5})");
}

TEST(ConvertTest, ObservationsBelongToTheirOrder) {
  Converted c;
  ConvertText(
      OruWith({"OBX|1|ST|1-1^A^LN||x||||||F", "OBX|2|ST|1-2^B^LN||y||||||F",
               "ORC|RE|PL2^X|FI2^Y||CM", "OBR|2|PL2^X|FI2^Y|9-9^Other^LN||||||||||||||||||||F",
               "OBX|1|ST|1-3^C^LN||z||||||F"}),
      {}, &c);
  ASSERT_TRUE(c.result.ok()) << Issues(c.result);
  auto reports = Resources(c.result, "DiagnosticReport");
  ASSERT_EQ(reports.size(), 2u);
  EXPECT_EQ(reports[0]->find("result")->items().size(), 2u);
  EXPECT_EQ(reports[1]->find("result")->items().size(), 1u);
  auto obs = Resources(c.result, "Observation");
  ASSERT_EQ(obs.size(), 3u);
  // Same set id under different orders: different Observations.
  EXPECT_NE(Canonical(*obs[0]->find("identifier")), Canonical(*obs[2]->find("identifier")));
  std::string third_obs;
  for (const auto& r : c.result.records()) {
    if (r.resource == obs[2]) third_obs = r.id;
  }
  EXPECT_EQ(reports[1]->find("result")->items()[0].find("reference")->text(),
            "urn:uuid:" + third_obs);
}

TEST(ConvertTest, ObservationValueTypes) {
  Converted c;
  ConvertText(
      OruWith({"OBX|1|SN|1-1^A^LN||^1^:^128||||||F", "OBX|2|SN|1-2^B^LN||^2^-^4|mmol/L|||||F",
               "OBX|3|SN|1-3^C^LN||>=^10||||||F", "OBX|4|DT|1-4^D^LN||202403||||||F",
               "OBX|5|NM|1-5^E^LN||007.50|x^per field^L|<5||||F",
               "OBX|6|NM|1-6^F^LN||1||2.0-||||F"}),
      {}, &c);
  ASSERT_TRUE(c.result.ok()) << Issues(c.result);
  auto obs = Resources(c.result, "Observation");
  ASSERT_EQ(obs.size(), 6u);
  EXPECT_EQ(Canonical(*obs[0]->find("valueRatio")),
            R"({"denominator":{"value":128},"numerator":{"value":1}})");
  EXPECT_EQ(
      Canonical(*obs[1]->find("valueRange")),
      R"({"high":{"code":"mmol/L","system":"http://unitsofmeasure.org","unit":"mmol/L","value":4},"low":{"code":"mmol/L","system":"http://unitsofmeasure.org","unit":"mmol/L","value":2}})");
  EXPECT_EQ(Canonical(*obs[2]->find("valueQuantity")), R"({"comparator":">=","value":10})");
  EXPECT_EQ(obs[3]->find("valueDateTime")->text(), "2024-03");
  EXPECT_EQ(Canonical(*obs[4]->find("valueQuantity")), R"({"unit":"per field","value":7.50})");
  EXPECT_EQ(Canonical(*obs[4]->find("referenceRange")),
            R"([{"high":{"unit":"per field","value":5},"text":"<5"}])");
  EXPECT_EQ(Canonical(*obs[5]->find("referenceRange")), R"([{"text":"2.0-"}])");
}

// A value that does not read as its type never refuses the message: it is
// kept as text with a located, content-free warning; ED and RP values become
// documents the Observation is derived from.
TEST(ConvertTest, BadObservationValuesAreKeptWithLocatedContentFreeWarnings) {
  Converted c;
  ConvertText(OruWith({"OBX|1|NM|1-1^A^LN||SECRET12||||||F",
                       "OBX|2|ED|1-2^B^LN||^AP^PDF^Base64^AAAA||||||F",
                       "OBX|3|SN|1-3^C^LN||~^5||||||F", "OBX|4|ST|1-4^D^LN||fine||||||",
                       "OBX|5|RP|1-5^E^LN||https://pacs.example.org/s/1^PACS^IM^JPEG||||||F",
                       "OBX|6|XYZ|1-6^F^LN||what||||||F"}),
              {}, &c);
  ASSERT_TRUE(c.result.ok()) << Issues(c.result);
  auto has_warning = [&](const std::string& at, const std::string& text) {
    for (const auto& w : c.result.warnings)
      if (w.location.to_string() == at && w.text.find(text) != std::string::npos) return true;
    return false;
  };
  EXPECT_TRUE(has_warning("OBX[1]-5", "not a number"));
  EXPECT_TRUE(has_warning("OBX[3]-5", "kept as text"));
  EXPECT_TRUE(has_warning("OBX[4]-11", "status missing"));
  EXPECT_TRUE(has_warning("OBX[6]-2", "not supported"));
  auto obs = Resources(c.result, "Observation");
  ASSERT_EQ(obs.size(), 6u);
  EXPECT_EQ(obs[0]->find("valueString")->text(), "SECRET12");
  EXPECT_EQ(obs[3]->find("status")->text(), "unknown");
  EXPECT_EQ(obs[5]->find("valueString")->text(), "what");
  auto docs = Resources(c.result, "DocumentReference");
  ASSERT_EQ(docs.size(), 2u);
  EXPECT_EQ(Canonical(*docs[0]->find("content")),
            R"([{"attachment":{"contentType":"application/pdf","data":"AAAA"}}])");
  EXPECT_EQ(
      Canonical(*docs[1]->find("content")),
      R"([{"attachment":{"contentType":"image/jpeg","title":"PACS","url":"https://pacs.example.org/s/1"}}])");
  ASSERT_NE(obs[1]->find("derivedFrom"), nullptr);
  for (const auto& w : c.result.warnings) {
    for (const char* secret : {"SECRET12", "AAAA", "fine", "what", "pacs"})
      EXPECT_EQ(w.text.find(secret), std::string::npos) << w.text;
  }
}

TEST(ConvertTest, MergeLinksBothPatients) {
  Converted c;
  ConvertText(Msg({kMsh + "ADT^A40|C1|P|2.5.1", "EVN|A40|20240320091500",
                   "PID|1||NEW^^^A^MR||DOE^JOHN", "MRG|OLD^^^A^MR||||||DOE^JON"}),
              {}, &c);
  ASSERT_TRUE(c.result.ok()) << Issues(c.result);
  auto pats = Resources(c.result, "Patient");
  ASSERT_EQ(pats.size(), 2u);
  auto recs = c.result.records();
  std::string survivor_id, merged_id;
  for (const auto& r : recs) {
    if (r.resource_type != "Patient") continue;
    (r.identifiers[0].second == "NEW" ? survivor_id : merged_id) = r.id;
  }
  EXPECT_EQ(Canonical(*pats[0]->find("link")),
            R"([{"other":{"reference":"urn:uuid:)" + merged_id + R"("},"type":"replaces"}])");
  EXPECT_EQ(Canonical(*pats[1]->find("link")),
            R"([{"other":{"reference":"urn:uuid:)" + survivor_id + R"("},"type":"replaced-by"}])");
  EXPECT_FALSE(pats[1]->find("active")->as_bool());
}

TEST(ConvertTest, ConditionalUpdateUrlsAreEscaped) {
  MappingConfig cfg;
  cfg.identifier_systems["A"] = "http://x.example.org/id";
  Converted c;
  ConvertText(Msg({kMsh + "ADT^A01|C1|P|2.5.1", "PID|1||A 1\\T\\2#3%4,5$6+\\F\\7^^^A"}), cfg, &c);
  ASSERT_TRUE(c.result.ok()) << Issues(c.result);
  EXPECT_EQ(Request(c.result, "Patient"),
            "Patient?identifier=http://x.example.org/id|A%201%262%233%254%5C%2C5%5C%246%2B%5C%7C7");
  EXPECT_EQ(Request(c.result, "MessageHeader"),
            "MessageHeader/" + Resources(c.result, "MessageHeader")[0]->find("id")->text());
}

TEST(ConvertTest, ZSegmentsByPolicy) {
  std::string msg = Msg({kMsh + "ADT^A08|C1|P|2.5.1", "PID|1||1^^^A", "ZPI|1|Y|SECRETZ|42"});
  Converted ignored;
  ConvertText(msg, {}, &ignored);
  ASSERT_TRUE(ignored.result.ok());
  ASSERT_EQ(ignored.result.warnings.size(), 2u);  // authority + Z-segment
  EXPECT_EQ(ignored.result.warnings[1].location.to_string(), "ZPI");
  MappingConfig cfg;
  cfg.z_segments = ZSegmentPolicy::kMapByRules;
  cfg.z_rules.push_back({"ZPI", 2, "Patient", "http://example.org/ext/flag", "boolean"});
  cfg.z_rules.push_back({"ZPI", 4, "Patient", "http://example.org/ext/count", "integer"});
  Converted mapped;
  ConvertText(msg, cfg, &mapped);
  ASSERT_TRUE(mapped.result.ok());
  auto p = Resources(mapped.result, "Patient");
  EXPECT_EQ(
      Canonical(*p[0]->find("extension")),
      R"([{"url":"http://example.org/ext/flag","valueBoolean":true},{"url":"http://example.org/ext/count","valueInteger":42}])");
  std::vector<std::string> locations;
  for (const auto& w : mapped.result.warnings) locations.push_back(w.location.to_string());
  EXPECT_NE(std::find(locations.begin(), locations.end(), "ZPI-1"), locations.end());
  EXPECT_NE(std::find(locations.begin(), locations.end(), "ZPI-3"), locations.end());
  ExpectNoContent(mapped.result, {"SECRETZ"});
}

TEST(ConvertTest, Determinism) {
  std::string a01 = ReadFile(TestDataDir() / "adt_a01.hl7");
  Converted one, two;
  ConvertText(a01, GoldenConfig(), &one);
  ConvertText(a01, GoldenConfig(), &two);
  ASSERT_TRUE(one.result.ok());
  EXPECT_EQ(Canonical(one.result.bundle), Canonical(two.result.bundle));
  // Another control id: same Patient/Encounter ids, other MessageHeader id.
  std::string other = a01;
  other.replace(other.find("ADT0001A01"), 10, "ADT0001A99");
  Converted three;
  ConvertText(other, GoldenConfig(), &three);
  ASSERT_TRUE(three.result.ok());
  auto ids = [](const ConversionResult& r, std::string_view type) {
    for (const auto& rec : r.records()) {
      if (rec.resource_type == type) return rec.id;
    }
    return std::string();
  };
  EXPECT_EQ(ids(one.result, "Patient"), ids(three.result, "Patient"));
  EXPECT_EQ(ids(one.result, "Encounter"), ids(three.result, "Encounter"));
  EXPECT_NE(ids(one.result, "MessageHeader"), ids(three.result, "MessageHeader"));
  // ids look like v5 UUIDs.
  std::string id = ids(one.result, "Patient");
  ASSERT_EQ(id.size(), 36u);
  EXPECT_EQ(id[14], '5');
  EXPECT_TRUE(id[19] == '8' || id[19] == '9' || id[19] == 'a' || id[19] == 'b');
}

TEST(ConvertTest, RecordsListIdentifiers) {
  MappingConfig cfg;
  cfg.identifier_systems["A"] = "http://x.example.org/id";
  Converted c;
  ConvertText(Msg({kMsh + "ADT^A01|C1|P|2.5.1", "PID|1||77^^^A^MR~88^^^A^PI"}), cfg, &c);
  ASSERT_TRUE(c.result.ok()) << Issues(c.result);
  bool found = false;
  for (const auto& r : c.result.records()) {
    if (r.resource_type != "Patient") continue;
    found = true;
    ASSERT_EQ(r.identifiers.size(), 2u);
    EXPECT_EQ(r.identifiers[0],
              std::make_pair(std::string("http://x.example.org/id"), std::string("77")));
    EXPECT_EQ(r.resource->find("resourceType")->text(), "Patient");
    EXPECT_EQ(r.resource->find("id"), nullptr);  // body id deliberately absent
  }
  EXPECT_TRUE(found);
}

TEST(ConvertTest, ManyObservationsStayBounded) {
  std::string msg = OruWith({});
  for (int i = 1; i <= 3000; ++i)
    msg += "OBX|" + std::to_string(i) + "|NM|1-1^A^LN||" + std::to_string(i) + "||||||F\r";
  Converted c;
  ConvertText(msg, {}, &c);
  ASSERT_TRUE(c.result.ok()) << Issues(c.result);
  EXPECT_EQ(Resources(c.result, "Observation").size(), 3000u);
}

TEST(ConvertTest, SupportedTypes) {
  auto types = supported_message_types();
  for (const char* t : {"ADT^A01", "ADT^A02", "ADT^A03", "ADT^A04", "ADT^A05", "ADT^A08", "ADT^A11",
                        "ADT^A13", "ADT^A28", "ADT^A31", "ADT^A40", "ORU^R01"}) {
    EXPECT_NE(std::find(types.begin(), types.end(), t), types.end()) << t;
  }
}

TEST(ConfigTest, Checks) {
  MappingConfig ok = GoldenConfig();
  EXPECT_TRUE(check_mapping_config(ok).ok()) << check_mapping_config(ok).message();
  MappingConfig bad_zone;
  bad_zone.time_zone = "Mars/Olympus";
  EXPECT_NE(check_mapping_config(bad_zone).message().find("time_zone"), std::string::npos);
  MappingConfig bad_uri;
  bad_uri.identifier_systems["X"] = "not a uri";
  EXPECT_NE(check_mapping_config(bad_uri).message().find("identifier_systems"), std::string::npos);
  MappingConfig bad_rule;
  bad_rule.z_rules.push_back({"ZPI", 1, "Patient", "http://e.org/x", "float"});
  EXPECT_NE(check_mapping_config(bad_rule).message().find("value_type"), std::string::npos);
  bad_rule.z_rules[0] = {"PID", 1, "Patient", "http://e.org/x", "string"};
  EXPECT_NE(check_mapping_config(bad_rule).message().find("Z-segment"), std::string::npos);
  MappingConfig bad_translation;
  bad_translation.code_translations.push_back({"L", "1", "loinc", "x", ""});
  EXPECT_NE(check_mapping_config(bad_translation).message().find("code_translations[0]"),
            std::string::npos);
}

}  // namespace
}  // namespace gw::v2fhir::testing
