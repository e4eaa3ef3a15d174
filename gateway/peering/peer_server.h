// The member-to-member API's listener (default 0.0.0.0:8444): HTTPS with
// mutual TLS, where a caller is trusted because its certificate's SHA-256
// fingerprint is an active member's in the consortium's ProviderRegistry
// (the caller's `identify` answers that), not because a CA signed it.
//
// A request goes: TLS handshake (TLS 1.2+, a client certificate required,
// any issuer) -> request line and headers -> fingerprint -> member account
// (unknown or inactive: 403, the body never read) -> route (unknown path 404,
// wrong method 405) -> body (over max_body_bytes: 413, without reading it
// all; POST/PUT need a length: 411) -> handler -> JSON response. Errors are
// {"error": "<code>", "reason": "<text>"}. Each call is one log line:
//   event=peer.call peer=0x.. from=IP:PORT method=POST route=/transfers status=200
//   bytes_in=.. bytes_out=.. ms=..
// The route prefix is logged, never the path or query: they may carry a
// patient token.
//
// Threat model and limits. The listener faces networks beyond the
// consortium, and the unauthenticated part of a connection (handshake,
// headers) must not let anyone hold the server:
//  - A thread per connection (Poco's TCPServer): `threads` workers, at most
//    `max_queued` accepted connections waiting for one (beyond: closed at
//    once). Connections not yet identified as a member's (in the handshake,
//    or from an unknown certificate): at most `max_unidentified_per_address`
//    per client IP address (beyond: closed at once), so one source cannot
//    take every worker; members' connections are not limited per address
//    once identified. A member opening more connections at once than that
//    sees the extra ones refused (kUnavailable at its PeerClient: retried).
//  - Deadlines for a whole phase, not per receive call (a peer trickling a
//    byte at a time defeats per-call timeouts): handshake + headers within
//    header_timeout, also the idle time between keep-alive requests; the body
//    in and the response out within body_timeout each. A connection past its
//    deadline is shut down (deadline_reaper.h).
//    Within a phase, a single silence longer than header_timeout also ends
//    the connection (the socket's own timeout).
//  - Request line <= 16 KiB, <= 100 header fields of <= 8 KiB (Poco's limits).
//  - A refused request's body is never handed on; up to 1 MiB of it is read
//    and dropped before closing, so that the client receives the refusal
//    instead of a connection reset.
// What remains: a worker is held for up to header_timeout by anyone who can
// connect, so `threads` idle connections from as many addresses delay others
// by up to that long; put the port behind a firewall that admits only the
// members' networks. Handlers run on the worker; a slow handler holds it.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gateway/base/status.h"
#include "gateway/peering/peer_types.h"

namespace gw::peering {

struct PeerServerOptions {
  std::string host = "0.0.0.0";
  uint16_t port = 8444;   // 0: a free port, see PeerServer::port()
  std::string cert_file;  // PEM certificate: its fingerprint is our registry entry
  std::string key_file;   // PEM private key (unencrypted)
  size_t max_body_bytes = size_t{64} << 20;
  int threads = 8;
  size_t max_queued = 32;
  int max_unidentified_per_address = 0;  // 0: max(1, threads / 2)
  std::chrono::milliseconds header_timeout{10000};
  std::chrono::milliseconds body_timeout{120000};
  // Time stop() gives requests in progress before closing their connections.
  std::chrono::milliseconds shutdown_grace{10000};
};

// The active member whose certificate has this fingerprint, or nullopt
// (unknown, suspended, removed). Called after the handshake and again for
// every request (so a suspension reaches kept-alive connections), on worker
// threads, possibly from several at once: answer from memory (the consent
// cache's member view), never from a ledger call. An exception counts as
// unknown (and is logged).
using IdentifyPeer = std::function<std::optional<Account>(const Fingerprint& fingerprint)>;
// Called on a worker thread, possibly from several at once. An exception
// becomes a 500 (its text is not sent or logged: it may hold PHI).
using PeerHandler = std::function<PeerResponse(const PeerRequest& request)>;

struct PeerRoute {
  std::string method;       // "POST", "GET", ...
  std::string path_prefix;  // "/transfers": matches "/transfers" and "/transfers/..."
  PeerHandler handler;
};

class PeerServer {
 public:
  PeerServer();
  ~PeerServer();  // stop()s
  PeerServer(const PeerServer&) = delete;
  PeerServer& operator=(const PeerServer&) = delete;

  // Loads the certificate and key, binds and starts serving. The longest
  // matching path_prefix wins. The error says what failed (files, address).
  gw::Status start(PeerServerOptions options, IdentifyPeer identify, std::vector<PeerRoute> routes);
  uint16_t port() const;  // the bound port, after start()
  // Connections a worker took up since start() (each one handshake tried),
  // and those it is serving now, kept-alive idle ones included: how many
  // handshakes callers cost, and how many workers they hold.
  uint64_t connections_served() const;
  int connections_open() const;
  // Stops accepting, gives requests in progress shutdown_grace, then shuts
  // down every connection and joins the workers. Idempotent.
  void stop();

  struct Impl;  // peer_server.cc

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace gw::peering
