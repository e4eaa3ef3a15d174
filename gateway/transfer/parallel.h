// Runs a round of independent work items on a few threads: the sender builds
// and delivers several transfers at once (selection and sealing are CPU,
// delivery waits on another member), then writes their outcomes in one
// commit.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <system_error>
#include <thread>
#include <vector>

namespace gw::transfer {

// Calls fn(i) for every i in [0, n) on up to `threads` threads, the calling
// thread among them, and returns when all calls have returned. Items are
// taken in order as threads come free. If no thread can be started the
// calling thread does all of them.
template <typename Fn>
void parallel_for(size_t n, size_t threads, Fn&& fn) {
  threads = std::min(threads, n);
  std::atomic<size_t> next{0};
  auto run = [&] {
    for (size_t i; (i = next.fetch_add(1, std::memory_order_relaxed)) < n;) fn(i);
  };
  std::vector<std::thread> helpers;
  for (size_t k = 1; k < threads; ++k) {
    try {
      helpers.emplace_back(run);
    } catch (const std::system_error&) {
      break;  // fewer threads, same work
    }
  }
  run();
  for (std::thread& t : helpers) t.join();
}

}  // namespace gw::transfer
