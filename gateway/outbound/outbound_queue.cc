#include "gateway/outbound/outbound_queue.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <mutex>

#include "gateway/base/clock.h"
#include "gateway/base/sqlite.h"

namespace gw::outbound {
namespace {

constexpr int kSchemaVersion = 1;

// destinations holds the counters that outlive the items (sent, skipped,
// retried); meta the cursor.
constexpr const char* kSchema = R"sql(
CREATE TABLE meta(key TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE items(
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  destination TEXT NOT NULL,
  message_id INTEGER NOT NULL,
  control_id TEXT NOT NULL,
  state INTEGER NOT NULL DEFAULT 0,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_ms INTEGER NOT NULL DEFAULT 0,
  enqueued_ms INTEGER NOT NULL,
  last_error TEXT NOT NULL DEFAULT '',
  UNIQUE(destination, message_id));
CREATE INDEX items_by_destination ON items(destination, state, seq);
CREATE TABLE destinations(
  name TEXT PRIMARY KEY,
  sent INTEGER NOT NULL DEFAULT 0,
  skipped INTEGER NOT NULL DEFAULT 0,
  retried INTEGER NOT NULL DEFAULT 0);
)sql";

using sqlite::Statement;

constexpr const char* kItemColumns =
    "seq, destination, message_id, control_id, state, attempts, next_attempt_ms, enqueued_ms, "
    "last_error";

QueueItem read_item(Statement& s) {
  QueueItem it;
  it.seq = s.column_int64(0);
  it.destination = s.column_text(1);
  it.message_id = s.column_int64(2);
  it.control_id = s.column_text(3);
  it.state = s.column_int64(4) == 1 ? ItemState::kDead : ItemState::kQueued;
  it.attempts = static_cast<int>(s.column_int64(5));
  it.next_attempt_ms = s.column_int64(6);
  it.enqueued_ms = s.column_int64(7);
  it.last_error = s.column_text(8);
  return it;
}

}  // namespace

const char* item_state_name(ItemState s) { return s == ItemState::kDead ? "dead" : "queued"; }

int64_t backoff_ms(int attempts, int64_t initial_ms, int64_t max_ms) {
  if (initial_ms <= 0) initial_ms = 1;
  int64_t delay = initial_ms;
  for (int i = 1; i < attempts && delay < max_ms; ++i) delay *= 2;
  return std::min(delay, max_ms);
}

class OutboundQueue::Impl {
 public:
  ~Impl() { sqlite3_close_v2(db); }
  sqlite3* db = nullptr;
  std::string path;
  std::mutex mu;

