// [labels]: the rules operators add to (or put in place of) the shipped ones.
#include <gtest/gtest.h>

#include "gateway/config/config.h"

namespace gw::config {
namespace {

using ledger::consortium::Label;

gw::Result<GatewayConfig> parse(const std::string& text) { return parse_config(text, "test.toml"); }

TEST(ConfigLabelsTest, DefaultsOnAndNoRulesWithoutTheTable) {
  auto cfg = parse("[channel.a]\n");
  ASSERT_TRUE(cfg.ok()) << cfg.status().message();
  EXPECT_TRUE(cfg->labels.defaults);
  EXPECT_TRUE(cfg->labels.rules.empty());
}

TEST(ConfigLabelsTest, ParsesRulesInFileOrderWithSudAsEth) {
  auto cfg = parse(
      "[labels]\n"
      "defaults = false\n"
      "PSY = [\"icd10:F20-F99\"]  # psychiatry\n"
      "HIV = [\"icd10:B20\", \"icd10:Z21\", \"loinc:75622-1\"]\n"
      "SUD = [\"http://hospital.example.org/dx|SUD-1\"]\n"
      "MH = []\n"
      "[channel.a]\n");
  ASSERT_TRUE(cfg.ok()) << cfg.status().message();
  EXPECT_FALSE(cfg->labels.defaults);
  ASSERT_EQ(cfg->labels.rules.size(), 5u);
  EXPECT_EQ(cfg->labels.rules[0].label, Label::kPsy);
  EXPECT_EQ(cfg->labels.rules[0].pattern, "icd10:F20-F99");
  EXPECT_EQ(cfg->labels.rules[3].label, Label::kHiv);
  EXPECT_EQ(cfg->labels.rules[3].pattern, "loinc:75622-1");
  EXPECT_EQ(cfg->labels.rules[4].label, Label::kEth);
}

TEST(ConfigLabelsTest, BadEntriesNameFileLineAndKey) {
  struct Case {
    std::string text, error;
  } cases[] = {
      {"[labels]\nPSY = [\"icd10:F99-F20\"]\n",
       "test.toml:2: labels.PSY: pattern \"icd10:F99-F20\": the range starts after its end"},
      {"[labels]\n\nHIV = [\"icd10:B20\", \"B21\"]\n",
       "test.toml:3: labels.HIV: pattern \"B21\": unknown code system"},
      {"[labels]\nSTD = \"icd10:A50-A64\"\n",
       "test.toml:2: labels.STD: expected an array of code patterns, got a string"},
      {"[labels]\nPSY = [\"icd10:F20\"]\nPSY = [\"icd10:F21\"]\n",
       "test.toml:3: key 'labels.PSY' set twice"},
      {"[labels]\nXYZ = [\"icd10:F20\"]\n", "test.toml:2: unknown key 'labels.XYZ'"},
      {"[labels]\npsy = [\"icd10:F20\"]\n", "test.toml:2: unknown key 'labels.psy'"},
      {"[labels]\nR = [\"icd10:F20\"]\n", "test.toml:2: unknown key 'labels.R'"},
      {"[labels]\ndefaults = \"no\"\n", "test.toml:2: labels.defaults: expected true or false"},
      {"[labels]\nGDIS = [\"snomed:12 3\"]\n", "test.toml:2: labels.GDIS: pattern \"snomed:12 3\""},
  };
  for (const Case& c : cases) {
    auto cfg = parse(c.text + "[channel.a]\n");
    ASSERT_FALSE(cfg.ok()) << c.text;
    EXPECT_EQ(cfg.status().message().substr(0, c.error.size()), c.error) << cfg.status().message();
  }
}

}  // namespace
}  // namespace gw::config
