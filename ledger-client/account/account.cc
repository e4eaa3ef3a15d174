#include "ledger-client/account/account.h"

#include <secp256k1.h>
#include <sodium.h>

#include <cstring>

#include "ledger-client/keccak/keccak.h"

namespace gw::ledger {
namespace {

// One context for the process: creation is expensive, use is thread-safe.
const secp256k1_context* context() {
  static secp256k1_context* const ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
  return ctx;
}

}  // namespace

bool is_valid_private_key(std::span<const uint8_t, 32> key) {
  return context() != nullptr && secp256k1_ec_seckey_verify(context(), key.data()) == 1;
}

bool generate_private_key(std::span<uint8_t, 32> out) {
  if (context() == nullptr || sodium_init() < 0) return false;
  // A random 256-bit value is >= n with probability ~2^-128; retry then.
  for (int attempt = 0; attempt < 64; ++attempt) {
    randombytes_buf(out.data(), out.size());
    if (is_valid_private_key(out)) return true;
  }
  sodium_memzero(out.data(), out.size());
  return false;
}

std::optional<Address> address_of(std::span<const uint8_t, 32> private_key) {
  secp256k1_pubkey pubkey;
  if (context() == nullptr ||
      secp256k1_ec_pubkey_create(context(), &pubkey, private_key.data()) != 1)
    return std::nullopt;
  uint8_t serialized[65];
  size_t len = sizeof serialized;
  secp256k1_ec_pubkey_serialize(context(), serialized, &len, &pubkey, SECP256K1_EC_UNCOMPRESSED);
  Hash256 h = keccak256(std::span<const uint8_t>(serialized + 1, 64));
  Address a;
  std::memcpy(a.data(), h.data() + 12, 20);
  return a;
}

std::string to_checksum_hex(const Address& address) {
  // EIP-55: uppercase a hex letter when the matching nibble of
  // keccak256(lowercase hex) is >= 8.
  std::string lower = to_hex(address);
  Hash256 h = keccak256(std::string_view(lower));
  std::string out = "0x";
  for (size_t i = 0; i < lower.size(); ++i) {
    char c = lower[i];
    uint8_t nibble = (i % 2 == 0) ? (h[i / 2] >> 4) : (h[i / 2] & 0x0f);
    if (c >= 'a' && c <= 'f' && nibble >= 8) c = static_cast<char>(c - 'a' + 'A');
    out.push_back(c);
  }
  return out;
}

}  // namespace gw::ledger
