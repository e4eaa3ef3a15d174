// Message store acknowledgement latency: the time from submit() to the start
// of the commit callback (where the MLLP server acknowledges), as percentiles,
// with N submitting threads that each keep one message in flight as an MLLP
// connection does. Also samples the WAL file size, to show it stays bounded,
// and prints the checkpointer's statistics.
//
//   message_store_latency_bench [--threads=1,16] [--messages=N] [--runs=R]
//                               [--rate=MSGS_PER_S] [--checkpoint_pages=N]
//                               [--max_wal_mib=N] [--dir=PATH]
//
// --messages is per run and split across the threads. Without --rate each
// thread submits its next message as soon as the previous one is
// acknowledged (saturation); with it the threads together submit about that
// many per second, each at a steady pace (a message due while the previous
// one is still in flight is sent right after it, so latency is measured from
// submit(), not from when it was due). --dir picks the disk (default
// $TMPDIR), since the figures measure that disk's fsync. A plain main rather
// than Google Benchmark: the figure of interest is the tail of one long run,
// not the mean of repeated iterations.
#include <stdlib.h>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <semaphore>
#include <string>
#include <thread>
#include <vector>

#include "gateway/store/message_store.h"
#include "gateway/store/store_bench_util.h"

namespace gw::store {
namespace {

using Clock = std::chrono::steady_clock;

constexpr size_t kMessageBytes = 2048;  // as in message_store_bench.cc

struct Config {
  std::vector<int> threads = {1, 16};
  int messages = 20000;
  int runs = 3;
  int warmup = 500;  // first submissions of a run, not counted
  double rate = 0;   // messages per second over all threads; 0 = as fast as acknowledged
  StoreOptions store;
  std::filesystem::path dir = std::filesystem::temp_directory_path();
};

InboundMessage bench_message(int thread, uint64_t seq) {
  return bench::bench_message(thread, seq, kMessageBytes);
}

double percentile_us(const std::vector<int64_t>& sorted_ns, double p) {
  if (sorted_ns.empty()) return 0;
  const size_t i = std::min(sorted_ns.size() - 1, static_cast<size_t>(p * sorted_ns.size()));
  return static_cast<double>(sorted_ns[i]) / 1000.0;
}

int64_t file_size(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 ? static_cast<int64_t>(st.st_size) : 0;
}

// One run on a fresh database. Returns false if the store failed.
bool run_once(const Config& config, int threads, int run) {
  const std::filesystem::path dir = bench::make_temp_dir(config.dir, "gw-store-latency-");
  if (dir.empty()) {
    std::perror("mkdtemp");
    return false;
  }
  StoreOptions o = config.store;
  o.path = (dir / "bench.db").string();
  o.keys = gw::crypto::StoreKeys::random_for_tests();
  auto opened = MessageStore::open(o);
  if (!opened.ok()) {
    std::fprintf(stderr, "%s\n", opened.error().message().c_str());
    return false;
  }
  std::unique_ptr<MessageStore> store = std::move(opened).value();

  const int per_thread = std::max(1, config.messages / threads);
  const int warmup_per_thread = config.warmup / threads;
  std::vector<std::vector<int64_t>> latencies(threads);
  std::atomic<bool> sampling{true};
  std::atomic<int64_t> max_wal{0};
  const std::string wal_path = o.path + "-wal";
  std::thread sampler([&] {
    while (sampling.load()) {
      max_wal.store(std::max(max_wal.load(), file_size(wal_path)));
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  });

  const uint64_t transactions_before = store->stats().transactions;
  const auto start = Clock::now();
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      std::binary_semaphore done(0);
      std::vector<int64_t>& out = latencies[t];
      out.reserve(per_thread);
      // Threads start at staggered offsets so that paced submissions spread out.
      const auto interval = config.rate > 0
                                ? std::chrono::duration_cast<Clock::duration>(
                                      std::chrono::duration<double>(threads / config.rate))
                                : Clock::duration::zero();
      auto due = start + interval * t / threads;
      for (int i = 0; i < per_thread; ++i) {
        if (config.rate > 0) {
          std::this_thread::sleep_until(due);
          due += interval;
        }
        InboundMessage m = bench_message(t, static_cast<uint64_t>(i));
        int64_t latency_ns = 0;
        bool ok = false;
        const auto submitted = Clock::now();
        store->submit(std::move(m), [&](CommitResult r) {
          latency_ns =
              std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - submitted)
                  .count();
          ok = r.kind == CommitResult::Kind::kStored;
          done.release();
        });
        done.acquire();
        if (!ok) {
          std::fprintf(stderr, "submission failed\n");
          std::exit(1);
        }
        if (i >= warmup_per_thread) out.push_back(latency_ns);
      }
    });
  }
  for (auto& w : workers) w.join();
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  const StoreStats before_close = store->stats();
  const auto close_start = Clock::now();
  store->close();
  const double close_ms =
      std::chrono::duration<double, std::milli>(Clock::now() - close_start).count();
  sampling.store(false);
  sampler.join();
  const int64_t wal_after_close = file_size(wal_path);
  const StoreStats s = store->stats();
  store.reset();

  std::vector<int64_t> all;
  for (const auto& v : latencies) all.insert(all.end(), v.begin(), v.end());
  std::sort(all.begin(), all.end());
  const uint64_t transactions = before_close.transactions - transactions_before;
  std::printf(
      "threads=%-2d run=%d rate=%s msgs=%zu msgs/s=%.0f group=%.1f  p50=%.0fus p90=%.0fus "
      "p99=%.0fus "
      "p99.9=%.0fus max=%.0fus  wal_max=%.1fMiB wal_after_close=%lldB close=%.0fms",
      threads, run, config.rate > 0 ? std::to_string(static_cast<int>(config.rate)).c_str() : "max",
      all.size(), static_cast<double>(threads * per_thread) / seconds,
      static_cast<double>(threads * per_thread) /
          static_cast<double>(transactions ? transactions : 1),
      percentile_us(all, 0.50), percentile_us(all, 0.90), percentile_us(all, 0.99),
      percentile_us(all, 0.999), all.empty() ? 0.0 : static_cast<double>(all.back()) / 1000.0,
      static_cast<double>(max_wal.load()) / (1 << 20), static_cast<long long>(wal_after_close),
      close_ms);
  std::printf(
      " checkpoints=%llu pages=%llu truncates=%llu failures=%llu pauses=%llu mean_pause=%.0fus\n",
      static_cast<unsigned long long>(s.checkpoints),
      static_cast<unsigned long long>(s.checkpointed_pages),
      static_cast<unsigned long long>(s.checkpoint_restarts),
      static_cast<unsigned long long>(s.checkpoint_failures),
      static_cast<unsigned long long>(s.committer_pauses),
      s.committer_pauses
          ? static_cast<double>(s.committer_paused_us) / static_cast<double>(s.committer_pauses)
          : 0.0);
  std::fflush(stdout);
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return s.failed == 0;
}

