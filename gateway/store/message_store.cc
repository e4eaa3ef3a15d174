// SQLite implementation of MessageStore.
//
// Threads: the committer thread owns writer_ and every write statement after
// open(); read statements and reader_ are guarded by read_mu_; the queue and
// closing_ by mu_; statistics are relaxed atomics.
//
// Group commit: submit() only enqueues. The committer takes everything pending
// (up to max_batch), runs it in one BEGIN IMMEDIATE ... COMMIT and, once
// COMMIT has returned SQLITE_OK, runs the callbacks. Submissions arriving
// while a commit (and its fsync) is in progress queue up and form the next
// group, so N concurrent submitters share one fsync.

#include "gateway/store/message_store.h"

#include <sqlite3.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <future>
#include <limits>
#include <mutex>
#include <thread>
#include <utility>

#include "gateway/store/message_store_internal.h"
#include "gateway/store/schema.h"
#include "gateway/store/sha256.h"
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
    "SELECT id, ack, content_sha256 FROM messages "
    "WHERE sender = ?1 AND control_id = ?2 AND status = 'accepted' AND control_id <> ''";
constexpr char kCountDuplicate[] =
    "UPDATE messages SET duplicates_seen = duplicates_seen + 1 WHERE id = ?1";
constexpr char kInsert[] =
    "INSERT INTO messages (channel, sender, control_id, message_type, peer, status, error, raw, "
    "ack, content_sha256, received_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)";
constexpr char kList[] =
    "SELECT id, channel, sender, control_id, message_type, peer, error, status, received_at_ms, "
    "length(raw), duplicates_seen FROM messages WHERE id > ?1 ORDER BY id LIMIT ?2";
constexpr char kRawMessage[] = "SELECT raw FROM messages WHERE id = ?1";
constexpr char kCountAll[] = "SELECT count(*) FROM messages";
constexpr char kCountByStatus[] = "SELECT count(*) FROM messages WHERE status = ?1";

std::string_view as_bytes(const Sha256Digest& d) {
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
  Sha256Digest content_sha256;  // computed by the submitting thread
  CommitCallback done;
};

class SqliteMessageStore final : public MessageStore {
 public:
  explicit SqliteMessageStore(const StoreOptions& options) : options_(options) {}
  ~SqliteMessageStore() override { close(); }

  bool init(std::string* error);
  void start() {
    committer_ = std::thread([this] { run_committer(); });
  }

  void submit(InboundMessage message, CommitCallback done) override;
  CommitResult submit_sync(InboundMessage message) override;
  void close() override;

  std::vector<StoredMessageSummary> list(int64_t after_id, size_t limit) override;
  std::optional<std::string> raw_message(int64_t id) override;
  int64_t count(std::optional<MessageStatus> status) override;
  StoreStats stats() const override;

  const internal::WriteConnectionSettings& settings() const { return settings_; }

 private:
  bool configure_writer(std::string* error);
  bool open_reader(std::string* error);
  void run_committer();
  // Runs one group in one transaction; fills results[i] for group[i].
  void commit_group(std::vector<Pending>& group, std::vector<CommitResult>* results);
  // Adds one submission to the open transaction. Returns SQLITE_OK or an error.
  int apply(const Pending& p, CommitResult* result);
  int read_error() {
    read_errors_.fetch_add(1, std::memory_order_relaxed);
    return -1;
  }

  const StoreOptions options_;
  internal::WriteConnectionSettings settings_;  // written by init() only

  // Committer thread only (after init()).
  Connection writer_;
  Statement begin_, commit_, rollback_, find_accepted_, count_duplicate_, insert_;

  std::mutex read_mu_;
  Connection reader_;                                           // guarded by read_mu_
  Statement list_, raw_message_, count_all_, count_by_status_;  // guarded by read_mu_

  std::mutex mu_;
  std::condition_variable queue_cv_;  // signalled on new work and on close
  std::deque<Pending> queue_;         // guarded by mu_
  bool closing_ = false;              // guarded by mu_

  std::mutex join_mu_;  // serializes concurrent close() calls joining committer_
  std::thread committer_;
  std::atomic<std::thread::id> committer_id_{};

  std::atomic<uint64_t> submitted_{0}, stored_{0}, duplicates_{0}, failed_{0}, transactions_{0},
      read_errors_{0};
};

bool SqliteMessageStore::init(std::string* error) {
  std::string why;
  if (!configure_writer(&why) || !open_reader(&why)) {
    *error = "cannot open message store \"" + options_.path + "\": " + why;
    return false;
  }
  return true;
}

