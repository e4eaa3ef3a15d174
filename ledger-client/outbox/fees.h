// Transaction fees: EIP-1559 fees from eth_feeHistory where the chain has a
// base fee, a legacy gas price where it has none, and both on zero-fee
// permissioned chains (Besu/GoQuorum with min-gas-price 0), where every fee
// comes out 0 and transactions still go through.
#pragma once

#include <cstdint>
#include <optional>

#include "ledger-client/rlp/uint256.h"
#include "ledger-client/rpc/eth_client.h"

namespace gw::ledger {

enum class TxType { kAuto, kEip1559, kLegacy };

struct FeeOptions {
  TxType type = TxType::kAuto;  // auto: EIP-1559 if the latest block has a base fee
  Uint256 min_priority_fee;     // floor for the tip (0 suits permissioned chains)
  Uint256 max_fee_cap = Uint256::from_u64(1'000'000'000'000);  // 1,000 gwei: refuse above
  uint64_t history_blocks = 5;                                 // eth_feeHistory window
};

struct Fees {
  bool legacy = false;
  Uint256 max_fee;       // legacy: the gas price
  Uint256 priority_fee;  // legacy: the gas price
};

// Fees for a transaction sent now: tip = the larger of min_priority_fee and the
// median of the window's 50th-percentile rewards; max fee = 2 x next base fee
// + tip, so it stays includable through several full blocks. A chain whose
// base fee is above max_fee_cap is an error naming both (nothing is sent).
RpcResult<Fees> estimate_fees(EthClient& eth, const FeeOptions& options);

// The fees of a replacement for a transaction stuck with `old`: at least
// `bump_percent` above each old fee (nodes require 10 %) plus one wei, and no
// lower than `current`; nullopt if that would pass max_fee_cap.
std::optional<Fees> bumped_fees(const Fees& old, const Fees& current, unsigned bump_percent,
                                const Uint256& max_fee_cap);

}  // namespace gw::ledger
