// Server: binds the listening socket and runs io_threads event loops (see
// event_loop.h). Loop 0 also accepts and deals connections out round robin.
#include "adapters/mllp/server.h"

#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <thread>
#include <vector>

#include "adapters/mllp/address_limits.h"
#include "adapters/mllp/event_loop.h"
#include "adapters/mllp/input_budget.h"
#include "adapters/mllp/tls.h"

namespace gw::mllp {
namespace {

constexpr int kMaxIoThreads = 64;

gw::Status validate(const ServerOptions& o, bool have_handler) {
  const char* problem = nullptr;
  if (!have_handler) {
    problem = "handler is null";
  } else if (o.max_frame_bytes == 0) {
    problem = "max_frame_bytes must be positive";
  } else if (o.max_connections == 0) {
    problem = "max_connections must be positive";
  } else if (o.max_in_flight_per_connection == 0) {
    problem = "max_in_flight_per_connection must be positive";
  } else if (o.io_threads < 1 || o.io_threads > kMaxIoThreads) {
    problem = "io_threads must be between 1 and 64";
  } else if (o.idle_timeout.count() <= 0) {
    problem = "idle_timeout must be positive";
  } else if (o.frame_timeout.count() <= 0) {
    problem = "frame_timeout must be positive";
  } else if (o.listen_backlog < 1) {
    problem = "listen_backlog must be positive";
  } else if (o.input_budget && o.input_budget->limit() / 2 < o.max_frame_bytes) {
    // A frame's buffer may reach twice its size (it grows by doubling): a
    // smaller budget could pause the only frame in progress for good.
    problem = "input_budget must hold at least twice max_frame_bytes";
  }
  if (problem == nullptr) return ok_status();
  return invalid_argument_error("mllp server '" + o.name + "': " + problem);
}

// Returns a listening, non-blocking socket bound to host:port.
gw::Result<int> listen_on(const ServerOptions& o, uint16_t* bound_port) {
  const std::string where =
      "mllp server '" + o.name + "' on " + o.host + ":" + std::to_string(o.port) + ": ";
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
  addrinfo* res = nullptr;
  int rc = ::getaddrinfo(o.host.c_str(), std::to_string(o.port).c_str(), &hints, &res);
  if (rc != 0 || res == nullptr) {
    return invalid_argument_error(where + "host must be a numeric IPv4/IPv6 address (" +
                                  gai_strerror(rc) + ")");
  }
  int fd = ::socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    gw::Status status = resource_exhausted_error(where + "socket: " + std::strerror(errno));
    ::freeaddrinfo(res);
    return status;
  }
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(fd, res->ai_addr, res->ai_addrlen) != 0) {
    gw::Status status = unavailable_error(where + "bind: " + std::strerror(errno));
    ::freeaddrinfo(res);
    ::close(fd);
    return status;
  }
  ::freeaddrinfo(res);
  if (::listen(fd, o.listen_backlog) != 0) {
    gw::Status status = unavailable_error(where + "listen: " + std::strerror(errno));
    ::close(fd);
    return status;
  }
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) {
    gw::Status status = internal_error(where + "getsockname: " + std::strerror(errno));
    ::close(fd);
    return status;
  }
  *bound_port = ss.ss_family == AF_INET6
                    ? ntohs(reinterpret_cast<const sockaddr_in6*>(&ss)->sin6_port)
                    : ntohs(reinterpret_cast<const sockaddr_in*>(&ss)->sin_port);
  return fd;
}

class ServerImpl final : public Server {
 public:
  ServerImpl(const ServerOptions& options, FrameHandler* handler,
             internal::CodecFactory* codecs = nullptr)
      : options_(options), handler_(handler), codecs_(codecs) {}
  ~ServerImpl() override { stop(std::chrono::milliseconds(0)); }

