#include "adapters/mllp/client.h"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace gw::mllp {
namespace {

using Clock = std::chrono::steady_clock;

std::string errno_text(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

// Milliseconds left until `deadline`, for poll(): 0 when passed.
int remaining_ms(Clock::time_point deadline) {
  // Rounded up so a wait never ends before the deadline.
  auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
  if (left.count() <= 0) return 0;
  return left.count() > 0x7fffffff ? 0x7fffffff : static_cast<int>(left.count());
}

// Waits for `events` on fd until the deadline. 1 ready, 0 timeout, -1 error.
int wait_for(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    pollfd p{fd, events, 0};
    int rc = ::poll(&p, 1, remaining_ms(deadline));
    if (rc < 0 && errno == EINTR) continue;
    if (rc <= 0) return rc;
    return 1;  // readiness, or POLLERR/POLLHUP which the next call reports
  }
}

// Stops after the first event so a caller gets exactly one frame per call.
struct OneFrame {
  bool done = false;
  bool oversized = false;
  std::string payload;
  bool on_frame(std::string&& p) {
    payload = std::move(p);
    done = true;
    return false;
  }
  bool on_oversized(std::string&&) {
    oversized = true;
    done = true;
    return false;
  }
};

}  // namespace

Client::Client(int fd) : fd_(fd) {}

Client::~Client() { close(); }

void Client::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

gw::Result<std::unique_ptr<Client>> Client::connect(const std::string& host, uint16_t port,
                                                    std::chrono::milliseconds timeout) {
  const std::string where = "connect to " + host + ":" + std::to_string(port) + ": ";
  const Clock::time_point deadline = Clock::now() + timeout;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* res = nullptr;
  // Name resolution is not bounded by `timeout` (getaddrinfo blocks);
  // numeric addresses resolve without I/O.
  int rc = ::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &res);
  if (rc != 0) return unavailable_error(where + gai_strerror(rc));
  std::string last_error = "no address";
  int fd = -1;
  for (addrinfo* ai = res; ai != nullptr && fd < 0; ai = ai->ai_next) {
    int s = ::socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (s < 0) {
      last_error = errno_text("socket");
      continue;
    }
    if (::connect(s, ai->ai_addr, ai->ai_addrlen) != 0) {
      if (errno != EINPROGRESS) {
        last_error = std::strerror(errno);
        ::close(s);
        continue;
      }
      int w = wait_for(s, POLLOUT, deadline);
      if (w <= 0) {
        last_error = w == 0 ? "timed out after " + std::to_string(timeout.count()) + " ms"
                            : errno_text("poll");
        ::close(s);
        continue;
      }
      int so_error = 0;
      socklen_t len = sizeof so_error;
      if (::getsockopt(s, SOL_SOCKET, SO_ERROR, &so_error, &len) != 0 || so_error != 0) {
        last_error = std::strerror(so_error != 0 ? so_error : errno);
        ::close(s);
        continue;
      }
    }
    fd = s;
  }
  ::freeaddrinfo(res);
  if (fd < 0) return unavailable_error(where + last_error);
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return std::unique_ptr<Client>(new Client(fd));
}

gw::Status Client::send(std::string_view payload) { return send_all(frame(payload)); }

gw::Status Client::send_raw(std::string_view bytes) { return send_all(bytes); }

gw::Status Client::send_all(std::string_view bytes) {
  if (fd_ < 0) return failed_precondition_error("send: not connected");
  const Clock::time_point deadline = Clock::now() + send_timeout_;
  while (!bytes.empty()) {
    ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n > 0) {
      bytes.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      int w = wait_for(fd_, POLLOUT, deadline);
      if (w == 0) {
        return deadline_exceeded_error("send: timed out after " +
                                       std::to_string(send_timeout_.count()) + " ms");
      }
      if (w < 0) return unavailable_error(errno_text("send: poll"));
      continue;
    }
    return unavailable_error(errno_text("send"));
  }
  return ok_status();
}

gw::Result<std::string> Client::receive(std::chrono::milliseconds timeout, size_t max_frame_bytes) {
  if (fd_ < 0) return failed_precondition_error("receive: not connected");
  // A new limit applies from the next frame boundary.
  if (!framer_ || (!framer_->in_frame() && max_frame_bytes != framer_max_)) {
    framer_ = std::make_unique<Framer>(max_frame_bytes);
    framer_max_ = max_frame_bytes;
  }
  const Clock::time_point deadline = Clock::now() + timeout;
  OneFrame sink;
  auto finish = [&]() -> gw::Result<std::string> {
    if (sink.oversized) {
      return resource_exhausted_error("receive: frame larger than " + std::to_string(framer_max_) +
                                      " bytes");
    }
    return std::move(sink.payload);
  };
  if (!buffer_.empty()) {
    size_t used = framer_->feed(buffer_, sink);
    buffer_.erase(0, used);
    if (sink.done) return finish();
  }
  char chunk[64 * 1024];
  for (;;) {
    int w = wait_for(fd_, POLLIN, deadline);
    if (w == 0) {
      return deadline_exceeded_error("receive: timed out after " + std::to_string(timeout.count()) +
                                     " ms");
    }
    if (w < 0) return unavailable_error(errno_text("receive: poll"));
    ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) continue;
      return unavailable_error(errno_text("receive"));
    }
    if (n == 0) {
      return unavailable_error(framer_->in_frame()
                                   ? "receive: connection closed by peer in the middle of a frame"
                                   : "receive: connection closed by peer");
    }
    std::string_view got(chunk, static_cast<size_t>(n));
    size_t used = framer_->feed(got, sink);
    if (sink.done) {
      buffer_.assign(got.substr(used));
      return finish();
    }
  }
}

}  // namespace gw::mllp
