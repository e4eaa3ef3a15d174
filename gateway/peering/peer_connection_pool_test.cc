// ConnectionPool's count of connections per key, without sockets: a checkout
// beyond max_open waits for a place, up to its deadline; places are per key.
// (Kept connections, their liveness and idle timeout are tested through
// PeerClient against a real server: peer_client_keepalive_test.cc.)
#include "gateway/peering/peer_connection_pool.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

namespace gw::peering::internal {
namespace {

using namespace std::chrono_literals;
using Clock = ConnectionPool::Clock;

PoolKey key(uint8_t fp_byte) {
  PoolKey k{"127.0.0.1", 8444, {}};
  k.fingerprint.fill(fp_byte);
  return k;
}

TEST(ConnectionPoolTest, ACheckoutBeyondMaxOpenWaitsUntilItsDeadline) {
  DeadlineReaper reaper;
  ConnectionPool pool(&reaper, 2, 2, 5s);
  EXPECT_TRUE(pool.take(key(1), Clock::now() + 1s).may_open);
  EXPECT_TRUE(pool.take(key(1), Clock::now() + 1s).may_open);
  const auto t0 = Clock::now();
  auto third = pool.take(key(1), Clock::now() + 200ms);
  EXPECT_FALSE(third.may_open);
  EXPECT_EQ(third.kept, nullptr);
  EXPECT_GE(Clock::now() - t0, 190ms);
  // Another fingerprint for the same address is another key.
  EXPECT_TRUE(pool.take(key(2), Clock::now() + 1s).may_open);
  pool.give(key(2), nullptr);
  pool.give(key(1), nullptr);
  pool.give(key(1), nullptr);
}

TEST(ConnectionPoolTest, AWaitingCheckoutGetsTheFreedPlace) {
  DeadlineReaper reaper;
  ConnectionPool pool(&reaper, 1, 1, 5s);
  ASSERT_TRUE(pool.take(key(1), Clock::now() + 1s).may_open);
  std::thread freer([&] {
    std::this_thread::sleep_for(100ms);
    pool.give(key(1), nullptr);  // the connection was lost
  });
  const auto t0 = Clock::now();
  auto next = pool.take(key(1), Clock::now() + 10s);
  const auto waited = Clock::now() - t0;
  freer.join();
  EXPECT_TRUE(next.may_open);
  EXPECT_LT(waited, 5s);
  pool.give(key(1), nullptr);
}

}  // namespace
}  // namespace gw::peering::internal
