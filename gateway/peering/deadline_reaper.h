// Internal to gateway/peering: bounds the whole of a socket exchange in time.
//
// Poco's socket timeouts apply to each receive or send call, so a peer that
// trickles one byte every few seconds never trips them and holds a worker (or
// a client call) for as long as it likes. The reaper instead keeps an absolute
// deadline per watched socket and, once it passes, shuts the socket down
// (shutdown(2), SHUT_RDWR): the blocked receive or send returns at once with
// an error, and the owner of the socket unwinds and closes it.
//
// Thread safety: every method may be called from any thread. The reaper
// touches a descriptor only while it is watched, under the one mutex that
// forget() also takes, so once forget() (or ~Watch) returned, closing and
// reusing the descriptor is safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <thread>

namespace gw::peering::internal {

class DeadlineReaper {
 public:
  using Clock = std::chrono::steady_clock;
  using Id = uint64_t;

  DeadlineReaper();
  ~DeadlineReaper();  // joins its thread; sockets still watched are left alone
  DeadlineReaper(const DeadlineReaper&) = delete;
  DeadlineReaper& operator=(const DeadlineReaper&) = delete;

  Id watch(int fd, Clock::time_point deadline);
  void set_deadline(Id id, Clock::time_point deadline);  // Clock::time_point::max(): none
  // True if the deadline of `id` passed and its socket was shut down.
  bool fired(Id id) const;
  void forget(Id id);
  // Shuts down every watched socket now (a server stopping).
  void fire_all();

 private:
  struct Entry {
    int fd;
    Clock::time_point deadline;
    bool fired;
  };
  void run();

  mutable std::mutex mu_;  // guards entries_, next_id_, stop_
  std::condition_variable cv_;
  std::map<Id, Entry> entries_;
  Id next_id_ = 1;
  bool stop_ = false;
  std::thread thread_;
};

// Watches one socket for the lifetime of the object.
class Watch {
 public:
  Watch(DeadlineReaper* reaper, int fd, std::chrono::milliseconds budget)
      : reaper_(reaper), id_(reaper->watch(fd, DeadlineReaper::Clock::now() + budget)) {}
  ~Watch() { reaper_->forget(id_); }
  Watch(const Watch&) = delete;
  Watch& operator=(const Watch&) = delete;

  // A new deadline `budget` from now.
  void restart(std::chrono::milliseconds budget) {
    reaper_->set_deadline(id_, DeadlineReaper::Clock::now() + budget);
  }
  void clear() { reaper_->set_deadline(id_, DeadlineReaper::Clock::time_point::max()); }
  bool fired() const { return reaper_->fired(id_); }

 private:
  DeadlineReaper* reaper_;
  DeadlineReaper::Id id_;
};

}  // namespace gw::peering::internal
