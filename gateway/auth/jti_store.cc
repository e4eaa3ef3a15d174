#include "gateway/auth/jti_store.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <string>

#include "gateway/auth/assertion.h"
#include "gateway/base/sqlite.h"

namespace gw::auth {
namespace {

using sqlite::Statement;

constexpr int64_t kSchemaVersion = 1;
// WITHOUT ROWID: the primary key is the lookup, and rows are small.
constexpr const char* kSchema =
    "CREATE TABLE IF NOT EXISTS jti("
    "  client_id TEXT NOT NULL,"
    "  jti BLOB NOT NULL,"
    "  keep_until INTEGER NOT NULL,"
    "  PRIMARY KEY(client_id, jti)) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS jti_by_until ON jti(client_id, keep_until);";

}  // namespace

struct JtiStore::Impl {
  std::mutex mu;  // guards db and every statement on it
  sqlite3* db = nullptr;
  std::string path;
  Options options;

  ~Impl() { sqlite3_close_v2(db); }

  Status error(std::string_view what, int rc) {
    return sqlite::error_status(db, rc, "jti store " + path + ": " + std::string(what));
  }
  Status exec(const char* sql) {
    const int rc = sqlite3_exec(db, sql, nullptr, nullptr, nullptr);
    return rc == SQLITE_OK ? ok_status() : error("exec", rc);
  }
  Status run(Statement& s, std::string_view what) {
    const int rc = s.step();
    s.reset();
    return rc == SQLITE_DONE ? ok_status() : error(what, rc);
  }
  Result<int64_t> count(Statement& s, std::string_view what) {
    sqlite::ScopedReset reset(s);
    const int rc = s.step();
    if (rc != SQLITE_ROW) return error(what, rc);
    return s.column_int64(0);
  }
};

Result<std::unique_ptr<JtiStore>> JtiStore::open(const std::filesystem::path& file,
                                                 const Options& options) {
  // Create with 0600 before SQLite does (it would use the umask).
  const int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return unavailable_error("jti store " + file.string() +
                             ": cannot open: " + std::strerror(errno));
  }
  ::close(fd);
  std::unique_ptr<JtiStore> store(new JtiStore());
  store->impl_ = std::make_unique<Impl>();
  Impl& d = *store->impl_;
  d.path = file.string();
  d.options = options;
  int rc = sqlite3_open_v2(d.path.c_str(), &d.db, SQLITE_OPEN_READWRITE, nullptr);
  if (rc != SQLITE_OK) return d.error("cannot open", rc);
  sqlite3_busy_timeout(d.db, 5000);
  for (const char* pragma : {"PRAGMA journal_mode = WAL", "PRAGMA synchronous = FULL"}) {
    GW_RETURN_IF_ERROR(d.exec(pragma));
  }
  Statement v(d.db, "PRAGMA user_version");
  GW_ASSIGN_OR_RETURN(const int64_t version, d.count(v, "read schema version"));
  if (version != 0 && version != kSchemaVersion) {
    return failed_precondition_error("jti store " + d.path + ": schema version " +
                                     std::to_string(version) + " is not this build's (" +
                                     std::to_string(kSchemaVersion) + ")");
  }
  GW_RETURN_IF_ERROR(d.exec(kSchema));
  GW_RETURN_IF_ERROR(d.exec("PRAGMA user_version = 1"));
  return store;
}

JtiStore::~JtiStore() = default;

Status JtiStore::record(std::string_view client_id, std::string_view jti, int64_t keep_until_s,
                        int64_t now_s) {
  if (client_id.empty() || client_id.size() > kMaxClientIdBytes || jti.empty() ||
      jti.size() > kMaxJtiBytes) {
    return invalid_argument_error("jti store: client id and jti must be 1 to 256 bytes");
  }
  if (keep_until_s <= now_s) return invalid_argument_error("jti store: window already ended");
  Impl& d = *impl_;
  std::lock_guard lock(d.mu);
  GW_RETURN_IF_ERROR(d.exec("BEGIN IMMEDIATE"));
  auto body = [&]() -> Status {
    Statement prune(d.db, "DELETE FROM jti WHERE client_id = ? AND keep_until <= ?");
    prune.bind_text(1, client_id).bind_int64(2, now_s);
    GW_RETURN_IF_ERROR(d.run(prune, "prune"));
    Statement seen(d.db, "SELECT count(*) FROM jti WHERE client_id = ? AND jti = ?");
    seen.bind_text(1, client_id).bind_blob(2, jti);
    GW_ASSIGN_OR_RETURN(const int64_t n, d.count(seen, "look up"));
    if (n != 0) return unauthenticated_error("client assertion: jti was used before (replay)");
    Statement live(d.db, "SELECT count(*) FROM jti WHERE client_id = ?");
    live.bind_text(1, client_id);
    GW_ASSIGN_OR_RETURN(const int64_t rows, d.count(live, "count"));
    if (static_cast<uint64_t>(rows) >= d.options.max_rows_per_client) {
      return resource_exhausted_error("jti store: the client has " + std::to_string(rows) +
                                      " live assertions, the configured cap");
    }
    Statement insert(d.db, "INSERT INTO jti(client_id, jti, keep_until) VALUES(?, ?, ?)");
    insert.bind_text(1, client_id).bind_blob(2, jti).bind_int64(3, keep_until_s);
    return d.run(insert, "insert");
  };
  Status s = body();
  if (!s.ok()) {
    d.exec("ROLLBACK").ignore();  // the first error is the one to report
    return s;
  }
  s = d.exec("COMMIT");
  if (!s.ok()) d.exec("ROLLBACK").ignore();  // COMMIT failed: nothing recorded
  return s;
}

Result<int64_t> JtiStore::prune(int64_t now_s) {
  Impl& d = *impl_;
  std::lock_guard lock(d.mu);
  Statement s(d.db, "DELETE FROM jti WHERE keep_until <= ?");
  s.bind_int64(1, now_s);
  GW_RETURN_IF_ERROR(d.run(s, "prune"));
  return static_cast<int64_t>(sqlite3_changes(d.db));
}

Result<int64_t> JtiStore::rows(std::string_view client_id) {
  Impl& d = *impl_;
  std::lock_guard lock(d.mu);
  Statement s(d.db, "SELECT count(*) FROM jti WHERE client_id = ?");
  s.bind_text(1, client_id);
  return d.count(s, "count");
}

}  // namespace gw::auth
