// Duplicate conflicts: the same sender and MSH-10 with other content is
// stored in the error queue once and answered with the conflict's
// acknowledgement, never with the original's (message_store.h, "Duplicate
// conflicts").
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <memory>
#include <string>

#include "gateway/store/message_store.h"
#include "gateway/store/store_test_util.h"

namespace gw::store {
namespace {

using testing::CommitterGate;
using testing::open_or_die;
using testing::ResultCollector;
using testing::TempDir;
using Kind = CommitResult::Kind;

// An MLLP-style submission: compares duplicates by content.
InboundMessage mllp_message(std::string raw, std::string ack = "ACK-AA") {
  InboundMessage m = testing::make_message("LAB|HOSP", "1001", std::move(raw));
  m.ack = std::move(ack);
  m.on_conflict = InboundMessage::ConflictAnswer{"ACK-AE-205", "MSH-10: Duplicate key (205)"};
  return m;
}

class MessageStoreConflictTest : public ::testing::Test {
 protected:
  StoreOptions options() const {
    StoreOptions o;
    o.path = dir_.store_file();
    o.keys = testing::test_keys();
    return o;
  }
  TempDir dir_;
};

TEST_F(MessageStoreConflictTest, OtherContentIsStoredAsRejectedOnceAndAnsweredWithItsOwnAck) {
  auto store = open_or_die(options());
  ASSERT_NE(store, nullptr);
  const CommitResult original = store->submit_sync(mllp_message("MSH|real\rPID|1\r"));
  ASSERT_EQ(original.kind, Kind::kStored) << original.error;

  const CommitResult forged = store->submit_sync(mllp_message("MSH|real\rPID|2\r", "ACK-AA-2"));
  ASSERT_EQ(forged.kind, Kind::kDuplicateConflict) << forged.error;
  EXPECT_NE(forged.id, original.id);
  EXPECT_EQ(forged.original_id, original.id);
  EXPECT_EQ(forged.ack, "ACK-AE-205");  // never the original's ACK-AA
  EXPECT_EQ(store->raw_message(forged.id), "MSH|real\rPID|2\r");
  EXPECT_EQ(store->raw_message(original.id), "MSH|real\rPID|1\r");

  // Resent: the same conflict, answered as before, not stored again.
  InboundMessage resend = mllp_message("MSH|real\r\nPID|2\r\n", "ACK-AA-3");
  resend.on_conflict->ack = "ACK-AE-205-NEW";
  resend.received_at_ms += 5000;
  const CommitResult again = store->submit_sync(resend);
  ASSERT_EQ(again.kind, Kind::kDuplicateConflict) << again.error;
  EXPECT_EQ(again.id, forged.id);
  EXPECT_EQ(again.original_id, original.id);
  EXPECT_EQ(again.ack, "ACK-AE-205");

  EXPECT_EQ(store->count(std::nullopt), 2);
  EXPECT_EQ(store->count(MessageStatus::kAccepted), 1);
  EXPECT_EQ(store->count(MessageStatus::kRejected), 1);
  auto rows = store->list(0, 10);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].conflict_of, 0);
  EXPECT_EQ(rows[0].duplicates_seen, 0);
  EXPECT_EQ(rows[1].status, MessageStatus::kRejected);
  EXPECT_EQ(rows[1].conflict_of, original.id);
  EXPECT_EQ(rows[1].error, "MSH-10: Duplicate key (205) [original message id " +
                               std::to_string(original.id) + "]");
  EXPECT_EQ(rows[1].duplicates_seen, 1);
  EXPECT_EQ(store->stats().conflicts, 2u);
  EXPECT_EQ(store->stats().duplicates, 0u);
}

TEST_F(MessageStoreConflictTest, GenuineResendWithOtherSegmentTerminatorsIsADuplicate) {
  auto store = open_or_die(options());
  ASSERT_NE(store, nullptr);
  const CommitResult original = store->submit_sync(mllp_message("MSH|a\rPID|1\r"));
  ASSERT_EQ(original.kind, Kind::kStored) << original.error;
  for (const char* variant : {"MSH|a\rPID|1\r", "MSH|a\r\nPID|1\r\n", "MSH|a\rPID|1"}) {
    const CommitResult r = store->submit_sync(mllp_message(variant, "ACK-NEW"));
    EXPECT_EQ(r.kind, Kind::kDuplicate) << variant;
    EXPECT_EQ(r.id, original.id);
    EXPECT_EQ(r.ack, "ACK-AA");
    EXPECT_FALSE(r.content_differs);
  }
  EXPECT_EQ(store->count(std::nullopt), 1);
  EXPECT_EQ(store->list(0, 1).at(0).duplicates_seen, 3);
}

// A row whose digest is of the raw bytes (stored without on_conflict, as
// rows written before schema version 5 were) is fingerprinted again on a
// mismatch, so a resend with other terminators is still a duplicate.
TEST_F(MessageStoreConflictTest, RawDigestRowsAreComparedByFingerprint) {
  auto store = open_or_die(options());
  ASSERT_NE(store, nullptr);
  InboundMessage legacy = mllp_message("MSH|a\rPID|1\r");
  legacy.on_conflict.reset();
  const CommitResult original = store->submit_sync(legacy);
  ASSERT_EQ(original.kind, Kind::kStored) << original.error;
  const CommitResult resend = store->submit_sync(mllp_message("MSH|a\r\nPID|1"));
  EXPECT_EQ(resend.kind, Kind::kDuplicate);
  EXPECT_EQ(resend.ack, "ACK-AA");
  const CommitResult other = store->submit_sync(mllp_message("MSH|a\rPID|9\r"));
  EXPECT_EQ(other.kind, Kind::kDuplicateConflict);
  EXPECT_EQ(other.original_id, original.id);
}

