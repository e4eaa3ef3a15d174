// Concurrency: many submitters share transactions (group commit), duplicates
// racing each other resolve to one row, and reads run while commits happen.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <barrier>
#include <cstdio>
#include <thread>

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

class GroupCommitTest : public ::testing::Test {
 protected:
  StoreOptions options() const {
    StoreOptions o;
    o.path = dir_.store_file();
    o.keys = testing::test_keys();
    return o;
  }
  TempDir dir_;
};

// Each thread behaves like an MLLP connection: one message in flight, the next
// sent only after the previous one's result. Why fewer transactions than
// messages is not a matter of luck: a thread is either waiting in the queue or
// waiting for a transaction that includes it, and every commit takes at least
// one fsync (~200 us here, far longer than waking a thread), so while group k
// commits, the threads released by group k-1 queue up and form group k+1.
// Only if the committer finished each commit before any other thread could
// submit would groups be of size 1, and 16 threads on 2 cores cannot all be
// that slow for 3200 commits. The bound asserted (mean group > 2) is loose.
TEST_F(GroupCommitTest, SynchronousSubmittersShareTransactions) {
  auto store = open_or_die(options());
  ASSERT_NE(store, nullptr);
  constexpr int kThreads = 16, kPerThread = 200;
  std::vector<std::vector<int64_t>> ids(kThreads);
  std::atomic<int> not_stored{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        CommitResult r = store->submit_sync(
            make_message("T" + std::to_string(t), std::to_string(i), "MSH|" + std::to_string(i)));
        if (r.kind != Kind::kStored) not_stored.fetch_add(1);
        ids[t].push_back(r.id);
      }
    });
  }
  for (auto& th : threads) th.join();

  EXPECT_EQ(not_stored.load(), 0);
  std::vector<int64_t> all;
  for (const auto& v : ids) all.insert(all.end(), v.begin(), v.end());
  std::sort(all.begin(), all.end());
  EXPECT_EQ(std::unique(all.begin(), all.end()), all.end()) << "an id was handed out twice";
  EXPECT_EQ(store->count(std::nullopt), kThreads * kPerThread);

  const StoreStats s = store->stats();
  EXPECT_EQ(s.submitted, static_cast<uint64_t>(kThreads * kPerThread));
  EXPECT_EQ(s.stored, s.submitted);
  std::printf("16 synchronous submitters: %llu messages in %llu transactions (mean group %.1f)\n",
              static_cast<unsigned long long>(s.submitted),
              static_cast<unsigned long long>(s.transactions),
              static_cast<double>(s.submitted) / static_cast<double>(s.transactions));
  EXPECT_LT(s.transactions, s.submitted / 2);
}

TEST_F(GroupCommitTest, AsynchronousBurstFormsLargeGroups) {
  auto store = open_or_die(options());
  ASSERT_NE(store, nullptr);
  constexpr int kThreads = 16, kPerThread = 200, kTotal = kThreads * kPerThread;
  ResultCollector results;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        store->submit(make_message("T" + std::to_string(t), std::to_string(i), "m"),
                      results.callback(static_cast<size_t>(t * kPerThread + i)));
      }
    });
  }
  for (auto& th : threads) th.join();
  auto r = results.wait_for(kTotal);
  for (const CommitResult& each : r) ASSERT_EQ(each.kind, Kind::kStored) << each.error;
  const StoreStats s = store->stats();
  std::printf("async burst: %llu messages in %llu transactions\n",
              static_cast<unsigned long long>(s.submitted),
              static_cast<unsigned long long>(s.transactions));
  EXPECT_LT(s.transactions, s.submitted / 2);
}

TEST_F(GroupCommitTest, MaxBatchBoundsTheGroupSize) {
  StoreOptions o = options();
  o.max_batch = 4;
  auto store = open_or_die(o);
  ASSERT_NE(store, nullptr);
  CommitterGate gate;
  gate.close_on(*store, make_message("GATE", "0", "gate"));
  const uint64_t before = store->stats().transactions;
  ResultCollector results;
  for (int i = 0; i < 18; ++i) {
    store->submit(make_message("S", std::to_string(i), "m"), results.callback(i));
  }
  gate.open();
  results.wait_for(18);
  EXPECT_EQ(store->stats().transactions - before, 5u);  // 4+4+4+4+2
}

TEST_F(GroupCommitTest, RacingDuplicatesResolveToOneRow) {
  auto store = open_or_die(options());
  ASSERT_NE(store, nullptr);
  constexpr int kThreads = 16;
  std::barrier start(kThreads);
  std::vector<CommitResult> r(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      start.arrive_and_wait();
      r[t] = store->submit_sync(make_message("S", "same", "payload"));
    });
  }
  for (auto& th : threads) th.join();
  int stored = 0, duplicates = 0;
  for (const CommitResult& each : r) {
    if (each.kind == Kind::kStored) ++stored;
    if (each.kind == Kind::kDuplicate) ++duplicates;
  }
  EXPECT_EQ(stored, 1);
  EXPECT_EQ(duplicates, kThreads - 1);
  for (const CommitResult& each : r) EXPECT_EQ(each.id, r[0].id);
  auto rows = store->list(0, 10);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].duplicates_seen, kThreads - 1);
}

TEST_F(GroupCommitTest, ReadsRunWhileCommitting) {
  auto store = open_or_die(options());
  ASSERT_NE(store, nullptr);
  constexpr int kWriters = 4, kPerWriter = 300;
  std::atomic<bool> done{false};
  std::atomic<int> read_problems{0};
  std::thread reader([&] {
    int64_t last_count = 0;
    while (!done.load()) {
      const int64_t n = store->count(std::nullopt);
      if (n < last_count) read_problems.fetch_add(1);
      last_count = n;
      for (const auto& row : store->list(std::max<int64_t>(0, n - 20), 20)) {
        if (!store->raw_message(row.id).has_value()) read_problems.fetch_add(1);
      }
      (void)store->stats();
    }
  });
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      for (int i = 0; i < kPerWriter; ++i) {
        store->submit_sync(make_message("W" + std::to_string(w), std::to_string(i), "m"));
      }
    });
  }
  for (auto& th : writers) th.join();
  done.store(true);
  reader.join();
  EXPECT_EQ(read_problems.load(), 0);
  EXPECT_EQ(store->count(std::nullopt), kWriters * kPerWriter);
  EXPECT_EQ(store->stats().read_errors, 0u);
}

}  // namespace
}  // namespace gw::store
