// test-needs: anvil
// The record-batch anchorer against a real anvil with the consortium
// deployed from C++: every signed batch ends up anchored exactly once on
// chain (root, range and signature as stored), anchored_tx holds the mined
// transaction, enqueueing works while the node is down, and a crash between
// "item done" and "anchored_tx written" neither loses nor repeats an anchor.
#include "gateway/anchoring/ledger_anchorer.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <map>
#include <set>

#include "gateway/crypto/store_keys.h"
#include "gateway/store/message_store.h"
#include "ledger-client/consortium/events.h"
#include "ledger-client/outbox/deploy.h"
#include "ledger-client/testing/anvil_process.h"

namespace gw::anchoring {
namespace {

using ledger::testing::AnvilProcess;
using ledger::testing::TempDir;
using namespace std::chrono_literals;

class LedgerAnchorerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string error;
    anvil_options_.state_file = dir_.path() + "/anvil-state.json";
    auto started = AnvilProcess::start(anvil_options_);
    ASSERT_TRUE(started.ok()) << started.error().message();
    anvil_ = std::move(*started);
    ledger::JsonRpcOptions o;
    o.url = anvil_->url();
    o.io_timeout = 5s;
    o.connect_timeout = 1s;
    auto rpc = ledger::JsonRpcClient::create(o);
    ASSERT_TRUE(rpc) << rpc.error().message();
    rpc_ = std::move(*rpc);
    eth_ = std::make_unique<ledger::EthClient>(*rpc_);
    auto key = AnvilProcess::dev_key(0);
    auto signer = ledger::LocalKeySigner::create(key);
    ASSERT_TRUE(signer) << signer.error().message();
    signer_ = std::move(*signer);
    open_submitter({});
    ledger::consortium::MemberInfo m;
    m.account = signer_->address();
    m.org_id = "urn:oid:2.16.840.1.113883.3.9999.1";
    m.name = "Anchor Test Hospital";
    m.encryption_key.fill(1);
    m.tls_fingerprint.fill(2);
    m.signing_key_hash.fill(3);
    ledger::DeployOptions d;
    d.founders = {m};
    d.quorum = 1;
    auto c = ledger::deploy_consortium(*submitter_, *outbox_, *eth_, d);
    ASSERT_TRUE(c) << c.error().message();
    contracts_ = *c;
    open_submitter(contracts_);

