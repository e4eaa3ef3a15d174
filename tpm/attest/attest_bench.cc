// Per-operation latency of attestation on swtpm, and TPM commands per
// operation (what carries over to a real TPM).
//   ./attest_bench [--benchmark_filter=Quote]
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "tpm/attest/attest_internal.h"
#include "tpm/attest/endorsement.h"
#include "tpm/attest/quote.h"
#include "tpm/testing/swtpm_process.h"

namespace gw::tpm {
namespace {

// One swtpm, a provisioned Tpm, an AK, and a credential for it made with
// tpm2_makecredential, for the whole run.
struct Fixture {
  testing::TempDir dir;
  std::unique_ptr<testing::SwtpmProcess> swtpm;
  std::unique_ptr<Tpm> tpm;
  KeyBlob ak;
  std::string ak_pem;
  std::vector<uint8_t> credential;
  const PcrSelection pcrs{"sha256", {0, 1, 2, 3, 4, 5, 6, 7}};
  const std::vector<uint8_t> qualifying = std::vector<uint8_t>(32, 0x5a);

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
    auto k = tpm->create_signing_key(Tpm::SigningKind::kAttestation);
    if (!k.ok()) fail(k.error().message());
    ak = *k;
    auto pem = tpm->public_key_pem(ak);
    if (!pem.ok()) fail(pem.error().message());
    auto name = tpm->object_name(ak);
    if (!name.ok()) fail(name.error().message());
    auto ek = endorsement_key(*tpm);
    if (!ek.ok()) fail(ek.error().message());
    if (Status s = write_endorsement_files(*ek, dir.path()); !s.ok()) fail(s.message());
    ak_pem = *pem;
    const std::vector<uint8_t> secret(32, 0x33);
    if (Status s = attest::write_file(dir.path() + "/secret.bin", secret); !s.ok()) {
      fail(s.message());
    }
    const std::string cmd = "tpm2_makecredential -T none -u " + dir.path() + "/ek.pub -s " +
                            dir.path() + "/secret.bin -n " + attest::to_hex(*name) + " -o " +
                            dir.path() + "/cred.blob >/dev/null 2>&1";
    if (std::system(cmd.c_str()) != 0) fail("tpm2_makecredential failed (is tpm2-tools there?)");
    if (Status s = attest::read_file(dir.path() + "/cred.blob", 4096, &credential); !s.ok()) {
      fail(s.message());
    }
  }
  [[noreturn]] static void fail(const std::string& error) {
    std::cerr << "attest_bench setup failed: " << error << "\n";
    std::exit(1);
  }
};

Fixture& fx() {
  static Fixture* f = new Fixture();  // leaked: swtpm dies with the process (PDEATHSIG)
  return *f;
}

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

void BM_Quote(benchmark::State& state) {
  run(state, [](Tpm& tpm) { return quote(tpm, fx().ak, fx().pcrs, fx().qualifying).status(); });
}

void BM_VerifyQuote(benchmark::State& state) {
  auto q = quote(*fx().tpm, fx().ak, fx().pcrs, fx().qualifying);
  if (!q.ok()) {
    state.SkipWithError(q.error().message().c_str());
    return;
  }
  for (auto _ : state) {
    if (!verify_quote(*q, fx().ak_pem, fx().qualifying).ok()) {
      state.SkipWithError("verify_quote refused a good quote");
      break;
    }
  }
}

void BM_EndorsementKey(benchmark::State& state) {
  // 0: kAuto (ECC P-256 on swtpm), 1: RSA-2048.
  const EkAlgorithm alg = state.range(0) == 0 ? EkAlgorithm::kAuto : EkAlgorithm::kRsa;
  run(state, [alg](Tpm& tpm) { return endorsement_key(tpm, alg).status(); });
}

void BM_ActivateCredential(benchmark::State& state) {
  run(state, [](Tpm& tpm) { return activate_credential(tpm, fx().ak, fx().credential).status(); });
}

BENCHMARK(BM_Quote)->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_VerifyQuote)->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_EndorsementKey)->Arg(0)->Arg(1)->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_ActivateCredential)->UseRealTime()->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace gw::tpm

BENCHMARK_MAIN();
