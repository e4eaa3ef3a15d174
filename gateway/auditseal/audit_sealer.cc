#include "gateway/auditseal/audit_sealer.h"

#include <algorithm>
#include <string>
#include <vector>

#include "gateway/base/clock.h"
#include "gateway/log/log.h"
#include "ledger-client/consortium/audit_anchor.h"
#include "ledger-client/keccak/keccak.h"
#include "ledger-client/outbox/item_codec.h"

namespace gw::auditseal {

using ledger::ItemState;

namespace {

constexpr int64_t kDayMs = 86'400'000;
constexpr size_t kPage = 1000;  // audit::kMaxQueryLimit

ledger::consortium::AnchorInput anchor_of(const audit::AuditBatch& b) {
  ledger::consortium::AnchorInput a;
  a.kind = ledger::consortium::AnchorKind::kAudit;
  a.root = b.root;
  a.first_seq = static_cast<uint64_t>(b.first_seq);
  a.last_seq = static_cast<uint64_t>(b.last_seq);
  a.signature = b.signature;
  return a;
}

}  // namespace

AuditSealerOptions sealer_options(const config::AuditConfig& audit) {
  AuditSealerOptions o;
  o.retention_days = audit.retention_days;
  // Often enough that a batch due by age is sealed soon after it closes.
  o.interval = std::clamp<std::chrono::milliseconds>(
      audit.batch_max_age / 2, std::chrono::milliseconds(250), std::chrono::milliseconds(5000));
  return o;
}

AuditSealer::AuditSealer(audit::AuditLog& log, keys::KeyStoreOptions keys,
                         ledger::OutboxStore* outbox, AuditSealerOptions options)
    : log_(log), keys_(std::move(keys)), outbox_(outbox), options_(options) {}

AuditSealer::~AuditSealer() { stop(); }

bool AuditSealer::sign(audit::AuditBatch& b, std::unique_ptr<keys::KeyStore>& store) {
  const auto failed = [&](const std::string& detail) {
    log::warn("audit.sign_failed", {{"batch", std::to_string(b.id)}, {"detail", detail}});
    return false;
  };
  if (!store) {
    auto opened = keys::open_key_store(keys_);
    if (!opened.ok()) return failed(opened.error().message());
    store = std::move(opened).value();
  }
  auto signature = store->sign_batch_root(std::span<const uint8_t, 32>(b.root));
  if (!signature.ok()) return failed(signature.error().message());
  if (Status s = log_.set_batch_signature(b.id, signature->der, keys_.kind); !s.ok())
    return failed(s.message());
  b.signature = std::move(signature->der);
  b.signer = keys_.kind;
  log::info("audit.batch_signed", {{"batch", std::to_string(b.id)},
                                   {"first_seq", std::to_string(b.first_seq)},
                                   {"last_seq", std::to_string(b.last_seq)},
                                   {"signer", keys_.kind}});
  return true;
}

Status AuditSealer::anchor(const audit::AuditBatch& b, int64_t now_ms, SealRound& round,
                           std::vector<ledger::OutboxStore::NewItem>& fresh, bool& open) {
  const ledger::consortium::AnchorInput input = anchor_of(b);
  const std::vector<uint8_t> key = ledger::anchor_key(input);
  auto item = outbox_->item_by_key(ledger::ItemKind::kAnchor, key);
  if (!item) return item.error();
  open = true;
  if (!item->has_value()) {
    auto body = ledger::encode_anchor_body(input);
    if (!body) return body.error();
    fresh.push_back({ledger::ItemKind::kAnchor, std::move(*body), key});
  } else if ((*item)->state == ItemState::kDone && (*item)->tx_hash) {
    const std::string tx = ledger::to_hex_0x(*(*item)->tx_hash);
    GW_RETURN_IF_ERROR(log_.set_batch_anchor(b.id, tx, now_ms));
    log::info("audit.batch_anchored", {{"batch", std::to_string(b.id)}, {"tx", tx}});
    ++round.anchored;
    open = false;
  } else if ((*item)->state == ItemState::kRefused || (*item)->state == ItemState::kFailed ||
             (*item)->state == ItemState::kDone) {
    // Final without a transaction: the outbox will not retry it; an operator
    // looks (gatewayctl ledger outbox --state failed) and requeues it.
    if (reported_.insert(b.id).second)
      log::warn("audit.anchor_failed",
                {{"batch", std::to_string(b.id)},
                 {"state", std::string(ledger::item_state_name((*item)->state))},
                 {"detail", (*item)->outcome}});
    ++round.failed;
  } else {
    reported_.erase(b.id);  // requeued: a new failure is reported again
    ++round.waiting;
  }
  return ok_status();
}

Result<SealRound> AuditSealer::run_once(int64_t now_ms) {
  SealRound round;
  GW_ASSIGN_OR_RETURN(round.closed, log_.close_batches(now_ms));
  if (!cursor_) {
    // With anchoring, the oldest pending batch is where work starts; without
    // it every signed batch stays "pending", so the first round reads them all.
    cursor_ = 0;
    if (outbox_ != nullptr) {
      GW_ASSIGN_OR_RETURN(auto pending, log_.pending_batches(1));
      if (!pending.empty()) cursor_ = pending.front().id - 1;
    }
  }
  std::unique_ptr<keys::KeyStore> store;  // opened for this round only if needed
  std::vector<ledger::OutboxStore::NewItem> fresh;
  std::optional<int64_t> first_open;  // lowest id still not done after this round
  int64_t after = *cursor_, last_seen = *cursor_;
  size_t work = 0;
  bool signing = true;
  while (work < options_.max_batches_per_round) {
    GW_ASSIGN_OR_RETURN(auto page, log_.batches(after, kPage));
    if (page.empty()) break;
    after = page.back().id;
    for (audit::AuditBatch& b : page) {
      if (work >= options_.max_batches_per_round) break;
      last_seen = b.id;
      bool open = false;
      if (b.signature.empty()) {
        ++work;
        // Oldest first: once one fails, later ones wait so that no unsigned
        // batch is ever older than a signed one.
        if (signing && sign(b, store)) {
          ++round.signed_;
        } else {
          signing = false;
          round.sign_failed = true;
          open = true;
        }
      }
      if (!open && outbox_ != nullptr && b.anchor_tx.empty()) {
        ++work;
        GW_RETURN_IF_ERROR(anchor(b, now_ms, round, fresh, open));
      }
      if (open && !first_open) first_open = b.id;
    }
  }
  store.reset();  // release the TPM before the outbox write
  if (!fresh.empty()) {
    GW_ASSIGN_OR_RETURN(auto seqs, outbox_->enqueue(fresh));
    round.enqueued = seqs.size();
    log::info("audit.anchors_queued", {{"count", std::to_string(seqs.size())}});
  }
  cursor_ = first_open ? *first_open - 1 : last_seen;
  return round;
}

Result<audit::PruneResult> AuditSealer::prune(int64_t now_ms) {
  const int64_t cutoff = now_ms - static_cast<int64_t>(options_.retention_days) * kDayMs;
  GW_ASSIGN_OR_RETURN(audit::PruneResult r, log_.prune_before(cutoff));
  if (r.entries_deleted > 0)
    log::info("audit.pruned", {{"entries", std::to_string(r.entries_deleted)},
                               {"through_seq", std::to_string(r.pruned_through_seq)}});
  return r;
}

void AuditSealer::start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable() || stopping_) return;
  thread_ = std::thread([this] { loop(); });
}

void AuditSealer::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void AuditSealer::loop() {
  std::optional<std::chrono::steady_clock::time_point> last_prune;
  for (bool first = true;; first = false) {
    bool stopping;
    {
      std::unique_lock lock(mu_);
      if (!first) cv_.wait_for(lock, options_.interval, [this] { return stopping_; });
      stopping = stopping_;
    }
    auto r = run_once(now_ms());
    if (!r) log::warn("audit.seal_failed", {{"detail", r.error().message()}});
    const auto now = std::chrono::steady_clock::now();
    if (!stopping && (!last_prune || now - *last_prune >= options_.prune_every)) {
      auto p = prune(now_ms());
      if (p) {
        last_prune = now;
      } else {
        log::warn("audit.prune_failed", {{"detail", p.error().message()}});
      }
    }
    if (stopping) return;
  }
}

}  // namespace gw::auditseal
