// The typed result parsers: strict QUANTITY/DATA/address/hash forms, null as
// "not there", and failures that name the malformed field.
#include "ledger-client/rpc/eth_json.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

namespace gw::ledger {
namespace {

std::string corpus(const std::string& name) {
  // Appended step by step: g++ 12 -O2 warns falsely (-Warray-bounds) on `string(...) + "..." + x`.
  std::string path = GW_RPC_SOURCE_DIR;
  path += "/eth_response_fuzz_corpus/";
  path += name;
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The corpus receipt with `from` replaced by `to`.
std::string receipt_with(const std::string& from, const std::string& to) {
  std::string r = corpus("receipt.json");
  auto at = r.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return at == std::string::npos ? r : r.replace(at, from.size(), to);
}

TEST(EthJsonTest, Quantities) {
  EXPECT_EQ(*parse_u64_result("\"0x0\"", "r"), 0u);
  EXPECT_EQ(*parse_u64_result("\"0x7a69\"", "r"), 31337u);
  EXPECT_EQ(*parse_u64_result("\"0x007A69\"", "r"), 31337u);  // leading zeros tolerated
  EXPECT_EQ(*parse_u64_result("\"0xffffffffffffffff\"", "r"), UINT64_MAX);
  for (const char* bad : {"\"0x\"", "\"7a69\"", "\"0x0x1\"", "\"0x1g\"", "\"0x-1\"", "\"0x 1\"",
                          "31337", "null", "\"0x10000000000000000\"", "[\"0x1\"]", "\"\""}) {
    auto r = parse_u64_result(bad, "result");
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().kind, RpcFailure::Kind::kBadResponse);
  }
  EXPECT_EQ(*parse_u256_result("\"0x" + std::string(64, 'f') + "\"", "r"), Uint256::max());
  EXPECT_FALSE(parse_u256_result("\"0x1" + std::string(64, '0') + "\"", "r").ok());
}

TEST(EthJsonTest, DataAndHashes) {
  EXPECT_EQ(*parse_data_result("\"0x\"", "r"), std::vector<uint8_t>{});
  EXPECT_EQ(*parse_data_result("\"0xCAfe\"", "r"), (std::vector<uint8_t>{0xca, 0xfe}));
  EXPECT_FALSE(parse_data_result("\"0xabc\"", "r").ok());
  EXPECT_FALSE(parse_data_result("\"cafe\"", "r").ok());
  EXPECT_TRUE(parse_hash_result("\"0x" + std::string(64, 'a') + "\"", "r").ok());
  EXPECT_FALSE(parse_hash_result("\"0x" + std::string(62, 'a') + "\"", "r").ok());
  EXPECT_FALSE(parse_hash_result("\"0x" + std::string(66, 'a') + "\"", "r").ok());
}

TEST(EthJsonTest, ReceiptFromCorpus) {
  auto r = parse_receipt(corpus("receipt.json"));
  ASSERT_TRUE(r.ok()) << r.error().describe();
  ASSERT_TRUE(r->has_value());
  const Receipt& x = **r;
  EXPECT_TRUE(x.success);
  EXPECT_EQ(x.block_number, 1u);
  EXPECT_EQ(x.gas_used, 21000u);
  EXPECT_EQ(x.effective_gas_price, Uint256::from_u64(1000000001));
  EXPECT_FALSE(x.contract_address.has_value());
  ASSERT_TRUE(x.to.has_value());
  ASSERT_EQ(x.logs.size(), 1u);
  EXPECT_EQ(x.logs[0].data, (std::vector<uint8_t>{0xca, 0xfe}));
  EXPECT_FALSE(parse_receipt("null")->has_value());
  // Some nodes return pending receipts without a block.
  EXPECT_FALSE(parse_receipt(receipt_with("\"blockNumber\":\"0x1\",\"from\"",
                                          "\"blockNumber\":null,\"from\""))
                   ->has_value());
}

TEST(EthJsonTest, MalformedReceiptFieldsAreNamed) {
  struct Case {
    std::string from, to, field;
  };
  const Case cases[] = {
      {"\"status\":\"0x1\"", "\"status\":\"0x2\"", "receipt.status"},
      {"\"status\":\"0x1\",", "", "receipt.status: missing"},
      {"\"gasUsed\":\"0x5208\"", "\"gasUsed\":21000", "receipt.gasUsed"},
      {"\"to\":\"0x70997970c51812dc3a010c7d01b50e0d17dc79c8\"", "\"to\":\"0x7099\"", "receipt.to"},
      {"\"data\":\"0xcafe\"", "\"data\":\"0xcaf\"", "receipt.logs[0].data"},
      {"\"removed\":false", "\"removed\":\"no\"", "receipt.logs[0].removed"},
      {"\"topics\":[", "\"topics\":[1,", "receipt.logs[0].topics[0]"},
      {"\"logs\":[", "\"logs\":7,\"x\":[", "receipt.logs"},
  };
  for (const Case& c : cases) {
    auto r = parse_receipt(receipt_with(c.from, c.to));
    ASSERT_FALSE(r.ok()) << c.field;
    EXPECT_EQ(r.error().kind, RpcFailure::Kind::kBadResponse);
    EXPECT_EQ(r.error().message.rfind(c.field, 0), 0u) << r.error().message;
  }
  auto bad_topic = parse_receipt(corpus("receipt_bad_topic.json"));
  ASSERT_FALSE(bad_topic.ok());
  EXPECT_EQ(bad_topic.error().message, "receipt.logs[0].topics[0]: not a 32-byte hex hash");
}

TEST(EthJsonTest, BlockTransactionFeeHistoryLogs) {
  auto b = parse_block(corpus("block.json"));
  ASSERT_TRUE(b.ok() && b->has_value());
  EXPECT_EQ((*b)->gas_limit, 30000000u);
  EXPECT_EQ((*b)->base_fee_per_gas, Uint256::from_u64(1000000000));
  auto t = parse_transaction(corpus("transaction.json"));
  ASSERT_TRUE(t.ok() && t->has_value());
  EXPECT_EQ((*t)->nonce, 255u);
  EXPECT_FALSE((*t)->block_number.has_value());
  auto h = parse_fee_history(corpus("fee_history.json"));
  ASSERT_TRUE(h.ok()) << h.error().describe();
  EXPECT_EQ(h->oldest_block, 1u);
  EXPECT_EQ(h->base_fee_per_gas.size(), 3u);
  EXPECT_EQ(h->reward[1][1], Uint256::from_u64(2000000000));
  EXPECT_FALSE(parse_fee_history(
                   "{\"baseFeePerGas\":[\"0x1\"],\"gasUsedRatio\":[0.5],\"oldestBlock\":\"0x1\"}")
                   .ok());
  EXPECT_FALSE(parse_fee_history("{\"baseFeePerGas\":[\"0x1\",\"0x1\"],\"gasUsedRatio\":[1.5],"
                                 "\"oldestBlock\":\"0x1\"}")
                   .ok());
  auto logs = parse_logs(corpus("logs.json"));
  ASSERT_TRUE(logs.ok()) << logs.error().describe();
  ASSERT_EQ(logs->size(), 1u);
  EXPECT_TRUE((*logs)[0].removed);
  EXPECT_EQ((*logs)[0].log_index, 7u);
  EXPECT_FALSE(parse_logs("[{\"topics\":[]}]").ok());
  EXPECT_FALSE(parse_logs(corpus("deep.json")).ok());
}

}  // namespace
}  // namespace gw::ledger
