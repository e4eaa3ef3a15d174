#include "gateway/peering/peer_connection_pool.h"

#include <Poco/Exception.h>
#include <Poco/Net/NetException.h>

#include <algorithm>

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

ConnectionPool::ConnectionPool(DeadlineReaper* reaper, size_t max_open, size_t max_idle,
                               std::chrono::milliseconds idle_timeout)
    : reaper_(reaper),
      max_open_(std::max<size_t>(max_open, 1)),
      max_idle_(std::min(max_idle, max_open_)),
      idle_timeout_(idle_timeout) {}

ConnectionPool::~ConnectionPool() {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [key, k] : keys_) {
    for (Idle& i : k.idle) reaper_->forget(i.watch);
  }
  keys_.clear();  // closes them
}

void ConnectionPool::expire_locked(Clock::time_point now,
                                   std::vector<std::unique_ptr<PeerConnection>>* out) {
  for (auto it = keys_.begin(); it != keys_.end();) {
    PerKey& k = it->second;
    for (auto i = k.idle.begin(); i != k.idle.end();) {
      if (now - i->since >= idle_timeout_) {
        // The reaper shut it down at its deadline (or is about to: the
        // socket is closed either way); forget it before the descriptor
        // is closed and reused.
        reaper_->forget(i->watch);
        out->push_back(std::move(i->connection));
        i = k.idle.erase(i);
        --k.open;
      } else {
        ++i;
      }
    }
    it = k.open == 0 ? keys_.erase(it) : std::next(it);
  }
}

ConnectionPool::Checkout ConnectionPool::take(const PoolKey& key, Clock::time_point deadline) {
  // Declared before the lock: closed after it is released.
  std::vector<std::unique_ptr<PeerConnection>> closing;
  Checkout out;
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    const size_t closed_before = closing.size();
    expire_locked(Clock::now(), &closing);
    PerKey& k = keys_[key];
    while (!k.idle.empty() && !out.kept) {
      Idle i = std::move(k.idle.back());
      k.idle.pop_back();
      // Forgotten first: from here on the reaper leaves the socket alone,
      // and one it shut down meanwhile reads as closed below.
      reaper_->forget(i.watch);
      if (looks_closed(*i.connection)) {
        closing.push_back(std::move(i.connection));
        --k.open;
      } else {
        out.kept = std::move(i.connection);
      }
    }
    if (!out.kept && k.open < max_open_) {
      ++k.open;
      out.may_open = true;
    }
    if (closing.size() > closed_before) freed_.notify_all();  // other keys' waiters
    if (out.kept || out.may_open) return out;
    // Here k.open >= 1, so no empty entry is left behind; `k` is looked up
    // again after the wait (another thread may erase it meanwhile).
    if (Clock::now() >= deadline) return out;
    freed_.wait_until(lock, deadline);
  }
}

void ConnectionPool::give(const PoolKey& key, std::unique_ptr<PeerConnection> c) {
  std::vector<std::unique_ptr<PeerConnection>> closing;
  {
    std::lock_guard<std::mutex> lock(mu_);
    const Clock::time_point now = Clock::now();
    PerKey& k = keys_[key];
    if (c != nullptr && k.idle.size() < max_idle_) {
      const int fd = c->fd;
      k.idle.push_back(Idle{std::move(c), reaper_->watch(fd, now + idle_timeout_), now});
    } else {
      if (c != nullptr) closing.push_back(std::move(c));
      if (k.open > 0) --k.open;
    }
    expire_locked(now, &closing);
  }
  freed_.notify_all();
}

}  // namespace gw::peering::internal
