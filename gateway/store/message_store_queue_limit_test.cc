// Back-pressure: while the committer is stalled (the disk, here a gate),
// submissions past max_queued_bytes fail at once with "store queue full"
// instead of blocking the caller or growing memory; the store accepts again
// once the backlog is committed.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "gateway/store/message_store.h"
#include "gateway/store/store_test_util.h"

namespace gw::store {
namespace {

using testing::CommitterGate;
using testing::make_message;
using testing::open_or_die;
using testing::ResultCollector;
using testing::TempDir;
using Kind = CommitResult::Kind;

class QueueLimitTest : public ::testing::Test {
 protected:
  StoreOptions options() const {
    StoreOptions o;
    o.path = dir_.store_file();
    o.keys = testing::test_keys();
    o.max_queued_bytes = 10000;
    return o;
  }
  TempDir dir_;
};

// make_message's ack is "MSA|AA|" + control id: 8 bytes for one-digit ids.
InboundMessage sized(const std::string& id, size_t raw_bytes) {
  return make_message("S", id, std::string(raw_bytes, 'x'));
}

TEST_F(QueueLimitTest, FullQueueFailsAtOnceWithoutBlockingAndRecovers) {
  auto store = open_or_die(options());
  ASSERT_NE(store, nullptr);
  CommitterGate gate;
  // The gate's own bytes are released when its callback starts.
  gate.close_on(*store, sized("g", 100));

  ResultCollector results;
  for (int i = 0; i < 3; ++i) {  // 3 x 3008 = 9024 <= 10000
    store->submit(sized(std::to_string(i), 3000), results.callback(i));
  }
  // 9024 + 3008 > 10000: refused, on this thread, before submit() returns.
  bool called = false;
  CommitResult refused;
  const auto start = std::chrono::steady_clock::now();
  store->submit(sized("3", 3000), [&](CommitResult r) {
    called = true;
    refused = std::move(r);
  });
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
  ASSERT_TRUE(called) << "submit() did not complete the refused submission at once";
  EXPECT_EQ(refused.kind, Kind::kFailed);
  EXPECT_EQ(refused.error, "store queue full");
  // submit_sync is refused the same way instead of waiting for the gate.
  CommitResult sync_refused = store->submit_sync(sized("4", 3000));
  EXPECT_EQ(sync_refused.kind, Kind::kFailed);
  EXPECT_EQ(sync_refused.error, "store queue full");
  // A small one still fits.
  store->submit(sized("5", 500), results.callback(3));

  StoreStats s = store->stats();
  EXPECT_EQ(s.queue_full, 2u);
  EXPECT_EQ(s.failed, 2u);

  gate.open();
  auto r = results.wait_for(4);
  for (const CommitResult& each : r) EXPECT_EQ(each.kind, Kind::kStored) << each.error;
  // The backlog is committed, so the refused message is accepted when resent.
  EXPECT_EQ(store->submit_sync(sized("3", 3000)).kind, Kind::kStored);
  EXPECT_EQ(store->stats().queue_full, 2u);
  EXPECT_EQ(store->count(std::nullopt), 6);  // gate, 0, 1, 2, 5, 3
}

TEST_F(QueueLimitTest, AMessageLargerThanTheLimitIsStoredWhenNothingElseIsHeld) {
  auto store = open_or_die(options());
  ASSERT_NE(store, nullptr);
  CommitResult r = store->submit_sync(sized("1", 50000));
  EXPECT_EQ(r.kind, Kind::kStored) << r.error;

  // ...but not while something else is held.
  CommitterGate gate;
  gate.close_on(*store, sized("g", 10));
  ResultCollector results;
  store->submit(sized("2", 10), results.callback(0));
  EXPECT_EQ(store->submit_sync(sized("3", 50000)).error, "store queue full");
  gate.open();
  // Also makes sure the committer has left the gate's callback, which uses `gate`.
  EXPECT_EQ(results.wait_for(1)[0].kind, Kind::kStored);
}

TEST_F(QueueLimitTest, ZeroMeansNoLimit) {
  StoreOptions o = options();
  o.max_queued_bytes = 0;
  auto store = open_or_die(o);
  ASSERT_NE(store, nullptr);
  CommitterGate gate;
  gate.close_on(*store, sized("g", 10));
  ResultCollector results;
  for (int i = 0; i < 20; ++i) store->submit(sized(std::to_string(i), 3000), results.callback(i));
  gate.open();
  for (const CommitResult& each : results.wait_for(20)) EXPECT_EQ(each.kind, Kind::kStored);
  EXPECT_EQ(store->stats().queue_full, 0u);
}

TEST_F(QueueLimitTest, DefaultIs256MiB) { EXPECT_EQ(StoreOptions{}.max_queued_bytes, 256u << 20); }

}  // namespace
}  // namespace gw::store
