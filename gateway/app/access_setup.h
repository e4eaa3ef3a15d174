// gatewayd's access control and audit trail: the configured clients
// ([client.NAME]) with their JWKS files, the token and jti stores
// (<state_dir>/auth.db), and the audit log (<state_dir>/audit.db) under the
// record key. Built before any listener starts, so that nothing is served
// before it can be checked and recorded.
#pragma once

#include <memory>

#include "gateway/audit/audit_log.h"
#include "gateway/auth/client_registry.h"
#include "gateway/auth/jti_store.h"
#include "gateway/auth/token_store.h"
#include "gateway/base/status.h"
#include "gateway/config/config.h"
#include "gateway/keys/key_store.h"

namespace gw::app {

struct AccessSetup {
  std::shared_ptr<const auth::ClientRegistry> clients;
  std::shared_ptr<auth::TokenStore> tokens;  // null when no client has a JWKS file
  std::shared_ptr<auth::JtiStore> jtis;
  std::shared_ptr<audit::AuditLog> audit;
};

// Errors name the client and file (a JWKS file that does not load) or the
// database that cannot be opened.
Result<AccessSetup> start_access(const config::GatewayConfig& cfg,
                                 const keys::WorkingKeys& working);

// The clients of `cfg` as the HTTPS server matches them (JWKS files loaded).
Result<std::shared_ptr<const auth::ClientRegistry>> load_clients(const config::GatewayConfig& cfg);

}  // namespace gw::app
