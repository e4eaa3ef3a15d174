#include "gateway/store/message_store.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <future>
#include <memory>
#include <thread>

#include "gateway/store/message_store_internal.h"
#include "gateway/store/schema.h"
#include "gateway/store/store_test_util.h"

namespace gw::store {
namespace {

using testing::CommitterGate;
using testing::make_message;
using testing::open_or_die;
using testing::query_text;
using testing::ResultCollector;
using testing::TempDir;
using testing::wait_or_fail;
using Kind = CommitResult::Kind;

class MessageStoreTest : public ::testing::Test {
 protected:
  StoreOptions options() const {
    StoreOptions o;
    o.path = dir_.store_file();
    o.keys = testing::test_keys();
    return o;
  }
  TempDir dir_;
};

TEST_F(MessageStoreTest, StoresAndReadsBack) {
  auto store = open_or_die(options());
  ASSERT_NE(store, nullptr);
  InboundMessage a = make_message("LAB|HOSP", "c1", "MSH|^~\\&|LAB|HOSP|...\rPID|1\r");
  a.received_at_ms = 1700000000123;
  InboundMessage r =
      make_message("LAB|HOSP", "c2", std::string("bad\0bytes", 9), MessageStatus::kRejected);

  CommitResult ra = store->submit_sync(a);
  CommitResult rr = store->submit_sync(r);
  ASSERT_EQ(ra.kind, Kind::kStored) << ra.error;
  ASSERT_EQ(rr.kind, Kind::kStored) << rr.error;
  EXPECT_GT(rr.id, ra.id);

  EXPECT_EQ(store->raw_message(ra.id), a.raw);
  EXPECT_EQ(store->raw_message(rr.id), r.raw);  // binary-safe
  EXPECT_EQ(store->raw_message(rr.id + 100), std::nullopt);
  EXPECT_EQ(store->count(std::nullopt), 2);
  EXPECT_EQ(store->count(MessageStatus::kAccepted), 1);
  EXPECT_EQ(store->count(MessageStatus::kRejected), 1);

  auto rows = store->list(0, 10);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].id, ra.id);
  EXPECT_EQ(rows[0].channel, "adt");
  EXPECT_EQ(rows[0].sender, "LAB|HOSP");
  EXPECT_EQ(rows[0].control_id, "c1");
  EXPECT_EQ(rows[0].message_type, "ADT^A01");
  EXPECT_EQ(rows[0].peer, "127.0.0.1:5000");
  EXPECT_EQ(rows[0].status, MessageStatus::kAccepted);
  EXPECT_EQ(rows[0].error, "");
  EXPECT_EQ(rows[0].received_at_ms, 1700000000123);
  EXPECT_EQ(rows[0].raw_bytes, static_cast<int64_t>(a.raw.size()));
  EXPECT_EQ(rows[0].duplicates_seen, 0);
  EXPECT_EQ(rows[1].status, MessageStatus::kRejected);
  EXPECT_EQ(rows[1].error, "MSH-9: unsupported");
  EXPECT_EQ(rows[1].raw_bytes, 9);

  // Paging.
  EXPECT_EQ(store->list(ra.id, 10).size(), 1u);
  EXPECT_EQ(store->list(0, 1).size(), 1u);
  EXPECT_TRUE(store->list(rr.id, 10).empty());
  EXPECT_TRUE(store->list(0, 0).empty());

  StoreStats s = store->stats();
  EXPECT_EQ(s.submitted, 2u);
  EXPECT_EQ(s.stored, 2u);
  EXPECT_EQ(s.failed, 0u);
  EXPECT_EQ(s.transactions, 2u);
  EXPECT_EQ(s.read_errors, 0u);
}

TEST_F(MessageStoreTest, EmptyFieldsAreStoredAsEmptyNotNull) {
  auto store = open_or_die(options());
  ASSERT_NE(store, nullptr);
  InboundMessage m;  // everything empty, as for an unparseable frame
  m.status = MessageStatus::kRejected;
  CommitResult r = store->submit_sync(m);
  ASSERT_EQ(r.kind, Kind::kStored) << r.error;
  EXPECT_EQ(store->raw_message(r.id), "");
}

