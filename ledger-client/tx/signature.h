// secp256k1 ECDSA signatures as Ethereum uses them: deterministic (RFC 6979)
// recoverable signatures over a 32-byte Keccak digest, with low s (EIP-2),
// and recovery of the signer's address. Wraps libsecp256k1's recovery module.
#pragma once

#include <cstdint>
#include <span>

#include "gateway/base/status.h"
#include "ledger-client/account/account.h"
#include "ledger-client/keccak/keccak.h"

namespace gw::ledger {

// r and s as 32 big-endian bytes, and the parity of the y coordinate of the
// nonce point R (the "recovery id", 0 or 1).
struct Signature {
  Hash256 r{};
  Hash256 s{};
  uint8_t y_parity = 0;

  friend bool operator==(const Signature&, const Signature&) = default;
};

// Signs `digest` with a 32-byte private key. The nonce is RFC 6979's, so the
// same key and digest always give the same signature (which is what lets the
// tests reproduce published vectors byte for byte); s is always in the lower
// half of the group order. Fails only for an invalid key. The key is read
// in place and never copied.
Result<Signature> sign_hash(const Hash256& digest, std::span<const uint8_t, 32> private_key);

// The address whose key produced `sig` over `digest`. Refuses signatures
// that Ethereum nodes refuse: r or s zero or not below the group order, s in
// the upper half (EIP-2 malleability), y_parity other than 0 or 1.
Result<Address> recover_address(const Hash256& digest, const Signature& sig);

}  // namespace gw::ledger
