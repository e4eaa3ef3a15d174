// Internal to gateway/auth: the one SQLite file of this room (the jti store
// and the token store each keep a connection to it and a table in it), and
// the small helpers both use. Not for other rooms.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "gateway/base/sqlite.h"
#include "gateway/base/status.h"

namespace gw::auth::internal {

// One connection. Single-threaded: the owning store guards it with its mutex.
struct AuthDb {
  sqlite3* db = nullptr;
  std::string label;  // "jti store <path>": the prefix of every error

  AuthDb() = default;
  AuthDb(const AuthDb&) = delete;
  AuthDb& operator=(const AuthDb&) = delete;
  ~AuthDb() { sqlite3_close_v2(db); }

  Status error(std::string_view what, int rc) const;
  Status exec(const char* sql) const;
  // Steps a statement that returns no row, then resets it.
  Status run(sqlite::Statement& s, std::string_view what) const;
  // Steps a statement that returns one integer, then resets it.
  Result<int64_t> count(sqlite::Statement& s, std::string_view what) const;
  // Runs `body` in BEGIN IMMEDIATE ... COMMIT; rolls back when it fails.
  template <typename F>
  Status in_transaction(F&& body) const {
    GW_RETURN_IF_ERROR(exec("BEGIN IMMEDIATE"));
    Status s = body();
    if (s.ok()) s = exec("COMMIT");
    if (!s.ok()) exec("ROLLBACK").ignore();  // the first error is the one to report
    return s;
  }
};

// Opens `file` (created 0600 if missing; its folder must exist), WAL mode,
// synchronous FULL or NORMAL as asked, checks the file's layout version (1),
// and creates `schema` (CREATE ... IF NOT EXISTS statements).
Result<std::unique_ptr<AuthDb>> open_auth_db(const std::filesystem::path& file,
                                             std::string_view what, bool synchronous_full,
                                             const char* schema);

}  // namespace gw::auth::internal