TEST_F(MessageStoreTest, SchemaVersionWalAndSynchronousNormalWithSyncer) {
  auto store = open_or_die(options());
  ASSERT_NE(store, nullptr);
  auto settings = internal::write_connection_settings(*store);
  ASSERT_TRUE(settings.has_value());
  EXPECT_EQ(settings->journal_mode, "wal");
  // NORMAL: COMMIT does not sync; the syncer does before any callback.
  EXPECT_EQ(settings->synchronous, 1);
  ASSERT_EQ(store->submit_sync(make_message("S", "1", "x")).kind, Kind::kStored);
  EXPECT_EQ(store->stats().syncs, 1u);
  EXPECT_EQ(store->stats().durable_groups, 1u);
  EXPECT_EQ(settings->foreign_keys, 1);
  EXPECT_EQ(settings->schema_version, internal::kSchemaVersion);
  // 64 MiB page cache for the writer (in KiB, as a negative number).
  EXPECT_EQ(settings->cache_size, -64 * 1024);

  // journal_mode and user_version are properties of the file: check them from
  // an independent connection too.
  EXPECT_EQ(query_text(options().path, "PRAGMA journal_mode"), "wal");
  EXPECT_EQ(query_text(options().path, "PRAGMA user_version"),
            std::to_string(internal::kSchemaVersion));
  EXPECT_EQ(query_text(options().path, "PRAGMA application_id"), std::to_string(0x484C3746));
  EXPECT_EQ(query_text(options().path,
                       "SELECT count(*) FROM sqlite_schema WHERE name = 'messages_accepted_key'"),
            "1");
}

TEST_F(MessageStoreTest, DuplicateLookupUsesThePartialIndex) {
  auto store = open_or_die(options());
  ASSERT_NE(store, nullptr);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(options().path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* s = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db,
                               "EXPLAIN QUERY PLAN SELECT id, ack, content_sha256 FROM messages "
                               "WHERE sender = ?1 AND control_id = ?2 AND status = 'accepted' "
                               "AND control_id <> ''",
                               -1, &s, nullptr),
            SQLITE_OK);
  std::string details;
  while (sqlite3_step(s) == SQLITE_ROW) {
    details += reinterpret_cast<const char*>(sqlite3_column_text(s, 3));
    details += "\n";
  }
  sqlite3_finalize(s);
  sqlite3_close(db);
  EXPECT_NE(details.find("messages_accepted_key"), std::string::npos) << details;
}

TEST_F(MessageStoreTest, SynchronousFullWithSyncInCommit) {
  StoreOptions o = options();
  o.sync_in_commit = true;
  auto store = open_or_die(o);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(internal::write_connection_settings(*store)->synchronous, 2);  // FULL
  ASSERT_EQ(store->submit_sync(make_message("S", "1", "x")).kind, Kind::kStored);
  EXPECT_EQ(store->stats().syncs, 0u);  // SQLite synced inside COMMIT
  EXPECT_EQ(store->stats().stored, 1u);
}

TEST_F(MessageStoreTest, SynchronousNormalWhenAskedFor) {
  StoreOptions o = options();
  o.synchronous_full = false;
  auto store = open_or_die(o);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(internal::write_connection_settings(*store)->synchronous, 1);  // NORMAL
}

TEST_F(MessageStoreTest, ReopenKeepsDataAndSchema) {
  int64_t id = 0;
  {
    auto store = open_or_die(options());
    ASSERT_NE(store, nullptr);
    CommitResult r = store->submit_sync(make_message("S", "1", "first"));
    ASSERT_EQ(r.kind, Kind::kStored);
    id = r.id;
  }
  auto store = open_or_die(options());
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->raw_message(id), "first");
  // Duplicate detection survives the reopen.
  CommitResult again = store->submit_sync(make_message("S", "1", "first"));
  EXPECT_EQ(again.kind, Kind::kDuplicate);
  EXPECT_EQ(again.id, id);
  // New ids continue after the old ones.
  CommitResult next = store->submit_sync(make_message("S", "2", "second"));
  EXPECT_GT(next.id, id);
}

// --- Open errors -------------------------------------------------------------

