// HTTPS server of the FHIR REST endpoint: Poco::Net::HTTPServer over a
// SecureServerSocket (TLS 1.2 or later only), optionally with mutual TLS,
// serving FhirApi (fhir_api.h) as application/fhir+json.
//
// Access: every request is identified (caller.h) and checked against the
// caller's grant (FhirApi); every answer is audited before it is sent.
//
// Threads: `threads` workers serve connections (keep-alive); each write
// blocks its worker in MessageStore::submit_sync until committed, so a
// response is sent only once its data is durable. At most `max_queued`
// accepted connections wait for a worker; beyond that Poco refuses them.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "gateway/audit/audit_log.h"
#include "gateway/auth/client_registry.h"
#include "gateway/auth/jti_store.h"
#include "gateway/auth/token_store.h"
#include "gateway/base/status.h"
#include "gateway/labels/label_rules.h"
#include "gateway/rest/fhir_api.h"
#include "gateway/rest/rest_types.h"
#include "gateway/store/message_store.h"

namespace gw::rest {

struct RestOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 0;      // 0: a free port, see FhirRestServer::port()
  std::string cert_file;  // PEM server certificate (chain); required
  std::string key_file;   // PEM private key (unencrypted); required
  // PEM CA certificate(s). When set, clients must present a certificate
  // signed by one of them (mutual TLS); the stored sender is its subject CN.
  std::string client_ca_file;
  size_t max_body_bytes = size_t{16} << 20;  // larger bodies: 413
  int threads = 4;
  size_t max_queued = 64;
  int idle_timeout_s = 30;  // socket receive/send timeout and keep-alive idle time
  std::string base_url;     // for Location and fullUrl; default https://host:port
  std::string channel = "fhir";
  // Sensitivity labels for every record written ([labels]); never null.
  std::shared_ptr<const labels::LabelRules> labels = labels::default_rules();
  // Time stop() gives requests in progress before closing connections.
  int shutdown_grace_ms = 10000;
  // Who may do what. A request is from a configured client when its
  // certificate matches one (needs client_ca_file) or it carries an access
  // token from POST /auth/token; every request but GET /metadata, the SMART
  // configuration and the token endpoint needs one, unless allow_anonymous
  // (development only: an anonymous caller gets system/*.cruds, no role).
  std::shared_ptr<const auth::ClientRegistry> clients;
  bool allow_anonymous = false;
  // The token endpoint (SMART Backend Services): served when both are set.
  std::shared_ptr<auth::TokenStore> tokens;
  std::shared_ptr<auth::JtiStore> jtis;
  int64_t assertion_leeway_s = 60;
  // The audit trail: every answer's entries are durable before it is sent
  // (an answer whose entries cannot be written becomes a 500). Null: no trail.
  std::shared_ptr<audit::AuditLog> audit;
  // The admin API (/admin/...): served by admin_handler to clients with the
  // admin role. Without a handler, /admin/ answers 404.
  std::function<RestResponse(const RestRequest&)> admin_handler = nullptr;
  // Called once per request after the response is sent (any worker thread).
  // Carries no PHI: method, the path's resource type only, status, peer.
  std::function<void(const std::string& method, const std::string& resource_type, int status,
                     const std::string& peer)>
      on_request = nullptr;
  // Passed to ApiOptions: rooms that answer a resource type or operation
  // themselves (ApiOptions::extensions) and the types only they may write.
  std::vector<ExtensionHandler> extensions;
  std::vector<CapabilityOperation> operations;
  std::vector<std::string> own_write_types;
};

class FhirRestServer {
 public:
  // `store` is not owned and must outlive the server (stop() first).
  FhirRestServer(RestOptions options, store::MessageStore* store);
  ~FhirRestServer();  // stop()s
  FhirRestServer(const FhirRestServer&) = delete;
  FhirRestServer& operator=(const FhirRestServer&) = delete;

  // Loads the certificates, binds and starts serving. An error's message says
  // what failed (file names, OpenSSL's reason).
  gw::Status start();
  // The bound port (after start()).
  uint16_t port() const { return port_; }
  const std::string& base_url() const;
  // Stops accepting, lets requests in progress finish (up to
  // shutdown_grace_ms), closes the remaining connections and joins the
  // workers. Idempotent.
  void stop();

  struct Impl;  // rest_server.cc (public only so that its helpers can name it)

 private:
  RestOptions options_;
  store::MessageStore* store_;
  uint16_t port_ = 0;
  std::unique_ptr<Impl> impl_;
};

}  // namespace gw::rest
