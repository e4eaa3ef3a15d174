#include "gateway/app/access_setup.h"

#include "gateway/audit/audit_keys.h"
#include "gateway/auth/client_grant.h"
#include "gateway/auth/jwks.h"

namespace gw::app {

Result<std::shared_ptr<const auth::ClientRegistry>> load_clients(const config::GatewayConfig& cfg) {
  std::vector<auth::RegisteredClient> clients;
  for (const config::ClientConfig& c : cfg.clients) {
    const std::string where = cfg.source + ":" + std::to_string(c.line) + ": client." + c.name;
    auth::RegisteredClient r;
    r.name = c.name;
    Result<auth::ClientGrant> grant = auth::make_client_grant(c.scopes, c.roles);
    if (!grant.ok()) return invalid_argument_error(where + ": " + grant.status().message());
    r.grant = std::move(grant).value();
    r.cert_subject = c.cert_subject;
    r.cert_sha256 = c.cert_sha256;
    if (!c.jwks_file.empty()) {
      Result<auth::Jwks> jwks = auth::Jwks::load_file(c.jwks_file);
      if (!jwks.ok()) {
        return invalid_argument_error(where + ".jwks_file: " + jwks.status().message());
      }
      r.jwks = std::move(jwks).value();
    }
    clients.push_back(std::move(r));
  }
  return std::make_shared<const auth::ClientRegistry>(std::move(clients));
}

Result<AccessSetup> start_access(const config::GatewayConfig& cfg,
                                 const keys::WorkingKeys& working) {
  AccessSetup s;
  GW_ASSIGN_OR_RETURN(s.clients, load_clients(cfg));
  bool any_jwks = false;
  for (const auth::RegisteredClient& c : s.clients->all()) any_jwks |= c.jwks.has_value();
  if (any_jwks) {
    auth::TokenStore::Options topts;
    topts.lifetime_s = cfg.https.token_lifetime_s;
    GW_ASSIGN_OR_RETURN(std::unique_ptr<auth::TokenStore> tokens,
                        auth::TokenStore::open(cfg.auth_path(), topts));
    s.tokens = std::move(tokens);
    GW_ASSIGN_OR_RETURN(std::unique_ptr<auth::JtiStore> jtis,
                        auth::JtiStore::open(cfg.auth_path()));
    s.jtis = std::move(jtis);
  }
  GW_ASSIGN_OR_RETURN(std::shared_ptr<const audit::AuditKeys> audit_keys,
                      audit::AuditKeys::create(working.record_key, working.record_key_id));
  audit::AuditLogOptions aopts;
  aopts.batch_max_entries = cfg.audit.batch_max_entries;
  aopts.batch_max_age_ms = cfg.audit.batch_max_age.count();
  GW_ASSIGN_OR_RETURN(std::unique_ptr<audit::AuditLog> log,
                      audit::AuditLog::open(cfg.audit_path(), audit_keys, aopts));
  s.audit = std::move(log);
  return s;
}

}  // namespace gw::app
