// The ledger outbox's durable state, in one SQLite file: what the gateway
// asked to put on chain (items), the transactions that carry them (with every
// signed version, so a fee-bumped replacement and its original are both
// recognised), and the account's next nonce. Every change is one SQLite
// transaction with synchronous=FULL: an item acknowledged by enqueue() and a
// transaction persisted before it is broadcast survive a crash or power loss,
// which is what lets the submitter resend the very same signed bytes after a
// restart instead of guessing.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "gateway/base/status.h"
#include "ledger-client/keccak/keccak.h"

namespace gw::ledger {

using Address = std::array<uint8_t, 20>;

// What an item asks the ledger to do. Transfers, anchors and consent grants
// are batched (recordTransfers, anchorBatch, grantBatch); calls go alone.
enum class ItemKind : int { kTransfer = 1, kAnchor = 2, kConsentGrant = 3, kCall = 4 };

enum class ItemState : int {
  kQueued = 0,     // waiting for a transaction
  kSubmitted = 1,  // in a transaction not yet final
  kDone = 2,       // final: on chain (or already was: repeated transfer ids are no-ops)
  kRefused = 3,    // final: the contract declined it (e.g. no consent); outcome names why
  kFailed = 4,     // final: reverts on its own; outcome holds the revert reason
};
std::string_view item_state_name(ItemState state);
std::string_view item_kind_name(ItemKind kind);  // "transfer", "anchor", "grant", "call"

enum class TxState : int {
  kPending = 0,  // signed and persisted; broadcast or to be (re)broadcast
  kMined = 1,    // in a block, waiting for confirmations
  kFinal = 2,    // confirmed; its items have their outcomes
  kDropped = 3,  // its nonce was taken by a transaction we did not sign
};

struct OutboxItem {
  int64_t seq = 0;
  ItemKind kind = ItemKind::kCall;
  std::vector<uint8_t> body;  // transfer/anchor/grant: ABI tuple encoding; call: see CallBody
  std::vector<uint8_t> key;   // caller's idempotency key (unique per kind), may be empty
  ItemState state = ItemState::kQueued;
  std::optional<int64_t> tx_id;
  std::string outcome;  // refused/failed: why; done: "" or a note ("already recorded")
  int attempts = 0;     // transactions that carried it and reverted as a whole
  std::optional<uint64_t> block_number;
  std::optional<Hash256> tx_hash;           // the version that was mined
  std::optional<Address> contract_address;  // a call that created a contract
};

struct OutboxTx {
  int64_t id = 0;
  uint64_t nonce = 0;
  ItemKind kind = ItemKind::kCall;
  std::vector<uint8_t> raw;  // the latest signed version
  Hash256 hash{};            // its hash
  std::string max_fee;       // hex quantities of the latest version (gas price for legacy)
  std::string priority_fee;
  uint64_t gas_limit = 0;
  TxState state = TxState::kPending;
  int64_t sent_ms = 0;    // when the latest version was last accepted by the node; 0: not yet
  int64_t signed_ms = 0;  // when the latest version was signed
  std::optional<uint64_t> block_number;
  std::optional<Hash256> block_hash;
  std::optional<Hash256> mined_hash;  // which version was mined
  bool success = false;
};

struct OutboxCounts {
  int64_t queued = 0, submitted = 0, done = 0, refused = 0, failed = 0;
  int64_t pending_txs = 0;  // not final
  // When the oldest queued or submitted item was enqueued (Unix ms); 0 when
  // none is open. Its age is how far the ledger lags behind the gateway.
  int64_t oldest_open_ms = 0;
};

class OutboxStore {
 public:
  // Opens or creates the outbox file (mode 0600). Refuses a file of another schema.
  static Result<std::unique_ptr<OutboxStore>> open(const std::string& path);
  ~OutboxStore();
  OutboxStore(const OutboxStore&) = delete;
  OutboxStore& operator=(const OutboxStore&) = delete;