TEST_F(MessageStoreTest, OpenFailsWhenDirectoryIsMissing) {
  StoreOptions o;
  o.path = dir_.file("no/such/dir/messages.db");
  o.keys = testing::test_keys();
  std::string error;
  error = testing::open_error(o);
  EXPECT_NE(error.find(o.path), std::string::npos) << error;
  EXPECT_NE(error.find("unable to open database file"), std::string::npos) << error;
  EXPECT_NE(error.find("No such file or directory"), std::string::npos) << error;
}

TEST_F(MessageStoreTest, OpenFailsOnEmptyPath) {
  std::string error;
  error = testing::open_error(StoreOptions{});
  EXPECT_NE(error.find("no database path"), std::string::npos) << error;
}

TEST_F(MessageStoreTest, OpenFailsWhenPathIsADirectory) {
  StoreOptions o;
  o.path = dir_.path().string();
  o.keys = testing::test_keys();
  std::string error;
  error = testing::open_error(o);
  EXPECT_NE(error.find(o.path), std::string::npos) << error;
}

TEST_F(MessageStoreTest, OpenFailsOnAFileThatIsNotADatabase) {
  {
    std::ofstream f(options().path, std::ios::binary);
    f << std::string(8192, 'x');
  }
  std::string error;
  error = testing::open_error(options());
  EXPECT_NE(error.find(options().path), std::string::npos) << error;
  EXPECT_NE(error.find("file is not a database"), std::string::npos) << error;
}

TEST_F(MessageStoreTest, OpenRefusesAnotherProgramsDatabase) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(options().path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "CREATE TABLE other (x)", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  std::string error;
  error = testing::open_error(options());
  EXPECT_NE(error.find("not a message store"), std::string::npos) << error;
}

TEST_F(MessageStoreTest, OpenRefusesANewerSchema) {
  { ASSERT_NE(open_or_die(options()), nullptr); }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(options().path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "PRAGMA user_version = 99", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  std::string error;
  error = testing::open_error(options());
  EXPECT_NE(error.find("schema version 99 is newer"), std::string::npos) << error;
}

TEST_F(MessageStoreTest, OpenFailsWithoutWritePermission) {
  { ASSERT_NE(open_or_die(options()), nullptr); }
  ASSERT_EQ(chmod(options().path.c_str(), 0400), 0);
  if (access(options().path.c_str(), W_OK) == 0) {
    GTEST_SKIP() << "running with privileges that ignore file permissions (root)";
  }
  std::string error;
  error = testing::open_error(options());
  EXPECT_NE(error.find("read-only"), std::string::npos) << error;
}

TEST_F(MessageStoreTest, OpenFailsInAReadOnlyDirectory) {
  ASSERT_EQ(chmod(dir_.path().c_str(), 0500), 0);
  if (access(dir_.path().c_str(), W_OK) == 0) {
    GTEST_SKIP() << "running with privileges that ignore file permissions (root)";
  }
  std::string error;
  error = testing::open_error(options());
  EXPECT_NE(error.find(options().path), std::string::npos) << error;
}

// --- Duplicates --------------------------------------------------------------

TEST_F(MessageStoreTest, SameSenderAndControlIdIsADuplicate) {
  auto store = open_or_die(options());
  ASSERT_NE(store, nullptr);
  InboundMessage first = make_message("LAB|HOSP", "123", "MSH|first");
  first.ack = "ACK-ORIGINAL";
  CommitResult r1 = store->submit_sync(first);
  ASSERT_EQ(r1.kind, Kind::kStored);

  InboundMessage resend = first;
  resend.ack = "ACK-WOULD-BE-NEW";
  CommitResult r2 = store->submit_sync(resend);
  EXPECT_EQ(r2.kind, Kind::kDuplicate);
  EXPECT_EQ(r2.id, r1.id);
  EXPECT_EQ(r2.ack, "ACK-ORIGINAL");
  EXPECT_FALSE(r2.content_differs);

  InboundMessage changed = first;
  changed.raw = "MSH|changed";
  CommitResult r3 = store->submit_sync(changed);
  EXPECT_EQ(r3.kind, Kind::kDuplicate);
  EXPECT_EQ(r3.id, r1.id);
  EXPECT_EQ(r3.ack, "ACK-ORIGINAL");
  EXPECT_TRUE(r3.content_differs);

  EXPECT_EQ(store->count(std::nullopt), 1);
  EXPECT_EQ(store->raw_message(r1.id), "MSH|first");  // the original is kept
  auto rows = store->list(0, 10);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].duplicates_seen, 2);
  EXPECT_EQ(store->stats().duplicates, 2u);
  EXPECT_EQ(store->stats().stored, 1u);
}

