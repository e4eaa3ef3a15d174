// Transaction costs per operation: sign + encode (the gateway's per-record
// ledger write), decode, and sender recovery, for a type-2 contract call with
// 196 bytes of call data and for a legacy EIP-155 transfer.
//
//   tx_bench [--benchmark_filter=...]
#include <benchmark/benchmark.h>

#include <vector>

#include "ledger-client/tx/transaction.h"

namespace gw::ledger {
namespace {

std::array<uint8_t, 32> bench_key() {
  std::array<uint8_t, 32> k;
  k.fill(0x46);
  return k;
}

Eip1559Tx sample_call() {
  Eip1559Tx tx;
  tx.chain_id = 31337;
  tx.nonce = 42;
  tx.max_priority_fee_per_gas = Uint256::from_u64(1'000'000'000);
  tx.max_fee_per_gas = Uint256::from_u64(30'000'000'000);
  tx.gas_limit = 250'000;
  tx.to = Address{};
  tx.data = std::vector<uint8_t>(196, 0x5c);
  return tx;
}

void BM_SignEncodeEip1559(benchmark::State& state) {
  Eip1559Tx tx = sample_call();
  auto key = bench_key();
  for (auto _ : state) {
    tx.nonce++;  // a different digest each time, as in real use
    auto raw = sign(tx, key);
    benchmark::DoNotOptimize(raw.ok());
  }
}
BENCHMARK(BM_SignEncodeEip1559);

void BM_SignEncodeLegacy(benchmark::State& state) {
  LegacyTx tx;
  tx.gas_price = Uint256::from_u64(20'000'000'000);
  tx.gas_limit = 21000;
  tx.to = Address{};
  tx.value = Uint256::from_u64(1);
  tx.chain_id = 1;
  auto key = bench_key();
  for (auto _ : state) {
    tx.nonce++;
    auto raw = sign(tx, key);
    benchmark::DoNotOptimize(raw.ok());
  }
}
BENCHMARK(BM_SignEncodeLegacy);

void BM_EncodeUnsignedEip1559(benchmark::State& state) {
  Eip1559Tx tx = sample_call();
  for (auto _ : state) {
    Hash256 h = signing_hash(tx);
    benchmark::DoNotOptimize(h);
  }
}
BENCHMARK(BM_EncodeUnsignedEip1559);

void BM_DecodeRawEip1559(benchmark::State& state) {
  auto raw = *sign(sample_call(), bench_key());
  for (auto _ : state) {
    auto d = decode_raw(raw);
    benchmark::DoNotOptimize(d.ok());
  }
}
BENCHMARK(BM_DecodeRawEip1559);

void BM_RecoverSenderEip1559(benchmark::State& state) {
  auto raw = *sign(sample_call(), bench_key());
  for (auto _ : state) {
    auto a = recover_sender(raw);
    benchmark::DoNotOptimize(a.ok());
  }
}
BENCHMARK(BM_RecoverSenderEip1559);

}  // namespace
}  // namespace gw::ledger

BENCHMARK_MAIN();
