// Durable store of inbound messages: SQLite in WAL mode, written by one
// committer thread that groups every pending submission into a single
// transaction (group commit), so concurrent connections share fsyncs.
// The committer's COMMIT writes the WAL without syncing it
// (synchronous=NORMAL); a syncer thread beside it fdatasyncs the WAL and only
// then runs the callbacks of every group the sync covers, in commit order, so
// the next group is written while the previous one goes to the disk
// (pipelined group commit; see StoreOptions::sync_in_commit for the old way).
//
// Contract: a submission's callback runs only after its transaction has been
// committed *and* a sync of the WAL that began after that commit has
// returned (or after either failed). A caller acknowledges a message
// positively only from a kStored or kDuplicate result. A resend answered as a
// duplicate of an original that is committed but not yet synced is in a later
// group than the original, so its callback waits for a sync that covers the
// original too.
//
// Durable watermark: a group committed but not yet synced is visible to reads
// at once (read_record, list, the REST API): a reader may see a record whose
// acknowledgement has not gone out yet and that a power failure in the next
// milliseconds would take away (its sender, never acknowledged, resends it).
// That is accepted for reads. What acts on stored data outside the process
// (forwarding, transfers to peers, signed batches) reads first, then calls
// wait_durable(), then acts.
//
// Duplicates: an *accepted* message is identified by (sender, control_id)
// (MSH-3^MSH-4 and MSH-10). Submitting an accepted message whose key is
// already stored stores nothing and returns kDuplicate with the
// acknowledgement stored the first time, so a resend gets the same answer.
// Rejected messages are kept for operators (error queue) but never
// deduplicated: a sender may fix a message and resend it with the same id.
// An accepted message with an empty control_id is stored without duplicate
// detection (there is no key to detect it by).
//
// Duplicate conflicts: a submission that sets InboundMessage::on_conflict
// (MLLP ingest does) is a duplicate only if its content fingerprint
// (fingerprint.h: keyed digest of the message with segment terminators
// normalized) is the original's. Same key, other content is a conflict: a
// forger who guessed the next MSH-10, or a sender that reuses control ids.
// It is never answered with the original's acknowledgement, which would tell
// its sender that a message we did not keep is safe: in the same transaction
// it is stored as rejected (error queue, messages.conflict_of = the
// original's id, no records) with on_conflict's acknowledgement and error
// (followed by "[original message id N]"), and kDuplicateConflict returns
// that acknowledgement. A resend of the conflicting message (same key, same
// fingerprint as the conflict row) is that conflict again: nothing new is
// stored, its duplicates_seen counts it, and it gets the conflict row's
// acknowledgement. Without on_conflict (REST writes, received transfers:
// their payloads are not HL7 v2 text, and their callers decide what a
// repeat means) the fingerprint is of the raw bytes and a differing resend
// is a kDuplicate with content_differs set. Rows written before schema
// version 5 hold a digest of the raw bytes; on a mismatch the original is
// opened and fingerprinted again, so they compare the same way (only a
// conflict pays for it).
//
// Failure: if a group's transaction fails (disk full, I/O error, database
// locked beyond busy_timeout), it is rolled back and every submission in that
// group completes with kFailed; the store stays usable and the next group is
// tried afresh. If the sync after a commit fails, every group it was to cover
// completes with kFailed (counted in stats().sync_failures, reported through
// StoreOptions::warning), although SQLite has committed them. Linux may drop
// the pages of a failed fdatasync from its cache without writing them while
// still serving them, so SQLite would answer a resend as a duplicate of data
// that may never reach the disk. So the store fails closed: after a failed
// sync every later submission completes with kFailed ("refuses writes after a
// failed sync") until gatewayd is restarted by an operator who has checked
// the disk (PostgreSQL stops for the same reason). Senders keep their
// messages and resend after the restart.
//
// Back-pressure: submissions not yet completed (queued, in a commit, or
// waiting for its sync) hold their raw and ack bytes in the count. If the disk stalls, that is
// bounded by StoreOptions::max_queued_bytes: past it, submit() does not wait (it runs on network
// event-loop threads) but completes the submission at once with kFailed and the error "store queue
// full", so the sender is refused and retries later.
//
// Checkpoints: committed transactions go to the write-ahead log (WAL); moving
// them into the database file (a checkpoint, which writes and fsyncs that
// file) runs on a checkpointer thread with its own connection, never inside a
// commit. Once per lap of the WAL the committer does wait between two groups,
// for the short last step that lets the WAL restart from its beginning (see
// StoreOptions::checkpoint_pages and max_wal_bytes).
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gateway/base/status.h"
#include "gateway/crypto/store_keys.h"

