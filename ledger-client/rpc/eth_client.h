// Typed eth_ methods over a JsonRpcClient, for the outbox/submitter and the
// deployment tools. Every result is parsed strictly (eth_json.h): a node that
// answers with the wrong shape gets kBadResponse naming the field, never a
// default value.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "ledger-client/rpc/eth_types.h"
#include "ledger-client/rpc/json_rpc.h"
#include "ledger-client/rpc/rpc_result.h"

namespace gw::ledger {

class EthClient {
 public:
  // `rpc` must outlive this object.
  explicit EthClient(JsonRpcClient& rpc) : rpc_(rpc) {}
  JsonRpcClient& rpc() { return rpc_; }

  RpcResult<uint64_t> chain_id();
  RpcResult<uint64_t> block_number();
  // nullopt: no such block (yet).
  RpcResult<std::optional<BlockHeader>> block(BlockRef ref);
  // The account's nonce at `ref` (BlockTag::kPending counts the node's pool).
  RpcResult<uint64_t> transaction_count(const Address& account, BlockRef ref);
  RpcResult<Uint256> balance(const Address& account, BlockRef ref);
  RpcResult<Uint256> gas_price();
  // eth_maxPriorityFeePerGas; kRpcError -32601 on nodes without it.
  RpcResult<Uint256> max_priority_fee_per_gas();
  // Percentiles in [0, 100], ascending; the reply is checked to have one
  // reward per percentile for each block.
  RpcResult<FeeHistory> fee_history(uint64_t block_count, BlockRef newest,
                                    std::span<const double> percentiles);
  RpcResult<std::vector<uint8_t>> get_code(const Address& account, BlockRef ref);
  // A revert is kRpcError with data = the revert bytes (decode_revert() reads them).
  RpcResult<std::vector<uint8_t>> call(const CallRequest& request, BlockRef ref);
  RpcResult<uint64_t> estimate_gas(const CallRequest& request, BlockRef ref);
  // The hash the node reports must equal transaction_hash(raw); a node that
  // answers with another hash gets kBadResponse.
  RpcResult<Hash256> send_raw_transaction(std::span<const uint8_t> raw);
  // nullopt: not mined (yet) or unknown to the node.
  RpcResult<std::optional<Receipt>> transaction_receipt(const Hash256& tx_hash);
  RpcResult<std::optional<TransactionInfo>> transaction_by_hash(const Hash256& tx_hash);
  RpcResult<std::vector<Log>> get_logs(const LogFilter& filter);

  // Batched forms (one HTTP request each), results in input order.
  std::vector<RpcResult<Hash256>> send_raw_transactions(std::span<const std::vector<uint8_t>> raws);
  std::vector<RpcResult<std::optional<Receipt>>> transaction_receipts(
      std::span<const Hash256> hashes);
  // eth_call of each request at the same `ref`; a revert is that entry's kRpcError.
  std::vector<RpcResult<std::vector<uint8_t>>> calls(std::span<const CallRequest> requests,
                                                     BlockRef ref);

 private:
  JsonRpcClient& rpc_;
};

// Classifiers for eth_sendRawTransaction failures (kRpcError only), matching
// the messages of geth, Besu, Nethermind/OpenEthereum and anvil
// case-insensitively, ignoring spaces and underscores.
// The nonce was used already: the transaction (or another with its nonce) is mined.
bool is_nonce_too_low(const RpcFailure& f);
// This exact transaction is in the node's pool already.
bool is_already_known(const RpcFailure& f);
// The fees are too low: to replace a pooled transaction, or below the base fee
// or the node's minimum.
bool is_underpriced(const RpcFailure& f);

}  // namespace gw::ledger
