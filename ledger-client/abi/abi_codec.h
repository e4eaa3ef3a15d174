// Solidity ABI encoding and decoding (Contract ABI Specification, "Formal
// Specification of the Encoding"): call data, return data and event data.
// The decoder reads untrusted bytes (eth_call results, logs, revert data):
// every offset and length is checked against the data, arrays cannot claim
// more elements than the data could hold, and a budget on decoded values
// stops "ABI bombs" (many offsets pointing at the same large array).
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "gateway/base/status.h"
#include "ledger-client/abi/abi_type.h"
#include "ledger-client/abi/abi_value.h"

namespace gw::ledger {

using Selector = std::array<uint8_t, 4>;

// Encodes `values` as the tuple of `types` (what follows the selector in call
// data, and what return values and event data are). Refuses a value whose
// shape does not match its type, a uint<M> or int<M> out of range, bytes<N>
// of another length, and types outside check_abi_type's limits.
Result<std::vector<uint8_t>> abi_encode(std::span<const AbiType> types,
                                        std::span<const AbiValue> values);

struct AbiDecodeOptions {
  // Also require the exact bytes Solidity's encoder produces (the spec's
  // "strict encoding mode"): minimal offsets, zero padding after bytes and
  // strings, no trailing bytes. Off by default, like Solidity's own decoder.
  bool strict = false;
  // Most values (each element, member and scalar, plus one per 32 bytes of
  // bytes/string content) one call may produce. 0 means 4096 + 8 per 32-byte
  // word of input, far above what any honest encoding needs.
  size_t max_values = 0;
};

// Decodes `data` as the tuple of `types`. Always refuses, naming the byte
// offset: offsets or lengths pointing past the data, arrays longer than the
// data can hold, integers with bits set above their width, addresses and
// bools with dirty high bytes, bytes<N> with non-zero padding, and inputs
// that would exceed max_values.
Result<std::vector<AbiValue>> abi_decode(std::span<const AbiType> types,
                                         std::span<const uint8_t> data,
                                         const AbiDecodeOptions& options = {});

// The first 4 bytes of keccak256(signature). Pass the canonical form
// ("transfer(address,uint256)": no names, no spaces, "uint256" not "uint");
// AbiSignature::canonical() produces it.
Selector function_selector(std::string_view canonical_signature);

// Selector + encoded arguments: the data field of a contract call.
Result<std::vector<uint8_t>> encode_call(const AbiSignature& function,
                                         std::span<const AbiValue> args);
// As above, parsing `signature` first ("transfer(address to, uint256 amount)").
Result<std::vector<uint8_t>> encode_call(std::string_view signature,
                                         std::span<const AbiValue> args);

}  // namespace gw::ledger
