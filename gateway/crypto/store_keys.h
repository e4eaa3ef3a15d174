// The keys the message store uses so that its SQLite file holds no readable
// patient data:
//  - every payload (raw message, acknowledgement, normalized record) is an
//    XChaCha20-Poly1305 envelope (gateway/crypto/record_cipher.h) whose
//    associated data names the row, so rows cannot be swapped unnoticed;
//  - the identifier index and content fingerprints are keyed (HMAC-SHA-256
//    under keys derived from the record key), so nothing in the file can be
//    tested against a guessed MRN or a guessed resource;
//  - Patient identifiers are also kept as consortium tokens (K_tok), the
//    pseudonyms the ledger uses, and every record version gets a salted
//    commitment SHA-256(salt || canonical JSON).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "gateway/base/status.h"
#include "gateway/crypto/commitment.h"
#include "gateway/crypto/hmac_sha256.h"
#include "gateway/crypto/record_cipher.h"
#include "gateway/crypto/secret.h"
#include "gateway/crypto/sha256.h"
#include "gateway/crypto/tokenizer.h"

namespace gw::crypto {

class StoreKeys {
 public:
  // record_key and tokenization_key: 32 bytes each (from the key store).
  static Result<std::shared_ptr<const StoreKeys>> create(
      const crypto::SecretBytes& record_key, uint32_t record_key_id,
      const crypto::SecretBytes& tokenization_key);
  // Fresh random keys: unit tests and benchmarks only.
  static std::shared_ptr<const StoreKeys> random_for_tests();

  uint32_t record_key_id() const { return cipher_.current_key_id(); }
  std::string seal(std::string_view plaintext, std::string_view associated_data) const {
    return cipher_.seal(plaintext, associated_data);
  }
  Result<std::string> open(std::string_view envelope, std::string_view associated_data) const {
    return cipher_.open(envelope, associated_data);
  }
  // Keyed fingerprint of content (duplicate resends, unchanged records).
  Sha256Digest content_digest(std::string_view bytes) const;
  // Index key of a business identifier; with no system, the "any system" key.
  std::string index_key(const std::optional<std::string>& system, std::string_view value) const;
  // The consortium token of a Patient identifier.
  std::string patient_token(std::string_view system, std::string_view value) const {
    return tokenizer_.token(system, value);
  }

 private:
  StoreKeys(crypto::Tokenizer tokenizer) : tokenizer_(std::move(tokenizer)) {}

  crypto::RecordCipher cipher_;
  crypto::Tokenizer tokenizer_;
  // Keyed HMAC states of the index and content subkeys (set by create()).
  std::optional<crypto::HmacSha256> index_mac_, digest_mac_;
};

// Associated data of the envelopes: what row a ciphertext belongs to.
std::string message_associated_data(std::string_view part, std::string_view sender,
                                    std::string_view control_id, int64_t received_at_ms);
std::string record_associated_data(std::string_view type, std::string_view id, int64_t version);

}  // namespace gw::crypto
