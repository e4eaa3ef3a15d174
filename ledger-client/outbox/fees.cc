#include "ledger-client/outbox/fees.h"

#include <algorithm>
#include <vector>

namespace gw::ledger {
namespace {

using u128 = unsigned __int128;

// Fees are far below 2^128 wei on any real chain; larger values are refused.
std::optional<u128> to_u128(const Uint256& v) {
  if (v.bit_length() > 126) return std::nullopt;
  u128 out = 0;
  for (uint8_t b : v.bytes()) out = (out << 8) | b;
  return out;
}

Uint256 from_u128(u128 v) {
  std::array<uint8_t, 32> be{};
  for (int i = 31; i >= 16; --i) {
    be[i] = static_cast<uint8_t>(v & 0xff);
    v >>= 8;
  }
  return Uint256(be);
}

RpcFailure fee_error(std::string message) {
  RpcFailure f;
  f.kind = RpcFailure::Kind::kBadResponse;
  f.message = std::move(message);
  return f;
}

}  // namespace

RpcResult<Fees> estimate_fees(EthClient& eth, const FeeOptions& options) {
  auto cap = to_u128(options.max_fee_cap);
  auto min_tip = to_u128(options.min_priority_fee);
  if (!cap || !min_tip) return fee_error("fee options out of range");
  bool legacy = options.type == TxType::kLegacy;
  std::optional<u128> base;
  if (!legacy) {
    auto head = eth.block(BlockRef{});
    if (!head) return head.error();
    if (!head->has_value()) return fee_error("the node has no latest block");
    if ((*head)->base_fee_per_gas) {
      base = to_u128(*(*head)->base_fee_per_gas);
      if (!base) return fee_error("base fee out of range");
    } else if (options.type == TxType::kAuto) {
      legacy = true;  // a chain without London rules
    } else {
      base = 0;
    }
  }
  if (legacy) {
    auto price = eth.gas_price();
    if (!price) return price.error();
    auto p = to_u128(*price);
    if (!p) return fee_error("gas price out of range");
    u128 gp = std::max(*p, *min_tip);
    if (gp > *cap) {
      return fee_error("gas price " + from_u128(gp).to_decimal() + " wei is above the cap " +
                       options.max_fee_cap.to_decimal());
    }
    return Fees{true, from_u128(gp), from_u128(gp)};
  }
  u128 tip = *min_tip;
  const double percentile = 50;
  auto history = eth.fee_history(options.history_blocks, BlockRef{}, std::span(&percentile, 1));
  if (history) {
    // The next block's base fee is the last entry.
    if (!history->base_fee_per_gas.empty()) {
      if (auto b = to_u128(history->base_fee_per_gas.back())) base = std::max(*base, *b);
    }
    std::vector<u128> rewards;
    for (const auto& block : history->reward) {
      if (!block.empty()) {
        if (auto r = to_u128(block.front())) rewards.push_back(*r);
      }
    }
    if (!rewards.empty()) {
      std::nth_element(rewards.begin(), rewards.begin() + rewards.size() / 2, rewards.end());
      tip = std::max(tip, rewards[rewards.size() / 2]);
    }
  } else if (history.error().kind != RpcFailure::Kind::kRpcError) {
    return history.error();  // unreachable node: try again later
  }
  // A node without eth_feeHistory (kRpcError) keeps the header's base fee and the floor tip.
  u128 max_fee = *base * 2 + tip;
  if (*base > *cap) {
    return fee_error("base fee " + from_u128(*base).to_decimal() + " wei is above the cap " +
                     options.max_fee_cap.to_decimal());
  }
  max_fee = std::min(max_fee, *cap);
  tip = std::min(tip, max_fee);
  return Fees{false, from_u128(max_fee), from_u128(tip)};
}

std::optional<Fees> bumped_fees(const Fees& old, const Fees& current, unsigned bump_percent,
                                const Uint256& max_fee_cap) {
  auto o_max = to_u128(old.max_fee), o_tip = to_u128(old.priority_fee);
  auto c_max = to_u128(current.max_fee), c_tip = to_u128(current.priority_fee);
  auto cap = to_u128(max_fee_cap);
  if (!o_max || !o_tip || !c_max || !c_tip || !cap) return std::nullopt;
  auto bump = [&](u128 v) { return v + (v * bump_percent + 99) / 100 + 1; };
  u128 max_fee = std::max(bump(*o_max), *c_max);
  u128 tip = std::max(bump(*o_tip), *c_tip);
  if (max_fee > *cap) return std::nullopt;
  tip = std::min(tip, max_fee);
  return Fees{old.legacy, from_u128(max_fee), from_u128(tip)};
}

}  // namespace gw::ledger
