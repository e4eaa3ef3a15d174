#include "gateway/store/sqlite_util.h"

namespace gw::store::internal {
namespace {
// Steps `sql` once, leaving `s` on its first row.
Status step_to_row(sqlite3* db, const std::string& sql, Statement* s) {
  int rc = s->prepare(db, sql);
  if (rc == SQLITE_OK) rc = s->step();
  if (rc == SQLITE_ROW) return ok_status();
  if (rc == SQLITE_DONE) return internal_error(sql + ": no result");
  return sqlite::error_status(db, rc, sql);
}
}  // namespace

Result<int64_t> query_int(sqlite3* db, const std::string& sql) {
  Statement s;
  GW_RETURN_IF_ERROR(step_to_row(db, sql, &s));
  return s.column_int64(0);
}

Result<std::string> query_text(sqlite3* db, const std::string& sql) {
  Statement s;
  GW_RETURN_IF_ERROR(step_to_row(db, sql, &s));
  return s.column_text(0);
}

Connection::~Connection() {
  // close_v2 defers the close if a statement is still alive; the store
  // finalizes its statements first, so this closes (and checkpoints) now.
  sqlite3_close_v2(db_);
}

Status Connection::open(const std::string& path, int flags) {
  int rc = sqlite3_open_v2(path.c_str(), &db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    Status error = sqlite::error_status(db_, rc);
    sqlite3_close_v2(db_);  // open_v2 may return a handle even on failure
    db_ = nullptr;
    return error;
  }
  sqlite3_extended_result_codes(db_, 1);
  return ok_status();
}

Status Connection::exec(const char* sql) {
  const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return sqlite::error_status(db_, rc);
  return ok_status();
}

}  // namespace gw::store::internal
