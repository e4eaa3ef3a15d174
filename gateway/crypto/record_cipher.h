// Encryption at rest of stored payloads (messages and records) with
// XChaCha20-Poly1305 from libsodium. The 24-byte nonce is random per record
// (safe at any volume, unlike 12-byte nonces), the record id is associated
// data (a ciphertext moved to another row fails to open), and every envelope
// names its key so keys can rotate without re-encrypting the store.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "gateway/base/status.h"
#include "gateway/crypto/secret.h"

namespace gw::crypto {

// Envelope bytes: "GWE1" (4) | key id (uint32 big-endian) | nonce (24) |
// ciphertext || tag (16). The 8 header bytes are authenticated too (the
// AEAD's associated data is header || caller's associated data), so a
// changed magic or key id fails like a changed ciphertext.
inline constexpr std::string_view kEnvelopeMagic = "GWE1";
inline constexpr size_t kEnvelopeHeaderBytes = 4 + 4 + 24;
inline constexpr size_t kEnvelopeOverheadBytes = kEnvelopeHeaderBytes + 16;

// True if `bytes` is long enough to be an envelope and starts with the magic.
// Lets readers tell encrypted rows from plaintext rows written before
// encryption was enabled.
bool is_envelope(std::string_view bytes);

// A key ring: seals with the current key, opens with whichever key an
// envelope names. Configure it (add_key, set_current) before sharing it
// between threads; seal() and open() are then safe to call concurrently.
class RecordCipher {
 public:
  static constexpr size_t kKeyBytes = 32;

  // Adds a key under `key_id`. false if the id is already present or the key
  // is not kKeyBytes long. The first key added becomes current.
  bool add_key(uint32_t key_id, SecretBytes key);
  // Makes `key_id` the key seal() uses (after a rotation). false if unknown.
  bool set_current(uint32_t key_id);
  // The current key id; meaningful only when has_key().
  uint32_t current_key_id() const { return current_; }
  // True once a current key is set, i.e. seal() can work.
  bool has_key() const { return has_current_; }

  // Encrypts `plaintext` bound to `associated_data` (the record id). Returns
  // "" only when !has_key(); a sealed envelope is never empty.
  std::string seal(std::string_view plaintext, std::string_view associated_data) const;

  // Decrypts an envelope sealed with the same associated data. A data-loss
  // error "not an envelope", "unknown key id N ..." or "authentication
  // failed" (wrong key, wrong associated data, or altered bytes). Messages
  // never contain plaintext or key material.
  Result<std::string> open(std::string_view envelope, std::string_view associated_data) const;

 private:
  std::map<uint32_t, SecretBytes> keys_;
  uint32_t current_ = 0;
  bool has_current_ = false;
};

}  // namespace gw::crypto
