#include "gateway/keys/payload_keys.h"

#include <sodium.h>

#include <algorithm>

namespace gw::keys {

Status PayloadKeyRing::add(PayloadKey key) {
  const uint32_t expected = static_cast<uint32_t>(keys_.size()) + 1;
  if (key.generation != expected) {
    return internal_error("payload key generation " + std::to_string(key.generation) +
                          " added where generation " + std::to_string(expected) + " belongs");
  }
  keys_.push_back(std::move(key));
  return ok_status();
}

const PayloadKey* PayloadKeyRing::current() const {
  return keys_.empty() ? nullptr : &keys_.back();
}

const PayloadKey* PayloadKeyRing::find(
    std::span<const uint8_t, kPayloadKeyBytes> public_key) const {
  // Newest first: payloads are mostly sealed to the current key.
  for (auto it = keys_.rbegin(); it != keys_.rend(); ++it) {
    if (std::equal(public_key.begin(), public_key.end(), it->public_key.begin())) return &*it;
  }
  return nullptr;
}

Result<PayloadKey> payload_key_from_private(
    uint32_t generation, std::span<const uint8_t, kPayloadKeyBytes> private_key) {
  static_assert(crypto_box_PUBLICKEYBYTES == kPayloadKeyBytes);
  static_assert(crypto_box_SECRETKEYBYTES == kPayloadKeyBytes);
  static_assert(crypto_scalarmult_BYTES == kPayloadKeyBytes);
  if (!crypto::init_sodium()) return internal_error("libsodium could not start");
  PayloadKey key;
  key.generation = generation;
  // crypto_box derives its public key exactly so (crypto_box_seed_keypair).
  if (crypto_scalarmult_base(key.public_key.data(), private_key.data()) != 0) {
    return data_loss_error("payload key " + std::to_string(generation) +
                           " is not a usable X25519 private key");
  }
  auto secret = crypto::SecretBytes::copy_of(private_key);
  if (!secret) return resource_exhausted_error("cannot allocate locked memory for a payload key");
  key.private_key = std::move(*secret);
  return key;
}

std::string payload_public_key_hex(const PayloadPublicKeyBytes& public_key) {
  std::string hex(2 * public_key.size() + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), public_key.data(), public_key.size());
  hex.pop_back();
  return hex;
}

}  // namespace gw::keys