TEST_F(MessageStoreTest, SameControlIdFromAnotherSenderIsNotADuplicate) {
  auto store = open_or_die(options());
  ASSERT_NE(store, nullptr);
  CommitResult a = store->submit_sync(make_message("LAB|HOSP", "123", "a"));
  CommitResult b = store->submit_sync(make_message("RAD|HOSP", "123", "b"));
  EXPECT_EQ(a.kind, Kind::kStored);
  EXPECT_EQ(b.kind, Kind::kStored);
  EXPECT_NE(a.id, b.id);
  EXPECT_EQ(store->count(std::nullopt), 2);
}

TEST_F(MessageStoreTest, RejectedMessagesAreNeverDeduplicated) {
  auto store = open_or_die(options());
  ASSERT_NE(store, nullptr);
  auto rejected = make_message("S", "9", "bad", MessageStatus::kRejected);
  CommitResult r1 = store->submit_sync(rejected);
  CommitResult r2 = store->submit_sync(rejected);
  EXPECT_EQ(r1.kind, Kind::kStored);
  EXPECT_EQ(r2.kind, Kind::kStored);
  EXPECT_NE(r1.id, r2.id);
  // A fixed resend with the same id is accepted and stored...
  CommitResult fixed = store->submit_sync(make_message("S", "9", "good"));
  EXPECT_EQ(fixed.kind, Kind::kStored);
  // ...and a rejected message after it does not collide with it either.
  CommitResult r3 = store->submit_sync(rejected);
  EXPECT_EQ(r3.kind, Kind::kStored);
  EXPECT_EQ(store->count(MessageStatus::kRejected), 3);
  EXPECT_EQ(store->count(MessageStatus::kAccepted), 1);
  for (const auto& row : store->list(0, 10)) EXPECT_EQ(row.duplicates_seen, 0);
}

TEST_F(MessageStoreTest, EmptyControlIdIsStoredWithoutDeduplication) {
  auto store = open_or_die(options());
  ASSERT_NE(store, nullptr);
  CommitResult a = store->submit_sync(make_message("S", "", "x"));
  CommitResult b = store->submit_sync(make_message("S", "", "x"));
  EXPECT_EQ(a.kind, Kind::kStored);
  EXPECT_EQ(b.kind, Kind::kStored);
  EXPECT_NE(a.id, b.id);
}

TEST_F(MessageStoreTest, DuplicatesWithinOneGroup) {
  auto store = open_or_die(options());
  ASSERT_NE(store, nullptr);
  CommitterGate gate;
  gate.close_on(*store, make_message("GATE", "0", "gate"));
  const uint64_t transactions_before = store->stats().transactions;

  ResultCollector results;
  InboundMessage first = make_message("S", "42", "one");
  first.ack = "ACK-1";
  store->submit(first, results.callback(0));
  InboundMessage same = first;
  same.ack = "ACK-2";
  store->submit(same, results.callback(1));
  InboundMessage differs = first;
  differs.raw = "two";
  store->submit(differs, results.callback(2));
  store->submit(make_message("OTHER", "42", "one"), results.callback(3));
  gate.open();

  auto r = results.wait_for(4);
  EXPECT_EQ(gate.gate_result(), Kind::kStored);
  ASSERT_EQ(r[0].kind, Kind::kStored) << r[0].error;
  EXPECT_EQ(r[1].kind, Kind::kDuplicate);
  EXPECT_EQ(r[1].id, r[0].id);
  EXPECT_EQ(r[1].ack, "ACK-1");
  EXPECT_FALSE(r[1].content_differs);
  EXPECT_EQ(r[2].kind, Kind::kDuplicate);
  EXPECT_EQ(r[2].id, r[0].id);
  EXPECT_TRUE(r[2].content_differs);
  EXPECT_EQ(r[3].kind, Kind::kStored);
  // All four were one group: one transaction.
  EXPECT_EQ(store->stats().transactions, transactions_before + 1);
  auto rows = store->list(r[0].id - 1, 1);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].duplicates_seen, 2);
}

