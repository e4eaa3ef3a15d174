// Verification of a whole audit log, read-only: every entry decrypts under its
// own seq, decodes, matches its clear columns and extends the chain to its
// stored chain hash; seqs are contiguous from the start a prune left; the head
// names the last entry; batches tile the batched entries and each root is the
// Merkle root of its entries' chain hashes. What only the integrator can check
// (the TPM signature over a root, the anchor on the ledger) comes in as a
// callback per batch, so that this stays testable without either.
//
// It stops at the first failure in seq order and names that seq and what
// failed. What it cannot see: a key holder who rewrites entries and every
// chain hash after them and the batch roots is caught only by the signature
// and anchor callbacks; entries appended after the last batch are covered by
// the chain and the head alone until their batch is anchored.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "gateway/audit/audit_keys.h"
#include "gateway/audit/audit_log.h"
#include "gateway/base/status.h"

namespace gw::audit {

enum class AuditFault : uint8_t {
  kNone = 0,
  kMissingEntry,       // a seq is absent (deleted row, or the tail cut off)
  kReorderedEntry,     // the row holds another seq's entry (rows swapped or renumbered)
  kInsertedEntry,      // the row is a copy of another seq's entry
  kAlteredCiphertext,  // the envelope does not open for this seq under any nearby seq
  kMalformedEntry,     // it opens but does not decode (written by a key holder)
  kAlteredField,       // a clear column differs from the encrypted entry
  kChainBroken,        // the stored chain hash is not h(prev || entry hash)
  kHeadMismatch,       // the head row does not name the last entry and its hash
  kBatchLayout,        // batches do not tile the entries (gap, overlap, pruned mid-batch)
  kBatchRoot,          // a batch's root is not its entries' Merkle root
  kBatchCheck,         // the integrator's check (signature, anchor) refused the batch
};
std::string_view fault_name(AuditFault fault);

struct AuditVerifyReport {
  bool ok() const { return fault == AuditFault::kNone; }
  AuditFault fault = AuditFault::kNone;
  int64_t first_bad_seq = 0;  // 0 when ok
  std::string what;           // no entry contents, only seqs, ids and field names
  int64_t entries_checked = 0;
  int64_t batches_checked = 0;
  int64_t pruned_through_seq = 0;
};

// Checks one batch's signature and anchor; ok or a reason. Called for every
// batch, including those whose entries are pruned, in seq order.
using BatchCheck = std::function<Status(const AuditBatch&)>;

// Verifies the log at `path` (opened read-only). A Status error only when it
// cannot read the file at all; tampering is reported in the report.
Result<AuditVerifyReport> verify_audit_log(const std::string& path, const AuditKeys& keys,
                                           const BatchCheck& check_batch = {});

}  // namespace gw::audit
