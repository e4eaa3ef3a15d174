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
#include <openssl/ssl.h>

#include <chrono>
#include <filesystem>
#include <mutex>
#include <thread>

#include "gateway/rest/fhir_api.h"

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
  std::atomic<int> in_flight{0};
  std::atomic<bool> stopping{false};
  std::mutex stop_mu;
  bool stopped = false;

  void serve(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp);
  RestResponse admin(const RestRequest& r);
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
  if (!options->admin_handler || options->admin_subjects.empty()) {
    return FhirApi::to_response(
        error_result(404, "not-found", "the admin API is not enabled ([https] admin_subjects)"));
  }
  const bool allowed = r.client_authenticated &&
                       std::find(options->admin_subjects.begin(), options->admin_subjects.end(),
                                 r.sender) != options->admin_subjects.end();
  if (!allowed) {
    return FhirApi::to_response(error_result(
        403, "forbidden",
        "the admin API needs a client certificate whose subject CN is in [https] admin_subjects"));
  }
  return options->admin_handler(r);
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
  r.sender = "https";
  if (!options->client_ca_file.empty()) {
    try {
      auto& impl_req = dynamic_cast<Poco::Net::HTTPServerRequestImpl&>(req);
      Poco::Net::SecureStreamSocket secure(impl_req.socket());
      if (secure.havePeerCertificate()) {
        r.sender = clean_sender(secure.peerCertificate().commonName());
        r.client_authenticated = true;
      }
    } catch (const std::exception&) {
      // Without a readable certificate the handshake would not have passed;
      // keep the generic sender.
    }
  }

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
    } else if (r.target.rfind("/admin/", 0) == 0) {
      out = admin(r);
    } else {
      out = api->handle(r);
    }
  } catch (const Poco::TimeoutException&) {
    out = FhirApi::to_response(error_result(408, "timeout", "request body not received in time"));
    close = true;
  } catch (const std::exception&) {
    out = FhirApi::to_response(error_result(500, "exception", "internal error"));
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
    p.verificationMode = mtls ? Poco::Net::Context::VERIFY_STRICT : Poco::Net::Context::VERIFY_NONE;
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
