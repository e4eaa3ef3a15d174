#include "gateway/rest/caller.h"

#include <cctype>
#include <vector>

#include "gateway/auth/scope.h"

namespace gw::rest {

namespace {

// "Bearer <token>" (the scheme case-insensitive, RFC 6750 §2.1); nullopt for
// anything else.
std::optional<std::string_view> bearer_token(std::string_view header) {
  constexpr std::string_view kScheme = "bearer ";
  if (header.size() <= kScheme.size()) return std::nullopt;
  for (size_t i = 0; i < kScheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(header[i])) != kScheme[i]) return std::nullopt;
  }
  std::string_view token = header.substr(kScheme.size());
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
  if (token.empty() || token.find(' ') != std::string_view::npos) return std::nullopt;
  return token;
}

std::vector<std::string> split_spaces(std::string_view s) {
  std::vector<std::string> out;
  while (!s.empty()) {
    const size_t sp = s.find(' ');
    if (sp != 0) out.emplace_back(s.substr(0, sp));
    if (sp == std::string_view::npos) break;
    s.remove_prefix(sp + 1);
  }
  return out;
}

}  // namespace

CallerIdentifier::CallerIdentifier(std::shared_ptr<const auth::ClientRegistry> clients,
                                   std::shared_ptr<auth::TokenStore> tokens, bool allow_anonymous)
    : clients_(std::move(clients)), tokens_(std::move(tokens)), allow_anonymous_(allow_anonymous) {
  if (clients_) {
    for (const auth::RegisteredClient& c : clients_->all()) {
      grants_.emplace(c.name, std::make_shared<const auth::ClientGrant>(c.grant));
    }
  }
  if (allow_anonymous_) {
    // Development only (the daemon warns at every start): every record
    // interaction, no role.
    auth::ClientGrant g;
    g.scopes = *auth::parse_configured_scopes({"system/*.cruds"});
    anonymous_grant_ = std::make_shared<const auth::ClientGrant>(std::move(g));
  }
}

Caller CallerIdentifier::anonymous_or(std::string failure, bool bad_token) const {
  Caller c;
  if (allow_anonymous_ && failure.empty()) {
    c.grant = anonymous_grant_;
    return c;
  }
  c.failure = std::move(failure);
  c.bad_token = bad_token;
  return c;
}

Caller CallerIdentifier::identify(const TlsIdentity& tls, std::string_view authorization,
                                  int64_t now_s) const {
  if (!authorization.empty()) {
    std::optional<std::string_view> token = bearer_token(authorization);
    if (!token) return anonymous_or("the Authorization header is not a Bearer token", true);
    if (tokens_ == nullptr || clients_ == nullptr) {
      return anonymous_or("this gateway issues no access tokens", true);
    }
    return from_token(*token, now_s);
  }
  if (tls.present) {
    const auth::RegisteredClient* client =
        clients_ ? clients_->by_certificate(tls.subject, tls.sha256) : nullptr;
    if (client == nullptr) {
      if (allow_anonymous_) return anonymous_or("", false);
      return anonymous_or("the client certificate is not registered to any client", false);
    }
    Caller c;
    c.client = client->name;
    c.grant = grants_.find(client->name)->second;
    return c;
  }
  return anonymous_or("", false);
}

Caller CallerIdentifier::from_token(std::string_view token, int64_t now_s) const {
  {
    std::lock_guard lock(known_mu_);
    if (auto it = known_.find(std::string(token)); it != known_.end()) {
      if (now_s < it->second.expires_at_s) {
        Caller c;
        c.client = it->second.client;
        c.grant = it->second.grant;
        return c;
      }
      known_.erase(it);
    }
  }
  Result<auth::TokenGrant> granted = tokens_->lookup(token, now_s);
  if (!granted.ok()) return anonymous_or("the access token is invalid or expired", true);
  const auth::RegisteredClient* client = clients_->by_name(granted->client_id);
  if (client == nullptr) return anonymous_or("the token's client is no longer configured", true);
  Result<auth::ScopeSet> scopes = auth::parse_configured_scopes(split_spaces(granted->scopes));
  if (!scopes.ok()) return anonymous_or("the token's scopes no longer parse", true);
  auth::ClientGrant g;
  // The token's scopes, never more than the client is configured for.
  g.scopes = auth::intersect(*scopes, client->grant.scopes);
  g.admin = client->grant.admin;
  g.auditor = client->grant.auditor;
  Caller c;
  c.client = client->name;
  c.grant = std::make_shared<const auth::ClientGrant>(std::move(g));
  std::lock_guard lock(known_mu_);
  if (known_.size() >= kMaxKnownTokens) known_.clear();
  known_[std::string(token)] = KnownToken{c.client, c.grant, granted->expires_at_s};
  return c;
}

}  // namespace gw::rest
