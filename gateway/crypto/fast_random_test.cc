#include "gateway/crypto/fast_random.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <set>
#include <string>
#include <thread>

namespace gw::crypto {
namespace {

std::string draw(size_t n) {
  std::string s(n, '\0');
  fast_random(s.data(), n);
  return s;
}

TEST(FastRandom, OutputsDifferAndLookUniform) {
  std::set<std::string> seen;
  for (int i = 0; i < 10000; ++i) seen.insert(draw(24));
  EXPECT_EQ(seen.size(), 10000u);
  // Crude balance check on 1 MiB: each bit value about half the time.
  std::string big = draw(1 << 20);
  size_t ones = 0;
  for (unsigned char c : big) ones += __builtin_popcount(c);
  const double ratio = static_cast<double>(ones) / (8.0 * big.size());
  EXPECT_NEAR(ratio, 0.5, 0.002);
}

TEST(FastRandom, ThreadsAndForkedChildrenDoNotShareAStream) {
  draw(8);  // this thread's generator exists before the fork
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  pid_t pid = ::fork();
  if (pid == 0) {
    std::string child = draw(32);
    (void)!::write(fds[1], child.data(), child.size());
    _exit(0);
  }
  std::string parent = draw(32);
  std::string child(32, '\0');
  ASSERT_EQ(::read(fds[0], child.data(), child.size()), 32);
  ::waitpid(pid, nullptr, 0);
  ::close(fds[0]);
  ::close(fds[1]);
  EXPECT_NE(parent, child);

  std::string other;
  std::thread t([&] { other = draw(32); });
  t.join();
  EXPECT_NE(other, draw(32));
}

}  // namespace
}  // namespace gw::crypto
