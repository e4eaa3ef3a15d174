// RLP throughput on the shapes the ledger client handles: a signed type-2
// transaction with 196 bytes of call data (an ABI-encoded contract call) and
// a list of 256 32-byte strings (storage keys, hashes).
//
//   rlp_bench [--benchmark_filter=...]
#include <benchmark/benchmark.h>

#include <vector>

#include "ledger-client/rlp/rlp.h"

namespace gw::ledger {
namespace {

RlpItem sample_tx() {
  std::vector<uint8_t> to(20, 0xaa), r(32, 0x11), s(32, 0x22), data(196, 0x5c);
  return RlpItem::list({RlpItem::uint(uint64_t{31337}), RlpItem::uint(uint64_t{42}),
                        RlpItem::uint(uint64_t{1'000'000'000}),
                        RlpItem::uint(uint64_t{30'000'000'000}), RlpItem::uint(uint64_t{250'000}),
                        RlpItem::bytes(to), RlpItem(), RlpItem::bytes(data), RlpItem::list(),
                        RlpItem::uint(uint64_t{1}), RlpItem::bytes(r), RlpItem::bytes(s)});
}

RlpItem sample_hashes() {
  RlpItem l = RlpItem::list();
  for (int i = 0; i < 256; ++i) l.items().push_back(RlpItem::bytes(std::vector<uint8_t>(32, i)));
  return l;
}

void encode(benchmark::State& state, const RlpItem& item) {
  size_t bytes = rlp_encode(item).size();
  for (auto _ : state) {
    std::vector<uint8_t> out = rlp_encode(item);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes));
}

void decode(benchmark::State& state, const RlpItem& item) {
  std::vector<uint8_t> enc = rlp_encode(item);
  for (auto _ : state) {
    auto out = rlp_decode(enc);
    benchmark::DoNotOptimize(out.ok());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * enc.size()));
}

void BM_RlpEncodeTx(benchmark::State& state) { encode(state, sample_tx()); }
void BM_RlpDecodeTx(benchmark::State& state) { decode(state, sample_tx()); }
void BM_RlpEncodeHashList(benchmark::State& state) { encode(state, sample_hashes()); }
void BM_RlpDecodeHashList(benchmark::State& state) { decode(state, sample_hashes()); }
BENCHMARK(BM_RlpEncodeTx);
BENCHMARK(BM_RlpDecodeTx);
BENCHMARK(BM_RlpEncodeHashList);
BENCHMARK(BM_RlpDecodeHashList);

}  // namespace
}  // namespace gw::ledger

BENCHMARK_MAIN();
