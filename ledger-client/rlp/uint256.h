// A 256-bit unsigned integer held as 32 big-endian bytes: the EVM word, used
// for wei values, gas prices, ABI uint/int words and signature scalars. Just
// enough arithmetic for those uses; not a general bignum.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace gw::ledger {

class Uint256 {
 public:
  // Zero.
  constexpr Uint256() = default;
  // From 32 big-endian bytes (any value).
  explicit constexpr Uint256(const std::array<uint8_t, 32>& be) : be_(be) {}

  static Uint256 from_u64(uint64_t v);
  // Two's complement of `v` in 256 bits (the ABI's int256 word for a negative value).
  static Uint256 from_i64(int64_t v);
  // Up to 32 big-endian bytes, leading zeros allowed; nullopt if longer.
  static std::optional<Uint256> from_be_bytes(std::span<const uint8_t> bytes);
  // Hex digits with an optional "0x" prefix, either case, leading zeros
  // allowed ("0x0", "0x01bc"); nullopt if empty, not hex, or above 2^256-1.
  static std::optional<Uint256> from_hex(std::string_view hex);
  // Decimal digits only (no sign, no separators); nullopt if empty, not a
  // number, or above 2^256-1.
  static std::optional<Uint256> from_decimal(std::string_view decimal);
  // 2^256 - 1.
  static Uint256 max();

  // The 32 big-endian bytes.
  const std::array<uint8_t, 32>& bytes() const { return be_; }
  // The bytes without leading zeros (empty for zero): RLP's integer form.
  std::span<const uint8_t> minimal_bytes() const;
  // "0x" + lowercase hex without leading zeros, "0x0" for zero: the JSON-RPC
  // QUANTITY form.
  std::string to_hex() const;
  // Decimal digits, "0" for zero.
  std::string to_decimal() const;
  // The value if it fits in 64 bits.
  std::optional<uint64_t> to_u64() const;
  bool is_zero() const;
  // Number of significant bits (0 for zero, 256 for max()).
  unsigned bit_length() const;

  // Big-endian byte order makes lexicographic comparison numeric comparison.
  friend auto operator<=>(const Uint256&, const Uint256&) = default;

 private:
  std::array<uint8_t, 32> be_{};
};

// a + b, or nullopt on overflow past 2^256-1.
std::optional<Uint256> checked_add(const Uint256& a, const Uint256& b);
// a - b, or nullopt if b > a.
std::optional<Uint256> checked_sub(const Uint256& a, const Uint256& b);

}  // namespace gw::ledger
