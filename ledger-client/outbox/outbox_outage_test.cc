// test-needs: anvil
// The outbox through ledger outages and restarts on a real anvil: anvil
// stopped mid-run and restarted from its state file, anvil killed and
// reloaded from an older state, the gateway restarted with transactions in
// flight, a stuck transaction replaced with higher fees, confirmations, and a
// zero-fee chain. Every test ends by reading the chain's TransferRecorded
// events: each transfer id exactly once.
#include <gtest/gtest.h>

#include <map>
#include <thread>

#include "ledger-client/consortium/consent_registry.h"
#include "ledger-client/consortium/events.h"
#include "ledger-client/consortium/scope.h"
#include "ledger-client/outbox/consortium_fixture.h"
#include "ledger-client/outbox/item_codec.h"

namespace gw::ledger {
namespace {

using consortium::Purpose;
using testing::ConsortiumFixture;
using testing::dev_address;

class OutboxOutage : public ::testing::Test, public ConsortiumFixture {
 protected:
  Hash256 patient() {
    Hash256 t{};
    t.fill(0xb1);
    return t;
  }
  // Patient registered by member 0 with a TREAT grant to member 1.
  void consent() {
    auto reg = call(0, contracts_.consents, consortium::register_patient(patient(), Address{}));
    ASSERT_EQ(reg.state, ItemState::kDone) << reg.outcome;
    consortium::GrantInput g;
    g.patient_token = patient();
    g.grantee = dev_address(1);
    g.purpose = Purpose::kTreat;
    g.categories = consortium::category_bit(consortium::Category::kLaboratory);
    g.consent_hash.fill(0xc5);
    auto granted = call(0, contracts_.consents, consortium::grant(g));
    ASSERT_EQ(granted.state, ItemState::kDone) << granted.outcome;
  }
  std::vector<consortium::TransferInput> transfers(uint64_t first, uint64_t count) {
    std::vector<consortium::TransferInput> out;
    for (uint64_t id = first; id < first + count; ++id) {
      consortium::TransferInput t;
      t.id = Uint256::from_u64(id);
      t.to = dev_address(1);
      t.patient_token = patient();
      t.commitment.fill(0x5c);
      t.commitment[0] = static_cast<uint8_t>(id);
      t.purpose = Purpose::kTreat;
      out.push_back(t);
    }
    return out;
  }
  // transfer id -> number of TransferRecorded events from member 0.
  std::map<uint64_t, int> recorded() {
    std::map<uint64_t, int> seen;
    for (const Log& log : logs_of(contracts_.transfers)) {
      auto ev = consortium::decode_event(log.topics, log.data);
      EXPECT_TRUE(ev && ev->has_value());
      if (!ev || !ev->has_value()) continue;
      if (auto* r = std::get_if<consortium::TransferRecorded>(&**ev)) {
        if (r->from == dev_address(0)) ++seen[*r->transfer_id.to_u64()];
      }
    }
    return seen;
  }
  // Exactly once: the contract says the transfer is recorded, and no more
  // than one TransferRecorded event exists for it. The event alone is not
  // required: anvil's state dump keeps contract storage but can lose the logs
  // of the last block mined before it stopped, so a transfer confirmed just
  // before the outage may have its state and no event after the reload.
  void expect_exactly_once(uint64_t first, uint64_t count) {
    auto seen = recorded();
    EXPECT_LE(seen.size(), count);
    for (uint64_t id = first; id < first + count; ++id) {
      auto on_chain = consortium::decode_bool(view(
          contracts_.transfers, consortium::is_recorded(dev_address(0), Uint256::from_u64(id))));
      const bool recorded_on_chain = on_chain && *on_chain;
      if (seen[id] == 1 || (seen[id] == 0 && recorded_on_chain)) continue;
      auto it =
          member(0).store->item_by_key(ItemKind::kTransfer, transfer_key(transfers(id, 1)[0]));
      ADD_FAILURE() << "transfer " << id << ": " << seen[id]
                    << " events, isRecorded=" << recorded_on_chain << ", outbox state="
                    << (it && it->has_value() ? item_state_name((*it)->state) : "missing")
                    << " block=" << (it && it->has_value() ? (*it)->block_number.value_or(0) : 0);
    }
    auto counts = member(0).store->counts();
    ASSERT_TRUE(counts);
    EXPECT_EQ(counts->queued + counts->submitted + counts->refused + counts->failed, 0);
  }
  OutboxCounts counts(int i = 0) {
    auto c = member(i).store->counts();
    EXPECT_TRUE(c);
    return c ? *c : OutboxCounts{};
  }
  // Fails the test (and goes on, so the loop is still joined) when fewer than
  // `at_least` items are done after `timeout`.
  void wait_for_done(int64_t at_least, std::chrono::seconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (counts().done < at_least && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    const int64_t done = counts().done;
    if (done < at_least) {
      ADD_FAILURE() << "only " << done << " of " << at_least << " outbox items done within "
                    << timeout.count() << " s";
    }
  }
  // Steps until the outbox's one open transaction is seen in a block. anvil
  // answers eth_sendRawTransaction before its automine block exists, so on a
  // loaded machine the step after the send can still find no receipt.
  void step_until_mined() {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    for (;;) {
      auto r = member(0).submitter->step();
      ASSERT_TRUE(r) << r.error().message();
      auto open = member(0).store->open_txs();
      ASSERT_TRUE(open && open->size() == 1);
      if (open->front().state == TxState::kMined) return;
      ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "automine never mined it";
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  void rpc(const char* method, const std::string& params) {
    auto r = rpc_->call(method, params);
    ASSERT_TRUE(r) << method << ": " << r.error().describe();
  }
  // The submitter's background loop, as gatewayd runs it.
  struct Loop {
    std::atomic<bool> stop{false};
    std::vector<std::string> errors;
    std::mutex mu;
    std::thread thread;
    Submitter* submitter = nullptr;
    void start(Submitter& s) {
      submitter = &s;
      thread = std::thread([this] {
        submitter->run(stop, std::chrono::milliseconds(20), [this](const std::string& e) {
          std::lock_guard lock(mu);
          errors.push_back(e);
        });
      });
    }
    void join() {
      stop = true;
      submitter->notify();
      if (thread.joinable()) thread.join();
    }
    ~Loop() { join(); }
  };
};

TEST_F(OutboxOutage, AnvilStoppedMidRunAndRestartedDrainsExactlyOnce) {
  testing::AnvilOptions o;
  o.state_file = dir_.path() + "/anvil-state.json";
  start_anvil(o);
  deploy();
  consent();
  SubmitterOptions so;
  so.max_transfers_per_tx = 25;
  so.max_in_flight = 4;
  open_member(0, so);
  const int64_t done_before = counts().done;  // the deployment and consent calls
  ASSERT_TRUE(member(0).submitter->enqueue_transfers(transfers(1, 2000)));
  Loop loop;
  loop.start(*member(0).submitter);
  wait_for_done(300 + done_before, std::chrono::seconds(60));
  anvil_->stop();  // the ledger goes away mid-run (state dumped on exit)
  // A round that read its receipts just before may still finish them.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  int64_t done_at_stop = counts().done;
  std::this_thread::sleep_for(std::chrono::milliseconds(800));
  EXPECT_LT(done_at_stop, 2000 + done_before) << "the outage should hit a run in progress";
  EXPECT_GT(counts().submitted + counts().queued, 0);
  EXPECT_EQ(counts().done, done_at_stop) << "nothing completes while the ledger is down";
  o.port = anvil_->port();
  auto started = testing::AnvilProcess::start(o);  // same port, same state
  ASSERT_TRUE(started.ok()) << started.error().message();
  anvil_ = std::move(*started);
  wait_for_done(2000 + done_before, std::chrono::seconds(90));
  loop.join();
  {
    std::lock_guard lock(loop.mu);
    EXPECT_FALSE(loop.errors.empty()) << "the outage was reported";
  }
  expect_exactly_once(1, 2000);
}

TEST_F(OutboxOutage, AnvilCrashReloadingOlderStateGetsTheLostTransactionsAgain) {
  testing::AnvilOptions o;
  o.state_file = dir_.path() + "/anvil-state.json";
  start_anvil(o);
  deploy();
  consent();
  SubmitterOptions so;
  so.max_transfers_per_tx = 10;
  open_member(0, so);
  ASSERT_TRUE(member(0).submitter->enqueue_transfers(transfers(1, 100)));
  ASSERT_TRUE(member(0).submitter->drain(std::chrono::seconds(60)).ok());
  anvil_->stop();  // dumps a state holding transfers 1..100
  o.port = anvil_->port();
  auto started = testing::AnvilProcess::start(o);
  ASSERT_TRUE(started.ok()) << started.error().message();
  anvil_ = std::move(*started);
  // 100 more are confirmed, then anvil crashes without dumping: when it comes
  // back from the file, the chain has forgotten them (as a chain reset would).
  ASSERT_TRUE(member(0).submitter->enqueue_transfers(transfers(101, 100)));
  ASSERT_TRUE(member(0).submitter->drain(std::chrono::seconds(60)).ok());
  EXPECT_EQ(recorded().size(), 200u);
  anvil_->kill();
  auto started2 = testing::AnvilProcess::start(o);
  ASSERT_TRUE(started2.ok()) << started2.error().message();
  anvil_ = std::move(*started2);
  EXPECT_EQ(recorded().size(), 100u) << "the reloaded chain lost the last 100";
  // The running submitter notices (the chain's head went backwards) and sends
  // the same signed transactions again; nobody restarts the gateway.
  ASSERT_TRUE(member(0).submitter->drain(std::chrono::seconds(60)).ok());
  expect_exactly_once(1, 200);
}

TEST_F(OutboxOutage, GatewayRestartWithTransactionsInFlightSendsNothingTwice) {
  start_anvil();
  deploy();
  consent();
  rpc("evm_setAutomine", "[false]");
  SubmitterOptions so;
  so.max_transfers_per_tx = 5;
  open_member(0, so);
  ASSERT_TRUE(member(0).submitter->enqueue_transfers(transfers(1, 20)));
  auto r = member(0).submitter->step();
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->sent, 4u);
  EXPECT_EQ(counts().submitted, 20);
  // The gateway restarts before anything is mined.
  open_member(0, so);
  rpc("evm_mine", "[]");
  ASSERT_TRUE(member(0).submitter->drain(std::chrono::seconds(30)).ok());
  expect_exactly_once(1, 20);
  auto nonce = eth_->transaction_count(dev_address(0), BlockRef{});
  auto next = member(0).store->next_nonce();
  ASSERT_TRUE(nonce && next);
  EXPECT_EQ(*nonce, *next);
}

TEST_F(OutboxOutage, StuckTransactionIsReplacedWithHigherFeesAndMinedOnce) {
  start_anvil();
  deploy();
  consent();
  rpc("evm_setAutomine", "[false]");
  SubmitterOptions so;
  so.resubmit_after = std::chrono::milliseconds(200);
  open_member(0, so);
  ASSERT_TRUE(member(0).submitter->enqueue_transfers(transfers(1, 3)));
  auto first = member(0).submitter->step();
  ASSERT_TRUE(first) << first.error().message();
  ASSERT_EQ(first->sent, 1u);
  auto open = member(0).store->open_txs();
  ASSERT_TRUE(open && open->size() == 1);
  Hash256 original = open->front().hash;
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  auto second = member(0).submitter->step();
  ASSERT_TRUE(second) << second.error().message();
  EXPECT_EQ(second->replaced, 1u);
  auto hashes = member(0).store->hashes_of_tx(open->front().id);
  ASSERT_TRUE(hashes);
  EXPECT_EQ(hashes->size(), 2u);
  rpc("evm_mine", "[]");
  ASSERT_TRUE(member(0).submitter->drain(std::chrono::seconds(30)).ok());
  auto done = member(0).store->item_by_key(ItemKind::kTransfer, transfer_key(transfers(1, 1)[0]));
  ASSERT_TRUE(done && done->has_value());
  ASSERT_TRUE((*done)->tx_hash.has_value());
  EXPECT_NE(*(*done)->tx_hash, original) << "the replacement was mined, not the original";
  auto receipt = eth_->transaction_receipt(original);
  ASSERT_TRUE(receipt);
  EXPECT_FALSE(receipt->has_value());
  expect_exactly_once(1, 3);
}

TEST_F(OutboxOutage, ANonceTakenByAnotherWriterRequeuesTheItems) {
  start_anvil();
  deploy();
  consent();
  rpc("evm_setAutomine", "[false]");
  SubmitterOptions so;
  so.resubmit_after = std::chrono::milliseconds(200);
  open_member(0, so);
  const int64_t done_before = counts().done;  // the deployment and consent calls
  auto seqs = member(0).submitter->enqueue_transfers(transfers(1, 3));
  ASSERT_TRUE(seqs);
  ASSERT_TRUE(member(0).submitter->step());
  auto open = member(0).store->open_txs();
  ASSERT_TRUE(open && open->size() == 1);
  // Someone else with our key (a misconfigured second gateway) takes the nonce
  // with a higher-fee transaction, which replaces ours in the pool.
  Eip1559Tx foreign;
  foreign.chain_id = 31337;
  foreign.nonce = open->front().nonce;
  foreign.max_priority_fee_per_gas = Uint256::from_u64(50'000'000'000);
  foreign.max_fee_per_gas = Uint256::from_u64(100'000'000'000);
  foreign.gas_limit = 21000;
  foreign.to = dev_address(9);
  auto raw = member(0).signer->sign(foreign);
  ASSERT_TRUE(raw);
  ASSERT_TRUE(eth_->send_raw_transaction(*raw));
  ASSERT_TRUE(testing::mine(*rpc_, 1).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  for (int i = 0; i < 50 && counts().done < done_before + 3; ++i) {
    auto r = member(0).submitter->step();
    ASSERT_TRUE(r) << r.error().message();
    ASSERT_TRUE(testing::mine(*rpc_, 1).ok());
  }
  EXPECT_EQ(counts().done, done_before + 3);
  auto first = member(0).store->txs_from_nonce(open->front().nonce);
  ASSERT_TRUE(first);
  ASSERT_FALSE(first->empty());
  EXPECT_NE(first->front().id, open->front().id) << "the taken transaction is dropped";
  expect_exactly_once(1, 3);
}

TEST_F(OutboxOutage, OutcomesWaitForConfirmations) {
  start_anvil();
  deploy();
  consent();
  SubmitterOptions so;
  so.confirmations = 3;
  open_member(0, so);
  auto seq = member(0).submitter->enqueue_transfers(transfers(1, 1));
  ASSERT_TRUE(seq);
  auto state = [&] { return (*member(0).store->item(seq->front()))->state; };
  ASSERT_TRUE(member(0).submitter->step());     // sent
  ASSERT_NO_FATAL_FAILURE(step_until_mined());  // 1 of 3 confirmations
  EXPECT_EQ(state(), ItemState::kSubmitted);
  rpc("evm_mine", "[]");
  ASSERT_TRUE(member(0).submitter->step());
  EXPECT_EQ(state(), ItemState::kSubmitted) << "two blocks are not three confirmations";
  rpc("evm_mine", "[]");
  ASSERT_TRUE(member(0).submitter->step());
  EXPECT_EQ(state(), ItemState::kDone);
}

TEST_F(OutboxOutage, AReorganisedBlockSendsItsTransactionAgainBeforeTheOutcomeIsFinal) {
  start_anvil();
  deploy();
  consent();
  SubmitterOptions so;
  so.confirmations = 3;
  open_member(0, so);
  auto seqs = member(0).submitter->enqueue_transfers(transfers(1, 5));
  ASSERT_TRUE(seqs);
  ASSERT_TRUE(member(0).submitter->step());     // sent; automine puts it in a block
  ASSERT_NO_FATAL_FAILURE(step_until_mined());  // 1 of 3 confirmations
  auto open = member(0).store->open_txs();
  ASSERT_TRUE(open && open->size() == 1);
  Hash256 first_block = *open->front().block_hash;
  // The block is replaced by an empty one at the same height: the receipt is gone.
  rpc("anvil_reorg", "[1, []]");
  size_t reorged = 0;
  for (int i = 0; i < 20 && reorged == 0; ++i) {
    auto r = member(0).submitter->step();
    ASSERT_TRUE(r) << r.error().message();
    reorged += r->reorged;
  }
  EXPECT_EQ(reorged, 1u);
  EXPECT_EQ((*member(0).store->item(seqs->front()))->state, ItemState::kSubmitted);
  ASSERT_TRUE(testing::mine(*rpc_, 3).ok());
  ASSERT_TRUE(member(0).submitter->drain(std::chrono::seconds(30)).ok());
  auto done = member(0).store->item(seqs->front());
  ASSERT_TRUE(done && done->has_value());
  EXPECT_EQ((*done)->state, ItemState::kDone);
  auto receipt = eth_->transaction_receipt(*(*done)->tx_hash);
  ASSERT_TRUE(receipt && receipt->has_value());
  EXPECT_NE((*receipt)->block_hash, first_block) << "recorded in the block that replaced it";
  expect_exactly_once(1, 5);
}

TEST_F(OutboxOutage, ZeroFeeChainAndLegacyTransactionsWork) {
  testing::AnvilOptions o;
  o.base_fee = 0;
  o.gas_price = 0;
  o.extra_args = {"--disable-min-priority-fee"};  // else eth_gasPrice suggests 1 gwei
  start_anvil(o);
  deploy();
  consent();
  auto balance_before = eth_->balance(dev_address(0), BlockRef{});
  SubmitterOptions so;
  so.fees.type = TxType::kLegacy;
  open_member(0, so);
  ASSERT_TRUE(member(0).submitter->enqueue_transfers(transfers(1, 10)));
  ASSERT_TRUE(member(0).submitter->drain(std::chrono::seconds(30)).ok());
  expect_exactly_once(1, 10);
  auto it = member(0).store->item_by_key(ItemKind::kTransfer, transfer_key(transfers(1, 1)[0]));
  ASSERT_TRUE(it && it->has_value());
  auto receipt = eth_->transaction_receipt(*(*it)->tx_hash);
  ASSERT_TRUE(receipt && receipt->has_value());
  EXPECT_TRUE((*receipt)->effective_gas_price.is_zero());
  auto balance_after = eth_->balance(dev_address(0), BlockRef{});
  ASSERT_TRUE(balance_before && balance_after);
  EXPECT_EQ(*balance_before, *balance_after) << "nothing is paid on a zero-fee chain";
  // EIP-1559 transactions with zero fees go through as well.
  open_member(0, SubmitterOptions{});
  ASSERT_TRUE(member(0).submitter->enqueue_transfers(transfers(11, 10)));
  ASSERT_TRUE(member(0).submitter->drain(std::chrono::seconds(30)).ok());
  expect_exactly_once(1, 20);
  auto eip1559 =
      member(0).store->item_by_key(ItemKind::kTransfer, transfer_key(transfers(11, 1)[0]));
  ASSERT_TRUE(eip1559 && eip1559->has_value());
  // The outbox's own signed bytes say which kind each run sent.
  auto all = member(0).store->txs_from_nonce(0);
  ASSERT_TRUE(all);
  size_t legacy = 0, dynamic_fee = 0;
  for (const OutboxTx& tx : *all) {
    auto decoded = decode_raw(tx.raw);
    ASSERT_TRUE(decoded);
    if (std::holds_alternative<LegacyTx>(decoded->tx)) {
      ++legacy;
    } else {
      ++dynamic_fee;
      EXPECT_TRUE(std::get<Eip1559Tx>(decoded->tx).max_fee_per_gas.is_zero());
    }
  }
  EXPECT_GT(legacy, 0u);
  EXPECT_GT(dynamic_fee, 0u);
  EXPECT_EQ(*eth_->balance(dev_address(0), BlockRef{}), *balance_before);
}

TEST_F(OutboxOutage, AnOutboxRefusesAnotherChainOrAccount) {
  start_anvil();
  open_member(0);
  auto other = LocalKeySigner::create(testing::AnvilProcess::dev_key(5));
  ASSERT_TRUE(other);
  member(0).submitter.reset();
  Submitter wrong(*member(0).store, *eth_, **other, SubmitterOptions{});
  auto st = wrong.start();
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("belongs to chain 31337"), std::string::npos) << st.message();
}

}  // namespace
}  // namespace gw::ledger
