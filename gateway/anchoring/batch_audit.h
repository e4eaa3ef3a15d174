// Checking record batches end to end, as a hospital's security team or an
// auditor would: the store's record versions still hash to the batch's
// Merkle root, the root's signature verifies with the appliance's
// batch-signing key, and the ledger holds this member's anchor of that root
// with the same record range and signature. `gatewayctl ledger verify` runs
// these checks (it also compares the key with the one the consortium registry
// lists); they take plain values so tests can feed them tampered data.
//
// Everything here is public: roots, commitments, hashes and signatures, never
// record content. Messages name batches, seqs and hashes only.
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "gateway/base/status.h"
#include "gateway/store/batches.h"
#include "ledger-client/consortium/audit_anchor.h"
#include "ledger-client/consortium/events.h"
#include "ledger-client/keccak/keccak.h"

struct evp_pkey_st;  // OpenSSL's EVP_PKEY

namespace gw::anchoring {

// SHA-256 of a public key's DER SubjectPublicKeyInfo, from PEM: a member
// entry's signing_key_hash for the appliance's batch-signing key.
gw::Result<ledger::Hash256> public_key_hash(const std::string& public_pem);
// SHA-256 of the DER of the first certificate in a PEM file: a member entry's
// tls_fingerprint (what `openssl x509 -fingerprint -sha256` prints).
gw::Result<ledger::Hash256> certificate_fingerprint(const std::string& pem_path);

// Verifies batch-root signatures (ECDSA P-256, DER, over the 32-byte root as
// the digest: what KeyStore::sign_batch_root makes).
class BatchSignatureVerifier {
 public:
  static gw::Result<BatchSignatureVerifier> from_pem(const std::string& public_pem);
  bool verify(const ledger::Hash256& root, std::span<const uint8_t> der_signature) const;

 private:
  explicit BatchSignatureVerifier(std::shared_ptr<evp_pkey_st> key) : key_(std::move(key)) {}
  std::shared_ptr<evp_pkey_st> key_;
};

// What the store alone says of `batch`, given the record versions in its seq
// range (BatchStore::records_in): an empty list when its records rebuild its
// root, their count is its record_count, and its signature verifies.
std::vector<std::string> check_batch_records(const store::SignedBatch& batch,
                                             const store::PendingRecords& records,
                                             const BatchSignatureVerifier& verifier);

// The ledger's side of one batch: anchorOf(member, root), and the Anchored
// event of that block for (member, root) if one was found.
struct ChainAnchor {
  ledger::consortium::AnchorRecord record;  // anchored_at == 0: not anchored
  std::optional<ledger::consortium::Anchored> event;
};

enum class AnchorState {
  kAnchored,  // on chain, with the batch's kind, range and signature
  kNotYet,    // not on chain and the store does not claim it is (the outbox is behind)
  kMismatch,  // see problems
};
struct AnchorCheck {
  AnchorState state = AnchorState::kNotYet;
  std::vector<std::string> problems;
};
AnchorCheck check_batch_anchor(const store::SignedBatch& batch, const ledger::Address& member,
                               const ChainAnchor& chain);

}  // namespace gw::anchoring
