#include "gateway/peering/peer_connection_pool.h"

#include <Poco/Exception.h>
#include <Poco/Net/NetException.h>

#include "gateway/peering/sigpipe_guard.h"

namespace gw::peering::internal {

namespace {

// Closing writes a TLS close_notify; a peer that stopped reading must not
// hold the closing thread (often one holding no lock, but still a caller).
constexpr int64_t kCloseSendTimeoutUs = 200'000;

// True if the connection has something to read while it should be silent:
// the peer's close_notify, an EOF or a reset (or data it had no reason to
// send). Any of them means it cannot carry another request.
bool looks_closed(PeerConnection& c) {
  try {
    if (c.socket.impl()->sockfd() == POCO_INVALID_SOCKET) return true;
    return c.socket.poll(Poco::Timespan(0),
                         Poco::Net::Socket::SELECT_READ | Poco::Net::Socket::SELECT_ERROR);
  } catch (const Poco::Exception&) {
    return true;
  }
}

}  // namespace

PinnedSession::PinnedSession(const Poco::Net::StreamSocket& socket)
    : Poco::Net::HTTPClientSession(socket) {
  // A process-wide proxy setting (HTTPClientSession::setGlobalProxyConfig)
  // must not rewrite our requests: members are called directly.
  setProxyConfig(ProxyConfig());
}

void PinnedSession::connect(const Poco::Net::SocketAddress& /*address*/) {
  throw Poco::Net::ConnectionAbortedException("peering: the pinned connection was lost");
}

int PinnedSession::write(const char* buffer, std::streamsize length) {
  // HTTPClientSession::write would reconnect after a failed write.
  return Poco::Net::HTTPSession::write(buffer, length);
}

PeerConnection::PeerConnection(const Poco::Net::SecureStreamSocket& s)
    : socket(s), session(s), fd(static_cast<int>(s.impl()->sockfd())) {
  session.setKeepAlive(true);
}

PeerConnection::~PeerConnection() {
  SigpipeGuard no_sigpipe;
  try {
    socket.setSendTimeout(Poco::Timespan(kCloseSendTimeoutUs));
    socket.close();  // the session's own close, later, finds it closed
  } catch (...) {
    // Closing a connection that failed: nothing to report.
  }
}

ConnectionPool::ConnectionPool(DeadlineReaper* reaper, size_t max_idle_per_key,
                               std::chrono::milliseconds idle_timeout)
    : reaper_(reaper), max_idle_per_key_(max_idle_per_key), idle_timeout_(idle_timeout) {}

ConnectionPool::~ConnectionPool() {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [key, list] : idle_) {
    for (Idle& i : list) reaper_->forget(i.watch);
  }
  idle_.clear();  // closes them
}

void ConnectionPool::expire_locked(Clock::time_point now,
                                   std::vector<std::unique_ptr<PeerConnection>>* out) {
  for (auto it = idle_.begin(); it != idle_.end();) {
    std::vector<Idle>& list = it->second;
    for (auto i = list.begin(); i != list.end();) {
      if (now - i->since >= idle_timeout_) {
        // The reaper shut it down at its deadline (or is about to: the
        // socket is closed either way); forget it before the descriptor
        // is closed and reused.
        reaper_->forget(i->watch);
        out->push_back(std::move(i->connection));
        i = list.erase(i);
      } else {
        ++i;
      }
    }
    it = list.empty() ? idle_.erase(it) : std::next(it);
  }
}

std::unique_ptr<PeerConnection> ConnectionPool::take(const PoolKey& key) {
  if (max_idle_per_key_ == 0) return nullptr;
  std::vector<std::unique_ptr<PeerConnection>> closing;  // closed after the lock is released
  std::unique_ptr<PeerConnection> found;
  {
    std::lock_guard<std::mutex> lock(mu_);
    expire_locked(Clock::now(), &closing);
    auto it = idle_.find(key);
    while (it != idle_.end() && !it->second.empty() && !found) {
      Idle i = std::move(it->second.back());
      it->second.pop_back();
      // Forgotten first: from here on the reaper leaves the socket alone,
      // and one it shut down meanwhile reads as closed below.
      reaper_->forget(i.watch);
      if (looks_closed(*i.connection)) {
        closing.push_back(std::move(i.connection));
      } else {
        found = std::move(i.connection);
      }
    }
    if (it != idle_.end() && it->second.empty()) idle_.erase(it);
  }
  return found;
}

void ConnectionPool::give(const PoolKey& key, std::unique_ptr<PeerConnection> c) {
  std::vector<std::unique_ptr<PeerConnection>> closing;
  {
    std::lock_guard<std::mutex> lock(mu_);
    const Clock::time_point now = Clock::now();
    expire_locked(now, &closing);
    std::vector<Idle>& list = idle_[key];
    if (list.size() >= max_idle_per_key_) {
      closing.push_back(std::move(c));
      if (list.empty()) idle_.erase(key);
    } else {
      const int fd = c->fd;
      list.push_back(Idle{std::move(c), reaper_->watch(fd, now + idle_timeout_), now});
    }
  }
}

size_t ConnectionPool::idle() const {
  std::lock_guard<std::mutex> lock(mu_);
  size_t n = 0;
  for (const auto& [key, list] : idle_) n += list.size();
  return n;
}

}  // namespace gw::peering::internal
