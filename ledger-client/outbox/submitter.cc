#include "ledger-client/outbox/submitter.h"

#include <algorithm>
#include <map>
#include <thread>

#include "gateway/base/clock.h"
#include "ledger-client/abi/abi_codec.h"
#include "ledger-client/abi/abi_event.h"
#include "ledger-client/consortium/events.h"
#include "ledger-client/outbox/item_codec.h"

namespace gw::ledger {
namespace {

Fees fees_of(const OutboxTx& tx) {
  Fees f;
  f.max_fee = Uint256::from_hex(tx.max_fee).value_or(Uint256());
  f.priority_fee = Uint256::from_hex(tx.priority_fee).value_or(Uint256());
  return f;
}

}  // namespace

struct Submitter::Built {
  std::vector<int64_t> seqs;
  std::optional<Address> to;
  std::vector<uint8_t> data;
  uint64_t gas_limit = 0;
};

Submitter::Submitter(OutboxStore& store, EthClient& eth, TxSigner& signer, SubmitterOptions options)
    : store_(store), eth_(eth), signer_(signer), options_(std::move(options)) {}

// ---------------------------------------------------------------- enqueueing

Result<std::vector<int64_t>> Submitter::enqueue_transfers(
    std::span<const consortium::TransferInput> transfers) {
  std::vector<OutboxStore::NewItem> items;
  items.reserve(transfers.size());
  for (const auto& t : transfers) {
    auto body = encode_transfer_body(t);
    if (!body) return body.error();
    items.push_back({ItemKind::kTransfer, std::move(*body), transfer_key(t)});
  }
  auto r = store_.enqueue(items);
  if (r) notify();
  return r;
}

Result<std::vector<int64_t>> Submitter::enqueue_anchors(
    std::span<const consortium::AnchorInput> anchors) {
  std::vector<OutboxStore::NewItem> items;
  for (const auto& a : anchors) {
    auto body = encode_anchor_body(a);
    if (!body) return body.error();
    items.push_back({ItemKind::kAnchor, std::move(*body), anchor_key(a)});
  }
  auto r = store_.enqueue(items);
  if (r) notify();
  return r;
}

Result<std::vector<int64_t>> Submitter::enqueue_grants(
    std::span<const consortium::GrantInput> grants) {
  std::vector<OutboxStore::NewItem> items;
  for (const auto& g : grants) {
    auto body = encode_grant_body(g);
    if (!body) return body.error();
    items.push_back({ItemKind::kConsentGrant, std::move(*body), {}});
  }
  auto r = store_.enqueue(items);
  if (r) notify();
  return r;
}

Result<int64_t> Submitter::enqueue_call(std::optional<Address> to, std::vector<uint8_t> data,
                                        std::vector<uint8_t> key) {
  std::vector<OutboxStore::NewItem> items;
  items.push_back({ItemKind::kCall, encode_call_body(to, data), std::move(key)});
  auto r = store_.enqueue(items);
  if (!r) return r.error();
  notify();
  return r->front();
}

void Submitter::notify() {
  {
    std::lock_guard lock(wake_mu_);
    woken_ = true;
  }
  wake_.notify_all();
}

// ------------------------------------------------------------------ driving

Status Submitter::start() {
  std::lock_guard lock(step_mu_);
  auto chain = eth_.chain_id();
  if (!chain) return chain.error().to_status();
  chain_id_ = *chain;
  GW_RETURN_IF_ERROR(store_.bind(chain_id_, signer_.address()));
  started_ = true;
  return reconcile();
}

Status Submitter::reconcile() {
  auto mined = eth_.transaction_count(signer_.address(), BlockRef{std::nullopt, BlockTag::kLatest});
  if (!mined) return mined.error().to_status();
  auto pending =
      eth_.transaction_count(signer_.address(), BlockRef{std::nullopt, BlockTag::kPending});
  if (!pending) return pending.error().to_status();
  // Every stored transaction at or above the chain's mined count is not in a
  // block the node knows: it never arrived, the node forgot it, or the chain
  // went back to an older state. Send the same signed bytes again.
  auto lost = store_.txs_from_nonce(*mined);
  if (!lost) return lost.error();
  for (const OutboxTx& tx : *lost) {
    if (tx.state != TxState::kPending || tx.sent_ms != 0) {
      GW_RETURN_IF_ERROR(store_.reopen_tx(tx.id, /*resend=*/true));
    }
  }
  auto next = store_.next_nonce();
  if (!next) return next.error();
  if (*pending > *next) {
    // Nonces used outside this outbox (another writer with our key, or a lost
    // outbox file): never reuse them.
    GW_RETURN_IF_ERROR(store_.set_next_nonce(*pending));
  }
  needs_reconcile_ = false;
  last_reconcile_ = std::chrono::steady_clock::now();
  return ok_status();
}

Result<StepReport> Submitter::step() {
  std::lock_guard lock(step_mu_);
  if (!started_) return failed_precondition_error("the ledger submitter was not started");
  StepReport report;
  auto head = eth_.block_number();
  if (!head) {
    needs_reconcile_ = true;
    return head.error().to_status();
  }
  // A head that went backwards is a chain that lost blocks (a node restored
  // from an older state, a test chain reset): what we saw mined may be gone.
  if (last_head_ && *head < *last_head_) needs_reconcile_ = true;
  last_head_ = *head;
  if (needs_reconcile_ ||
      std::chrono::steady_clock::now() - last_reconcile_ > std::chrono::seconds(60)) {
    GW_RETURN_IF_ERROR(reconcile());
  }
  if (auto s = poll_open(*head, report); !s.ok()) {
    needs_reconcile_ = true;
    return s;
  }
  if (auto s = send_pending(report); !s.ok()) {
    needs_reconcile_ = true;
    return s;
  }
  if (auto s = build_new(report); !s.ok()) {
    needs_reconcile_ = true;
    return s;
  }
  return report;
}

Status Submitter::poll_open(uint64_t head, StepReport& report) {
  auto open = store_.open_txs();
  if (!open) return open.error();
  if (open->empty()) return ok_status();
  std::vector<Hash256> hashes;
  std::vector<int64_t> owner;
  for (const OutboxTx& tx : *open) {
    auto hs = store_.hashes_of_tx(tx.id);
    if (!hs) return hs.error();
    for (const Hash256& h : *hs) {
      hashes.push_back(h);
      owner.push_back(tx.id);
    }
  }
  auto receipts = eth_.transaction_receipts(hashes);
  std::map<int64_t, const Receipt*> found;
  for (size_t i = 0; i < receipts.size(); ++i) {
    if (!receipts[i]) return receipts[i].error().to_status();
    if (receipts[i]->has_value()) found[owner[i]] = &**receipts[i];
  }
  std::optional<uint64_t> mined_count;
  for (const OutboxTx& tx : *open) {
    auto it = found.find(tx.id);
    if (it == found.end()) {
      if (tx.state == TxState::kMined) {
        // Its block is no longer canonical: back to the pool it goes.
        GW_RETURN_IF_ERROR(store_.reopen_tx(tx.id, /*resend=*/true));
        ++report.reorged;
        continue;
      }
      // Not mined. If the chain's nonce already passed it, a transaction we
      // did not sign took the nonce: its items go back to the queue.
      if (tx.sent_ms != 0 && now_ms() - tx.sent_ms > options_.resubmit_after.count() / 2) {
        if (!mined_count) {
          auto c = eth_.transaction_count(signer_.address(), BlockRef{});
          if (!c) return c.error().to_status();
          mined_count = *c;
        }
        if (tx.nonce < *mined_count) {
          // Ask once more: it may have been mined between the two queries.
          auto hs = store_.hashes_of_tx(tx.id);
          if (!hs) return hs.error();
          bool mined_meanwhile = false;
          for (auto& r : eth_.transaction_receipts(*hs)) {
            if (!r) return r.error().to_status();
            mined_meanwhile = mined_meanwhile || r->has_value();
          }
          if (mined_meanwhile) continue;  // next round reads its receipt
          GW_RETURN_IF_ERROR(store_.mark_dropped(tx.id));
          GW_RETURN_IF_ERROR(store_.requeue_items_of_tx(tx.id, false));
        }
      }
      continue;
    }
    const Receipt& r = *it->second;
    if (tx.state != TxState::kMined || tx.block_hash != r.block_hash) {
      if (auto s =
              store_.mark_mined(tx.id, r.transaction_hash, r.block_number, r.block_hash, r.success);
          !s.ok()) {
        return s;
      }
    }
    uint64_t depth = head >= r.block_number ? head - r.block_number + 1 : 0;
    if (depth >= std::max<uint32_t>(options_.confirmations, 1)) {
      GW_RETURN_IF_ERROR(finalize(tx, r));
      ++report.finalized;
      auto n = store_.items_of_tx(tx.id);
      if (n) report.items_final += n->size();
    }
  }
  return ok_status();
}

Status Submitter::finalize(const OutboxTx& tx, const Receipt& receipt) {
  auto items = store_.items_of_tx(tx.id);
  if (!items) return items.error();
  if (!receipt.success) {
    // The whole batch reverted (state changed between estimate and inclusion,
    // or out of gas). Its items are tried again; an item that keeps reverting
    // is failed by the estimate in build_for, or after max_attempts.
    GW_RETURN_IF_ERROR(store_.requeue_items_of_tx(tx.id, true));
    for (const OutboxItem& it : *items) {
      if (it.state == ItemState::kSubmitted && it.attempts + 1 >= options_.max_attempts) {
        if (auto s = store_.fail_item(
                it.seq, "its transaction reverted " + std::to_string(it.attempts + 1) + " times");
            !s.ok()) {
          return s;
        }
      }
    }
    return store_.mark_final(tx.id);
  }
  ItemOutcomes outcomes = read_outcomes(tx.kind, receipt, signer_.address(), target_of(tx.kind));
  std::vector<OutboxStore::ItemFinal> finals;
  finals.reserve(items->size());
  for (const OutboxItem& it : *items) {
    if (it.state != ItemState::kSubmitted) continue;
    ItemOutcome o = outcome_for(it, outcomes);
    finals.push_back({it.seq, o.state, std::move(o.note)});
  }
  return store_.finalize_tx(tx.id, finals, receipt.block_number, receipt.transaction_hash,
                            receipt.contract_address);
}

Status Submitter::send_pending(StepReport& report) {
  auto open = store_.open_txs();
  if (!open) return open.error();
  std::vector<const OutboxTx*> to_send;
  std::vector<OutboxTx> replacements;
  std::optional<Fees> current;
  const int64_t now = now_ms();
  for (const OutboxTx& tx : *open) {
    if (tx.state != TxState::kPending) continue;
    if (tx.sent_ms == 0) {
      to_send.push_back(&tx);
      continue;
    }
    if (now - tx.sent_ms < options_.resubmit_after.count()) continue;
    // Stuck: replace it at the same nonce with higher fees.
    if (!current) {
      auto f = estimate_fees(eth_, options_.fees);
      if (!f) return f.error().to_status();
      current = *f;
    }
    auto decoded = decode_raw(tx.raw);
    if (!decoded)
      return decoded.error().with_context("outbox transaction " + std::to_string(tx.id));
    Fees old = fees_of(tx);
    old.legacy = std::holds_alternative<LegacyTx>(decoded->tx);
    auto bumped = bumped_fees(old, *current, options_.fee_bump_percent, options_.fees.max_fee_cap);
    if (!bumped) {
      to_send.push_back(&tx);  // at the cap: keep offering the same bytes
      continue;
    }
    Result<std::vector<uint8_t>> raw = internal_error("not signed");
    if (auto* t = std::get_if<Eip1559Tx>(&decoded->tx)) {
      t->max_fee_per_gas = bumped->max_fee;
      t->max_priority_fee_per_gas = bumped->priority_fee;
      raw = signer_.sign(*t);
    } else {
      auto& l = std::get<LegacyTx>(decoded->tx);
      l.gas_price = bumped->max_fee;
      raw = signer_.sign(l);
    }
    if (!raw) return raw.error();
    Hash256 hash = transaction_hash(*raw);
    if (auto s = store_.replace_tx(tx.id, *raw, hash, bumped->max_fee.to_hex(),
                                   bumped->priority_fee.to_hex(), now);
        !s.ok()) {
      return s;
    }
    OutboxTx r = tx;
    r.raw = std::move(*raw);
    r.hash = hash;
    replacements.push_back(std::move(r));
    ++report.replaced;
  }
  for (const OutboxTx& r : replacements) to_send.push_back(&r);
  if (to_send.empty()) return ok_status();
  std::vector<std::vector<uint8_t>> raws;
  for (const OutboxTx* tx : to_send) raws.push_back(tx->raw);
  auto results = eth_.send_raw_transactions(raws);
  for (size_t i = 0; i < results.size(); ++i) {
    const OutboxTx& tx = *to_send[i];
    if (results[i] || is_already_known(results[i].error())) {
      GW_RETURN_IF_ERROR(store_.mark_sent(tx.id, now));
      ++report.rebroadcast;
      continue;
    }
    const RpcFailure& f = results[i].error();
    if (f.transient()) return f.to_status();
    if (is_nonce_too_low(f)) {
      // Mined already (its receipt shows next round) or taken by another
      // transaction (poll_open drops it): either way, nothing to send.
      GW_RETURN_IF_ERROR(store_.mark_sent(tx.id, now));
      needs_reconcile_ = true;
      continue;
    }
    if (is_underpriced(f)) {
      // An older version is in the pool at a price we cannot beat yet: let the
      // bump timer run from now.
      GW_RETURN_IF_ERROR(store_.mark_sent(tx.id, now));
      continue;
    }
    return failed_precondition_error("the ledger node refused transaction nonce " +
                                     std::to_string(tx.nonce) + ": " + f.describe());
  }
  return ok_status();
}

std::optional<Address> Submitter::target_of(ItemKind kind) const {
  switch (kind) {
    case ItemKind::kTransfer:
      return options_.contracts.transfers;
    case ItemKind::kAnchor:
      return options_.contracts.anchors;
    case ItemKind::kConsentGrant:
      return options_.contracts.consents;
    case ItemKind::kCall:
      return std::nullopt;
  }
  return std::nullopt;
}

Status Submitter::build_new(StepReport& report) {
  auto counts = store_.open_counts();
  if (!counts) return counts.error();
  if (counts->queued == 0) return ok_status();
  size_t in_flight = static_cast<size_t>(counts->pending_txs);
  if (in_flight >= options_.max_in_flight) return ok_status();
  auto kinds = store_.queued_kinds();
  if (!kinds) return kinds.error();
  // Never have more gas in flight than one block holds: what does not fit
  // waits in the node's pool for the next block, and a node that mines only
  // when transactions arrive (anvil's automine) would leave it there.
  auto head = eth_.block(BlockRef{});
  if (!head) return head.error().to_status();
  uint64_t gas_room = head->has_value() ? (*head)->gas_limit : 0;
  auto open = store_.open_txs();
  if (!open) return open.error();
  for (const OutboxTx& tx : *open) {
    if (tx.state == TxState::kPending) gas_room -= std::min(gas_room, tx.gas_limit);
  }
  std::optional<Fees> fees;
  std::vector<OutboxTx> fresh;
  for (ItemKind kind : *kinds) {
    std::optional<double> gas_per_item;
    size_t per_tx = kind == ItemKind::kTransfer       ? options_.max_transfers_per_tx
                    : kind == ItemKind::kAnchor       ? options_.max_anchors_per_tx
                    : kind == ItemKind::kConsentGrant ? options_.max_grants_per_tx
                                                      : 1;
    while (in_flight < options_.max_in_flight) {
      auto items = store_.queued(kind, std::max<size_t>(per_tx, 1));
      if (!items) return items.error();
      if (items->empty()) break;
      auto built = build_for(kind, std::move(*items), gas_per_item);
      if (!built) return built.error();
      if (!built->has_value()) continue;  // an item failed on its own; try the rest
      if ((*built)->gas_limit > gas_room && !fresh.empty()) break;  // next round
      gas_room -= std::min(gas_room, (*built)->gas_limit);
      if (!fees) {
        auto f = estimate_fees(eth_, options_.fees);
        if (!f) return f.error().to_status();
        fees = *f;
      }
      auto nonce = store_.next_nonce();
      if (!nonce) return nonce.error();
      const Built& b = **built;
      auto tx = sign_tx(*nonce, kind, b.to, b.data, b.gas_limit, *fees);
      if (!tx) return tx.error();
      auto id = store_.add_tx(*tx, b.seqs);  // durable before it leaves
      if (!id) return id.error();
      tx->id = *id;
      fresh.push_back(std::move(*tx));
      ++in_flight;
    }
  }
  if (fresh.empty()) return ok_status();
  std::vector<std::vector<uint8_t>> raws;
  for (const OutboxTx& tx : fresh) raws.push_back(tx.raw);
  auto results = eth_.send_raw_transactions(raws);
  std::vector<int64_t> accepted;
  Status outcome = ok_status();
  for (size_t i = 0; i < results.size(); ++i) {
    if (results[i] || is_already_known(results[i].error())) {
      accepted.push_back(fresh[i].id);
      ++report.sent;
    } else if (results[i].error().transient()) {
      outcome = results[i].error().to_status();  // stays unsent; re-broadcast next round
      break;
    } else {
      needs_reconcile_ = true;
      outcome = results[i].error().to_status().with_context(
          "the ledger node refused a new transaction (nonce " + std::to_string(fresh[i].nonce) +
          ")");
      break;
    }
  }
  GW_RETURN_IF_ERROR(store_.mark_sent(accepted, now_ms()));
  return outcome;
}

Result<std::optional<Submitter::Built>> Submitter::build_for(ItemKind kind,
                                                             std::vector<OutboxItem> items,
                                                             std::optional<double>& gas_per_item) {
  // Estimate the whole batch; if it reverts, halve until the items that
  // revert on their own are found and failed with their reason.
  while (!items.empty()) {
    Built b;
    auto call = batch_call(kind, items, target_of(kind));
    if (!call) return call.error();
    b.to = call->to;
    b.data = std::move(call->data);
    if (gas_per_item && kind != ItemKind::kCall) {
      for (const OutboxItem& it : items) b.seqs.push_back(it.seq);
      double gas = *gas_per_item * static_cast<double>(items.size());
      b.gas_limit = static_cast<uint64_t>(gas * options_.gas_margin) + 40000;
      return std::optional<Built>(std::move(b));
    }
    CallRequest req;
    req.from = signer_.address();
    req.to = b.to;
    req.data = b.data;
    auto gas = eth_.estimate_gas(req, BlockRef{std::nullopt, BlockTag::kPending});
    if (gas) {
      for (const OutboxItem& it : items) b.seqs.push_back(it.seq);
      b.gas_limit = static_cast<uint64_t>(static_cast<double>(*gas) * options_.gas_margin) + 20000;
      gas_per_item = static_cast<double>(*gas) / static_cast<double>(items.size());
      return std::optional<Built>(std::move(b));
    }
    const RpcFailure& f = gas.error();
    if (f.kind != RpcFailure::Kind::kRpcError) return f.to_status();
    RevertReason why = decode_revert(f.data, consortium::custom_errors());
    // Batched items from an account that is not (yet, or any more) an active
    // member wait for governance; a lone call fails with the reason.
    if (kind != ItemKind::kCall && why.kind == RevertReason::Kind::kCustom &&
        why.error_signature.rfind("NotActiveMember(", 0) == 0) {
      return failed_precondition_error(
          "the ledger account " + to_checksum_hex(signer_.address()) +
          " is not an active consortium member; items stay queued until it is");
    }
    if (items.size() == 1) {
      std::string reason = f.data.empty() && why.kind == RevertReason::Kind::kEmpty
                               ? f.describe()
                               : "reverts: " + revert_text(why);
      GW_RETURN_IF_ERROR(store_.fail_item(items.front().seq, reason));
      return std::optional<Built>();
    }
    items.resize(items.size() / 2);
  }
  return std::optional<Built>();
}

Result<OutboxTx> Submitter::sign_tx(uint64_t nonce, ItemKind kind, const std::optional<Address>& to,
                                    const std::vector<uint8_t>& data, uint64_t gas_limit,
                                    const Fees& fees) {
  OutboxTx tx;
  tx.nonce = nonce;
  tx.kind = kind;
  tx.gas_limit = gas_limit;
  tx.signed_ms = now_ms();
  tx.max_fee = fees.max_fee.to_hex();
  tx.priority_fee = fees.priority_fee.to_hex();
  Result<std::vector<uint8_t>> raw = internal_error("not signed");
  if (fees.legacy) {
    LegacyTx t;
    t.nonce = nonce;
    t.gas_price = fees.max_fee;
    t.gas_limit = gas_limit;
    t.to = to;
    t.data = data;
    t.chain_id = chain_id_;
    raw = signer_.sign(t);
  } else {
    Eip1559Tx t;
    t.chain_id = chain_id_;
    t.nonce = nonce;
    t.max_priority_fee_per_gas = fees.priority_fee;
    t.max_fee_per_gas = fees.max_fee;
    t.gas_limit = gas_limit;
    t.to = to;
    t.data = data;
    raw = signer_.sign(t);
  }
  if (!raw) return raw.error();
  tx.hash = transaction_hash(*raw);
  tx.raw = std::move(*raw);
  return tx;
}

Status Submitter::drain(std::chrono::milliseconds timeout, std::chrono::milliseconds idle_sleep) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string last_error;
  for (;;) {
    // At least one round, so that a drain also notices a chain that lost
    // what the outbox thinks is final.
    auto r = step();
    if (!r) last_error = r.error().message();
    auto counts = store_.open_counts();
    if (!counts) return counts.error();
    if (r && counts->queued == 0 && counts->submitted == 0 && counts->pending_txs == 0) {
      return ok_status();
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return deadline_exceeded_error(
          "the ledger outbox did not drain in time: " + std::to_string(counts->queued) +
          " queued, " + std::to_string(counts->submitted) + " submitted" +
          (last_error.empty() ? "" : "; last error: " + last_error));
    }
    if (!r || !r->progressed()) std::this_thread::sleep_for(idle_sleep);
  }
}

