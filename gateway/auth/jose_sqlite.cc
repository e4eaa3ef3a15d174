#include "gateway/auth/jose_sqlite.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace gw::auth::internal {

namespace {
// Layout 1: tables jti (jti_store.cc) and access_token (token_store.cc).
constexpr int64_t kLayoutVersion = 1;
}  // namespace

Status AuthDb::error(std::string_view what, int rc) const {
  return sqlite::error_status(db, rc, label + ": " + std::string(what));
}

Status AuthDb::exec(const char* sql) const {
  const int rc = sqlite3_exec(db, sql, nullptr, nullptr, nullptr);
  return rc == SQLITE_OK ? ok_status() : error("exec", rc);
}

Status AuthDb::run(sqlite::Statement& s, std::string_view what) const {
  const int rc = s.step();
  s.reset();
  return rc == SQLITE_DONE ? ok_status() : error(what, rc);
}

Result<int64_t> AuthDb::count(sqlite::Statement& s, std::string_view what) const {
  sqlite::ScopedReset reset(s);
  const int rc = s.step();
  if (rc != SQLITE_ROW) return error(what, rc);
  return s.column_int64(0);
}

Result<std::unique_ptr<AuthDb>> open_auth_db(const std::filesystem::path& file,
                                             std::string_view what, bool synchronous_full,
                                             const char* schema) {
  auto d = std::make_unique<AuthDb>();
  d->label = std::string(what) + " " + file.string();
  // Create with 0600 before SQLite does (it would use the umask).
  const int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return unavailable_error(d->label + ": cannot open: " + std::strerror(errno));
  ::close(fd);
  const int rc = sqlite3_open_v2(file.c_str(), &d->db, SQLITE_OPEN_READWRITE, nullptr);
  if (rc != SQLITE_OK) return d->error("cannot open", rc);
  sqlite3_busy_timeout(d->db, 5000);
  GW_RETURN_IF_ERROR(d->exec("PRAGMA journal_mode = WAL"));
  GW_RETURN_IF_ERROR(
      d->exec(synchronous_full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL"));
  sqlite::Statement v(d->db, "PRAGMA user_version");
  GW_ASSIGN_OR_RETURN(const int64_t version, d->count(v, "read layout version"));
  if (version != 0 && version != kLayoutVersion) {
    return failed_precondition_error(d->label + ": layout version " + std::to_string(version) +
                                     " is not this build's (" + std::to_string(kLayoutVersion) +
                                     ")");
  }
  GW_RETURN_IF_ERROR(d->in_transaction([&]() -> Status {
    GW_RETURN_IF_ERROR(d->exec(schema));
    return d->exec("PRAGMA user_version = 1");
  }));
  return d;
}

}  // namespace gw::auth::internal
