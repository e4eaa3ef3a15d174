// The value rules of Safe Harbor (rules.h) and the study keys, one by one.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "gateway/deid/deid_test_support.h"
#include "gateway/deid/rules.h"
#include "gateway/deid/study_keys.h"

namespace gw::deid::internal {
namespace {

using std::chrono::day;
using std::chrono::month;
using std::chrono::year;
using std::chrono::year_month_day;

const year_month_day kRef{year{2026}, month{12}, day{7}};

TEST(DeidRules, YearOnlyKeepsTheYearOfDatesAndDateTimes) {
  EXPECT_EQ(year_only("2026-03-04T10:15:00+01:00"), "2026");
  EXPECT_EQ(year_only("2026-03"), "2026");
  EXPECT_EQ(year_only("2026"), "2026");
  EXPECT_EQ(year_only("20260304"), std::nullopt);
  EXPECT_EQ(year_only("26-03-04"), std::nullopt);
  EXPECT_EQ(year_only(""), std::nullopt);
}

TEST(DeidRules, BirthAgeGroupsFromTheNinetiethBirthday) {
  EXPECT_EQ(birth_age("1936-12-07", kRef), BirthAge::k90OrOlder);  // 90 today
  EXPECT_EQ(birth_age("1936-12-08", kRef), BirthAge::kUnder90);    // 90 tomorrow
  EXPECT_EQ(birth_age("1934-02-17", kRef), BirthAge::k90OrOlder);
  EXPECT_EQ(birth_age("1980-05-01", kRef), BirthAge::kUnder90);
  // Partial dates count from their earliest day: 1936 may be 90 already.
  EXPECT_EQ(birth_age("1936", kRef), BirthAge::k90OrOlder);
  EXPECT_EQ(birth_age("1937", kRef), BirthAge::kUnder90);
  EXPECT_EQ(birth_age("1936-12", kRef), BirthAge::k90OrOlder);
  EXPECT_EQ(birth_age("1937-01", kRef), BirthAge::kUnder90);
}

TEST(DeidRules, BirthAgeOfNonsenseIsUnknown) {
  for (const char* bad :
       {"", "1936-13-01", "1936-02-30", "2027-01-01", "19x6", "1936-1-1", "1936-12-07T00:00:00Z"}) {
    EXPECT_EQ(birth_age(bad, kRef), BirthAge::kUnknown) << bad;
  }
}

TEST(DeidRules, LatestDayOfAPartialDate) {
  EXPECT_EQ(latest_day("2000"), (year_month_day{year{2000}, month{12}, day{31}}));
  EXPECT_EQ(latest_day("2000-02"), (year_month_day{year{2000}, month{2}, day{29}}));
  EXPECT_EQ(latest_day("2001-02-03T04:05:06Z"), (year_month_day{year{2001}, month{2}, day{3}}));
  for (const char* bad : {"", "200", "2000-13", "2001-02-29", "2000-1", "x000"}) {
    EXPECT_EQ(latest_day(bad), std::nullopt) << bad;
  }
}

TEST(DeidRules, Zip3KeepsThreeDigitsAndZeroesRestrictedPrefixes) {
  std::vector<std::string> restricted;
  for (std::string_view z : default_restricted_zip3()) restricted.emplace_back(z);
  ASSERT_EQ(restricted.size(), 17u);
  EXPECT_EQ(zip3("02138", "", restricted), "021");
  EXPECT_EQ(zip3("02138-4401", "US", restricted), "021");
  EXPECT_EQ(zip3("021384401", "usa", restricted), "021");
  EXPECT_EQ(zip3("03601", "United States", restricted), "000");
  for (const std::string& prefix : restricted) {
    EXPECT_EQ(zip3(prefix + "12", "", restricted), "000") << prefix;
  }
  EXPECT_EQ(zip3("SW1A 1AA", "GB", restricted), std::nullopt);
  EXPECT_EQ(zip3("75007", "FR", restricted), std::nullopt);  // not a US ZIP code
  EXPECT_EQ(zip3("0213", "", restricted), std::nullopt);
  EXPECT_EQ(zip3("02138 Cambridge", "", restricted), std::nullopt);
  EXPECT_EQ(zip3("", "", restricted), std::nullopt);
}

TEST(DeidRules, AgeInYearsByUcumUnit) {
  EXPECT_DOUBLE_EQ(*age_in_years("92", "a"), 92);
  EXPECT_DOUBLE_EQ(*age_in_years("1104", "mo"), 92);
  EXPECT_NEAR(*age_in_years("33603", "d"), 92, 0.01);
  EXPECT_DOUBLE_EQ(*age_in_years("92", ""), 92);  // unlabelled: counted as years
  EXPECT_EQ(age_in_years("", "a"), std::nullopt);
  EXPECT_EQ(age_in_years("9x", "a"), std::nullopt);
}

TEST(DeidRules, PhiWordsMatchWholeWordsCaseInsensitively) {
  PhiWords phi;
  phi.add("Zwolinski");
  phi.add("77 Quillfeather Lane");
  phi.add("J");  // initials are too short to match on
  EXPECT_TRUE(phi.matches("per Mrs. ZWOLINSKI"));
  EXPECT_TRUE(phi.matches("quillfeather"));
  EXPECT_FALSE(phi.matches("Zwolinskis"));
  EXPECT_FALSE(phi.matches("Type J insulin"));
  EXPECT_FALSE(phi.matches("Hypertensive disorder"));
  EXPECT_TRUE(phi.matches("Lane 77"));
}

TEST(DeidRules, StudyKeysAreDomainSeparatedHexAndKeyed) {
  crypto::SecretBytes a = test_support::study_key(1), b = test_support::study_key(2);
  StudyKeys ka(a), kb(b);
  std::string id = *ka.resource_id("Patient", "p1");
  EXPECT_EQ(id.size(), 64u);
  EXPECT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(id, *ka.resource_id("Patient", "p1"));
  EXPECT_NE(id, *ka.resource_id("Observation", "p1"));
  EXPECT_NE(id, *kb.resource_id("Patient", "p1"));
  EXPECT_NE(*ka.pseudonym("Patient/p1"), *ka.resource_id("Patient", "p1"));
  EXPECT_NE(*ka.pseudonym("tok"), *kb.pseudonym("tok"));
  crypto::SecretBytes empty;
  EXPECT_EQ(StudyKeys(empty).pseudonym("tok"), std::nullopt);
}

}  // namespace
}  // namespace gw::deid::internal
