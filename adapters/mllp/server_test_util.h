// Test helpers shared by the MLLP server's tests (server_test.cc,
// server_tls_test.cc). Not part of the library.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

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

}  // namespace gw::mllp::testing
