// Opaque access tokens for SMART Backend Services: what POST /auth/token
// hands out after a client assertion is accepted, and what every later
// request presents as `Authorization: Bearer <token>`.
//
// A token is 32 random bytes (libsodium), base64url without padding (43
// characters). Only its SHA-256 is stored, with the client id, the granted
// scopes and the expiry, so a copy of the file does not hold usable tokens.
// Opaque rather than a signed JWT: this gateway is the only party that checks
// them, and a row can be looked up (and revoked) where a JWT could not.
//
// Storage: the same SQLite file as JtiStore (layout version 1 of the auth
// file; each class creates its own table), its own connection, WAL,
// synchronous = NORMAL: a token lost with the power only makes its client ask
// for a new one (a 401 it is built to handle), so no fsync per token.
// Bounded: a client holds at most Options::max_live_per_client live tokens;
// issue() prunes that client's expired ones first; prune() clears everyone's.
//
// Thread-safe: one connection guarded by a mutex (Impl::mu in the .cc).
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "gateway/base/status.h"

namespace gw::auth {

struct IssuedToken {
  std::string access_token;  // secret: never log it
  int64_t expires_at_s = 0;
  int64_t expires_in_s = 0;  // OAuth's expires_in
};

struct TokenGrant {
  std::string client_id;
  std::string scopes;  // as granted at issue (space-separated)
  int64_t expires_at_s = 0;
};

class TokenStore {
 public:
  struct Options {
    int64_t lifetime_s = 300;  // SMART suggests at most five minutes
    size_t max_live_per_client = 1'000;
    size_t max_scope_bytes = 4 * 1024;
  };

  static Result<std::unique_ptr<TokenStore>> open(const std::filesystem::path& file,
                                                  const Options& options);
  static Result<std::unique_ptr<TokenStore>> open(const std::filesystem::path& file) {
    return open(file, Options{});
  }
  ~TokenStore();
  TokenStore(const TokenStore&) = delete;
  TokenStore& operator=(const TokenStore&) = delete;

  // A new token for `client_id` with `scopes`, valid for Options::lifetime_s.
  // resource-exhausted when the client holds max_live_per_client live tokens;
  // invalid-argument for an empty or oversize client id or scope string.
  Result<IssuedToken> issue(std::string_view client_id, std::string_view scopes, int64_t now_s);

  // What `token` grants at now_s. unauthenticated when it is malformed,
  // unknown, revoked or expired (one message for all: the caller answers 401
  // with error="invalid_token" whichever it was).
  Result<TokenGrant> lookup(std::string_view token, int64_t now_s);

  // Makes `token` unusable; ok even if it was unknown.
  Status revoke(std::string_view token);

  // Deletes every token expired at now_s; returns how many.
  Result<int64_t> prune(int64_t now_s);

 private:
  struct Impl;
  TokenStore() = default;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gw::auth
