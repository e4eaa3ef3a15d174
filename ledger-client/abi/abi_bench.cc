// ABI throughput: encoding a typical contract call (transfer(address,uint256)
// and a record-anchoring call with a bytes32[] and a string), decoding the
// latter's arguments (as return data or event data would be), and decoding
// revert data.
//
//   abi_bench [--benchmark_filter=...]
#include <benchmark/benchmark.h>

#include <vector>

#include "ledger-client/abi/abi_codec.h"
#include "ledger-client/abi/abi_event.h"

namespace gw::ledger {
namespace {

const AbiSignature& anchor_sig() {
  static const AbiSignature sig =
      *parse_function_signature("anchor((uint256,bytes32[],string) batch, address by)");
  return sig;
}

std::vector<AbiValue> anchor_args() {
  AbiValue::List leaves;
  for (int i = 0; i < 16; ++i) leaves.push_back(AbiValue::bytes(std::vector<uint8_t>(32, i)));
  Address by{};
  by[19] = 9;
  return {AbiValue::list({AbiValue::uint(uint64_t{77}), AbiValue::list(std::move(leaves)),
                          AbiValue::string(std::string(200, 'n'))}),
          AbiValue::address(by)};
}

void BM_AbiEncodeTransferCall(benchmark::State& state) {
  auto sig = *parse_function_signature("transfer(address,uint256)");
  std::vector<AbiValue> args = {AbiValue::address(Address{}), AbiValue::uint(uint64_t{1000})};
  for (auto _ : state) {
    auto call = encode_call(sig, args);
    benchmark::DoNotOptimize(call.ok());
  }
}
BENCHMARK(BM_AbiEncodeTransferCall);

void BM_AbiEncodeAnchorCall(benchmark::State& state) {
  auto args = anchor_args();
  size_t bytes = encode_call(anchor_sig(), args)->size();
  for (auto _ : state) {
    auto call = encode_call(anchor_sig(), args);
    benchmark::DoNotOptimize(call.ok());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes));
}
BENCHMARK(BM_AbiEncodeAnchorCall);

void BM_AbiDecodeAnchorArgs(benchmark::State& state) {
  std::vector<AbiType> types = anchor_sig().types();
  auto data = *abi_encode(types, anchor_args());
  for (auto _ : state) {
    auto v = abi_decode(types, data);
    benchmark::DoNotOptimize(v.ok());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * data.size()));
}
BENCHMARK(BM_AbiDecodeAnchorArgs);

void BM_AbiDecodeRevertError(benchmark::State& state) {
  std::vector<AbiType> t = {AbiType::string()};
  auto body = *abi_encode(t, std::vector{AbiValue::string("Not enough Ether provided.")});
  std::vector<uint8_t> data(kErrorSelector.begin(), kErrorSelector.end());
  data.insert(data.end(), body.begin(), body.end());
  for (auto _ : state) {
    RevertReason r = decode_revert(data);
    benchmark::DoNotOptimize(r.kind);
  }
}
BENCHMARK(BM_AbiDecodeRevertError);

}  // namespace
}  // namespace gw::ledger

BENCHMARK_MAIN();
