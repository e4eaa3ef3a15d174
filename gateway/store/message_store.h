// Durable store of inbound messages: SQLite in WAL mode with synchronous=FULL,
// written by one committer thread that groups every pending submission into a
// single transaction (group commit), so concurrent connections share fsyncs.
//
// Contract: a submission's callback runs only after its transaction has been
// committed (or has failed). A caller acknowledges a message positively only
// from a kStored or kDuplicate result.
//
// Duplicates: an *accepted* message is identified by (sender, control_id)
// (MSH-3^MSH-4 and MSH-10). Submitting an accepted message whose key is
// already stored stores nothing and returns kDuplicate with the
// acknowledgement stored the first time, so a resend gets the same answer.
// Rejected messages are kept for operators (error queue) but never
// deduplicated: a sender may fix a message and resend it with the same id.
// An accepted message with an empty control_id is stored without duplicate
// detection (there is no key to detect it by). Duplicates are compared by the
// SHA-256 of the raw bytes (content_differs).
//
// Failure: if a group's transaction fails (disk full, I/O error, database
// locked beyond busy_timeout), it is rolled back and every submission in that
// group completes with kFailed; the store stays usable and the next group is
// tried afresh. Nothing is retried automatically: the sender resends (and a
// resend of a message that did reach the disk is then a kDuplicate).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace gw::store {

enum class MessageStatus { kAccepted, kRejected };
const char* to_string(MessageStatus s);

struct InboundMessage {
  std::string channel;       // channel name from configuration
  std::string sender;        // canonical sender key (MSH-3 "|" MSH-4), may be empty if unparseable
  std::string control_id;    // MSH-10, may be empty if unparseable
  std::string message_type;  // e.g. "ADT^A01", may be empty
  std::string peer;          // remote address, for operators
  MessageStatus status = MessageStatus::kAccepted;
  std::string error;           // for rejected: summary without PHI (codes and locations only)
  std::string raw;             // the message as received (PHI; encrypted at rest in a later issue)
  std::string ack;             // acknowledgement to send (stored so resends get the same one)
  int64_t received_at_ms = 0;  // Unix epoch milliseconds
};

struct CommitResult {
  enum class Kind { kStored, kDuplicate, kFailed };
  Kind kind = Kind::kFailed;
  int64_t id = 0;                // row id of the stored (or original, for duplicates) message
  std::string ack;               // for kDuplicate: the stored acknowledgement
  bool content_differs = false;  // kDuplicate with different bytes than the original
  std::string error;             // kFailed: what went wrong (no PHI)
};

using CommitCallback = std::function<void(CommitResult)>;

struct StoreOptions {
  std::string path;         // SQLite file; parent directory must exist
  size_t max_batch = 1024;  // most submissions grouped in one transaction (0 = 1)
  std::chrono::milliseconds busy_timeout{5000};
  bool synchronous_full = true;  // false only for benchmarks comparing fsync cost
  // Cap on the database file size (PRAGMA max_page_count; the WAL comes on
  // top). 0 = no cap. When reached, groups fail as on a full disk; tests use it
  // to simulate one.
  uint64_t max_database_bytes = 0;
};

struct StoredMessageSummary {  // what operators may list: no PHI
  int64_t id = 0;
  std::string channel, sender, control_id, message_type, peer, error;
  MessageStatus status = MessageStatus::kAccepted;
  int64_t received_at_ms = 0;
  int64_t raw_bytes = 0;
  int64_t duplicates_seen = 0;
};

struct StoreStats {
  uint64_t submitted = 0, stored = 0, duplicates = 0, failed = 0;
  uint64_t transactions = 0;  // commits performed; submitted/transactions = mean group size
  uint64_t read_errors = 0;   // failed list/raw_message/count queries
};

class MessageStore {
 public:
  // Opens (creating or migrating the schema) and starts the committer thread.
  // On failure returns nullptr and sets *error (the path and SQLite's reason).
  static std::unique_ptr<MessageStore> open(const StoreOptions& options, std::string* error);
  virtual ~MessageStore() = default;

  // Thread-safe. The callback runs on the committer thread after the commit;
  // it must be quick (e.g. post the reply to the network layer) and must not
  // throw, call submit_sync() or destroy the store. `done` may be empty.
  // After close(), `done` runs at once on the calling thread with kFailed.
  virtual void submit(InboundMessage message, CommitCallback done) = 0;
  // Blocking convenience for tools and tests. Called from a commit callback
  // it would deadlock, so there it returns kFailed at once.
  virtual CommitResult submit_sync(InboundMessage message) = 0;
  // Finishes every submission already made, then stops the committer thread.
  // Later submissions fail with kFailed. Idempotent; the destructor calls it.
  // Reads keep working after close().
  virtual void close() = 0;

  // Reads (from a separate read connection; safe while the committer runs).
  // On a read error (counted in stats().read_errors): list() returns an empty
  // vector, raw_message() nullopt and count() -1.
  // list: messages with id > after_id in id order, at most `limit`.
  virtual std::vector<StoredMessageSummary> list(int64_t after_id, size_t limit) = 0;
  virtual std::optional<std::string> raw_message(int64_t id) = 0;
  // Number of messages with `status`, or of all messages for nullopt.
  virtual int64_t count(std::optional<MessageStatus> status) = 0;
  virtual StoreStats stats() const = 0;
};

}  // namespace gw::store
