// The audit trail's keys, derived from the record key (the key the message
// store encrypts records with), each for one purpose so that no key does two
// jobs:
//  - the entry key "gateway-audit|entry|v1": XChaCha20-Poly1305 envelopes of
//    whole entries (gateway/crypto/record_cipher.h), under the record key's id;
//  - the patient index key "gateway-audit|patient-index|v1": HMAC-SHA-256 of a
//    patient token, the only form in which a token is stored searchable.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "gateway/audit/audit_entry.h"
#include "gateway/base/status.h"
#include "gateway/crypto/record_cipher.h"
#include "gateway/crypto/secret.h"

namespace gw::audit {

class AuditKeys {
 public:
  // record_key: 32 bytes (from the key store), record_key_id: its id.
  static Result<std::shared_ptr<const AuditKeys>> create(const crypto::SecretBytes& record_key,
                                                         uint32_t record_key_id);
  // Fresh random keys: unit tests and benchmarks only.
  static std::shared_ptr<const AuditKeys> random_for_tests();

  std::string seal(std::string_view plaintext, std::string_view associated_data) const {
    return cipher_.seal(plaintext, associated_data);
  }
  Result<std::string> open(std::string_view envelope, std::string_view associated_data) const {
    return cipher_.open(envelope, associated_data);
  }
  // The blind index of a patient token: HMAC-SHA-256 under the index key
  // (32 bytes). Equal tokens give equal indexes; nothing in the file lets a
  // reader test a guessed token without the key.
  std::string patient_index(const PatientToken& token) const;

 private:
  AuditKeys() = default;

  crypto::RecordCipher cipher_;
  crypto::SecretBytes index_key_;
};

}  // namespace gw::audit
