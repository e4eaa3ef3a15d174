// What happens when a group cannot be committed: the whole group fails with
// kFailed, nothing of it is left in the database, no message content leaks
// into the error, and the store keeps working for later groups.
#include <gtest/gtest.h>

#include "gateway/store/message_store.h"
#include "gateway/store/message_store_internal.h"
#include "gateway/store/store_test_util.h"

namespace gw::store {
namespace {

using testing::CommitterGate;
using testing::make_message;
using testing::open_or_die;
using testing::query_text;
using testing::ResultCollector;
using testing::TempDir;
using Kind = CommitResult::Kind;

constexpr char kPhi[] = "PID|1||555-12-3456||DOE^JANE";

class MessageStoreFailureTest : public ::testing::Test {
 protected:
  StoreOptions options() const {
    StoreOptions o;
    o.path = dir_.store_file();
    o.keys = testing::test_keys();
    return o;
  }
  TempDir dir_;
};

TEST_F(MessageStoreFailureTest, LockedDatabaseFailsTheGroupAndTheStoreRecovers) {
  StoreOptions o = options();
  o.busy_timeout = std::chrono::milliseconds(100);
  auto store = open_or_die(o);
  ASSERT_NE(store, nullptr);

  // Another writer holds the write lock longer than the busy timeout.
  sqlite3* blocker = nullptr;
  ASSERT_EQ(sqlite3_open(o.path.c_str(), &blocker), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(blocker, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);

  InboundMessage m = make_message("S", "1", std::string("MSH|...\r") + kPhi);
  CommitResult r = store->submit_sync(m);
  EXPECT_EQ(r.kind, Kind::kFailed);
  EXPECT_NE(r.error.find("locked"), std::string::npos) << r.error;
  EXPECT_EQ(r.error.find("555-12-3456"), std::string::npos) << r.error;

  ASSERT_EQ(sqlite3_exec(blocker, "ROLLBACK", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(blocker);

  // Same message again: stored (the failed attempt left nothing behind).
  CommitResult again = store->submit_sync(m);
  EXPECT_EQ(again.kind, Kind::kStored) << again.error;
  EXPECT_EQ(store->count(std::nullopt), 1);
  StoreStats s = store->stats();
  EXPECT_EQ(s.failed, 1u);
  EXPECT_EQ(s.stored, 1u);
  EXPECT_EQ(s.transactions, 1u);
}

TEST_F(MessageStoreFailureTest, FullDatabaseFailsTheWholeGroupAndRollsItBack) {
  StoreOptions o = options();
  // The empty schema (v3) takes 18 pages of 4 KiB; room for a few messages.
  o.max_database_bytes = 128 * 1024;
  auto store = open_or_die(o);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(internal::write_connection_settings(*store)->max_page_count, 32);

  CommitResult x = store->submit_sync(make_message("S", "x", "existing"));
  ASSERT_EQ(x.kind, Kind::kStored) << x.error;

  // One group: a small message, a duplicate of x and one too big to fit.
  CommitterGate gate;
  gate.close_on(*store, make_message("S", "gate", "gate"));
  ResultCollector results;
  store->submit(make_message("S", "a", "small"), results.callback(0));
  store->submit(make_message("S", "x", "existing"), results.callback(1));
  store->submit(make_message("S", "big", std::string(kPhi) + std::string(1 << 20, 'z')),
                results.callback(2));
  gate.open();
  auto r = results.wait_for(3);
  for (const CommitResult& each : r) {
    EXPECT_EQ(each.kind, Kind::kFailed);
    EXPECT_NE(each.error.find("full"), std::string::npos) << each.error;
    EXPECT_EQ(each.error.find("555-12-3456"), std::string::npos) << each.error;
    EXPECT_EQ(each.error.find("zzzz"), std::string::npos);
  }

  // Nothing of the failed group remains: x's duplicate count was rolled back
  // and "a" was never stored, so it is stored now rather than a duplicate.
  auto rows = store->list(0, 10);
  ASSERT_EQ(rows.size(), 2u);  // x and the gate message
  EXPECT_EQ(rows[0].duplicates_seen, 0);
  CommitResult a = store->submit_sync(make_message("S", "a", "small"));
  EXPECT_EQ(a.kind, Kind::kStored) << a.error;
  EXPECT_EQ(store->count(std::nullopt), 3);
  EXPECT_EQ(store->stats().failed, 3u);
  EXPECT_EQ(query_text(o.path, "PRAGMA integrity_check"), "ok");
}

TEST_F(MessageStoreFailureTest, FillingTheDatabaseKeepsEveryStoredMessage) {
  StoreOptions o = options();
  o.max_database_bytes = 256 * 1024;
  std::vector<std::pair<int64_t, std::string>> stored;
  {
    auto store = open_or_die(o);
    ASSERT_NE(store, nullptr);
    int failures = 0;
    for (int i = 0; i < 1000 && failures < 3; ++i) {
      std::string raw = "MSH|" + std::to_string(i) + "|" + std::string(3000 + i, 'p');
      CommitResult r = store->submit_sync(make_message("S", std::to_string(i), raw));
      if (r.kind == Kind::kStored) {
        stored.emplace_back(r.id, raw);
      } else {
        ASSERT_EQ(r.kind, Kind::kFailed);
        ++failures;
      }
    }
    EXPECT_EQ(failures, 3) << "the cap was never reached";
    EXPECT_GT(stored.size(), 10u);
    // A duplicate needs no new page, so it still succeeds on a full database.
    EXPECT_EQ(store->submit_sync(make_message("S", "0", "again")).kind, Kind::kDuplicate);
  }
  auto store = open_or_die(options());  // reopened without the cap
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->count(std::nullopt), static_cast<int64_t>(stored.size()));
  for (const auto& [id, raw] : stored) EXPECT_EQ(store->raw_message(id), raw);
  EXPECT_EQ(query_text(o.path, "PRAGMA integrity_check"), "ok");
  EXPECT_EQ(store->submit_sync(make_message("S", "more", "fits now")).kind, Kind::kStored);
}

}  // namespace
}  // namespace gw::store
