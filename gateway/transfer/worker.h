// A background loop: runs `step` now, then again every `interval` or as soon
// as poke() is called, until stop(). The transfer room's sender and requester
// each run one (their work is durable, so a step that finds nothing due is
// cheap, and a poke makes a new transfer start without waiting).
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace gw::transfer {

class Worker {
 public:
  Worker() = default;
  ~Worker() { stop(); }
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Starts the thread (a second start while running does nothing).
  void start(std::function<void()> step, std::chrono::milliseconds interval) {
    std::lock_guard lock(mu_);
    if (thread_.joinable()) return;
    stopping_ = false;
    thread_ = std::thread([this, step = std::move(step), interval] {
      std::unique_lock lock(mu_);
      while (!stopping_) {
        poked_ = false;
        lock.unlock();
        step();
        lock.lock();
        wake_.wait_for(lock, interval, [this] { return stopping_ || poked_; });
      }
    });
  }
  // Runs the next step now (or right after the one in progress).
  void poke() {
    {
      std::lock_guard lock(mu_);
      poked_ = true;
    }
    wake_.notify_one();
  }
  // Lets the step in progress finish, then joins. Idempotent.
  void stop() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

 private:
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false, poked_ = false;
};

}  // namespace gw::transfer
