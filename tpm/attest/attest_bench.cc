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
    std::string error;
    swtpm = testing::SwtpmProcess::start(dir.path() + "/tpm", &error);
    if (swtpm) {
      TpmOptions options;
      options.tcti = swtpm->tcti();
      tpm = Tpm::open(options, &error);
    }
    if (!tpm || !tpm->ensure_primary(&error)) fail(error);
    auto k = tpm->create_signing_key(Tpm::SigningKind::kAttestation, &error);
    if (!k) fail(error);
    ak = *k;
    auto pem = tpm->public_key_pem(ak, &error);
    auto name = tpm->object_name(ak, &error);
    auto ek = endorsement_key(*tpm, &error);
    if (!pem || !name || !ek || !write_endorsement_files(*ek, dir.path(), &error)) fail(error);
    ak_pem = *pem;
    const std::vector<uint8_t> secret(32, 0x33);
    if (!attest::write_file(dir.path() + "/secret.bin", secret, &error)) fail(error);
    const std::string cmd = "tpm2_makecredential -T none -u " + dir.path() + "/ek.pub -s " +
                            dir.path() + "/secret.bin -n " + attest::to_hex(*name) + " -o " +
                            dir.path() + "/cred.blob >/dev/null 2>&1";
    if (std::system(cmd.c_str()) != 0) fail("tpm2_makecredential failed (is tpm2-tools there?)");
    if (!attest::read_file(dir.path() + "/cred.blob", 4096, &credential, &error)) fail(error);
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
  std::string error;
  for (auto _ : state) {
    if (!op(tpm, &error)) {
      state.SkipWithError(error.c_str());
      break;
    }
  }
  state.counters["tpm_cmds"] = benchmark::Counter(static_cast<double>(tpm.commands_sent() - before),
                                                  benchmark::Counter::kAvgIterations);
}

void BM_Quote(benchmark::State& state) {
  run(state, [](Tpm& tpm, std::string* e) {
    return quote(tpm, fx().ak, fx().pcrs, fx().qualifying, e).has_value();
  });
}

void BM_VerifyQuote(benchmark::State& state) {
  std::string error;
  auto q = quote(*fx().tpm, fx().ak, fx().pcrs, fx().qualifying, &error);
  if (!q) {
    state.SkipWithError(error.c_str());
    return;
  }
  for (auto _ : state) {
    if (verify_quote(*q, fx().ak_pem, fx().qualifying)) {
      state.SkipWithError("verify_quote refused a good quote");
      break;
    }
  }
}

void BM_EndorsementKey(benchmark::State& state) {
  // 0: kAuto (ECC P-256 on swtpm), 1: RSA-2048.
  const EkAlgorithm alg = state.range(0) == 0 ? EkAlgorithm::kAuto : EkAlgorithm::kRsa;
  run(state, [alg](Tpm& tpm, std::string* e) { return endorsement_key(tpm, e, alg).has_value(); });
}

void BM_ActivateCredential(benchmark::State& state) {
  run(state, [](Tpm& tpm, std::string* e) {
    return activate_credential(tpm, fx().ak, fx().credential, e).has_value();
  });
}

BENCHMARK(BM_Quote)->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_VerifyQuote)->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_EndorsementKey)->Arg(0)->Arg(1)->UseRealTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_ActivateCredential)->UseRealTime()->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace gw::tpm

BENCHMARK_MAIN();
