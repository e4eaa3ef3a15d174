// The v2 mapping and the consent scope place results in the same categories.
// The mapping files the results of an order under Observation.category
// "laboratory" or "imaging" by its v2-0074 section (OBR-24), with a list of
// its own (adapters do not depend on ledger-client); scope.cc places a
// DiagnosticReport by the same sections with its list. Were the two to drift,
// a consent for laboratory records would send a lab report without its
// results, or the results of an imaging study. Both lists are read here, and
// each section is also put through the real mapping.
#include "adapters/v2fhir/result_sections.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "adapters/hl7/er7.h"
#include "adapters/v2fhir/convert.h"
#include "gateway/labels/record_scope.h"
#include "ledger-client/consortium/diagnostic_sections.h"
#include "ledger-client/consortium/scope.h"

namespace gw::pipeline {
namespace {

namespace cs = ledger::consortium;

std::vector<std::string> sorted(std::span<const std::string_view> list) {
  std::vector<std::string> out(list.begin(), list.end());
  std::sort(out.begin(), out.end());
  return out;
}

// An ORU^R01 with one order of `section` (OBR-24) and one result.
std::string result_message(const std::string& section) {
  std::vector<std::string> obr(26);
  obr[0] = "OBR";
  obr[1] = "1";
  obr[2] = "PL-1^EHR";
  obr[3] = "FL-1^CITYLAB";
  obr[4] = "24323-8^Comprehensive metabolic panel^LN";
  obr[7] = "20240706113000-0400";
  obr[22] = "20240706115500-0400";
  obr[24] = section;
  obr[25] = "F";
  std::string obr_text;
  for (size_t i = 0; i < obr.size(); ++i) obr_text += (i == 0 ? "" : "|") + obr[i];
  return "MSH|^~\\&|LABSYS|CITYLAB|GW|REGIONAL|20240706120000-0400||ORU^R01^ORU_R01|SEC-1|P|2.5.1\r"
         "PID|1||100001^^^GOODHEALTH^MR||EVERYWOMAN^EVE||19800214|F\r" +
         obr_text + "\rOBX|1|NM|2345-7^Glucose^LN||95|mg/dL^mg/dL^UCUM|70-99|N|||F\r";
}

TEST(ResultSectionsTest, TheMappingAndTheConsentScopeListTheSameSections) {
  EXPECT_EQ(sorted(v2fhir::laboratory_sections()), sorted(cs::laboratory_sections()));
  EXPECT_EQ(sorted(v2fhir::imaging_sections()), sorted(cs::imaging_sections()));
}

TEST(ResultSectionsTest, AResultFallsInTheCategoryOfItsReport) {
  std::set<std::string> sections = {"EC", "PHY"};  // sections neither side places
  for (auto list : {v2fhir::laboratory_sections(), v2fhir::imaging_sections(),
                    cs::laboratory_sections(), cs::imaging_sections()}) {
    sections.insert(list.begin(), list.end());
  }
  for (const std::string& section : sections) {
    const std::string er7 = result_message(section);
    hl7::ParseResult parsed = hl7::parse(er7);
    ASSERT_TRUE(parsed.ok()) << section;
    v2fhir::ConversionResult converted = v2fhir::convert_message(*parsed.message, {});
    ASSERT_TRUE(converted.ok()) << section;
    std::optional<uint64_t> observation, report;
    for (const fhir::JsonValue& entry : converted.bundle.find("entry")->items()) {
      const fhir::JsonValue& resource = *entry.find("resource");
      const std::string type = resource.find("resourceType")->text();
      if (type == "Observation") observation = labels::record_category_bits(resource);
      if (type == "DiagnosticReport") report = labels::record_category_bits(resource);
    }
    ASSERT_TRUE(observation.has_value()) << section;
    const std::optional<cs::Category> expected = cs::category_of("DiagnosticReport", section);
    EXPECT_EQ(*observation, expected ? cs::category_bit(*expected) : 0) << section;
    ASSERT_TRUE(report.has_value()) << section;
    EXPECT_EQ(*report, *observation) << section;
  }
}

}  // namespace
}  // namespace gw::pipeline
