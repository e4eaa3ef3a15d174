#include "gateway/peering/deadline_reaper.h"

#include <sys/socket.h>

namespace gw::peering::internal {

DeadlineReaper::DeadlineReaper() : thread_([this] { run(); }) {}

DeadlineReaper::~DeadlineReaper() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

DeadlineReaper::Id DeadlineReaper::watch(int fd, Clock::time_point deadline) {
  Id id;
  {
    std::lock_guard<std::mutex> lock(mu_);
    id = next_id_++;
    entries_[id] = Entry{fd, deadline, false};
  }
  cv_.notify_all();
  return id;
}

void DeadlineReaper::set_deadline(Id id, Clock::time_point deadline) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = entries_.find(id);
    if (it == entries_.end() || it->second.fired) return;
    it->second.deadline = deadline;
  }
  cv_.notify_all();
}

bool DeadlineReaper::fired(Id id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(id);
  return it != entries_.end() && it->second.fired;
}

void DeadlineReaper::forget(Id id) {
  std::lock_guard<std::mutex> lock(mu_);
  entries_.erase(id);
}

void DeadlineReaper::fire_all() {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [id, e] : entries_) {
    if (e.fired) continue;
    ::shutdown(e.fd, SHUT_RDWR);
    e.fired = true;
  }
}

void DeadlineReaper::run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    const Clock::time_point now = Clock::now();
    Clock::time_point next = Clock::time_point::max();
    for (auto& [id, e] : entries_) {
      if (e.fired) continue;
      if (e.deadline <= now) {
        // Wakes the thread blocked on this socket; it sees an error and closes.
        ::shutdown(e.fd, SHUT_RDWR);
        e.fired = true;
      } else if (e.deadline < next) {
        next = e.deadline;
      }
    }
    if (next == Clock::time_point::max()) {
      cv_.wait(lock);
    } else {
      cv_.wait_until(lock, next);
    }
  }
}

}  // namespace gw::peering::internal