namespace gw::store {

enum class MessageStatus { kAccepted, kRejected };
const char* to_string(MessageStatus s);

// Merge rules: how a write that carries only part of a resource is combined
// with the latest stored version (RecordWrite::merge). Some v2 events send
// part of a resource by definition (an MDM status change has no document
// text, an SIU S20 names only the resources it cancels); stored as a whole
// new version, that part would replace what earlier messages stored. The
// mapper says which parts are partial; the store applies the rules to the
// latest version inside its write transaction (no other write can come in
// between), so the new version is the stored resource updated with what the
// message says. Without a latest version the write is stored as given; a
// write identical to the latest version is that version (nothing is read or
// merged, no version is made).
// Rules name top-level elements of the resource:
//  - keep_stored: when the stored resource has the element, the new version
//    takes the stored one. A name covers both JSON halves of a FHIR primitive
//    ("start" and "_start", the latter holding extensions such as a
//    data-absent-reason): when the stored resource has either, both come from
//    the stored resource (a half it lacks is left out), else both from the
//    write.
//  - merge_by {element, key_path}: arrays of objects merged item by item,
//    keyed by the string at key_path (dotted, e.g. "actor.reference"; an
//    empty key_path keys an item by its whole canonical JSON, which makes
//    the merge a union of distinct items). The
//    stored items keep their order; the write's items with a key replace the
//    stored items with that key at the place of the first of them (further
//    stored items with that key are dropped); the write's other items follow
//    in the write's order. Stored items without the key cannot be matched to
//    anything the write says and are dropped; the write's are kept. When the
//    write lacks the element, the stored one is kept; when either side is not
//    an array, the write's value stands.
//  - keep_stored_labels: the new version's meta.security is the union of the
//    write's and the stored version's security labels (Codings, matched on
//    system and code; the write's Coding wins a tie). When the stored version
//    adds any, meta.security is sorted by (system, code) as the labeler
//    writes it (gateway/labels); stored Codings without a code are dropped.
//    Writers that compute labels from codes (v2 normalization) set it, so a
//    label a REST client or an operator put on the record is not lost when a
//    later message rewrites it; labels are removed only by a whole REST write
//    (gateway/labels/README.md). It does not make the write partial: empty()
//    ignores it, and the write's other elements stand.
// The merge is in gateway/store/record_merge.h; rules never throw or fail on
// the shape of the data, only on a stored version that cannot be read.
struct MergeRules {
  struct MergeBy {
    std::string element;   // "participant"
    std::string key_path;  // "actor.reference"
  };
  std::vector<std::string> keep_stored;
  std::vector<MergeBy> merge_by;
  bool keep_stored_labels = false;
  // No element is partial (keep_stored_labels aside).
  bool empty() const { return keep_stored.empty() && merge_by.empty(); }
};

// One normalized FHIR record written with a message (see InboundMessage::records).
// Records are versioned per (resource_type, resource_id): each write that
// changes the resource's canonical bytes makes a new version; a write of
// bytes identical to the latest version makes none (replaying a message
// changes nothing).
struct RecordWrite {
  std::string resource_type;  // "Patient"
  std::string resource_id;    // FHIR id
  // Canonical JSON of the resource without meta.versionId / meta.lastUpdated
  // (the store assigns those; readers add them to what they serve).
  std::string resource_json;
  // (system, value) business identifiers, for search and conditional
  // operations; system may be empty. The store indexes keyed digests of them
  // (StoreKeys::index_key), not the identifiers themselves.
  std::vector<std::pair<std::string, std::string>> identifiers;
  // Consortium tokens of a Patient's identifiers, computed by the pipeline's
  // tokenize step (gateway/pipeline/tokenize.h) before commit. The store keeps
  // them as given (replacing the resource's previous tokens) and computes
  // none itself. Ignored for other resource types.
  std::vector<std::string> patient_tokens;
  // Optimistic concurrency: nullopt = no check; 0 = the record must not exist
  // yet; n = its latest version must be n. Otherwise the submission fails with
  // CommitResult::Kind::kConflict and nothing of it is stored.
  std::optional<int64_t> expected_version;
  // The ids of the patients whose compartment the resource belongs to
  // (compartment.h), when the writer already knows them; nullopt: the store
  // works them out from the resource. Either way they replace the previous
  // version's.
  std::optional<std::vector<std::string>> patients;
  // Parts the write carries only partly (see MergeRules); empty = the write
  // is the whole resource (every REST write). The digest, unchanged
  // detection, seal and returned version are those of the merged resource.
  MergeRules merge;
};

struct RecordVersion {
  int64_t version = 0;
  int64_t updated_at_ms = 0;  // of `version` (an earlier time when !changed)
  bool changed = true;        // false: identical to the latest version; none made
};

struct StoredRecord {
  int64_t seq = 0;  // store-wide write order (export cursor)
  std::string resource_type, resource_id;
  int64_t version = 0;
  int64_t updated_at_ms = 0;
  int64_t message_id = 0;  // the message (or REST request) that wrote this version
  std::string resource_json;
  // The version's salted commitment (crypto/commitment.h): SHA-256(salt ||
  // resource_json). What a transfer sends with the record for the recipient
  // to check against the ledger.
  std::array<uint8_t, 32> commit_salt{}, commitment{};
};

// What `gatewayctl records export` and similar readers select. Versions are
// returned in seq order, after `after_seq`, at most `limit`.
struct RecordQuery {
  int64_t since_ms = 0;                                    // updated_at_ms >= since_ms
  int64_t until_ms = std::numeric_limits<int64_t>::max();  // updated_at_ms < until_ms
  std::optional<int64_t> message_id;                       // only versions written by it
  int64_t after_seq = 0;
  size_t limit = 1000;
};

// The keyed work submit() does for a message's records, done ahead by
// prepare_records() (records.h defines it).
struct PreparedRecords;

struct InboundMessage {
  std::string channel;       // channel name from configuration
  std::string sender;        // canonical sender key (MSH-3 "|" MSH-4), may be empty if unparseable
  std::string control_id;    // MSH-10, may be empty if unparseable
  std::string message_type;  // e.g. "ADT^A01", may be empty
  std::string peer;          // remote address, for operators
  MessageStatus status = MessageStatus::kAccepted;
  std::string error;           // for rejected: summary without PHI (codes and locations only)
  std::string raw;             // the message as received (PHI; stored encrypted, see StoreKeys)
  std::string ack;             // acknowledgement to send (stored so resends get the same one)
  int64_t received_at_ms = 0;  // Unix epoch milliseconds
  // Normalized records committed atomically with the message (only for
  // accepted messages; ignored for rejected ones). A duplicate message writes
  // none.
  std::vector<RecordWrite> records;
  // For an accepted message with a control id: compare duplicates by
  // content, and what to store and answer when the key is taken by other
  // content (see "Duplicate conflicts" above). Ignored for rejected messages.
  struct ConflictAnswer {
    std::string ack;    // the acknowledgement for the conflict (stored with it)
    std::string error;  // the error queue's text (no PHI)
  };
  std::optional<ConflictAnswer> on_conflict;
  // Set by prepare_records(); submit() does the work itself when it is
  // missing or no longer matches `records`.
  std::shared_ptr<const PreparedRecords> prepared;
};

// Does on the calling thread the keyed work submit() needs for m->records
// (content digests, salted commitments, index keys, envelopes for a first
// version), so that several threads can do it in parallel while their
// messages still reach submit() one at a time, in order. Call it after the
// last change to m->records (the pipeline: after tokenize). submit() checks
// that the prepared work still matches the records by type, id and length
// of each and otherwise does it again; a write merged with its stored
// version, or stored as a later version, is completed in the transaction
// either way. Thread-safe; rejected messages are left as they are.
// MessageStore::prepare_records() is the same with less work for records
// the store will find unchanged.
void prepare_records(const crypto::StoreKeys& keys, InboundMessage* m);

struct CommitResult {
  // kConflict: a RecordWrite::expected_version did not hold; nothing of the
  // submission was stored (the rest of its group was).
  // kDuplicateConflict: the key was taken by other content; the submission
  // is in the error queue (row `id`, stored now or by an earlier resend of
  // it) and `ack` is the conflict's acknowledgement.
  enum class Kind { kStored, kDuplicate, kFailed, kConflict, kDuplicateConflict };
  Kind kind = Kind::kFailed;
  int64_t id = 0;                      // row id of the stored (or original, for duplicates) message
  int64_t original_id = 0;             // kDuplicateConflict: the accepted message it collided with
  std::string ack;                     // kDuplicate(Conflict): the acknowledgement to answer with
  bool content_differs = false;        // kDuplicate with another fingerprint than the original
  std::string error;                   // kFailed/kConflict: what went wrong (no PHI)
  std::vector<RecordVersion> records;  // kStored: one per RecordWrite, same order
};

using CommitCallback = std::function<void(CommitResult)>;

struct StoreOptions {
  std::string path;  // SQLite file; parent directory must exist
  // Required: every payload is stored encrypted and every index key is keyed
  // (store_keys.h). open() refuses to run without keys.
  std::shared_ptr<const crypto::StoreKeys> keys;
  size_t max_batch = 1024;  // most submissions grouped in one transaction (0 = 1)
  std::chrono::milliseconds busy_timeout{5000};
  // true: every callback follows an fsync of the WAL covering its commit.
  // false only for benchmarks comparing fsync cost: no fsync at all before
  // the callbacks (synchronous=NORMAL, no syncer).
  bool synchronous_full = true;
  // With synchronous_full, who syncs. false (the default): the syncer thread,
  // beside the committer (COMMIT with synchronous=NORMAL, then fdatasync of
  // the WAL by the syncer; the committer writes the next group meanwhile).
  // true: SQLite inside COMMIT (synchronous=FULL), callbacks on the
  // committer thread, the committer idle while the disk syncs: the store as
  // it was before the syncer, kept for comparison.
  bool sync_in_commit = false;
  // Cap on the database file size (PRAGMA max_page_count; the WAL comes on
  // top). 0 = no cap. When reached, groups fail as on a full disk; tests use it
  // to simulate one.
  uint64_t max_database_bytes = 0;

