// Recursive Length Prefix (Ethereum Yellow Paper, appendix B): the encoding of
// transactions for signing and sending. The encoder writes canonical RLP
// only; the decoder reads untrusted bytes and accepts canonical RLP only (the
// same item has exactly one encoding, so a decoded transaction re-encodes to
// the bytes that were signed), within depth and item limits.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "gateway/base/status.h"
#include "ledger-client/rlp/uint256.h"

namespace gw::ledger {

// An RLP item: a byte string or a list of items.
class RlpItem {
 public:
  // The empty byte string (which is also how RLP writes the integer 0).
  RlpItem() = default;

  static RlpItem bytes(std::span<const uint8_t> b);
  static RlpItem bytes(std::vector<uint8_t>&& b);
  static RlpItem text(std::string_view s);
  // An integer: big-endian without leading zeros (0 is the empty string).
  static RlpItem uint(const Uint256& v);
  static RlpItem uint(uint64_t v);
  static RlpItem list(std::vector<RlpItem> items = {});

  bool is_list() const { return list_; }
  // The payload of a byte string (empty for a list).
  const std::vector<uint8_t>& bytes() const { return bytes_; }
  // The items of a list (empty for a byte string); mutable to build lists.
  const std::vector<RlpItem>& items() const { return items_; }
  std::vector<RlpItem>& items() { return items_; }

  // This byte string as an integer: at most 32 bytes and, because the
  // decoder must reject every other spelling of the same number, no leading
  // zero byte. `what` names the field in the error ("nonce").
  Result<Uint256> as_uint256(std::string_view what) const;
  // As as_uint256, limited to 64 bits (nonces, gas limits, chain ids).
  Result<uint64_t> as_u64(std::string_view what) const;

  friend bool operator==(const RlpItem& a, const RlpItem& b);

 private:
  bool list_ = false;
  std::vector<uint8_t> bytes_;
  std::vector<RlpItem> items_;
};

// Appends the canonical encoding of `item` to `out`.
void rlp_append(const RlpItem& item, std::vector<uint8_t>& out);
// The canonical encoding of `item`.
std::vector<uint8_t> rlp_encode(const RlpItem& item);

// Bounds for decoding untrusted input. Transactions need depth 3 and a few
// dozen items; the defaults leave ample room while bounding stack and memory.
struct RlpLimits {
  size_t max_depth = 32;       // lists nested deeper are refused
  size_t max_items = 1 << 18;  // total items (strings and lists) in the input
};

// Decodes exactly one item that must span all of `data`. Refuses, with a
// message naming the byte offset: truncated input, trailing bytes,
// non-canonical forms (a single byte below 0x80 wrapped as a string, a long
// form for a payload under 56 bytes, a length with leading zero bytes), list
// payloads that the items do not fill exactly, and inputs over the limits.
Result<RlpItem> rlp_decode(std::span<const uint8_t> data, const RlpLimits& limits = {});

}  // namespace gw::ledger
