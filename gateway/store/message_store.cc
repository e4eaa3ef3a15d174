// SQLite implementation of MessageStore.
//
// Threads: the committer thread owns writer_ and every write statement after
// open(); the syncer thread owns wal_fd_; the checkpointer thread owns
// checkpointer_db_; read statements and reader_ are guarded by read_mu_; the
// queue, the committed groups awaiting their sync, closing_ and the pause
// handshake by mu_; statistics are relaxed atomics.
//
// Group commit: submit() only enqueues. The committer takes everything pending
// (up to max_batch) and runs it in one BEGIN IMMEDIATE ... COMMIT. With
// synchronous=NORMAL that COMMIT writes the group's WAL frames without an
// fsync; the committer hands the group (its callbacks and results) to the
// syncer and goes on with the next one. The syncer takes every group handed
// over so far, fdatasyncs the WAL once through its own descriptor (Linux
// flushes the inode's pages whichever descriptor asks) and then runs their
// callbacks in commit order. So one sync covers several groups, and the disk
// works while the committer writes. Two rules keep groups large: the
// committer starts no group while a committed one still waits for the syncer
// to take it (at most one group is written ahead of the sync in progress),
// nor while callbacks run (they are short; a test that blocks in one holds
// the committer too, as before the syncer). Submissions arriving meanwhile
// form the next group.
//
// Why syncing beside the committer is safe: a group's frames are in the WAL
// file before the committer hands it over, so a sync that begins afterwards
// covers them, unless they have left the file by then. They leave it only
// when the WAL restarts from its beginning or is truncated, and SQLite does
// either only after a checkpoint has copied every frame into the database
// file, syncing the WAL before copying and the database file after (as it
// does with NORMAL as with FULL). The WAL is truncated in place, never
// replaced, while connections are open; sync_wal() still compares the inode
// with the path's and reopens if they ever differ. Reads (REST, operators)
// may see a group before its sync; what acts outside the process calls
// wait_durable() first (message_store.h).
//
// With sync_in_commit the WAL is synced inside COMMIT (synchronous=FULL) and
// the committer runs the callbacks itself, as before the syncer existed.
//
// Checkpoints: the write connection has no automatic checkpoint (SQLite would
// run it inside COMMIT, delaying that group's acknowledgements by a write and
// fsync of the database file). Instead its WAL hook, called after each commit
// with the WAL's frame count, wakes the checkpointer every checkpoint_pages
// frames. The checkpointer runs a PASSIVE checkpoint, which takes no lock the
// committer needs. That is not enough on its own: SQLite writes the WAL from
// its start again only if a transaction *begins* when every frame has been
// copied, and under steady load commits keep arriving while the checkpoint
// fsyncs, so the WAL would only ever grow (and a growing file costs more per
// fsync than an overwritten one). So when commits arrived during the PASSIVE
// checkpoint, the checkpointer asks the committer to wait between two groups
// (pause_requested_), copies those few frames, and lets it go on; the next
// transaction then restarts the WAL. The same pause, with a TRUNCATE
// checkpoint, brings the WAL back under max_wal_bytes after a reader held it
// up. The committer never waits while a checkpoint has much to copy.

#include "gateway/store/message_store.h"

#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <future>
#include <limits>
#include <mutex>
#include <thread>
#include <utility>

#include "gateway/crypto/sha256.h"
#include "gateway/store/fingerprint.h"
#include "gateway/store/message_store_internal.h"
#include "gateway/store/records.h"
#include "gateway/store/schema.h"
#include "gateway/store/sqlite_util.h"

namespace gw::store {

const char* to_string(MessageStatus s) {
  switch (s) {
    case MessageStatus::kAccepted:
      return "accepted";
    case MessageStatus::kRejected:
      return "rejected";
  }
  return "unknown";
}

namespace {

using internal::Connection;
using internal::ScopedReset;
using internal::Statement;

constexpr char kFindAccepted[] =
    "SELECT id, ack, content_sha256, received_at_ms FROM messages "
    "WHERE sender = ?1 AND control_id = ?2 AND status = 'accepted' AND control_id <> ''";
constexpr char kOriginalRaw[] = "SELECT raw FROM messages WHERE id = ?1";
constexpr char kFindConflict[] =
    "SELECT id, ack, received_at_ms FROM messages WHERE conflict_of = ?1 AND content_sha256 = ?2";
constexpr char kCountDuplicate[] =
    "UPDATE messages SET duplicates_seen = duplicates_seen + 1 WHERE id = ?1";
constexpr char kInsert[] =
    "INSERT INTO messages (channel, sender, control_id, message_type, peer, status, error, raw, "
    "ack, content_sha256, received_at_ms, conflict_of) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)";
constexpr char kList[] =
    "SELECT id, channel, sender, control_id, message_type, peer, error, status, received_at_ms, "
    "length(raw), duplicates_seen, conflict_of FROM messages WHERE id > ?1 ORDER BY id LIMIT ?2";
constexpr char kRawMessage[] =
    "SELECT raw, sender, control_id, received_at_ms FROM messages WHERE id = ?1";
// Bytes an envelope adds to its plaintext (record_cipher.h): magic, key id,
// nonce, tag.
constexpr int64_t kEnvelopeOverhead = 4 + 4 + 24 + 16;
constexpr char kCountAll[] = "SELECT count(*) FROM messages";
constexpr char kCountByStatus[] = "SELECT count(*) FROM messages WHERE status = ?1";

std::string_view as_bytes(const crypto::Sha256Digest& d) {
  return std::string_view(reinterpret_cast<const char*>(d.data()), d.size());
}

CommitResult failed(std::string error) {
  CommitResult r;
  r.kind = CommitResult::Kind::kFailed;
  r.error = std::move(error);
  return r;
}

struct Pending {
  InboundMessage message;
  crypto::Sha256Digest content_sha256;  // computed by the submitting thread
  // One per message.records (accepted messages only), also computed there.
  std::shared_ptr<const PreparedRecords> prepared;
  // With message.on_conflict: its acknowledgement in clear, returned when
  // the conflict is stored now (message.on_conflict->ack is sealed).
  std::string conflict_ack;
  CommitCallback done;
  uint64_t bytes = 0;  // counted against max_queued_bytes
};

// A group the committer has finished, until its callbacks have run.
struct Committed {
  uint64_t number = 0;     // the committer's count of groups started
  bool committed = false;  // COMMIT succeeded: the sync must cover it
  uint64_t bytes = 0;      // its submissions' Pending::bytes
  std::vector<CommitCallback> done;
  std::vector<CommitResult> results;
};

// The write connection's page cache, in KiB: see configure_writer(). Bounds
// the committer's memory on a small appliance (the readers keep SQLite's
// default).
constexpr int64_t kWriterCacheKib = 64 * 1024;

// How long a TRUNCATE checkpoint at the WAL ceiling waits for readers while
// the committer is held. Short: acknowledgements wait for it.
constexpr int kTruncateBusyTimeoutMs = 50;
// A WAL frame is a page plus this header.
constexpr uint64_t kWalFrameHeaderBytes = 24;
// Most PASSIVE checkpoints run back to back to shrink what is left to copy
// before the committer is held for the rest.
constexpr int kMaxCatchUpRounds = 4;

// Kinds of warnings (see warn()).
constexpr char kWarnCheckpointError[] = "checkpoint error";
constexpr char kWarnSyncError[] = "sync error";
constexpr char kWarnPinned[] = "pinned";
constexpr char kWarnTruncated[] = "truncated";
constexpr char kWarnNotTruncated[] = "not truncated";

int wal_hook(void* store, sqlite3* db, const char* name, int frames);

class SqliteMessageStore final : public MessageStore {
 public:
  explicit SqliteMessageStore(const StoreOptions& options)
      : options_(options),
        record_writer_(options.keys, &head_digests_),
        record_reader_(options.keys) {}
  ~SqliteMessageStore() override { close(); }

