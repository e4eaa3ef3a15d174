#include "gateway/peering/peer_server.h"

#include <Poco/Exception.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/HTTPServerResponseImpl.h>
#include <Poco/Net/HTTPServerSession.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/SecureStreamSocket.h>
#include <Poco/Net/TCPServer.h>
#include <Poco/Net/TCPServerConnection.h>
#include <Poco/Net/TCPServerConnectionFactory.h>
#include <Poco/Net/X509Certificate.h>
#include <Poco/ThreadPool.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include "gateway/log/log.h"
#include "gateway/peering/deadline_reaper.h"
#include "gateway/peering/peer_dispatch.h"
#include "gateway/peering/peer_tls.h"
#include "gateway/peering/sigpipe_guard.h"

namespace gw::peering {

namespace {

using internal::Watch;
using Clock = std::chrono::steady_clock;

// At most kLinesPerSecond lines per second for events that anyone who can
// connect can cause (failed handshakes, refused connections), so that a
// flood cannot fill the disk; `suppressed=N` counts the lines left out.
class LogBudget {
 public:
  static constexpr int kLinesPerSecond = 10;
  // True if a line may be written now; *suppressed gets the count left out
  // since the last line written.
  bool take(uint64_t* suppressed) {
    std::lock_guard<std::mutex> lock(mu_);
    const auto now = Clock::now();
    if (now - window_ >= std::chrono::seconds(1)) {
      window_ = now;
      used_ = 0;
    }
    if (used_ >= kLinesPerSecond) {
      ++suppressed_;
      return false;
    }
    ++used_;
    *suppressed = suppressed_;
    suppressed_ = 0;
    return true;
  }

 private:
  std::mutex mu_;  // guards the fields below
  Clock::time_point window_{};
  int used_ = 0;
  uint64_t suppressed_ = 0;
};

class InFlight {
 public:
  explicit InFlight(std::atomic<int>* n) : n_(n) { n_->fetch_add(1); }
  ~InFlight() { n_->fetch_sub(1); }

 private:
  std::atomic<int>* n_;
};

}  // namespace

struct PeerServer::Impl {
  PeerServerOptions options;
  IdentifyPeer identify;
  std::vector<PeerRoute> routes;  // longest prefix first
  int per_address = 1;            // connections not yet identified, per client address
  Poco::Net::Context::Ptr context;
  Poco::Net::HTTPServerParams::Ptr http_params;
  internal::DeadlineReaper reaper;
  std::unique_ptr<Poco::ThreadPool> pool;
  // A handle on the listening socket, closed by stop() so that new
  // connections are refused at once instead of waiting in the backlog.
  std::unique_ptr<Poco::Net::ServerSocket> listener;
  std::unique_ptr<Poco::Net::TCPServer> server;
  uint16_t port = 0;
  std::atomic<int> in_flight{0};
  std::atomic<uint64_t> served{0};
  std::atomic<bool> stopping{false};
  std::mutex addresses_mu;  // guards per_address_count (unidentified connections)
  std::map<std::string, int> per_address_count;
  LogBudget unauthenticated_lines;  // peer.handshake_failed, peer.refused
  std::mutex stop_mu;               // serializes stop()
  bool stopped = false;

  void serve_connection(Poco::Net::StreamSocket& socket);
};

namespace {

// Holds one of an address's slots for connections not yet known to be a
// member's, until release() or its end.
class AddressSlot {
 public:
  AddressSlot(PeerServer::Impl* impl, std::string address)
      : impl_(impl), address_(std::move(address)) {
    std::lock_guard<std::mutex> lock(impl_->addresses_mu);
    int& n = impl_->per_address_count[address_];
    held_ = n < impl_->per_address;
    if (held_) ++n;
    if (n == 0) impl_->per_address_count.erase(address_);
  }
  ~AddressSlot() { release(); }
  bool held() const { return held_; }
  void release() {
    if (!held_) return;
    held_ = false;
    std::lock_guard<std::mutex> lock(impl_->addresses_mu);
    if (--impl_->per_address_count[address_] == 0) impl_->per_address_count.erase(address_);
  }

 private:
  PeerServer::Impl* impl_;
  std::string address_;
  bool held_ = false;
};

class Connection : public Poco::Net::TCPServerConnection {
 public:
  Connection(const Poco::Net::StreamSocket& s, PeerServer::Impl* impl)
      : TCPServerConnection(s), impl_(impl) {}
  void run() override {
    internal::SigpipeGuard no_sigpipe;  // a client that hung up must not end the process
    try {
      impl_->serve_connection(socket());
    } catch (...) {
      // serve_connection handles what it expects; anything else ends only
      // this connection.
    }
    // Closed here, under the guard: closing a TLS socket writes its
    // close_notify, which Poco would otherwise do after run() returns.
    try {
      socket().close();
    } catch (...) {
    }
  }

 private:
  PeerServer::Impl* impl_;
};

class Factory : public Poco::Net::TCPServerConnectionFactory {
 public:
  explicit Factory(PeerServer::Impl* impl) : impl_(impl) {}
  Poco::Net::TCPServerConnection* createConnection(const Poco::Net::StreamSocket& s) override {
    return new Connection(s, impl_);
  }

