#include "gateway/rest/rest_server.h"

#include <chrono>
#include <filesystem>
#include <mutex>
#include <set>

#include "adapters/http/server.h"
#include "gateway/auth/token_endpoint.h"
#include "gateway/base/clock.h"
#include "gateway/log/log.h"
#include "gateway/rest/caller.h"
#include "gateway/rest/fhir_api.h"
#include "gateway/rest/patient_tokens.h"

namespace gw::rest {

namespace {

// Printable ASCII only, bounded: a certificate CN becomes the stored sender.
std::string clean_sender(const std::string& cn) {
  std::string out;
  for (char c : cn) {
    if (out.size() >= 128) break;
    out += (c >= 0x20 && c < 0x7f) ? c : '?';
  }
  return out;
}

// First path segment, for the request log (a resource type, never an id).
std::string logged_type(const std::string& target) {
  const size_t end = target.find_first_of("/?#", 1);
  std::string first = target.substr(1, end == std::string::npos ? std::string::npos : end - 1);
  if (first.size() > 64) return "*";
  for (char c : first) {
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'))) return "*";
  }
  return first;
}

// The cipher list of TLS 1.2 (TLS 1.3 keeps OpenSSL's suites), as before the
// move off Poco's server.
constexpr char kCipherList[] = "HIGH:!aNULL:!eNULL:!MD5:!RC4:!3DES:!SHA1";

// The verified client certificate the loop read at the handshake.
TlsIdentity peer_identity(const mllp::PeerInfo& peer) {
  TlsIdentity id;
  if (peer.cert_sha256.empty()) return id;
  id.present = true;
  id.subject = peer.cert_subject;
  id.sha256 = peer.cert_sha256;
  return id;
}

// The FHIR issue code of the transport's own refusals.
const char* issue_code(int status) {
  switch (status) {
    case 408:
      return "timeout";
    case 413:
    case 431:
    case 414:
      return "too-costly";
    case 503:
      return "transient";
    case 417:
    case 505:
      return "not-supported";
    default:
      return "structure";
  }
}

http::Response to_http(RestResponse&& out, bool close) {
  http::Response r;
  r.status = out.status;
  r.headers = std::move(out.headers);
  if (!out.body.empty()) r.headers.emplace_back("Content-Type", out.content_type);
  r.body = std::move(out.body);
  r.close = close;
  return r;
}

}  // namespace

struct FhirRestServer::Impl {
  const RestOptions* options = nullptr;
  std::string base_url;
  std::unique_ptr<FhirApi> api;
  std::unique_ptr<CallerIdentifier> identifier;
  std::unique_ptr<auth::TokenEndpoint> token_endpoint;  // null: no token endpoint
  std::string token_url;
  std::unique_ptr<PatientTokens> patients;
  std::atomic<bool> stopping{false};
  std::mutex stop_mu;
  bool stopped = false;
  // Last: destroyed first, so no worker outlives what serve() uses.
  std::unique_ptr<http::Server> server;

