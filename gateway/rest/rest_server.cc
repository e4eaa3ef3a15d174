#include "gateway/rest/rest_server.h"

#include <Poco/Exception.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPRequestHandlerFactory.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/NetSSL.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/SecureStreamSocket.h>
#include <Poco/Net/X509Certificate.h>
#include <Poco/ThreadPool.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <chrono>
#include <filesystem>
#include <mutex>
#include <set>
#include <thread>

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

// The verified client certificate's subject (RFC 2253) and SHA-256
// fingerprint; not present when the peer showed none.
TlsIdentity peer_identity(Poco::Net::HTTPServerRequest& req) {
  TlsIdentity id;
  try {
    auto& impl_req = dynamic_cast<Poco::Net::HTTPServerRequestImpl&>(req);
    Poco::Net::SecureStreamSocket secure(impl_req.socket());
    if (!secure.havePeerCertificate()) return id;
    const Poco::Net::X509Certificate cert = secure.peerCertificate();
    const X509* x = cert.certificate();
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    if (X509_digest(x, EVP_sha256(), md, &md_len) != 1) return id;
    static const char kHex[] = "0123456789abcdef";
    for (unsigned int i = 0; i < md_len; ++i) {
      id.sha256 += kHex[md[i] >> 4];
      id.sha256 += kHex[md[i] & 15];
    }
    BIO* bio = BIO_new(BIO_s_mem());
    if (bio == nullptr) return id;
    if (X509_NAME_print_ex(bio, X509_get_subject_name(x), 0, XN_FLAG_RFC2253) >= 0) {
      char* data = nullptr;
      const long n = BIO_get_mem_data(bio, &data);
      if (n > 0 && n <= 4096) id.subject.assign(data, static_cast<size_t>(n));
    }
    BIO_free(bio);
    id.present = true;
  } catch (const std::exception&) {
    // Without a readable certificate the handshake would not have passed.
  }
  return id;
}

class InFlight {
 public:
  explicit InFlight(std::atomic<int>* n) : n_(n) { n_->fetch_add(1); }
  ~InFlight() { n_->fetch_sub(1); }

 private:
  std::atomic<int>* n_;
};

}  // namespace

struct FhirRestServer::Impl {
  const RestOptions* options = nullptr;
  std::string base_url;
  std::unique_ptr<FhirApi> api;
  Poco::Net::Context::Ptr context;
  std::unique_ptr<Poco::ThreadPool> pool;
  // A handle on the listening socket (shared with the server), closed by
  // stop() so that new connections are refused at once rather than left in
  // the backlog until the server object is destroyed.
  std::unique_ptr<Poco::Net::SecureServerSocket> listener;
  std::unique_ptr<Poco::Net::HTTPServer> server;
  std::unique_ptr<CallerIdentifier> identifier;
  std::unique_ptr<auth::TokenEndpoint> token_endpoint;  // null: no token endpoint
  std::string token_url;
  std::unique_ptr<PatientTokens> patients;
  std::atomic<int> in_flight{0};
  std::atomic<bool> stopping{false};
  std::mutex stop_mu;
  bool stopped = false;

  void serve(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp);
  // The answer to a request whose body was read.
  RestResponse dispatch(const RestRequest& r, std::string_view path);
  RestResponse admin(const RestRequest& r);
  RestResponse token(const RestRequest& r);
  // Writes the answer's audit entries; false if they could not be written.
  bool audit_answer(const RestRequest& r, const Caller& caller, RestResponse* out);
};

namespace {

class Handler : public Poco::Net::HTTPRequestHandler {
 public:
  explicit Handler(FhirRestServer::Impl* impl) : impl_(impl) {}
  void handleRequest(Poco::Net::HTTPServerRequest& req,
                     Poco::Net::HTTPServerResponse& resp) override {
    impl_->serve(req, resp);
  }

 private:
  FhirRestServer::Impl* impl_;
};

class Factory : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit Factory(FhirRestServer::Impl* impl) : impl_(impl) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest&) override {
    return new Handler(impl_);
  }

 private:
  FhirRestServer::Impl* impl_;
};

// Reads and drops up to `limit` bytes of a body we refuse (413). Closing a
// socket with unread input makes the kernel reset the connection, and the
// client may then lose our answer; so a bounded amount is drained first.
void discard(std::istream& in, size_t limit) {
  char buf[16384];
  size_t discarded = 0;
  while (in && discarded < limit) {
    in.read(buf, sizeof buf);
    if (in.gcount() == 0) break;
    discarded += static_cast<size_t>(in.gcount());
  }
}

// Reads the body, at most `max` bytes; false (after draining at most
// `drain` more) if it is longer.
bool read_body(std::istream& in, size_t max, size_t drain, std::string* body) {
  char buf[16384];
  while (in) {
    in.read(buf, sizeof buf);
    const size_t n = static_cast<size_t>(in.gcount());
    if (n == 0) break;
    if (body->size() + n > max) {
      discard(in, drain);
      return false;
    }
    body->append(buf, n);
  }
  return true;
}

}  // namespace

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

