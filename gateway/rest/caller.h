// Who is asking: the HTTPS server's authentication step. A request is from a
// configured client when its TLS client certificate matches one
// (auth::ClientRegistry) or it carries an access token the token endpoint
// issued (`Authorization: Bearer`); from an anonymous caller only when the
// deployment allows it (development). Thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "gateway/auth/client_registry.h"
#include "gateway/auth/token_store.h"

namespace gw::rest {

// What mutual TLS established about the peer (empty when it presented no
// certificate). The chain was verified against client_ca_file by OpenSSL.
struct TlsIdentity {
  bool present = false;
  std::string subject;  // RFC 2253
  std::string sha256;   // 64 lower-case hex digits of the DER certificate
};

struct Caller {
  std::string client;  // the configured client's name; "" anonymous
  // Null: not authenticated (only open interactions are served).
  std::shared_ptr<const auth::ClientGrant> grant;
  // When credentials were presented and refused: why (no secret, no request
  // text), and whether it was a token (WWW-Authenticate error="invalid_token").
  std::string failure;
  bool bad_token = false;
};

class CallerIdentifier {
 public:
  // `clients` and `tokens` may be null (no clients / no token endpoint).
  CallerIdentifier(std::shared_ptr<const auth::ClientRegistry> clients,
                   std::shared_ptr<auth::TokenStore> tokens, bool allow_anonymous);

  // A bearer token wins over the certificate when both are present: it is
  // what the client chose to present for this request.
  Caller identify(const TlsIdentity& tls, std::string_view authorization, int64_t now_s) const;

 private:
  Caller anonymous_or(std::string failure, bool bad_token) const;
  Caller from_token(std::string_view token, int64_t now_s) const;

  std::shared_ptr<const auth::ClientRegistry> clients_;
  std::shared_ptr<auth::TokenStore> tokens_;
  bool allow_anonymous_;
  std::map<std::string, std::shared_ptr<const auth::ClientGrant>, std::less<>> grants_;
  std::shared_ptr<const auth::ClientGrant> anonymous_grant_;
  // Tokens already looked up: a SQLite query and a scope parse per request
  // were most of a Bearer request's identification cost. Entries end with
  // their token; the map is bounded (cleared when full). Nothing revokes a
  // token before it expires today; whatever does must erase it here too.
  struct KnownToken {
    std::string client;
    std::shared_ptr<const auth::ClientGrant> grant;
    int64_t expires_at_s = 0;
  };
  static constexpr size_t kMaxKnownTokens = 10'000;
  mutable std::mutex known_mu_;
  mutable std::unordered_map<std::string, KnownToken> known_;
};

}  // namespace gw::rest