  // Most raw + ack bytes held by submissions not yet completed (queued or in
  // the transaction being committed). A submission that would exceed it fails
  // at once with "store queue full" (see Back-pressure above), unless nothing
  // else is held, so one message larger than the limit is still stored.
  // 0 = no limit.
  uint64_t max_queued_bytes = uint64_t{256} << 20;

  // The checkpointer copies the WAL into the database file after every
  // `checkpoint_pages` pages written to the WAL (0 = 1; 1000 pages = 4 MiB
  // with SQLite's default page size), with PASSIVE checkpoints, which never
  // stop the committer. SQLite writes the WAL from its beginning again only if
  // a transaction begins when every page has been copied, which under steady
  // load never happens by itself; the WAL would grow, and an appended file
  // costs about twice as much per fsync as an overwritten one (measured on
  // ext4). So the checkpointer then holds the committer between two groups
  // while it copies the few pages committed meanwhile and fsyncs the WAL and
  // the database file (two small fsyncs), once per lap. Larger values mean
  // fewer such waits but longer background checkpoints competing for the disk.
  uint64_t checkpoint_pages = 1000;
  // Ceiling on the WAL. A reader that keeps an old snapshot open stops
  // checkpoints, and the WAL grows. Past this size the checkpointer, once the
  // checkpoint makes progress again, holds the committer between two groups
  // for a TRUNCATE checkpoint of what is left, which waits at most 50 ms for
  // readers (stats count it, `warning` reports it). It does not hold the
  // committer while a reader still pins the WAL: SQLite cannot shrink a WAL a
  // reader needs, so the ceiling is exceeded for as long as that reader lasts.
  // Keep it well above checkpoint_pages pages.
  uint64_t max_wal_bytes = uint64_t{64} << 20;
  // Called on the checkpointer or syncer thread when checkpointing or syncing
  // is in trouble (a checkpoint or sync failed, the WAL is over max_wal_bytes, or was truncated
  // back under it), with a description that names no message content. A
  // condition that persists is reported once. May be empty; must be
  // thread-safe and quick (e.g. log it), and must not close or destroy the
  // store.
  std::function<void(const std::string&)> warning = nullptr;
  // Tests only: called on the syncer thread before each fdatasync of the WAL;
  // a non-ok status fails that sync as an I/O error would. May block (a test
  // holds the sync to show that no callback runs meanwhile).
  std::function<Status()> sync_hook = nullptr;
};

struct StoredMessageSummary {  // what operators may list: no PHI
  int64_t id = 0;
  std::string channel, sender, control_id, message_type, peer, error;
  MessageStatus status = MessageStatus::kAccepted;
  int64_t received_at_ms = 0;
  int64_t raw_bytes = 0;
  int64_t duplicates_seen = 0;
  int64_t conflict_of = 0;  // a duplicate conflict: the accepted message whose key it reused
};

struct StoreStats {
  uint64_t submitted = 0, stored = 0, duplicates = 0, failed = 0;
  uint64_t conflicts = 0;     // duplicate conflicts (kDuplicateConflict), new or resent
  uint64_t transactions = 0;  // commits performed; submitted/transactions = mean group size
  uint64_t read_errors = 0;   // failed list/raw_message/count queries
  // Pages the commits appended to the WAL (one frame each, page size + 24
  // bytes): what a message costs in writes, before the checkpoints copy
  // each page's last frame into the database file.
  uint64_t wal_frames_written = 0;
  uint64_t queue_full = 0;  // submissions refused for max_queued_bytes (also in `failed`)
  // Checkpointer (all checkpoints run on its thread).
  uint64_t checkpoints = 0;          // checkpoints that succeeded, of any mode
  uint64_t checkpointed_pages = 0;   // WAL pages they copied into the database file
  uint64_t checkpoint_restarts = 0;  // TRUNCATE checkpoints done (WAL past max_wal_bytes, close)
  // Checkpoints that failed or could not run (busy, or over max_wal_bytes
  // with a reader pinning the WAL: then one per commit).
  uint64_t checkpoint_failures = 0;
  uint64_t committer_pauses = 0;     // times the committer was held between groups (once per lap)
  uint64_t committer_paused_us = 0;  // total time it was held, in microseconds
  // Syncer (zero with sync_in_commit or without synchronous_full). stored,
  // duplicates and conflicts above count only submissions whose sync
  // succeeded: what was acknowledged.
  uint64_t syncs = 0;            // fdatasync calls on the WAL that succeeded
  uint64_t sync_failures = 0;    // that failed (their groups failed)
  uint64_t durable_groups = 0;   // committed groups released after a successful sync
  uint64_t synced_messages = 0;  // submissions they held; synced_messages/syncs per sync
  uint64_t sync_us = 0;          // total time in fdatasync; sync_us/syncs = mean latency
  uint64_t wal_reopens = 0;      // the WAL file was replaced and its descriptor reopened
};

class MessageStore {
 public:
  // Opens (creating or migrating the schema) and starts the committer thread.
  // The error names the path and SQLite's reason.
  static Result<std::unique_ptr<MessageStore>> open(const StoreOptions& options);
  virtual ~MessageStore() = default;