bool SqliteMessageStore::configure_writer(std::string* error) {
  // NOMUTEX: each connection is used by one thread at a time (see top).
  if (!writer_.open(options_.path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                    error)) {
    return false;
  }
  sqlite3* db = writer_.get();
  const auto timeout_ms =
      std::clamp<int64_t>(options_.busy_timeout.count(), 0, std::numeric_limits<int>::max());
  sqlite3_busy_timeout(db, static_cast<int>(timeout_ms));
  // SQLite silently opens a write-protected file read-only.
  if (sqlite3_db_readonly(db, "main") == 1) {
    *error = "the database file is read-only";
    return false;
  }
  // The pragma answers with the mode actually in effect, which stays the old
  // one where WAL is impossible (e.g. no shared memory on the filesystem).
  if (!internal::query_value(db, "PRAGMA journal_mode = WAL", &settings_.journal_mode, error)) {
    return false;
  }
  if (settings_.journal_mode != "wal") {
    *error = "cannot enable WAL journal mode (SQLite reports \"" + settings_.journal_mode + "\")";
    return false;
  }
  const int64_t want_sync = options_.synchronous_full ? 2 : 1;
  if (writer_.exec(
          options_.synchronous_full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL",
          error) != SQLITE_OK ||
      writer_.exec("PRAGMA foreign_keys = ON", error) != SQLITE_OK ||
      !internal::query_value(db, "PRAGMA synchronous", &settings_.synchronous, error) ||
      !internal::query_value(db, "PRAGMA foreign_keys", &settings_.foreign_keys, error)) {
    return false;
  }
  if (settings_.synchronous != want_sync || settings_.foreign_keys != 1) {
    *error = "connection settings did not take effect";
    return false;
  }
  if (!internal::migrate(db, error) ||
      !internal::query_value(db, "PRAGMA user_version", &settings_.schema_version, error)) {
    return false;
  }
  if (options_.max_database_bytes > 0) {
    int64_t page_size = 0;
    if (!internal::query_value(db, "PRAGMA page_size", &page_size, error)) return false;
    const uint64_t pages = (options_.max_database_bytes + page_size - 1) / page_size;
    // SQLite never sets it below the current size; the query reports the result.
    int64_t ignored = 0;
    if (!internal::query_value(db, "PRAGMA max_page_count = " + std::to_string(pages), &ignored,
                               error)) {
      return false;
    }
  }
  if (!internal::query_value(db, "PRAGMA max_page_count", &settings_.max_page_count, error)) {
    return false;
  }
  const std::pair<Statement*, const char*> statements[] = {
      {&begin_, "BEGIN IMMEDIATE"},
      {&commit_, "COMMIT"},
      {&rollback_, "ROLLBACK"},
      {&find_accepted_, kFindAccepted},
      {&count_duplicate_, kCountDuplicate},
      {&insert_, kInsert},
  };
  for (const auto& [stmt, sql] : statements) {
    const int rc = stmt->prepare(db, sql);
    if (rc != SQLITE_OK) {
      *error = std::string("preparing \"") + sql + "\": " + internal::describe_error(db, rc);
      return false;
    }
  }
  return true;
}

bool SqliteMessageStore::open_reader(std::string* error) {
  if (!reader_.open(options_.path, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, error)) {
    *error = "read connection: " + *error;
    return false;
  }
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
      *error = std::string("read connection: preparing \"") + sql +
               "\": " + internal::describe_error(db, rc);
      return false;
    }
  }
  return true;
}

void SqliteMessageStore::submit(InboundMessage message, CommitCallback done) {
  submitted_.fetch_add(1, std::memory_order_relaxed);
  Pending p{std::move(message), {}, std::move(done)};
  p.content_sha256 = sha256(p.message.raw);  // hashed here, off the committer thread
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!closing_) {
      queue_.push_back(std::move(p));
      queue_cv_.notify_one();
      return;
    }
  }
  failed_.fetch_add(1, std::memory_order_relaxed);
  if (p.done) p.done(failed("message store closed"));
}

