// Keccak-256 throughput for the input sizes the ledger client hashes most:
// 32 B (Merkle leaves and nodes are 32 or 64 B), one rate block (136 B), and
// 1 KiB (transactions, ABI-encoded calls).
//
//   keccak_bench [--benchmark_filter=...]
#include <benchmark/benchmark.h>

#include <vector>

#include "ledger-client/keccak/keccak.h"

namespace gw::ledger {
namespace {

void BM_Keccak256(benchmark::State& state) {
  std::vector<uint8_t> data(static_cast<size_t>(state.range(0)));
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * 31 + 7);
  for (auto _ : state) {
    Hash256 h = keccak256(data);
    benchmark::DoNotOptimize(h);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
}
BENCHMARK(BM_Keccak256)->Arg(32)->Arg(136)->Arg(1024);

}  // namespace
}  // namespace gw::ledger

BENCHMARK_MAIN();
