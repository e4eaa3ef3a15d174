// The outbox file on its own: idempotent enqueueing, nonce bookkeeping,
// binding to one chain and account, reopening after a chain reset, and
// refusing files that are not outboxes.
#include "ledger-client/outbox/outbox_store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <fstream>

#include "ledger-client/testing/anvil_process.h"

namespace gw::ledger {
namespace {

class OutboxStoreTest : public ::testing::Test {
 protected:
  std::string path() const { return dir_.path() + "/outbox.db"; }
  std::unique_ptr<OutboxStore> open() {
    auto s = OutboxStore::open(path());
    EXPECT_TRUE(s) << s.error().message();
    return s ? std::move(*s) : nullptr;
  }
  static OutboxStore::NewItem item(uint8_t key, ItemKind kind = ItemKind::kTransfer) {
    return {kind, std::vector<uint8_t>(32, key), std::vector<uint8_t>{key}};
  }
  static OutboxTx tx(uint64_t nonce) {
    OutboxTx t;
    t.nonce = nonce;
    t.kind = ItemKind::kTransfer;
    t.raw = {0x02, static_cast<uint8_t>(nonce)};
    t.hash.fill(static_cast<uint8_t>(nonce + 1));
    t.max_fee = "0x10";
    t.priority_fee = "0x1";
    t.gas_limit = 100000;
    return t;
  }
  testing::TempDir dir_;
};

TEST_F(OutboxStoreTest, EnqueueIsIdempotentByKeyAndDurable) {
  {
    auto store = open();
    auto first = store->enqueue({item(1), item(2)});
    ASSERT_TRUE(first);
    auto again = store->enqueue({item(2), item(3)});
    ASSERT_TRUE(again);
    EXPECT_EQ((*again)[0], (*first)[1]);
    EXPECT_NE((*again)[1], (*first)[1]);
    // The same key under another kind is another item.
    auto anchor = store->enqueue({item(1, ItemKind::kAnchor)});
    ASSERT_TRUE(anchor);
    EXPECT_NE(anchor->front(), first->front());
    // Items without a key are never merged.
    auto calls = store->enqueue({{ItemKind::kCall, {1}, {}}, {ItemKind::kCall, {1}, {}}});
    ASSERT_TRUE(calls);
    EXPECT_NE((*calls)[0], (*calls)[1]);
  }
  auto store = open();  // reopened: everything is still there
  auto counts = store->counts();
  ASSERT_TRUE(counts);
  EXPECT_EQ(counts->queued, 6);
  auto queued = store->queued(ItemKind::kTransfer, 10);
  ASSERT_TRUE(queued);
  ASSERT_EQ(queued->size(), 3u);
  EXPECT_EQ(queued->front().body, std::vector<uint8_t>(32, 1));
  auto kinds = store->queued_kinds();
  ASSERT_TRUE(kinds);
  EXPECT_EQ(kinds->front(), ItemKind::kTransfer);  // oldest first
  struct stat st {};
  ASSERT_EQ(::stat(path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(OutboxStoreTest, TransactionsTakeConsecutiveNoncesAndCarryTheirItems) {
  auto store = open();
  auto seqs = store->enqueue({item(1), item(2), item(3)});
  ASSERT_TRUE(seqs);
  auto id = store->add_tx(tx(0), {(*seqs)[0], (*seqs)[1]});
  ASSERT_TRUE(id) << id.error().message();
  EXPECT_EQ(*store->next_nonce(), 1u);
  auto wrong = store->add_tx(tx(5), {(*seqs)[2]});
  ASSERT_FALSE(wrong);
  EXPECT_NE(wrong.error().message().find("not the next nonce 1"), std::string::npos)
      << wrong.error().message();
  auto items = store->items_of_tx(*id);
  ASSERT_TRUE(items);
  EXPECT_EQ(items->size(), 2u);
  EXPECT_EQ(items->front().state, ItemState::kSubmitted);
  // A replacement keeps the old hash known.
  Hash256 h2;
  h2.fill(0x77);
  ASSERT_TRUE(store->replace_tx(*id, {0x02, 0x09}, h2, "0x20", "0x2", 5).ok());
  auto hashes = store->hashes_of_tx(*id);
  ASSERT_TRUE(hashes);
  EXPECT_EQ(hashes->size(), 2u);
  // Mined, final, and then the chain forgets it: items go back to submitted.
  Hash256 block;
  block.fill(0x42);
  ASSERT_TRUE(store->mark_mined(*id, h2, 10, block, true).ok());
  ASSERT_TRUE(store->finish_item((*seqs)[0], ItemState::kDone, "", 10, h2, std::nullopt).ok());
  ASSERT_TRUE(store->mark_final(*id).ok());
  auto from = store->txs_from_nonce(0);
  ASSERT_TRUE(from);
  ASSERT_EQ(from->size(), 1u);
  EXPECT_EQ(from->front().state, TxState::kFinal);
  ASSERT_TRUE(store->reopen_tx(*id, true).ok());
  auto reopened = store->item((*seqs)[0]);
  ASSERT_TRUE(reopened && reopened->has_value());
  EXPECT_EQ((*reopened)->state, ItemState::kSubmitted);
  EXPECT_FALSE((*reopened)->block_number.has_value());
  auto open_txs = store->open_txs();
  ASSERT_TRUE(open_txs);
  ASSERT_EQ(open_txs->size(), 1u);
  EXPECT_EQ(open_txs->front().sent_ms, 0) << "reopened to be sent again";
  // A dropped transaction's items return to the queue.
  ASSERT_TRUE(store->mark_dropped(*id).ok());
  ASSERT_TRUE(store->requeue_items_of_tx(*id, false).ok());
  auto counts = store->counts();
  ASSERT_TRUE(counts);
  EXPECT_EQ(counts->queued, 3);
  EXPECT_EQ(counts->pending_txs, 0);
  EXPECT_GT(counts->oldest_open_ms, 1700000000000);
  auto open = store->open_counts();
  ASSERT_TRUE(open);
  EXPECT_EQ(open->queued, 3);
  EXPECT_EQ(open->pending_txs, 0);
  // Nothing open: no age.
  for (int64_t seq : *seqs)
    ASSERT_TRUE(store->finish_item(seq, ItemState::kDone, "", 10, h2, std::nullopt).ok());
  EXPECT_EQ(store->counts()->oldest_open_ms, 0);
  EXPECT_EQ(store->counts()->done, 3);
  EXPECT_EQ(store->open_counts()->queued, 0);
  EXPECT_EQ(store->open_counts()->done, 0) << "open work only";
}

TEST_F(OutboxStoreTest, PruningDropsOldFinalItemsButKeepsCallsAndOpenWork) {
  auto store = open();
  auto seqs = store->enqueue({item(1), item(2), item(3), {ItemKind::kCall, {9}, {'d'}}});
  ASSERT_TRUE(seqs);
  auto first = store->add_tx(tx(0), {(*seqs)[0], (*seqs)[1]});
  auto call = store->add_tx(tx(1), {(*seqs)[3]});
  ASSERT_TRUE(first && call);
  for (int64_t id : {*first, *call}) {
    auto items = store->items_of_tx(id);
    ASSERT_TRUE(items);
    std::vector<OutboxStore::ItemFinal> finals;
    for (const auto& it : *items) finals.push_back({it.seq, ItemState::kDone, ""});
    ASSERT_TRUE(store->finalize_tx(id, finals, 5, tx(0).hash, std::nullopt).ok());
  }
  // Nothing is old enough yet.
  auto none = store->prune(0);
  ASSERT_TRUE(none);
  EXPECT_EQ(*none, 0);
  auto pruned = store->prune(INT64_MAX);
  ASSERT_TRUE(pruned) << pruned.error().message();
  EXPECT_EQ(*pruned, 2) << "the two final transfers; the call and the queued transfer stay";
  EXPECT_FALSE(store->item((*seqs)[0])->has_value());
  EXPECT_TRUE(store->item((*seqs)[2])->has_value());
  EXPECT_TRUE(store->item((*seqs)[3])->has_value());
  auto hashes = store->hashes_of_tx(*first);
  ASSERT_TRUE(hashes);
  EXPECT_TRUE(hashes->empty());
  EXPECT_EQ(*store->next_nonce(), 2u);
  // A pruned transfer's key is free again: enqueueing it makes a new item.
  auto again = store->enqueue({item(1)});
  ASSERT_TRUE(again);
  EXPECT_NE(again->front(), (*seqs)[0]);
}

TEST_F(OutboxStoreTest, OperatorRetryRequeuesFailedItemsOnly) {
  auto store = open();
  auto seqs = store->enqueue({item(1), item(2), item(3), item(4, ItemKind::kAnchor)});
  ASSERT_TRUE(seqs);
  const int64_t failed_in_tx = (*seqs)[0], failed_alone = (*seqs)[1], refused = (*seqs)[2];
  auto id = store->add_tx(tx(0), {failed_in_tx, refused});
  ASSERT_TRUE(id);
  ASSERT_TRUE(store
                  ->finalize_tx(*id,
                                {{failed_in_tx, ItemState::kFailed, "reverts: X"},
                                 {refused, ItemState::kRefused, "refused: NO_CONSENT"}},
                                7, tx(0).hash, std::nullopt)
                  .ok());
  ASSERT_TRUE(store->fail_item(failed_alone, "reverts: InvalidAnchor(0, \"root\")").ok());

  auto failed = store->latest(ItemState::kFailed, std::nullopt, 10);
  ASSERT_TRUE(failed);
  ASSERT_EQ(failed->size(), 2u);
  EXPECT_EQ((*failed)[0].seq, failed_alone) << "newest first";
  auto anchors = store->latest(std::nullopt, ItemKind::kAnchor, 10);
  ASSERT_TRUE(anchors);
  ASSERT_EQ(anchors->size(), 1u);
  EXPECT_EQ(anchors->front().seq, (*seqs)[3]);
  ASSERT_EQ(store->latest(std::nullopt, std::nullopt, 2)->size(), 2u);

  auto one = store->requeue_failed(failed_in_tx);
  ASSERT_TRUE(one) << one.error().message();
  EXPECT_EQ(*one, 1);
  auto again = store->item(failed_in_tx);
  ASSERT_TRUE(again && again->has_value());
  EXPECT_EQ((*again)->state, ItemState::kQueued);
  EXPECT_EQ((*again)->outcome, "");
  EXPECT_FALSE((*again)->tx_id || (*again)->tx_hash || (*again)->block_number);
  EXPECT_EQ(*store->requeue_failed(refused), 0) << "a refusal is the contract's decision";
  EXPECT_EQ(*store->requeue_failed(std::nullopt), 1) << "the other failed item";
  EXPECT_EQ(*store->requeue_failed(std::nullopt), 0);
  auto queued = store->queued(ItemKind::kTransfer, 10);
  ASSERT_TRUE(queued);
  ASSERT_EQ(queued->size(), 2u);
  EXPECT_EQ(store->counts()->refused, 1);
  // The key still belongs to the requeued item: enqueueing it again is the same item.
  EXPECT_EQ(store->enqueue({item(1)})->front(), failed_in_tx);
}

TEST_F(OutboxStoreTest, BoundToOneChainAndAccount) {
  auto store = open();
  Address a{}, b{};
  a.fill(1);
  b.fill(2);
  ASSERT_TRUE(store->bind(31337, a).ok());
  EXPECT_TRUE(store->bind(31337, a).ok());
  auto other_chain = store->bind(1, a);
  ASSERT_FALSE(other_chain.ok());
  EXPECT_NE(other_chain.message().find("belongs to chain 31337"), std::string::npos);
  EXPECT_FALSE(store->bind(31337, b).ok());
}

TEST_F(OutboxStoreTest, RefusesFilesThatAreNotOutboxes) {
  {
    std::ofstream f(path());
    f << "this is not a database";
  }
  auto garbage = OutboxStore::open(path());
  EXPECT_FALSE(garbage);
  std::remove(path().c_str());
  { auto store = open(); }
  // Another program's SQLite file is left alone.
  std::string other = dir_.path() + "/other.db";
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(other.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "CREATE TABLE patients(x)", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  auto foreign = OutboxStore::open(other);
  ASSERT_FALSE(foreign);
  EXPECT_NE(foreign.error().message().find("not a ledger outbox"), std::string::npos)
      << foreign.error().message();
  auto missing_dir = OutboxStore::open(dir_.path() + "/no/such/dir/outbox.db");
  ASSERT_FALSE(missing_dir);
  EXPECT_NE(missing_dir.error().message().find("cannot open"), std::string::npos);
}

}  // namespace
}  // namespace gw::ledger