  Status error(std::string_view what) const {
    return sqlite::error_status(db, sqlite3_errcode(db),
                                "outbound queue " + path + ": " + std::string(what));
  }
  Status exec(const char* sql) {
    const int rc = sqlite3_exec(db, sql, nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) return sqlite::error_status(db, rc, "outbound queue " + path);
    return ok_status();
  }
  Status run(Statement& s, std::string_view what) {
    if (s.step() != SQLITE_DONE) return error(what);
    return ok_status();
  }
  // BEGIN IMMEDIATE ... COMMIT around `body`, rolled back on error.
  template <typename F>
  Status in_tx(F&& body) {
    GW_RETURN_IF_ERROR(exec("BEGIN IMMEDIATE"));
    Status s = body();
    if (s.ok()) s = exec("COMMIT");
    if (!s.ok()) (void)exec("ROLLBACK");
    return s;
  }
  Status bump(const std::string& destination, const char* counter) {
    Statement ins(db, "INSERT OR IGNORE INTO destinations(name) VALUES(?)");
    ins.bind_text(1, destination);
    GW_RETURN_IF_ERROR(run(ins, "count"));
    Statement up(db, std::string("UPDATE destinations SET ") + counter + " = " + counter +
                         " + 1 WHERE name = ?");
    up.bind_text(1, destination);
    return run(up, "count");
  }
  Result<QueueItem> item(int64_t seq) {
    Statement s(db, std::string("SELECT ") + kItemColumns + " FROM items WHERE seq = ?");
    s.bind_int64(1, seq);
    const int rc = s.step();
    if (rc == SQLITE_DONE) return not_found_error("outbound item " + std::to_string(seq));
    if (rc != SQLITE_ROW) return error("read item");
    return read_item(s);
  }
};

Result<std::unique_ptr<OutboundQueue>> OutboundQueue::open(const std::string& path,
                                                           int64_t initial_cursor) {
  return open(path, [initial_cursor]() -> Result<int64_t> { return initial_cursor; });
}

Result<std::unique_ptr<OutboundQueue>> OutboundQueue::open(
    const std::string& path, const std::function<Result<int64_t>()>& initial_cursor) {
  // Create with 0600 before SQLite does (it would use the umask).
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    return unavailable_error("outbound queue " + path + ": cannot open: " + std::strerror(errno));
  ::close(fd);
  std::unique_ptr<OutboundQueue> q(new OutboundQueue());
  q->impl_ = std::make_unique<Impl>();
  Impl& d = *q->impl_;
  d.path = path;
  if (sqlite3_open_v2(path.c_str(), &d.db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX,
                      nullptr) != SQLITE_OK)
    return d.error("cannot open");
  sqlite3_busy_timeout(d.db, 5000);
  for (const char* pragma : {"PRAGMA journal_mode = WAL", "PRAGMA synchronous = FULL"})
    GW_RETURN_IF_ERROR(d.exec(pragma));
  Statement v(d.db, "PRAGMA user_version");
  if (v.step() != SQLITE_ROW) return d.error("read schema version");
  const int64_t version = v.column_int64(0);
  v.reset();
  if (version != 0 && version != kSchemaVersion)
    return failed_precondition_error("outbound queue " + path + ": schema version " +
                                     std::to_string(version) + " is not this build's (" +
                                     std::to_string(kSchemaVersion) + ")");
  if (version == 0) {
    Statement t(d.db, "SELECT count(*) FROM sqlite_master");
    if (t.step() != SQLITE_ROW) return d.error("read schema");
    if (t.column_int64(0) != 0)
      return failed_precondition_error("outbound queue " + path +
                                       ": not an outbound queue (unknown tables)");
    t.reset();
    GW_ASSIGN_OR_RETURN(const int64_t start, initial_cursor());
    GW_RETURN_IF_ERROR(d.in_tx([&]() -> Status {
      GW_RETURN_IF_ERROR(d.exec(kSchema));
      Statement c(d.db, "INSERT INTO meta(key, value) VALUES('cursor', ?)");
      c.bind_int64(1, start);
      GW_RETURN_IF_ERROR(d.run(c, "set cursor"));
      return d.exec(("PRAGMA user_version = " + std::to_string(kSchemaVersion)).c_str());
    }));
  }
  return q;
}

OutboundQueue::~OutboundQueue() = default;

Result<int64_t> OutboundQueue::cursor() {
  std::lock_guard lock(impl_->mu);
  Statement s(impl_->db, "SELECT value FROM meta WHERE key = 'cursor'");
  if (s.step() != SQLITE_ROW) return impl_->error("read cursor");
  return s.column_int64(0);
}

Status OutboundQueue::enqueue(const std::vector<NewItem>& items, int64_t new_cursor) {
  std::lock_guard lock(impl_->mu);
  Impl& d = *impl_;
  return d.in_tx([&]() -> Status {
    Statement c(d.db, "SELECT value FROM meta WHERE key = 'cursor'");
    if (c.step() != SQLITE_ROW) return d.error("read cursor");
    if (new_cursor < c.column_int64(0))
      return failed_precondition_error("outbound queue: the cursor never moves back");
    c.reset();
    Statement ins(d.db,
                  "INSERT OR IGNORE INTO items(destination, message_id, control_id, enqueued_ms) "
                  "VALUES(?, ?, ?, ?)");
    const int64_t now = now_ms();
    for (const NewItem& it : items) {
      ins.reset();
      ins.bind_text(1, it.destination)
          .bind_int64(2, it.message_id)
          .bind_text(3, it.control_id)
          .bind_int64(4, now);
      GW_RETURN_IF_ERROR(d.run(ins, "enqueue"));
    }
    Statement set(d.db, "UPDATE meta SET value = ? WHERE key = 'cursor'");
    set.bind_int64(1, new_cursor);
    return d.run(set, "set cursor");
  });
}

Result<std::optional<QueueItem>> OutboundQueue::head(const std::string& destination) {
  std::lock_guard lock(impl_->mu);
  Statement s(impl_->db, std::string("SELECT ") + kItemColumns +
                             " FROM items WHERE destination = ? AND state = 0 ORDER BY seq "
                             "LIMIT 1");
  s.bind_text(1, destination);
  const int rc = s.step();
  if (rc == SQLITE_DONE) return std::optional<QueueItem>();
  if (rc != SQLITE_ROW) return impl_->error("read head");
  return std::optional<QueueItem>(read_item(s));
}

Status OutboundQueue::complete(int64_t seq, bool skipped) {
  std::lock_guard lock(impl_->mu);
  Impl& d = *impl_;
  return d.in_tx([&]() -> Status {
    GW_ASSIGN_OR_RETURN(QueueItem it, d.item(seq));
    Statement del(d.db, "DELETE FROM items WHERE seq = ?");
    del.bind_int64(1, seq);
    GW_RETURN_IF_ERROR(d.run(del, "complete"));
    return d.bump(it.destination, skipped ? "skipped" : "sent");
  });
}

Status OutboundQueue::retry_later(int64_t seq, const std::string& error, int64_t next_attempt_ms) {
  std::lock_guard lock(impl_->mu);
  Impl& d = *impl_;
  return d.in_tx([&]() -> Status {
    GW_ASSIGN_OR_RETURN(QueueItem it, d.item(seq));
    Statement up(d.db,
                 "UPDATE items SET attempts = attempts + 1, next_attempt_ms = ?, last_error = ? "
                 "WHERE seq = ?");
    up.bind_int64(1, next_attempt_ms).bind_text(2, error).bind_int64(3, seq);
    GW_RETURN_IF_ERROR(d.run(up, "retry later"));
    return d.bump(it.destination, "retried");
  });
}

Status OutboundQueue::dead_letter(int64_t seq, const std::string& error) {
  std::lock_guard lock(impl_->mu);
  Impl& d = *impl_;
  return d.in_tx([&]() -> Status {
    Statement up(d.db,
                 "UPDATE items SET state = 1, attempts = attempts + 1, last_error = ? "
                 "WHERE seq = ?");
    up.bind_text(1, error).bind_int64(2, seq);
    return d.run(up, "dead letter");
  });
}

Result<int64_t> OutboundQueue::requeue_dead(const std::optional<std::string>& destination,
                                            std::optional<int64_t> seq) {
  std::lock_guard lock(impl_->mu);
  Impl& d = *impl_;
  int64_t changed = 0;
  GW_RETURN_IF_ERROR(d.in_tx([&]() -> Status {
    Statement up(
        d.db,
        "UPDATE items SET state = 0, attempts = 0, next_attempt_ms = 0, last_error = '' "
        "WHERE state = 1 AND (?1 IS NULL OR destination = ?1) AND (?2 IS NULL OR seq = ?2)");
    if (destination) {
      up.bind_text(1, *destination);
    } else {
      up.bind_null(1);
    }
    if (seq) {
      up.bind_int64(2, *seq);
    } else {
      up.bind_null(2);
    }
    GW_RETURN_IF_ERROR(d.run(up, "requeue dead letters"));
    changed = sqlite3_changes(d.db);
    return ok_status();
  }));
  return changed;
}

Result<std::vector<DestinationCounts>> OutboundQueue::counts() {
  std::lock_guard lock(impl_->mu);
  Impl& d = *impl_;
  std::map<std::string, DestinationCounts> by_name;
  auto entry = [&](const std::string& name) -> DestinationCounts& {
    DestinationCounts& c = by_name[name];
    c.destination = name;
    return c;
  };
  Statement t(d.db, "SELECT name, sent, skipped, retried FROM destinations");
  int rc;
  while ((rc = t.step()) == SQLITE_ROW) {
    DestinationCounts& c = entry(t.column_text(0));
    c.sent = t.column_int64(1);
    c.skipped = t.column_int64(2);
    c.retried = t.column_int64(3);
  }
  if (rc != SQLITE_DONE) return d.error("count");
  Statement s(d.db,
              "SELECT destination, state, count(*), min(enqueued_ms) FROM items "
              "GROUP BY destination, state");
  while ((rc = s.step()) == SQLITE_ROW) {
    DestinationCounts& c = entry(s.column_text(0));
    if (s.column_int64(1) == 1) {
      c.dead = s.column_int64(2);
    } else {
      c.queued = s.column_int64(2);
      c.oldest_queued_ms = s.column_int64(3);
    }
  }
  if (rc != SQLITE_DONE) return d.error("count");
  std::vector<DestinationCounts> out;
  for (auto& [_, c] : by_name) out.push_back(std::move(c));
  return out;
}

Result<std::vector<QueueItem>> OutboundQueue::list(std::optional<ItemState> state, size_t limit) {
  std::lock_guard lock(impl_->mu);
  Statement s(impl_->db, std::string("SELECT ") + kItemColumns +
                             " FROM items WHERE (?1 IS NULL OR state = ?1) ORDER BY seq LIMIT ?2");
  if (state) {
    s.bind_int64(1, static_cast<int>(*state));
  } else {
    s.bind_null(1);
  }
  s.bind_int64(2, static_cast<int64_t>(std::min<size_t>(limit, 1'000'000)));
  std::vector<QueueItem> out;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) out.push_back(read_item(s));
  if (rc != SQLITE_DONE) return impl_->error("list");
  return out;
}

}  // namespace gw::outbound
