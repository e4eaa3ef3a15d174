// test-needs: anvil
// EthClient against a real anvil (pinned 1.7.1): typed results, transactions
// signed by our own tx/ code, reverts with data, logs, batches, the error
// messages the submitter classifies, and a restart that keeps the chain.
#include "ledger-client/rpc/eth_client.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "ledger-client/abi/abi_event.h"
#include "ledger-client/keccak/keccak.h"
#include "ledger-client/rpc/eth_json.h"
#include "ledger-client/testing/anvil_process.h"
#include "ledger-client/tx/transaction.h"

namespace gw::ledger {
namespace {

using testing::AnvilOptions;
using testing::AnvilProcess;
using Kind = RpcFailure::Kind;

constexpr uint64_t kGwei = 1'000'000'000;

std::unique_ptr<JsonRpcClient> connect(const std::string& url) {
  auto c = JsonRpcClient::create({.url = url});
  EXPECT_TRUE(c.ok()) << (c.ok() ? "" : c.error().message());
  return c.ok() ? std::move(c).value() : nullptr;
}

// Init code that deploys `runtime`: CODECOPY it to memory and RETURN it.
std::vector<uint8_t> deployer(const std::vector<uint8_t>& runtime) {
  const auto n = static_cast<uint8_t>(runtime.size());
  const uint8_t prefix[] = {0x60, n, 0x60, 0x0c, 0x60, 0x00, 0x39,  // CODECOPY(0, 12, n)
                            0x60, n, 0x60, 0x00, 0xf3};             // RETURN(0, n)
  std::vector<uint8_t> code(std::begin(prefix), std::end(prefix));
  for (uint8_t b : runtime) code.push_back(b);
  return code;
}

// Runtime that always reverts with Error("no").
std::vector<uint8_t> reverting_runtime() {
  std::vector<uint8_t> payload = {0x08, 0xc3, 0x79, 0xa0};
  payload.resize(4 + 96, 0);
  payload[4 + 31] = 0x20;  // offset of the string
  payload[4 + 63] = 2;     // its length
  payload[4 + 64] = 'n';
  payload[4 + 65] = 'o';
  const uint8_t prefix[] = {0x60, 0x64, 0x60, 0x0c, 0x60, 0x00, 0x39,  // CODECOPY(0, 12, 100)
                            0x60, 0x64, 0x60, 0x00, 0xfd};             // REVERT(0, 100)
  std::vector<uint8_t> code(std::begin(prefix), std::end(prefix));
  for (uint8_t b : payload) code.push_back(b);
  return code;
}

// Runtime that emits LOG1(topic, calldata).
std::vector<uint8_t> logging_runtime(const Hash256& topic) {
  std::vector<uint8_t> code = {0x36, 0x60, 0x00, 0x60, 0x00, 0x37, 0x7f};  // CALLDATACOPY; PUSH32
  code.insert(code.end(), topic.begin(), topic.end());
  code.insert(code.end(), {0x36, 0x60, 0x00, 0xa1, 0x00});  // LOG1(0, size, topic); STOP
  return code;
}

// A signed EIP-1559 transfer of `value` wei to dev account 9.
std::vector<uint8_t> transfer(int from, uint64_t nonce, uint64_t max_fee, uint64_t tip,
                              uint64_t value) {
  Eip1559Tx tx;
  tx.chain_id = 31337;
  tx.nonce = nonce;
  tx.max_priority_fee_per_gas = Uint256::from_u64(tip);
  tx.max_fee_per_gas = Uint256::from_u64(max_fee);
  tx.gas_limit = 21000;
  tx.to = AnvilProcess::dev_address(9);
  tx.value = Uint256::from_u64(value);
  auto raw = sign(tx, AnvilProcess::dev_key(from));
  EXPECT_TRUE(raw.ok());
  return raw.ok() ? *raw : std::vector<uint8_t>{};
}

// anvil's automine runs just after eth_sendRawTransaction returns: poll.
RpcResult<std::optional<Receipt>> wait_receipt(EthClient& eth, const Hash256& hash) {
  for (int i = 0;; ++i) {
    auto r = eth.transaction_receipt(hash);
    if (!r.ok() || r->has_value() || i == 250) return r;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

class AnvilTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto started = AnvilProcess::start(AnvilOptions{});
    ASSERT_TRUE(started.ok()) << started.error().message();
    anvil_ = std::move(*started).release();
  }
  static void TearDownTestSuite() {
    delete anvil_;
    anvil_ = nullptr;
  }
  void SetUp() override {
    ASSERT_NE(anvil_, nullptr);
    rpc_ = connect(anvil_->url());
    ASSERT_NE(rpc_, nullptr);
    eth_ = std::make_unique<EthClient>(*rpc_);
  }

  // Signs an EIP-1559 transaction from dev account `from` with the next nonce.
  std::vector<uint8_t> signed_tx(int from, std::optional<Address> to, std::vector<uint8_t> data,
                                 uint64_t value = 0, std::optional<uint64_t> nonce = {},
                                 uint64_t max_fee = 10 * kGwei, uint64_t tip = kGwei) {
    if (!nonce) {
      auto n = eth_->transaction_count(AnvilProcess::dev_address(from),
                                       BlockRef::of(BlockTag::kPending));
      EXPECT_TRUE(n.ok());
      nonce = n.ok() ? *n : 0;
    }
    Eip1559Tx tx;
    tx.chain_id = 31337;
    tx.nonce = *nonce;
    tx.max_priority_fee_per_gas = Uint256::from_u64(tip);
    tx.max_fee_per_gas = Uint256::from_u64(max_fee);
    tx.gas_limit = 300000;
    tx.to = to;
    tx.value = Uint256::from_u64(value);
    tx.data = std::move(data);
    auto key = AnvilProcess::dev_key(from);
    auto raw = sign(tx, key);
    EXPECT_TRUE(raw.ok());
    return raw.ok() ? *raw : std::vector<uint8_t>{};
  }

  // Deploys `init` from dev account `from` and returns the contract address.
  Address deploy(int from, const std::vector<uint8_t>& init) {
    auto sent = eth_->send_raw_transaction(signed_tx(from, std::nullopt, init));
    EXPECT_TRUE(sent.ok()) << sent.error().describe();
    auto receipt = wait_receipt(*eth_, *sent);
    EXPECT_TRUE(receipt.ok() && receipt->has_value());
    EXPECT_TRUE((*receipt)->success);
    EXPECT_TRUE((*receipt)->contract_address.has_value());
    return (*receipt)->contract_address.value_or(Address{});
  }

  static AnvilProcess* anvil_;
  std::unique_ptr<JsonRpcClient> rpc_;
  std::unique_ptr<EthClient> eth_;
};
AnvilProcess* AnvilTest::anvil_ = nullptr;

TEST_F(AnvilTest, ChainIdBlocksAndBalances) {
  auto id = eth_->chain_id();
  ASSERT_TRUE(id.ok()) << id.error().describe();
  EXPECT_EQ(*id, 31337u);
  auto n = eth_->block_number();
  ASSERT_TRUE(n.ok());
  auto latest = eth_->block(BlockRef{});
  ASSERT_TRUE(latest.ok()) << latest.error().describe();
  ASSERT_TRUE(latest->has_value());
  EXPECT_EQ((*latest)->number, *n);
  EXPECT_TRUE((*latest)->base_fee_per_gas.has_value());
  EXPECT_EQ((*latest)->gas_limit, 30'000'000u);
  auto genesis = eth_->block(BlockRef::at(0));
  ASSERT_TRUE(genesis.ok() && genesis->has_value());
  EXPECT_EQ((*genesis)->parent_hash, Hash256{});
  EXPECT_EQ((*genesis)->base_fee_per_gas, Uint256::from_u64(kGwei));
  auto future = eth_->block(BlockRef::at(1'000'000));
  ASSERT_TRUE(future.ok());
  EXPECT_FALSE(future->has_value());

  // Dev account 9 is never used by these tests: 10000 ETH untouched.
  auto bal = eth_->balance(AnvilProcess::dev_address(9), BlockRef{});
  ASSERT_TRUE(bal.ok());
  EXPECT_EQ(*bal, *Uint256::from_decimal("10000000000000000000000"));
  auto price = eth_->gas_price();
  ASSERT_TRUE(price.ok());
  EXPECT_FALSE(price->is_zero());
  auto tip = eth_->max_priority_fee_per_gas();
  ASSERT_TRUE(tip.ok()) << tip.error().describe();
  auto code = eth_->get_code(AnvilProcess::dev_address(9), BlockRef{});
  ASSERT_TRUE(code.ok());
  EXPECT_TRUE(code->empty());
}

TEST_F(AnvilTest, DevKeysAreAnvilsAccounts) {
  auto accounts = rpc_->call("eth_accounts", "[]");
  ASSERT_TRUE(accounts.ok());
  for (int i = 0; i < 10; ++i) {
    const std::string hex = to_hex(AnvilProcess::dev_address(i));
    EXPECT_NE(accounts->find(hex), std::string::npos) << i;
  }
}

TEST_F(AnvilTest, FeeHistoryShape) {
  ASSERT_TRUE(testing::mine(*rpc_, 3).ok());
  const double pct[] = {25, 75};
  // anvil fills its fee history cache just after a block is mined, so the
  // newest blocks may be missing for a moment (on a loaded machine, two of
  // the three): wait for them; the shape must hold either way.
  auto h = eth_->fee_history(3, BlockRef{}, pct);
  for (int i = 0; i < 250 && h.ok() && h->gas_used_ratio.size() < 3; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    h = eth_->fee_history(3, BlockRef{}, pct);
  }
  ASSERT_TRUE(h.ok()) << h.error().describe();
  const size_t n = h->gas_used_ratio.size();
  EXPECT_GE(n, 2u);
  EXPECT_LE(n, 3u);
  EXPECT_EQ(h->base_fee_per_gas.size(), n + 1);
  ASSERT_EQ(h->reward.size(), n);
  EXPECT_EQ(h->reward[0].size(), 2u);
  auto latest = eth_->block_number();
  EXPECT_LE(h->oldest_block + n - 1, *latest);
  for (const auto& fee : h->base_fee_per_gas) EXPECT_FALSE(fee.is_zero());
}

TEST_F(AnvilTest, Eip1559TransferReceiptAndLookup) {
  const Address to = AnvilProcess::dev_address(8);
  auto before = eth_->balance(to, BlockRef{});
  ASSERT_TRUE(before.ok());
  auto raw = signed_tx(0, to, {}, 12345);
  auto hash = eth_->send_raw_transaction(raw);
  ASSERT_TRUE(hash.ok()) << hash.error().describe();
  EXPECT_EQ(*hash, transaction_hash(raw));

  auto receipt = wait_receipt(*eth_, *hash);
  ASSERT_TRUE(receipt.ok()) << receipt.error().describe();
  ASSERT_TRUE(receipt->has_value());
  const Receipt& r = **receipt;
  EXPECT_TRUE(r.success);
  EXPECT_EQ(r.transaction_hash, *hash);
  EXPECT_EQ(r.gas_used, 21000u);
  EXPECT_GE(r.cumulative_gas_used, 21000u);
  EXPECT_EQ(r.from, AnvilProcess::dev_address(0));
  EXPECT_EQ(r.to, to);
  EXPECT_FALSE(r.contract_address.has_value());
  EXPECT_FALSE(r.effective_gas_price.is_zero());
  EXPECT_TRUE(r.logs.empty());
  auto block = eth_->block(BlockRef::at(r.block_number));
  ASSERT_TRUE(block.ok() && block->has_value());
  EXPECT_EQ((*block)->hash, r.block_hash);

  // anvil indexes a mined transaction's receipt before its by-hash entry
  // leaves the pool (seen: the receipt, then the transaction still without a
  // block, on a loaded machine): poll for the block.
  auto info = eth_->transaction_by_hash(*hash);
  for (int i = 0; i < 250 && info.ok() && info->has_value() && !(*info)->block_number; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    info = eth_->transaction_by_hash(*hash);
  }
  ASSERT_TRUE(info.ok()) << info.error().describe();
  ASSERT_TRUE(info->has_value());
  EXPECT_EQ((*info)->from, AnvilProcess::dev_address(0));
  EXPECT_EQ((*info)->block_number, r.block_number);
  auto decoded = decode_raw(raw);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ((*info)->nonce, std::get<Eip1559Tx>(decoded->tx).nonce);

  auto after = eth_->balance(to, BlockRef::at(r.block_number));
  ASSERT_TRUE(after.ok()) << after.error().describe();
  EXPECT_EQ(*checked_sub(*after, *before), Uint256::from_u64(12345));

  Hash256 unknown{};
  unknown[0] = 0x42;
  auto none = eth_->transaction_receipt(unknown);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  auto none2 = eth_->transaction_by_hash(unknown);
  ASSERT_TRUE(none2.ok());
  EXPECT_FALSE(none2->has_value());
}

TEST_F(AnvilTest, LegacyEip155Transfer) {
  auto nonce =
      eth_->transaction_count(AnvilProcess::dev_address(1), BlockRef::of(BlockTag::kPending));
  ASSERT_TRUE(nonce.ok());
  LegacyTx tx;
  tx.nonce = *nonce;
  tx.gas_price = Uint256::from_u64(5 * kGwei);
  tx.gas_limit = 21000;
  tx.to = AnvilProcess::dev_address(7);
  tx.value = Uint256::from_u64(1);
  tx.chain_id = 31337;
  auto raw = sign(tx, AnvilProcess::dev_key(1));
  ASSERT_TRUE(raw.ok());
  auto hash = eth_->send_raw_transaction(*raw);
  ASSERT_TRUE(hash.ok()) << hash.error().describe();
  EXPECT_EQ(*hash, transaction_hash(*raw));
  auto receipt = wait_receipt(*eth_, *hash);
  ASSERT_TRUE(receipt.ok() && receipt->has_value());
  EXPECT_TRUE((*receipt)->success);
  EXPECT_EQ((*receipt)->effective_gas_price, Uint256::from_u64(5 * kGwei));
}

TEST_F(AnvilTest, CallAndEstimateGasRevertWithData) {
  const Address c = deploy(2, deployer(reverting_runtime()));
  auto code = eth_->get_code(c, BlockRef{});
  ASSERT_TRUE(code.ok());
  EXPECT_EQ(*code, reverting_runtime());

  CallRequest req{.from = AnvilProcess::dev_address(2), .to = c, .data = {1, 2, 3}};
  auto r = eth_->call(req, BlockRef{});
  ASSERT_FALSE(r.ok());
  const RpcFailure& f = r.error();
  EXPECT_EQ(f.kind, Kind::kRpcError);
  std::printf("anvil eth_call revert: %s\n", f.describe().c_str());
  RevertReason reason = decode_revert(f.data);
  EXPECT_EQ(reason.kind, RevertReason::Kind::kError);
  EXPECT_EQ(reason.message, "no");
  EXPECT_FALSE(f.transient());

  auto g = eth_->estimate_gas(req, BlockRef{});
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(g.error().kind, Kind::kRpcError);
  std::printf("anvil eth_estimateGas revert: %s\n", g.error().describe().c_str());
  EXPECT_EQ(decode_revert(g.error().data).message, "no");

  // A plain transfer estimates at 21000.
  auto ok = eth_->estimate_gas({.from = AnvilProcess::dev_address(2),
                                .to = AnvilProcess::dev_address(9),
                                .value = Uint256::from_u64(1)},
                               BlockRef::of(BlockTag::kPending));
  ASSERT_TRUE(ok.ok()) << ok.error().describe();
  EXPECT_EQ(*ok, 21000u);
}

TEST_F(AnvilTest, BatchedCallsKeepOrderAndPerEntryReverts) {
  const Address c = deploy(2, deployer(reverting_runtime()));
  const CallRequest reverts{.from = AnvilProcess::dev_address(2), .to = c, .data = {1}};
  // A call to an account without code returns empty data.
  const CallRequest empty{.from = AnvilProcess::dev_address(2), .to = AnvilProcess::dev_address(9)};
  const CallRequest requests[] = {empty, reverts, empty};
  auto results = eth_->calls(requests, BlockRef{});
  ASSERT_EQ(results.size(), 3u);
  ASSERT_TRUE(results[0].ok()) << results[0].error().describe();
  EXPECT_TRUE(results[0]->empty());
  ASSERT_FALSE(results[1].ok());
  EXPECT_EQ(results[1].error().kind, Kind::kRpcError);
  EXPECT_EQ(decode_revert(results[1].error().data).message, "no");
  EXPECT_TRUE(results[2].ok());
  EXPECT_TRUE(eth_->calls({}, BlockRef{}).empty());
}

TEST_F(AnvilTest, GetLogsFiltersByAddressAndTopic) {
  const Hash256 topic = keccak256(std::string_view("Ping(bytes)"));
  const Address c = deploy(3, deployer(logging_runtime(topic)));
  auto hash = eth_->send_raw_transaction(signed_tx(3, c, {0xca, 0xfe}));
  ASSERT_TRUE(hash.ok()) << hash.error().describe();
  auto receipt = wait_receipt(*eth_, *hash);
  ASSERT_TRUE(receipt.ok() && receipt->has_value());
  ASSERT_EQ((*receipt)->logs.size(), 1u);

  LogFilter filter;
  filter.addresses = {c};
  filter.topics = {std::vector<Hash256>{topic}};
  filter.from_block = BlockRef::at(0);
  auto logs = eth_->get_logs(filter);
  ASSERT_TRUE(logs.ok()) << logs.error().describe();
  ASSERT_EQ(logs->size(), 1u);
  const Log& log = (*logs)[0];
  EXPECT_EQ(log.address, c);
  EXPECT_EQ(log.topics, std::vector<Hash256>{topic});
  EXPECT_EQ(log.data, (std::vector<uint8_t>{0xca, 0xfe}));
  EXPECT_EQ(log.transaction_hash, *hash);
  EXPECT_EQ(log.block_number, (*receipt)->block_number);
  EXPECT_EQ(log.block_hash, (*receipt)->block_hash);
  EXPECT_FALSE(log.removed);

  filter.topics = {std::vector<Hash256>{keccak256(std::string_view("Other()"))}};
  auto none = eth_->get_logs(filter);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  LogFilter by_hash{.topics = {std::nullopt}, .block_hash = (*receipt)->block_hash};
  auto in_block = eth_->get_logs(by_hash);
  ASSERT_TRUE(in_block.ok()) << in_block.error().describe();
  EXPECT_EQ(in_block->size(), 1u);
}

TEST_F(AnvilTest, BatchSendAndBatchReceipts) {
  auto first =
      eth_->transaction_count(AnvilProcess::dev_address(4), BlockRef::of(BlockTag::kPending));
  ASSERT_TRUE(first.ok());
  std::vector<std::vector<uint8_t>> raws;
  for (uint64_t i = 0; i < 5; ++i)
    raws.push_back(signed_tx(4, AnvilProcess::dev_address(9), {}, 1, *first + i));
  const uint64_t before = rpc_->requests_sent();
  auto sent = eth_->send_raw_transactions(raws);
  EXPECT_EQ(rpc_->requests_sent(), before + 1);
  ASSERT_EQ(sent.size(), 5u);
  std::vector<Hash256> hashes;
  for (size_t i = 0; i < 5; ++i) {
    ASSERT_TRUE(sent[i].ok()) << sent[i].error().describe();
    EXPECT_EQ(*sent[i], transaction_hash(raws[i]));
    hashes.push_back(*sent[i]);
  }
  ASSERT_TRUE(wait_receipt(*eth_, hashes.back()).ok());
  hashes.push_back(Hash256{});  // unknown
  auto receipts = eth_->transaction_receipts(hashes);
  ASSERT_EQ(receipts.size(), 6u);
  for (size_t i = 0; i < 5; ++i) {
    ASSERT_TRUE(receipts[i].ok()) << receipts[i].error().describe();
    ASSERT_TRUE(receipts[i]->has_value());
    EXPECT_EQ((*receipts[i])->transaction_hash, hashes[i]);
    EXPECT_TRUE((*receipts[i])->success);
  }
  ASSERT_TRUE(receipts[5].ok());
  EXPECT_FALSE(receipts[5]->has_value());
}

TEST_F(AnvilTest, NonceTooLowIsClassified) {
  auto raw = signed_tx(5, AnvilProcess::dev_address(9), {}, 1);
  auto sent = eth_->send_raw_transaction(raw);
  ASSERT_TRUE(sent.ok());
  auto mined = wait_receipt(*eth_, *sent);
  ASSERT_TRUE(mined.ok() && mined->has_value());
  // Same nonce again, different transaction: mined already.
  auto decoded = decode_raw(raw);
  auto again =
      signed_tx(5, AnvilProcess::dev_address(9), {}, 2, std::get<Eip1559Tx>(decoded->tx).nonce);
  auto r = eth_->send_raw_transaction(again);
  ASSERT_FALSE(r.ok());
  std::printf("anvil nonce too low: %s\n", r.error().describe().c_str());
  EXPECT_EQ(r.error().kind, Kind::kRpcError);
  EXPECT_TRUE(is_nonce_too_low(r.error()));
  EXPECT_FALSE(is_already_known(r.error()));
  EXPECT_FALSE(is_underpriced(r.error()));
}

TEST(AnvilNoMiningTest, AlreadyKnownAndUnderpricedAreClassified) {
  auto anvil_started = AnvilProcess::start({.no_mining = true});
  ASSERT_TRUE(anvil_started.ok()) << anvil_started.error().message();
  auto anvil = std::move(*anvil_started);
  auto rpc = connect(anvil->url());
  EthClient eth(*rpc);
  auto make = [&](uint64_t nonce, uint64_t max_fee, uint64_t tip, uint64_t value) {
    return transfer(0, nonce, max_fee, tip, value);
  };
  auto raw = make(0, 10 * kGwei, kGwei, 1);
  ASSERT_TRUE(eth.send_raw_transaction(raw).ok());
  auto dup = eth.send_raw_transaction(raw);
  ASSERT_FALSE(dup.ok());
  std::printf("anvil already known: %s\n", dup.error().describe().c_str());
  EXPECT_TRUE(is_already_known(dup.error()));
  EXPECT_FALSE(is_nonce_too_low(dup.error()));
  EXPECT_FALSE(is_underpriced(dup.error()));

  // Same nonce, a different transaction, fees not bumped: replacement underpriced.
  auto cheap = eth.send_raw_transaction(make(0, 10 * kGwei, kGwei, 2));
  ASSERT_FALSE(cheap.ok());
  std::printf("anvil replacement: %s\n", cheap.error().describe().c_str());
  EXPECT_TRUE(is_underpriced(cheap.error()));
  EXPECT_FALSE(is_already_known(cheap.error()));

  // Max fee below the block's base fee (1 gwei at genesis).
  auto low = eth.send_raw_transaction(make(1, kGwei / 2, 1, 1));
  ASSERT_FALSE(low.ok());
  std::printf("anvil below base fee: %s\n", low.error().describe().c_str());
  EXPECT_TRUE(is_underpriced(low.error()));

  // Mined with evm_mine: the pending one lands.
  auto pending = eth.transaction_by_hash(transaction_hash(raw));
  ASSERT_TRUE(pending.ok() && pending->has_value());
  EXPECT_FALSE((*pending)->block_number.has_value());
  ASSERT_TRUE(testing::mine(*rpc).ok());
  auto receipt = wait_receipt(eth, transaction_hash(raw));
  ASSERT_TRUE(receipt.ok() && receipt->has_value());
  EXPECT_EQ((*receipt)->block_number, 1u);
}

TEST(AnvilCustomTest, CustomChainIdAndFees) {
  auto anvil_started = AnvilProcess::start({.chain_id = 4242, .base_fee = 7 * kGwei});
  ASSERT_TRUE(anvil_started.ok()) << anvil_started.error().message();
  auto anvil = std::move(*anvil_started);
  auto rpc = connect(anvil->url());
  EthClient eth(*rpc);
  auto id = eth.chain_id();
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(*id, 4242u);
  auto b = eth.block(BlockRef::of(BlockTag::kLatest));
  ASSERT_TRUE(b.ok() && b->has_value());
  EXPECT_EQ((*b)->base_fee_per_gas, Uint256::from_u64(7 * kGwei));
}

TEST(AnvilRestartTest, StopAndRestartOnSamePortKeepsTheChain) {
  testing::TempDir dir;
  ASSERT_FALSE(dir.path().empty());
  const std::string state = dir.path() + "/state.json";
  auto anvil_started = AnvilProcess::start({.state_file = state});
  ASSERT_TRUE(anvil_started.ok()) << anvil_started.error().message();
  auto anvil = std::move(*anvil_started);
  const int port = anvil->port();
  auto rpc = connect(anvil->url());
  EthClient eth(*rpc);
  auto sent = eth.send_raw_transaction(transfer(0, 0, 10 * kGwei, kGwei, 777));
  ASSERT_TRUE(sent.ok());
  ASSERT_TRUE(wait_receipt(eth, *sent).ok());
  ASSERT_TRUE(testing::mine(*rpc, 2).ok());
  auto height = eth.block_number();
  auto balance = eth.balance(AnvilProcess::dev_address(9), BlockRef{});
  ASSERT_TRUE(height.ok() && balance.ok());
  EXPECT_EQ(*height, 3u);

  anvil->stop();
  auto down = eth.block_number();
  ASSERT_FALSE(down.ok());
  EXPECT_TRUE(down.error().transient()) << down.error().describe();

  auto started5 = AnvilProcess::start({.port = port, .state_file = state});
  ASSERT_TRUE(started5.ok()) << started5.error().message();

  anvil = std::move(*started5);
  EXPECT_EQ(anvil->port(), port);
  // The same client reconnects on its own.
  auto height2 = eth.block_number();
  ASSERT_TRUE(height2.ok()) << height2.error().describe();
  EXPECT_EQ(*height2, *height);
  auto balance2 = eth.balance(AnvilProcess::dev_address(9), BlockRef{});
  ASSERT_TRUE(balance2.ok());
  EXPECT_EQ(*balance2, *balance);
  auto nonce = eth.transaction_count(AnvilProcess::dev_address(0), BlockRef{});
  ASSERT_TRUE(nonce.ok());
  EXPECT_EQ(*nonce, 1u);
}

TEST(AnvilRestartTest, KillLosesUnsavedStateButRestartStillWorks) {
  testing::TempDir dir;
  const std::string state = dir.path() + "/state.json";
  auto anvil_started = AnvilProcess::start({.state_file = state});
  ASSERT_TRUE(anvil_started.ok()) << anvil_started.error().message();
  auto anvil = std::move(*anvil_started);
  const int port = anvil->port();
  auto rpc = connect(anvil->url());
  ASSERT_TRUE(testing::mine(*rpc, 4).ok());
  anvil->kill();
  auto started7 = AnvilProcess::start({.port = port, .state_file = state});
  ASSERT_TRUE(started7.ok()) << started7.error().message();
  anvil = std::move(*started7);
  EthClient eth(*rpc);
  auto height = eth.block_number();
  ASSERT_TRUE(height.ok()) << height.error().describe();
  EXPECT_EQ(*height, 0u);  // a crash dumps nothing
}

}  // namespace
}  // namespace gw::ledger
