// Test helpers shared by the MLLP server's tests (server_test.cc,
// server_tls_test.cc). Not part of the library.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "adapters/mllp/server.h"

namespace gw::mllp::testing {

// A clock the test moves by hand (ServerOptions::clock), so that a timeout
// passes when the test says so rather than after a real sleep. release() lets
// it run on with real time from where it stands (for stop()'s grace).
class ManualClock {
 public:
  using TimePoint = std::chrono::steady_clock::time_point;
  TimePoint now() const {
    const std::chrono::nanoseconds ahead(ahead_ns_.load());
    return (released_.load() ? std::chrono::steady_clock::now() : start_) + ahead;
  }
  void advance(std::chrono::nanoseconds d) { ahead_ns_ += d.count(); }
  void release() { released_ = true; }

 private:
  const TimePoint start_ = std::chrono::steady_clock::now();
  std::atomic<int64_t> ahead_ns_{0};
  std::atomic<bool> released_{false};
};

// Runs the work for each frame on a worker thread, as the gateway does.
// Frame commands: "none" -> none(); "close:X" -> send_and_close("X");
// "hold..." -> kept until the test releases it; "throw" -> throws on the
// loop thread; anything else -> "ACK:" + frame.
class TestHandler : public FrameHandler {
 public:
  TestHandler() : worker_([this] { work(); }) {}
  ~TestHandler() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      done_ = true;
    }
    cv_.notify_all();
    worker_.join();
  }

  void on_frame(const PeerInfo& peer, std::string frame, Reply reply) override {
    if (frame == "throw") throw std::runtime_error("handler bug");
    if (frame == "inline") {
      reply.send("ACK:inline");
      return;
    }
    std::lock_guard<std::mutex> lock(mu_);
    last_peer_ = peer;
    frames_seen_++;
    queue_.push_back({std::move(frame), std::move(reply)});
    cv_.notify_all();
  }

  void on_oversized(const PeerInfo& peer, std::string head, Reply reply) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      last_head_ = head;
    }
    reply.send("NAK:" + head.substr(0, 7));
  }

  // Waits until `n` frames are held; true on success.
  bool wait_held(size_t n, std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return held_.size() >= n; });
  }
  size_t held() {
    std::lock_guard<std::mutex> lock(mu_);
    return held_.size();
  }
  std::vector<std::pair<std::string, Reply>> take_held() {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<std::pair<std::string, Reply>> out;
    out.swap(held_);
    return out;
  }
  PeerInfo last_peer() {
    std::lock_guard<std::mutex> lock(mu_);
    return last_peer_;
  }
  std::string last_head() {
    std::lock_guard<std::mutex> lock(mu_);
    return last_head_;
  }

 private:
  void work() {
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
      cv_.wait(lock, [&] { return done_ || !queue_.empty(); });
      if (queue_.empty()) return;
      auto [frame, reply] = std::move(queue_.front());
      queue_.pop_front();
      if (frame.rfind("hold", 0) == 0) {
        held_.emplace_back(std::move(frame), std::move(reply));
        cv_.notify_all();
        continue;
      }
      lock.unlock();
      if (frame == "none") {
        reply.none();
      } else if (frame == "big") {
        reply.send(std::string(100000, 'b'));
      } else if (frame.rfind("close:", 0) == 0) {
        reply.send_and_close(frame.substr(6));
      } else {
        reply.send("ACK:" + frame);
      }
      lock.lock();
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::pair<std::string, Reply>> queue_;
  std::vector<std::pair<std::string, Reply>> held_;
  std::string last_head_;
  PeerInfo last_peer_;
  size_t frames_seen_ = 0;
  bool done_ = false;
  std::thread worker_;
};

}  // namespace gw::mllp::testing
