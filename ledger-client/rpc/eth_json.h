// Parsers for the results of eth_ methods: the raw JSON text of "result" (as
// JsonRpcClient returns it) to the typed values of eth_types.h. Exposed for
// EthClient and the fuzz target. Strict about what they keep: QUANTITY is
// "0x" + hex digits (leading zeros tolerated) within the target's bits, DATA
// is "0x" + an even number of hex digits, addresses are 20 bytes, hashes 32.
// Every malformed field is a kBadResponse naming it ("receipt.logs[1].topics[0]").
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "ledger-client/rpc/eth_types.h"
#include "ledger-client/rpc/rpc_result.h"

namespace gw::ledger {

RpcResult<uint64_t> parse_u64_result(std::string_view json, std::string_view field);
RpcResult<Uint256> parse_u256_result(std::string_view json, std::string_view field);
RpcResult<std::vector<uint8_t>> parse_data_result(std::string_view json, std::string_view field);
RpcResult<Hash256> parse_hash_result(std::string_view json, std::string_view field);

// null -> nullopt (not mined, unknown). A receipt without a block number (some
// nodes report pending ones) is nullopt too.
RpcResult<std::optional<Receipt>> parse_receipt(std::string_view json);
RpcResult<std::optional<TransactionInfo>> parse_transaction(std::string_view json);
RpcResult<std::optional<BlockHeader>> parse_block(std::string_view json);
// Checks the shape: n gas-used ratios, n + 1 base fees, and n reward rows when present.
RpcResult<FeeHistory> parse_fee_history(std::string_view json);
RpcResult<std::vector<Log>> parse_logs(std::string_view json);

}  // namespace gw::ledger
