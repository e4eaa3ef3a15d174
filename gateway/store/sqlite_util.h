// Small RAII wrappers over the SQLite C API used by the message store.
// Private to gateway/store.
//
// Both wrappers are single-threaded: a Connection (and every Statement
// prepared on it) must be used by one thread at a time. The store guarantees
// this by giving the write connection to the committer thread and guarding
// the read connection with a mutex; connections are opened SQLITE_OPEN_NOMUTEX.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace gw::store::internal {

// Human-readable description of the last error on `db` for result code `rc`:
// SQLite's message, the (extended) code and, for open and I/O errors, the
// operating system's reason. Never contains bound values (no message content).
std::string describe_error(sqlite3* db, int rc);

// Runs `sql` (e.g. a PRAGMA) and reads the first column of its first row.
// On failure returns false and sets *error.
bool query_value(sqlite3* db, const std::string& sql, int64_t* value, std::string* error);
bool query_value(sqlite3* db, const std::string& sql, std::string* value, std::string* error);

class Connection {
 public:
  Connection() = default;
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Opens `path` with SQLITE_OPEN_* `flags`, with extended result codes on.
  // On failure returns false and sets *error to SQLite's explanation.
  bool open(const std::string& path, int flags, std::string* error);
  sqlite3* get() const { return db_; }

  // Runs `sql` (one or more statements, no result rows). Returns SQLITE_OK
  // or an error code; on error *error (if non-null) describes it.
  int exec(const char* sql, std::string* error);

 private:
  sqlite3* db_ = nullptr;
};

class Statement {
 public:
  Statement() = default;
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // Returns SQLITE_OK or an error code (see describe_error(db, rc)).
  int prepare(sqlite3* db, std::string_view sql);

  // Binds borrow their argument (SQLITE_STATIC): the bytes must stay alive and
  // unchanged until the next reset(). An empty value binds as an empty
  // string/blob, never NULL. The first failed bind is remembered and returned
  // by the next step(), so callers check once.
  Statement& bind_text(int index, std::string_view value);
  Statement& bind_blob(int index, std::string_view value);
  Statement& bind_int64(int index, int64_t value);

  // SQLITE_ROW, SQLITE_DONE or an error code.
  int step();
  // Ends the current execution and clears the bindings. A SELECT that is not
  // reset keeps its read snapshot open, which pins the WAL.
  void reset();

  // Column accessors; valid only after step() returned SQLITE_ROW.
  int64_t column_int64(int index);
  std::string column_text(int index);
  std::string column_blob(int index);
  // View of a blob column, valid until the next step() or reset().
  std::string_view column_blob_view(int index);

 private:
  sqlite3_stmt* stmt_ = nullptr;
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

}  // namespace gw::store::internal
