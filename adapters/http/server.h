// HTTP/1.1 server (TLS or plain) on the MLLP server's epoll event loop
// (adapters/mllp/event_loop.h) through its codec interface: the loop owns
// sockets, TLS, per-connection reply order and timers; this room owns the
// protocol (request_parser.h) and a fixed pool of worker threads.
//
// Why not Poco's HTTPServer (which the FHIR endpoint used before): it gives a
// connection a worker thread from accept to close, so a handful of idle or
// slow-header sockets stop the API. libmicrohttpd (Debian's is GnuTLS-based,
// and our TLS policy, client-certificate identity and tests are OpenSSL's)
// and libevent's evhttp (no OpenSSL on our loop, weaker limits) were the
// other candidates; the loop we already run for MLLP has what a hostile
// network needs, so the decoder is our own and small.
//
// Threat model: every peer is hostile.
//  - A connection costs no thread: workers see only complete requests (head
//    and body read), from a bounded queue; when it is full the request is
//    answered 503 with Retry-After at once (the loop never blocks).
//  - Deadlines per connection: the TLS handshake and the first request's head
//    within header_timeout of the accept; on keep-alive, a head within
//    header_timeout of its first byte; a body within body_timeout of the end
//    of its head; nothing at all for idle_timeout closes an idle connection.
//    A head or body deadline missed is answered 408 and the connection closed.
//  - Bounded: connections (max_connections, further accepts are closed and
//    counted), head bytes and header count (431), request line (414), body
//    (413, as soon as the declared length is known), requests read ahead on
//    one connection (max_pipelined: reading pauses beyond it), output waiting
//    for a peer that does not read (the loop's high-water mark).
//  - Shared bounds: the connections one client address may hold
//    (max_connections_per_address) and, with input_budget, the process-wide
//    budget for buffered input that the MLLP channels use too (a head or body
//    being read counts against it; beyond it the connection is not read, as
//    adapters/mllp/server.h describes).
//  - Request smuggling: both Content-Length and Transfer-Encoding, a transfer
//    coding other than chunked, differing Content-Lengths, obs-fold: 400.
//  - Any protocol error is answered (400, 408, 413, 414, 417, 431, 505) with a
//    small body and "Connection: close"; the connection then closes after a
//    short linger (so the answer is not lost to a reset).
//  - Errors carry our reason only (never bytes from the request).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "adapters/http/request_parser.h"
#include "adapters/mllp/server.h"
#include "gateway/base/status.h"

namespace gw::http {

struct Response {
  int status = 200;
  // Content-Type included when there is a body; Content-Length, Date and
  // Connection are added by the server.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  bool close = false;  // close the connection after this response
};

// The bytes of `r` on the wire: status line, headers, Content-Length (not for
// 1xx/204/304), "Connection: close" when `close`, then the body unless
// `head_only` (a HEAD request). Header fields holding CR, LF or NUL are
// dropped rather than sent (response splitting).
std::string serialize(const Response& r, bool close, bool head_only = false);

struct ServerOptions {
  std::string name = "https";  // for errors and TLS failure reports
  std::string host = "127.0.0.1";
  uint16_t port = 0;  // 0: a free port, see Server::port()
  // Empty: plain HTTP (tests). Set: HTTPS; see mllp::TlsServerOptions.
  std::optional<mllp::TlsServerOptions> tls;
  std::chrono::milliseconds header_timeout{std::chrono::seconds(10)};
  std::chrono::milliseconds body_timeout{std::chrono::seconds(60)};
  std::chrono::milliseconds idle_timeout{std::chrono::seconds(30)};
  size_t max_connections = 1024;
  size_t max_connections_per_address = 0;  // 0: no cap; see mllp::ServerOptions
  // Shared with the other listeners of the process (the body and head being
  // read count against it); null: no global bound. See mllp::ServerOptions.
  std::shared_ptr<mllp::InputBudget> input_budget;
  ParserLimits limits;
  size_t max_pipelined = 16;  // requests received on a connection and not yet answered
  int io_threads = 1;
  int threads = 4;         // workers calling the RequestHandler
  size_t max_queued = 64;  // complete requests waiting for a worker; beyond: 503
  // The loops' time source (tests); empty: steady_clock. See mllp::ServerOptions.
  std::function<std::chrono::steady_clock::time_point()> clock;
  // Loop thread, rate-limited; see mllp::ServerOptions::on_tls_failure.
  std::function<void(const mllp::TlsFailure&)> on_tls_failure;
  // The body of the server's own answers (protocol errors, 408, 503), given
  // the status and our reason; empty: text/plain with the reason. Called on a
  // loop thread: must not block.
  std::function<Response(int status, const std::string& reason)> error_page;
};

// Called on a worker thread for each complete request; may block (a worker
// is taken meanwhile). `peer` carries the address and, with a verified
// client certificate, its subject and SHA-256.
using RequestHandler = std::function<Response(const Request&, const mllp::PeerInfo& peer)>;

struct ServerStats {
  mllp::ServerStats transport;   // frames_received: requests; frame_timeout: 408s
  uint64_t protocol_errors = 0;  // requests refused by the parser (4xx/505)
  uint64_t busy = 0;             // answered 503: the worker queue was full
};

class Server {
 public:
  // Binds and listens (port() is valid on return) but serves from start().
  // kInvalidArgument for bad options or TLS files (the message names them),
  // kUnavailable when the address cannot be bound.
  static gw::Result<std::unique_ptr<Server>> create(const ServerOptions& options,
                                                    RequestHandler handler);
  virtual ~Server() = default;
  virtual uint16_t port() const = 0;
  virtual void start() = 0;
  // Graceful: stops accepting and reading, lets requests already received be
  // answered (up to `grace`), closes every connection, joins the loop and
  // worker threads. Idempotent; the destructor calls stop(0).
  virtual void stop(std::chrono::milliseconds grace) = 0;
  virtual ServerStats stats() const = 0;
};

}  // namespace gw::http