bool parse_flag(const char* arg, const char* name, std::string* value) {
  const size_t n = std::strlen(name);
  if (std::strncmp(arg, name, n) != 0 || arg[n] != '=') return false;
  *value = arg + n + 1;
  return true;
}

}  // namespace
}  // namespace gw::store

int main(int argc, char** argv) {
  using gw::store::Config;
  Config config;
  for (int i = 1; i < argc; ++i) {
    std::string v;
    if (gw::store::parse_flag(argv[i], "--threads", &v)) {
      config.threads.clear();
      for (size_t p = 0; p < v.size();) {
        const size_t comma = std::min(v.find(',', p), v.size());
        config.threads.push_back(std::max(1, std::atoi(v.substr(p, comma - p).c_str())));
        p = comma + 1;
      }
    } else if (gw::store::parse_flag(argv[i], "--messages", &v)) {
      config.messages = std::atoi(v.c_str());
    } else if (gw::store::parse_flag(argv[i], "--runs", &v)) {
      config.runs = std::atoi(v.c_str());
    } else if (gw::store::parse_flag(argv[i], "--rate", &v)) {
      config.rate = std::atof(v.c_str());
    } else if (gw::store::parse_flag(argv[i], "--checkpoint_pages", &v)) {
      config.store.checkpoint_pages = std::strtoull(v.c_str(), nullptr, 10);
    } else if (gw::store::parse_flag(argv[i], "--max_wal_mib", &v)) {
      config.store.max_wal_bytes = std::strtoull(v.c_str(), nullptr, 10) << 20;
    } else if (gw::store::parse_flag(argv[i], "--dir", &v)) {
      config.dir = v;
    } else {
      std::fprintf(stderr, "unknown argument %s\n", argv[i]);
      return 2;
    }
  }
  for (int threads : config.threads) {
    for (int run = 0; run < config.runs; ++run) {
      if (!gw::store::run_once(config, threads, run)) return 1;
    }
  }
  return 0;
}
