// The syncer: a commit's callback runs only after an fdatasync of the WAL
// that began after the commit, callbacks run in commit order (so a duplicate
// of an original not yet synced is answered only once the original is
// durable), a failed sync fails its groups and every later write, and
// wait_durable() waits for what was committed before it. The sync step is
// held or failed through StoreOptions::sync_hook.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "gateway/store/message_store.h"
#include "gateway/store/store_test_util.h"

namespace gw::store {
namespace {

using testing::kTestDeadline;
using testing::make_message;
using testing::open_or_die;
using testing::TempDir;
using Kind = CommitResult::Kind;
using namespace std::chrono_literals;

// Holds every sync while closed; records the order callbacks ran in.
class SyncGate {
 public:
  std::function<Status()> hook() {
    return [this]() -> Status {
      std::unique_lock<std::mutex> lock(mu_);
      ++entered_;
      cv_.notify_all();
      if (!cv_.wait_for(lock, kTestDeadline, [this] { return open_; })) {
        ADD_FAILURE() << "sync gate not opened within the test deadline";
      }
      return ok_status();
    };
  }
  void open() {
    std::lock_guard<std::mutex> lock(mu_);
    open_ = true;
    cv_.notify_all();
  }
  // Waits until a sync is held at the gate.
  bool wait_entered() {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, kTestDeadline, [this] { return entered_ > 0; });
  }
  CommitCallback record(int index) {
    return [this, index](CommitResult r) {
      std::lock_guard<std::mutex> lock(mu_);
      order_.push_back(index);
      results_.push_back(std::move(r));
      cv_.notify_all();
    };
  }
  size_t callbacks() {
    std::lock_guard<std::mutex> lock(mu_);
    return order_.size();
  }
  bool wait_callbacks(size_t n) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, kTestDeadline, [&] { return order_.size() >= n; });
  }
  std::vector<int> order() {
    std::lock_guard<std::mutex> lock(mu_);
    return order_;
  }
  std::vector<CommitResult> results() {
    std::lock_guard<std::mutex> lock(mu_);
    return results_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int entered_ = 0;
  bool open_ = false;
  std::vector<int> order_;
  std::vector<CommitResult> results_;
};

class SyncerTest : public ::testing::Test {
 protected:
  StoreOptions options() const {
    StoreOptions o;
    o.path = dir_.store_file();
    o.keys = testing::test_keys();
    return o;
  }
  TempDir dir_;
};

