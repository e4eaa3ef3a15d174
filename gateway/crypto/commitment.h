// Record commitments: what the ledger holds for each record. A fresh random
// salt per record makes the digest reveal nothing guessable (an unsalted
// hash of a small FHIR resource could be confirmed by hashing candidates);
// whoever later receives the record and its salt recomputes the digest and
// checks it against the ledger.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

namespace gw::crypto {

// A record's salt (kept with the record, sent with it on transfer) and the
// digest SHA-256(salt || canonical JSON) (written to the ledger).
struct Commitment {
  std::array<uint8_t, 32> salt;
  std::array<uint8_t, 32> digest;
};

// Commits to `canonical_json` (RFC 8785 form, as fhir/json writes it) with a
// fresh 32-byte salt from libsodium's CSPRNG.
Commitment commit(std::string_view canonical_json);

// SHA-256(salt || canonical_json): recomputes a commitment for verification.
std::array<uint8_t, 32> commitment_digest(std::span<const uint8_t, 32> salt,
                                          std::string_view canonical_json);

}  // namespace gw::crypto
