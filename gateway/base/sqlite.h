// The one RAII wrapper over a prepared SQLite statement, shared by the
// message store (gateway/store) and the ledger outbox (ledger-client/outbox),
// and the one way they describe an SQLite error. Header-only: the CMake target
// gw_sqlite is an INTERFACE library that brings SQLite::SQLite3 with it.
//
// A Statement is single-threaded: it (and the connection it was prepared on)
// must be used by one thread at a time.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "gateway/base/status.h"

namespace gw::sqlite {

// Process-wide SQLite settings, applied once before the first connection
// opens (SQLite refuses sqlite3_config() after that, which is harmless: the
// call is then a no-op). Memory statistics off: with them on (SQLite's
// default) every allocation SQLite makes takes a global mutex to count
// itself, and nothing here reads the counts; callgrind of
// store_growth_bench put that at 5% of all instructions.
inline void configure_process() {
  static const int rc = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
  (void)rc;
}

// Human-readable description of the last error on `db` for result code `rc`:
// SQLite's message, the (extended) code and, for open and I/O errors, the
// operating system's reason. Never contains bound values (no message content).
inline std::string describe_error(sqlite3* db, int rc) {
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

// describe_error() as a Status whose code says what the caller may do:
// busy/locked -> unavailable (retry), full -> resource-exhausted, corrupt ->
// data-loss, open/I/O/permission -> unavailable, anything else -> internal.
// The message is "<context>: <description>" ("<description>" if no context).
inline Status error_status(sqlite3* db, int rc, std::string_view context = {}) {
  std::string message = context.empty() ? std::string() : std::string(context) + ": ";
  message += describe_error(db, rc);
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
    case SQLITE_PERM:
    case SQLITE_READONLY:
      return unavailable_error(std::move(message));
    case SQLITE_FULL:
      return resource_exhausted_error(std::move(message));
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return data_loss_error(std::move(message));
    default:
      return internal_error(std::move(message));
  }
}

class Statement {
 public:
  Statement() = default;
  // Prepares `sql` for one use (no SQLITE_PREPARE_PERSISTENT); see prepared().
  Statement(sqlite3* db, std::string_view sql) { prepare_rc_ = prepare(db, sql, 0); }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // Returns SQLITE_OK or an error code (see describe_error(db, rc)). By
  // default the statement is expected to be kept and reused.
  int prepare(sqlite3* db, std::string_view sql, unsigned int flags = SQLITE_PREPARE_PERSISTENT) {
    sqlite3_finalize(stmt_);
    stmt_ = nullptr;
    prepare_rc_ =
        sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()), flags, &stmt_, nullptr);
    return prepare_rc_;
  }
  bool prepared() const { return prepare_rc_ == SQLITE_OK; }

  // Binds borrow their argument (SQLITE_STATIC): the bytes must stay alive and
  // unchanged until the next reset() (or the statement's end). An empty value
  // binds as an empty string/blob, never NULL. The first failed bind is
  // remembered and returned by the next step(), so callers check once.
  Statement& bind_text(int index, std::string_view value) {
    return remember(sqlite3_bind_text64(stmt_, index, non_null(value.data()), value.size(),
                                        SQLITE_STATIC, SQLITE_UTF8));
  }
  Statement& bind_blob(int index, std::string_view value) {
    return remember(
        sqlite3_bind_blob64(stmt_, index, non_null(value.data()), value.size(), SQLITE_STATIC));
  }
  Statement& bind_blob(int index, std::span<const uint8_t> value) {
    return bind_blob(index,
                     std::string_view(reinterpret_cast<const char*>(value.data()), value.size()));
  }
  Statement& bind_int64(int index, int64_t value) {
    return remember(sqlite3_bind_int64(stmt_, index, value));
  }
  Statement& bind_null(int index) { return remember(sqlite3_bind_null(stmt_, index)); }

  // SQLITE_ROW, SQLITE_DONE or an error code.
  int step() {
    if (bind_rc_ != SQLITE_OK) return bind_rc_;
    return sqlite3_step(stmt_);
  }
  // Ends the current execution and clears the bindings. A SELECT that is not
  // reset keeps its read snapshot open, which pins the WAL.
  void reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
    bind_rc_ = SQLITE_OK;
  }

  // Column accessors; valid only after step() returned SQLITE_ROW.
  bool column_is_null(int index) { return sqlite3_column_type(stmt_, index) == SQLITE_NULL; }
  int64_t column_int64(int index) { return sqlite3_column_int64(stmt_, index); }
  std::string column_text(int index) {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, index));
    const int n = sqlite3_column_bytes(stmt_, index);
    return p != nullptr ? std::string(p, static_cast<size_t>(n)) : std::string();
  }
  // View of a blob column, valid until the next step() or reset().
  std::string_view column_blob_view(int index) {
    // Order matters: sqlite3_column_blob first, then _bytes (SQLite docs).
    const auto* p = static_cast<const char*>(sqlite3_column_blob(stmt_, index));
    const int n = sqlite3_column_bytes(stmt_, index);
    return p != nullptr ? std::string_view(p, static_cast<size_t>(n)) : std::string_view();
  }
  std::string column_blob(int index) { return std::string(column_blob_view(index)); }
  std::vector<uint8_t> column_bytes(int index) {
    const std::string_view v = column_blob_view(index);
    return std::vector<uint8_t>(v.begin(), v.end());
  }

 private:
  // sqlite3_bind_{text,blob}64 bind NULL for a null pointer; an empty view
  // may have one. Any non-null pointer works for zero bytes.
  static const char* non_null(const char* p) { return p != nullptr ? p : ""; }
  Statement& remember(int rc) {
    if (bind_rc_ == SQLITE_OK) bind_rc_ = rc;
    return *this;
  }

  sqlite3_stmt* stmt_ = nullptr;
  int prepare_rc_ = SQLITE_ERROR;
  int bind_rc_ = SQLITE_OK;
};

// Resets a statement when leaving scope.
class ScopedReset {
 public:
  explicit ScopedReset(Statement& s) : s_(s) {}
  ~ScopedReset() { s_.reset(); }
  ScopedReset(const ScopedReset&) = delete;
  ScopedReset& operator=(const ScopedReset&) = delete;

 private:
  Statement& s_;
};

}  // namespace gw::sqlite