  Status init();
  void start() {
    committer_ = std::thread([this] { run_committer(); });
    if (use_syncer_) syncer_ = std::thread([this] { run_syncer(); });
    checkpointer_ = std::thread([this] { run_checkpointer(); });
  }
  // Committer thread: called by SQLite after each commit of writer_.
  void on_wal_commit(uint64_t frames);

  void submit(InboundMessage message, CommitCallback done) override;
  const crypto::StoreKeys& keys() const override { return *options_.keys; }
  void prepare_records(InboundMessage* m) override;
  CommitResult submit_sync(InboundMessage message) override;
  void close() override;
  Status wait_durable() override;

  std::vector<StoredMessageSummary> list(int64_t after_id, size_t limit) override;
  std::optional<std::string> raw_message(int64_t id) override;
  int64_t count(std::optional<MessageStatus> status) override;
  std::optional<StoredRecord> read_record(std::string_view type, std::string_view id,
                                          int64_t version) override;
  std::vector<StoredRecord> find_records(std::string_view type,
                                         const std::optional<std::string>& system,
                                         std::string_view value, size_t limit) override;
  std::vector<StoredRecord> list_records(const RecordQuery& query) override;
  std::vector<std::string> patients_with_token(std::string_view token) override;
  std::vector<StoredRecord> patient_compartment(std::string_view patient_id, size_t limit) override;
  int64_t count_records() override;
  StoreStats stats() const override;

  const internal::WriteConnectionSettings& settings() const { return settings_; }

 private:
  Status configure_writer();
  Status open_reader();
  Status open_checkpointer();
  // Opens wal_fd_ and syncs the WAL and the directory once, so that what an
  // earlier process committed without a sync is durable before anything is
  // read from it for wait_durable()'s callers.
  Status open_wal_for_sync();
  void run_committer();
  void run_syncer();
  // Syncer thread: fdatasync of the WAL (after StoreOptions::sync_hook).
  Status sync_wal();
  // Counts and runs the callbacks of `c`; with a failed sync (`sync_error`
  // set), every submission of a committed group fails with that error.
  void release(Committed& c, const std::string* sync_error);
  bool on_callback_thread() const {
    const auto self = std::this_thread::get_id();
    return self == committer_id_.load() || self == syncer_id_.load();
  }
  void run_checkpointer();
  // One round of checkpointing, after the WAL hook's signal.
  void checkpoint_round();
  struct WalCounts {
    uint64_t log = 0;   // frames in the WAL
    uint64_t ckpt = 0;  // of which copied into the database file
  };
  // Runs one checkpoint of `mode` and counts it. `expect_pages` is what a
  // TRUNCATE checkpoint copies (SQLite reports 0 for it, having emptied the
  // WAL). On failure counts it, reports it unless SQLITE_BUSY and returns the
  // error code.
  int checkpoint(int mode, WalCounts* counts, uint64_t expect_pages = 0);
  // Checkpointer thread: fsyncs the database file through SQLite's VFS.
  void presync_database();
  // Checkpointer thread: holds the committer between two groups, and lets it go.
  void pause_committer();
  void resume_committer(std::chrono::steady_clock::time_point paused_at);
  // Reports `text` through StoreOptions::warning unless the previous report
  // was of the same `kind` (one of the constants below), so a condition that
  // lasts many commits is reported once.
  void warn(const char* kind, std::string text);
  // Runs one group in one transaction; fills results[i] for group[i].
  // Returns whether COMMIT succeeded.
  bool commit_group(std::vector<Pending>& group, std::vector<CommitResult>* results);
  // Adds one submission to the open transaction. Returns SQLITE_OK or an error.
  int apply(const Pending& p, CommitResult* result);
  // The message row of apply(); sets result->kind = kStored and result->id.
  // With conflict_of != 0 the row is p's duplicate conflict: rejected, with
  // on_conflict's acknowledgement and error, naming the original.
  int insert_message(const Pending& p, CommitResult* result, int64_t conflict_of = 0);
  // Whether the accepted message `original_id` (received at `received_at_ms`)
  // has p's fingerprint once opened and fingerprinted again: for rows whose
  // stored digest is of the raw bytes (schema version < 5). Sets *same.
  int same_content(const Pending& p, int64_t original_id, int64_t received_at_ms, bool* same);
  // p conflicts with the accepted message `original_id`: finds p's earlier
  // conflict row (a resend) or stores one. Sets result (kDuplicateConflict).
  int apply_conflict(const Pending& p, int64_t original_id, CommitResult* result);
  int read_error() {
    read_errors_.fetch_add(1, std::memory_order_relaxed);
    return -1;
  }

  const StoreOptions options_;
  // Digests of recently committed heads: written by the committer after
  // each commit, read by prepare_records() on any thread (it locks).
  internal::HeadDigests head_digests_;
  internal::WriteConnectionSettings settings_;  // written by init() only
  uint64_t checkpoint_pages_ = 1;               // written by init() only
  uint64_t ceiling_frames_ = 1;                 // max_wal_bytes in frames; init() only
  // synchronous_full && !sync_in_commit: COMMIT does not sync, the syncer does.
  const bool use_syncer_ = options_.synchronous_full && !options_.sync_in_commit;

  // Syncer thread only (after init()).
  int wal_fd_ = -1;
  std::string wal_path_;
  dev_t wal_dev_ = 0;
  ino_t wal_ino_ = 0;
  bool sync_warned_ = false;  // a failure was reported and no sync has succeeded since

  // Committer thread only (after init()).
  Connection writer_;
  Statement begin_, commit_, rollback_, find_accepted_, count_duplicate_, insert_;
  Statement original_raw_, find_conflict_;
  // A submission with records runs inside a savepoint, so a record conflict
  // undoes that submission only, not its whole group.
  Statement savepoint_, release_, rollback_to_;
  // Declared after head_digests_, which it uses.
  internal::RecordWriter record_writer_;
  uint64_t hook_frames_ = 0;   // WAL frames after the previous commit
  uint64_t hook_written_ = 0;  // frames written since the checkpointer was last woken

  // Checkpointer thread only (after init()).
  Connection checkpointer_db_;
  uint64_t lap_backfilled_ = 0;         // frames of the current WAL lap known to be copied
  uint64_t laps_seen_ = 0;              // wal_laps_ when lap_backfilled_ was last set
  const char* last_warning_ = nullptr;  // kind of the last report, nullptr once resolved

  // Set by the committer's WAL hook, read by the checkpointer.
  std::atomic<uint64_t> wal_frames_{0};  // frames in the WAL after the last commit
  std::atomic<uint64_t> wal_laps_{0};    // times the WAL was seen restarting from its start

  std::mutex ckpt_mu_;
  std::condition_variable ckpt_cv_;
  bool ckpt_signalled_ = false;  // guarded by ckpt_mu_
  bool ckpt_stop_ = false;       // guarded by ckpt_mu_
  std::thread checkpointer_;

  std::mutex read_mu_;
  Connection reader_;                                           // guarded by read_mu_
  Statement list_, raw_message_, count_all_, count_by_status_;  // guarded by read_mu_

  std::mutex mu_;
  std::condition_variable queue_cv_;  // signalled on new work, on close and on resume
  std::condition_variable idle_cv_;   // signalled when the committer sees a pause request
  std::deque<Pending> queue_;         // guarded by mu_
  uint64_t queued_bytes_ = 0;         // guarded by mu_; Pending::bytes not yet completed
  bool closing_ = false;              // guarded by mu_
  bool pause_requested_ = false;      // guarded by mu_; the committer starts no group
  bool committer_idle_ = true;        // guarded by mu_; between groups (or stopped)
  // The syncer's side, all guarded by mu_.
  std::condition_variable sync_cv_;     // committed_ grew, or the committer stopped
  std::condition_variable durable_cv_;  // resolved_ grew
  std::deque<Committed> committed_;     // handed over by the committer, not yet taken
  uint64_t groups_started_ = 0;         // numbers the groups
  uint64_t resolved_ = 0;               // groups up to this number have had their callbacks
  uint64_t failed_syncs_ = 0;           // syncs that failed (for wait_durable())
  bool releasing_ = false;              // the syncer is running callbacks
  bool committer_done_ = false;         // the committer has returned

