// The audit trail's store: an append-only SQLite file (<state_dir>/audit.db,
// mode 0600, WAL, synchronous FULL) of hash-chained, encrypted entries and the
// batches their Merkle roots are signed and anchored in.
//
// Durability: append() returns only once its entry is committed and synced,
// so a caller that answers after append() never answers for an access that a
// crash could forget ("no response before its entry is durable"). Appends from
// many threads share commits (group commit): the first caller to find no
// commit in progress writes everything queued in one transaction and one
// fsync; the others wait for it.
//
// Threads: every method may be called from any thread. `group_mu_` guards the
// queue of appends and the leader flag; `db_mu_` guards the connection (one
// SQLite connection, used by one thread at a time). Queries wait for a commit
// in progress. Several AuditLog objects (say gatewayd's and gatewayctl's) may
// share a file: each write transaction reads the head from the file, never
// from memory.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/audit/audit_entry.h"
#include "gateway/audit/audit_keys.h"
#include "gateway/base/status.h"

namespace gw::audit {

struct AuditLogOptions {
  // A batch closes when this many entries wait, or when the first waiting
  // entry (by its time) is this old at an append or a close_batches() call.
  size_t batch_max_entries = 1024;
  int64_t batch_max_age_ms = 60'000;
};

// A contiguous run of entries whose Merkle root is signed and anchored. The
// leaves are the entries' chain hashes (not their entry hashes): each chain
// hash commits to every entry before it, so an anchored root proves the whole
// log up to last_seq, including entries since pruned.
struct AuditBatch {
  int64_t id = 0;
  int64_t first_seq = 0, last_seq = 0;
  std::array<uint8_t, 32> root{};  // OpenZeppelin StandardMerkleTree root (crypto/merkle.h)
  int64_t created_ms = 0;
  std::vector<uint8_t> signature;  // empty until set_batch_signature()
  std::string signer;              // "tpm" | "software"; "" until signed
  std::string anchor_tx;           // the ledger transaction; "" until set_batch_anchor()
  int64_t anchored_ms = 0;
};

struct StoredAuditEntry {
  int64_t seq = 0;
  AuditEntry entry;
};

// Filters combine (AND). Time range: from_ms <= time < to_ms.
struct AuditQuery {
  std::optional<PatientToken> patient;  // searched through the blind index
  std::optional<Actor> actor;
  int64_t from_ms = INT64_MIN;
  int64_t to_ms = INT64_MAX;
  int64_t after_seq = 0;  // paging: entries with seq > after_seq, ascending
  size_t limit = 100;     // at most kMaxQueryLimit
};
inline constexpr size_t kMaxQueryLimit = 1000;

struct AuditPage {
  std::vector<StoredAuditEntry> entries;
  // Set when there may be more: pass it as after_seq for the next page.
  std::optional<int64_t> next_after_seq;
};

struct AuditHead {
  int64_t last_seq = 0;            // 0 when empty
  int64_t pruned_through_seq = 0;  // entries up to here are pruned
  std::array<uint8_t, 32> last_hash{};
};

struct PruneResult {
  int64_t entries_deleted = 0;
  int64_t pruned_through_seq = 0;  // the new start of verification
};

// Since open(): entries appended and the commits that wrote them (their
// ratio is how many appends a group commit shared).
struct AuditLogStats {
  int64_t appends = 0;
  int64_t commits = 0;
};

class AuditLog {
 public:
  // Opens or creates the file (0600). failed-precondition if it is some other
  // SQLite file or another schema version.
  static Result<std::unique_ptr<AuditLog>> open(const std::string& path,
                                                std::shared_ptr<const AuditKeys> keys,
                                                AuditLogOptions options = {});
  ~AuditLog();
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  // Validates, chains, encrypts and durably stores `entry`; returns its seq.
  // invalid-argument for an entry that breaks a bound (nothing written);
  // an SQLite error if the commit failed (nothing of its group written).
  Result<int64_t> append(const AuditEntry& entry);
  // Several entries in one commit (one request's entries: a search naming
  // several patients, a transaction's entries): all durable, or none.
  // invalid-argument (nothing written) if any breaks a bound.
  Result<std::vector<int64_t>> append_all(std::span<const AuditEntry> entries);

  // Closes batches whose oldest entry is batch_max_age_ms old at `now_ms`
  // (and full ones). For a timer: appends close batches too. Returns how many.
  Result<int> close_batches(int64_t now_ms);

  // Batches not yet signed or not yet anchored, oldest first, at most `limit`.
  Result<std::vector<AuditBatch>> pending_batches(size_t limit);
  // All batches with id > after_id, oldest first, at most `limit`.
  Result<std::vector<AuditBatch>> batches(int64_t after_id, size_t limit);
  // Store the TPM's signature over a batch's root (1..512 bytes; signer 1..16
  // bytes, "tpm" or "software"). failed-precondition if there is no such
  // batch or it is already signed (a signature is never replaced).
  Status set_batch_signature(int64_t batch_id, std::span<const uint8_t> signature,
                             std::string_view signer);
  // Store the ledger transaction (1..80 bytes) that anchored a signed batch.
  // failed-precondition if there is no such batch, it is not signed yet, or
  // it is already anchored.
  Status set_batch_anchor(int64_t batch_id, std::string_view tx_hash, int64_t anchored_ms);

  // Decrypted entries matching `query`, ascending by seq. data-loss if a
  // matching row does not open (run verify).
  Result<AuditPage> query(const AuditQuery& query);

  // Deletes the entries of whole batches that are anchored and whose entries
  // are all older than `time_ms`, oldest batch first, stopping at the first
  // that is not; entries of unanchored or unbatched runs are never deleted.
  // The chain hash of the last deleted entry becomes verification's start.
  Result<PruneResult> prune_before(int64_t time_ms);

  Result<AuditHead> head();
  AuditLogStats stats() const;

 private:
  struct Impl;
  explicit AuditLog(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace gw::audit