    store::StoreOptions so;
    so.path = db_path();
    so.keys = crypto::StoreKeys::random_for_tests();
    auto opened = store::MessageStore::open(so);
    ASSERT_TRUE(opened.ok()) << opened.status().message();
    store_ = std::move(opened).value();
    auto batches = store::BatchStore::open(db_path());
    ASSERT_TRUE(batches.ok()) << batches.status().message();
    batches_ = std::move(batches).value();
  }
  std::string db_path() const { return dir_.path() + "/messages.db"; }
  void open_submitter(const ledger::ContractAddresses& contracts) {
    submitter_.reset();
    outbox_.reset();
    auto outbox = ledger::OutboxStore::open(dir_.path() + "/outbox.db");
    ASSERT_TRUE(outbox) << outbox.error().message();
    outbox_ = std::move(*outbox);
    ledger::SubmitterOptions so;
    so.contracts = contracts;
    submitter_ = std::make_unique<ledger::Submitter>(*outbox_, *eth_, *signer_, so);
    auto st = submitter_->start();
    ASSERT_TRUE(st.ok()) << st.message();
  }
  std::unique_ptr<LedgerAnchorer> anchorer() {
    auto b = store::BatchStore::open(db_path());
    EXPECT_TRUE(b.ok()) << b.status().message();
    return std::make_unique<LedgerAnchorer>(b.ok() ? std::move(b).value() : nullptr, *submitter_,
                                            *outbox_);
  }
  // Stores one message with `n` records and records them as one signed batch.
  store::SignedBatch add_batch(int n) {
    store::InboundMessage m;
    m.channel = "test";
    m.sender = "APP|FAC";
    m.control_id = "C" + std::to_string(++messages_);
    m.message_type = "ADT^A01";
    m.raw = "MSH|...";
    m.ack = "MSA|AA";
    m.received_at_ms = 1700000000000;
    for (int i = 0; i < n; ++i) {
      store::RecordWrite r;
      r.resource_type = "Patient";
      r.resource_id = m.control_id + "-" + std::to_string(i);
      r.resource_json = R"({"resourceType":"Patient","id":")" + r.resource_id + R"("})";
      m.records.push_back(r);
    }
    EXPECT_EQ(store_->submit_sync(m).kind, store::CommitResult::Kind::kStored);
    auto pending = batches_->pending(1000);
    EXPECT_TRUE(pending && !pending->seqs.empty()) << pending.status().message();
    store::SignedBatch b;
    if (!pending || pending->seqs.empty()) return b;
    b.first_seq = pending->seqs.front();
    b.last_seq = pending->seqs.back();
    b.record_count = static_cast<int64_t>(pending->seqs.size());
    for (size_t i = 0; i < 32; ++i) b.root[i] = static_cast<uint8_t>(messages_ * 31 + i);
    b.signature.assign(71, static_cast<uint8_t>(messages_));  // DER ECDSA P-256 sized
    b.signer = "software";
    b.created_at_ms = 1700000000000;
    const gw::Status recorded = batches_->record(&b);
    EXPECT_TRUE(recorded.ok()) << recorded.message();
    return b;
  }
  // anchored_tx of every batch, by id ("" for NULL).
  std::map<int64_t, std::string> anchored_tx() {
    std::map<int64_t, std::string> out;
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open_v2(db_path().c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(db, "SELECT id, anchored_tx FROM record_batches", -1, &st, nullptr);
    while (sqlite3_step(st) == SQLITE_ROW) {
      const unsigned char* t = sqlite3_column_text(st, 1);
      out[sqlite3_column_int64(st, 0)] = t ? reinterpret_cast<const char*>(t) : "";
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return out;
  }
  void clear_anchored_tx(int64_t id) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(db_path().c_str(), &db), SQLITE_OK);
    const std::string sql =
        "UPDATE record_batches SET anchored_tx = NULL WHERE id = " + std::to_string(id);
    EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
  }
  // The Anchored events on chain, with the transaction that emitted each.
  std::vector<std::pair<ledger::consortium::Anchored, ledger::Hash256>> anchored_events() {
    ledger::LogFilter f;
    f.addresses = {contracts_.anchors};
    f.from_block = ledger::BlockRef::at(0);
    auto logs = eth_->get_logs(f);
    EXPECT_TRUE(logs) << logs.error().describe();
    std::vector<std::pair<ledger::consortium::Anchored, ledger::Hash256>> out;
    if (!logs) return out;
    for (const auto& l : *logs) {
      auto e = ledger::consortium::decode_event(l.topics, l.data);
      EXPECT_TRUE(e) << e.error().message();
      if (e && e->has_value())
        if (auto* a = std::get_if<ledger::consortium::Anchored>(&**e))
          out.emplace_back(*a, l.transaction_hash);
    }
    return out;
  }

  TempDir dir_;
  ledger::testing::AnvilOptions anvil_options_;
  std::unique_ptr<AnvilProcess> anvil_;
  std::unique_ptr<ledger::JsonRpcClient> rpc_;
  std::unique_ptr<ledger::EthClient> eth_;
  std::unique_ptr<ledger::LocalKeySigner> signer_;
  std::unique_ptr<ledger::OutboxStore> outbox_;
  std::unique_ptr<ledger::Submitter> submitter_;
  ledger::ContractAddresses contracts_;
  std::unique_ptr<store::MessageStore> store_;
  std::unique_ptr<store::BatchStore> batches_;
  int messages_ = 0;
};