  internal::RecordReader record_reader_;  // has its own connection and mutex

  std::mutex join_mu_;  // serializes concurrent close() calls joining committer_
  std::thread committer_;
  std::atomic<std::thread::id> committer_id_{};
  std::thread syncer_;
  std::atomic<std::thread::id> syncer_id_{};

  std::atomic<uint64_t> submitted_{0}, stored_{0}, duplicates_{0}, failed_{0}, transactions_{0},
      read_errors_{0}, queue_full_{0}, conflicts_{0}, wal_frames_written_{0};
  std::atomic<uint64_t> checkpoints_{0}, checkpointed_pages_{0}, checkpoint_restarts_{0},
      checkpoint_failures_{0}, committer_pauses_{0}, committer_paused_us_{0};
  std::atomic<uint64_t> syncs_{0}, sync_failures_{0}, durable_groups_{0}, synced_messages_{0},
      sync_us_{0}, wal_reopens_{0};
};

int wal_hook(void* store, sqlite3* db, const char* name, int frames) {
  static_cast<SqliteMessageStore*>(store)->on_wal_commit(static_cast<uint64_t>(frames));
  return SQLITE_OK;
}

Status SqliteMessageStore::init() {
  const int timeout_ms = static_cast<int>(
      std::clamp<int64_t>(options_.busy_timeout.count(), 0, std::numeric_limits<int>::max()));
  Status s = configure_writer();
  if (s.ok()) s = open_reader();
  if (s.ok()) s = open_checkpointer();
  if (s.ok()) s = record_reader_.open(options_.path, timeout_ms);
  if (s.ok() && use_syncer_) s = open_wal_for_sync();
  return s.with_context("cannot open message store \"" + options_.path + "\"");
}

Status SqliteMessageStore::configure_writer() {
  // NOMUTEX: each connection is used by one thread at a time (see top).
  GW_RETURN_IF_ERROR(writer_.open(
      options_.path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX));
  sqlite3* db = writer_.get();
  const auto timeout_ms =
      std::clamp<int64_t>(options_.busy_timeout.count(), 0, std::numeric_limits<int>::max());
  sqlite3_busy_timeout(db, static_cast<int>(timeout_ms));
  // SQLite silently opens a write-protected file read-only.
  if (sqlite3_db_readonly(db, "main") == 1) {
    return unavailable_error("the database file is read-only");
  }
  // The pragma answers with the mode actually in effect, which stays the old
  // one where WAL is impossible (e.g. no shared memory on the filesystem).
  GW_ASSIGN_OR_RETURN(settings_.journal_mode,
                      internal::query_text(db, "PRAGMA journal_mode = WAL"));
  if (settings_.journal_mode != "wal") {
    return failed_precondition_error("cannot enable WAL journal mode (SQLite reports \"" +
                                     settings_.journal_mode + "\")");
  }
  // FULL only when COMMIT itself must sync (sync_in_commit); otherwise the
  // syncer does it, or nothing does (benchmarks).
  const bool full = options_.synchronous_full && options_.sync_in_commit;
  const int64_t want_sync = full ? 2 : 1;
  GW_RETURN_IF_ERROR(
      writer_.exec(full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL"));
  GW_RETURN_IF_ERROR(writer_.exec("PRAGMA foreign_keys = ON"));
  // Statement journals in memory. Inside a group's transaction every
  // statement that may fail half-way (the foreign-key checks make most of
  // ours such) saves the pages it changes that the group had already
  // dirtied, so that it alone can be undone; past 64 KiB SQLite spills that
  // to a file in /var/tmp. Those files took about half of the store's page
  // writes per message (strace -y); in memory they are bounded by the pages
  // one group dirties, which the page cache holds anyway.
  GW_RETURN_IF_ERROR(writer_.exec("PRAGMA temp_store = MEMORY"));
  // Room for every page a large group dirties (kWriterCacheKib). SQLite's
  // default (2 MiB, 500 pages) is smaller than one group of 64 messages
  // with a dozen new record versions each (~10 random-keyed b-tree leaves
  // per version): it then spills dirty pages into the WAL mid-transaction
  // and writes them again at commit (measured: 657 -> 400 pwrite calls per
  // such message). The cache grows only as pages are used.
  GW_RETURN_IF_ERROR(
      writer_.exec(("PRAGMA cache_size = -" + std::to_string(kWriterCacheKib)).c_str()));
  GW_ASSIGN_OR_RETURN(settings_.cache_size, internal::query_int(db, "PRAGMA cache_size"));
  GW_ASSIGN_OR_RETURN(settings_.synchronous, internal::query_int(db, "PRAGMA synchronous"));
  GW_ASSIGN_OR_RETURN(settings_.foreign_keys, internal::query_int(db, "PRAGMA foreign_keys"));
  if (settings_.synchronous != want_sync || settings_.foreign_keys != 1) {
    return internal_error("connection settings did not take effect");
  }
  GW_RETURN_IF_ERROR(internal::migrate(db, *options_.keys));
  GW_ASSIGN_OR_RETURN(settings_.schema_version, internal::query_int(db, "PRAGMA user_version"));
  // No checkpoint inside COMMIT: the pragma removes SQLite's automatic one and
  // our hook (which replaces it) only wakes the checkpointer.
  GW_RETURN_IF_ERROR(writer_.exec("PRAGMA wal_autocheckpoint = 0"));
  GW_ASSIGN_OR_RETURN(const int64_t page_size, internal::query_int(db, "PRAGMA page_size"));
  sqlite3_wal_hook(db, wal_hook, this);
  GW_ASSIGN_OR_RETURN(settings_.wal_autocheckpoint,
                      internal::query_int(db, "PRAGMA wal_autocheckpoint"));
  checkpoint_pages_ = std::max<uint64_t>(options_.checkpoint_pages, 1);
  ceiling_frames_ = std::max<uint64_t>(
      options_.max_wal_bytes / (static_cast<uint64_t>(page_size) + kWalFrameHeaderBytes), 1);
  if (options_.max_database_bytes > 0) {
    const uint64_t pages = (options_.max_database_bytes + page_size - 1) / page_size;
    // SQLite never sets it below the current size; the query reports the result.
    GW_RETURN_IF_ERROR(internal::query_int(db, "PRAGMA max_page_count = " + std::to_string(pages)));
  }
  GW_ASSIGN_OR_RETURN(settings_.max_page_count, internal::query_int(db, "PRAGMA max_page_count"));
  const std::pair<Statement*, const char*> statements[] = {
      {&begin_, "BEGIN IMMEDIATE"},
      {&commit_, "COMMIT"},
      {&rollback_, "ROLLBACK"},
      {&find_accepted_, kFindAccepted},
      {&count_duplicate_, kCountDuplicate},
      {&insert_, kInsert},
      {&original_raw_, kOriginalRaw},
      {&find_conflict_, kFindConflict},
      {&savepoint_, "SAVEPOINT submission"},
      {&release_, "RELEASE submission"},
      {&rollback_to_, "ROLLBACK TO submission"},
  };
  for (const auto& [stmt, sql] : statements) {
    const int rc = stmt->prepare(db, sql);
    if (rc != SQLITE_OK) {
      return sqlite::error_status(db, rc, std::string("preparing \"") + sql + "\"");
    }
  }
  const int rc = record_writer_.prepare(db);
  if (rc != SQLITE_OK) return sqlite::error_status(db, rc, "preparing the record statements");
  return ok_status();
}

Status SqliteMessageStore::open_reader() {
  GW_RETURN_IF_ERROR(reader_.open(options_.path, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX)
                         .with_context("read connection"));
  sqlite3* db = reader_.get();
  sqlite3_busy_timeout(db, static_cast<int>(std::clamp<int64_t>(options_.busy_timeout.count(), 0,
                                                                std::numeric_limits<int>::max())));
  const std::pair<Statement*, const char*> statements[] = {
      {&list_, kList},
      {&raw_message_, kRawMessage},
      {&count_all_, kCountAll},
      {&count_by_status_, kCountByStatus},
  };
  for (const auto& [stmt, sql] : statements) {
    const int rc = stmt->prepare(db, sql);
    if (rc != SQLITE_OK) {
      return sqlite::error_status(db, rc,
                                  std::string("read connection: preparing \"") + sql + "\"");
    }
  }
  return ok_status();
}

Status SqliteMessageStore::open_checkpointer() {
  GW_RETURN_IF_ERROR(
      checkpointer_db_.open(options_.path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX)
          .with_context("checkpoint connection"));
  sqlite3* db = checkpointer_db_.get();
  // Only the TRUNCATE checkpoint waits (PASSIVE never calls the busy handler).
  sqlite3_busy_timeout(db, kTruncateBusyTimeoutMs);
  // A checkpoint syncs as its own connection's synchronous setting says: with
  // OFF it would not fsync the database file before the WAL is reused. With
  // NORMAL (as with FULL) it syncs the WAL before copying it, and the
  // database file before the WAL may restart, which the syncer relies on.
  // Reading journal_mode also makes the connection open the WAL.
  const auto read_settings = [&]() -> Result<std::pair<int64_t, std::string>> {
    GW_RETURN_IF_ERROR(checkpointer_db_.exec(
        settings_.synchronous == 2 ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL"));
    GW_ASSIGN_OR_RETURN(const int64_t synchronous, internal::query_int(db, "PRAGMA synchronous"));
    GW_ASSIGN_OR_RETURN(std::string journal_mode, internal::query_text(db, "PRAGMA journal_mode"));
    return std::make_pair(synchronous, std::move(journal_mode));
  };
  const auto settings = read_settings();
  if (!settings.ok()) return settings.status().with_context("checkpoint connection");
  if (settings->first != settings_.synchronous || settings->second != "wal") {
    return internal_error("checkpoint connection settings did not take effect");
  }
  return ok_status();
}

Status SqliteMessageStore::open_wal_for_sync() {
  wal_path_ = options_.path + "-wal";
  // configure_writer() has written to the store in WAL mode, so the WAL
  // exists. Read-only is enough: fdatasync needs no write access.
  wal_fd_ = ::open(wal_path_.c_str(), O_RDONLY | O_CLOEXEC);
  struct stat st {};
  if (wal_fd_ < 0 || ::fstat(wal_fd_, &st) != 0) {
    return unavailable_error(std::string("cannot open the WAL for syncing: ") +
                             std::strerror(errno));
  }
  wal_dev_ = st.st_dev;
  wal_ino_ = st.st_ino;
  // The WAL's directory entry: SQLite syncs the directory at its first sync
  // of a new WAL, which with NORMAL may come after our first fdatasync.
  const size_t slash = options_.path.find_last_of('/');
  const std::string dir = slash == std::string::npos ? "." : options_.path.substr(0, slash + 1);
  // Best effort, as SQLite does it: some filesystems refuse to sync a
  // directory.
  const int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0) {
    (void)::fsync(dir_fd);
    ::close(dir_fd);
  }
  if (::fdatasync(wal_fd_) != 0) {
    return unavailable_error(std::string("cannot sync the WAL: ") + std::strerror(errno));
  }
  return ok_status();
}

void SqliteMessageStore::submit(InboundMessage message, CommitCallback done) {
  submitted_.fetch_add(1, std::memory_order_relaxed);
  Pending p{std::move(message), {}, {}, {}, std::move(done)};
  p.bytes = p.message.raw.size() + p.message.ack.size();
  for (const RecordWrite& r : p.message.records) p.bytes += r.resource_json.size();
  // Fingerprinted and encrypted here, off the committer thread; the plaintext
  // is not kept.
  const crypto::StoreKeys& keys = *options_.keys;
  const bool compare_content = p.message.on_conflict.has_value() &&
                               p.message.status == MessageStatus::kAccepted &&
                               !p.message.control_id.empty();
  if (!compare_content) p.message.on_conflict.reset();
  p.content_sha256 = compare_content ? message_fingerprint(keys, p.message.raw)
                                     : keys.content_digest(p.message.raw);
  if (compare_content) {
    p.conflict_ack = std::move(p.message.on_conflict->ack);
    p.bytes += p.conflict_ack.size() * 2;
    p.message.on_conflict->ack =
        keys.seal(p.conflict_ack,
                  crypto::message_associated_data("ack", p.message.sender, p.message.control_id,
                                                  p.message.received_at_ms));
  }
  if (p.message.status == MessageStatus::kAccepted) {
    if (p.message.prepared == nullptr || p.message.prepared->keys != &keys ||
        !internal::matches(p.message.prepared->records, p.message.records)) {
      prepare_records(&p.message);
    }
    p.prepared = std::move(p.message.prepared);
    if (p.prepared != nullptr) {
      for (const internal::PreparedRecord& r : p.prepared->records)
        p.bytes += r.sealed_first.size();
    }
  }
  p.message.raw = keys.seal(
      p.message.raw, crypto::message_associated_data("raw", p.message.sender, p.message.control_id,
                                                     p.message.received_at_ms));
  p.message.ack = keys.seal(
      p.message.ack, crypto::message_associated_data("ack", p.message.sender, p.message.control_id,
                                                     p.message.received_at_ms));
  const char* refusal = "message store closed";
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (failed_syncs_ != 0 && !closing_) {
      // Fail closed. After a failed fdatasync the kernel may have dropped the
      // unwritten pages while still serving them from its cache, so SQLite
      // counts the group as committed: a resend would be answered as a
      // duplicate of a message that may never reach the disk. Nothing more
      // is acknowledged until an operator has checked the disk and restarted
      // gatewayd (PostgreSQL stops for the same reason).
      refusal = "message store refuses writes after a failed sync; check the disk, then restart";
    } else if (!closing_) {
      // queued_bytes_ != 0: a message larger than the limit is refused only
      // while others are held, not forever.
      const uint64_t limit = options_.max_queued_bytes;
      if (limit == 0 || queued_bytes_ == 0 || queued_bytes_ + p.bytes <= limit) {
        queued_bytes_ += p.bytes;
        queue_.push_back(std::move(p));
        queue_cv_.notify_one();
        return;
      }
      refusal = "store queue full";
      queue_full_.fetch_add(1, std::memory_order_relaxed);
    }
  }
  failed_.fetch_add(1, std::memory_order_relaxed);
  if (p.done) p.done(failed(refusal));
}

CommitResult SqliteMessageStore::submit_sync(InboundMessage message) {
  if (on_callback_thread()) {
    submitted_.fetch_add(1, std::memory_order_relaxed);
    failed_.fetch_add(1, std::memory_order_relaxed);
    return failed("submit_sync called from a commit callback");
  }
  std::promise<CommitResult> promise;
  std::future<CommitResult> result = promise.get_future();
  submit(std::move(message), [&promise](CommitResult r) { promise.set_value(std::move(r)); });
  return result.get();
}

void SqliteMessageStore::close() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    closing_ = true;
  }
  queue_cv_.notify_all();
  // From a callback the committer (or syncer) cannot join itself; both stop
  // once the queue is drained and the destructor joins them.
  if (on_callback_thread()) return;
  std::lock_guard<std::mutex> lock(join_mu_);
  if (committer_.joinable()) committer_.join();
  // The syncer drains what the committer handed over, then stops.
  if (syncer_.joinable()) syncer_.join();
  if (wal_fd_ >= 0) {
    ::close(wal_fd_);
    wal_fd_ = -1;
  }
  // Only now: the final checkpoint must come after the last commit.
  {
    std::lock_guard<std::mutex> ckpt_lock(ckpt_mu_);
    ckpt_stop_ = true;
  }
  ckpt_cv_.notify_one();
  if (checkpointer_.joinable()) checkpointer_.join();
}

void SqliteMessageStore::run_committer() {
  pthread_setname_np(pthread_self(), "gw-committer");  // what top and perf show
  committer_id_.store(std::this_thread::get_id());
  const size_t max_batch = std::max<size_t>(options_.max_batch, 1);
  std::vector<Pending> group;
  for (;;) {
    Committed c;
    {
      std::unique_lock<std::mutex> lock(mu_);
      committer_idle_ = true;
      if (pause_requested_) idle_cv_.notify_all();
      // See the top of the file for why it waits for the syncer.
      queue_cv_.wait(lock, [this] {
        return !pause_requested_ && (!queue_.empty() || closing_) && committed_.empty() &&
               !releasing_;
      });
      if (queue_.empty()) {  // closing, and everything submitted is done
        committer_done_ = true;
        sync_cv_.notify_one();
        return;
      }
      committer_idle_ = false;
      c.number = ++groups_started_;
      const size_t n = std::min(queue_.size(), max_batch);
      for (size_t i = 0; i < n; ++i) {
        c.bytes += queue_.front().bytes;
        group.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    c.committed = commit_group(group, &c.results);
    c.done.reserve(group.size());
    for (Pending& p : group) c.done.push_back(std::move(p.done));
    group.clear();
    if (use_syncer_) {
      std::lock_guard<std::mutex> lock(mu_);
      committed_.push_back(std::move(c));
      sync_cv_.notify_one();
      continue;
    }
    // COMMIT synced (sync_in_commit), or nothing syncs (benchmarks).
    {
      // Released before the callbacks, so that a caller woken by one may
      // submit again at once.
      std::lock_guard<std::mutex> lock(mu_);
      queued_bytes_ -= c.bytes;
    }
    release(c, nullptr);
    {
      std::lock_guard<std::mutex> lock(mu_);
      resolved_ = c.number;
    }
    durable_cv_.notify_all();
  }
}

void SqliteMessageStore::run_syncer() {
  pthread_setname_np(pthread_self(), "gw-syncer");
  syncer_id_.store(std::this_thread::get_id());
  std::deque<Committed> batch;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      sync_cv_.wait(lock, [this] { return !committed_.empty() || committer_done_; });
      if (committed_.empty()) return;  // the committer has stopped and all is released
      batch.swap(committed_);
    }
    queue_cv_.notify_all();  // the committer may start the next group
    const bool any_committed =
        std::any_of(batch.begin(), batch.end(), [](const Committed& c) { return c.committed; });
    std::string sync_error;
    if (any_committed) {
      const auto started = std::chrono::steady_clock::now();
      Status st = sync_wal();
      const auto us = std::chrono::duration_cast<std::chrono::microseconds>(
          std::chrono::steady_clock::now() - started);
      if (st.ok()) {
        syncs_.fetch_add(1, std::memory_order_relaxed);
        sync_us_.fetch_add(static_cast<uint64_t>(us.count()), std::memory_order_relaxed);
        sync_warned_ = false;
      } else {
        sync_failures_.fetch_add(1, std::memory_order_relaxed);
        sync_error = "message store sync failed: " + st.message();
        // Once per run of failures; the warning callback is thread-safe.
        if (!sync_warned_ && options_.warning) options_.warning(sync_error);
        sync_warned_ = true;
      }
    }
    uint64_t bytes = 0;
    for (const Committed& c : batch) bytes += c.bytes;
    {
      std::lock_guard<std::mutex> lock(mu_);
      // Released before the callbacks, so that a caller woken by one may
      // submit again at once.
      queued_bytes_ -= bytes;
      releasing_ = true;
      if (!sync_error.empty()) ++failed_syncs_;
    }
    for (Committed& c : batch) {
      if (c.committed && sync_error.empty()) {
        durable_groups_.fetch_add(1, std::memory_order_relaxed);
        synced_messages_.fetch_add(c.results.size(), std::memory_order_relaxed);
      }
      release(c, sync_error.empty() ? nullptr : &sync_error);
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      releasing_ = false;
      resolved_ = batch.back().number;
    }
    batch.clear();
    queue_cv_.notify_all();
    durable_cv_.notify_all();
  }
}

Status SqliteMessageStore::sync_wal() {
  if (options_.sync_hook) GW_RETURN_IF_ERROR(options_.sync_hook());
  // The WAL is truncated in place while the store is open; should the file
  // ever be replaced, sync the one SQLite now writes (and its directory
  // entry). One stat per sync, against a sync of milliseconds.
  struct stat st {};
  if (::stat(wal_path_.c_str(), &st) == 0 && (st.st_ino != wal_ino_ || st.st_dev != wal_dev_)) {
    const int fd = ::open(wal_path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 || ::fstat(fd, &st) != 0) {
      const int err = errno;
      if (fd >= 0) ::close(fd);
      return unavailable_error(std::string("reopening the WAL: ") + std::strerror(err));
    }
    ::close(wal_fd_);
    wal_fd_ = fd;
    wal_dev_ = st.st_dev;
    wal_ino_ = st.st_ino;
    wal_reopens_.fetch_add(1, std::memory_order_relaxed);
    const size_t slash = options_.path.find_last_of('/');
    const std::string dir = slash == std::string::npos ? "." : options_.path.substr(0, slash + 1);
    const int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd >= 0) {  // best effort, as at open
      (void)::fsync(dir_fd);
      ::close(dir_fd);
    }
  }
  if (::fdatasync(wal_fd_) != 0) {
    return unavailable_error(std::string("fdatasync of the WAL: ") + std::strerror(errno));
  }
  return ok_status();
}

void SqliteMessageStore::release(Committed& c, const std::string* sync_error) {
  for (size_t i = 0; i < c.results.size(); ++i) {
    CommitResult& r = c.results[i];
    if (sync_error != nullptr && c.committed) r = failed(*sync_error);
    switch (r.kind) {
      case CommitResult::Kind::kStored:
        stored_.fetch_add(1, std::memory_order_relaxed);
        break;
      case CommitResult::Kind::kDuplicate:
        duplicates_.fetch_add(1, std::memory_order_relaxed);
        break;
      case CommitResult::Kind::kDuplicateConflict:
        conflicts_.fetch_add(1, std::memory_order_relaxed);
        break;
      default:
        failed_.fetch_add(1, std::memory_order_relaxed);
    }
    if (c.done[i]) c.done[i](std::move(r));
  }
}

Status SqliteMessageStore::wait_durable() {
  if (on_callback_thread()) {
    return failed_precondition_error("wait_durable called from a commit callback");
  }
  std::unique_lock<std::mutex> lock(mu_);
  const uint64_t target = groups_started_;
  const uint64_t failed_before = failed_syncs_;
  durable_cv_.wait(lock, [&] { return resolved_ >= target; });
  if (failed_syncs_ != failed_before) {
    return unavailable_error(
        "a sync of the message store failed; what was read may not be durable");
  }
  return ok_status();
}

void SqliteMessageStore::on_wal_commit(uint64_t frames) {
  // Fewer frames than after the previous commit: this transaction wrote the
  // WAL from its start again.
  const uint64_t written = frames < hook_frames_ ? frames : frames - hook_frames_;
  if (frames < hook_frames_) wal_laps_.fetch_add(1, std::memory_order_relaxed);
  hook_written_ += written;
  wal_frames_written_.fetch_add(written, std::memory_order_relaxed);
  hook_frames_ = frames;
  wal_frames_.store(frames, std::memory_order_relaxed);
  if (hook_written_ >= checkpoint_pages_ || frames >= ceiling_frames_) {
    hook_written_ = 0;
    {
      std::lock_guard<std::mutex> lock(ckpt_mu_);
      ckpt_signalled_ = true;
    }
    ckpt_cv_.notify_one();
  }
}

void SqliteMessageStore::run_checkpointer() {
  pthread_setname_np(pthread_self(), "gw-checkpoint");
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(ckpt_mu_);
      ckpt_cv_.wait(lock, [this] { return ckpt_signalled_ || ckpt_stop_; });
      if (ckpt_stop_) break;
      ckpt_signalled_ = false;
    }
    checkpoint_round();
  }
  // close(): the committer has stopped, so nothing is appended any more;
  // readers may still hold the WAL, and close() may wait for them.
  const auto timeout_ms =
      std::clamp<int64_t>(options_.busy_timeout.count(), 0, std::numeric_limits<int>::max());
  sqlite3_busy_timeout(checkpointer_db_.get(), static_cast<int>(timeout_ms));
  const uint64_t frames = wal_frames_.load(std::memory_order_relaxed);
  if (wal_laps_.load(std::memory_order_relaxed) != laps_seen_) lap_backfilled_ = 0;
  WalCounts counts;
  if (checkpoint(SQLITE_CHECKPOINT_TRUNCATE, &counts,
                 frames > lap_backfilled_ ? frames - lap_backfilled_ : 0) == SQLITE_OK) {
    checkpoint_restarts_.fetch_add(1, std::memory_order_relaxed);
  } else {
    // Nothing is lost: the WAL stays, and is checkpointed by the last
    // connection to close or by the next store opened on the file.
    warn(kWarnNotTruncated, "message store final checkpoint at close did not finish (readers)");
  }
}

