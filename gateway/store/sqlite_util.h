// The message store's SQLite connection and small queries, over the shared
// statement wrapper (gateway/base/sqlite.h). Private to gateway/store.
//
// Single-threaded: a Connection (and every Statement prepared on it) must be
// used by one thread at a time. The store guarantees this by giving the write
// connection to the committer thread and guarding the read connection with a
// mutex; connections are opened SQLITE_OPEN_NOMUTEX.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <string>

#include "gateway/base/sqlite.h"
#include "gateway/base/status.h"

namespace gw::store::internal {

using sqlite::describe_error;
using sqlite::ScopedReset;
using sqlite::Statement;

// Runs `sql` (e.g. a PRAGMA) and reads the first column of its first row.
// The error's message is "<sql>: <SQLite's reason>" or "<sql>: no result".
Result<int64_t> query_int(sqlite3* db, const std::string& sql);
Result<std::string> query_text(sqlite3* db, const std::string& sql);

class Connection {
 public:
  Connection() = default;
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Opens `path` with SQLITE_OPEN_* `flags`, with extended result codes on.
  // The error's message is SQLite's explanation.
  Status open(const std::string& path, int flags);
  sqlite3* get() const { return db_; }

  // Runs `sql` (one or more statements, no result rows).
  Status exec(const char* sql);

 private:
  sqlite3* db_ = nullptr;
};

}  // namespace gw::store::internal
