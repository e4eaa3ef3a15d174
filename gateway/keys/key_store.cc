#include "gateway/keys/key_store.h"

#include <openssl/ecdsa.h>
#include <openssl/pem.h>
#include <sodium.h>

#include <cctype>

#include "gateway/keys/key_files.h"
#include "gateway/keys/key_store_internal.h"

namespace gw::keys {

Result<std::unique_ptr<KeyStore>> open_key_store(const KeyStoreOptions& options) {
  if (!crypto::init_sodium()) return internal_error("libsodium could not start");
  if (options.kind == "software") return make_software_key_store(options);
  if (options.kind == "tpm") return make_tpm_key_store(options);
  return invalid_argument_error("unknown key store \"" + options.kind +
                                "\" (expected \"tpm\" or \"software\")");
}

Result<crypto::SecretBytes> read_consortium_key_file(const std::string& path) {
  GW_ASSIGN_OR_RETURN(std::vector<uint8_t> bytes, read_small_file(path, 1024));
  std::optional<crypto::SecretBytes> key;
  if (bytes.size() == 32) {
    key = crypto::SecretBytes::copy_of(bytes);
  } else {
    // 64 hex digits, optionally followed by whitespace.
    size_t n = bytes.size();
    while (n > 0 && std::isspace(bytes[n - 1])) --n;
    uint8_t raw[32];
    size_t bin_len = 0;
    if (n == 64 &&
        sodium_hex2bin(raw, sizeof raw, reinterpret_cast<const char*>(bytes.data()), n, nullptr,
                       &bin_len, nullptr) == 0 &&
        bin_len == 32) {
      key = crypto::SecretBytes::copy_of(raw);
    }
    sodium_memzero(raw, sizeof raw);
  }
  sodium_memzero(bytes.data(), bytes.size());
  if (!key) {
    return invalid_argument_error(path +
                                  ": a consortium key file holds 32 bytes, or 64 hex digits");
  }
  return std::move(*key);
}

std::string tokenization_label(const std::string& consortium_id) {
  return "tokenize|v1|" + consortium_id;
}

Result<crypto::SecretBytes> derive_tokenization_key_software(
    std::span<const uint8_t, 32> consortium_key, const std::string& consortium_id) {
  if (consortium_id.empty()) {
    return failed_precondition_error(
        "[keys] consortium_id is not set: it is part of the tokenization key's derivation "
        "and must be the same at every member");
  }
  auto out = crypto::hmac_sha256_secret(consortium_key, tokenization_label(consortium_id));
  if (!out) {
    return resource_exhausted_error("cannot allocate locked memory for the tokenization key");
  }
  return std::move(*out);
}

Result<BatchSignature> sign_digest_p256(EVP_PKEY* key, std::span<const uint8_t, 32> digest) {
  std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> ctx(EVP_PKEY_CTX_new(key, nullptr),
                                                                  EVP_PKEY_CTX_free);
  size_t len = 0;
  if (!ctx || EVP_PKEY_sign_init(ctx.get()) != 1 ||
      EVP_PKEY_sign(ctx.get(), nullptr, &len, digest.data(), digest.size()) != 1) {
    return internal_error("ECDSA signing failed (OpenSSL)");
  }
  BatchSignature sig;
  sig.der.resize(len);
  if (EVP_PKEY_sign(ctx.get(), sig.der.data(), &len, digest.data(), digest.size()) != 1) {
    return internal_error("ECDSA signing failed (OpenSSL)");
  }
  sig.der.resize(len);
  const unsigned char* p = sig.der.data();
  ECDSA_SIG* parsed = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(len));
  if (parsed == nullptr) {
    return internal_error("ECDSA signature could not be parsed");
  }
  const BIGNUM *r = nullptr, *s = nullptr;
  ECDSA_SIG_get0(parsed, &r, &s);
  bool ok = BN_bn2binpad(r, sig.r.data(), 32) == 32 && BN_bn2binpad(s, sig.s.data(), 32) == 32;
  ECDSA_SIG_free(parsed);
  if (!ok) return internal_error("ECDSA signature has an unexpected size");
  return sig;
}

Result<std::string> public_pem(EVP_PKEY* key) {
  BIO* bio = BIO_new(BIO_s_mem());
  Result<std::string> out = internal_error("cannot write the public key as PEM");
  if (bio != nullptr && PEM_write_bio_PUBKEY(bio, key) == 1) {
    char* data = nullptr;
    long n = BIO_get_mem_data(bio, &data);
    out = std::string(data, static_cast<size_t>(n));
  }
  BIO_free(bio);
  return out;
}

}  // namespace gw::keys