void SqliteMessageStore::checkpoint_round() {
  // SQLite's `log` is the WAL's size when the checkpoint began; commits made
  // while it ran show only in the WAL hook's count. Fewer frames there than
  // copied means the WAL has restarted since, and what is in it is new.
  const auto left_after = [this](const WalCounts& c) -> uint64_t {
    const uint64_t frames = wal_frames_.load(std::memory_order_relaxed);
    return frames >= c.ckpt ? frames - c.ckpt : 0;
  };
  // Copy what there is without holding anyone up; repeat while that makes the
  // rest smaller, so the pause below has little to copy.
  WalCounts c;
  if (checkpoint(SQLITE_CHECKPOINT_PASSIVE, &c) != SQLITE_OK) return;
  uint64_t left = left_after(c);
  bool stalled = false;  // a reader's snapshot needs the frames not yet copied
  for (int round = 1; round < kMaxCatchUpRounds && left > checkpoint_pages_ / 8; ++round) {
    const uint64_t before = c.ckpt;
    if (checkpoint(SQLITE_CHECKPOINT_PASSIVE, &c) != SQLITE_OK) return;
    left = left_after(c);
    stalled = c.ckpt <= before;
    if (stalled) break;
  }
  const uint64_t frames = std::max(c.log, wal_frames_.load(std::memory_order_relaxed));
  const bool over_ceiling = frames >= ceiling_frames_;
  if (left > checkpoint_pages_ && (stalled || !over_ceiling)) {
    // Too much left to copy while the committer waits. Holding it cannot help
    // a stalled checkpoint at all; otherwise commits outran the checkpoints
    // and the next round (after checkpoint_pages more frames) tries again,
    // until the ceiling forces it below.
    if (over_ceiling) {
      checkpoint_failures_.fetch_add(1, std::memory_order_relaxed);
      warn(kWarnPinned, "message store WAL is over max_wal_bytes (" + std::to_string(frames) +
                            " frames) and a reader keeps " + std::to_string(left) +
                            " of them from being checkpointed");
    }
    return;
  }
  // A checkpoint that does not reach the end of the WAL leaves what it copied
  // unsynced, and the one below would flush all of it while the committer
  // waits. Flush it now instead. Only an optimisation: SQLite syncs the file
  // itself before the WAL can be reused.
  if (left > 0) presync_database();
  // Copy the few frames left, written by commits during the checkpoints
  // above, while the committer waits between two groups: the next
  // transaction then begins with every frame copied, which is when SQLite
  // writes the WAL from its start again. Even with nothing left to copy the
  // handshake is needed, as a transaction that began before the checkpoint
  // ended would not restart the WAL.
  pause_committer();
  const auto paused_at = std::chrono::steady_clock::now();
  left = left_after(c);  // final now: the committer is between groups
  if (over_ceiling) {
    if (checkpoint(SQLITE_CHECKPOINT_TRUNCATE, &c, left) == SQLITE_OK) {
      checkpoint_restarts_.fetch_add(1, std::memory_order_relaxed);
      warn(kWarnTruncated, "message store WAL reached max_wal_bytes and was truncated");
    } else {
      warn(kWarnNotTruncated,
           "message store WAL is over max_wal_bytes and could not be truncated (readers)");
    }
  } else if (left == 0 || checkpoint(SQLITE_CHECKPOINT_PASSIVE, &c) == SQLITE_OK) {
    last_warning_ = nullptr;
  }
  resume_committer(paused_at);
}

