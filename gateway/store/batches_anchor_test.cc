// BatchStore's ledger-anchoring view: unanchored() lists exactly the batches
// without anchored_tx, after a cursor, in id order; set_anchored() records a
// transaction hash once the ledger has the root and refuses unknown batches.
#include <gtest/gtest.h>

#include "gateway/store/batches.h"
#include "gateway/store/store_test_util.h"

namespace gw::store {
namespace {

using testing::TempDir;

class BatchAnchorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    StoreOptions so;
    so.path = dir_.store_file();
    so.keys = testing::test_keys();
    store_ = testing::open_or_die(so);
    ASSERT_TRUE(store_);
    auto batches = BatchStore::open(so.path);
    ASSERT_TRUE(batches.ok()) << batches.status().message();
    batches_ = std::move(batches).value();
  }
  // Stores one message with `n` records and records them as one batch.
  int64_t add_batch(int n) {
    InboundMessage m = testing::make_message("APP|FAC", "C" + std::to_string(next_++), "MSH|...");
    for (int i = 0; i < n; ++i) {
      RecordWrite r;
      r.resource_type = "Patient";
      r.resource_id = m.control_id + "-" + std::to_string(i);
      r.resource_json = R"({"resourceType":"Patient","id":")" + r.resource_id + R"("})";
      m.records.push_back(r);
    }
    EXPECT_EQ(store_->submit_sync(m).kind, CommitResult::Kind::kStored);
    auto pending = batches_->pending(1000);
    EXPECT_TRUE(pending) << pending.status().message();
    if (!pending || pending->seqs.empty()) return 0;
    SignedBatch b;
    b.first_seq = pending->seqs.front();
    b.last_seq = pending->seqs.back();
    b.record_count = static_cast<int64_t>(pending->seqs.size());
    b.root.fill(static_cast<uint8_t>(next_));
    b.signature = {0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, static_cast<uint8_t>(next_)};
    b.signer = "software";
    b.created_at_ms = 1700000000000 + next_;
    EXPECT_TRUE(batches_->record(&b).ok());
    return b.id;
  }

  TempDir dir_;
  std::unique_ptr<MessageStore> store_;
  std::unique_ptr<BatchStore> batches_;
  int next_ = 1;
};

TEST_F(BatchAnchorTest, ListsUnanchoredBatchesInOrderAfterTheCursor) {
  auto none = batches_->unanchored(0, 100);
  ASSERT_TRUE(none) << none.status().message();
  EXPECT_TRUE(none->empty());

  const int64_t a = add_batch(2), b = add_batch(3), c = add_batch(1);
  ASSERT_TRUE(a > 0 && b > a && c > b);
  auto all = batches_->unanchored(0, 100);
  ASSERT_TRUE(all) << all.status().message();
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].id, a);
  EXPECT_EQ((*all)[1].id, b);
  EXPECT_EQ((*all)[1].record_count, 3);
  EXPECT_EQ((*all)[1].last_seq - (*all)[1].first_seq, 2);
  EXPECT_EQ((*all)[2].signature.size(), 8u);
  EXPECT_EQ((*all)[0].root, batches_->list(0, 1).value()[0].root);

  auto limited = batches_->unanchored(0, 2);
  ASSERT_TRUE(limited) << limited.status().message();
  EXPECT_EQ(limited->size(), 2u);
  auto after = batches_->unanchored(a, 100);
  ASSERT_TRUE(after) << after.status().message();
  ASSERT_EQ(after->size(), 2u);
  EXPECT_EQ(after->front().id, b);
}

TEST_F(BatchAnchorTest, SetAnchoredRemovesABatchFromTheUnanchoredList) {
  const int64_t a = add_batch(1), b = add_batch(1);
  const std::string hash = "0x" + std::string(64, 'a');
  ASSERT_TRUE(batches_->set_anchored(a, hash).ok());
  auto rest = batches_->unanchored(0, 100);
  ASSERT_TRUE(rest) << rest.status().message();
  ASSERT_EQ(rest->size(), 1u);
  EXPECT_EQ(rest->front().id, b);

  // The hash is in the store's own column, as other tools read it.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(dir_.store_file().c_str(), &db, SQLITE_OPEN_READONLY, nullptr),
            SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT anchored_tx FROM record_batches WHERE id = ?", -1, &st,
                               nullptr),
            SQLITE_OK);
  sqlite3_bind_int64(st, 1, a);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_EQ(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)), hash);
  sqlite3_finalize(st);
  sqlite3_close(db);

  // Unknown batches are refused, not silently ignored.
  const Status unknown = batches_->set_anchored(b + 100, hash);
  EXPECT_EQ(unknown.code(), StatusCode::kNotFound);
  EXPECT_NE(unknown.message().find("no batch"), std::string::npos) << unknown.message();

  ASSERT_TRUE(batches_->set_anchored(b, hash).ok());
  auto none = batches_->unanchored(0, 100);
  ASSERT_TRUE(none) << none.status().message();
  EXPECT_TRUE(none->empty());
}

// What `gatewayctl ledger verify` reads: a batch's records by seq range, in
// order, and the anchoring transaction with the batch.
TEST_F(BatchAnchorTest, ReadsABatchsRecordsBackAndItsAnchoringTransaction) {
  const int64_t a = add_batch(2), b = add_batch(3);
  auto list = batches_->list(0, 10).value();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].anchored_tx, "");
  const std::string tx = "0x" + std::string(64, 'e');
  ASSERT_TRUE(batches_->set_anchored(a, tx).ok());
  list = batches_->list(0, 10).value();
  EXPECT_EQ(list[0].anchored_tx, tx);
  EXPECT_EQ(list[1].anchored_tx, "");

  const SignedBatch& second = list[1];
  ASSERT_EQ(second.id, b);
  auto records = batches_->records_in(second.first_seq, second.last_seq);
  ASSERT_TRUE(records) << records.status().message();
  ASSERT_EQ(records->seqs.size(), 3u);
  EXPECT_EQ(records->seqs.front(), second.first_seq);
  EXPECT_EQ(records->seqs.back(), second.last_seq);
  EXPECT_EQ(records->commitments.size(), 3u);
  auto all = batches_->records_in(list[0].first_seq, second.last_seq);
  ASSERT_TRUE(all) << all.status().message();
  EXPECT_EQ(all->seqs.size(), 5u);
  auto none = batches_->records_in(second.last_seq + 1, second.last_seq + 100);
  ASSERT_TRUE(none) << none.status().message();
  EXPECT_TRUE(none->seqs.empty());
}

}  // namespace
}  // namespace gw::store
