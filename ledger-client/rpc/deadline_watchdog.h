// Internal to ledger-client/rpc: ends a socket exchange at its deadline from
// another thread.
//
// Poco reads HTTP response headers through HTTPSession::refill(), which calls
// the socket directly: no hook of ours runs between those reads, and each one
// waits a full socket timeout, so a node trickling header bytes could hold a
// caller far past io_timeout. The watchdog shuts the connection down at the
// deadline, which makes the blocked read return at once. It works on its own
// duplicate of the socket's descriptor: shutdown(2) acts on the connection, so
// the duplicate reaches it, and closing or reusing the original descriptor in
// the exchange's thread can never race with it.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace gw::ledger::rpc_internal {

class DeadlineWatchdog {
 public:
  using Clock = std::chrono::steady_clock;

  DeadlineWatchdog();
  ~DeadlineWatchdog();
  DeadlineWatchdog(const DeadlineWatchdog&) = delete;
  DeadlineWatchdog& operator=(const DeadlineWatchdog&) = delete;

  // Watches the connection of `socket_fd` (duplicated here) until disarm();
  // false if it cannot (the exchange then goes unwatched, as before).
  bool arm(int socket_fd, Clock::time_point deadline);
  // Stops watching; true if the deadline passed and the connection was shut.
  bool disarm();

 private:
  void run();
  void release_locked();

  std::mutex mu_;
  std::condition_variable cv_;
  int fd_ = -1;  // our duplicate; -1 when not watching
  Clock::time_point deadline_{};
  bool fired_ = false;
  bool stopping_ = false;
  std::thread thread_;  // last: starts after the members it reads
};

}  // namespace gw::ledger::rpc_internal