int SqliteMessageStore::checkpoint(int mode, WalCounts* counts, uint64_t expect_pages) {
  sqlite3* db = checkpointer_db_.get();
  int log = 0, ckpt = 0;
  const int rc = sqlite3_wal_checkpoint_v2(db, "main", mode, &log, &ckpt);
  // A passive checkpoint that finds SQLite's checkpoint lock or the WAL
  // index header busy for a moment copies nothing and says so; the next
  // round copies it. Not a failure: only one that could not be done
  // (an error, or a truncation the readers prevented) is counted.
  if ((rc & 0xff) == SQLITE_BUSY && mode == SQLITE_CHECKPOINT_PASSIVE) return rc;
  if (rc != SQLITE_OK) {
    checkpoint_failures_.fetch_add(1, std::memory_order_relaxed);
    if ((rc & 0xff) != SQLITE_BUSY) {
      warn(kWarnCheckpointError,
           "message store checkpoint failed: " + internal::describe_error(db, rc));
    }
    return rc;
  }
  checkpoints_.fetch_add(1, std::memory_order_relaxed);
  counts->log = static_cast<uint64_t>(std::max(log, 0));
  counts->ckpt = static_cast<uint64_t>(std::max(ckpt, 0));
  // SQLite reports frames copied so far in the current lap of the WAL. A lap
  // that began since the last checkpoint (seen by the WAL hook, or by fewer
  // frames copied than before) starts from zero. Approximate only when a lap
  // begins between a commit and its WAL hook call.
  const uint64_t laps = wal_laps_.load(std::memory_order_relaxed);
  if (laps != laps_seen_ || counts->ckpt < lap_backfilled_) lap_backfilled_ = 0;
  laps_seen_ = laps;
  uint64_t copied = counts->ckpt - lap_backfilled_;
  lap_backfilled_ = counts->ckpt;
  if (mode == SQLITE_CHECKPOINT_TRUNCATE) copied = expect_pages;  // SQLite reports 0/0
  checkpointed_pages_.fetch_add(copied, std::memory_order_relaxed);
  return SQLITE_OK;
}