  gw::Status init() {
    if (options_.tls) {
      // Before binding: a certificate problem is the error to report.
      auto tls = internal::ServerTls::create(*options_.tls);
      if (!tls.ok()) {
        return gw::Status(tls.error().code(),
                          "mllp server '" + options_.name + "': " + tls.error().message());
      }
      tls_ = std::move(tls).value();
    }
    GW_ASSIGN_OR_RETURN(int fd, listen_on(options_, &port_));
    std::shared_ptr<AddressLimits> per_address;
    if (options_.max_connections_per_address > 0) {
      per_address = std::make_shared<AddressLimits>(options_.max_connections_per_address);
    }
    std::vector<internal::EventLoop*> raw;
    for (int i = 0; i < options_.io_threads; ++i) {
      loops_.push_back(codecs_ != nullptr
                           ? std::make_unique<internal::EventLoop>(options_, codecs_, &open_,
                                                                   tls_.get(), per_address)
                           : std::make_unique<internal::EventLoop>(options_, handler_, &open_,
                                                                   tls_.get(), per_address));
      if (gw::Status status = loops_.back()->init(); !status.ok()) {
        ::close(fd);
        return status;
      }
      raw.push_back(loops_.back().get());
    }
    // From here on loop 0 owns (and eventually closes) the listener.
    return loops_[0]->set_listener(fd, std::move(raw));
  }

  uint16_t port() const override { return port_; }

  void start() override {
    std::lock_guard<std::mutex> lock(mu_);
    if (started_ || stopped_) return;
    started_ = true;
    for (auto& loop : loops_) {
      threads_.emplace_back([l = loop.get()] { l->run(); });
    }
  }

  void stop(std::chrono::milliseconds grace) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopped_) return;
    stopped_ = true;
    if (grace.count() < 0) grace = std::chrono::milliseconds(0);
    for (auto& loop : loops_) loop->mailbox()->request_stop(grace);
    for (auto& t : threads_) t.join();
    threads_.clear();
    if (!started_) {
      for (auto& loop : loops_) loop->close_unstarted();
    }
  }

  ServerStats stats() const override {
    ServerStats s;
    for (const auto& loop : loops_) {
      const internal::LoopCounters& c = loop->counters();
      s.connections_accepted += c.accepted.load(std::memory_order_relaxed);
      s.connections_refused += c.refused.load(std::memory_order_relaxed);
      s.connections_idle_closed += c.idle_closed.load(std::memory_order_relaxed);
      s.connections_frame_timeout += c.frame_timeouts.load(std::memory_order_relaxed);
      s.frames_received += c.frames.load(std::memory_order_relaxed);
      s.frames_oversized += c.oversized.load(std::memory_order_relaxed);
      s.bytes_skipped += c.skipped.load(std::memory_order_relaxed);
      s.replies_sent += c.replies.load(std::memory_order_relaxed);
      s.tls_handshakes += c.tls_handshakes.load(std::memory_order_relaxed);
      s.tls_handshake_failures += c.tls_handshake_failures.load(std::memory_order_relaxed);
      s.tls_errors += c.tls_errors.load(std::memory_order_relaxed);
      s.connections_refused_per_address += c.refused_per_address.load(std::memory_order_relaxed);
      s.reads_paused += c.budget_pauses.load(std::memory_order_relaxed);
      s.input_buffered_bytes += c.buffered.load(std::memory_order_relaxed);
    }
    s.connections_open = open_.load(std::memory_order_relaxed);
    return s;
  }

 private:
  const ServerOptions options_;
  FrameHandler* const handler_;
  internal::CodecFactory* const codecs_;  // another protocol's, instead of handler_
  uint16_t port_ = 0;
  std::atomic<uint64_t> open_{0};
  // Before loops_: their connections' SSL objects refer to it.
  std::unique_ptr<internal::ServerTls> tls_;
  // Created by init() and kept until destruction, so stats() reads them
  // without a lock (the counters are atomic).
  std::vector<std::unique_ptr<internal::EventLoop>> loops_;
  std::mutex mu_;  // guards started_, stopped_, threads_
  bool started_ = false;
  bool stopped_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace

gw::Result<std::unique_ptr<Server>> Server::create(const ServerOptions& options,
                                                   FrameHandler* handler) {
  GW_RETURN_IF_ERROR(validate(options, handler != nullptr));
  auto server = std::make_unique<ServerImpl>(options, handler);
  GW_RETURN_IF_ERROR(server->init());
  return std::unique_ptr<Server>(std::move(server));
}

namespace internal {

gw::Result<std::unique_ptr<Server>> create_server(const ServerOptions& options,
                                                  CodecFactory* codecs) {
  GW_RETURN_IF_ERROR(validate(options, codecs != nullptr));
  auto server = std::make_unique<ServerImpl>(options, nullptr, codecs);
  GW_RETURN_IF_ERROR(server->init());
  return std::unique_ptr<Server>(std::move(server));
}

}  // namespace internal

gw::Status check_tls_options(const TlsServerOptions& tls) {
  return internal::ServerTls::create(tls).status();
}

}  // namespace gw::mllp