TEST_F(LedgerAnchorerTest, AnchorsEveryBatchOnceAndRecordsTheTransaction) {
  std::vector<store::SignedBatch> batches;
  for (int i = 1; i <= 5; ++i) batches.push_back(add_batch(i));
  auto anchorer = this->anchorer();
  auto r = anchorer->run_once();
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->enqueued, 5u);
  EXPECT_EQ(r->anchored, 0u);
  // Enqueueing again (a second round before the chain answered) adds nothing.
  r = anchorer->run_once();
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->enqueued, 0u);
  EXPECT_EQ(r->waiting, 5u);
  ASSERT_TRUE(submitter_->drain(30s).ok());
  r = anchorer->run_once();
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->anchored, 5u);

  auto events = anchored_events();
  ASSERT_EQ(events.size(), 5u);
  auto tx = anchored_tx();
  for (size_t i = 0; i < batches.size(); ++i) {
    const auto& [event, hash] = events[i];
    EXPECT_EQ(event.member, signer_->address());
    EXPECT_EQ(event.kind, static_cast<uint8_t>(ledger::consortium::AnchorKind::kRecordBatch));
    EXPECT_TRUE(std::equal(event.root.begin(), event.root.end(), batches[i].root.begin()));
    EXPECT_EQ(event.first_seq, static_cast<uint64_t>(batches[i].first_seq));
    EXPECT_EQ(event.last_seq, static_cast<uint64_t>(batches[i].last_seq));
    EXPECT_EQ(event.signature, batches[i].signature);
    EXPECT_EQ(tx[batches[i].id], "0x" + ledger::to_hex(hash));
  }
  // Nothing left: the next rounds do nothing.
  r = anchorer->run_once();
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->enqueued + r->anchored + r->waiting, 0u);
}

TEST_F(LedgerAnchorerTest, EnqueuesWhileTheNodeIsDownAndSurvivesACrashBeforeTheHashIsWritten) {
  auto first = add_batch(2);
  auto second = add_batch(3);
  {
    auto anchorer = this->anchorer();
    ASSERT_TRUE(anchorer->run_once());
    ASSERT_TRUE(submitter_->drain(30s).ok());
    auto r = anchorer->run_once();
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(r->anchored, 2u);
  }
  // As if the gateway had crashed after the outbox finished the item but
  // before anchored_tx was written.
  const std::string old_tx = anchored_tx()[second.id];
  clear_anchored_tx(second.id);

  const int port = anvil_->port();
  anvil_->stop();  // dumps its state file
  auto third = add_batch(1);
  auto anchorer = this->anchorer();  // a fresh process: cursor from the start
  auto r = anchorer->run_once();
  ASSERT_TRUE(r) << r.error().message();  // the outbox is local: no node needed
  EXPECT_EQ(r->enqueued, 1u);
  EXPECT_EQ(r->anchored, 1u);  // the second batch, from its finished outbox item
  EXPECT_EQ(anchored_tx()[second.id], old_tx);
  EXPECT_EQ(anchored_tx()[third.id], "");

  ledger::testing::AnvilOptions again = anvil_options_;
  again.port = port;
  auto started2 = AnvilProcess::start(again);
  ASSERT_TRUE(started2.ok()) << started2.error().message();
  anvil_ = std::move(*started2);
  ASSERT_TRUE(submitter_->drain(60s).ok());
  r = anchorer->run_once();
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->anchored, 1u);
  auto tx = anchored_tx();
  EXPECT_NE(tx[first.id], "");
  EXPECT_EQ(tx[second.id], old_tx);
  EXPECT_NE(tx[third.id], "");
  // Each root exactly once on chain.
  auto events = anchored_events();
  ASSERT_EQ(events.size(), 3u);
  std::set<ledger::Hash256> roots;
  for (const auto& [e, hash] : events) roots.insert(e.root);
  EXPECT_EQ(roots.size(), 3u);
  for (const auto* b : {&first, &second, &third}) {
    ledger::Hash256 root{};
    std::copy(b->root.begin(), b->root.end(), root.begin());
    EXPECT_EQ(roots.count(root), 1u);
  }
}

}  // namespace
}  // namespace gw::anchoring