  // Thread-safe and never blocks on the disk. The callback runs on the
  // syncer thread after the sync that covers the commit (on the committer
  // thread with sync_in_commit or without synchronous_full); it must be quick
  // (e.g. post the reply to the network layer; the committer starts no group
  // while callbacks run) and must not throw, call submit_sync() or
  // wait_durable(), or destroy the store. `done` may be empty. After close(), or when the queue is
  // full (max_queued_bytes), `done` runs at once on the calling thread with kFailed, before
  // submit() returns.
  virtual void submit(InboundMessage message, CommitCallback done) = 0;
  // Blocking convenience for tools and tests. Called from a commit callback
  // it would deadlock, so there it returns kFailed at once.
  virtual CommitResult submit_sync(InboundMessage message) = 0;
  // Finishes every submission already made, then stops the committer thread,
  // runs a final TRUNCATE checkpoint (which leaves an empty WAL unless a
  // reader still uses it; it waits up to busy_timeout for readers) and stops
  // the checkpointer thread. Later submissions fail with kFailed. Idempotent;
  // the destructor calls it. Reads keep working after close().
  virtual void close() = 0;
  // Blocks until every group committed (or being committed) when it is called
  // has been synced to the disk, so that whatever the caller read from the
  // store before the call is durable. Errors: a sync that failed in the
  // meantime (unavailable), or a call from a commit callback (which would
  // wait for itself). Without synchronous_full it only waits for the commits.
  virtual Status wait_durable() = 0;

