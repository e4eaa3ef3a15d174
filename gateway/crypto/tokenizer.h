// Patient identifier tokens: what the consortium ledger and the gateways'
// indexes hold instead of an identifier. Keyed with the consortium
// tokenization key K_tok, so every member gateway computes the same token for
// the same patient and nobody without the key can test a guess (an unkeyed
// hash of an MRN or SSN is trivially brute-forced).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "gateway/crypto/hmac_sha256.h"
#include "gateway/crypto/secret.h"

namespace gw::crypto {

// The exact bytes that are MACed: escape(system) + "|" + escape(value),
// where escape() puts a '\' before every '\' and '|'. The escaping makes the
// encoding injective, so ("a|b", "c") and ("a", "b|c") never share an input.
// The result holds patient data: zero it (sodium_memzero) when done.
std::string canonical_identifier(std::string_view system, std::string_view value);

// token = base64url-without-padding(HMAC-SHA-256(K_tok, canonical_identifier))
// (always 43 characters of [A-Za-z0-9_-]).
class Tokenizer {
 public:
  static constexpr size_t kKeyBytes = 32;
  static constexpr size_t kTokenChars = 43;

  // Precomputes the keyed HMAC state into locked memory; `key` itself is
  // released (zeroed) here. Any non-empty key works (HMAC accepts any
  // length), but the consortium key is kKeyBytes; use create() to insist.
  explicit Tokenizer(SecretBytes key);
  // nullopt unless `key` is exactly kKeyBytes long (or libsodium cannot
  // allocate locked memory).
  static std::optional<Tokenizer> create(SecretBytes key);

  // False when built from an empty key or when locked memory was not
  // available; token() then returns "".
  bool valid() const { return mac_.has_value() && mac_->valid(); }

  // The token of one identifier. Deterministic; thread-safe (const, no
  // shared mutable state).
  std::string token(std::string_view system, std::string_view value) const;

 private:
  std::optional<HmacSha256> mac_;  // keyed HMAC-SHA-256 states, in locked memory
};

// A token's 32 MAC bytes: what the ledger holds (bytes32 patientToken).
// nullopt for text that is not a token.
std::optional<std::array<uint8_t, 32>> token_bytes(std::string_view token);
// The token text of 32 MAC bytes (the inverse of token_bytes).
std::string token_text(const std::array<uint8_t, 32>& bytes);

}  // namespace gw::crypto
