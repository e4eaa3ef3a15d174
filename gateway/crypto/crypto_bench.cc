// Per-record cost of the working-key cryptography on the ingest path:
// one token per Patient identifier, one commitment and one seal per record,
// open() on every read, and one Merkle tree per batch.
//
//   crypto_bench [--benchmark_filter=...]
#include <benchmark/benchmark.h>

#include <array>
#include <string>
#include <utility>
#include <vector>

#include "gateway/crypto/commitment.h"
#include "gateway/crypto/merkle.h"
#include "gateway/crypto/record_cipher.h"
#include "gateway/crypto/store_keys.h"
#include "gateway/crypto/tokenizer.h"

namespace gw::crypto {
namespace {

SecretBytes bench_key() {
  std::array<uint8_t, 32> k;
  for (size_t i = 0; i < k.size(); ++i) k[i] = static_cast<uint8_t>(i * 5 + 3);
  return std::move(*SecretBytes::copy_of(k));
}

// A 1 KiB stand-in for a canonical FHIR record.
std::string json_1k() {
  std::string s = R"({"resourceType":"Observation","note":")";
  s.append(1024 - s.size() - 2, 'x');
  s += "\"}";
  return s;
}

void BM_Token(benchmark::State& state) {
  const Tokenizer t(bench_key());
  for (auto _ : state) {
    std::string tok = t.token("http://hospital.example.org/fhir/mrn", "000123456");
    benchmark::DoNotOptimize(tok);
  }
}
BENCHMARK(BM_Token);

void BM_Commit1KiB(benchmark::State& state) {
  const std::string json = json_1k();
  for (auto _ : state) {
    Commitment c = commit(json);
    benchmark::DoNotOptimize(c);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * json.size()));
}
BENCHMARK(BM_Commit1KiB);

// The keyed fingerprint every record gets (unchanged-record detection).
void BM_ContentDigest1KiB(benchmark::State& state) {
  const std::shared_ptr<const StoreKeys> keys = StoreKeys::random_for_tests();
  const std::string json = json_1k();
  for (auto _ : state) {
    Sha256Digest d = keys->content_digest(json);
    benchmark::DoNotOptimize(d);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * json.size()));
}
BENCHMARK(BM_ContentDigest1KiB);

// The identifier index key (two per identifier of every record version).
void BM_IndexKey(benchmark::State& state) {
  const std::shared_ptr<const StoreKeys> keys = StoreKeys::random_for_tests();
  const std::optional<std::string> system = "urn:oid:2.16.840.1.113883.19.5";
  for (auto _ : state) {
    std::string k = keys->index_key(system, "MRN-000123456");
    benchmark::DoNotOptimize(k);
  }
}
BENCHMARK(BM_IndexKey);

void BM_Seal1KiB(benchmark::State& state) {
  RecordCipher c;
  c.add_key(1, bench_key());
  const std::string json = json_1k();
  for (auto _ : state) {
    std::string env = c.seal(json, "Observation/0d5f4c1e-0000-4000-8000-000000000001");
    benchmark::DoNotOptimize(env);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * json.size()));
}
BENCHMARK(BM_Seal1KiB);

void BM_Open1KiB(benchmark::State& state) {
  RecordCipher c;
  c.add_key(1, bench_key());
  const std::string id = "Observation/0d5f4c1e-0000-4000-8000-000000000001";
  const std::string env = c.seal(json_1k(), id);
  for (auto _ : state) {
    auto pt = c.open(env, id);
    if (!pt.ok()) state.SkipWithError("open failed");
    benchmark::DoNotOptimize(pt);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * 1024));
}
BENCHMARK(BM_Open1KiB);

void BM_MerkleBuild(benchmark::State& state) {
  std::vector<Hash256> values(static_cast<size_t>(state.range(0)));
  for (size_t i = 0; i < values.size(); ++i) values[i] = gw::ledger::keccak256(std::to_string(i));
  for (auto _ : state) {
    auto tree = MerkleTree::build(values);
    benchmark::DoNotOptimize(tree);
  }
}
BENCHMARK(BM_MerkleBuild)->Arg(1000)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace gw::crypto

BENCHMARK_MAIN();
