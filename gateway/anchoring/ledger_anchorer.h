// Anchors signed record batches on the consortium ledger: every round it
// lists record_batches whose anchored_tx is NULL, enqueues an AuditAnchor
// item (kind kRecordBatch: root, first_seq, last_seq, the TPM signature) for
// each that the outbox does not hold yet, and writes the mined transaction's
// hash into anchored_tx for those whose outbox item is done.
//
// Crash safety without coordination: the outbox keys anchors by root, so
// enqueueing a batch again after a crash finds the existing item; anchored_tx
// is written only after the item is final, and a batch whose hash was not
// written yet is simply found done on the next round. Nothing here is PHI:
// roots, sequence numbers and transaction hashes only.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <set>
#include <thread>

#include "gateway/base/status.h"
#include "gateway/store/batches.h"
#include "ledger-client/outbox/outbox_store.h"
#include "ledger-client/outbox/submitter.h"

namespace gw::anchoring {

struct AnchorerOptions {
  std::chrono::milliseconds interval{1000};
  size_t max_batches_per_round = 500;
};

struct AnchorRound {
  size_t enqueued = 0;  // new outbox items
  size_t anchored = 0;  // anchored_tx written
  size_t waiting = 0;   // in the outbox, not final yet
  size_t failed = 0;    // refused or failed in the outbox (logged once per batch)
};

class LedgerAnchorer {
 public:
  // `submitter` and `outbox` must outlive this object.
  LedgerAnchorer(std::unique_ptr<store::BatchStore> batches, ledger::Submitter& submitter,
                 ledger::OutboxStore& outbox, AnchorerOptions options = {});
  ~LedgerAnchorer();  // stop()
  LedgerAnchorer(const LedgerAnchorer&) = delete;
  LedgerAnchorer& operator=(const LedgerAnchorer&) = delete;

  // One round (not thread-safe against itself: use it or start(), not both).
  gw::Result<AnchorRound> run_once();

  // A thread running a round every `interval`; errors are logged
  // (event=ledger.error) and retried next round.
  void start();
  // Runs one last round (so batches signed at shutdown are in the outbox),
  // then stops the thread. Idempotent.
  void stop();

 private:
  void loop();

  std::unique_ptr<store::BatchStore> batches_;
  ledger::Submitter& submitter_;
  ledger::OutboxStore& outbox_;
  AnchorerOptions options_;
  // Every batch with id <= cursor_ has anchored_tx set; used by the round
  // only (one round at a time).
  int64_t cursor_ = 0;
  std::set<int64_t> reported_;  // batches whose final failure was logged

  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;  // guarded by mu_
  std::thread thread_;
};

}  // namespace gw::anchoring
