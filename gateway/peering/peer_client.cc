#include "gateway/peering/peer_client.h"

#include <Poco/Exception.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SecureStreamSocket.h>
#include <Poco/Net/X509Certificate.h>
#include <Poco/URI.h>

#include <algorithm>

#include "fhir/json/json.h"
#include "gateway/peering/deadline_reaper.h"
#include "gateway/peering/peer_connection_pool.h"
#include "gateway/peering/peer_tls.h"
#include "gateway/peering/sigpipe_guard.h"

namespace gw::peering {

namespace {

using Clock = std::chrono::steady_clock;
constexpr uint16_t kDefaultPort = 8444;
// A peer's error body is read for its code and reason only.
constexpr size_t kMaxErrorBody = 64 * 1024;
constexpr size_t kMaxCodeBytes = 64, kMaxReasonBytes = 512;

struct Target {
  std::string host;
  uint16_t port = kDefaultPort;
};

PeerError error(gw::Status status) { return PeerError{std::move(status), 0, "", ""}; }

Result<Target> parse_base_url(const std::string& base_url) {
  const std::string usage = "peering: expected a member base URL \"https://HOST[:PORT]\"";
  try {
    Poco::URI uri(base_url);
    if (uri.getScheme() != "https" || uri.getHost().empty() || !uri.getUserInfo().empty() ||
        !(uri.getPath().empty() || uri.getPath() == "/") || !uri.getRawQuery().empty() ||
        !uri.getFragment().empty()) {
      return invalid_argument_error(usage);
    }
    Target t;
    t.host = uri.getHost();
    if (uri.getSpecifiedPort() != 0) t.port = uri.getSpecifiedPort();
    return t;
  } catch (const Poco::Exception&) {
    return invalid_argument_error(usage);
  }
}

// Printable ASCII, bounded: a peer's words end up in our logs.
std::string clean(const std::string& s, size_t max) {
  std::string out;
  for (char c : s) {
    if (out.size() >= max) break;
    out += (c >= 0x20 && c < 0x7f) ? c : '?';
  }
  return out;
}

PeerError answered(int http_status, const std::string& body) {
  PeerError e;
  e.http_status = http_status;
  fhir::JsonParseOptions limits;
  limits.max_input_bytes = kMaxErrorBody;
  limits.max_depth = 8;
  auto parsed = fhir::parse_json(body, limits);
  if (parsed.ok() && parsed->is_object()) {
    if (const fhir::JsonValue* c = parsed->find("error"); c != nullptr && c->is_string())
      e.code = clean(c->text(), kMaxCodeBytes);
    if (const fhir::JsonValue* r = parsed->find("reason"); r != nullptr && r->is_string())
      e.reason = clean(r->text(), kMaxReasonBytes);
  }
  const std::string what = "peer answered " + std::to_string(http_status) +
                           (e.code.empty() ? "" : " " + e.code) +
                           (e.reason.empty() ? "" : ": " + e.reason);
  const bool transient = http_status >= 500 || http_status == 408 || http_status == 429;
  e.status = transient ? unavailable_error(what) : failed_precondition_error(what);
  return e;
}

Poco::Timespan left(Clock::time_point deadline) {
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(deadline - Clock::now());
  return Poco::Timespan(std::max<int64_t>(us.count(), 1000));
}

// One call's fixed parts.
struct Request {
  const std::string& method;
  const Target& target;
  const std::string& path;
  const std::string* json;
  Clock::time_point deadline;
  std::string where;      // "host:port", for messages
  std::string timed_out;  // the message of a call past its deadline
};

// What one exchange on one connection came to.
struct Exchange {
  PeerResult<PeerReply> result;
  // The connection was lost before any of an answer came back, within the
  // deadline: on a kept connection, most likely closed by the peer while idle.
  bool lost_unanswered = false;
  bool reusable = false;  // clean and kept alive by the peer: may be pooled
};

PeerError failure(const std::exception& e, const Request& r) {
  if (dynamic_cast<const Poco::TimeoutException*>(&e) != nullptr)
    return error(unavailable_error(r.timed_out));
  // Refused, reset, unresolvable, a failed handshake (which may also mean
  // the peer does not accept our certificate: see its log).
  const auto* poco = dynamic_cast<const Poco::Exception*>(&e);
  return error(unavailable_error("peering: " + r.where + ": " +
                                 clean(poco != nullptr ? poco->displayText() : e.what(), 200)));
}

// Gives the connection of a checkout back to the pool when it ends: the one
// kept(), or none (its place freed; a connection not kept is closed by its
// owner, declared after this).
class Checkin {
 public:
  Checkin(internal::ConnectionPool* pool, const internal::PoolKey& key) : pool_(pool), key_(key) {}
  ~Checkin() { pool_->give(key_, std::move(kept_)); }
  Checkin(const Checkin&) = delete;
  Checkin& operator=(const Checkin&) = delete;
  void keep(std::unique_ptr<internal::PeerConnection> c) { kept_ = std::move(c); }

