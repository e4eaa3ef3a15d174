#include "gateway/anchoring/ledger_anchorer.h"

#include <string>
#include <vector>

#include "gateway/log/log.h"
#include "ledger-client/consortium/audit_anchor.h"
#include "ledger-client/keccak/keccak.h"
#include "ledger-client/outbox/item_codec.h"

namespace gw::anchoring {

using ledger::ItemState;

namespace {

ledger::consortium::AnchorInput anchor_of(const store::SignedBatch& b) {
  ledger::consortium::AnchorInput a;
  a.kind = ledger::consortium::AnchorKind::kRecordBatch;
  std::copy(b.root.begin(), b.root.end(), a.root.begin());
  a.first_seq = static_cast<uint64_t>(b.first_seq);
  a.last_seq = static_cast<uint64_t>(b.last_seq);
  a.signature = b.signature;
  return a;
}

}  // namespace

LedgerAnchorer::LedgerAnchorer(std::unique_ptr<store::BatchStore> batches,
                               ledger::Submitter& submitter, ledger::OutboxStore& outbox,
                               AnchorerOptions options)
    : batches_(std::move(batches)), submitter_(submitter), outbox_(outbox), options_(options) {}

LedgerAnchorer::~LedgerAnchorer() { stop(); }

gw::Result<AnchorRound> LedgerAnchorer::run_once() {
  AnchorRound round;
  auto rows = batches_->unanchored(cursor_, options_.max_batches_per_round);
  if (!rows.ok()) return rows.error();
  std::vector<ledger::consortium::AnchorInput> fresh;
  int64_t first_open = 0;  // lowest id still without anchored_tx after this round
  for (const store::SignedBatch& b : *rows) {
    const ledger::consortium::AnchorInput input = anchor_of(b);
    if (b.first_seq < 0 || b.last_seq < b.first_seq) {
      // The store's CHECK constraints make this impossible; a file altered
      // behind our back must not put nonsense on chain.
      if (reported_.insert(b.id).second)
        log::warn("ledger.anchor_skipped",
                  {{"batch", std::to_string(b.id)}, {"detail", "malformed sequence range"}});
      ++round.failed;
      if (first_open == 0) first_open = b.id;
      continue;
    }
    auto item = outbox_.item_by_key(ledger::ItemKind::kAnchor, ledger::anchor_key(input));
    if (!item) return item.error();
    bool open = true;
    if (!item->has_value()) {
      fresh.push_back(input);
    } else if ((*item)->state == ItemState::kDone && (*item)->tx_hash) {
      const std::string tx = "0x" + ledger::to_hex(*(*item)->tx_hash);
      GW_RETURN_IF_ERROR(batches_->set_anchored(b.id, tx));
      log::info("ledger.anchored", {{"batch", std::to_string(b.id)}, {"tx", tx}});
      ++round.anchored;
      open = false;
    } else if ((*item)->state == ItemState::kRefused || (*item)->state == ItemState::kFailed ||
               (*item)->state == ItemState::kDone) {
      // Final without a usable transaction: the outbox will not retry it, so
      // an operator must look (gatewayctl ledger outbox --state failed) and
      // may requeue it (gatewayctl ledger retry) once the cause is fixed.
      if (reported_.insert(b.id).second)
        log::warn("ledger.anchor_failed",
                  {{"batch", std::to_string(b.id)},
                   {"state", std::string(ledger::item_state_name((*item)->state))},
                   {"detail", (*item)->outcome}});
      ++round.failed;
    } else {
      reported_.erase(b.id);  // requeued (gatewayctl ledger retry): report a new failure again
      ++round.waiting;
    }
    if (open && first_open == 0) first_open = b.id;
  }
  if (!fresh.empty()) {
    auto seqs = submitter_.enqueue_anchors(fresh);
    if (!seqs) return seqs.error();
    round.enqueued = fresh.size();
  }
  if (first_open != 0) {
    cursor_ = first_open - 1;
  } else if (!rows->empty()) {
    cursor_ = rows->back().id;
  }
  return round;
}

void LedgerAnchorer::start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable() || stopping_) return;
  thread_ = std::thread([this] { loop(); });
}

void LedgerAnchorer::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void LedgerAnchorer::loop() {
  for (;;) {
    bool stopping;
    {
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, options_.interval, [this] { return stopping_; });
      stopping = stopping_;
    }
    // The outbox is local: enqueueing works while the node is unreachable.
    auto r = run_once();
    if (!r) log::warn("ledger.error", {{"component", "anchorer"}, {"detail", r.error().message()}});
    if (stopping) return;
  }
}

}  // namespace gw::anchoring
