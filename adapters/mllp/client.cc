#include "adapters/mllp/client.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>

#include "adapters/mllp/tls.h"

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
  if (ssl_ != nullptr) {
    // close_notify, best effort (one non-blocking attempt); not after a
    // failed handshake or a fatal error, which leave the session in init.
    if (!SSL_in_init(ssl_)) SSL_shutdown(ssl_);
    SSL_free(ssl_);
    ssl_ = nullptr;
  }
  if (ssl_ctx_ != nullptr) SSL_CTX_free(ssl_ctx_);
  ssl_ctx_ = nullptr;
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

// SSL_ERROR_WANT_READ/WRITE as the poll event to wait for; 0 for a failure.
static short tls_wait_event(int ssl_error) {
  if (ssl_error == SSL_ERROR_WANT_READ) return POLLIN;
  if (ssl_error == SSL_ERROR_WANT_WRITE) return POLLOUT;
  return 0;
}

gw::Result<std::unique_ptr<Client>> Client::connect(const std::string& host, uint16_t port,
                                                    std::chrono::milliseconds timeout,
                                                    const ClientTlsOptions& tls) {
  const Clock::time_point deadline = Clock::now() + timeout;
  // The files first: a wrong path is reported as such, whatever the network does.
  GW_ASSIGN_OR_RETURN(internal::SslCtxPtr ctx, internal::make_client_context(tls));
  GW_ASSIGN_OR_RETURN(std::unique_ptr<Client> client, connect(host, port, timeout));
  client->ssl_ctx_ = ctx.release();
  GW_RETURN_IF_ERROR(client->handshake(host, deadline, timeout, tls));
  return client;
}

gw::Status Client::handshake(const std::string& host, Clock::time_point deadline,
                             std::chrono::milliseconds timeout, const ClientTlsOptions& tls) {
  ssl_ = internal::new_ssl_on_fd(ssl_ctx_, fd_);
  if (ssl_ == nullptr) return resource_exhausted_error("TLS: cannot create a session");
  const std::string& name = tls.server_name.empty() ? host : tls.server_name;
  unsigned char addr[sizeof(in6_addr)];
  if (::inet_pton(AF_INET, name.c_str(), addr) == 1 ||
      ::inet_pton(AF_INET6, name.c_str(), addr) == 1) {
    // An address is checked against the certificate's IP SANs and not sent as SNI.
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_), name.c_str());
  } else {
    SSL_set_tlsext_host_name(ssl_, name.c_str());
    SSL_set_hostflags(ssl_, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    SSL_set1_host(ssl_, name.c_str());
  }
  SSL_set_connect_state(ssl_);
  for (;;) {
    ERR_clear_error();
    const int rc = SSL_do_handshake(ssl_);
    if (rc == 1) return ok_status();
    const int err = SSL_get_error(ssl_, rc);
    const short event = tls_wait_event(err);
    if (event == 0) {
      return unavailable_error("TLS handshake with " + host + ": " +
                               internal::ssl_failure_text(ssl_, err));
    }
    const int w = wait_for(fd_, event, deadline);
    if (w == 0) {
      return unavailable_error("TLS handshake with " + host + ": timed out after " +
                               std::to_string(timeout.count()) + " ms");
    }
    if (w < 0) return unavailable_error(errno_text("TLS handshake: poll"));
  }
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
  while (!bytes.empty() && ssl_ != nullptr) {
    ERR_clear_error();
    const int n =
        SSL_write(ssl_, bytes.data(), static_cast<int>(std::min<size_t>(bytes.size(), INT_MAX)));
    if (n > 0) {
      bytes.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    const int err = SSL_get_error(ssl_, n);
    const short event = tls_wait_event(err);
    if (event == 0) return unavailable_error("send: TLS: " + internal::ssl_failure_text(ssl_, err));
    const int w = wait_for(fd_, event, deadline);
    if (w == 0) {
      return deadline_exceeded_error("send: timed out after " +
                                     std::to_string(send_timeout_.count()) + " ms");
    }
    if (w < 0) return unavailable_error(errno_text("send: poll"));
  }
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
    std::string error;
    ssize_t n = read_some(chunk, sizeof chunk, deadline, &error);
    if (n < 0) {
      if (!error.empty()) return unavailable_error(error);
      return deadline_exceeded_error("receive: timed out after " + std::to_string(timeout.count()) +
                                     " ms");
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

ssize_t Client::read_some(char* buf, size_t size, Clock::time_point deadline, std::string* error) {
  for (;;) {
    if (ssl_ == nullptr) {
      const int w = wait_for(fd_, POLLIN, deadline);
      if (w == 0) return -1;
      if (w < 0) {
        *error = errno_text("receive: poll");
        return -1;
      }
      const ssize_t n = ::recv(fd_, buf, size, 0);
      if (n >= 0) return n;
      if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) continue;
      *error = errno_text("receive");
      return -1;
    }
    // TLS: data may already be decrypted and buffered, so read before polling.
    ERR_clear_error();
    const int n = SSL_read(ssl_, buf, static_cast<int>(std::min<size_t>(size, INT_MAX)));
    if (n > 0) return n;
    const int err = SSL_get_error(ssl_, n);
    if (err == SSL_ERROR_ZERO_RETURN) return 0;
    const short event = tls_wait_event(err);
    if (event == 0) {
      *error = "receive: TLS: " + internal::ssl_failure_text(ssl_, err);
      return -1;
    }
    const int w = wait_for(fd_, event, deadline);
    if (w == 0) return -1;
    if (w < 0) {
      *error = errno_text("receive: poll");
      return -1;
    }
  }
}

}  // namespace gw::mllp
