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

}  // namespace

struct PeerClient::Impl {
  PeerClientOptions options;
  Poco::Net::Context::Ptr context;
  internal::DeadlineReaper reaper;
};

PeerClient::PeerClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
PeerClient::~PeerClient() = default;

gw::Result<std::unique_ptr<PeerClient>> PeerClient::create(PeerClientOptions options) {
  auto context = internal::make_client_context(options.cert_file, options.key_file);
  if (!context.ok()) return context.error();
  auto impl = std::make_unique<Impl>();
  impl->options = std::move(options);
  impl->context = *context;
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

PeerResult<PeerReply> PeerClient::call(const std::string& method, const std::string& base_url,
                                       const std::string& path, const Fingerprint& expected,
                                       const std::string* json) {
  auto target = parse_base_url(base_url);
  if (!target.ok()) return error(target.error());
  if (!path.starts_with('/') || path.find_first_of(" \r\n") != std::string::npos)
    return error(invalid_argument_error("peering: the path must start with '/'"));
  internal::SigpipeGuard no_sigpipe;
  const std::string where = target->host + ":" + std::to_string(target->port);
  const Clock::time_point deadline = Clock::now() + impl_->options.timeout;
  const std::string timed_out = "peering: " + where + " did not answer within " +
                                std::to_string(impl_->options.timeout.count()) + " ms";
  try {
    // Name resolution is not bounded by the deadline (the resolver's own
    // timeouts apply); [peers] normally names addresses or local names.
    Poco::Net::SocketAddress address(target->host, target->port);
    Poco::Net::SecureStreamSocket socket(impl_->context);
    socket.setLazyHandshake(true);
    socket.setPeerHostName(target->host);  // SNI; the name is not verified
    socket.connect(address, left(deadline));
    internal::Watch watch(
        &impl_->reaper, socket.impl()->sockfd(),
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()));
    try {
      socket.setReceiveTimeout(left(deadline));
      socket.setSendTimeout(left(deadline));
      socket.completeHandshake();
      const Fingerprint seen =
          internal::certificate_fingerprint(socket.peerCertificate().certificate());
      if (seen != expected) {
        return error(permission_denied_error(
            "peering: " + where + " presented a certificate with sha256 " + to_hex(seen) +
            ", expected the member's registered " + to_hex(expected) + "; nothing was sent"));
      }
      Poco::Net::HTTPClientSession session(socket);
      session.setKeepAlive(false);
      Poco::Net::HTTPRequest req(method, path, Poco::Net::HTTPMessage::HTTP_1_1);
      req.setHost(target->host, target->port);
      req.setKeepAlive(false);
      if (json != nullptr) {
        req.setContentType("application/json");
        req.setContentLength64(static_cast<int64_t>(json->size()));
      }
      std::ostream& out = session.sendRequest(req);
      if (json != nullptr) out.write(json->data(), static_cast<std::streamsize>(json->size()));
      Poco::Net::HTTPResponse resp;
      std::istream& in = session.receiveResponse(resp);
      const int status = static_cast<int>(resp.getStatus());
      const bool success = status >= 200 && status < 300;
      const size_t max = success ? impl_->options.max_response_bytes : kMaxErrorBody;
      if (resp.hasContentLength() && resp.getContentLength64() > static_cast<int64_t>(max)) {
        return error(unavailable_error("peering: " + where + " answered " + std::to_string(status) +
                                       " with a body over " + std::to_string(max) + " bytes"));
      }
      std::string body;
      char buf[16384];
      while (in) {
        in.read(buf, sizeof buf);
        const size_t n = static_cast<size_t>(in.gcount());
        if (n == 0) break;
        if (body.size() + n > max) {
          return error(unavailable_error("peering: " + where + " answered " +
                                         std::to_string(status) + " with a body over " +
                                         std::to_string(max) + " bytes"));
        }
        body.append(buf, n);
      }
      // istream turns a failure inside Poco's stream (reset, timeout) into
      // badbit; a body shorter than its Content-Length is lost too.
      const bool cut =
          in.bad() || (resp.hasContentLength() &&
                       body.size() != static_cast<uint64_t>(resp.getContentLength64()));
      if (watch.fired() || cut) {
        return error(unavailable_error(
            watch.fired() ? timed_out : "peering: " + where + ": connection lost in the response"));
      }
      if (!success) return answered(status, body);
      return PeerReply{status, std::move(body)};
    } catch (const Poco::Exception&) {
      // The reaper's shutdown surfaces as whatever the blocked call saw.
      if (watch.fired()) return error(unavailable_error(timed_out));
      throw;
    }
  } catch (const Poco::TimeoutException&) {
    return error(unavailable_error(timed_out));
  } catch (const Poco::Exception& e) {
    // Refused, reset, unresolvable, a failed handshake (which may also mean
    // the peer does not accept our certificate: see its log).
    return error(unavailable_error("peering: " + where + ": " + clean(e.displayText(), 200)));
  } catch (const std::exception& e) {
    return error(unavailable_error("peering: " + where + ": " + clean(e.what(), 200)));
  }
}

}  // namespace gw::peering
