// Laboratory messages: microbiology parent/child links are identities, not
// positions; observations of a specimen attach to that specimen; a bad
// specimen field costs a warning, never the message.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "adapters/v2fhir/test_util.h"

namespace gw::v2fhir::testing {
namespace {

using fhir::JsonValue;

std::vector<std::string> Segments(const std::string& er7) {
  std::vector<std::string> out;
  std::stringstream in(er7);
  std::string line;
  while (std::getline(in, line, '\r')) {
    if (!line.empty()) out.push_back(line);
  }
  return out;
}

std::string Join(const std::vector<std::string>& segments) {
  std::string out;
  for (const std::string& s : segments) out += s + "\r";
  return out;
}

// records() is built on each call: copies, not pointers into it.
std::optional<MappedRecord> Record(const ConversionResult& r, const std::string& urn) {
  for (const MappedRecord& rec : r.records()) {
    if ("urn:uuid:" + rec.id == urn) return rec;
  }
  return std::nullopt;
}

std::string Code(const JsonValue& resource) {
  const JsonValue* code = resource.find("code");
  if (code == nullptr || code->find("coding") == nullptr) return {};
  return code->find("coding")->items()[0].find("code")->text();
}

std::vector<std::string> References(const JsonValue& resource, const char* element) {
  std::vector<std::string> out;
  const JsonValue* arr = resource.find(element);
  if (arr == nullptr) return out;
  for (const JsonValue& r : arr->items()) {
    if (const JsonValue* ref = r.find("reference")) out.push_back(ref->text());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Organism (value text) -> {organism Observation id, its member ids, the
// basedOn of each member's order}.
struct Organism {
  std::string id;
  std::vector<std::string> members;
  std::set<std::string> member_codes;
};
std::map<std::string, Organism> Organisms(const ConversionResult& r) {
  std::map<std::string, Organism> out;
  for (const MappedRecord& rec : r.records()) {
    if (rec.resource_type != "Observation" || Code(*rec.resource) != "11475-1") continue;
    const JsonValue* value = rec.resource->find("valueCodeableConcept");
    if (value == nullptr) continue;
    Organism& o = out[value->find("text")->text()];
    o.id = rec.id;
    o.members = References(*rec.resource, "hasMember");
    for (const std::string& m : o.members) {
      auto member = Record(r, m);
      if (member) o.member_codes.insert(Code(*member->resource));
    }
  }
  return out;
}

TEST(LabMicrobiology, ParentChildLinksSurviveACorrectionThatReordersSegments) {
  std::string er7 = ReadFile(TestDataDir() / "oru_r01_micro_urine_culture.hl7");
  std::vector<std::string> segs = Segments(er7);
  // The correction lists the parent results in reverse with new set ids and
  // sends the susceptibility panels in the other order.
  size_t first_obr = 0;
  while (segs[first_obr].rfind("OBR|", 0) != 0) ++first_obr;
  size_t begin = first_obr + 1, end = begin;
  while (segs[end].rfind("OBX|", 0) == 0) ++end;
  std::vector<std::string> parent(segs.begin() + begin, segs.begin() + end);
  std::reverse(parent.begin(), parent.end());
  for (size_t i = 0; i < parent.size(); ++i) {
    size_t bar = parent[i].find('|', 4);
    parent[i] = "OBX|" + std::to_string(i + 1) + parent[i].substr(bar);
  }
  std::vector<std::vector<std::string>> children;
  size_t tail = end;
  while (segs[tail].rfind("ORC|", 0) != 0) ++tail;
  for (size_t i = tail; i < segs.size(); ++i) {
    if (segs[i].rfind("ORC|", 0) == 0) children.emplace_back();
    children.back().push_back(segs[i]);
  }
  ASSERT_EQ(children.size(), 2u);
  std::vector<std::string> corrected(segs.begin(), segs.begin() + begin);
  corrected.insert(corrected.end(), parent.begin(), parent.end());
  corrected.insert(corrected.end(), segs.begin() + end, segs.begin() + tail);
  for (auto it = children.rbegin(); it != children.rend(); ++it)
    corrected.insert(corrected.end(), it->begin(), it->end());
  ASSERT_EQ(corrected.size(), segs.size());

  Converted a, b;
  ConvertText(er7, GoldenConfig(), &a);
  ConvertText(Join(corrected), GoldenConfig(), &b);
  ASSERT_TRUE(a.result.ok());
  ASSERT_TRUE(b.result.ok());
  auto before = Organisms(a.result), after = Organisms(b.result);
  ASSERT_EQ(before.size(), 2u);
  ASSERT_EQ(after.size(), 2u);
  for (const auto& [organism, o] : before) {
    SCOPED_TRACE(organism);
    ASSERT_TRUE(after.count(organism));
    EXPECT_EQ(o.id, after[organism].id);
    EXPECT_FALSE(o.members.empty());
    EXPECT_EQ(o.members, after[organism].members);  // the same Observations, by id
  }
  // Each organism has its own panel: E. coli 4 drugs, E. faecalis 2.
  EXPECT_EQ(before["Escherichia coli"].member_codes.size(), 4u);
  EXPECT_EQ(before["Enterococcus faecalis"].member_codes.size(), 2u);
  EXPECT_NE(before["Escherichia coli"].members, before["Enterococcus faecalis"].members);
  // Both child orders are basedOn the culture order.
  int children_seen = 0;
  for (const MappedRecord& rec : a.result.records()) {
    if (rec.resource_type != "ServiceRequest" || Code(*rec.resource) != "29576-6") continue;
    ++children_seen;
    auto based_on = References(*rec.resource, "basedOn");
    ASSERT_EQ(based_on.size(), 1u);
    EXPECT_EQ(Code(*Record(a.result, based_on[0])->resource), "630-4");
  }
  EXPECT_EQ(children_seen, 2);
}

TEST(LabMicrobiology, ParentInAnEarlierMessageIsALogicalReference) {
  Converted c;
  ConvertText(
      "MSH|^~\\&|MICRO|CITYLAB|GW|HOSP|20240410161500+0200||ORU^R01^ORU_R01|M2|P|2.5.1\r"
      "PID|1||P9^^^CITYHOSP^MR||DOE^JANE\r"
      "OBR|1||LAB-2^CITYLAB|29576-6^Bacterial susceptibility panel^LN|||20240408093000+0200"
      "|||||||||||||||20240410160000+0200||MB|F|11475-1&Microorganism identified&LN^1^E. "
      "coli|||^LAB-1&CITYLAB\r"
      "OBX|1|SN|18906-8^Ciprofloxacin^LN||<=^0.25|ug/mL|||||F\r",
      GoldenConfig(), &c);
  ASSERT_TRUE(c.result.ok());
  bool warned = false;
  for (const auto& w : c.result.warnings)
    warned = warned || (w.location.to_string() == "OBR-26" &&
                        w.text.find("parent result not in this message") != std::string::npos);
  EXPECT_TRUE(warned);
  for (const MappedRecord& rec : c.result.records()) {
    if (rec.resource_type != "ServiceRequest") continue;
    const JsonValue& based_on = rec.resource->find("basedOn")->items()[0];
    EXPECT_EQ(based_on.find("reference"), nullptr);
    EXPECT_EQ(based_on.find("identifier")->find("value")->text(), "LAB-1");
  }
}

// The Specimen entry a reference points at, by its first identifier value.
std::string SpecimenNumber(const ConversionResult& r, const JsonValue& ref) {
  auto sp = Record(r, ref.find("reference")->text());
  if (!sp || sp->resource_type != "Specimen") return {};
  return sp->resource->find("identifier")->items()[0].find("value")->text();
}

TEST(LabSpecimens, SpecimenObservationsAttachToTheirSpecimen) {
  Converted c;
  ConvertText(ReadFile(TestDataDir() / "oml_o21_creatinine_clearance.hl7"), GoldenConfig(), &c);
  ASSERT_TRUE(c.result.ok());
  std::map<std::string, std::string> specimen_of;
  std::set<std::string> supporting;
  for (const MappedRecord& rec : c.result.records()) {
    if (rec.resource_type == "Observation") {
      ASSERT_NE(rec.resource->find("specimen"), nullptr) << Code(*rec.resource);
      specimen_of[Code(*rec.resource)] = SpecimenNumber(c.result, *rec.resource->find("specimen"));
    }
    if (rec.resource_type == "ServiceRequest") {
      for (const std::string& s : References(*rec.resource, "supportingInfo")) supporting.insert(s);
    }
  }
  EXPECT_EQ(specimen_of["30211-7"], "SPC-9101");  // collection duration: the urine
  EXPECT_EQ(specimen_of["3167-4"], "SPC-9101");   // its volume
  EXPECT_TRUE(supporting.empty());                // about the specimen, not the order

  Converted oul;
  ConvertText(ReadFile(TestDataDir() / "oul_r22_chemistry_two_specimens.hl7"), GoldenConfig(),
              &oul);
  ASSERT_TRUE(oul.result.ok());
  std::set<std::string> in_reports;
  for (const MappedRecord& rec : oul.result.records()) {
    if (rec.resource_type == "DiagnosticReport")
      for (const std::string& s : References(*rec.resource, "result")) in_reports.insert(s);
  }
  for (const MappedRecord& rec : oul.result.records()) {
    if (rec.resource_type != "Observation") continue;
    std::string code = Code(*rec.resource);
    std::string number = SpecimenNumber(oul.result, *rec.resource->find("specimen"));
    if (code == "HIL") {  // hemolysis index of the serum tube, not a result of the panel
      EXPECT_EQ(number, "SPC-22001");
      EXPECT_FALSE(in_reports.count("urn:uuid:" + rec.id));
    } else if (code == "4548-4") {
      EXPECT_EQ(number, "SPC-22002");
    } else {
      EXPECT_EQ(number, "SPC-22001") << code;
      EXPECT_TRUE(in_reports.count("urn:uuid:" + rec.id)) << code;
    }
  }
}

TEST(LabSpecimens, BadSpecimenFieldsNoLongerRefuseTheMessage) {
  const std::string er7 =
      "MSH|^~\\&|CPOE|NORTHHOSP|GW|HOSP|20240403081500-0500||OML^O21^OML_O21|E1|P|2.5.1\r"
      "PID|1||300004^^^NORTHHOSP^MR||EXAMPLE^ERIN\r"
      "ORC|NW|ORD-1^CPOE\r"
      "OBR|1|ORD-1^CPOE||600-7^Bacteria identified in Blood by Culture^LN\r"
      "SPM|1|SPC-0003&CPOE||||||||||lots^mL&milliliter&UCUM|||||20240403121000-0500|||Q\r";
  Converted c;
  ConvertText(er7, GoldenConfig(), &c);
  ASSERT_TRUE(c.result.ok()) << (c.result.errors.empty() ? "" : c.result.errors[0].text);
  std::set<std::string> warned;
  for (const auto& w : c.result.warnings) {
    warned.insert(w.location.to_string());
    EXPECT_EQ(w.text.find("lots"), std::string::npos);
  }
  EXPECT_TRUE(warned.count("SPM-4"));     // type missing: kept without it
  EXPECT_TRUE(warned.count("SPM-12.1"));  // amount not a number
  EXPECT_TRUE(warned.count("SPM-20"));    // availability not Y/N
  int specimens = 0;
  for (const MappedRecord& rec : c.result.records()) {
    if (rec.resource_type != "Specimen") continue;
    ++specimens;
    EXPECT_EQ(rec.resource->find("type"), nullptr);
    EXPECT_NE(rec.resource->find("collection")->find("collectedDateTime"), nullptr);
  }
  EXPECT_EQ(specimens, 1);
}

TEST(LabResults, PerformingOrganizationAndMedicalDirector) {
  Converted c;
  ConvertText(ReadFile(TestDataDir() / "oul_r22_chemistry_two_specimens.hl7"), GoldenConfig(), &c);
  ASSERT_TRUE(c.result.ok());
  for (const MappedRecord& rec : c.result.records()) {
    if (rec.resource_type != "Observation" || Code(*rec.resource) != "2951-2") continue;
    ASSERT_NE(rec.resource->find("device"), nullptr);
    std::set<std::string> performer_types;
    for (const std::string& p : References(*rec.resource, "performer")) {
      auto who = Record(c.result, p);
      ASSERT_TRUE(who.has_value());
      performer_types.insert(who->resource_type);
      if (who->resource_type == "Organization") {
        EXPECT_NE(who->resource->find("address"), nullptr);
      }
      if (who->resource_type == "PractitionerRole") {
        const JsonValue& code = who->resource->find("code")->items()[0];
        EXPECT_EQ(code.find("coding")->items()[0].find("code")->text(), "MDIR");
        EXPECT_NE(who->resource->find("organization"), nullptr);
      }
    }
    EXPECT_EQ(performer_types, (std::set<std::string>{"Organization", "PractitionerRole"}));
  }
}

TEST(LabOul, OrcAfterItsObrCompletesThatOrder) {
  Converted c;
  ConvertText(ReadFile(TestDataDir() / "oul_r24_urinalysis.hl7"), GoldenConfig(), &c);
  ASSERT_TRUE(c.result.ok());
  int orders = 0;
  std::string order_urn;
  for (const MappedRecord& rec : c.result.records()) {
    if (rec.resource_type != "ServiceRequest") continue;
    ++orders;
    order_urn = "urn:uuid:" + rec.id;
    EXPECT_EQ(rec.resource->find("status")->text(), "completed");  // ORC-5 CM
    EXPECT_NE(rec.resource->find("authoredOn"), nullptr);          // ORC-9
  }
  EXPECT_EQ(orders, 1);  // no second, ORC-only order
  bool provenance = false;
  for (const MappedRecord& rec : c.result.records()) {
    if (rec.resource_type != "Provenance") continue;
    auto targets = References(*rec.resource, "target");
    if (targets != std::vector<std::string>{order_urn}) continue;
    provenance = true;
    const JsonValue& agent = rec.resource->find("agent")->items()[0];
    EXPECT_EQ(agent.find("type")->find("coding")->items()[0].find("code")->text(), "enterer");
    EXPECT_EQ(Record(c.result, agent.find("who")->find("reference")->text())->resource_type,
              "Practitioner");
  }
  EXPECT_TRUE(provenance);
  for (const auto& w : c.result.warnings) EXPECT_NE(w.text, "order without OBR not mapped");
}

TEST(LabSpecimens, ContainerWithoutSpmIsItsOwnSpecimen) {
  Converted bare;
  ConvertText(
      "MSH|^~\\&|LAS|CITYLAB|GW|HOSP|20240407101500+0100||OUL^R24^OUL_R24|L2|P|2.4\r"
      "PID|1||P7^^^CITYHOSP^MR||DOE^JOHN\r"
      "OBR|1||LAB-1^CITYLAB|2093-3^Cholesterol^LN|||20240407073000+0100||||||||||||||||CH|F\r"
      "SAC|||CNT-9^CITYLAB|||SER&Serum&HL70487|||||||||||||||8.5|4||mL\r"
      "OBX|1|NM|2093-3^Cholesterol^LN||212|mg/dL|||||F\r",
      GoldenConfig(), &bare);
  ASSERT_TRUE(bare.result.ok());
  int specimens = 0;
  for (const MappedRecord& rec : bare.result.records()) {
    if (rec.resource_type == "Specimen") {
      ++specimens;
      const JsonValue& container = rec.resource->find("container")->items()[0];
      EXPECT_EQ(container.find("identifier")->items()[0].find("value")->text(), "CNT-9");
      EXPECT_EQ(container.find("capacity")->find("value")->text(), "8.5");
      EXPECT_EQ(rec.resource->find("type")->find("coding")->items()[0].find("code")->text(), "SER");
    }
    if (rec.resource_type == "Observation") EXPECT_NE(rec.resource->find("specimen"), nullptr);
  }
  EXPECT_EQ(specimens, 1);
}

}  // namespace
}  // namespace gw::v2fhir::testing
