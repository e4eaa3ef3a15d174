#include "gateway/peering/sigpipe_guard.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

namespace gw::peering::internal {
namespace {

bool sigpipe_blocked() {
  sigset_t now;
  pthread_sigmask(SIG_SETMASK, nullptr, &now);
  return sigismember(&now, SIGPIPE) == 1;
}

TEST(SigpipeGuardTest, AWriteToAClosedPeerFailsWithoutEndingTheProcess) {
  // Start from SIGPIPE not blocked, whatever mask the test runner inherited.
  sigset_t pipe_only, inherited;
  sigemptyset(&pipe_only);
  sigaddset(&pipe_only, SIGPIPE);
  pthread_sigmask(SIG_UNBLOCK, &pipe_only, &inherited);
  ASSERT_FALSE(sigpipe_blocked());
  int fds[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  ::close(fds[1]);
  {
    SigpipeGuard guard;
    EXPECT_TRUE(sigpipe_blocked());
    // What OpenSSL's socket BIO does: write(2), no MSG_NOSIGNAL. Without
    // the guard the default action of SIGPIPE would end this test binary.
    EXPECT_EQ(::write(fds[0], "x", 1), -1);
    EXPECT_EQ(errno, EPIPE);
  }
  // The signal was consumed, and the mask is as it was.
  EXPECT_FALSE(sigpipe_blocked());
  sigset_t pending;
  sigpending(&pending);
  EXPECT_EQ(sigismember(&pending, SIGPIPE), 0);
  ::close(fds[0]);
  pthread_sigmask(SIG_SETMASK, &inherited, nullptr);
}

}  // namespace
}  // namespace gw::peering::internal
