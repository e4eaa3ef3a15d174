#include "gateway/audit/audit_keys.h"

#include <sodium.h>

namespace gw::audit {

Result<std::shared_ptr<const AuditKeys>> AuditKeys::create(const crypto::SecretBytes& record_key,
                                                           uint32_t record_key_id) {
  if (!crypto::init_sodium()) return internal_error("libsodium could not start");
  if (record_key.size() != 32) {
    return invalid_argument_error("the audit trail needs a 32-byte record key");
  }
  auto entry = crypto::hmac_sha256_secret(record_key.view(), "gateway-audit|entry|v1");
  auto index = crypto::hmac_sha256_secret(record_key.view(), "gateway-audit|patient-index|v1");
  if (!entry || !index) {
    return resource_exhausted_error("cannot allocate locked memory for the audit keys");
  }
  std::shared_ptr<AuditKeys> keys(new AuditKeys());
  if (!keys->cipher_.add_key(record_key_id, std::move(*entry))) {
    return invalid_argument_error("bad audit entry key");
  }
  keys->index_key_ = std::move(*index);
  return std::shared_ptr<const AuditKeys>(std::move(keys));
}

std::shared_ptr<const AuditKeys> AuditKeys::random_for_tests() {
  if (!crypto::init_sodium()) return nullptr;
  auto k = crypto::SecretBytes::allocate(32);
  if (!k) return nullptr;
  randombytes_buf(k->mutable_data(), 32);
  auto keys = create(*k, 1);
  return keys.ok() ? std::move(keys).value() : nullptr;
}

std::string AuditKeys::patient_index(const PatientToken& token) const {
  unsigned char out[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init(&st, index_key_.data(), index_key_.size());
  crypto_auth_hmacsha256_update(&st, token.data(), token.size());
  crypto_auth_hmacsha256_final(&st, out);
  sodium_memzero(&st, sizeof st);
  return std::string(reinterpret_cast<const char*>(out), sizeof out);
}

}  // namespace gw::audit
