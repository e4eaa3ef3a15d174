// Calls another member's gateway over the member-to-member API: HTTPS with
// this gateway's certificate as the client certificate, and the server's
// certificate pinned to the fingerprint the caller expects (the member's
// ProviderRegistry entry). A server presenting any other certificate is
// refused before a byte of the request is sent. No CA and no host name is
// checked: the pin is the trust (peer_tls.h).
//
// Each call has one deadline for the whole exchange (the wait for a free
// connection, connect, handshake, request, response), enforced even against
// a server that trickles, and a bounded response body. Errors say what the
// caller should do next:
//  - kUnavailable: unreachable, timed out, connection lost, malformed or
//    oversized response, or the peer answered 5xx/408/429 (http_status set):
//    retry later. The request may or may not have been processed: every call
//    we make must be idempotent.
//  - kPermissionDenied: the server's certificate is not the expected one; the
//    message names the expected and the seen fingerprint (hex; not PHI).
//  - kFailedPrecondition: the peer answered with another error (http_status,
//    and the code and reason of its JSON error body): it refused this request.
//  - kInvalidArgument: a bad base URL or path (our configuration).
//
// Connections are kept alive and reused (peer_connection_pool.h): per
// (host, port, expected fingerprint), at most max_connections_per_peer at
// once, of which up to max_idle_per_peer are kept idle, each closed after
// idle_timeout. The pin is checked on every new connection; a
// kept one is only ever reused for the fingerprint it was checked against. A
// kept connection the peer closed while idle is noticed before it is used, or
// (in the race where the peer closes it just as we send) the call is made
// again, once, on a new connection, provided nothing of an answer came back
// and the deadline did not pass. That repeats a request the peer may have
// received, which is safe because every member call is idempotent: a delivery
// is keyed by (sender, transfer id) and a pull request by (requester, request
// id) at the receiving end (gateway/transfer); new calls must keep it so.
//
// Thread safety: one PeerClient may be used from several threads at once;
// each connection serves one call at a time.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "gateway/base/status.h"
#include "gateway/peering/peer_types.h"

namespace gw::peering {

struct PeerClientOptions {
  std::string cert_file;  // this gateway's certificate (PEM), as for PeerServer
  std::string key_file;
  std::chrono::milliseconds timeout{30000};      // the whole exchange
  size_t max_response_bytes = size_t{64} << 20;  // larger: kUnavailable, body not kept
  // Connections to one peer at once (>= 1); more callers wait for one, up to
  // their deadline. Each holds one of the peer's listener threads, and a peer
  // admits only threads / 2 (4 by default) from one address at a time while
  // they are in their handshake.
  size_t max_connections_per_peer = 4;
  // Of those, kept idle for reuse (0: a new connection for every call).
  size_t max_idle_per_peer = 4;
  // Below the peers' keep-alive timeout (their listener's header_timeout, 10 s
  // by default), so that we close idle connections before they do.
  std::chrono::milliseconds idle_timeout{4000};
};

struct PeerReply {
  int status = 0;    // 2xx
  std::string body;  // as sent (JSON, not parsed here)
};

struct PeerError {
  gw::Status status;
  int http_status = 0;  // when the peer answered; 0 otherwise
  std::string code;     // the peer's {"error": ...}, when it sent one
  std::string reason;   // the peer's {"reason": ...}, when it sent one (bounded, from a peer)
};

template <typename T>
using PeerResult = gw::Result<T, PeerError>;

class PeerClient {
 public:
  // Loads the certificate and key (an error names the file);
  // max_connections_per_peer 0 is an invalid argument.
  static gw::Result<std::unique_ptr<PeerClient>> create(PeerClientOptions options);
  ~PeerClient();
  PeerClient(const PeerClient&) = delete;
  PeerClient& operator=(const PeerClient&) = delete;

  // base_url: "https://HOST[:PORT]" (port 8444 when absent), from [peers].
  // path: "/..." with an optional "?query". `json` is sent as
  // application/json. `expected` is the member's registered fingerprint.
  PeerResult<PeerReply> post(const std::string& base_url, const std::string& path,
                             const Fingerprint& expected, const std::string& json);
  PeerResult<PeerReply> get(const std::string& base_url, const std::string& path,
                            const Fingerprint& expected);

  struct Impl;

 private:
  explicit PeerClient(std::unique_ptr<Impl> impl);
  PeerResult<PeerReply> call(const std::string& method, const std::string& base_url,
                             const std::string& path, const Fingerprint& expected,
                             const std::string* json);
  std::unique_ptr<Impl> impl_;
};

}  // namespace gw::peering
