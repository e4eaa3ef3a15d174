#include "gateway/store/sqlite_util.h"

#include <system_error>

namespace gw::store::internal {

std::string describe_error(sqlite3* db, int rc) {
  std::string out = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  out += " (SQLite code " + std::to_string(rc) + ")";
  // The OS error is only meaningful for errors that came from a system call;
  // for others sqlite3_system_errno() may be stale.
  const int primary = rc & 0xff;
  if (db != nullptr &&
      (primary == SQLITE_CANTOPEN || primary == SQLITE_IOERR || primary == SQLITE_PERM ||
       primary == SQLITE_READONLY || primary == SQLITE_FULL)) {
    const int os_error = sqlite3_system_errno(db);
    if (os_error != 0) {
      out += ": " + std::error_code(os_error, std::generic_category()).message();
    }
  }
  return out;
}

namespace {
// Steps `sql` once, leaving `s` on its first row.
bool step_to_row(sqlite3* db, const std::string& sql, Statement* s, std::string* error) {
  int rc = s->prepare(db, sql);
  if (rc == SQLITE_OK) rc = s->step();
  if (rc == SQLITE_ROW) return true;
  *error = sql + ": " + (rc == SQLITE_DONE ? std::string("no result") : describe_error(db, rc));
  return false;
}
}  // namespace

bool query_value(sqlite3* db, const std::string& sql, int64_t* value, std::string* error) {
  Statement s;
  if (!step_to_row(db, sql, &s, error)) return false;
  *value = s.column_int64(0);
  return true;
}

bool query_value(sqlite3* db, const std::string& sql, std::string* value, std::string* error) {
  Statement s;
  if (!step_to_row(db, sql, &s, error)) return false;
  *value = s.column_text(0);
  return true;
}

Connection::~Connection() {
  // close_v2 defers the close if a statement is still alive; the store
  // finalizes its statements first, so this closes (and checkpoints) now.
  sqlite3_close_v2(db_);
}

bool Connection::open(const std::string& path, int flags, std::string* error) {
  int rc = sqlite3_open_v2(path.c_str(), &db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    *error = describe_error(db_, rc);
    sqlite3_close_v2(db_);  // open_v2 may return a handle even on failure
    db_ = nullptr;
    return false;
  }
  sqlite3_extended_result_codes(db_, 1);
  return true;
}

int Connection::exec(const char* sql, std::string* error) {
  int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK && error != nullptr) *error = describe_error(db_, rc);
  return rc;
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

int Statement::prepare(sqlite3* db, std::string_view sql) {
  sqlite3_finalize(stmt_);
  stmt_ = nullptr;
  return sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                            &stmt_, nullptr);
}

namespace {
// sqlite3_bind_{text,blob}64 bind NULL for a null pointer; std::string_view{}
// has one. Any non-null pointer works for zero bytes.
const char* non_null(std::string_view v) { return v.data() != nullptr ? v.data() : ""; }
}  // namespace

Statement& Statement::bind_text(int index, std::string_view value) {
  int rc =
      sqlite3_bind_text64(stmt_, index, non_null(value), value.size(), SQLITE_STATIC, SQLITE_UTF8);
  if (bind_rc_ == SQLITE_OK) bind_rc_ = rc;
  return *this;
}

Statement& Statement::bind_blob(int index, std::string_view value) {
  int rc = sqlite3_bind_blob64(stmt_, index, non_null(value), value.size(), SQLITE_STATIC);
  if (bind_rc_ == SQLITE_OK) bind_rc_ = rc;
  return *this;
}

Statement& Statement::bind_int64(int index, int64_t value) {
  int rc = sqlite3_bind_int64(stmt_, index, value);
  if (bind_rc_ == SQLITE_OK) bind_rc_ = rc;
  return *this;
}

int Statement::step() {
  if (bind_rc_ != SQLITE_OK) return bind_rc_;
  return sqlite3_step(stmt_);
}

void Statement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  bind_rc_ = SQLITE_OK;
}

int64_t Statement::column_int64(int index) { return sqlite3_column_int64(stmt_, index); }

std::string Statement::column_text(int index) {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, index));
  const int n = sqlite3_column_bytes(stmt_, index);
  return p != nullptr ? std::string(p, static_cast<size_t>(n)) : std::string();
}

std::string Statement::column_blob(int index) { return std::string(column_blob_view(index)); }

std::string_view Statement::column_blob_view(int index) {
  // Order matters: sqlite3_column_blob first, then _bytes (SQLite docs).
  const auto* p = static_cast<const char*>(sqlite3_column_blob(stmt_, index));
  const int n = sqlite3_column_bytes(stmt_, index);
  return p != nullptr ? std::string_view(p, static_cast<size_t>(n)) : std::string_view();
}

}  // namespace gw::store::internal
