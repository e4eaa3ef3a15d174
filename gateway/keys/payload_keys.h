// The gateway's X25519 payload keys: what transfers between member gateways
// are sealed with (libsodium crypto_box, X25519 + XSalsa20-Poly1305). The
// public half of the current generation is this member's encryption_key in the
// ProviderRegistry; a payload names the recipient key it was sealed to.
//
// Keys rotate by generation (1, 2, ...). Every generation stays loaded: a
// transfer recorded on the ledger to an older key must still open after a
// rotation, and peers keep sealing to the old key until the rekey proposal
// executes.
//
// Sending: crypto_box also authenticates the sender by its key, and a
// recipient knows only the key the registry lists for this member. Between a
// rotation and the rekey's execution that is an older generation, so seal
// outgoing payloads with find(<this member's registry encryption_key>), not
// with current(); a registry key that find() does not know means this
// gateway cannot send (or receive) until the registry and the key store
// agree again.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "gateway/base/status.h"
#include "gateway/crypto/secret.h"

namespace gw::keys {

inline constexpr size_t kPayloadKeyBytes = 32;  // crypto_box_{PUBLIC,SECRET}KEYBYTES
using PayloadPublicKeyBytes = std::array<uint8_t, kPayloadKeyBytes>;

// One generation's public half (safe to print, log and publish).
struct PayloadPublicKey {
  uint32_t generation = 0;
  PayloadPublicKeyBytes public_key{};
};

// One generation, private half in locked read-only memory.
struct PayloadKey {
  uint32_t generation = 0;
  crypto::SecretBytes private_key;  // X25519 scalar, 32 bytes (crypto_box secret key)
  PayloadPublicKeyBytes
      public_key{};  // crypto_scalarmult_base(private_key), never read from a file
};

// Every generation of the payload key, oldest first; the newest is current.
class PayloadKeyRing {
 public:
  // Appends a generation. Generations must be added in order 1, 2, 3, ...:
  // anything else is an error (a gap would mean a generation was skipped).
  Status add(PayloadKey key);

  bool empty() const { return keys_.empty(); }
  size_t size() const { return keys_.size(); }
  // The newest generation (what this member's registry entry should hold);
  // nullptr when the ring is empty.
  const PayloadKey* current() const;
  // The generation whose public key is `public_key` (the recipient key a
  // payload names), or nullptr: the payload was sealed to another member's
  // key, or to a key this gateway never had.
  const PayloadKey* find(std::span<const uint8_t, kPayloadKeyBytes> public_key) const;
  const std::vector<PayloadKey>& generations() const { return keys_; }

 private:
  std::vector<PayloadKey> keys_;
};

// A generation from its private half: copies `private_key` into locked
// memory and derives the public key. An error if the scalar gives the
// all-zero point or locked memory cannot be had.
Result<PayloadKey> payload_key_from_private(uint32_t generation,
                                            std::span<const uint8_t, kPayloadKeyBytes> private_key);

// Lower-case hex of a public key, as member-entry and provision print it.
std::string payload_public_key_hex(const PayloadPublicKeyBytes& public_key);

}  // namespace gw::keys
