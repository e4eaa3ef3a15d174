// Helpers for the integration tests that attack a real gatewayd over
// loopback (memory_budget_test, hostile_soak_test): raw non-blocking
// sockets (the MLLP client would hide what an attacker does), reading the
// daemon's memory from /proc, and adding [gateway] settings to the
// configuration GatewaydProcess wrote.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

#include "tests/support/gatewayd_process.h"

namespace gw::testing {

using SteadyTime = std::chrono::steady_clock::time_point;

// A non-blocking TCP connection to 127.0.0.1:port from `source` (another
// 127.0.0.0/8 address stands for another host); -1 on failure.
inline int connect_loopback(uint16_t port, const char* source = "127.0.0.1") {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in local{};
  local.sin_family = AF_INET;
  ::inet_pton(AF_INET, source, &local.sin_addr);
  sockaddr_in remote{};
  remote.sin_family = AF_INET;
  remote.sin_port = htons(port);
  ::inet_pton(AF_INET, "127.0.0.1", &remote.sin_addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0 ||
      ::connect(fd, reinterpret_cast<sockaddr*>(&remote), sizeof remote) != 0) {
    ::close(fd);
    return -1;
  }
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  return fd;
}

// Sends as much of `data` as the socket takes now; returns the bytes sent,
// or -1 if the connection failed.
inline ssize_t send_some(int fd, std::string_view data) {
  size_t sent = 0;
  while (sent < data.size()) {
    ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n > 0) {
      sent += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    return -1;
  }
  return static_cast<ssize_t>(sent);
}

// Sends all of `data`, waiting for room until `deadline`.
inline bool send_all(int fd, std::string_view data, SteadyTime deadline) {
  while (!data.empty()) {
    ssize_t n = send_some(fd, data);
    if (n < 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
    if (data.empty()) break;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    pollfd p{fd, POLLOUT, 0};
    ::poll(&p, 1, 50);
  }
  return true;
}

// One MLLP frame's payload from `fd`; "<closed>" at EOF or reset, "<timeout>".
inline std::string read_frame(int fd, SteadyTime deadline) {
  std::string in;
  char buf[16384];
  for (;;) {
    const size_t start = in.find('\x0b');
    if (start != std::string::npos) {
      const size_t end = in.find("\x1c\r", start);
      if (end != std::string::npos) return in.substr(start + 1, end - start - 1);
    }
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n > 0) {
      in.append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) return "<closed>";
    if (std::chrono::steady_clock::now() >= deadline) return "<timeout>";
    pollfd p{fd, POLLIN, 0};
    ::poll(&p, 1, 50);
  }
}

// True once the peer has closed `fd` (EOF or reset), discarding any input.
inline bool closed_by_peer(int fd) {
  char buf[4096];
  for (;;) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n > 0) continue;
    if (n == 0) return true;
    if (errno == EINTR) continue;
    return errno != EAGAIN && errno != EWOULDBLOCK;
  }
}

// A "Vm...:" line of /proc/<pid>/status in KiB (VmRSS: resident now; VmHWM:
// the peak resident size); 0 if unreadable.
inline size_t proc_status_kib(pid_t pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(field + ":", 0) == 0)
      return std::strtoull(line.c_str() + field.size() + 1, nullptr, 10);
  }
  return 0;
}

// Adds `lines` to the [gateway] table of the configuration GatewaydProcess
// wrote (its extra settings go to the channel's table).
inline bool add_gateway_settings(const std::string& config_path, const std::string& lines) {
  std::string text = read_file(config_path);
  const size_t at = text.find("[gateway]\n");
  if (at == std::string::npos) return false;
  text.insert(at + 10, lines);
  std::ofstream out(config_path, std::ios::trunc);
  out << text;
  return static_cast<bool>(out);
}

// An environment variable as a positive integer, else `fallback`.
inline long env_or(const char* name, long fallback) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return fallback;
  long n = std::strtol(v, nullptr, 10);
  return n > 0 ? n : fallback;
}

}  // namespace gw::testing
