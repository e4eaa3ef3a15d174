// Message store throughput: submissions/s and commits/s with 1 and 16
// submitting threads, synchronous=FULL vs NORMAL. Each thread keeps one
// message in flight (submit_sync), as an MLLP connection does; the async
// variant keeps everything in flight to show the ceiling of group commit.
//
//   message_store_bench [--benchmark_filter=...]
//
// Uses a database under $TMPDIR, so the figures measure that disk's fsync.
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <atomic>
#include <filesystem>
#include <latch>
#include <string>
#include <thread>
#include <vector>

#include "gateway/store/message_store.h"
#include "gateway/store/store_bench_util.h"

namespace gw::store {
namespace {

constexpr size_t kMessageBytes = 2048;  // a typical ADT message with a few segments

class BenchStore {
 public:
  explicit BenchStore(bool synchronous_full) {
    dir_ = bench::make_temp_dir(std::filesystem::temp_directory_path(), "gw-store-bench-");
    StoreOptions o;
    o.path = (dir_ / "bench.db").string();
    o.keys = gw::crypto::StoreKeys::random_for_tests();
    o.synchronous_full = synchronous_full;
    auto opened = MessageStore::open(o);
    if (opened.ok()) {
      store_ = std::move(opened).value();
    } else {
      error_ = opened.error().message();
    }
  }
  ~BenchStore() {
    store_.reset();
    std::error_code ec;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
  }
  MessageStore* get() { return store_.get(); }
  const std::string& error() const { return error_; }

 private:
  std::filesystem::path dir_;
  std::unique_ptr<MessageStore> store_;
  std::string error_;
};

InboundMessage bench_message(int thread, uint64_t seq) {
  return bench::bench_message(thread, seq, kMessageBytes);
}

void report(benchmark::State& state, MessageStore* store, uint64_t messages,
            uint64_t transactions_before) {
  const uint64_t transactions = store->stats().transactions - transactions_before;
  state.counters["msgs/s"] =
      benchmark::Counter(static_cast<double>(messages), benchmark::Counter::kIsRate);
  state.counters["commits/s"] =
      benchmark::Counter(static_cast<double>(transactions), benchmark::Counter::kIsRate);
  state.counters["group"] =
      static_cast<double>(messages) / static_cast<double>(transactions ? transactions : 1);
  if (store->stats().failed != 0) state.SkipWithError("submissions failed");
}

// range(0): submitting threads; range(1): 1 = synchronous FULL, 0 = NORMAL.
void BM_SubmitSync(benchmark::State& state) {
  const int threads = static_cast<int>(state.range(0));
  BenchStore bench(state.range(1) == 1);
  MessageStore* store = bench.get();
  if (store == nullptr) {
    state.SkipWithError(bench.error().c_str());
    return;
  }
  constexpr int kPerThread = 100;
  std::atomic<uint64_t> seq{0};
  const uint64_t before = store->stats().transactions;
  for (auto _ : state) {
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
      workers.emplace_back([&, t] {
        for (int i = 0; i < kPerThread; ++i) {
          benchmark::DoNotOptimize(store->submit_sync(bench_message(t, seq.fetch_add(1))));
        }
      });
    }
    for (auto& w : workers) w.join();
  }
  report(state, store, state.iterations() * threads * kPerThread, before);
}
BENCHMARK(BM_SubmitSync)
    ->ArgsProduct({{1, 16}, {1, 0}})
    ->ArgNames({"threads", "full"})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

// One thread submits a burst without waiting, then waits for all results.
void BM_SubmitAsyncBurst(benchmark::State& state) {
  BenchStore bench(state.range(0) == 1);
  MessageStore* store = bench.get();
  if (store == nullptr) {
    state.SkipWithError(bench.error().c_str());
    return;
  }
  constexpr int kBurst = 2000;
  uint64_t seq = 0;
  const uint64_t before = store->stats().transactions;
  for (auto _ : state) {
    std::latch done(kBurst);
    for (int i = 0; i < kBurst; ++i) {
      store->submit(bench_message(0, seq++), [&done](CommitResult) { done.count_down(); });
    }
    done.wait();
  }
  report(state, store, state.iterations() * kBurst, before);
}
BENCHMARK(BM_SubmitAsyncBurst)
    ->Arg(1)
    ->Arg(0)
    ->ArgName("full")
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace gw::store

BENCHMARK_MAIN();
