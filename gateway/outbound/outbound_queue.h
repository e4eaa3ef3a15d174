// The outbound queue: what gatewayd still has to forward to each destination
// (a FHIR server, an MLLP receiver), in one SQLite file beside the message
// store (<state_dir>/outbound.db, mode 0600). It holds references, never
// content: an item names the stored message (its id in messages.db and its
// MSH-10) and the destination; the sender reads the message from the store,
// where it is encrypted, when it sends it. So the queue holds no PHI and
// needs no key of its own.
//
// Why an acknowledged message is always either forwarded or still queued,
// across SIGKILL and power loss: the queue is derived from the store, not
// written beside the acknowledgement. The store commits a message (fsync)
// before its ACK leaves; the queue keeps a cursor, the highest message id it
// has looked at, and enqueue() writes the new items and moves the cursor in
// ONE SQLite transaction (synchronous=FULL). After any crash, every stored
// message is therefore either at or below the cursor, and then its items are
// in this file, or above it, and then the feeder enqueues it again on the next
// start. Message ids only grow (AUTOINCREMENT, see store/schema.cc), so
// "above the cursor" is exactly "not yet looked at". The alternative,
// writing the item before the ACK, would put a second fsync on the
// acknowledgement path (or the queue inside the message store's transaction),
// which is what this design keeps off it.
//
// An item leaves the queue when its destination confirmed it (complete());
// one the destination refused for good is kept as a dead letter (state
// kDead) until an operator requeues it (requeue_dead, `gatewayctl outbound
// retry`); transient failures stay queued with a later next_attempt_ms.
//
// Thread-safe: one connection behind a mutex; every change is one transaction.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gateway/base/status.h"

namespace gw::outbound {

enum class ItemState : int { kQueued = 0, kDead = 1 };
const char* item_state_name(ItemState s);  // "queued", "dead"

struct QueueItem {
  int64_t seq = 0;  // queue order; per destination, items are sent in seq order
  std::string destination;
  int64_t message_id = 0;  // the message's id in the message store
  std::string control_id;  // its MSH-10 (for operators and the MLLP ACK check)
  ItemState state = ItemState::kQueued;
  int attempts = 0;             // failed attempts so far
  int64_t next_attempt_ms = 0;  // Unix ms; 0 = now
  int64_t enqueued_ms = 0;      // Unix ms
  std::string last_error;       // the last failure (fixed texts and codes, no content)
};

struct NewItem {
  std::string destination;
  int64_t message_id = 0;
  std::string control_id;
};

// Per destination: what is waiting and what happened so far (the counters
// are kept in the file, so they survive restarts).
struct DestinationCounts {
  std::string destination;
  int64_t queued = 0, dead = 0;
  int64_t sent = 0;              // confirmed by the destination
  int64_t skipped = 0;           // nothing to forward (e.g. a message type stored without records)
  int64_t retried = 0;           // failed attempts that were scheduled again
  int64_t oldest_queued_ms = 0;  // enqueue time of the oldest queued item; 0 when none
};

class OutboundQueue {
 public:
  // Opens or creates the file (mode 0600). A new file starts with its cursor
  // at `initial_cursor` (gatewayd passes the store's last message id, so
  // forwarding starts with the messages accepted after it was configured).
  // Refuses a file of another schema.
  static Result<std::unique_ptr<OutboundQueue>> open(const std::string& path,
                                                     int64_t initial_cursor = 0);
  // The same, with the initial cursor computed only when the file is new
  // (reading it may cost a walk over the store).
  static Result<std::unique_ptr<OutboundQueue>> open(
      const std::string& path, const std::function<Result<int64_t>()>& initial_cursor);
  ~OutboundQueue();
  OutboundQueue(const OutboundQueue&) = delete;
  OutboundQueue& operator=(const OutboundQueue&) = delete;

  // The highest message id already looked at.
  Result<int64_t> cursor();
  // Adds the items and sets the cursor to `new_cursor`, in one transaction.
  // An item whose (destination, message_id) is already queued is not added
  // again. `new_cursor` must not be below the current cursor.
  Status enqueue(const std::vector<NewItem>& items, int64_t new_cursor);

  // The oldest queued item of `destination`, whatever its next_attempt_ms.
  Result<std::optional<QueueItem>> head(const std::string& destination);
  // The destination confirmed it (or there was nothing to send: skipped):
  // removed, and the destination's counter moves.
  Status complete(int64_t seq, bool skipped = false);
  // A transient failure: attempts + 1, tried again at next_attempt_ms.
  Status retry_later(int64_t seq, const std::string& error, int64_t next_attempt_ms);
  // A permanent failure: kept as a dead letter, not sent again until requeued.
  Status dead_letter(int64_t seq, const std::string& error);
  // Puts dead letters back in the queue (all, those of one destination, or
  // the one numbered `seq`) with attempts cleared; they keep their place
  // (seq), so they go before what was queued after them. Returns how many.
  Result<int64_t> requeue_dead(const std::optional<std::string>& destination,
                               std::optional<int64_t> seq);

  Result<std::vector<DestinationCounts>> counts();
  // Items in seq order (at most `limit`), optionally of one state.
  Result<std::vector<QueueItem>> list(std::optional<ItemState> state, size_t limit);

 private:
  OutboundQueue() = default;
  class Impl;
  std::unique_ptr<Impl> impl_;
};

// Capped exponential backoff: the delay before the next attempt after
// `attempts` failed ones (attempts >= 1): initial, 2 x initial, 4 x ...,
// never more than `max`.
int64_t backoff_ms(int attempts, int64_t initial_ms, int64_t max_ms);

}  // namespace gw::outbound