  // A worker thread's answer to a complete request.
  http::Response serve(const http::Request& req, const mllp::PeerInfo& peer);
  // The answer to a request whose body was read.
  RestResponse dispatch(const RestRequest& r, std::string_view path);
  RestResponse admin(const RestRequest& r);
  RestResponse token(const RestRequest& r);
  // Writes the answer's audit entries; false if they could not be written.
  bool audit_answer(const RestRequest& r, const Caller& caller, RestResponse* out);
};

RestResponse FhirRestServer::Impl::admin(const RestRequest& r) {
  RestResponse out;
  if (!options->admin_handler) {
    out = FhirApi::to_response(error_result(404, "not-found", "the admin API is not enabled"));
  } else if (r.grant == nullptr) {
    out = FhirApi::to_response(error_result(401, "login", "authentication required"));
  } else if (!r.grant->admin) {
    out = FhirApi::to_response(error_result(403, "forbidden", "needs the admin role"));
  } else {
    out = options->admin_handler(r);
  }
  AccessNote n;
  const std::string_view path = std::string_view(r.target).substr(0, r.target.find('?'));
  n.action = path == "/admin/attestation" ? audit::Action::kAttestation : audit::Action::kAdmin;
  n.status = out.status;
  out.accessed.push_back(std::move(n));
  return out;
}

RestResponse FhirRestServer::Impl::token(const RestRequest& r) {
  if (token_endpoint == nullptr) {
    return FhirApi::to_response(error_result(404, "not-found", "no token endpoint is configured"));
  }
  if (r.method != "POST") {
    RestResponse out = FhirApi::to_response(error_result(405, "not-supported", "POST only"));
    out.set_header("Allow", "POST");
    return out;
  }
  const auth::TokenReply reply = token_endpoint->handle(r.content_type, r.body, now_ms() / 1000);
  RestResponse out;
  out.content_type = "application/json";
  out.status = reply.status;
  out.body = reply.body;
  out.set_header("Cache-Control", "no-store");
  out.set_header("Pragma", "no-cache");
  if (reply.status == 401) {
    out.set_header("WWW-Authenticate", "Bearer realm=\"gatewayd\", error=\"invalid_client\"");
  }
  AccessNote n;
  n.action = audit::Action::kAuthFailure;
  n.status = reply.status;
  n.reason = reply.reason;
  // A token issued is no access yet: only refusals are entries.
  if (reply.status >= 400) {
    out.accessed.push_back(std::move(n));
  } else {
    out.nothing_to_audit = true;
  }
  out.audit_client = reply.client;
  out.audit_detail = reply.detail;
  return out;
}

RestResponse FhirRestServer::Impl::dispatch(const RestRequest& r, std::string_view path) {
  if (path == "/auth/token") return token(r);
  if (path == "/.well-known/smart-configuration") {
    if (token_endpoint == nullptr) {
      return FhirApi::to_response(error_result(404, "not-found", "no token endpoint"));
    }
    RestResponse out;
    out.content_type = "application/json";
    out.body = auth::TokenEndpoint::smart_configuration(token_url);
    out.nothing_to_audit = true;
    return out;
  }
  if (path.rfind("/admin/", 0) == 0) return admin(r);
  if (r.grant == nullptr && path != "/metadata") {
    return FhirApi::to_response(error_result(401, "login", "authentication required"));
  }
  return api->handle(r);
}

bool FhirRestServer::Impl::audit_answer(const RestRequest& r, const Caller& caller,
                                        RestResponse* out) {
  if (out->nothing_to_audit && out->accessed.empty() && out->status < 400) return true;
  if (out->accessed.empty()) {
    AccessNote n;
    n.action = r.method == "POST"  ? audit::Action::kCreate
               : r.method == "PUT" ? audit::Action::kUpdate
                                   : audit::Action::kRead;
    n.status = out->status;
    out->accessed.push_back(std::move(n));
  }
  if (out->status == 401) {
    for (AccessNote& n : out->accessed) {
      n.action = audit::Action::kAuthFailure;
      if (n.reason.empty() || n.reason == "login") n.reason = "authentication";
    }
  }
  if (options->audit == nullptr) return true;
  audit::AuditEntry base;
  base.time_ms = now_ms();
  const std::string& client = !caller.client.empty() ? caller.client : out->audit_client;
  if (!client.empty()) base.actor = audit::Actor{audit::ActorKind::kClient, client};
  base.source = r.peer.substr(0, audit::kMaxSourceBytes);
  const std::string& detail = !caller.failure.empty() ? caller.failure : out->audit_detail;
  if (out->status >= 400) base.detail = detail.substr(0, audit::kMaxDetailBytes);
  std::vector<audit::AuditEntry> entries;
  constexpr size_t kMaxEntriesPerAnswer = 1000;
  for (const AccessNote& n : out->accessed) {
    audit::AuditEntry e = base;
    e.action = n.action;
    e.resource_type = n.resource_type;
    e.resource_id = n.resource_id;
    e.outcome.http_status = n.status;
    e.outcome.kind = n.status >= 500   ? audit::OutcomeKind::kFailed
                     : n.status >= 400 ? audit::OutcomeKind::kRefused
                                       : audit::OutcomeKind::kSuccess;
    e.outcome.reason = n.reason.substr(0, audit::kMaxReasonBytes);
    bool named = false;
    std::set<audit::PatientToken> tokens;  // two Patient records of one person: one entry
    for (const std::string& id : n.patient_ids) {
      if (entries.size() >= kMaxEntriesPerAnswer) break;
      std::optional<audit::PatientToken> t = patients->token_of(id);
      if (t && tokens.insert(*t).second) {
        e.patient = *t;
        entries.push_back(e);
        named = true;
      }
    }
    if (!named && entries.size() < kMaxEntriesPerAnswer) {
      e.patient.reset();
      entries.push_back(std::move(e));
    }
  }
  Result<std::vector<int64_t>> written = options->audit->append_all(entries);
  if (written.ok()) return true;
  log::error("audit.append_failed", {{"detail", written.status().message()}});
  return false;
}

http::Response FhirRestServer::Impl::serve(const http::Request& req, const mllp::PeerInfo& peer) {
  auto header = [&req](std::string_view name) {
    const std::string* v = req.header(name);
    return v == nullptr ? std::string() : *v;
  };
  RestRequest r;
  r.method = req.method;
  r.target = req.target;
  r.content_type = header("content-type");
  r.accept = header("accept");
  r.if_match = header("if-match");
  r.if_none_exist = header("if-none-exist");
  r.prefer = header("prefer");
  r.peer = peer.address;
  TlsIdentity tls;
  if (!options->client_ca_file.empty()) tls = peer_identity(peer);
  const Caller caller = identifier->identify(tls, header("authorization"), now_ms() / 1000);
  r.grant = caller.grant;
  r.client_authenticated = !caller.client.empty();
  r.sender = caller.client.empty() ? "https" : clean_sender(caller.client);
  std::string_view path = r.target;
  path = path.substr(0, path.find_first_of("?#"));

  RestResponse out;
  bool close = stopping.load();
  try {
    if (req.refused_status != 0) {
      // Refused by the transport after the head (the body is too large): no
      // body was read; answered and audited here like any refusal.
      out = FhirApi::to_response(
          error_result(req.refused_status, issue_code(req.refused_status), req.refused_reason));
      close = true;
    } else {
      r.body = req.body;
      out = dispatch(r, path);
    }
  } catch (const std::exception&) {
    out = FhirApi::to_response(error_result(500, "exception", "internal error"));
    close = true;
  }
  if (out.status == 401 && out.header("WWW-Authenticate") == nullptr) {
    out.set_header("WWW-Authenticate", caller.bad_token
                                           ? "Bearer realm=\"gatewayd\", error=\"invalid_token\""
                                           : "Bearer realm=\"gatewayd\"");
  }
  // No answer before its audit entries are durable.
  if (!audit_answer(r, caller, &out)) {
    out = FhirApi::to_response(
        error_result(500, "exception", "the audit trail could not be written"));
    close = true;
  }
  const int status = out.status;
  http::Response response = to_http(std::move(out), close);
  // "After the response is sent": it is handed to the connection's loop
  // first (the serialization and the send follow without blocking).
  if (options->on_request) {
    options->on_request(r.method, logged_type(r.target), status, r.peer);
  }
  return response;
}

FhirRestServer::FhirRestServer(RestOptions options, store::MessageStore* store)
    : options_(std::move(options)), store_(store) {}

FhirRestServer::~FhirRestServer() { stop(); }

const std::string& FhirRestServer::base_url() const {
  static const std::string empty;
  return impl_ ? impl_->base_url : empty;
}

gw::Status FhirRestServer::start() {
  if (impl_) {
    return failed_precondition_error("already started");
  }
  if (store_ == nullptr) {
    return failed_precondition_error("no message store");
  }
  for (const std::string* f : {&options_.cert_file, &options_.key_file}) {
    if (f->empty()) {
      return invalid_argument_error("cert_file and key_file are required");
    }
  }
  for (const std::string* f : {&options_.cert_file, &options_.key_file, &options_.client_ca_file}) {
    std::error_code ec;
    if (!f->empty() && !std::filesystem::is_regular_file(*f, ec)) {
      return not_found_error("cannot read " + *f);
    }
  }
  auto impl = std::make_unique<Impl>();
  impl->options = &options_;

  http::ServerOptions h;
  h.name = "https";
  h.host = options_.host;
  h.port = options_.port;
  mllp::TlsServerOptions tls;
  tls.cert_file = options_.cert_file;
  tls.key_file = options_.key_file;
  // A certificate is asked for and, when presented, must verify against
  // client_ca_file (else the handshake fails); clients with access tokens
  // present none.
  tls.client_ca_file = options_.client_ca_file;
  tls.client_cert_optional = true;
  tls.cipher_list = kCipherList;
  h.tls = tls;
  h.header_timeout = std::chrono::seconds(std::max(1, options_.header_timeout_s));
  h.body_timeout = std::chrono::seconds(std::max(1, options_.body_timeout_s));
  h.idle_timeout = std::chrono::seconds(std::max(1, options_.idle_timeout_s));
  h.max_connections = std::max<size_t>(options_.max_connections, 1);
  h.max_connections_per_address = options_.max_connections_per_address;
  h.input_budget = options_.input_budget;
  h.limits.max_body_bytes = options_.max_body_bytes;
  h.threads = std::max(1, options_.threads);
  h.max_queued = std::max<size_t>(options_.max_queued, 1);
  h.error_page = [](int status, const std::string& reason) {
    return to_http(FhirApi::to_response(error_result(status, issue_code(status), reason)), false);
  };
  Impl* raw = impl.get();
  auto server =
      http::Server::create(h, [raw](const http::Request& req, const mllp::PeerInfo& peer) {
        return raw->serve(req, peer);
      });
  if (!server.ok()) return unavailable_error("HTTPS listener: " + server.status().message());
  impl->server = std::move(server).value();
  port_ = impl->server->port();
  impl->base_url = options_.base_url.empty()
                       ? "https://" + options_.host + ":" + std::to_string(port_)
                       : options_.base_url;
  ApiOptions api;
  api.base_url = impl->base_url;
  api.channel = options_.channel;
  api.labels = options_.labels;
  api.max_body_bytes = options_.max_body_bytes;
  api.extensions = options_.extensions;
  api.operations = options_.operations;
  api.own_write_types = options_.own_write_types;
  impl->api = std::make_unique<FhirApi>(store_, api);
  impl->identifier = std::make_unique<CallerIdentifier>(options_.clients, options_.tokens,
                                                        options_.allow_anonymous);
  impl->token_url = impl->base_url + "/auth/token";
  if (options_.tokens && options_.jtis && options_.clients) {
    auth::TokenEndpointOptions t;
    t.token_url = impl->token_url;
    t.leeway_s = options_.assertion_leeway_s;
    impl->token_endpoint = std::make_unique<auth::TokenEndpoint>(
        options_.clients.get(), options_.jtis.get(), options_.tokens.get(), t);
  }
  impl->patients = std::make_unique<PatientTokens>(store_);
  impl->server->start();
  impl_ = std::move(impl);
  return ok_status();
}

http::ServerStats FhirRestServer::stats() const {
  return impl_ ? impl_->server->stats() : http::ServerStats{};
}

void FhirRestServer::stop() {
  if (!impl_) return;
  std::lock_guard<std::mutex> lock(impl_->stop_mu);
  if (impl_->stopped) return;
  impl_->stopped = true;
  impl_->stopping = true;
  // Closes the listener at once; requests already received are answered
  // (up to the grace), then every connection is closed and the workers joined.
  impl_->server->stop(std::chrono::milliseconds(std::max(0, options_.shutdown_grace_ms)));
}

}  // namespace gw::rest
