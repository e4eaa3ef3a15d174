// HTTPS server of the FHIR REST endpoint, serving FhirApi (fhir_api.h) as
// application/fhir+json: TLS 1.2 or later, optionally with mutual TLS.
//
// Transport: adapters/http (our own HTTP/1.1 decoder on the MLLP server's
// epoll event loop; see adapters/http/server.h for the threat notes). Until
// issue 18 it was Poco's HTTPServer, which gives each connection a worker
// thread from accept to close: four idle sockets stopped the API. The
// alternatives weighed: libmicrohttpd (Debian's build is GnuTLS-based, our TLS
// policy and client-certificate identity are OpenSSL's), libevent's evhttp
// (no OpenSSL on our loop); the loop we already run for MLLP has the
// deadlines, limits and reply ordering a hostile network needs. Peering
// (gateway/peering/peer_server.cc) still uses Poco's server.
//
// Access: every request is identified (caller.h) and checked against the
// caller's grant (FhirApi); every answer is audited before it is sent.
//
// Threads: one event loop reads and writes every connection; complete
// requests (head and body) go through a queue of at most `max_queued` to
// `threads` workers (a full queue is answered 503 with Retry-After). Each
// write blocks its worker in MessageStore::submit_sync until committed, so a
// response is sent only once its data is durable. Deadlines: TLS handshake
// and request head within header_timeout_s (of the accept, or of a keep-alive
// request's first byte), body within body_timeout_s of the head, idle
// keep-alive connections closed after idle_timeout_s; at most
// max_connections open (further ones are closed at accept).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "adapters/http/server.h"
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
  size_t max_body_bytes = size_t{16} << 20;  // larger bodies: 413, as soon as declared
  int threads = 4;                           // workers serving complete requests
  size_t max_queued = 64;                    // complete requests waiting for a worker; beyond: 503
  int idle_timeout_s = 30;                   // keep-alive connection without a request: closed
  int header_timeout_s = 10;                 // TLS handshake + request head (408 and closed after)
  int body_timeout_s = 60;                   // request body, from the end of its head (408)
  size_t max_connections = 1024;             // open at once; further ones are closed at accept
  size_t max_connections_per_address = 64;   // from one client IP at once (0: no cap)
  // The process's bound on buffered input, shared with the MLLP channels
  // (null: none): a request's head and body count against it while read.
  std::shared_ptr<mllp::InputBudget> input_budget;
  std::string base_url;  // for Location and fullUrl; default https://host:port
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
  // Connections, requests, refusals (zero before start()).
  http::ServerStats stats() const;
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