 private:
  internal::ConnectionPool* pool_;
  const internal::PoolKey& key_;
  std::unique_ptr<internal::PeerConnection> kept_;
};

}  // namespace

struct PeerClient::Impl {
  Impl(PeerClientOptions o, Poco::Net::Context::Ptr c)
      : options(std::move(o)),
        context(std::move(c)),
        pool(&reaper, options.max_connections_per_peer, options.max_idle_per_peer,
             options.idle_timeout) {}

  // A new connection to the target, its certificate pinned to `expected`.
  PeerResult<std::unique_ptr<internal::PeerConnection>> open(const Request& r,
                                                             const Fingerprint& expected);
  // One request and its response on `c`.
  Exchange exchange(internal::PeerConnection& c, const Request& r);

  PeerClientOptions options;
  Poco::Net::Context::Ptr context;
  internal::DeadlineReaper reaper;  // before the pool, which uses it until its end
  internal::ConnectionPool pool;
};

PeerClient::PeerClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
PeerClient::~PeerClient() = default;

gw::Result<std::unique_ptr<PeerClient>> PeerClient::create(PeerClientOptions options) {
  auto context = internal::make_client_context(options.cert_file, options.key_file);
  if (!context.ok()) return context.error();
  if (options.max_connections_per_peer == 0)
    return invalid_argument_error("peering: max_connections_per_peer must be at least 1");
  auto impl = std::make_unique<Impl>(std::move(options), *context);
  return std::unique_ptr<PeerClient>(new PeerClient(std::move(impl)));
}

PeerResult<PeerReply> PeerClient::post(const std::string& base_url, const std::string& path,
                                       const Fingerprint& expected, const std::string& json) {
  return call("POST", base_url, path, expected, &json);
}

PeerResult<PeerReply> PeerClient::get(const std::string& base_url, const std::string& path,
                                      const Fingerprint& expected) {
  return call("GET", base_url, path, expected, nullptr);
}

PeerResult<std::unique_ptr<internal::PeerConnection>> PeerClient::Impl::open(
    const Request& r, const Fingerprint& expected) {
  try {
    // Name resolution is not bounded by the deadline (the resolver's own
    // timeouts apply); [peers] normally names addresses or local names.
    Poco::Net::SocketAddress address(r.target.host, r.target.port);
    Poco::Net::SecureStreamSocket socket(context);
    socket.setLazyHandshake(true);
    socket.setPeerHostName(r.target.host);  // SNI; the name is not verified
    socket.connect(address, left(r.deadline));
    // The request goes out in more than one write (headers, then body): with
    // Nagle's algorithm the second waits for the peer's delayed ACK (40 ms)
    // on a kept connection. (Poco's TCPServer sets the same on its side.)
    socket.setNoDelay(true);
    internal::Watch watch(
        &reaper, socket.impl()->sockfd(),
        std::chrono::duration_cast<std::chrono::milliseconds>(r.deadline - Clock::now()));
    try {
      socket.setReceiveTimeout(left(r.deadline));
      socket.setSendTimeout(left(r.deadline));
      socket.completeHandshake();
      const Fingerprint seen =
          internal::certificate_fingerprint(socket.peerCertificate().certificate());
      if (seen != expected) {
        return error(permission_denied_error(
            "peering: " + r.where + " presented a certificate with sha256 " + to_hex(seen) +
            ", expected the member's registered " + to_hex(expected) + "; nothing was sent"));
      }
      return std::make_unique<internal::PeerConnection>(socket);
    } catch (const Poco::Exception&) {
      // The reaper's shutdown surfaces as whatever the blocked call saw.
      if (watch.fired()) return error(unavailable_error(r.timed_out));
      throw;
    }
  } catch (const std::exception& e) {
    return failure(e, r);
  }
}

Exchange PeerClient::Impl::exchange(internal::PeerConnection& c, const Request& r) {
  const auto fail = [](PeerError e) { return Exchange{std::move(e), false, false}; };
  internal::Watch watch(
      &reaper, c.fd,
      std::chrono::duration_cast<std::chrono::milliseconds>(r.deadline - Clock::now()));
  bool answering = false;  // the status line and headers are in
  try {
    c.socket.setReceiveTimeout(left(r.deadline));
    c.socket.setSendTimeout(left(r.deadline));
    Poco::Net::HTTPRequest req(r.method, r.path, Poco::Net::HTTPMessage::HTTP_1_1);
    req.setHost(r.target.host, r.target.port);
    req.setKeepAlive(options.max_idle_per_peer > 0);
    if (r.json != nullptr) {
      req.setContentType("application/json");
      req.setContentLength64(static_cast<int64_t>(r.json->size()));
    }
    std::ostream& out = c.session.sendRequest(req);
    if (r.json != nullptr) out.write(r.json->data(), static_cast<std::streamsize>(r.json->size()));
    Poco::Net::HTTPResponse resp;
    std::istream& in = c.session.receiveResponse(resp);
    answering = true;
    const int status = static_cast<int>(resp.getStatus());
    const bool success = status >= 200 && status < 300;
    const size_t max = success ? options.max_response_bytes : kMaxErrorBody;
    const std::string too_big = "peering: " + r.where + " answered " + std::to_string(status) +
                                " with a body over " + std::to_string(max) + " bytes";
    if (resp.hasContentLength() && resp.getContentLength64() > static_cast<int64_t>(max))
      return fail(error(unavailable_error(too_big)));
    std::string body;
    char buf[16384];
    while (in) {
      in.read(buf, sizeof buf);
      const size_t n = static_cast<size_t>(in.gcount());
      if (n == 0) break;
      if (body.size() + n > max) return fail(error(unavailable_error(too_big)));
      body.append(buf, n);
    }
    // istream turns a failure inside Poco's stream (reset, timeout) into
    // badbit; a body shorter than its Content-Length is lost too.
    const bool cut = in.bad() || (resp.hasContentLength() &&
                                  body.size() != static_cast<uint64_t>(resp.getContentLength64()));
    if (watch.fired() || cut) {
      return fail(error(unavailable_error(
          watch.fired() ? r.timed_out
                        : "peering: " + r.where + ": connection lost in the response")));
    }
    // Without a length or chunks the body ends with the connection.
    const bool reusable = options.max_idle_per_peer > 0 && resp.getKeepAlive() &&
                          (resp.hasContentLength() || resp.getChunkedTransferEncoding());
    if (!success) return Exchange{answered(status, body), false, reusable};
    return Exchange{PeerReply{status, std::move(body)}, false, reusable};
  } catch (const std::exception& e) {
    // The reaper's shutdown surfaces as whatever the blocked call saw.
    if (watch.fired()) return fail(error(unavailable_error(r.timed_out)));
    Exchange x = fail(failure(e, r));
    // A malformed answer is an answer; a timeout may be a peer still at work.
    const bool malformed = dynamic_cast<const Poco::Net::MessageException*>(&e) != nullptr &&
                           dynamic_cast<const Poco::Net::NoMessageException*>(&e) == nullptr;
    x.lost_unanswered =
        !answering && !malformed && dynamic_cast<const Poco::TimeoutException*>(&e) == nullptr;
    return x;
  }
}

PeerResult<PeerReply> PeerClient::call(const std::string& method, const std::string& base_url,
                                       const std::string& path, const Fingerprint& expected,
                                       const std::string* json) {
  auto target = parse_base_url(base_url);
  if (!target.ok()) return error(target.error());
  if (!path.starts_with('/') || path.find_first_of(" \r\n") != std::string::npos)
    return error(invalid_argument_error("peering: the path must start with '/'"));
  internal::SigpipeGuard no_sigpipe;
  const std::string where = target->host + ":" + std::to_string(target->port);
  const Request r{method,
                  *target,
                  path,
                  json,
                  Clock::now() + impl_->options.timeout,
                  where,
                  "peering: " + where + " did not answer within " +
                      std::to_string(impl_->options.timeout.count()) + " ms"};
  const internal::PoolKey key{target->host, target->port, expected};
  internal::ConnectionPool::Checkout out = impl_->pool.take(key, r.deadline);
  if (!out.kept && !out.may_open) {
    return error(unavailable_error(
        "peering: " + where + ": all " + std::to_string(impl_->options.max_connections_per_peer) +
        " connections stayed busy for " + std::to_string(impl_->options.timeout.count()) + " ms"));
  }
  Checkin checkin(&impl_->pool, key);  // ends the checkout, whatever happens below
  if (std::unique_ptr<internal::PeerConnection> kept = std::move(out.kept)) {
    Exchange x = impl_->exchange(*kept, r);
    // Lost without an answer: the peer closed it as we sent (its idle
    // timeout). Made again below on a new connection: safe, as every member
    // call is idempotent (see the header).
    if (!x.lost_unanswered || Clock::now() >= r.deadline) {
      if (x.reusable) checkin.keep(std::move(kept));
      return std::move(x.result);
    }
  }
  auto opened = impl_->open(r, expected);
  if (!opened.ok()) return opened.error();
  std::unique_ptr<internal::PeerConnection> fresh = std::move(opened).value();
  Exchange x = impl_->exchange(*fresh, r);
  if (x.reusable) checkin.keep(std::move(fresh));
  return std::move(x.result);
}

}  // namespace gw::peering
