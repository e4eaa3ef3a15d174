// Blocking MLLP client, for gatewayctl send, tests and benchmarks. One
// connection, one thread. Timeouts on connect, send and receive.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "adapters/mllp/framer.h"
#include "gateway/base/status.h"

namespace gw::mllp {

class Client {
 public:
  // Connects to host:port (numeric address or name). kUnavailable when no
  // address answers (the message says why for the last one tried).
  static gw::Result<std::unique_ptr<Client>> connect(const std::string& host, uint16_t port,
                                                     std::chrono::milliseconds timeout);
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
  void close();

 private:
  explicit Client(int fd);
  gw::Status send_all(std::string_view bytes);

  int fd_ = -1;
  std::chrono::milliseconds send_timeout_{30000};
  std::string buffer_;              // bytes received beyond the last returned frame, not yet framed
  std::unique_ptr<Framer> framer_;  // holds a partly received frame between calls
  size_t framer_max_ = 0;
};

}  // namespace gw::mllp