TEST_F(MessageStoreConflictTest, WithoutOnConflictADifferingResendIsADuplicate) {
  auto store = open_or_die(options());
  ASSERT_NE(store, nullptr);
  InboundMessage first = mllp_message("sealed-1");
  first.on_conflict.reset();
  ASSERT_EQ(store->submit_sync(first).kind, Kind::kStored);
  InboundMessage second = mllp_message("sealed-2");
  second.on_conflict.reset();
  const CommitResult r = store->submit_sync(second);
  EXPECT_EQ(r.kind, Kind::kDuplicate);
  EXPECT_TRUE(r.content_differs);
  EXPECT_EQ(r.ack, "ACK-AA");
  EXPECT_EQ(store->count(std::nullopt), 1);
}

// In one group (one transaction): the original, its conflict and the
// conflict's resend. The conflict row inserted earlier in the transaction is
// found by the resend.
TEST_F(MessageStoreConflictTest, ConflictAndItsResendInOneGroup) {
  auto store = open_or_die(options());
  ASSERT_NE(store, nullptr);
  CommitterGate gate;
  gate.close_on(*store, testing::make_message("GATE", "0", "gate"));
  const uint64_t transactions_before = store->stats().transactions;
  ResultCollector results;
  store->submit(mllp_message("MSH|a\rPID|1\r"), results.callback(0));
  store->submit(mllp_message("MSH|a\rPID|2\r"), results.callback(1));
  store->submit(mllp_message("MSH|a\rPID|2\r"), results.callback(2));
  store->submit(mllp_message("MSH|a\rPID|1\r"), results.callback(3));
  gate.open();
  auto r = results.wait_for(4);
  ASSERT_EQ(r[0].kind, Kind::kStored) << r[0].error;
  ASSERT_EQ(r[1].kind, Kind::kDuplicateConflict) << r[1].error;
  EXPECT_EQ(r[1].original_id, r[0].id);
  EXPECT_EQ(r[2].kind, Kind::kDuplicateConflict);
  EXPECT_EQ(r[2].id, r[1].id);
  EXPECT_EQ(r[2].ack, "ACK-AE-205");
  EXPECT_EQ(r[3].kind, Kind::kDuplicate);
  EXPECT_EQ(r[3].id, r[0].id);
  EXPECT_EQ(store->stats().transactions, transactions_before + 1);
  EXPECT_EQ(store->count(std::nullopt), 3);  // the gate, the original, one conflict
}

// A store written before schema version 5 (raw-byte digests, no
// conflict_of column) is migrated on open and compares by fingerprint.
TEST_F(MessageStoreConflictTest, SchemaFourStoresAreMigrated) {
  int64_t original_id = 0;
  {
    auto store = open_or_die(options());
    ASSERT_NE(store, nullptr);
    InboundMessage legacy = mllp_message("MSH|a\rPID|1\r");
    legacy.on_conflict.reset();  // digest of the raw bytes, as version 4 stored it
    const CommitResult r = store->submit_sync(legacy);
    ASSERT_EQ(r.kind, Kind::kStored);
    original_id = r.id;
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(options().path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, testing::kBackToSchemaFive, nullptr, nullptr, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         "DROP INDEX messages_conflict_of; ALTER TABLE messages DROP COLUMN "
                         "conflict_of; PRAGMA user_version = 4;",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  auto store = open_or_die(options());
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->submit_sync(mllp_message("MSH|a\r\nPID|1\r\n")).kind, Kind::kDuplicate);
  const CommitResult c = store->submit_sync(mllp_message("MSH|a\rPID|2\r"));
  EXPECT_EQ(c.kind, Kind::kDuplicateConflict);
  EXPECT_EQ(c.original_id, original_id);
  EXPECT_EQ(store->list(0, 10).at(1).conflict_of, original_id);
}

TEST_F(MessageStoreConflictTest, AConflictSurvivesAReopen) {
  int64_t conflict_id = 0;
  {
    auto store = open_or_die(options());
    ASSERT_NE(store, nullptr);
    ASSERT_EQ(store->submit_sync(mllp_message("MSH|a\rPID|1\r")).kind, Kind::kStored);
    const CommitResult c = store->submit_sync(mllp_message("MSH|a\rPID|2\r"));
    ASSERT_EQ(c.kind, Kind::kDuplicateConflict);
    conflict_id = c.id;
  }
  auto store = open_or_die(options());
  ASSERT_NE(store, nullptr);
  const CommitResult again = store->submit_sync(mllp_message("MSH|a\rPID|2\r"));
  EXPECT_EQ(again.kind, Kind::kDuplicateConflict);
  EXPECT_EQ(again.id, conflict_id);
  EXPECT_EQ(again.ack, "ACK-AE-205");
  EXPECT_EQ(store->count(std::nullopt), 2);
}

}  // namespace
}  // namespace gw::store
