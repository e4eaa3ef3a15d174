#include <gtest/gtest.h>

#include "adapters/v2fhir/time_zone.h"

namespace gw::v2fhir::testing {
namespace {

// The zone, or nullptr after a failed expectation that names the error.
std::shared_ptr<const TimeZone> zone(std::string_view name) {
  auto z = find_time_zone(name);
  EXPECT_TRUE(z.ok()) << name << ": " << z.status().message();
  return z.ok() ? *z : nullptr;
}

int64_t Utc(int y, int mo, int d, int h, int mi) {
  return days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60;
}

TEST(TimeZoneTest, FixedOffsets) {
  auto utc = zone("UTC");
  ASSERT_TRUE(utc);
  EXPECT_EQ(utc->offset_for_local(2024, 7, 1, 12, 0, 0), 0);
  auto plus1 = zone("+01:00");
  ASSERT_TRUE(plus1);
  EXPECT_EQ(plus1->offset_for_local(2024, 7, 1, 12, 0, 0), 60);
  auto minus530 = zone("-05:30");
  ASSERT_TRUE(minus530);
  EXPECT_EQ(minus530->offset_at_utc(0), -330);
}

TEST(TimeZoneTest, RejectsBadNames) {
  auto bad = find_time_zone("../etc/passwd");
  ASSERT_FALSE(bad.ok());
  EXPECT_FALSE(bad.error().message().empty());
  EXPECT_FALSE(find_time_zone("Not/AZone").ok());
  EXPECT_FALSE(find_time_zone("+15:00").ok());
  EXPECT_FALSE(find_time_zone("").ok());
  EXPECT_FALSE(find_time_zone("/usr/share/zoneinfo/UTC").ok());
}

TEST(TimeZoneTest, NewYorkDst) {
  auto ny = zone("America/New_York");
  ASSERT_TRUE(ny);
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
  auto berlin = zone("Europe/Berlin");
  ASSERT_TRUE(berlin);
  EXPECT_TRUE(berlin->footer.valid);
  EXPECT_EQ(berlin->offset_for_local(2024, 1, 1, 0, 0, 0), 60);
  EXPECT_EQ(berlin->offset_for_local(2024, 6, 1, 0, 0, 0), 120);
  // Far beyond the last transition in the file: the POSIX rule applies.
  EXPECT_EQ(berlin->offset_for_local(2100, 7, 1, 12, 0, 0), 120);
  EXPECT_EQ(berlin->offset_for_local(2100, 12, 1, 12, 0, 0), 60);
  // Last Sunday of March 2100 is the 28th: 02:00 CET -> 03:00 CEST.
  EXPECT_EQ(berlin->offset_at_utc(Utc(2100, 3, 28, 0, 59)), 60);
  EXPECT_EQ(berlin->offset_at_utc(Utc(2100, 3, 28, 1, 0)), 120);
  auto ny = zone("America/New_York");
  ASSERT_TRUE(ny);
  // 2nd Sunday of March 2090 is the 12th.
  EXPECT_EQ(ny->offset_for_local(2090, 3, 12, 1, 0, 0), -300);
  EXPECT_EQ(ny->offset_for_local(2090, 3, 12, 3, 0, 0), -240);
}

TEST(TimeZoneTest, CachedInstanceIsShared) {
  auto a = zone("Europe/Berlin");
  auto b = zone("Europe/Berlin");
  EXPECT_EQ(a.get(), b.get());
}

}  // namespace
}  // namespace gw::v2fhir::testing