  // Reads (from a separate read connection; safe while the committer runs).
  // On a read error (counted in stats().read_errors): list() returns an empty
  // vector, raw_message() nullopt and count() -1.
  // list: messages with id > after_id in id order, at most `limit`.
  virtual std::vector<StoredMessageSummary> list(int64_t after_id, size_t limit) = 0;
  virtual std::optional<std::string> raw_message(int64_t id) = 0;
  // Number of messages with `status`, or of all messages for nullopt.
  virtual int64_t count(std::optional<MessageStatus> status) = 0;
  // Records. read_record: version 0 = latest. find_records: latest versions
  // of `type` having identifier (system, value); nullopt system = any system,
  // "" = no system. On a read error: nullopt / empty (counted in read_errors).
  virtual std::optional<StoredRecord> read_record(std::string_view type, std::string_view id,
                                                  int64_t version = 0) = 0;
  virtual std::vector<StoredRecord> find_records(std::string_view type,
                                                 const std::optional<std::string>& system,
                                                 std::string_view value, size_t limit) = 0;
  virtual std::vector<StoredRecord> list_records(const RecordQuery& query) = 0;
  // The ids of the Patients having consortium token `token` (tokenize.h),
  // sorted; empty if none (or on a read error).
  virtual std::vector<std::string> patients_with_token(std::string_view token) = 0;
  // Latest versions of the resources in the compartment of Patient
  // `patient_id` (compartment.h), the Patient itself included, ordered by type
  // and id, at most `limit`. On a read error: empty.
  virtual std::vector<StoredRecord> patient_compartment(std::string_view patient_id,
                                                        size_t limit) = 0;
  // Number of record versions (all resources), or -1 on a read error.
  virtual int64_t count_records() = 0;
  virtual StoreStats stats() const = 0;
  // The keys it was opened with (StoreOptions::keys), for the writers'
  // tokenize step: tokens then come from the same consortium key as the
  // store's other keyed values, and a writer needs no second key handle.
  virtual const crypto::StoreKeys& keys() const = 0;
  // store::prepare_records(keys(), m), using what the store knows: a record
  // identical to its resource's recently committed latest version gets
  // only its digest (it will store nothing). Thread-safe.
  virtual void prepare_records(InboundMessage* m);
};

}  // namespace gw::store
