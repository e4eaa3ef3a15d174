#include "ledger-client/rpc/deadline_watchdog.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

namespace gw::ledger::rpc_internal {

DeadlineWatchdog::DeadlineWatchdog() : thread_([this] { run(); }) {}

DeadlineWatchdog::~DeadlineWatchdog() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    release_locked();
  }
  cv_.notify_all();
  thread_.join();
}

bool DeadlineWatchdog::arm(int socket_fd, Clock::time_point deadline) {
  const int dup = socket_fd < 0 ? -1 : ::fcntl(socket_fd, F_DUPFD_CLOEXEC, 0);
  std::lock_guard lock(mu_);
  release_locked();
  fired_ = false;
  if (dup < 0) return false;
  fd_ = dup;
  deadline_ = deadline;
  cv_.notify_all();
  return true;
}

bool DeadlineWatchdog::disarm() {
  std::lock_guard lock(mu_);
  release_locked();
  const bool fired = fired_;
  fired_ = false;
  return fired;
}

void DeadlineWatchdog::release_locked() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

void DeadlineWatchdog::run() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    if (fd_ < 0) {
      cv_.wait(lock);
    } else if (Clock::now() >= deadline_) {
      ::shutdown(fd_, SHUT_RDWR);
      fired_ = true;
      release_locked();
    } else {
      cv_.wait_until(lock, deadline_);
    }
  }
}

}  // namespace gw::ledger::rpc_internal
