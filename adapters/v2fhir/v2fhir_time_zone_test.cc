#include <gtest/gtest.h>

#include "adapters/v2fhir/time_zone.h"

namespace gw::v2fhir {
namespace {

int64_t Utc(int y, int mo, int d, int h, int mi) {
  return days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60;
}

TEST(TimeZoneTest, FixedOffsets) {
  std::string error;
  auto utc = find_time_zone("UTC", &error);
  ASSERT_TRUE(utc) << error;
  EXPECT_EQ(utc->offset_for_local(2024, 7, 1, 12, 0, 0), 0);
  auto plus1 = find_time_zone("+01:00", &error);
  ASSERT_TRUE(plus1);
  EXPECT_EQ(plus1->offset_for_local(2024, 7, 1, 12, 0, 0), 60);
  auto minus530 = find_time_zone("-05:30", &error);
  ASSERT_TRUE(minus530);
  EXPECT_EQ(minus530->offset_at_utc(0), -330);
}

TEST(TimeZoneTest, RejectsBadNames) {
  std::string error;
  EXPECT_FALSE(find_time_zone("../etc/passwd", &error));
  EXPECT_FALSE(error.empty());
  EXPECT_FALSE(find_time_zone("Not/AZone", &error));
  EXPECT_FALSE(find_time_zone("+15:00", &error));
  EXPECT_FALSE(find_time_zone("", &error));
  EXPECT_FALSE(find_time_zone("/usr/share/zoneinfo/UTC", &error));
}

TEST(TimeZoneTest, NewYorkDst) {
  std::string error;
  auto ny = find_time_zone("America/New_York", &error);
  ASSERT_TRUE(ny) << error;
  EXPECT_EQ(ny->offset_for_local(2024, 1, 15, 12, 0, 0), -300);  // EST
  EXPECT_EQ(ny->offset_for_local(2024, 7, 15, 12, 0, 0), -240);  // EDT
  // 2024-03-10: 02:00 EST -> 03:00 EDT.
  EXPECT_EQ(ny->offset_for_local(2024, 3, 10, 1, 59, 0), -300);
  EXPECT_EQ(ny->offset_for_local(2024, 3, 10, 3, 0, 0), -240);
  EXPECT_EQ(ny->offset_for_local(2024, 3, 10, 2, 30, 0), -300);  // skipped: offset before the gap
  // 2024-11-03: 02:00 EDT -> 01:00 EST; 01:30 happens twice -> first (EDT).
  EXPECT_EQ(ny->offset_for_local(2024, 11, 3, 1, 30, 0), -240);
  EXPECT_EQ(ny->offset_for_local(2024, 11, 3, 2, 30, 0), -300);
  EXPECT_EQ(ny->offset_at_utc(Utc(2024, 11, 3, 5, 59)), -240);
  EXPECT_EQ(ny->offset_at_utc(Utc(2024, 11, 3, 6, 0)), -300);
  // Historical rules (1970s) come from the transitions table.
  EXPECT_EQ(ny->offset_for_local(1974, 1, 15, 12, 0, 0), -240);  // 1974 year-round DST
}

TEST(TimeZoneTest, FooterRuleBeyondTransitions) {
  std::string error;
  auto berlin = find_time_zone("Europe/Berlin", &error);
  ASSERT_TRUE(berlin) << error;
  EXPECT_TRUE(berlin->footer.valid);
  EXPECT_EQ(berlin->offset_for_local(2024, 1, 1, 0, 0, 0), 60);
  EXPECT_EQ(berlin->offset_for_local(2024, 6, 1, 0, 0, 0), 120);
  // Far beyond the last transition in the file: the POSIX rule applies.
  EXPECT_EQ(berlin->offset_for_local(2100, 7, 1, 12, 0, 0), 120);
  EXPECT_EQ(berlin->offset_for_local(2100, 12, 1, 12, 0, 0), 60);
  // Last Sunday of March 2100 is the 28th: 02:00 CET -> 03:00 CEST.
  EXPECT_EQ(berlin->offset_at_utc(Utc(2100, 3, 28, 0, 59)), 60);
  EXPECT_EQ(berlin->offset_at_utc(Utc(2100, 3, 28, 1, 0)), 120);
  auto ny = find_time_zone("America/New_York", &error);
  ASSERT_TRUE(ny);
  // 2nd Sunday of March 2090 is the 12th.
  EXPECT_EQ(ny->offset_for_local(2090, 3, 12, 1, 0, 0), -300);
  EXPECT_EQ(ny->offset_for_local(2090, 3, 12, 3, 0, 0), -240);
}

TEST(TimeZoneTest, CachedInstanceIsShared) {
  std::string error;
  auto a = find_time_zone("Europe/Berlin", &error);
  auto b = find_time_zone("Europe/Berlin", &error);
  EXPECT_EQ(a.get(), b.get());
}

}  // namespace
}  // namespace gw::v2fhir
