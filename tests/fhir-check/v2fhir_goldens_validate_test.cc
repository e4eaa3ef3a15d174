// Every golden message of the v2-to-FHIR mapping (adapters/v2fhir/testdata),
// converted now, passes the gateway's own validator (fhir/validate) for the
// Bundle and each entry; so do the stored golden Bundles. The independent
// check of the same files is the ctest fhir_check_v2fhir_goldens (node).
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "adapters/v2fhir/test_util.h"
#include "fhir/json/json.h"
#include "fhir/validate/validator.h"

namespace gw {
namespace {

using v2fhir::testing::TestDataDir;

std::vector<std::string> Names() {
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(TestDataDir())) {
    if (e.path().extension() == ".hl7") names.push_back(e.path().stem().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

void ExpectValid(const fhir::JsonValue& bundle, const std::string& what) {
  fhir::ValidationResult r = fhir::validate_resource(bundle);
  for (const auto& i : r.issues) {
    if (i.severity == fhir::IssueSeverity::kFatal || i.severity == fhir::IssueSeverity::kError) {
      ADD_FAILURE() << what << ": " << i.path << ": " << i.code << ": " << i.message;
    }
  }
}

class GoldenValidation : public ::testing::TestWithParam<std::string> {};

TEST_P(GoldenValidation, ConvertedBundleIsValid) {
  v2fhir::testing::Converted c;
  v2fhir::testing::ConvertText(v2fhir::testing::ReadFile(TestDataDir() / (GetParam() + ".hl7")),
                               v2fhir::testing::GoldenConfig(), &c);
  ASSERT_TRUE(c.parsed.ok());
  ASSERT_TRUE(c.result.ok()) << c.result.errors.front().location.to_string() << ": "
                             << c.result.errors.front().text;
  ExpectValid(c.result.bundle, GetParam() + " (converted)");
}

TEST_P(GoldenValidation, StoredGoldenIsValid) {
  auto text = v2fhir::testing::ReadFile(TestDataDir() / (GetParam() + ".expected.json"));
  ASSERT_FALSE(text.empty());
  auto parsed = fhir::parse_json(text);
  ASSERT_TRUE(parsed.ok());
  ExpectValid(*parsed, GetParam() + ".expected.json");
}

INSTANTIATE_TEST_SUITE_P(V2fhirTestdata, GoldenValidation, ::testing::ValuesIn(Names()),
                         [](const auto& info) { return info.param; });

TEST(GoldenValidation, FindsTheGoldens) { EXPECT_GE(Names().size(), 20u); }

}  // namespace
}  // namespace gw
