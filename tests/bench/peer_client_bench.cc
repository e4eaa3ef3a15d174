// Sequential member-to-member calls over loopback, one caller: a new mutual
// TLS connection per call (max_idle = 0) against kept-alive connections
// (max_idle = 4), to a real PeerServer on 127.0.0.1 whose handler answers at
// once. The difference is the cost of a handshake (EC P-256 certificates, as
// the test PKI makes them; both ends on this machine's cores). Counters:
// `handshakes` per call, counted by the server. tests/bench.sh peering.
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>

#include "gateway/log/log.h"
#include "gateway/peering/peer_test_util.h"

namespace gw::peering::testing {
namespace {

// The server, its certificates and the client's, made once for every run.
struct Env {
  Env() {
    char tmpl[] = "/tmp/gw-peering-bench-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) std::abort();
    dir = tmpl;
    auto made = gw::testing::make_test_pki(dir, "member-b");
    if (!made.ok()) std::abort();
    pki = *made;
    server_fp = fingerprint_of(pki.server_cert);
    const Fingerprint member = fingerprint_of(pki.client_cert);
    PeerServerOptions o;
    o.host = "127.0.0.1";
    o.port = 0;
    o.cert_file = pki.server_cert;
    o.key_file = pki.server_key;
    std::vector<PeerRoute> routes;
    routes.push_back({"POST", "/transfers", [](const PeerRequest&) {
                        return PeerResponse{200, R"({"status":"stored"})"};
                      }});
    auto identify = [member](const Fingerprint& fp) -> std::optional<Account> {
      if (fp == member) return member_b();
      return std::nullopt;
    };
    if (!server.start(o, identify, std::move(routes)).ok()) std::abort();
    url = "https://127.0.0.1:" + std::to_string(server.port());
  }
  ~Env() {
    server.stop();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  std::string dir;
  gw::testing::TestPki pki;
  Fingerprint server_fp{};
  PeerServer server;
  std::string url;
};

Env& env() {
  static Env e;
  return e;
}

void BM_SequentialPosts(benchmark::State& state) {
  Env& e = env();
  PeerClientOptions o;
  o.cert_file = e.pki.client_cert;
  o.key_file = e.pki.client_key;
  o.max_idle_per_peer = static_cast<size_t>(state.range(0));
  auto client = PeerClient::create(o);
  if (!client.ok()) {
    state.SkipWithError("client setup failed");
    return;
  }
  // About the size of a small sealed transfer envelope.
  const std::string body = "{\"envelope\":\"" + std::string(4096, 'x') + "\"}";
  const uint64_t before = e.server.connections_served();
  for (auto _ : state) {
    auto r = (*client)->post(e.url, "/transfers", e.server_fp, body);
    if (!r.ok()) {
      state.SkipWithError("a call failed");
      break;
    }
  }
  state.counters["handshakes"] =
      benchmark::Counter(static_cast<double>(e.server.connections_served() - before),
                         benchmark::Counter::kAvgIterations);
}
BENCHMARK(BM_SequentialPosts)
    ->ArgName("max_idle")
    ->Arg(0)
    ->Arg(4)
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();

}  // namespace
}  // namespace gw::peering::testing

int main(int argc, char** argv) {
  // One log line per call on the server would be measured too.
  gw::log::set_level(gw::log::Level::kWarn);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
