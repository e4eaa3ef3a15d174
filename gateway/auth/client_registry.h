// The configured clients of the HTTPS API ([client.NAME]) and how a request
// is matched to one: by its client certificate (subject and/or SHA-256
// fingerprint) or by name (a verified assertion's issuer, a token's client).
// Built once at start-up; immutable and thread-safe afterwards.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/auth/client_grant.h"
#include "gateway/auth/jwks.h"
#include "gateway/base/status.h"

namespace gw::auth {

struct RegisteredClient {
  std::string name;
  ClientGrant grant;
  // Certificate match: subject (RFC 2253) and/or one of the fingerprints
  // (64 lower-case hex). Both empty: the client has no certificate.
  std::string cert_subject;
  std::vector<std::string> cert_sha256;
  // SMART Backend Services keys; nullopt: the client cannot ask for tokens.
  std::optional<Jwks> jwks;
};

class ClientRegistry {
 public:
  explicit ClientRegistry(std::vector<RegisteredClient> clients);

  // The client whose certificate rule matches. A rule with both a subject and
  // fingerprints needs both; nullptr when no client matches.
  const RegisteredClient* by_certificate(std::string_view subject_rfc2253,
                                         std::string_view sha256_hex) const;
  const RegisteredClient* by_name(std::string_view name) const;
  const std::vector<RegisteredClient>& all() const { return clients_; }
  size_t size() const { return clients_.size(); }

 private:
  std::vector<RegisteredClient> clients_;
};

}  // namespace gw::auth