CommitResult SqliteMessageStore::submit_sync(InboundMessage message) {
  if (std::this_thread::get_id() == committer_id_.load()) {
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
  // From a callback the committer cannot join itself; it stops once the queue
  // is drained and the destructor joins it.
  if (std::this_thread::get_id() == committer_id_.load()) return;
  std::lock_guard<std::mutex> lock(join_mu_);
  if (committer_.joinable()) committer_.join();
}

void SqliteMessageStore::run_committer() {
  committer_id_.store(std::this_thread::get_id());
  const size_t max_batch = std::max<size_t>(options_.max_batch, 1);
  std::vector<Pending> group;
  std::vector<CommitResult> results;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      queue_cv_.wait(lock, [this] { return !queue_.empty() || closing_; });
      if (queue_.empty()) return;  // closing, and everything submitted is done
      const size_t n = std::min(queue_.size(), max_batch);
      for (size_t i = 0; i < n; ++i) {
        group.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    commit_group(group, &results);
    for (size_t i = 0; i < group.size(); ++i) {
      if (group[i].done) group[i].done(std::move(results[i]));
    }
    group.clear();
    results.clear();
  }
}

void SqliteMessageStore::commit_group(std::vector<Pending>& group,
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
    transactions_.fetch_add(1, std::memory_order_relaxed);
    for (const CommitResult& r : *results) {
      (r.kind == CommitResult::Kind::kStored ? stored_ : duplicates_)
          .fetch_add(1, std::memory_order_relaxed);
    }
    return;
  }
  // Describe the error before ROLLBACK replaces SQLite's message. The text
  // names the failure only; SQLite messages never include bound values.
  std::string error =
      std::string("message store ") + stage + " failed: " + internal::describe_error(db, rc);
  begin_.reset();
  commit_.reset();
  // Some errors (SQLITE_FULL, IOERR, ...) already rolled back; a failed COMMIT
  // (e.g. SQLITE_BUSY) leaves the transaction open.
  if (sqlite3_get_autocommit(db) == 0) {
    rollback_.step();
    rollback_.reset();
  }
  for (CommitResult& r : *results) r = failed(error);
  failed_.fetch_add(group.size(), std::memory_order_relaxed);
}

int SqliteMessageStore::apply(const Pending& p, CommitResult* result) {
  const InboundMessage& m = p.message;
  if (m.status == MessageStatus::kAccepted && !m.control_id.empty()) {
    // Also sees rows inserted earlier in this group: same transaction.
    int64_t original_id = 0;
    {
      ScopedReset reset(find_accepted_);
      find_accepted_.bind_text(1, m.sender).bind_text(2, m.control_id);
      const int rc = find_accepted_.step();
      if (rc == SQLITE_ROW) {
        original_id = find_accepted_.column_int64(0);
        result->ack = find_accepted_.column_blob(1);
        result->content_differs = find_accepted_.column_blob_view(2) != as_bytes(p.content_sha256);
      } else if (rc != SQLITE_DONE) {
        return rc;
      }
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
  ScopedReset reset(insert_);
  const int rc = insert_.bind_text(1, m.channel)
                     .bind_text(2, m.sender)
                     .bind_text(3, m.control_id)
                     .bind_text(4, m.message_type)
                     .bind_text(5, m.peer)
                     .bind_text(6, to_string(m.status))
                     .bind_text(7, m.error)
                     .bind_blob(8, m.raw)
                     .bind_blob(9, m.ack)
                     .bind_blob(10, as_bytes(p.content_sha256))
                     .bind_int64(11, m.received_at_ms)
                     .step();
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
    s.raw_bytes = list_.column_int64(9);
    s.duplicates_seen = list_.column_int64(10);
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
  if (rc == SQLITE_ROW) return raw_message_.column_blob(0);
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

StoreStats SqliteMessageStore::stats() const {
  StoreStats s;
  s.submitted = submitted_.load(std::memory_order_relaxed);
  s.stored = stored_.load(std::memory_order_relaxed);
  s.duplicates = duplicates_.load(std::memory_order_relaxed);
  s.failed = failed_.load(std::memory_order_relaxed);
  s.transactions = transactions_.load(std::memory_order_relaxed);
  s.read_errors = read_errors_.load(std::memory_order_relaxed);
  return s;
}

}  // namespace

std::unique_ptr<MessageStore> MessageStore::open(const StoreOptions& options, std::string* error) {
  if (options.path.empty()) {
    *error = "cannot open message store: no database path configured";
    return nullptr;
  }
  if (sqlite3_threadsafe() == 0) {
    *error = "cannot open message store: SQLite was built without thread support";
    return nullptr;
  }
  auto store = std::make_unique<SqliteMessageStore>(options);
  if (!store->init(error)) return nullptr;
  store->start();
  return store;
}

namespace internal {

std::optional<WriteConnectionSettings> write_connection_settings(const MessageStore& store) {
  const auto* impl = dynamic_cast<const SqliteMessageStore*>(&store);
  if (impl == nullptr) return std::nullopt;
  return impl->settings();
}

}  // namespace internal
}  // namespace gw::store