void SqliteMessageStore::presync_database() {
  sqlite3* db = checkpointer_db_.get();
  sqlite3_file* file = nullptr;
  if (sqlite3_file_control(db, "main", SQLITE_FCNTL_FILE_POINTER, &file) != SQLITE_OK ||
      file == nullptr || file->pMethods == nullptr) {
    return;
  }
  const int rc = file->pMethods->xSync(file, SQLITE_SYNC_NORMAL);
  if (rc != SQLITE_OK) {
    checkpoint_failures_.fetch_add(1, std::memory_order_relaxed);
    warn(kWarnSyncError, "message store database sync before checkpoint failed: " +
                             internal::describe_error(nullptr, rc));
  }
}

void SqliteMessageStore::pause_committer() {
  std::unique_lock<std::mutex> lock(mu_);
  pause_requested_ = true;
  idle_cv_.wait(lock, [this] { return committer_idle_; });
}

void SqliteMessageStore::resume_committer(std::chrono::steady_clock::time_point paused_at) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    pause_requested_ = false;
  }
  queue_cv_.notify_all();
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(
      std::chrono::steady_clock::now() - paused_at);
  committer_pauses_.fetch_add(1, std::memory_order_relaxed);
  committer_paused_us_.fetch_add(static_cast<uint64_t>(us.count()), std::memory_order_relaxed);
}

void SqliteMessageStore::warn(const char* kind, std::string text) {
  if (kind == last_warning_) return;  // e.g. once per commit while a reader pins the WAL
  last_warning_ = kind;
  if (options_.warning) options_.warning(text);
}