 private:
  PeerServer::Impl* impl_;
};

}  // namespace

void PeerServer::Impl::serve_connection(Poco::Net::StreamSocket& socket) {
  InFlight in_flight_guard(&in_flight);
  served.fetch_add(1);
  if (stopping.load()) return;
  std::string from = "?";
  try {
    from = socket.peerAddress().toString();
  } catch (const Poco::Exception&) {
    return;  // already gone
  }
  const std::string from_host = from.substr(0, from.rfind(':'));
  AddressSlot slot(this, from_host);
  if (!slot.held()) {
    if (uint64_t suppressed = 0; unauthenticated_lines.take(&suppressed)) {
      log::warn("peer.refused", {{"from", from},
                                 {"reason", "too many unidentified connections from this address"},
                                 {"suppressed", std::to_string(suppressed)}});
    }
    return;
  }
  Watch watch(&reaper, socket.impl()->sockfd(), options.header_timeout);
  Fingerprint fp{};
  std::optional<Account> peer;
  try {
    const Poco::Timespan t(
        std::chrono::duration_cast<std::chrono::microseconds>(options.header_timeout).count());
    socket.setReceiveTimeout(t);
    socket.setSendTimeout(t);
    Poco::Net::SecureStreamSocket secure(socket);
    secure.completeHandshake();
    if (!secure.havePeerCertificate()) return;  // the context requires one; never here
    fp = internal::certificate_fingerprint(secure.peerCertificate().certificate());
  } catch (const std::exception&) {
    // No certificate, not TLS, an old protocol, a timeout: nothing was said.
    const char* why = stopping.load() ? "stopping" : watch.fired() ? "timeout" : "refused";
    if (uint64_t suppressed = 0; unauthenticated_lines.take(&suppressed)) {
      log::info("peer.handshake_failed",
                {{"from", from}, {"reason", why}, {"suppressed", std::to_string(suppressed)}});
    }
    return;
  }
  // Asked again for every request, so that a member suspended on chain is
  // refused from its next request on, even on a kept-alive connection.
  auto who = [&]() -> std::optional<Account> {
    if (fp == Fingerprint{}) return std::nullopt;
    try {
      return identify(fp);
    } catch (...) {
      log::error("peer.identify_failed", {{"from", from}, {"fingerprint", to_hex(fp)}});
      return std::nullopt;
    }
  };
  peer = who();
  // A member's connections do not count against its address: one member
  // gateway delivers several transfers at once.
  if (peer) slot.release();
  Poco::Net::HTTPServerSession session(socket, http_params);
  int requests = 0;
  while (!stopping.load() && session.hasMoreRequests()) {
    const Clock::time_point started = Clock::now();
    std::string method = "-";
    internal::Call call;
    call.close = stopping.load();
    PeerResponse out;
    Poco::Net::HTTPServerResponseImpl response(session);
    // The response keeps a pointer to its request (it reads the method when
    // it sends), so the request must outlive the sending below.
    std::optional<Poco::Net::HTTPServerRequestImpl> parsed;
    try {
      parsed.emplace(response, session, http_params);
      Poco::Net::HTTPServerRequestImpl& request = *parsed;
      method = request.getMethod();
      const std::string& version = request.getVersion();
      if (version != Poco::Net::HTTPMessage::HTTP_1_1 &&
          version != Poco::Net::HTTPMessage::HTTP_1_0) {
        out = peer_error(400, "bad-request", "malformed HTTP request");
        call.close = true;
      } else {
        response.setVersion(version);
        if (requests++ > 0) peer = who();
        out = internal::dispatch(request, routes, options.max_body_bytes, options.body_timeout,
                                 peer, fp, watch, &call);
      }
      // The response object does not know the request (Poco keeps that
      // link to its own connection class), so it would send a body even
      // for HEAD: the connection cannot carry another request after one.
      call.close = call.close || !request.getKeepAlive() || method == "HEAD";
    } catch (const Poco::Net::NoMessageException&) {
      return;  // the client closed between requests
    } catch (const Poco::Net::MessageException&) {
      out = peer_error(400, "bad-request", "malformed HTTP request");
      call.close = true;
    } catch (const Poco::Exception&) {
      // Timed out or reset while reading the headers: no one to answer.
      if (watch.fired()) {
        log::info("peer.timeout", {{"peer", peer ? account_text(*peer) : "unknown:" + to_hex(fp)},
                                   {"from", from},
                                   {"phase", "headers"}});
      }
      return;
    }
    // The response goes out within body_timeout.
    watch.restart(options.body_timeout);
    size_t bytes_out = out.body.size();
    try {
      if (call.close) response.setKeepAlive(false);
      response.setStatusAndReason(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(out.status));
      if (!call.allow.empty()) response.set("Allow", call.allow);
      if (out.body.empty()) {
        response.setContentLength(0);
        response.send();
      } else {
        response.setContentType("application/json");
        response.sendBuffer(out.body.data(), out.body.size());
      }
    } catch (const std::exception&) {
      call.close = true;
      bytes_out = 0;
    }
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
    // A member is named by its account; an unknown caller by its
    // fingerprint, which the operator can compare with the registry (and,
    // as anyone with a certificate can cause them, within the line budget).
    uint64_t suppressed = 0;
    if (peer) {
      log::info("peer.call", {{"peer", account_text(*peer)},
                              {"from", from},
                              {"method", method},
                              {"route", call.route},
                              {"status", std::to_string(out.status)},
                              {"bytes_in", std::to_string(call.bytes_in)},
                              {"bytes_out", std::to_string(bytes_out)},
                              {"ms", std::to_string(ms.count())}});
    } else if (unauthenticated_lines.take(&suppressed)) {
      log::info("peer.call", {{"peer", "unknown:" + to_hex(fp)},
                              {"from", from},
                              {"method", method},
                              {"route", call.route},
                              {"status", std::to_string(out.status)},
                              {"bytes_in", std::to_string(call.bytes_in)},
                              {"bytes_out", std::to_string(bytes_out)},
                              {"ms", std::to_string(ms.count())},
                              {"suppressed", std::to_string(suppressed)}});
    }
    if (call.close || watch.fired()) return;
    session.setKeepAlive(true);
    watch.restart(options.header_timeout);  // idle until the next request's headers are in
  }
}

PeerServer::PeerServer() = default;

PeerServer::~PeerServer() { stop(); }

uint16_t PeerServer::port() const { return impl_ ? impl_->port : 0; }
uint64_t PeerServer::connections_served() const { return impl_ ? impl_->served.load() : 0; }
int PeerServer::connections_open() const { return impl_ ? impl_->in_flight.load() : 0; }

gw::Status PeerServer::start(PeerServerOptions options, IdentifyPeer identify,
                             std::vector<PeerRoute> routes) {
  if (impl_) return failed_precondition_error("peering: already started");
  if (!identify) return invalid_argument_error("peering: no identify callback");
  for (const PeerRoute& r : routes) {
    if (r.method.empty() || !r.path_prefix.starts_with('/') || !r.handler)
      return invalid_argument_error(
          "peering: a route needs a method, a path prefix starting with "
          "'/' and a handler");
  }
  auto context = internal::make_server_context(options.cert_file, options.key_file);
  if (!context.ok()) return context.error();

  auto impl = std::make_unique<Impl>();
  impl->options = std::move(options);
  const PeerServerOptions& o = impl->options;
  impl->identify = std::move(identify);
  impl->routes = std::move(routes);
  std::stable_sort(impl->routes.begin(), impl->routes.end(),
                   [](const PeerRoute& a, const PeerRoute& b) {
                     return a.path_prefix.size() > b.path_prefix.size();
                   });
  const int threads = std::max(1, o.threads);
  impl->per_address = o.max_unidentified_per_address > 0 ? o.max_unidentified_per_address
                                                         : std::max(1, threads / 2);
  impl->context = *context;
  const Poco::Timespan header_timeout(
      std::chrono::duration_cast<std::chrono::microseconds>(o.header_timeout).count());
  impl->http_params = new Poco::Net::HTTPServerParams;
  impl->http_params->setTimeout(header_timeout);
  impl->http_params->setKeepAlive(true);
  impl->http_params->setKeepAliveTimeout(header_timeout);
  impl->http_params->setMaxKeepAliveRequests(1000);
  impl->http_params->setMaxThreads(threads);
  impl->http_params->setMaxQueued(static_cast<int>(std::max<size_t>(o.max_queued, 1)));
  try {
    Poco::Net::SecureServerSocket socket(Poco::Net::SocketAddress(o.host, o.port),
                                         static_cast<int>(std::max<size_t>(o.max_queued, 16)),
                                         impl->context);
    impl->port = socket.address().port();
    impl->listener = std::make_unique<Poco::Net::ServerSocket>(socket);
    impl->pool = std::make_unique<Poco::ThreadPool>(1, threads + 1);
    impl->server = std::make_unique<Poco::Net::TCPServer>(new Factory(impl.get()), *impl->pool,
                                                          socket, impl->http_params);
    impl->server->start();
  } catch (const Poco::Exception& e) {
    return unavailable_error("peering listener on " + o.host + ":" + std::to_string(o.port) + ": " +
                             e.displayText());
  }
  log::info("peer.listening", {{"address", o.host + ":" + std::to_string(impl->port)}});
  impl_ = std::move(impl);
  return ok_status();
}

void PeerServer::stop() {
  if (!impl_) return;
  std::lock_guard<std::mutex> lock(impl_->stop_mu);
  if (impl_->stopped) return;
  impl_->stopped = true;
  impl_->stopping = true;
  impl_->server->stop();  // no new connections; open ones finish their request
  try {
    impl_->listener->close();
  } catch (const Poco::Exception&) {
  }
  const auto grace_end = Clock::now() + impl_->options.shutdown_grace;
  while (impl_->in_flight.load() > 0 && Clock::now() < grace_end) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  // Idle keep-alive connections and requests past the grace: shut down, so
  // their workers return (a handler still running is waited for).
  impl_->reaper.fire_all();
  impl_->pool->joinAll();
}

}  // namespace gw::peering
