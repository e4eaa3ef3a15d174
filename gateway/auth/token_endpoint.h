// POST /auth/token: SMART Backend Services (OAuth 2.0 client credentials with
// a private_key_jwt client assertion, RFC 7523). Takes the form body, answers
// an access token (token_store.h) or an RFC 6749 §5.2 error. Transport-free:
// the HTTPS server passes the body and sends back the reply as it is.
//
// Replies carry no secret but the issued token and no request text: the
// error descriptions are the library's (gateway/auth), which name rules,
// never values. `client` and `reason` are for the audit entry.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "gateway/auth/client_registry.h"
#include "gateway/auth/jti_store.h"
#include "gateway/auth/token_store.h"

namespace gw::auth {

struct TokenEndpointOptions {
  std::string token_url;  // the endpoint's own URL: an assertion's aud must name it
  int64_t leeway_s = 60;
  size_t max_body_bytes = 16 * 1024;
};

struct TokenReply {
  int status = 200;
  std::string body;    // application/json
  std::string client;  // the configured client that asked, "" when unknown
  std::string reason;  // OAuth error code ("invalid_client", ...); "" on success
  std::string detail;  // why, in the library's words (no request text)
};

class TokenEndpoint {
 public:
  // Not owned; they must outlive this object. Thread-safe.
  TokenEndpoint(const ClientRegistry* clients, JtiStore* jtis, TokenStore* tokens,
                TokenEndpointOptions options);

  TokenReply handle(std::string_view content_type, std::string_view body, int64_t now_s) const;

  // The document served at /.well-known/smart-configuration.
  static std::string smart_configuration(std::string_view token_url);

 private:
  const ClientRegistry* clients_;
  JtiStore* jtis_;
  TokenStore* tokens_;
  TokenEndpointOptions options_;
};

// application/x-www-form-urlencoded: name -> value ('+' is a space). false for
// malformed percent-encoding, a repeated name, or more than 16 pairs.
bool parse_form(std::string_view body, std::vector<std::pair<std::string, std::string>>* out);

}  // namespace gw::auth