bool SqliteMessageStore::commit_group(std::vector<Pending>& group,
                                      std::vector<CommitResult>* results) {
  sqlite3* db = writer_.get();
  results->assign(group.size(), CommitResult{});
  int rc = begin_.step();
  const char* stage = "begin";
  if (rc == SQLITE_DONE) {
    rc = SQLITE_OK;
    stage = "write";
    for (size_t i = 0; i < group.size() && rc == SQLITE_OK; ++i)
      rc = apply(group[i], &(*results)[i]);
    if (rc == SQLITE_OK) {
      stage = "commit";
      rc = commit_.step();
    }
  }
  if (rc == SQLITE_DONE) {
    commit_.reset();
    begin_.reset();
    // release() counts the results, once they are synced. The digest cache
    // only guides preparation (the committer checks the real head), so it
    // may learn of a group before its sync.
    record_writer_.publish_committed();
    transactions_.fetch_add(1, std::memory_order_relaxed);
    return true;
  }
  // Describe the error before ROLLBACK replaces SQLite's message. The text
  // names the failure only; SQLite messages never include bound values.
  std::string error =
      std::string("message store ") + stage + " failed: " + internal::describe_error(db, rc);
  begin_.reset();
  commit_.reset();
  record_writer_.discard_uncommitted();
  // Some errors (SQLITE_FULL, IOERR, ...) already rolled back; a failed COMMIT
  // (e.g. SQLITE_BUSY) leaves the transaction open.
  if (sqlite3_get_autocommit(db) == 0) {
    rollback_.step();
    rollback_.reset();
  }
  for (CommitResult& r : *results) r = failed(error);
  return false;
}

int SqliteMessageStore::apply(const Pending& p, CommitResult* result) {
  const InboundMessage& m = p.message;
  if (m.status == MessageStatus::kAccepted && !m.control_id.empty()) {
    // Also sees rows inserted earlier in this group: same transaction.
    int64_t original_id = 0, original_received_at = 0;
    {
      ScopedReset reset(find_accepted_);
      find_accepted_.bind_text(1, m.sender).bind_text(2, m.control_id);
      const int rc = find_accepted_.step();
      if (rc == SQLITE_ROW) {
        original_id = find_accepted_.column_int64(0);
        auto ack =
            options_.keys->open(find_accepted_.column_blob_view(1),
                                crypto::message_associated_data("ack", m.sender, m.control_id,
                                                                find_accepted_.column_int64(3)));
        // An acknowledgement that does not decrypt was altered or written with
        // another key: answer as for a failed store (the sender retries), never
        // with bytes we cannot vouch for.
        if (!ack.ok()) return SQLITE_CORRUPT;
        result->ack = std::move(ack).value();
        result->content_differs = find_accepted_.column_blob_view(2) != as_bytes(p.content_sha256);
        original_received_at = find_accepted_.column_int64(3);
      } else if (rc != SQLITE_DONE) {
        return rc;
      }
    }
    if (original_id != 0 && result->content_differs && m.on_conflict.has_value()) {
      bool same = false;
      const int rc = same_content(p, original_id, original_received_at, &same);
      if (rc != SQLITE_OK) return rc;
      if (!same) {
        result->ack.clear();
        result->content_differs = false;
        return apply_conflict(p, original_id, result);
      }
      result->content_differs = false;
    }
    if (original_id != 0) {
      ScopedReset reset(count_duplicate_);
      const int rc = count_duplicate_.bind_int64(1, original_id).step();
      if (rc != SQLITE_DONE) return rc;
      result->kind = CommitResult::Kind::kDuplicate;
      result->id = original_id;
      return SQLITE_OK;
    }
  }
  const bool with_records = m.status == MessageStatus::kAccepted && !m.records.empty();
  if (with_records) {
    ScopedReset reset(savepoint_);
    const int rc = savepoint_.step();
    if (rc != SQLITE_DONE) return rc;
  }
  const int rc = insert_message(p, result);
  if (rc != SQLITE_OK || !with_records) return rc;
  size_t conflict_index = 0;
  // with_records: submit() prepared them (prepare_records() skips no accepted message with
  // records).
  const int records_rc =
      record_writer_.apply(result->id, m.received_at_ms, m.records, p.prepared->records,
                           &result->records, &conflict_index);
  if (records_rc == internal::RecordWriter::kConflict) {
    {
      ScopedReset reset(rollback_to_);
      const int undo_rc = rollback_to_.step();
      if (undo_rc != SQLITE_DONE) return undo_rc;
    }
    result->kind = CommitResult::Kind::kConflict;
    result->id = 0;
    result->records.clear();
    result->error = "record " + std::to_string(conflict_index) + " (" +
                    m.records[conflict_index].resource_type + ") is not at the expected version";
  } else if (records_rc != SQLITE_OK) {
    return records_rc;
  }
  ScopedReset reset(release_);
  const int release_rc = release_.step();
  return release_rc == SQLITE_DONE ? SQLITE_OK : release_rc;
}

int SqliteMessageStore::same_content(const Pending& p, int64_t original_id, int64_t received_at_ms,
                                     bool* same) {
  const InboundMessage& m = p.message;
  ScopedReset reset(original_raw_);
  const int rc = original_raw_.bind_int64(1, original_id).step();
  if (rc != SQLITE_ROW) return rc == SQLITE_DONE ? SQLITE_CORRUPT : rc;
  auto raw = options_.keys->open(
      original_raw_.column_blob_view(0),
      crypto::message_associated_data("raw", m.sender, m.control_id, received_at_ms));
  if (!raw.ok()) return SQLITE_CORRUPT;  // as for an acknowledgement that does not open
  *same = message_fingerprint(*options_.keys, raw.value()) == p.content_sha256;
  return SQLITE_OK;
}

int SqliteMessageStore::apply_conflict(const Pending& p, int64_t original_id,
                                       CommitResult* result) {
  const InboundMessage& m = p.message;
  int64_t earlier_id = 0;
  {
    ScopedReset reset(find_conflict_);
    const int rc =
        find_conflict_.bind_int64(1, original_id).bind_blob(2, as_bytes(p.content_sha256)).step();
    if (rc == SQLITE_ROW) {
      earlier_id = find_conflict_.column_int64(0);
      auto ack =
          options_.keys->open(find_conflict_.column_blob_view(1),
                              crypto::message_associated_data("ack", m.sender, m.control_id,
                                                              find_conflict_.column_int64(2)));
      if (!ack.ok()) return SQLITE_CORRUPT;
      result->ack = std::move(ack).value();
    } else if (rc != SQLITE_DONE) {
      return rc;
    }
  }
  if (earlier_id != 0) {
    ScopedReset reset(count_duplicate_);
    const int rc = count_duplicate_.bind_int64(1, earlier_id).step();
    if (rc != SQLITE_DONE) return rc;
    result->id = earlier_id;
  } else {
    const int rc = insert_message(p, result, original_id);
    if (rc != SQLITE_OK) return rc;
    result->ack = p.conflict_ack;
  }
  result->kind = CommitResult::Kind::kDuplicateConflict;
  result->original_id = original_id;
  return SQLITE_OK;
}

int SqliteMessageStore::insert_message(const Pending& p, CommitResult* result,
                                       int64_t conflict_of) {
  const InboundMessage& m = p.message;
  const bool conflict = conflict_of != 0;
  // The original's row id in the text operators list (gatewayctl messages list).
  const std::string conflict_error =
      conflict ? m.on_conflict->error + " [original message id " + std::to_string(conflict_of) + "]"
               : std::string();
  ScopedReset reset(insert_);
  insert_.bind_text(1, m.channel)
      .bind_text(2, m.sender)
      .bind_text(3, m.control_id)
      .bind_text(4, m.message_type)
      .bind_text(5, m.peer)
      .bind_text(6, to_string(conflict ? MessageStatus::kRejected : m.status))
      .bind_text(7, conflict ? conflict_error : m.error)
      .bind_blob(8, m.raw)
      .bind_blob(9, conflict ? m.on_conflict->ack : m.ack)
      .bind_blob(10, as_bytes(p.content_sha256))
      .bind_int64(11, m.received_at_ms);
  if (conflict)
    insert_.bind_int64(12, conflict_of);
  else
    insert_.bind_null(12);
  const int rc = insert_.step();
  if (rc != SQLITE_DONE) return rc;
  result->kind = CommitResult::Kind::kStored;
  result->id = sqlite3_last_insert_rowid(writer_.get());
  return SQLITE_OK;
}