void FhirRestServer::Impl::serve(Poco::Net::HTTPServerRequest& req,
                                 Poco::Net::HTTPServerResponse& resp) {
  InFlight guard(&in_flight);
  RestRequest r;
  r.method = req.getMethod();
  r.target = req.getURI();
  r.content_type = req.get("Content-Type", "");
  r.accept = req.get("Accept", "");
  r.if_match = req.get("If-Match", "");
  r.if_none_exist = req.get("If-None-Exist", "");
  r.prefer = req.get("Prefer", "");
  r.peer = req.clientAddress().toString();
  TlsIdentity tls;
  if (!options->client_ca_file.empty()) tls = peer_identity(req);
  const Caller caller = identifier->identify(tls, req.get("Authorization", ""), now_ms() / 1000);
  r.grant = caller.grant;
  r.client_authenticated = !caller.client.empty();
  r.sender = caller.client.empty() ? "https" : clean_sender(caller.client);
  std::string_view path = r.target;
  path = path.substr(0, path.find_first_of("?#"));

  RestResponse out;
  bool close = stopping.load();
  try {
    const size_t max = options->max_body_bytes;
    const size_t drain = max + (size_t{1} << 20);
    if (req.hasContentLength() && req.getContentLength64() > static_cast<int64_t>(max)) {
      discard(req.stream(), drain);
      out = FhirApi::to_response(error_result(413, "too-costly", "request body too large"));
      close = true;
    } else if (!read_body(req.stream(), max, drain, &r.body)) {
      out = FhirApi::to_response(error_result(413, "too-costly", "request body too large"));
      close = true;
    } else {
      out = dispatch(r, path);
    }
  } catch (const Poco::TimeoutException&) {
    out = FhirApi::to_response(error_result(408, "timeout", "request body not received in time"));
    close = true;
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

  try {
    if (close) resp.setKeepAlive(false);
    resp.setStatusAndReason(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(out.status));
    for (const auto& [name, value] : out.headers) resp.set(name, value);
    if (out.body.empty()) {
      resp.setContentLength(0);
      resp.send();
    } else {
      resp.setContentType(out.content_type);
      resp.sendBuffer(out.body.data(), out.body.size());
    }
  } catch (const std::exception&) {
    // The peer went away; nothing to answer.
  }
  if (options->on_request) {
    options->on_request(r.method, logged_type(r.target), out.status, r.peer);
  }
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
  static std::once_flag ssl_once;
  std::call_once(ssl_once, [] { Poco::Net::initializeSSL(); });

  auto impl = std::make_unique<Impl>();
  impl->options = &options_;
  try {
    Poco::Net::Context::Params p;
    p.certificateFile = options_.cert_file;
    p.privateKeyFile = options_.key_file;
    p.loadDefaultCAs = false;
    p.cipherList = "HIGH:!aNULL:!eNULL:!MD5:!RC4:!3DES:!SHA1";
    const bool mtls = !options_.client_ca_file.empty();
    p.caLocation = options_.client_ca_file;
    // Relaxed: a certificate is asked for and, when presented, must verify
    // against client_ca_file (else the handshake fails); clients with access
    // tokens present none.
    p.verificationMode =
        mtls ? Poco::Net::Context::VERIFY_RELAXED : Poco::Net::Context::VERIFY_NONE;
    impl->context = new Poco::Net::Context(Poco::Net::Context::TLS_SERVER_USE, p);
    impl->context->requireMinimumProtocol(Poco::Net::Context::PROTO_TLSV1_2);
    // Poco's "extended verification" matches the peer certificate against the
    // peer's host name, which is meaningful for servers, not for clients (it
    // would refuse every client certificate). OpenSSL still verifies the
    // client's chain against client_ca_file.
    impl->context->enableExtendedCertificateVerification(false);
    SSL_CTX* ctx = impl->context->sslContext();
    static const unsigned char kSessionContext[] = "gw-fhir-rest";
    SSL_CTX_set_session_id_context(ctx, kSessionContext, sizeof kSessionContext - 1);
    if (mtls) {
      // Tell clients which CAs we accept, so they pick the right certificate.
      STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(options_.client_ca_file.c_str());
      if (names == nullptr) {
        return invalid_argument_error("no CA certificate in " + options_.client_ca_file);
      }
      SSL_CTX_set_client_CA_list(ctx, names);
    }

    Poco::Net::SecureServerSocket socket(
        Poco::Net::SocketAddress(options_.host, options_.port),
        static_cast<int>(std::max<size_t>(options_.max_queued, 16)), impl->context);
    port_ = socket.address().port();
    impl->listener = std::make_unique<Poco::Net::SecureServerSocket>(socket);
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

    auto* params = new Poco::Net::HTTPServerParams;
    const int threads = std::max(1, options_.threads);
    params->setMaxThreads(threads);
    params->setMaxQueued(static_cast<int>(std::max<size_t>(options_.max_queued, 1)));
    params->setTimeout(Poco::Timespan(std::max(1, options_.idle_timeout_s), 0));
    params->setKeepAlive(true);
    params->setKeepAliveTimeout(Poco::Timespan(std::max(1, options_.idle_timeout_s), 0));
    params->setMaxKeepAliveRequests(1000);
    impl->pool = std::make_unique<Poco::ThreadPool>(1, threads + 1);
    impl->server = std::make_unique<Poco::Net::HTTPServer>(new Factory(impl.get()), *impl->pool,
                                                           socket, params);
    impl->server->start();
  } catch (const Poco::Exception& e) {
    return unavailable_error("HTTPS listener: " + e.displayText());
  } catch (const std::exception& e) {
    return unavailable_error(std::string("HTTPS listener: ") + e.what());
  }
  impl_ = std::move(impl);
  return ok_status();
}

void FhirRestServer::stop() {
  if (!impl_) return;
  std::lock_guard<std::mutex> lock(impl_->stop_mu);
  if (impl_->stopped) return;
  impl_->stopped = true;
  impl_->stopping = true;
  impl_->server->stop();  // no new connections; open ones keep being served
  try {
    impl_->listener->close();
  } catch (const Poco::Exception&) {
  }
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(options_.shutdown_grace_ms);
  while (impl_->in_flight.load() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  // Closes every connection: gracefully (after its current request) if all
  // requests finished in time, at once otherwise.
  impl_->server->stopAll(impl_->in_flight.load() > 0);
  impl_->pool->joinAll();
}

}  // namespace gw::rest