  // --- items ---
  struct NewItem {
    ItemKind kind;
    std::vector<uint8_t> body;
    std::vector<uint8_t> key;
  };
  // Appends items in one transaction and returns their sequence numbers. An
  // item whose (kind, key) is already in the outbox is not added again: its
  // existing sequence number is returned (enqueueing is idempotent).
  Result<std::vector<int64_t>> enqueue(const std::vector<NewItem>& items);
  Result<std::optional<OutboxItem>> item(int64_t seq);
  Result<std::optional<OutboxItem>> item_by_key(ItemKind kind, const std::vector<uint8_t>& key);
  // Oldest queued items of one kind (at most `limit`).
  Result<std::vector<OutboxItem>> queued(ItemKind kind, size_t limit);
  // Kinds that have queued items, oldest first by their oldest item.
  Result<std::vector<ItemKind>> queued_kinds();
  Result<std::vector<OutboxItem>> items_of_tx(int64_t tx_id);
  // Every count, for operators (status, stats, metrics): it counts the whole
  // history kept for outbox_retention_days, ≈ 20 ms per 500,000 final items.
  Result<OutboxCounts> counts();
  // Only the open work (queued, submitted, pending_txs; the rest left 0):
  // what the submitter reads every step, at a cost that does not grow with
  // the history.
  Result<OutboxCounts> open_counts();
  // Final outcome of one item.
  Status finish_item(int64_t seq, ItemState state, const std::string& outcome,
                     std::optional<uint64_t> block, std::optional<Hash256> tx_hash,
                     std::optional<Address> contract_address);
  // The outcomes of all items of a confirmed transaction and the transaction's
  // own final state, in one SQLite transaction (one fsync, not one per item).
  struct ItemFinal {
    int64_t seq = 0;
    ItemState state = ItemState::kDone;
    std::string outcome;
  };
  Status finalize_tx(int64_t tx_id, const std::vector<ItemFinal>& finals, uint64_t block,
                     const Hash256& tx_hash, std::optional<Address> contract_address);
  // Puts a transaction's unfinished items back in the queue (its batch reverted or
  // was dropped); `count_attempt` adds one to their attempts.
  Status requeue_items_of_tx(int64_t tx_id, bool count_attempt);
  // Marks one item failed without a transaction (it reverts on its own).
  Status fail_item(int64_t seq, const std::string& outcome);
  // The operator's retry: puts failed items (all, or the one numbered `seq`)
  // back in the queue with their outcome and attempts cleared; returns how many.
  // Refused items stay: the contract decided (e.g. no consent), and a retry is
  // a new request. Idempotent keys are kept, so nothing is sent twice.
  Result<int64_t> requeue_failed(std::optional<int64_t> seq);
  // The newest items first (at most `limit`), optionally of one state and kind.
  Result<std::vector<OutboxItem>> latest(std::optional<ItemState> state,
                                         std::optional<ItemKind> kind, size_t limit);

  // Deletes transfers, anchors and grants that reached a final outcome before
  // `cutoff_ms` (Unix ms), and the final transactions left without items; returns
  // how many items went. Calls (deployments, governance) are kept: their keys
  // make deployments idempotent. A pruned transfer id enqueued again is sent
  // again, and the contract records it as a no-op ("already recorded").
  Result<int64_t> prune(int64_t cutoff_ms);

  // --- transactions ---
  // Persists a newly signed transaction carrying `item_seqs` at the stored next
  // nonce, marks the items submitted and advances the next nonce: one SQLite
  // transaction. `tx.nonce` must equal next_nonce().
  Result<int64_t> add_tx(const OutboxTx& tx, const std::vector<int64_t>& item_seqs);
  // A replacement (same nonce, higher fees): becomes the latest version; the
  // old hash stays known.
  Status replace_tx(int64_t id, const std::vector<uint8_t>& raw, const Hash256& hash,
                    const std::string& max_fee, const std::string& priority_fee, int64_t now_ms);
  Status mark_sent(int64_t id, int64_t now_ms);
  Status mark_sent(const std::vector<int64_t>& ids, int64_t now_ms);  // one SQLite transaction
  Status mark_mined(int64_t id, const Hash256& mined_hash, uint64_t block,
                    const Hash256& block_hash, bool success);
  Status mark_final(int64_t id);
  // Back to pending (its block was reorganised away, or the chain lost it):
  // items of a final transaction go back to submitted.
  Status reopen_tx(int64_t id, bool resend);
  Status mark_dropped(int64_t id);
  Result<std::vector<OutboxTx>> open_txs();  // pending or mined, by nonce
  // Every transaction with nonce >= `nonce` that is not dropped (after a chain
  // reset these must be sent again).
  Result<std::vector<OutboxTx>> txs_from_nonce(uint64_t nonce);
  Result<std::vector<Hash256>> hashes_of_tx(int64_t id);

  // --- account ---
  Result<uint64_t> next_nonce();
  Status set_next_nonce(uint64_t nonce);
  // The chain id and account this outbox belongs to; bound on first use so an
  // outbox can never be drained to another chain or signed by another key.
  Status bind(uint64_t chain_id, const Address& sender);

 private:
  OutboxStore() = default;
  Result<OutboxCounts> count(bool open_only);
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gw::ledger
