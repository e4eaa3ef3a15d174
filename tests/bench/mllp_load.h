// Load for the whole-pipeline bench (pipeline_bench.cc): N blocking MLLP
// clients, each sending one message and waiting for its acknowledgement
// before the next (as HL7 senders do), fed from the seeded corpus generator;
// and a do-nothing MLLP responder on the same server code as gatewayd
// (gw::mllp::Server), for the ratio to the machine.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "adapters/mllp/server.h"
#include "tests/support/corpus_generator.h"

namespace gw::bench {

// Messages to send, fresh content for each: a window of the generator's
// stream made before a run (so the clients do not pay for making them), and
// made on demand past it. take() hands out the next index of the stream.
class Traffic {
 public:
  explicit Traffic(const testing::CorpusGenerator& gen) : gen_(gen) {}
  // Makes messages [next, next + count) ahead of the run (two threads).
  // `cycle`: take() then goes round the window forever (for the responder,
  // which stores nothing, so repeating content changes nothing).
  void prepare(size_t count, bool cycle = false);
  // The next message of the stream (thread-safe).
  std::string take();
  uint64_t next_index() const { return next_.load(); }

 private:
  const testing::CorpusGenerator& gen_;
  std::atomic<uint64_t> next_{0};
  uint64_t window_first_ = 0;
  bool cycle_ = false;
  std::vector<std::string> window_;
};

struct LoadOptions {
  uint16_t port = 0;
  int connections = 1;
  // Stop after this long, or (when non-zero) after this many messages in all.
  std::chrono::duration<double> duration{5.0};
  uint64_t messages = 0;
};

struct LoadResult {
  int connections = 0;
  uint64_t messages = 0;      // answered
  uint64_t not_accepted = 0;  // answers that were not AA/CA, plus failed sends/receives
  uint64_t connect_failures = 0;
  double seconds = 0;
  double msgs_per_s = 0;
  double p50_us = 0, p90_us = 0, p99_us = 0, max_us = 0;
  double client_cpu_s = 0;  // CPU time of the client threads
};

// Runs the clients against 127.0.0.1:port until done.
LoadResult run_load(const LoadOptions& options, Traffic* traffic);

// The do-nothing responder: every frame is answered with a fixed AA.
class Responder {
 public:
  static std::unique_ptr<Responder> start();
  ~Responder();
  uint16_t port() const;

 private:
  class Handler;
  Responder() = default;
  std::unique_ptr<Handler> handler_;
  std::unique_ptr<mllp::Server> server_;
};

// CPU seconds (user + system) of a process from /proc/<pid>/stat; -1 when
// unreadable. Of this process: getrusage.
double process_cpu_seconds(int pid);
double own_cpu_seconds();
// VmHWM (peak resident set) of a process in KiB, -1 when unreadable.
long peak_rss_kib(int pid);

}  // namespace gw::bench
