#include "gateway/auth/token_store.h"

#include <sodium.h>

#include <array>
#include <mutex>

#include "gateway/auth/assertion.h"
#include "gateway/auth/jose.h"
#include "gateway/auth/jose_sqlite.h"

namespace gw::auth {
namespace {

using sqlite::Statement;

constexpr size_t kTokenBytes = 32;
constexpr size_t kTokenChars = 43;  // base64url of 32 bytes, no padding

constexpr const char* kSchema =
    "CREATE TABLE IF NOT EXISTS access_token("
    "  hash BLOB PRIMARY KEY,"
    "  client_id TEXT NOT NULL,"
    "  scopes TEXT NOT NULL,"
    "  expires_at INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS access_token_by_client ON access_token(client_id, expires_at);";

using Hash = std::array<unsigned char, crypto_hash_sha256_BYTES>;

Hash hash_of(std::string_view token) {
  Hash h{};
  crypto_hash_sha256(h.data(), reinterpret_cast<const unsigned char*>(token.data()), token.size());
  return h;
}

std::string_view view(const Hash& h) { return {reinterpret_cast<const char*>(h.data()), h.size()}; }

Status invalid_token() { return unauthenticated_error("access token is not valid"); }

}  // namespace

struct TokenStore::Impl {
  std::mutex mu;  // guards db and every statement on it
  std::unique_ptr<internal::AuthDb> db;
  Options options;
};

Result<std::unique_ptr<TokenStore>> TokenStore::open(const std::filesystem::path& file,
                                                     const Options& options) {
  // randombytes_buf is documented to need sodium_init() first.
  if (sodium_init() < 0) return internal_error("token store: libsodium failed to initialise");
  if (options.lifetime_s <= 0) return invalid_argument_error("token store: lifetime must be > 0");
  GW_ASSIGN_OR_RETURN(auto db, internal::open_auth_db(file, "token store", false, kSchema));
  std::unique_ptr<TokenStore> store(new TokenStore());
  store->impl_ = std::make_unique<Impl>();
  store->impl_->db = std::move(db);
  store->impl_->options = options;
  return store;
}

TokenStore::~TokenStore() = default;

Result<IssuedToken> TokenStore::issue(std::string_view client_id, std::string_view scopes,
                                      int64_t now_s) {
  Impl& impl = *impl_;
  if (client_id.empty() || client_id.size() > kMaxClientIdBytes) {
    return invalid_argument_error("token store: client id must be 1 to 256 bytes");
  }
  if (scopes.empty() || scopes.size() > impl.options.max_scope_bytes) {
    return invalid_argument_error("token store: scopes must be 1 to " +
                                  std::to_string(impl.options.max_scope_bytes) + " bytes");
  }
  std::array<unsigned char, kTokenBytes> raw{};
  randombytes_buf(raw.data(), raw.size());
  IssuedToken out;
  out.access_token = base64url_encode({reinterpret_cast<const char*>(raw.data()), raw.size()});
  sodium_memzero(raw.data(), raw.size());
  out.expires_in_s = impl.options.lifetime_s;
  out.expires_at_s = now_s + impl.options.lifetime_s;
  const Hash hash = hash_of(out.access_token);

  std::lock_guard lock(impl.mu);
  const internal::AuthDb& d = *impl.db;
  GW_RETURN_IF_ERROR(d.in_transaction([&]() -> Status {
    Statement prune(d.db, "DELETE FROM access_token WHERE client_id = ? AND expires_at <= ?");
    prune.bind_text(1, client_id).bind_int64(2, now_s);
    GW_RETURN_IF_ERROR(d.run(prune, "prune"));
    Statement live(d.db, "SELECT count(*) FROM access_token WHERE client_id = ?");
    live.bind_text(1, client_id);
    GW_ASSIGN_OR_RETURN(const int64_t rows, d.count(live, "count"));
    if (static_cast<uint64_t>(rows) >= impl.options.max_live_per_client) {
      return resource_exhausted_error("token store: the client has " + std::to_string(rows) +
                                      " live tokens, the configured cap");
    }
    Statement insert(d.db,
                     "INSERT INTO access_token(hash, client_id, scopes, expires_at) "
                     "VALUES(?, ?, ?, ?)");
    insert.bind_blob(1, view(hash))
        .bind_text(2, client_id)
        .bind_text(3, scopes)
        .bind_int64(4, out.expires_at_s);
    return d.run(insert, "insert");
  }));
  return out;
}

Result<TokenGrant> TokenStore::lookup(std::string_view token, int64_t now_s) {
  // Shape first: a malformed token costs no hash and no query.
  if (token.size() != kTokenChars || !base64url_decode(token, "token").ok()) return invalid_token();
  // No constant-time comparison is needed: the secret is never compared. The
  // index is searched for SHA-256(token), so the time a lookup takes can
  // tell an attacker at most how much of the hash of their guess matches a
  // stored hash, and a matching hash prefix brings them no closer to a token
  // (finding a preimage of a chosen prefix is as hard as guessing 256 bits).
  const Hash hash = hash_of(token);
  std::lock_guard lock(impl_->mu);
  const internal::AuthDb& d = *impl_->db;
  Statement s(d.db, "SELECT client_id, scopes, expires_at FROM access_token WHERE hash = ?");
  s.bind_blob(1, view(hash));
  sqlite::ScopedReset reset(s);
  const int rc = s.step();
  if (rc == SQLITE_DONE) return invalid_token();
  if (rc != SQLITE_ROW) return d.error("look up", rc);
  TokenGrant grant;
  grant.client_id = s.column_text(0);
  grant.scopes = s.column_text(1);
  grant.expires_at_s = s.column_int64(2);
  if (grant.expires_at_s <= now_s) return invalid_token();
  return grant;
}

Status TokenStore::revoke(std::string_view token) {
  const Hash hash = hash_of(token);
  std::lock_guard lock(impl_->mu);
  const internal::AuthDb& d = *impl_->db;
  Statement s(d.db, "DELETE FROM access_token WHERE hash = ?");
  s.bind_blob(1, view(hash));
  return d.run(s, "revoke");
}

Result<int64_t> TokenStore::prune(int64_t now_s) {
  std::lock_guard lock(impl_->mu);
  const internal::AuthDb& d = *impl_->db;
  Statement s(d.db, "DELETE FROM access_token WHERE expires_at <= ?");
  s.bind_int64(1, now_s);
  GW_RETURN_IF_ERROR(d.run(s, "prune"));
  return static_cast<int64_t>(sqlite3_changes(d.db));
}

}  // namespace gw::auth
