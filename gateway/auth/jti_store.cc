#include "gateway/auth/jti_store.h"

#include <mutex>
#include <string>

#include "gateway/auth/assertion.h"
#include "gateway/auth/jose_sqlite.h"

namespace gw::auth {
namespace {

using sqlite::Statement;

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
  std::unique_ptr<internal::AuthDb> db;
  Options options;
};

Result<std::unique_ptr<JtiStore>> JtiStore::open(const std::filesystem::path& file,
                                                 const Options& options) {
  GW_ASSIGN_OR_RETURN(auto db, internal::open_auth_db(file, "jti store", true, kSchema));
  std::unique_ptr<JtiStore> store(new JtiStore());
  store->impl_ = std::make_unique<Impl>();
  store->impl_->db = std::move(db);
  store->impl_->options = options;
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
  Impl& impl = *impl_;
  std::lock_guard lock(impl.mu);
  const internal::AuthDb& d = *impl.db;
  return d.in_transaction([&]() -> Status {
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
    if (static_cast<uint64_t>(rows) >= impl.options.max_rows_per_client) {
      return resource_exhausted_error("jti store: the client has " + std::to_string(rows) +
                                      " live assertions, the configured cap");
    }
    Statement insert(d.db, "INSERT INTO jti(client_id, jti, keep_until) VALUES(?, ?, ?)");
    insert.bind_text(1, client_id).bind_blob(2, jti).bind_int64(3, keep_until_s);
    return d.run(insert, "insert");
  });
}

Result<int64_t> JtiStore::prune(int64_t now_s) {
  std::lock_guard lock(impl_->mu);
  const internal::AuthDb& d = *impl_->db;
  Statement s(d.db, "DELETE FROM jti WHERE keep_until <= ?");
  s.bind_int64(1, now_s);
  GW_RETURN_IF_ERROR(d.run(s, "prune"));
  return static_cast<int64_t>(sqlite3_changes(d.db));
}

Result<int64_t> JtiStore::rows(std::string_view client_id) {
  std::lock_guard lock(impl_->mu);
  const internal::AuthDb& d = *impl_->db;
  Statement s(d.db, "SELECT count(*) FROM jti WHERE client_id = ?");
  s.bind_text(1, client_id);
  return d.count(s, "count");
}

}  // namespace gw::auth
