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
// Bounds: at most max_idle_per_key idle connections per key (more are closed
// when given back), each closed after idle_timeout unused. The timeout is
// enforced by the DeadlineReaper (a socket shut down at its deadline), not by
// the next call, so that an idle connection does not hold one of the peer's
// listener threads (a thread per connection, peer_server.h) for longer than
// that: keep it below the peers' keep-alive timeout (their header_timeout).
//
// Thread safety: take() and give() may be called from any thread; a taken
// connection belongs to its caller alone until it gives it back.
#pragma once

#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/SecureStreamSocket.h>

#include <chrono>
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
  // max_idle_per_key 0: nothing is kept.
  ConnectionPool(DeadlineReaper* reaper, size_t max_idle_per_key,
                 std::chrono::milliseconds idle_timeout);
  ~ConnectionPool();  // closes every idle connection
  ConnectionPool(const ConnectionPool&) = delete;
  ConnectionPool& operator=(const ConnectionPool&) = delete;

  // The most recently used idle connection for `key` that still looks open
  // (nothing to read on it: no close_notify, EOF or reset from the peer), or
  // nullptr. Connections found closed or past idle_timeout are closed.
  std::unique_ptr<PeerConnection> take(const PoolKey& key);
  // Keeps `c` for a later take(key) if there is room, else closes it. `c`
  // must be clean (its last response read whole) and no longer watched by a
  // call's deadline.
  void give(const PoolKey& key, std::unique_ptr<PeerConnection> c);
  size_t idle() const;  // idle connections kept, all keys

 private:
  struct Idle {
    std::unique_ptr<PeerConnection> connection;
    DeadlineReaper::Id watch;
    Clock::time_point since;
  };
  // Moves the idle connections past idle_timeout into *out (mu_ held).
  void expire_locked(Clock::time_point now, std::vector<std::unique_ptr<PeerConnection>>* out);

  DeadlineReaper* reaper_;
  const size_t max_idle_per_key_;
  const std::chrono::milliseconds idle_timeout_;
  mutable std::mutex mu_;                      // guards idle_
  std::map<PoolKey, std::vector<Idle>> idle_;  // per key, oldest first
};

}  // namespace gw::peering::internal
