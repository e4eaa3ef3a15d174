// Shared by the key stores (not part of gateway/keys' public interface).
#pragma once

#include <openssl/evp.h>

#include <memory>
#include <optional>
#include <span>
#include <string>

#include "gateway/keys/key_store.h"

namespace gw::keys {

std::unique_ptr<KeyStore> make_software_key_store(const KeyStoreOptions& options);
std::unique_ptr<KeyStore> make_tpm_key_store(const KeyStoreOptions& options, std::string* error);

// The message the consortium root key is HMAC'd over to derive K_tok:
// "tokenize|v1|" + consortium_id. The TPM store computes the same HMAC inside
// the TPM, so both stores derive the same K_tok from the same consortium key.
std::string tokenization_label(const std::string& consortium_id);

// K_tok in software (software store only).
std::optional<crypto::SecretBytes> derive_tokenization_key_software(
    std::span<const uint8_t, 32> consortium_key, const std::string& consortium_id,
    std::string* error);

// ECDSA P-256 over a 32-byte digest with an OpenSSL key (software store).
std::optional<BatchSignature> sign_digest_p256(EVP_PKEY* key, std::span<const uint8_t, 32> digest,
                                               std::string* error);
std::optional<std::string> public_pem(EVP_PKEY* key, std::string* error);

}  // namespace gw::keys
