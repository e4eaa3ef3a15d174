// Shared by the key stores (not part of gateway/keys' public interface).
#pragma once

#include <openssl/evp.h>

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "gateway/keys/key_store.h"

namespace gw::keys {

std::unique_ptr<KeyStore> make_software_key_store(const KeyStoreOptions& options);

// `s` with `hint` (how to recover, e.g. " (run gatewayctl tpm provision ...)")
// appended to its message; same code.
inline Status with_hint(const Status& s, std::string_view hint) {
  return Status(s.code(), s.message() + std::string(hint));
}
Result<std::unique_ptr<KeyStore>> make_tpm_key_store(const KeyStoreOptions& options);

// The message the consortium root key is HMAC'd over to derive K_tok:
// "tokenize|v1|" + consortium_id. The TPM store computes the same HMAC inside
// the TPM, so both stores derive the same K_tok from the same consortium key.
std::string tokenization_label(const std::string& consortium_id);

// K_tok in software (software store only).
Result<crypto::SecretBytes> derive_tokenization_key_software(
    std::span<const uint8_t, 32> consortium_key, const std::string& consortium_id);

// ECDSA P-256 over a 32-byte digest with an OpenSSL key (software store).
Result<BatchSignature> sign_digest_p256(EVP_PKEY* key, std::span<const uint8_t, 32> digest);
Result<std::string> public_pem(EVP_PKEY* key);

}  // namespace gw::keys
