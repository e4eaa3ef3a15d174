// Waiting in tests: every wait has a deadline, so a test whose condition never
// comes fails with a message instead of hanging until ctest kills it (which
// reports nothing about what was awaited).
#pragma once

#include <chrono>
#include <thread>

namespace gw::testing {

// Polls `done` until it returns true (then true) or `timeout` passes (then
// false, after one last look). The caller turns false into a failure that says
// what did not happen.
template <class Predicate>
bool wait_until(Predicate done, std::chrono::milliseconds timeout,
                std::chrono::milliseconds poll = std::chrono::milliseconds(1)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return done();
    std::this_thread::sleep_for(poll);
  }
  return true;
}

}  // namespace gw::testing
