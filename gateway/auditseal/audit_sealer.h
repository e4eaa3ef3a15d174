// The audit trail's sealer: a thread that, every interval, closes the audit
// log's due batches, has the key store (the TPM) sign each new batch's Merkle
// root, queues each signed batch as an AuditAnchor anchor of kind `audit` in
// the ledger outbox and records the mined transaction once the outbox item is
// final; once a day (and at start) it prunes what retention allows.
//
// What is signed: the batch's 32-byte Merkle root itself, by
// KeyStore::sign_batch_root (ECDSA P-256 with the root as the digest), the
// same construction as record batches (anchoring/batch_signer.h) and what
// anchoring::BatchSignatureVerifier checks. The ledger anchor carries kind
// `audit` beside the root, range and signature.
//
// Order: batches are signed oldest first and a round stops signing at the
// first failure, so an unsigned batch is never older than a signed one
// (verify relies on that: see audit_batch_check.h). Failures (TPM, SQLite,
// outbox) are logged without PHI (batch ids, seqs, hashes) and retried next
// round.
//
// Crash safety is LedgerAnchorer's: the outbox keys anchors by root, so
// queueing a batch again after a crash finds the existing item; the batch's
// anchor_tx is written only once its item is final with a transaction.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "gateway/audit/audit_log.h"
#include "gateway/base/status.h"
#include "gateway/config/config.h"
#include "gateway/keys/key_store.h"
#include "ledger-client/outbox/outbox_store.h"

namespace gw::auditseal {

struct AuditSealerOptions {
  // How often a round runs. A batch waits at most about
  // batch_max_age + interval for its signature.
  std::chrono::milliseconds interval{5000};
  // Entries older than this are pruned, whole anchored batches only
  // (AuditLog::prune_before never deletes unanchored entries).
  uint32_t retention_days = 2190;
  std::chrono::milliseconds prune_every{std::chrono::hours(24)};
  // Batches signed or anchored per round at most (the rest wait a round).
  size_t max_batches_per_round = 500;
};

// [audit] as the sealer's options.
AuditSealerOptions sealer_options(const config::AuditConfig& audit);

// What one round did (counts only).
struct SealRound {
  int closed = 0;            // batches closed by close_batches(now)
  size_t signed_ = 0;        // signatures stored
  size_t enqueued = 0;       // new outbox items
  size_t anchored = 0;       // anchor_tx written
  size_t waiting = 0;        // in the outbox, not final yet
  size_t failed = 0;         // refused or failed in the outbox (logged once per batch)
  bool sign_failed = false;  // the key store could not sign: retried next round
};

class AuditSealer {
 public:
  // `log` (and `outbox`, when given) must outlive this object. `keys` names
  // the key store opened for each round that has something to sign (as the
  // record batch signer does, so that operator tools can use the TPM in
  // between). `outbox` null: batches are signed but not anchored (no
  // ledger), and then nothing is ever pruned, since only anchored batches
  // are.
  AuditSealer(audit::AuditLog& log, keys::KeyStoreOptions keys, ledger::OutboxStore* outbox,
              AuditSealerOptions options = {});
  ~AuditSealer();  // stop()
  AuditSealer(const AuditSealer&) = delete;
  AuditSealer& operator=(const AuditSealer&) = delete;

  // One round at `now_ms` (close, sign, anchor; no prune). Not thread-safe
  // against itself: use it or start(), not both. An error only when the log
  // or the outbox could not be read or written; a key store failure is
  // logged and reported in SealRound::sign_failed.
  Result<SealRound> run_once(int64_t now_ms);
  // prune_before(now_ms - retention_days).
  Result<audit::PruneResult> prune(int64_t now_ms);

  // A thread running a round every interval and a prune at start and every
  // prune_every; errors are logged (event=audit.seal_failed) and retried.
  void start();
  // Runs one last round (batches due at shutdown are signed and queued),
  // then stops the thread. Idempotent.
  void stop();

 private:
  void loop();
  // Signs `b` with the key store opened for this round (opening it first if
  // needed) and stores the signature in the log and in `b`; false (and
  // logged) if it could not.
  bool sign(audit::AuditBatch& b, std::unique_ptr<keys::KeyStore>& store);
  // The outbox side of one signed, unanchored batch.
  Status anchor(const audit::AuditBatch& b, int64_t now_ms, SealRound& round,
                std::vector<ledger::OutboxStore::NewItem>& fresh, bool& open);

  audit::AuditLog& log_;
  keys::KeyStoreOptions keys_;
  ledger::OutboxStore* outbox_;
  AuditSealerOptions options_;
  // Every batch with id <= cursor_ is signed (and anchored when there is an
  // outbox); rounds only (one at a time).
  std::optional<int64_t> cursor_;
  std::set<int64_t> reported_;  // batches whose final outbox failure was logged

  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;  // guarded by mu_
  std::thread thread_;
};

}  // namespace gw::auditseal
