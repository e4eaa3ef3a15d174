#include "gateway/crypto/commitment.h"

#include <sodium.h>

#include "gateway/crypto/secret.h"

namespace gw::crypto {

Commitment commit(std::string_view canonical_json) {
  // randombytes_buf is documented to need sodium_init() first; a failed init
  // is caught at start-up (init_sodium() there), not per record.
  (void)init_sodium();
  Commitment c;
  randombytes_buf(c.salt.data(), c.salt.size());
  c.digest = commitment_digest(c.salt, canonical_json);
  return c;
}

std::array<uint8_t, 32> commitment_digest(std::span<const uint8_t, 32> salt,
                                          std::string_view canonical_json) {
  crypto_hash_sha256_state st;
  crypto_hash_sha256_init(&st);
  crypto_hash_sha256_update(&st, salt.data(), salt.size());
  crypto_hash_sha256_update(&st, reinterpret_cast<const unsigned char*>(canonical_json.data()),
                            canonical_json.size());
  std::array<uint8_t, 32> out;
  crypto_hash_sha256_final(&st, out.data());
  // The state's buffer held the tail of the record (patient data).
  sodium_memzero(&st, sizeof st);
  return out;
}

}  // namespace gw::crypto
