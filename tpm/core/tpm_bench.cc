// Per-operation latency of the TPM wrapper on swtpm, and TPM commands per
// operation (the figure that carries over to a real TPM, where one command
// takes milliseconds to tens of milliseconds).
//   ./tpm_bench [--benchmark_filter=Hmac]
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <iostream>

#include "tpm/core/tpm.h"
#include "tpm/core/tpm_internal.h"
#include "tpm/testing/swtpm_process.h"

namespace gw::tpm {
namespace {

// One swtpm and one provisioned Tpm for the whole run.
struct Fixture {
  testing::TempDir dir;
  std::unique_ptr<testing::SwtpmProcess> swtpm;
  std::unique_ptr<Tpm> tpm;
  KeyBlob hmac_key, sealed, sealed_pcr, signer;
  const PcrSelection pcrs{"sha256", {16}};

  Fixture() {
    auto started = testing::SwtpmProcess::start(dir.path() + "/tpm");
    if (!started.ok()) fail(started.error().message());
    swtpm = std::move(*started);
    TpmOptions options;
    options.tcti = swtpm->tcti();
    auto opened = Tpm::open(options);
    if (!opened.ok()) fail(opened.error().message());
    tpm = std::move(*opened);
    if (auto info = tpm->ensure_primary(); !info.ok()) fail(info.error().message());
    const std::vector<uint8_t> key(32, 0x5a), secret(32, 0xa5);
    auto h = tpm->create_hmac_key(key);
    if (!h.ok()) fail(h.error().message());
    auto s = tpm->seal(secret, {});
    if (!s.ok()) fail(s.error().message());
    auto sp = tpm->seal(secret, pcrs);
    if (!sp.ok()) fail(sp.error().message());
    auto k = tpm->create_signing_key(Tpm::SigningKind::kGeneral);
    if (!k.ok()) fail(k.error().message());
    hmac_key = *h;
    sealed = *s;
    sealed_pcr = *sp;
    signer = *k;
  }
  [[noreturn]] static void fail(const std::string& error) {
    std::cerr << "tpm_bench setup failed: " << error << "\n";
    std::exit(1);
  }
};

Fixture& fx() {
  static Fixture* f = new Fixture();  // leaked: swtpm dies with the process (PDEATHSIG)
  return *f;
}

// Runs op per iteration and reports TPM commands per operation.
template <class Op>
void run(benchmark::State& state, Op op) {
  Tpm& tpm = *fx().tpm;
  const uint64_t before = tpm.commands_sent();
  for (auto _ : state) {
    if (Status st = op(tpm); !st.ok()) {
      state.SkipWithError(st.message().c_str());
      break;
    }
  }
  state.counters["tpm_cmds"] = benchmark::Counter(static_cast<double>(tpm.commands_sent() - before),
                                                  benchmark::Counter::kAvgIterations);
}

void BM_EnsurePrimaryExisting(benchmark::State& state) {
  run(state, [](Tpm& tpm) { return tpm.ensure_primary().status(); });
}

// Provisioning from scratch: the persistent primary is evicted (untimed)
// before each creation.
void BM_EnsurePrimaryCreate(benchmark::State& state) {
  Tpm& tpm = *fx().tpm;
  uint64_t sent = 0;
  for (auto _ : state) {
    state.PauseTiming();
    {
      internal::TpmState& s = internal::state(tpm);
      std::lock_guard<std::mutex> lock(s.mu);
      ESYS_TR gone = ESYS_TR_NONE;
      if (Esys_EvictControl(s.esys, ESYS_TR_RH_OWNER, s.primary, ESYS_TR_PASSWORD, ESYS_TR_NONE,
                            ESYS_TR_NONE, s.options.primary_handle, &gone) != TSS2_RC_SUCCESS) {
        state.SkipWithError("evicting the primary failed");
        break;
      }
      Esys_TR_Close(s.esys, &s.primary);  // ESYS keeps the stale handle otherwise
    }
    const uint64_t before = tpm.commands_sent();
    state.ResumeTiming();
    auto info = tpm.ensure_primary();
    if (!info.ok() || !info->created) {
      state.SkipWithError(info.ok() ? "the primary was not created"
                                    : info.error().message().c_str());
      break;
    }
    sent += tpm.commands_sent() - before;
  }
  state.counters["tpm_cmds"] =
      benchmark::Counter(static_cast<double>(sent), benchmark::Counter::kAvgIterations);
}

void BM_CreateHmacKeyImported(benchmark::State& state) {
  const std::vector<uint8_t> key(32, 0x11);
  run(state, [&](Tpm& tpm) { return tpm.create_hmac_key(key).status(); });
}

void BM_Hmac(benchmark::State& state) {
  const std::vector<uint8_t> data(static_cast<size_t>(state.range(0)), 0x42);
  run(state, [&](Tpm& tpm) { return tpm.hmac(fx().hmac_key, data).status(); });
}

void BM_Seal(benchmark::State& state) {
  const std::vector<uint8_t> secret(32, 0x22);
  run(state, [&](Tpm& tpm) { return tpm.seal(secret, {}).status(); });
}

void BM_SealPcr(benchmark::State& state) {
  const std::vector<uint8_t> secret(32, 0x22);
  run(state, [&](Tpm& tpm) { return tpm.seal(secret, fx().pcrs).status(); });
}

void BM_Unseal(benchmark::State& state) {
  run(state, [](Tpm& tpm) { return tpm.unseal(fx().sealed, {}).status(); });
}

void BM_UnsealPcr(benchmark::State& state) {
  run(state, [](Tpm& tpm) { return tpm.unseal(fx().sealed_pcr, fx().pcrs).status(); });
}

void BM_CreateSigningKey(benchmark::State& state) {
  run(state, [](Tpm& tpm) { return tpm.create_signing_key(Tpm::SigningKind::kGeneral).status(); });
}

void BM_SignDigest(benchmark::State& state) {
  const std::array<uint8_t, 32> digest{};
  run(state, [&](Tpm& tpm) { return tpm.sign_digest(fx().signer, digest).status(); });
}

BENCHMARK(BM_EnsurePrimaryExisting)->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_EnsurePrimaryCreate)->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_CreateHmacKeyImported)->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Hmac)->Arg(32)->Arg(4096)->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Seal)->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_SealPcr)->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Unseal)->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_UnsealPcr)->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_CreateSigningKey)->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_SignDigest)->UseRealTime()->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace gw::tpm

BENCHMARK_MAIN();
