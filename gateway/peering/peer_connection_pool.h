// Internal to gateway/peering: PeerClient's kept-alive connections.
//
// A connection is made, its TLS handshake done and the server's certificate
// pinned by PeerClient (peer_client.cc); only then is it a PeerConnection.
// After an exchange that left it clean (the whole response read, the peer
// keeping it alive), PeerClient gives it to the pool under the key it was
// pinned for: (host, port, expected fingerprint). A later call with the same
// key takes it instead of paying for a new handshake. A call that expects
// another fingerprint (the registry's entry for that member changed) has
// another key, so it never gets a connection pinned to the old certificate;
// those idle out like any other.
//
// Bounds, per key: at most max_open connections at once, in use or idle (a
// caller beyond waits for one, up to its deadline), and at most max_idle of
// them idle (more are closed when given back), each closed after
// idle_timeout unused. The first bound keeps a burst of callers within the
// peer's limit of connections per address still in their handshake, and
// within the share of its listener threads (a thread per connection,
// peer_server.h) one member should hold. The idle timeout is enforced by the
// DeadlineReaper (the socket shut down at its deadline), not by the next call,
// so that an idle connection frees the peer's thread on time: keep it below
// the peers' keep-alive timeout (their header_timeout).
//
// Thread safety: take() and give() may be called from any thread; a taken
// connection belongs to its caller alone until it gives it back.
#pragma once

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/SecureStreamSocket.h>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>

#include "gateway/peering/deadline_reaper.h"
#include "gateway/peering/peer_types.h"

namespace gw::peering::internal {

// An HTTP session over one pinned TLS connection that never connects again
// by itself. Poco's HTTPClientSession reconnects silently when a write fails
// on a kept-alive session, or when its own keep-alive timeout passed, and it
// would do so with a plain TCP socket, to a host it resolves itself, without
// the pin: a request must only ever go out over the connection whose
// certificate we checked. Here all three paths fail with an exception
// instead, which PeerClient treats as a lost connection.
class PinnedSession : public Poco::Net::HTTPClientSession {
 public:
  explicit PinnedSession(const Poco::Net::StreamSocket& socket);

 protected:
  void connect(const Poco::Net::SocketAddress& address) override;
  bool mustReconnect() const override { return false; }
  int write(const char* buffer, std::streamsize length) override;
};

struct PeerConnection {
  // `socket`: connected, handshake done, certificate pinned.
  explicit PeerConnection(const Poco::Net::SecureStreamSocket& socket);
  // Closes the connection (TLS close_notify, bounded by a short send timeout,
  // no SIGPIPE).
  ~PeerConnection();
  PeerConnection(const PeerConnection&) = delete;
  PeerConnection& operator=(const PeerConnection&) = delete;

  Poco::Net::SecureStreamSocket socket;
  PinnedSession session;
  int fd;
};

struct PoolKey {
  std::string host;
  uint16_t port = 0;
  Fingerprint fingerprint{};  // the pin the connection was checked against
  bool operator<(const PoolKey& o) const {
    return std::tie(host, port, fingerprint) < std::tie(o.host, o.port, o.fingerprint);
  }
};

class ConnectionPool {
 public:
  using Clock = std::chrono::steady_clock;
  // max_open >= 1; max_idle 0: nothing is kept.
  ConnectionPool(DeadlineReaper* reaper, size_t max_open, size_t max_idle,
                 std::chrono::milliseconds idle_timeout);
  ~ConnectionPool();  // closes every idle connection; none may be checked out
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  struct Checkout {
    // The most recently used idle connection that still looks open (nothing
    // to read on it: no close_notify, EOF or reset from the peer), or
    std::unique_ptr<PeerConnection> kept;
    // leave to open a new one.
    bool may_open = false;
  };  // Neither: max_open stayed in use until the deadline.
  // Connections found closed or past idle_timeout on the way are closed.
  Checkout take(const PoolKey& key, Clock::time_point deadline);
  // Ends a checkout that had `kept` or `may_open` (each exactly once): `c`,
  // clean (its last response read whole) and no longer watched by a call's
  // deadline, is kept if there is room, else closed; nullptr (the connection
  // was lost, refused or never made) frees its place.
  void give(const PoolKey& key, std::unique_ptr<PeerConnection> c);

 private:
  struct Idle {
    std::unique_ptr<PeerConnection> connection;
    DeadlineReaper::Id watch;
    Clock::time_point since;
  };
  struct PerKey {
    std::vector<Idle> idle;  // oldest first
    size_t open = 0;         // checked out + idle
  };
  // Moves the idle connections past idle_timeout into *out (mu_ held).
  void expire_locked(Clock::time_point now, std::vector<std::unique_ptr<PeerConnection>>* out);

  DeadlineReaper* reaper_;
  const size_t max_open_, max_idle_;
  const std::chrono::milliseconds idle_timeout_;
  std::mutex mu_;                  // guards keys_
  std::condition_variable freed_;  // a connection was given back or closed
  std::map<PoolKey, PerKey> keys_;
};

}  // namespace gw::peering::internal
