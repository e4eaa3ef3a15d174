// ConsortiumView::check, the consent check on the transfer path (aim: at
// most 10 µs). The view is loaded from a file holding 100,000 grants over
// 50,000 patients, as gatewayd loads it at start; no node is needed (no pass
// runs). Google Benchmark prints ns per check: a grant found, a patient with
// no grant for that member (the consent key is then computed: one keccak),
// and the found case from two threads at once (the shared lock).
#include <benchmark/benchmark.h>

#include <cstdio>
#include <memory>
#include <random>
#include <vector>

#include "gateway/consortium/consortium_view.h"
#include "gateway/consortium/view_store.h"
#include "ledger-client/testing/anvil_process.h"

namespace gw::consortium {
namespace {

constexpr size_t kPatients = 50'000;
constexpr uint64_t kNow = 1'800'000'000;

Hash256 token(size_t i) {
  Hash256 t{};
  std::mt19937_64 r(i);  // tokens are HMACs: spread like random bytes
  for (auto& b : t) b = static_cast<uint8_t>(r());
  return t;
}
Address member(int i) {
  Address a{};
  a.fill(static_cast<uint8_t>(0x40 + i));
  return a;
}

struct Fixture {
  ledger::testing::TempDir dir;
  std::unique_ptr<ConsortiumView> view;

  Fixture() {
    ViewIdentity id;
    id.chain_id = 31337;
    id.scope.self = member(0);
    const std::string path = dir.path() + "/view.sqlite";
    bool reset = false;
    auto store = ViewStore::open(path, id, &reset);
    if (!store) die(store.error().message());
    ViewDelta d;
    for (int m = 0; m < 3; ++m) {
      MemberEntry e;
      e.info.account = member(m);
      e.info.org_id = "org-" + std::to_string(m);
      e.info.tls_fingerprint.fill(static_cast<uint8_t>(m + 1));
      e.status = ledger::consortium::MemberStatus::kActive;
      d.members[member(m)] = e;
    }
    for (size_t i = 0; i < kPatients; ++i) {
      d.patients[token(i)] = PatientEntry{member(0), {}, 0, 1};
      for (int grantee : {1, 2}) {
        GrantEntry g;
        g.patient_token = token(i);
        g.grantee = member(grantee);
        g.purpose = 0;
        g.consent_key = ledger::consortium::consent_key(g.patient_token, g.grantee,
                                                        ledger::consortium::Purpose::kTreat);
        g.categories = 0xff;
        g.valid_until = ledger::consortium::kOpenEnded;
        g.version = 1;
        g.flags = kGrantGranted;
        d.grants[GrantId{g.patient_token, g.grantee, 0}] = g;
      }
    }
    if (Status s = (*store)->commit(d, ViewCursor{true, 1, {}}); !s.ok()) die(s.message());
    store->reset();
    ConsortiumViewOptions o;
    o.path = path;
    o.rpc.url = "http://127.0.0.1:9";  // never called: no pass runs
    o.identity = id;
    auto v = ConsortiumView::open(o);
    if (!v) die(v.error().message());
    view = std::move(*v);
  }
  [[noreturn]] static void die(const std::string& m) {
    std::fprintf(stderr, "consortium_view_bench: %s\n", m.c_str());
    std::exit(1);
  }
};

Fixture& fixture() {
  static Fixture f;
  return f;
}

void BM_CheckGranted(benchmark::State& state) {
  Fixture& f = fixture();
  std::vector<Hash256> tokens;
  for (size_t i = 0; i < 1024; ++i) tokens.push_back(token(i * 48 % kPatients));
  size_t i = state.thread_index();
  for (auto _ : state) {
    CheckResult r = f.view->check(tokens[i++ & 1023], member(1), 0, kNow);
    if (r.decision != ledger::consortium::Decision::kPermit) state.SkipWithError("not permitted");
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_CheckGranted);
BENCHMARK(BM_CheckGranted)->Threads(2);

void BM_CheckNoGrant(benchmark::State& state) {
  Fixture& f = fixture();
  std::vector<Hash256> tokens;
  for (size_t i = 0; i < 1024; ++i) tokens.push_back(token(i * 48 % kPatients));
  size_t i = 0;
  for (auto _ : state) {
    CheckResult r = f.view->check(tokens[i++ & 1023], member(2), 4, kNow);
    if (r.decision != ledger::consortium::Decision::kNoConsent) state.SkipWithError("wrong");
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_CheckNoGrant);

}  // namespace
}  // namespace gw::consortium

BENCHMARK_MAIN();
