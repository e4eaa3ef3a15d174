// The ledger outbox: the gateway enqueues transfers, anchors, consent grants
// and contract calls; the submitter packs them into as few transactions as the
// contracts allow (recordTransfers, anchorBatch, grantBatch), signs them at
// the account's next nonce, persists each signed transaction before it is
// broadcast, and follows it to a confirmed receipt, reading each item's
// outcome from the receipt's logs.
//
// Why nothing is lost or duplicated across ledger outages and restarts:
// - an item is durable once enqueue() returns, and stays queued or submitted
//   until a confirmed receipt gives it an outcome;
// - a transaction's signed bytes are stored before they are sent, so after a
//   crash, an outage or a chain that lost blocks, the submitter re-broadcasts
//   the same bytes at the same nonce (which can be mined at most once) rather
//   than signing new ones;
// - transfer ids and anchor roots are idempotent in the contracts, so even a
//   batch re-signed after its nonce was taken cannot record an item twice.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "ledger-client/consortium/audit_anchor.h"
#include "ledger-client/consortium/consent_registry.h"
#include "ledger-client/consortium/transfer_log.h"
#include "ledger-client/outbox/fees.h"
#include "ledger-client/outbox/outbox_store.h"
#include "ledger-client/outbox/tx_signer.h"
#include "ledger-client/rpc/eth_client.h"

namespace gw::ledger {

struct ContractAddresses {
  Address registry{}, consents{}, transfers{}, anchors{}, tokens{};
};

struct SubmitterOptions {
  ContractAddresses contracts;
  size_t max_transfers_per_tx = 100;  // ~15,400 gas each: 100 fit easily in a 30M-gas block
  size_t max_anchors_per_tx = 50;
  size_t max_grants_per_tx = 40;
  size_t max_in_flight = 8;    // transactions broadcast and not yet mined
  uint32_t confirmations = 1;  // blocks including the mined one before an outcome is final
  std::chrono::milliseconds resubmit_after{30000};  // then replace with higher fees
  unsigned fee_bump_percent = 13;                   // nodes require at least 10
  FeeOptions fees;
  int max_attempts = 5;      // whole-batch reverts before an item is failed
  double gas_margin = 1.25;  // gas limit = estimate x margin + 20,000
  // run() deletes transfers, anchors and grants final for longer than this
  // (hourly; OutboxStore::prune); zero keeps everything.
  std::chrono::hours retention{24 * 30};
};

// What one step did (for logs and tests); counts only.
struct StepReport {
  size_t sent = 0;         // new transactions broadcast
  size_t rebroadcast = 0;  // stored transactions sent again (outage, lost by the chain)
  size_t replaced = 0;     // fee-bumped replacements
  size_t finalized = 0;    // transactions whose items got outcomes
  size_t items_final = 0;
  size_t reorged = 0;  // mined transactions whose block went away
  bool progressed() const { return sent + rebroadcast + replaced + finalized + reorged > 0; }
};

class Submitter {
 public:
  Submitter(OutboxStore& store, EthClient& eth, TxSigner& signer, SubmitterOptions options);

  // --- enqueueing (thread-safe; durable when it returns) ---
  // Returns each item's sequence number. A transfer id, anchor root or call key
  // already in the outbox is not added again.
  Result<std::vector<int64_t>> enqueue_transfers(std::span<const consortium::TransferInput> t);
  Result<std::vector<int64_t>> enqueue_anchors(std::span<const consortium::AnchorInput> a);
  Result<std::vector<int64_t>> enqueue_grants(std::span<const consortium::GrantInput> g);
  // One transaction to `to` (nullopt: contract creation) with `data`. `key`
  // (may be empty) makes it idempotent.
  Result<int64_t> enqueue_call(std::optional<Address> to, std::vector<uint8_t> data,
                               std::vector<uint8_t> key = {});

  // --- driving ---
  // Binds the outbox to the node's chain and our account, then reconciles it
  // with the chain: stored transactions the chain does not have are sent
  // again, and the next nonce is at least the chain's pending count.
  Status start();
  // One round: receipts of open transactions (one batch request), outcomes of
  // confirmed ones, re-broadcasts and fee bumps, then new transactions for
  // queued items (one batch request). A node failure ends the round early;
  // the next round (after reconciling again) picks up where it stopped.
  Result<StepReport> step();
  // Steps until no item is queued or submitted, or `timeout` passes (error).
  Status drain(std::chrono::milliseconds timeout,
               std::chrono::milliseconds idle_sleep = std::chrono::milliseconds(20));
  // Background loop for gatewayd: steps while !stop, sleeping `poll` between
  // rounds that had nothing to do (enqueue wakes it early); node errors are
  // passed to `on_error` and retried with backoff up to 30 s.
  void run(const std::atomic<bool>& stop, std::chrono::milliseconds poll,
           const std::function<void(const std::string&)>& on_error);
  // Wakes run() (enqueue does it too).
  void notify();

  const Address& sender() const { return signer_.address(); }
  uint64_t chain_id() const { return chain_id_; }

 private:
  struct Built;
  Status reconcile();
  Status poll_open(uint64_t head, StepReport& report);
  Status finalize(const OutboxTx& tx, const Receipt& receipt);
  Status send_pending(StepReport& report);
  Status build_new(StepReport& report);
  // `gas_per_item`: a per-item gas figure from this round's first estimate of
  // the same kind; when set, the batch is not estimated again (anvil and real
  // nodes execute the whole batch for an estimate). A batch that then reverts
  // anyway is re-queued and estimated item by item next round.
  Result<std::optional<Built>> build_for(ItemKind kind, std::vector<OutboxItem> items,
                                         std::optional<double>& gas_per_item);
  Result<OutboxTx> sign_tx(uint64_t nonce, ItemKind kind, const std::optional<Address>& to,
                           const std::vector<uint8_t>& data, uint64_t gas_limit, const Fees& fees);
  std::optional<Address> target_of(ItemKind kind) const;

  OutboxStore& store_;
  EthClient& eth_;
  TxSigner& signer_;
  SubmitterOptions options_;
  uint64_t chain_id_ = 0;
  bool started_ = false;
  bool needs_reconcile_ = true;
  std::optional<uint64_t> last_head_;
  std::chrono::steady_clock::time_point last_reconcile_{};
  std::mutex step_mu_;  // one step at a time
  std::mutex wake_mu_;
  std::condition_variable wake_;
  bool woken_ = false;
};

}  // namespace gw::ledger
