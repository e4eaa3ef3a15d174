// What one member gateway hands another in a transfer: a patient's records,
// each with the salt and commitment that let the recipient check it, and the
// Merkle root over those commitments that the sender recorded on the
// TransferLog before delivering.
//
// On the wire the payload is sealed with libsodium's crypto_box (X25519 key
// agreement, XSalsa20-Poly1305) from the sender's payload key to the
// recipient's registered one, so only the recipient can read it and the
// recipient knows which member sealed it (the box authenticates the sender's
// key, which the recipient compares with the ProviderRegistry's). The
// envelope repeats in clear only what routing needs (accounts, transfer id,
// the two public keys); the sealed document repeats them, and open() refuses
// an envelope whose clear fields disagree with what it seals.
//
// Records travel as their canonical JSON text, not re-serialized, so the
// recipient stores byte for byte what the sender committed to.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/base/status.h"
#include "gateway/crypto/secret.h"
#include "ledger-client/keccak/keccak.h"

namespace gw::transfer {

using Address = std::array<uint8_t, 20>;
using Hash256 = ledger::Hash256;
using PublicKey = std::array<uint8_t, 32>;  // X25519

struct PayloadRecord {
  std::string resource_type, resource_id;
  std::string resource_json;  // canonical JSON (RFC 8785), as committed
  Hash256 salt{}, commitment{};
};

// The TransferLog entry the payload belongs to (TransferRecorded's fields).
struct TransferRef {
  Address from{}, to{};
  uint64_t id = 0;  // sender-scoped transfer id
  Hash256 patient_token{};
  uint8_t purpose = 0;  // ConsentRegistry purpose code
  friend bool operator==(const TransferRef&, const TransferRef&) = default;
};

struct Payload {
  TransferRef transfer;
  Hash256 root{};  // Merkle root over records' commitments (crypto/merkle.h)
  std::vector<PayloadRecord> records;
  // Set for emergency access: the requesting clinician system's stated reason
  // (free text from a member; stored with the Provenance, never logged).
  std::string emergency_reason;
};

// Bounds a recipient applies before and while opening a payload.
struct PayloadLimits {
  size_t max_envelope_bytes = size_t{64} << 20;
  size_t max_records = 20'000;
};

// The root over `commitments` (order does not matter: the tree sorts its
// leaves); nullopt for none.
std::optional<Hash256> commitment_root(std::span<const Hash256> commitments);

// Checks a payload's integrity: every record's commitment is
// SHA-256(salt || resource_json), and `root` is the Merkle root over them.
// The error names the record by position (never its content).
Status verify_commitments(const Payload& payload);

// The sealed envelope, as sent over the member-to-member API.
struct SealedEnvelope {
  TransferRef transfer;  // only from, to and id are in clear
  PublicKey sender_key{}, recipient_key{};
  std::string bytes;  // the whole envelope document
};

// Seals `payload` from `sender_secret` (32-byte X25519 secret key) to
// `recipient_key`. The result's bytes are what is delivered.
Result<SealedEnvelope> seal(const Payload& payload, const crypto::SecretBytes& sender_secret,
                            const PublicKey& recipient_key);

// Reads the clear fields of an envelope without opening it (who sent it, to
// whom, which transfer, with which keys), so the recipient can look up the
// sender's registered key and its own private key first. Refuses anything
// that is not a well-formed envelope within `limits`.
Result<SealedEnvelope> read_envelope(std::string_view bytes, const PayloadLimits& limits = {});

// True when `bytes`, an envelope seal() produced, names exactly these two
// keys: a check without parsing the envelope or decoding its box, for the
// sender's look at its stored envelopes before each delivery. False means
// "not known to be sealed with these keys" (read_envelope tells for sure).
bool sealed_with_keys(std::string_view bytes, const PublicKey& sender_key,
                      const PublicKey& recipient_key);

// Opens an envelope with the recipient's secret key, authenticating it as
// sealed by `expected_sender_key` (the sender's key in the ProviderRegistry),
// then parses the payload within `limits` and checks that it names the same
// transfer as the envelope's clear fields. Does not check commitments
// (verify_commitments) or the ledger.
Result<Payload> open(const SealedEnvelope& envelope, const crypto::SecretBytes& recipient_secret,
                     const PublicKey& expected_sender_key, const PayloadLimits& limits = {});

// The sender's own reading of an envelope it sealed (crypto_box is
// symmetric: the sender's secret key with the recipient's public key opens it
// too), so that the same payload can be sealed again when either party's
// registered key has moved on. `sender_secret` must be the key the envelope
// names as its sender key.
Result<Payload> open_as_sender(const SealedEnvelope& envelope,
                               const crypto::SecretBytes& sender_secret,
                               const PayloadLimits& limits = {});

}  // namespace gw::transfer