void Submitter::run(const std::atomic<bool>& stop, std::chrono::milliseconds poll,
                    const std::function<void(const std::string&)>& on_error) {
  std::chrono::milliseconds backoff = poll;
  auto last_prune = std::chrono::steady_clock::now() - std::chrono::hours(2);
  while (!stop.load()) {
    if (options_.retention.count() > 0 &&
        std::chrono::steady_clock::now() - last_prune > std::chrono::hours(1)) {
      last_prune = std::chrono::steady_clock::now();
      auto cutoff =
          now_ms() -
          std::chrono::duration_cast<std::chrono::milliseconds>(options_.retention).count();
      if (auto pruned = store_.prune(cutoff); !pruned) on_error(pruned.error().message());
    }
    Status st = ok_status();
    bool progressed = false;
    if (!started_) {
      st = start();
    } else {
      auto r = step();
      if (r) {
        progressed = r->progressed();
      } else {
        st = r.error();
      }
    }
    std::chrono::milliseconds wait = poll;
    if (!st.ok()) {
      on_error(st.message());
      wait = backoff;
      backoff = std::min(backoff * 2, std::chrono::milliseconds(30000));
    } else {
      backoff = poll;
      if (progressed) continue;
    }
    std::unique_lock lock(wake_mu_);
    wake_.wait_for(lock, wait, [&] { return woken_ || stop.load(); });
    woken_ = false;
  }
}

}  // namespace gw::ledger
