#include "adapters/mllp/fd_limit.h"

#include <gtest/gtest.h>
#include <sys/resource.h>

namespace gw::mllp {
namespace {

TEST(FdLimitTest, RaisesSoftLimitWithinHardLimit) {
  rlimit before{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &before), 0);
  std::string error;
  EXPECT_TRUE(raise_fd_limit(64, &error)) << error;  // already satisfied
  if (before.rlim_max != RLIM_INFINITY && before.rlim_max > 256) {
    EXPECT_TRUE(raise_fd_limit(before.rlim_max, &error)) << error;
    rlimit after{};
    ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &after), 0);
    EXPECT_EQ(after.rlim_cur, before.rlim_max);
  }
}

TEST(FdLimitTest, ReportsHardLimitTooLow) {
  rlimit lim{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &lim), 0);
  if (lim.rlim_max == RLIM_INFINITY) GTEST_SKIP() << "no hard limit";
  std::string error;
  EXPECT_FALSE(raise_fd_limit(static_cast<size_t>(lim.rlim_max) + 1, &error));
  EXPECT_NE(error.find("hard limit"), std::string::npos) << error;
}

}  // namespace
}  // namespace gw::mllp
