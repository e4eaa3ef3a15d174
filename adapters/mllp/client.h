// Blocking MLLP client, for gatewayctl send, tests and benchmarks. One
// connection, one thread. Timeouts on connect, send and receive. Plain TCP or
// TLS (1.2 and later, the server's certificate and name always verified).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "adapters/mllp/framer.h"
#include "gateway/base/status.h"

struct ssl_st;
struct ssl_ctx_st;

namespace gw::mllp {

// MLLP over TLS. Files are PEM.
struct ClientTlsOptions {
  // CA certificates the server's certificate must verify against; empty:
  // the system's trust store.
  std::string ca_file;
  // A client certificate and its key, for servers that require one (mutual
  // TLS); both or neither.
  std::string cert_file, key_file;
  // The name (or IP address) the server's certificate must carry, also sent
  // as SNI when it is a name; empty: the host given to connect().
  std::string server_name;
};

class Client {
 public:
  // Connects to host:port (numeric address or name). kUnavailable when no
  // address answers (the message says why for the last one tried).
  static gw::Result<std::unique_ptr<Client>> connect(const std::string& host, uint16_t port,
                                                     std::chrono::milliseconds timeout);
  // The same, then a TLS handshake within the same timeout. kInvalidArgument
  // when a file cannot be used; kUnavailable when the handshake fails (the
  // message has OpenSSL's reason, e.g. "certificate verify failed").
  static gw::Result<std::unique_ptr<Client>> connect(const std::string& host, uint16_t port,
                                                     std::chrono::milliseconds timeout,
                                                     const ClientTlsOptions& tls);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Sends one framed message. An error too when the peer does not accept the
  // bytes within the send timeout (default 30 s: kDeadlineExceeded).
  gw::Status send(std::string_view payload);
  void set_send_timeout(std::chrono::milliseconds timeout) { send_timeout_ = timeout; }
  // Waits for the next complete frame. An error on timeout
  // (kDeadlineExceeded), close (kUnavailable) or a frame larger than
  // max_frame_bytes (kResourceExhausted; its remaining bytes are then skipped
  // as they arrive, so the next call returns the frame after it). A timeout
  // keeps a partly received frame for the next call. Bytes outside frames are
  // ignored.
  gw::Result<std::string> receive(std::chrono::milliseconds timeout,
                                  size_t max_frame_bytes = 16 << 20);
  // Sends raw bytes without framing (tests of garbage and partial frames).
  gw::Status send_raw(std::string_view bytes);
  // Closes the connection (TLS: after sending close_notify, without waiting).
  void close();
  bool is_tls() const { return ssl_ != nullptr; }

 private:
  explicit Client(int fd);
  gw::Status send_all(std::string_view bytes);
  // Reads what has arrived into buf, waiting until `deadline`: the count, 0
  // at the peer's EOF, or -1 on timeout (*error empty) or error (*error set).
  ssize_t read_some(char* buf, size_t size, std::chrono::steady_clock::time_point deadline,
                    std::string* error);
  gw::Status handshake(const std::string& host, std::chrono::steady_clock::time_point deadline,
                       std::chrono::milliseconds timeout, const ClientTlsOptions& tls);

  int fd_ = -1;
  ssl_ctx_st* ssl_ctx_ = nullptr;  // TLS only (owned)
  ssl_st* ssl_ = nullptr;          // TLS only (owned)
  std::chrono::milliseconds send_timeout_{30000};
  std::string buffer_;              // bytes received beyond the last returned frame, not yet framed
  std::unique_ptr<Framer> framer_;  // holds a partly received frame between calls
  size_t framer_max_ = 0;
};

}  // namespace gw::mllp
