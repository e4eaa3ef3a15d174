// The values of Ethereum's eth_ JSON-RPC methods, as the gateway uses them.
// Only the fields the outbox, submitter and tests read; the parsers in
// eth_json.h check every field kept here and ignore the rest.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "ledger-client/account/account.h"
#include "ledger-client/keccak/keccak.h"
#include "ledger-client/rlp/uint256.h"

namespace gw::ledger {

enum class BlockTag { kLatest, kPending, kSafe, kFinalized, kEarliest };

// A block by number, or else by tag.
struct BlockRef {
  std::optional<uint64_t> number;  // wins over tag when set
  BlockTag tag = BlockTag::kLatest;

  static BlockRef at(uint64_t n) { return BlockRef{n, BlockTag::kLatest}; }
  static BlockRef of(BlockTag t) { return BlockRef{std::nullopt, t}; }
};

struct Log {
  Address address{};
  std::vector<Hash256> topics;  // at most 4
  std::vector<uint8_t> data;
  uint64_t block_number = 0;
  Hash256 block_hash{};
  Hash256 transaction_hash{};
  uint64_t transaction_index = 0;
  uint64_t log_index = 0;
  bool removed = false;  // true: dropped by a reorganisation
};

struct Receipt {
  Hash256 transaction_hash{};
  uint64_t block_number = 0;
  Hash256 block_hash{};
  bool success = false;  // status 0x1
  uint64_t gas_used = 0;
  uint64_t cumulative_gas_used = 0;
  Uint256 effective_gas_price;  // 0 if the node does not report it
  std::optional<Address> contract_address;
  Address from{};
  std::optional<Address> to;
  std::vector<Log> logs;
};

struct TransactionInfo {
  Hash256 hash{};
  uint64_t nonce = 0;
  Address from{};
  std::optional<uint64_t> block_number;  // nullopt: pending
};

struct BlockHeader {
  uint64_t number = 0;
  Hash256 hash{};  // zero for a pending block (nodes report null)
  Hash256 parent_hash{};
  uint64_t timestamp = 0;
  uint64_t gas_limit = 0;
  uint64_t gas_used = 0;
  std::optional<Uint256> base_fee_per_gas;  // nullopt before London / on some chains
};

struct FeeHistory {
  uint64_t oldest_block = 0;
  std::vector<Uint256> base_fee_per_gas;     // one more entry than blocks: the next block's
  std::vector<double> gas_used_ratio;        // one per block
  std::vector<std::vector<Uint256>> reward;  // per block, one per requested percentile
};

// eth_call / eth_estimateGas arguments.
struct CallRequest {
  std::optional<Address> from{};
  std::optional<Address> to{};  // nullopt: contract creation (estimate_gas)
  std::vector<uint8_t> data{};
  Uint256 value{};
  std::optional<uint64_t> gas{};
};

struct LogFilter {
  std::vector<Address> addresses{};  // empty: any
  // Position i: nullopt matches anything, else any of the listed topics.
  std::vector<std::optional<std::vector<Hash256>>> topics{};
  BlockRef from_block{};
  BlockRef to_block{};
  std::optional<Hash256> block_hash{};  // when set, from_block/to_block are not sent
};

}  // namespace gw::ledger
