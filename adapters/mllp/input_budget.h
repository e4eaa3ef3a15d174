// One bound on the input that MLLP connections hold in memory, shared by
// every connection of every Server of a process (ServerOptions::input_budget).
//
// Per-connection limits (max_frame_bytes, max_connections) still multiply:
// 4096 connections each holding an unfinished 1 MiB frame is 4 GiB. The
// budget caps the sum. A loop charges a connection's buffered input (its
// decoder's buffer plus input read but not yet decoded) after every read;
// before a read it reserves room for one read chunk, and when the budget has
// no room it stops reading that connection (backpressure: the kernel's
// socket buffer fills and TCP flow control slows the sender) until budget is
// released — when a frame completes and is handed over, or a connection
// closes. Releases wake the loops that have paused connections (see
// subscribe()).
//
// Thread-safe: any loop thread of any server charges and releases.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <vector>

namespace gw::mllp {

class InputBudget {
 public:
  // `limit_bytes` must be positive.
  explicit InputBudget(size_t limit_bytes) : limit_(limit_bytes) {}
  InputBudget(const InputBudget&) = delete;
  InputBudget& operator=(const InputBudget&) = delete;

  size_t limit() const { return limit_; }
  // Bytes charged now (may exceed limit() by the overshoot server.h bounds).
  size_t used() const { return used_.load(std::memory_order_relaxed); }
  // Times a connection could not reserve room and was paused.
  uint64_t pauses() const { return pauses_.load(std::memory_order_relaxed); }

  // Charges `n` bytes if that keeps used() <= limit(); false (nothing
  // charged) otherwise.
  bool try_charge(size_t n);
  // try_charge(n); when it fails, arms the wake-up (the next release() calls
  // every subscriber), tries once more (a release in between found nothing
  // armed) and, failing again, counts a pause and returns false.
  bool charge_or_wait(size_t n);
  // Charges `n` bytes unconditionally (what a read brought beyond its
  // reservation, or a small read allowed outside the budget).
  void charge(size_t n) { used_.fetch_add(n, std::memory_order_relaxed); }
  // Returns `n` bytes charged earlier; if a charge_or_wait() failed since
  // the previous wake, calls every subscriber.
  void release(size_t n);

  // Progress when the budget is full of partial frames, each waiting for room
  // that only another's completion would free (honest senders of large
  // messages, more of them at once than the budget holds): one connection at
  // a time, the overdraft's holder, may read past the limit until its frame
  // is done. `holder` is a process-unique connection id (not 0). True if
  // `holder` holds it now (taken, or already held).
  bool take_overdraft(uint64_t holder);
  // Gives it back if `holder` holds it (frame done, connection closed), and
  // wakes the subscribers so that another paused connection can take it.
  void return_overdraft(uint64_t holder);

  // A loop's wake-up, called on the releasing thread (must not block or
  // call back into the budget). The returned id unsubscribes it; after
  // unsubscribe() returns, the callback is not running and not called again.
  uint64_t subscribe(std::function<void()> wake);
  void unsubscribe(uint64_t id);

 private:
  void wake_all();

  const size_t limit_;
  std::atomic<size_t> used_{0};
  std::atomic<uint64_t> pauses_{0};
  std::atomic<uint64_t> overdraft_holder_{0};  // 0: free
  std::atomic<bool> waiting_{false};           // a charge_or_wait() failed since the last wake
  std::mutex mu_;                              // guards subscribers_, next_id_
  std::vector<std::pair<uint64_t, std::function<void()>>> subscribers_;
  uint64_t next_id_ = 1;
};

}  // namespace gw::mllp