// --- close() -----------------------------------------------------------------

TEST_F(MessageStoreTest, CloseCompletesEverythingAlreadySubmitted) {
  auto store = open_or_die(options());
  ASSERT_NE(store, nullptr);
  constexpr int kMessages = 300;
  std::atomic<int> stored{0}, calls{0};
  for (int i = 0; i < kMessages; ++i) {
    store->submit(make_message("S", std::to_string(i), "m"), [&](CommitResult r) {
      calls.fetch_add(1);
      if (r.kind == Kind::kStored) stored.fetch_add(1);
    });
  }
  store->close();
  EXPECT_EQ(calls.load(), kMessages);
  EXPECT_EQ(stored.load(), kMessages);

  // After close: immediate kFailed, on this thread.
  bool called = false;
  store->submit(make_message("S", "late", "m"), [&](CommitResult r) {
    called = true;
    EXPECT_EQ(r.kind, Kind::kFailed);
    EXPECT_EQ(r.error, "message store closed");
  });
  EXPECT_TRUE(called);
  EXPECT_EQ(store->submit_sync(make_message("S", "late2", "m")).kind, Kind::kFailed);
  store->close();  // idempotent
  // Reads still work.
  EXPECT_EQ(store->count(std::nullopt), kMessages);
  StoreStats s = store->stats();
  EXPECT_EQ(s.submitted, kMessages + 2u);
  EXPECT_EQ(s.stored, static_cast<uint64_t>(kMessages));
  EXPECT_EQ(s.failed, 2u);
}

TEST_F(MessageStoreTest, CloseFromSeveralThreadsAtOnce) {
  auto store = open_or_die(options());
  ASSERT_NE(store, nullptr);
  for (int i = 0; i < 50; ++i) store->submit(make_message("S", std::to_string(i), "m"), nullptr);
  std::vector<std::thread> closers;
  for (int i = 0; i < 4; ++i) closers.emplace_back([&] { store->close(); });
  for (auto& t : closers) t.join();
  EXPECT_EQ(store->count(std::nullopt), 50);
}

TEST_F(MessageStoreTest, SubmitSyncFromACallbackFailsInsteadOfDeadlocking) {
  auto store = open_or_die(options());
  ASSERT_NE(store, nullptr);
  store->submit_sync(make_message("S", "1", "m"));
  // Shared with the callback, so a callback that runs after a timed-out wait
  // touches no dead stack frame.
  struct Shared {
    std::promise<void> done;
    CommitResult inner;
  };
  auto shared = std::make_shared<Shared>();
  std::future<void> done = shared->done.get_future();
  MessageStore* raw = store.get();
  store->submit(make_message("S", "2", "m"), [shared, raw](CommitResult) {
    shared->inner = raw->submit_sync(make_message("S", "3", "m"));
    shared->done.set_value();
  });
  if (!wait_or_fail(done, "submit_sync from a callback to return")) {
    // The committer is stuck; joining it in the destructor would hang.
    (void)store.release();
    return;
  }
  EXPECT_EQ(shared->inner.kind, Kind::kFailed);
  EXPECT_NE(shared->inner.error.find("callback"), std::string::npos);
}

TEST_F(MessageStoreTest, CloseFromACallbackDoesNotDeadlock) {
  auto store = open_or_die(options());
  ASSERT_NE(store, nullptr);
  auto promise = std::make_shared<std::promise<void>>();
  std::future<void> done = promise->get_future();
  MessageStore* raw = store.get();
  store->submit(make_message("S", "1", "m"), [promise, raw](CommitResult) {
    raw->close();
    promise->set_value();
  });
  if (!wait_or_fail(done, "close from a callback to return")) {
    // The committer is stuck; joining it in the destructor would hang.
    (void)store.release();
    return;
  }
  EXPECT_EQ(store->submit_sync(make_message("S", "2", "m")).kind, Kind::kFailed);
  store.reset();  // joins the committer
}

}  // namespace
}  // namespace gw::store
