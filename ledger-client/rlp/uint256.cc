#include "ledger-client/rlp/uint256.h"

#include <algorithm>

namespace gw::ledger {
namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// be = be * mul + add; false if the result does not fit in 256 bits.
bool mul_add_small(std::array<uint8_t, 32>& be, unsigned mul, unsigned add) {
  unsigned carry = add;
  for (int i = 31; i >= 0; --i) {
    unsigned v = be[i] * mul + carry;
    be[i] = static_cast<uint8_t>(v & 0xff);
    carry = v >> 8;
  }
  return carry == 0;
}

}  // namespace

Uint256 Uint256::from_u64(uint64_t v) {
  Uint256 out;
  for (int i = 0; i < 8; ++i) out.be_[31 - i] = static_cast<uint8_t>(v >> (8 * i));
  return out;
}

Uint256 Uint256::from_i64(int64_t v) {
  Uint256 out = from_u64(static_cast<uint64_t>(v));
  if (v < 0) std::fill(out.be_.begin(), out.be_.begin() + 24, 0xff);
  return out;
}

std::optional<Uint256> Uint256::from_be_bytes(std::span<const uint8_t> bytes) {
  if (bytes.size() > 32) return std::nullopt;
  Uint256 out;
  std::copy(bytes.begin(), bytes.end(), out.be_.end() - bytes.size());
  return out;
}

std::optional<Uint256> Uint256::from_hex(std::string_view hex) {
  if (hex.size() >= 2 && hex[0] == '0' && (hex[1] == 'x' || hex[1] == 'X')) hex.remove_prefix(2);
  if (hex.empty()) return std::nullopt;
  Uint256 out;
  for (char c : hex) {
    int d = hex_digit(c);
    if (d < 0 || !mul_add_small(out.be_, 16, static_cast<unsigned>(d))) return std::nullopt;
  }
  return out;
}

std::optional<Uint256> Uint256::from_decimal(std::string_view decimal) {
  if (decimal.empty()) return std::nullopt;
  Uint256 out;
  for (char c : decimal) {
    if (c < '0' || c > '9') return std::nullopt;
    if (!mul_add_small(out.be_, 10, static_cast<unsigned>(c - '0'))) return std::nullopt;
  }
  return out;
}

Uint256 Uint256::max() {
  std::array<uint8_t, 32> all;
  all.fill(0xff);
  return Uint256(all);
}

std::span<const uint8_t> Uint256::minimal_bytes() const {
  size_t first = 0;
  while (first < 32 && be_[first] == 0) ++first;
  return std::span<const uint8_t>(be_).subspan(first);
}

std::string Uint256::to_hex() const {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out = "0x";
  bool started = false;
  for (uint8_t b : be_) {
    for (int shift : {4, 0}) {
      unsigned nibble = (b >> shift) & 0x0f;
      if (nibble != 0) started = true;
      if (started) out.push_back(kDigits[nibble]);
    }
  }
  if (!started) out.push_back('0');
  return out;
}

std::string Uint256::to_decimal() const {
  std::array<uint8_t, 32> n = be_;
  std::string digits;
  bool nonzero = true;
  while (nonzero) {
    // Long division of n by 10, most significant byte first.
    unsigned rem = 0;
    nonzero = false;
    for (uint8_t& b : n) {
      unsigned cur = (rem << 8) | b;
      b = static_cast<uint8_t>(cur / 10);
      rem = cur % 10;
      if (b != 0) nonzero = true;
    }
    digits.push_back(static_cast<char>('0' + rem));
  }
  std::reverse(digits.begin(), digits.end());
  return digits;
}

std::optional<uint64_t> Uint256::to_u64() const {
  for (int i = 0; i < 24; ++i)
    if (be_[i] != 0) return std::nullopt;
  uint64_t v = 0;
  for (int i = 24; i < 32; ++i) v = (v << 8) | be_[i];
  return v;
}

bool Uint256::is_zero() const {
  return std::all_of(be_.begin(), be_.end(), [](uint8_t b) { return b == 0; });
}

unsigned Uint256::bit_length() const {
  for (unsigned i = 0; i < 32; ++i) {
    if (be_[i] == 0) continue;
    unsigned bits = 0;
    for (uint8_t b = be_[i]; b != 0; b >>= 1) ++bits;
    return (31 - i) * 8 + bits;
  }
  return 0;
}

std::optional<Uint256> checked_add(const Uint256& a, const Uint256& b) {
  std::array<uint8_t, 32> out{};
  unsigned carry = 0;
  for (int i = 31; i >= 0; --i) {
    unsigned v = a.bytes()[i] + b.bytes()[i] + carry;
    out[i] = static_cast<uint8_t>(v & 0xff);
    carry = v >> 8;
  }
  if (carry != 0) return std::nullopt;
  return Uint256(out);
}

std::optional<Uint256> checked_sub(const Uint256& a, const Uint256& b) {
  if (b > a) return std::nullopt;
  std::array<uint8_t, 32> out{};
  int borrow = 0;
  for (int i = 31; i >= 0; --i) {
    int v = static_cast<int>(a.bytes()[i]) - b.bytes()[i] - borrow;
    borrow = v < 0 ? 1 : 0;
    out[i] = static_cast<uint8_t>(v + 256 * borrow);
  }
  return Uint256(out);
}

}  // namespace gw::ledger
