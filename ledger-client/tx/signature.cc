#include "ledger-client/tx/signature.h"

#include <secp256k1.h>
#include <secp256k1_recovery.h>
#include <sodium.h>

#include <cstring>

#include "ledger-client/rlp/uint256.h"

namespace gw::ledger {
namespace {

// The group order n and n/2 (EIP-2: valid s values are 1..n/2).
const Uint256& group_order() {
  static const Uint256 n =
      *Uint256::from_hex("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141");
  return n;
}
const Uint256& half_order() {
  static const Uint256 h =
      *Uint256::from_hex("7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0");
  return h;
}

// One context for the process, randomized once at creation (blinding against
// side channels while signing); afterwards it is only read, so it is safe to
// share between threads.
const secp256k1_context* context() {
  static secp256k1_context* const ctx = [] {
    secp256k1_context* c = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    if (c == nullptr) return c;
    unsigned char seed[32];
    if (sodium_init() >= 0) {
      randombytes_buf(seed, sizeof seed);
      if (secp256k1_context_randomize(c, seed) != 1) {
        secp256k1_context_destroy(c);
        c = nullptr;
      }
    }
    sodium_memzero(seed, sizeof seed);
    return c;
  }();
  return ctx;
}

}  // namespace

Result<Signature> sign_hash(const Hash256& digest, std::span<const uint8_t, 32> private_key) {
  const secp256k1_context* ctx = context();
  if (ctx == nullptr) return internal_error("secp256k1: cannot create a signing context");
  secp256k1_ecdsa_recoverable_signature rsig;
  if (secp256k1_ecdsa_sign_recoverable(ctx, &rsig, digest.data(), private_key.data(), nullptr,
                                       nullptr) != 1)
    return invalid_argument_error(
        "secp256k1: signing failed: the private key is not valid (0 or >= n)");
  uint8_t compact[64];
  int recid = 0;
  secp256k1_ecdsa_recoverable_signature_serialize_compact(ctx, compact, &recid, &rsig);
  Signature sig;
  std::memcpy(sig.r.data(), compact, 32);
  std::memcpy(sig.s.data(), compact + 32, 32);
  sig.y_parity = static_cast<uint8_t>(recid);
  // libsecp256k1 always returns low s; a recovery id of 2 or 3 (r >= n) has
  // probability ~2^-127 and no Ethereum encoding.
  if (recid > 1 || Uint256(sig.s) > half_order())
    return unavailable_error("secp256k1: produced a signature Ethereum cannot encode; retry");
  return sig;
}

Result<Address> recover_address(const Hash256& digest, const Signature& sig) {
  const secp256k1_context* ctx = context();
  if (ctx == nullptr) return internal_error("secp256k1: cannot create a context");
  const Uint256 r(sig.r), s(sig.s);
  if (r.is_zero() || r >= group_order())
    return invalid_argument_error("signature: r is zero or not below the curve order");
  if (s.is_zero() || s > half_order())
    return invalid_argument_error(
        "signature: s is zero or in the upper half of the curve order (EIP-2)");
  if (sig.y_parity > 1) return invalid_argument_error("signature: y parity must be 0 or 1");
  uint8_t compact[64];
  std::memcpy(compact, sig.r.data(), 32);
  std::memcpy(compact + 32, sig.s.data(), 32);
  secp256k1_ecdsa_recoverable_signature rsig;
  if (secp256k1_ecdsa_recoverable_signature_parse_compact(ctx, &rsig, compact, sig.y_parity) != 1)
    return invalid_argument_error("signature: r or s cannot be parsed");
  secp256k1_pubkey pubkey;
  if (secp256k1_ecdsa_recover(ctx, &pubkey, &rsig, digest.data()) != 1)
    return invalid_argument_error(
        "signature: no public key recovers from this signature and digest");
  uint8_t serialized[65];
  size_t len = sizeof serialized;
  secp256k1_ec_pubkey_serialize(ctx, serialized, &len, &pubkey, SECP256K1_EC_UNCOMPRESSED);
  Hash256 h = keccak256(std::span<const uint8_t>(serialized + 1, 64));
  Address a;
  std::memcpy(a.data(), h.data() + 12, 20);
  return a;
}

}  // namespace gw::ledger
