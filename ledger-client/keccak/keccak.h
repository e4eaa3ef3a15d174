// Keccak-256 as Ethereum uses it (the original Keccak submission's padding,
// not FIPS 202 SHA3-256), plus hex helpers. Our own implementation because
// Debian 12's OpenSSL 3.0 has no Keccak-256; OpenSSL's SHA3-256 runs the same
// sponge with a different padding byte, which the tests use as a cross-check.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace gw::ledger {

// A 32-byte digest (Keccak-256 output, Merkle node, bytes32 value).
using Hash256 = std::array<uint8_t, 32>;

// Keccak-256 of `data` in one call.
Hash256 keccak256(std::span<const uint8_t> data);
// Keccak-256 of the bytes of `data` (no terminator, no encoding change).
Hash256 keccak256(std::string_view data);

namespace internal {

// The Keccak[c=512] sponge with a 32-byte output and a chosen domain padding
// byte: 0x01 is Keccak-256 (Ethereum), 0x06 is SHA3-256 (FIPS 202). Exposed
// only so that tests can check the permutation and rate handling against
// OpenSSL's SHA3-256; production code uses Keccak256.
class Sponge256 {
 public:
  static constexpr size_t kRate = 136;  // bytes absorbed per permutation
  static constexpr uint8_t kKeccakPad = 0x01;
  static constexpr uint8_t kSha3Pad = 0x06;

  explicit Sponge256(uint8_t pad) : pad_(pad) {}
  // Absorbs `data`; any split of the input into update() calls gives the same digest.
  void update(std::span<const uint8_t> data);
  // Pads, squeezes the digest and resets to the empty state for reuse.
  Hash256 finish();

 private:
  std::array<uint64_t, 25> state_{};
  size_t pos_ = 0;  // bytes absorbed into the current block, < kRate
  uint8_t pad_;
};

}  // namespace internal

// Incremental Keccak-256, for hashing input that arrives in pieces
// (e.g. an ABI encoding written field by field) without concatenating it.
class Keccak256 {
 public:
  // Absorbs more input.
  void update(std::span<const uint8_t> data) { sponge_.update(data); }
  void update(std::string_view data);
  // Returns the digest of everything absorbed since construction or the last
  // finish(), and resets, so one object can hash many messages.
  Hash256 finish() { return sponge_.finish(); }

 private:
  internal::Sponge256 sponge_{internal::Sponge256::kKeccakPad};
};

// Lowercase hex without a "0x" prefix (the form used in our logs and tests).
std::string to_hex(std::span<const uint8_t> bytes);
// "0x" + to_hex(bytes): the form the chain and our operator output use.
std::string to_hex_0x(std::span<const uint8_t> bytes);

// Decodes hex with an optional "0x"/"0X" prefix, either case. nullopt for an
// odd number of digits or a non-hex character (never throws).
std::optional<std::vector<uint8_t>> from_hex(std::string_view hex);

}  // namespace gw::ledger
