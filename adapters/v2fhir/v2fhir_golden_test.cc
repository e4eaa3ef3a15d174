// Golden tests: every testdata/<name>.hl7 converts to exactly the Bundle in
// testdata/<name>.expected.json (compared as canonical JSON). Nothing is
// skipped: an input without its golden file, a golden file without its input
// and an input of a type the mapping does not register all fail. After a
// deliberate mapping change, or for a new input, (re)generate with
//   GW_UPDATE_GOLDENS=1 ./v2fhir_golden_test
// and review the diff of the expected files before accepting it.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>

#include "adapters/v2fhir/test_util.h"
#include "fhir/json/write.h"

namespace gw::v2fhir::testing {
namespace {

std::vector<std::string> GoldenNames() {
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(TestDataDir())) {
    if (e.path().extension() == ".hl7") names.push_back(e.path().stem().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

class GoldenTest : public ::testing::TestWithParam<std::string> {};

TEST_P(GoldenTest, MatchesExpectedBundle) {
  const std::string name = GetParam();
  std::string er7 = ReadFile(TestDataDir() / (name + ".hl7"));
  ASSERT_TRUE(TypeSupported(er7))
      << name << ".hl7: its message type is not registered in the mapping, so it has no golden "
      << "Bundle: register the type (adapters/v2fhir/message_table.cc) or remove the input";
  Converted c;
  ConvertText(std::move(er7), GoldenConfig(), &c);
  ASSERT_TRUE(c.parsed.ok()) << name;
  for (const auto& e : c.result.errors)
    ADD_FAILURE() << name << ": " << e.location.to_string() << ": " << e.text;
  ASSERT_TRUE(c.result.ok());
  std::string actual = Canonical(c.result.bundle);
  ASSERT_FALSE(actual.empty());
  auto expected_path = TestDataDir() / (name + ".expected.json");
  if (std::getenv("GW_UPDATE_GOLDENS") != nullptr) {
    // Written sorted (canonical order) and indented, for review.
    auto reparsed = fhir::parse_json(actual);
    ASSERT_TRUE(reparsed.ok());
    std::ofstream(expected_path, std::ios::binary) << fhir::write_json(*reparsed, true) << "\n";
  }
  ASSERT_TRUE(std::filesystem::exists(expected_path))
      << "no golden file " << expected_path << " for " << name << ".hl7: create it with\n"
      << "  GW_UPDATE_GOLDENS=1 ./v2fhir_golden_test --gtest_filter='*/" << name << "'\n"
      << "and review it before adding it";
  std::string expected_text = ReadFile(expected_path);
  ASSERT_FALSE(expected_text.empty())
      << expected_path << " is empty: regenerate it with GW_UPDATE_GOLDENS=1 and review it";
  auto expected = fhir::canonicalize_json(expected_text);
  ASSERT_TRUE(expected.ok()) << expected.error().to_string();
  EXPECT_EQ(*expected, actual) << name << ": output differs from the golden file";
}

INSTANTIATE_TEST_SUITE_P(Testdata, GoldenTest, ::testing::ValuesIn(GoldenNames()),
                         [](const auto& info) { return info.param; });

TEST(GoldenCoverage, EveryGoldenFileHasItsInput) {
  const std::string suffix = ".expected.json";
  for (const auto& e : std::filesystem::directory_iterator(TestDataDir())) {
    const std::string file = e.path().filename().string();
    if (file.size() <= suffix.size() || !file.ends_with(suffix)) continue;
    const std::string name = file.substr(0, file.size() - suffix.size());
    EXPECT_TRUE(std::filesystem::exists(TestDataDir() / (name + ".hl7")))
        << file << " has no " << name << ".hl7 beside it, so nothing checks it: restore the "
        << "input or remove the golden file";
  }
}

TEST(GoldenCoverage, EverySupportedTypeHasAGolden) {
  std::set<std::string> covered;
  for (const std::string& name : GoldenNames()) {
    hl7::ParseResult p = hl7::parse(ReadFile(TestDataDir() / (name + ".hl7")));
    ASSERT_TRUE(p.ok()) << name;
    covered.insert(p.message->header().message_code + "^" + p.message->header().trigger_event);
  }
  for (const std::string& type : supported_message_types())
    EXPECT_TRUE(covered.count(type)) << type;
}

}  // namespace
}  // namespace gw::v2fhir::testing
