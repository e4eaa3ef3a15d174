#include "gateway/labels/label_rules.h"

#include <gtest/gtest.h>

namespace gw::labels {
namespace {

using ledger::consortium::Label;
using ledger::consortium::label_bit;

constexpr std::string_view kIcd10 = "http://hl7.org/fhir/sid/icd-10";
constexpr std::string_view kIcd10Cm = "http://hl7.org/fhir/sid/icd-10-cm";
constexpr std::string_view kLoinc = "http://loinc.org";
constexpr std::string_view kSnomed = "http://snomed.info/sct";

std::shared_ptr<const LabelRules> rules(std::vector<RuleSpec> specs, bool defaults = false) {
  auto r = LabelRules::compile(defaults, specs);
  EXPECT_TRUE(r.ok()) << r.error().message();
  return r.ok() ? *r : nullptr;
}

TEST(LabelRulesTest, ParsesAliasesUrisRangesAndExactCodes) {
  auto icd = parse_code_pattern("icd10:F10-F19");
  ASSERT_TRUE(icd.ok()) << icd.error().message();
  EXPECT_TRUE(icd->hierarchical);
  EXPECT_EQ(icd->systems, (std::vector<std::string>{std::string(kIcd10), std::string(kIcd10Cm)}));
  EXPECT_EQ(icd->low, "F10");
  EXPECT_EQ(icd->high, "F19");

  auto dotted = parse_code_pattern("icd10cm:o98.7");
  ASSERT_TRUE(dotted.ok());
  EXPECT_EQ(dotted->low, "O987");
  EXPECT_EQ(dotted->high, "O987");

  auto loinc = parse_code_pattern("loinc:75622-1");  // '-' is part of a LOINC code
  ASSERT_TRUE(loinc.ok());
  EXPECT_FALSE(loinc->hierarchical);
  EXPECT_EQ(loinc->low, "75622-1");

  auto uri = parse_code_pattern("http://hospital.example.org/codes|PSY-1");
  ASSERT_TRUE(uri.ok());
  EXPECT_EQ(uri->systems, std::vector<std::string>{"http://hospital.example.org/codes"});
  EXPECT_EQ(uri->low, "PSY-1");

  auto icd_uri = parse_code_pattern("http://hl7.org/fhir/sid/icd-10-cm|F20-F29");
  ASSERT_TRUE(icd_uri.ok());
  EXPECT_TRUE(icd_uri->hierarchical);
}

TEST(LabelRulesTest, RefusesBadPatternsSayingWhy) {
  struct Case {
    const char* pattern;
    const char* reason;
  } cases[] = {
      {"F10-F19", "unknown code system"},
      {"icd11:6C40", "unknown code system"},
      {"icd10:", "no code"},
      {"icd10:F19-F10", "starts after its end"},
      {"icd10:F1 0/", "not an ICD code"},
      {"icd10:F10-", "not an ICD code"},
      {"snomed:1234*", "ICD systems only"},
      {"loinc:75622 1", "spaces"},
      {"not a uri|X", "not a code system URI"},
      {"|X", "not a code system URI"},
  };
  for (const Case& c : cases) {
    auto p = parse_code_pattern(c.pattern);
    ASSERT_FALSE(p.ok()) << c.pattern;
    EXPECT_NE(p.error().message().find(c.reason), std::string::npos)
        << c.pattern << ": " << p.error().message();
    EXPECT_NE(p.error().message().find(std::string("\"") + c.pattern + "\""), std::string::npos)
        << "the error quotes the pattern: " << p.error().message();
  }
  EXPECT_FALSE(parse_code_pattern(std::string(kMaxPatternBytes + 1, 'x')).ok());
}

TEST(LabelRulesTest, RangesCoverCodePrefixesInclusively) {
  auto r = rules({{Label::kEth, "icd10:F10-F19"}, {Label::kPsy, "icd10:F20-F99"}});
  const uint64_t eth = label_bit(Label::kEth), psy = label_bit(Label::kPsy);
  EXPECT_EQ(r->match(kIcd10, "F09"), 0u);
  EXPECT_EQ(r->match(kIcd10, "F09.9"), 0u);
  EXPECT_EQ(r->match(kIcd10, "F10"), eth);
  EXPECT_EQ(r->match(kIcd10, "F10.2"), eth);
  EXPECT_EQ(r->match(kIcd10Cm, "F10.239"), eth);
  EXPECT_EQ(r->match(kIcd10, "F19.99"), eth);
  EXPECT_EQ(r->match(kIcd10, "f1999"), eth);  // case and dots are ignored in ICD
  EXPECT_EQ(r->match(kIcd10, "F20"), psy);
  EXPECT_EQ(r->match(kIcd10, "F20.0"), psy);
  EXPECT_EQ(r->match(kIcd10, "F99"), psy);
  EXPECT_EQ(r->match(kIcd10, "G00"), 0u);
  EXPECT_EQ(r->match(kIcd10, "F1"), 0u);  // a chapter prefix is not inside the block
  EXPECT_EQ(r->match(kIcd10, ""), 0u);
  EXPECT_EQ(r->match(kIcd10, "F10-2"), 0u);  // not an ICD code
  EXPECT_EQ(r->match(kLoinc, "F10"), 0u);    // another system
  EXPECT_EQ(r->match("http://hl7.org/fhir/sid/icd-9-cm", "F10"), 0u);
}

TEST(LabelRulesTest, SingleIcdCodeCoversItsSubcodesOnly) {
  auto r = rules({{Label::kHiv, "icd10:B20"}, {Label::kHiv, "icd10:Z21"}});
  const uint64_t hiv = label_bit(Label::kHiv);
  EXPECT_EQ(r->match(kIcd10, "B20"), hiv);
  EXPECT_EQ(r->match(kIcd10, "B20.7"), hiv);
  EXPECT_EQ(r->match(kIcd10, "B21"), 0u);
  EXPECT_EQ(r->match(kIcd10, "B2"), 0u);
  EXPECT_EQ(r->match(kIcd10Cm, "Z21"), hiv);
  EXPECT_EQ(r->match(kIcd10Cm, "Z22"), 0u);
}

TEST(LabelRulesTest, ExactSystemsMatchExactlyAndLabelsCombine) {
  auto r = rules({{Label::kHiv, "loinc:75622-1"},
                  {Label::kStd, "loinc:75622-1"},
                  {Label::kPsy, "snomed:58214004"}});
  EXPECT_EQ(r->match(kLoinc, "75622-1"), label_bit(Label::kHiv) | label_bit(Label::kStd));
  EXPECT_EQ(r->match(kLoinc, "75622"), 0u);
  EXPECT_EQ(r->match(kLoinc, "75622-10"), 0u);
  EXPECT_EQ(r->match(kSnomed, "58214004"), label_bit(Label::kPsy));
  EXPECT_EQ(r->match(kSnomed, "5821400"), 0u);
  EXPECT_EQ(r->match(kSnomed, "582140041"), 0u);
}

TEST(LabelRulesTest, DefaultsCompileAndConfiguredRulesAddToThem) {
  ASSERT_NE(default_rules(), nullptr);
  EXPECT_EQ(default_rules()->rule_count(), default_rule_specs().size());
  for (const RuleSpec& s : default_rule_specs())
    EXPECT_TRUE(parse_code_pattern(s.pattern).ok()) << s.pattern;
  auto with = rules({{Label::kMh, "icd10:F00-F09"}}, true);
  EXPECT_EQ(with->match(kIcd10, "F20.0"), label_bit(Label::kPsy));
  EXPECT_EQ(with->match(kIcd10, "F03"), label_bit(Label::kMh));
  auto without = rules({{Label::kMh, "icd10:F00-F09"}}, false);
  EXPECT_EQ(without->match(kIcd10, "F20.0"), 0u);
  EXPECT_EQ(without->match(kIcd10, "F03"), label_bit(Label::kMh));
}

TEST(LabelRulesTest, CouldMatchIsTrueForEveryCodeSomeSystemMatches) {
  auto r = rules({{Label::kEth, "icd10:F10-F19"}, {Label::kHiv, "loinc:75622-1"}});
  EXPECT_TRUE(r->could_match("F10.2"));
  EXPECT_TRUE(r->could_match("f19.99"));
  EXPECT_TRUE(r->could_match("75622-1"));
  EXPECT_FALSE(r->could_match("F20"));
  EXPECT_FALSE(r->could_match("2345-7"));
  EXPECT_FALSE(r->could_match("laboratory"));
  EXPECT_FALSE(r->could_match(""));
}

TEST(LabelRulesTest, CompileReportsTheBadPattern) {
  auto r = LabelRules::compile(false, {{Label::kPsy, "icd10:F99-F20"}});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("icd10:F99-F20"), std::string::npos);
}

TEST(LabelRulesTest, SudIsAnAliasOfEth) {
  bool found = false;
  for (const LabelName& n : rule_label_names())
    if (n.key == "SUD") {
      found = true;
      EXPECT_EQ(n.label, Label::kEth);
    }
  EXPECT_TRUE(found);
}

}  // namespace
}  // namespace gw::labels
