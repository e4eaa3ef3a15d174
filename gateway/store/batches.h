// Record batches: contiguous runs of record versions (by seq) whose salted
// commitments are the leaves of a Merkle tree; the root is signed once per
// batch by the appliance's batch-signing key (the TPM), so the TPM is called
// once per batch, never per message. Later the ledger client anchors roots.
//
// A BatchStore has its own read-write connection to the store file (WAL: it
// waits for the committer, never blocks readers) and is used by one thread at
// a time. Several may be open on one file, each on its own thread: gatewayd's
// batch signer appends batches while its ledger anchorer marks them anchored,
// and `gatewayctl audit` reads them. That is safe because SQLite serializes
// the writes and record() checks that a batch follows the last one inside its
// IMMEDIATE transaction, so two writers can never record overlapping batches.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gateway/base/status.h"

namespace gw::store {

struct PendingRecords {
  std::vector<int64_t> seqs;                         // ascending
  std::vector<std::array<uint8_t, 32>> commitments;  // same order
};

struct SignedBatch {
  int64_t id = 0;  // assigned by record()
  int64_t first_seq = 0, last_seq = 0;
  int64_t record_count = 0;
  std::array<uint8_t, 32> root{};
  std::vector<uint8_t> signature;  // DER ECDSA P-256 over root
  std::string signer;              // "tpm" | "software"
  int64_t created_at_ms = 0;
  std::string anchored_tx;  // the ledger transaction that anchored it; "" until then
};

class BatchStore {
 public:
  static Result<std::unique_ptr<BatchStore>> open(const std::string& path);
  ~BatchStore();

  // Record versions not yet in a batch, oldest first, at most `limit`.
  Result<PendingRecords> pending(size_t limit);
  // Number of record versions not yet in a batch.
  Result<int64_t> pending_count();
  // Appends a batch and sets batch->id. Refused (failed-precondition) if it
  // does not start right after the last batch's range (so two signers can
  // never record overlapping batches).
  Status record(SignedBatch* batch);
  // Batches with id > after_id, oldest first, at most `limit`.
  Result<std::vector<SignedBatch>> list(int64_t after_id, size_t limit);
  // The record versions with first_seq <= seq <= last_seq and their
  // commitments, in seq order: what a batch's root is rebuilt from.
  Result<PendingRecords> records_in(int64_t first_seq, int64_t last_seq);

  // The ledger anchorer's view: batches with id > after_id whose anchored_tx
  // is still NULL, oldest first, at most `limit`. (after_id lets the anchorer
  // skip the long anchored prefix instead of scanning it every round.)
  Result<std::vector<SignedBatch>> unanchored(int64_t after_id, size_t limit);
  // Records the hash of the ledger transaction that anchored batch `id`
  // ("0x" + 64 hex digits). not-found if there is no such batch.
  Status set_anchored(int64_t id, const std::string& tx_hash);

 private:
  struct Impl;
  explicit BatchStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace gw::store