std::vector<StoredMessageSummary> SqliteMessageStore::list(int64_t after_id, size_t limit) {
  std::vector<StoredMessageSummary> out;
  if (limit == 0) return out;
  const auto bounded = static_cast<int64_t>(
      std::min<uint64_t>(limit, static_cast<uint64_t>(std::numeric_limits<int64_t>::max())));
  std::lock_guard<std::mutex> lock(read_mu_);
  ScopedReset reset(list_);
  list_.bind_int64(1, after_id).bind_int64(2, bounded);
  int rc;
  while ((rc = list_.step()) == SQLITE_ROW) {
    StoredMessageSummary s;
    s.id = list_.column_int64(0);
    s.channel = list_.column_text(1);
    s.sender = list_.column_text(2);
    s.control_id = list_.column_text(3);
    s.message_type = list_.column_text(4);
    s.peer = list_.column_text(5);
    s.error = list_.column_text(6);
    s.status =
        list_.column_text(7) == "accepted" ? MessageStatus::kAccepted : MessageStatus::kRejected;
    s.received_at_ms = list_.column_int64(8);
    s.raw_bytes = std::max<int64_t>(list_.column_int64(9) - kEnvelopeOverhead, 0);
    s.duplicates_seen = list_.column_int64(10);
    s.conflict_of = list_.column_int64(11);  // NULL reads as 0
    out.push_back(std::move(s));
  }
  if (rc != SQLITE_DONE) {
    read_error();
    out.clear();
  }
  return out;
}

std::optional<std::string> SqliteMessageStore::raw_message(int64_t id) {
  std::lock_guard<std::mutex> lock(read_mu_);
  ScopedReset reset(raw_message_);
  const int rc = raw_message_.bind_int64(1, id).step();
  if (rc == SQLITE_ROW) {
    auto raw = options_.keys->open(
        raw_message_.column_blob_view(0),
        crypto::message_associated_data("raw", raw_message_.column_text(1),
                                        raw_message_.column_text(2), raw_message_.column_int64(3)));
    if (!raw.ok()) {
      read_error();
      return std::nullopt;
    }
    return std::move(raw).value();
  }
  if (rc != SQLITE_DONE) read_error();
  return std::nullopt;
}

int64_t SqliteMessageStore::count(std::optional<MessageStatus> status) {
  std::lock_guard<std::mutex> lock(read_mu_);
  Statement& s = status.has_value() ? count_by_status_ : count_all_;
  ScopedReset reset(s);
  if (status.has_value()) s.bind_text(1, to_string(*status));
  if (s.step() != SQLITE_ROW) return read_error();
  return s.column_int64(0);
}

std::optional<StoredRecord> SqliteMessageStore::read_record(std::string_view type,
                                                            std::string_view id, int64_t version) {
  std::optional<StoredRecord> out;
  if (!record_reader_.read(type, id, version, &out)) read_error();
  return out;
}

std::vector<StoredRecord> SqliteMessageStore::find_records(std::string_view type,
                                                           const std::optional<std::string>& system,
                                                           std::string_view value, size_t limit) {
  std::vector<StoredRecord> out;
  if (!record_reader_.find(type, system, value, limit, &out)) read_error();
  return out;
}

std::vector<std::string> SqliteMessageStore::patients_with_token(std::string_view token) {
  std::vector<std::string> out;
  if (!record_reader_.patients_with_token(token, &out)) read_error();
  return out;
}

std::vector<StoredRecord> SqliteMessageStore::patient_compartment(std::string_view patient_id,
                                                                  size_t limit) {
  std::vector<StoredRecord> out;
  if (!record_reader_.compartment(patient_id, limit, &out)) read_error();
  return out;
}

std::vector<StoredRecord> SqliteMessageStore::list_records(const RecordQuery& query) {
  std::vector<StoredRecord> out;
  if (!record_reader_.list(query, &out)) read_error();
  return out;
}

int64_t SqliteMessageStore::count_records() {
  int64_t n = 0;
  if (!record_reader_.count(&n)) return read_error();
  return n;
}

StoreStats SqliteMessageStore::stats() const {
  StoreStats s;
  s.submitted = submitted_.load(std::memory_order_relaxed);
  s.stored = stored_.load(std::memory_order_relaxed);
  s.duplicates = duplicates_.load(std::memory_order_relaxed);
  s.conflicts = conflicts_.load(std::memory_order_relaxed);
  s.failed = failed_.load(std::memory_order_relaxed);
  s.transactions = transactions_.load(std::memory_order_relaxed);
  s.read_errors = read_errors_.load(std::memory_order_relaxed);
  s.wal_frames_written = wal_frames_written_.load(std::memory_order_relaxed);
  s.queue_full = queue_full_.load(std::memory_order_relaxed);
  s.checkpoints = checkpoints_.load(std::memory_order_relaxed);
  s.checkpointed_pages = checkpointed_pages_.load(std::memory_order_relaxed);
  s.checkpoint_restarts = checkpoint_restarts_.load(std::memory_order_relaxed);
  s.checkpoint_failures = checkpoint_failures_.load(std::memory_order_relaxed);
  s.committer_pauses = committer_pauses_.load(std::memory_order_relaxed);
  s.committer_paused_us = committer_paused_us_.load(std::memory_order_relaxed);
  s.syncs = syncs_.load(std::memory_order_relaxed);
  s.sync_failures = sync_failures_.load(std::memory_order_relaxed);
  s.durable_groups = durable_groups_.load(std::memory_order_relaxed);
  s.synced_messages = synced_messages_.load(std::memory_order_relaxed);
  s.sync_us = sync_us_.load(std::memory_order_relaxed);
  s.wal_reopens = wal_reopens_.load(std::memory_order_relaxed);
  return s;
}

}  // namespace

namespace {

void prepare_message_records(const crypto::StoreKeys& keys, internal::HeadDigests* recent,
                             InboundMessage* m) {
  if (m->status != MessageStatus::kAccepted || m->records.empty()) return;
  auto prepared = std::make_shared<PreparedRecords>();
  prepared->keys = &keys;
  prepared->records = internal::prepare_records(keys, m->records, recent);
  m->prepared = std::move(prepared);
}

void SqliteMessageStore::prepare_records(InboundMessage* m) {
  prepare_message_records(*options_.keys, &head_digests_, m);
}

}  // namespace

void prepare_records(const crypto::StoreKeys& keys, InboundMessage* m) {
  prepare_message_records(keys, nullptr, m);
}

void MessageStore::prepare_records(InboundMessage* m) { store::prepare_records(keys(), m); }

Result<std::unique_ptr<MessageStore>> MessageStore::open(const StoreOptions& options) {
  if (options.path.empty()) {
    return invalid_argument_error("cannot open message store: no database path configured");
  }
  sqlite::configure_process();  // a no-op if the process opened SQLite before
  if (sqlite3_threadsafe() == 0) {
    return failed_precondition_error(
        "cannot open message store: SQLite was built without thread support");
  }
  if (options.keys == nullptr) {
    return invalid_argument_error(
        "cannot open message store: no keys (every payload is stored encrypted)");
  }
  auto store = std::make_unique<SqliteMessageStore>(options);
  GW_RETURN_IF_ERROR(store->init());
  store->start();
  return std::unique_ptr<MessageStore>(std::move(store));
}

namespace internal {

std::optional<WriteConnectionSettings> write_connection_settings(const MessageStore& store) {
  const auto* impl = dynamic_cast<const SqliteMessageStore*>(&store);
  if (impl == nullptr) return std::nullopt;
  return impl->settings();
}

}  // namespace internal
}  // namespace gw::store
