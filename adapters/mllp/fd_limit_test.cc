#include "adapters/mllp/fd_limit.h"

#include <gtest/gtest.h>
#include <sys/resource.h>

namespace gw::mllp {
namespace {

TEST(FdLimitTest, RaisesSoftLimitWithinHardLimit) {
  rlimit before{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &before), 0);
  gw::Status status = raise_fd_limit(64);
  EXPECT_TRUE(status.ok()) << status.message();  // already satisfied
  if (before.rlim_max != RLIM_INFINITY && before.rlim_max > 256) {
    status = raise_fd_limit(before.rlim_max);
    EXPECT_TRUE(status.ok()) << status.message();
    rlimit after{};
    ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &after), 0);
    EXPECT_EQ(after.rlim_cur, before.rlim_max);
  }
}

TEST(FdLimitTest, ReportsHardLimitTooLow) {
  rlimit lim{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &lim), 0);
  if (lim.rlim_max == RLIM_INFINITY) GTEST_SKIP() << "no hard limit";
  gw::Status status = raise_fd_limit(static_cast<size_t>(lim.rlim_max) + 1);
  EXPECT_FALSE(status.ok());
  EXPECT_NE(status.message().find("hard limit"), std::string::npos) << status.message();
}

}  // namespace
}  // namespace gw::mllp
