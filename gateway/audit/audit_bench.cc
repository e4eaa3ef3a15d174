// The audit trail's figures (issue 17): sustained appends per second, each
// durable on return (synchronous FULL, group commit), with 1, 16 and 64
// threads appending at once as request handlers do; and the time `verify`
// takes, per entry (multiply by a million for the figure).
//
//   audit_bench [--benchmark_filter=...]
//
// Uses files under $TMPDIR, so the append figures measure that disk's fsync.
#include <benchmark/benchmark.h>

#include <filesystem>
#include <thread>
#include <vector>

#include "gateway/audit/audit_log.h"
#include "gateway/audit/audit_schema.h"
#include "gateway/audit/audit_test_util.h"
#include "gateway/audit/audit_verify.h"
#include "gateway/store/store_bench_util.h"

namespace gw::audit {
namespace {

struct BenchLog {
  BenchLog() {
    dir = store::bench::make_temp_dir(std::filesystem::temp_directory_path(), "gw-audit-bench-");
    keys = AuditKeys::random_for_tests();
    auto opened = AuditLog::open((dir / "audit.db").string(), keys);
    if (opened.ok()) log = std::move(opened).value();
  }
  ~BenchLog() {
    log.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  std::filesystem::path dir;
  std::shared_ptr<const AuditKeys> keys;
  std::unique_ptr<AuditLog> log;
};

BenchLog* g_append = nullptr;  // set up and torn down by thread 0

void BM_Append(benchmark::State& state) {
  if (state.thread_index() == 0) g_append = new BenchLog();
  int i = 0;
  for (auto _ : state) {  // the loop starts behind a barrier: g_append is set
    if (g_append->log == nullptr || !g_append->log->append(testing::sample_entry(++i)).ok()) {
      state.SkipWithError("append failed");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
  if (state.thread_index() == 0) {
    const AuditLogStats s = g_append->log ? g_append->log->stats() : AuditLogStats{};
    state.counters["appends_per_commit"] =
        s.commits > 0 ? static_cast<double>(s.appends) / static_cast<double>(s.commits) : 0;
    delete g_append;
    g_append = nullptr;
  }
}
BENCHMARK(BM_Append)->Threads(1)->Threads(16)->Threads(64)->UseRealTime()->MinTime(3.0);

// The CPU an append spends outside SQLite: encode, hash, chain, blind index,
// seal. What a FHIR read pays for its entry besides the (shared) commit.
void BM_EntryCrypto(benchmark::State& state) {
  auto keys = AuditKeys::random_for_tests();
  const AuditEntry e = testing::sample_entry(1);
  crypto::Sha256Digest chain = internal::chain_start();
  int64_t seq = 0;
  for (auto _ : state) {
    const std::string bytes = encode(e);
    chain = internal::chain_next(chain, crypto::sha256(bytes));
    benchmark::DoNotOptimize(keys->patient_index(*e.patient));
    benchmark::DoNotOptimize(keys->seal(bytes, internal::entry_associated_data(++seq)));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EntryCrypto);

// Fills a log with n entries from 64 threads (group commit keeps it quick).
void fill(AuditLog& log, int n) {
  std::vector<std::thread> threads;
  for (int t = 0; t < 64; ++t) {
    threads.emplace_back([&log, t, n] {
      for (int i = t; i < n; i += 64) (void)log.append(testing::sample_entry(i)).ok();
    });
  }
  for (auto& t : threads) t.join();
}

void BM_Verify(benchmark::State& state) {
  BenchLog b;
  const int n = static_cast<int>(state.range(0));
  if (b.log == nullptr) {
    state.SkipWithError("open failed");
    return;
  }
  fill(*b.log, n);
  const std::string path = (b.dir / "audit.db").string();
  for (auto _ : state) {
    auto report = verify_audit_log(path, *b.keys, [](const AuditBatch&) { return ok_status(); });
    if (!report.ok() || !report->ok() || report->entries_checked != n) {
      state.SkipWithError("verify failed");
      break;
    }
  }
  state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK(BM_Verify)->Arg(10'000)->Arg(100'000)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace gw::audit

BENCHMARK_MAIN();