TEST_F(SyncerTest, NoCallbackBeforeTheSyncThatCoversIt) {
  SyncGate gate;
  StoreOptions o = options();
  o.sync_hook = gate.hook();
  auto store = open_or_die(o);
  ASSERT_NE(store, nullptr);

  constexpr int kMessages = 6;
  store->submit(make_message("S", "0", "MSH|0"), gate.record(0));
  ASSERT_TRUE(gate.wait_entered());  // message 0 is committed and its sync is held
  for (int i = 1; i < kMessages; ++i) {
    store->submit(make_message("S", std::to_string(i), "MSH|" + std::to_string(i)), gate.record(i));
  }
  // wait_durable() waits for the held sync too.
  auto durable = std::async(std::launch::async, [&] { return store->wait_durable(); });

  // While the sync is held the committer goes on (one more group is
  // committed and readable; then it waits for the syncer to take it) but
  // nothing is acknowledged, nor counted as stored.
  const auto deadline = std::chrono::steady_clock::now() + kTestDeadline;
  while (store->count(std::nullopt) < 2 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(5ms);
  EXPECT_GE(store->count(std::nullopt), 2);
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(gate.callbacks(), 0u);
  EXPECT_EQ(store->stats().stored, 0u);
  EXPECT_EQ(durable.wait_for(0ms), std::future_status::timeout);

  gate.open();
  ASSERT_TRUE(gate.wait_callbacks(kMessages));
  EXPECT_TRUE(durable.get().ok());
  std::vector<int> expected;
  for (int i = 0; i < kMessages; ++i) expected.push_back(i);
  EXPECT_EQ(gate.order(), expected);  // commit order
  for (const CommitResult& r : gate.results()) EXPECT_EQ(r.kind, Kind::kStored) << r.error;
  const StoreStats s = store->stats();
  EXPECT_EQ(s.stored, static_cast<uint64_t>(kMessages));
  EXPECT_EQ(s.durable_groups, s.transactions);
  EXPECT_EQ(s.synced_messages, static_cast<uint64_t>(kMessages));
  EXPECT_GE(s.syncs, 1u);
  EXPECT_LE(s.syncs, s.transactions);
  EXPECT_EQ(s.sync_failures, 0u);
}

TEST_F(SyncerTest, DuplicateOfAnUnsyncedOriginalIsAnsweredAfterItsSync) {
  SyncGate gate;
  StoreOptions o = options();
  o.sync_hook = gate.hook();
  auto store = open_or_die(o);
  ASSERT_NE(store, nullptr);

  store->submit(make_message("S", "42", "MSH|original"), gate.record(0));
  ASSERT_TRUE(gate.wait_entered());  // the original is committed, its sync held
  store->submit(make_message("S", "42", "MSH|original"), gate.record(1));
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(gate.callbacks(), 0u);

  gate.open();
  ASSERT_TRUE(gate.wait_callbacks(2));
  EXPECT_EQ(gate.order(), (std::vector<int>{0, 1}));
  const std::vector<CommitResult> r = gate.results();
  EXPECT_EQ(r[0].kind, Kind::kStored);
  EXPECT_EQ(r[1].kind, Kind::kDuplicate);
  EXPECT_EQ(r[1].id, r[0].id);
  EXPECT_EQ(r[1].ack, "MSA|AA|42");
}

TEST_F(SyncerTest, FailedSyncFailsItsGroupsAndEveryLaterWrite) {
  std::atomic<int> fail_next{1};
  std::mutex warn_mu;
  std::vector<std::string> warnings;
  StoreOptions o = options();
  o.sync_hook = [&]() -> Status {
    if (fail_next.fetch_sub(1) > 0) return unavailable_error("injected I/O error");
    return ok_status();
  };
  o.warning = [&](const std::string& w) {
    std::lock_guard<std::mutex> lock(warn_mu);
    warnings.push_back(w);
  };
  auto store = open_or_die(o);
  ASSERT_NE(store, nullptr);

  CommitResult first = store->submit_sync(make_message("S", "1", "MSH|PID|||555-12-3456"));
  EXPECT_EQ(first.kind, Kind::kFailed);
  EXPECT_NE(first.error.find("sync failed"), std::string::npos) << first.error;
  EXPECT_EQ(first.error.find("555-12-3456"), std::string::npos) << first.error;
  StoreStats s = store->stats();
  EXPECT_EQ(s.sync_failures, 1u);
  EXPECT_EQ(s.failed, 1u);
  EXPECT_EQ(s.stored, 0u);
  EXPECT_EQ(s.durable_groups, 0u);
  {
    std::lock_guard<std::mutex> lock(warn_mu);
    ASSERT_EQ(warnings.size(), 1u);
    EXPECT_NE(warnings[0].find("sync failed"), std::string::npos);
  }

  // The store fails closed: SQLite had committed the failed group, so a
  // resend would be answered as a duplicate of data that may not be on disk.
  // Every later submission is refused (the sender keeps it and resends after
  // the restart), without content in the error.
  CommitResult resend = store->submit_sync(make_message("S", "1", "MSH|PID|||555-12-3456"));
  EXPECT_EQ(resend.kind, Kind::kFailed);
  EXPECT_NE(resend.error.find("failed sync"), std::string::npos) << resend.error;
  EXPECT_EQ(resend.error.find("555-12-3456"), std::string::npos) << resend.error;
  CommitResult next = store->submit_sync(make_message("S", "2", "MSH|2"));
  EXPECT_EQ(next.kind, Kind::kFailed) << next.error;
  s = store->stats();
  EXPECT_EQ(s.sync_failures, 1u);
  EXPECT_EQ(s.stored, 0u);
  EXPECT_EQ(s.duplicates, 0u);
  EXPECT_EQ(s.failed, 3u);
}

TEST_F(SyncerTest, WaitDurableReportsAFailedSync) {
  std::atomic<bool> fail{false};
  SyncGate gate;
  StoreOptions o = options();
  auto held = gate.hook();
  o.sync_hook = [&]() -> Status {
    held();
    return fail.load() ? unavailable_error("injected I/O error") : ok_status();
  };
  auto store = open_or_die(o);
  ASSERT_NE(store, nullptr);
  fail = true;
  store->submit(make_message("S", "1", "MSH|1"), gate.record(0));
  ASSERT_TRUE(gate.wait_entered());
  auto durable = std::async(std::launch::async, [&] { return store->wait_durable(); });
  std::this_thread::sleep_for(50ms);
  gate.open();
  const Status st = durable.get();
  EXPECT_EQ(st.code(), StatusCode::kUnavailable) << st.message();
  ASSERT_TRUE(gate.wait_callbacks(1));
  EXPECT_EQ(gate.results()[0].kind, Kind::kFailed);
}

TEST_F(SyncerTest, WaitDurableFromACallbackIsRefused) {
  auto store = open_or_die(options());
  ASSERT_NE(store, nullptr);
  std::promise<Status> from_callback;
  store->submit(make_message("S", "1", "MSH|1"),
                [&](CommitResult) { from_callback.set_value(store->wait_durable()); });
  auto f = from_callback.get_future();
  ASSERT_EQ(f.wait_for(kTestDeadline), std::future_status::ready);
  EXPECT_EQ(f.get().code(), StatusCode::kFailedPrecondition);
}

// TRUNCATE checkpoints (forced here by a tiny max_wal_bytes) shorten the WAL
// in place: the syncer's descriptor stays on the file SQLite writes.
TEST_F(SyncerTest, TheWalKeepsItsInodeThroughTruncations) {
  StoreOptions o = options();
  o.checkpoint_pages = 4;
  o.max_wal_bytes = 16 * 4120;
  auto store = open_or_die(o);
  ASSERT_NE(store, nullptr);
  struct stat before {};
  ASSERT_EQ(::stat((o.path + "-wal").c_str(), &before), 0);
  const std::string big(20000, 'x');
  for (int i = 0; i < 200; ++i) {
    CommitResult r = store->submit_sync(make_message("S", std::to_string(i), "MSH|" + big));
    ASSERT_EQ(r.kind, Kind::kStored) << r.error;
  }
  const auto deadline = std::chrono::steady_clock::now() + kTestDeadline;
  while (store->stats().checkpoint_restarts == 0 && std::chrono::steady_clock::now() < deadline) {
    store->submit_sync(make_message("S", "more", "MSH|" + big));
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_GT(store->stats().checkpoint_restarts, 0u);
  struct stat after {};
  ASSERT_EQ(::stat((o.path + "-wal").c_str(), &after), 0);
  EXPECT_EQ(after.st_ino, before.st_ino);
  EXPECT_EQ(store->stats().wal_reopens, 0u);
  EXPECT_EQ(store->stats().sync_failures, 0u);
}

}  // namespace
}  // namespace gw::store
