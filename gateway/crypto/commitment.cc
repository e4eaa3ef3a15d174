#include "gateway/crypto/commitment.h"

#include <openssl/evp.h>
#include <sodium.h>

#include <cstdlib>
#include <memory>

#include "gateway/crypto/fast_random.h"
#include "gateway/crypto/secret.h"

namespace gw::crypto {

Commitment commit(std::string_view canonical_json) {
  // randombytes_buf is documented to need sodium_init() first; a failed init
  // is caught at start-up (init_sodium() there), not per record.
  (void)init_sodium();
  Commitment c;
  fast_random(c.salt.data(), c.salt.size());
  c.digest = commitment_digest(c.salt, canonical_json);
  return c;
}

std::array<uint8_t, 32> commitment_digest(std::span<const uint8_t, 32> salt,
                                          std::string_view canonical_json) {
  // OpenSSL's SHA-256 uses the CPU's SHA extensions where present (about 5x
  // libsodium's portable C here). The algorithm is fetched once; the context
  // is reused per thread.
  static EVP_MD* const kSha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  thread_local std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx(EVP_MD_CTX_new(),
                                                                      EVP_MD_CTX_free);
  std::array<uint8_t, 32> out{};
  unsigned int len = 0;
  if (kSha256 == nullptr || ctx == nullptr || EVP_DigestInit_ex(ctx.get(), kSha256, nullptr) != 1 ||
      EVP_DigestUpdate(ctx.get(), salt.data(), salt.size()) != 1 ||
      EVP_DigestUpdate(ctx.get(), canonical_json.data(), canonical_json.size()) != 1 ||
      EVP_DigestFinal_ex(ctx.get(), out.data(), &len) != 1 || len != out.size()) {
    std::abort();  // an OpenSSL failure, never input-dependent
  }
  return out;
}

}  // namespace gw::crypto
