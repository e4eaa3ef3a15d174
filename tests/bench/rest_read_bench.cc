// What access control and the audit trail cost a FHIR read. One process: a
// real MessageStore (SQLite, synchronous FULL, in a temp dir on disk) loaded
// with P Patients and P*K Observations through the API, then the same
// workload -- N client threads, each with its own kept-alive HTTPS
// connection, GET /Observation/{random id} for S seconds -- against a real
// FhirRestServer in three configurations, run one after another for each N:
//   before  allow_anonymous, no audit log (reads as they were before access
//           control; the policy check still runs)
//   mtls    a client matched by its certificate, audit log (synchronous FULL)
//   token   a client with a Bearer token from TokenStore::issue, audit log
// Then one client against `before` and both others with the audit log on
// tmpfs (/dev/shm), R rounds: the per-read cost of authorization + audit
// without the fsync, as wall time and as process CPU (the median of the
// rounds' differences); and in-process timers of the pieces (caller
// identification, one audit append on tmpfs and on disk).
// The server has max(16, N) workers: a kept-alive connection holds a worker
// for its whole life, so with fewer workers than clients some would wait.
// Figures on stderr as text, on stdout as one JSON object.
// tests/bench.sh rest [--seconds S] [--clients 1,4,16,64] [--patients P]
//                     [--micro-rounds R] [--micro-seconds S]
#include <Poco/Net/NetSSL.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <random>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "gateway/auth/jose_test_support.h"
#include "gateway/base/clock.h"
#include "gateway/log/log.h"
#include "gateway/rest/caller.h"
#include "gateway/rest/patient_tokens.h"
#include "gateway/rest/rest_server.h"
#include "gateway/store/store_bench_util.h"
#include "tests/bench/rest_read_bench_util.h"
#include "tests/support/test_certs.h"

namespace gw::rest::bench {
namespace {

using Clock = std::chrono::steady_clock;

struct Args {
  double seconds = 5;
  std::vector<int> clients = {1, 4, 16, 64};
  int patients = 2000;
  int observations = 10;  // per patient
  int micro_rounds = 3;
  double micro_seconds = 3;
};

enum class Mode { kBefore, kMtls, kToken };
const char* mode_name(Mode m) {
  return m == Mode::kBefore ? "before" : m == Mode::kMtls ? "mtls" : "token";
}

class Bench {
 public:
  explicit Bench(Args args) : args_(std::move(args)) {}
  ~Bench() {
    std::error_code ec;
    for (const auto& d : {disk_dir_, shm_dir_}) {
      if (!d.empty()) std::filesystem::remove_all(d, ec);
    }
  }

  void set_up();
  void load();
  RunResult run(Mode mode, bool audit_on_shm, int clients, double seconds);
  void components(std::string* json);

 private:
  std::shared_ptr<audit::AuditLog> audit_for(Mode mode, bool shm) const {
    if (mode == Mode::kBefore) return nullptr;
    return shm ? audit_shm_ : audit_disk_;
  }

  Args args_;
  std::filesystem::path disk_dir_, shm_dir_;
  gw::testing::TestPki pki_;
  std::unique_ptr<store::MessageStore> store_;
  std::shared_ptr<const auth::ClientRegistry> clients_;
  std::shared_ptr<auth::TokenStore> tokens_;
  // One log per medium, shared by mtls and token (as gatewayd has one).
  std::shared_ptr<audit::AuditLog> audit_disk_, audit_shm_;
  Poco::Net::Context::Ptr anonymous_ctx_, mtls_ctx_;
};

void Bench::set_up() {
  disk_dir_ = store::bench::make_temp_dir(std::filesystem::temp_directory_path(), "gw-rest-bench-");
  shm_dir_ = store::bench::make_temp_dir("/dev/shm", "gw-rest-bench-");
  if (disk_dir_.empty() || shm_dir_.empty()) die("cannot make the temp directories");
  pki_ = must(gw::testing::make_test_pki(disk_dir_.string(), "bench-client"), "test PKI");
  store::StoreOptions so;
  so.path = (disk_dir_ / "messages.db").string();
  so.keys = crypto::StoreKeys::random_for_tests();
  store_ = must(store::MessageStore::open(so), "message store");

  const std::vector<std::string> scopes = {"system/Patient.rs", "system/Observation.rs"};
  auth::RegisteredClient mtls;
  mtls.name = "bench-mtls";
  mtls.cert_subject = "CN=bench-client,O=gateway tests";
  mtls.grant = must(auth::make_client_grant(scopes, {}), "grant");
  auth::RegisteredClient token;
  token.name = "bench-token";
  token.grant = mtls.grant;
  const auto key = auth::testing::TestKey::generate(auth::JwsAlg::kES384, "k1");
  token.jwks = must(auth::Jwks::parse(auth::testing::jwks_of({key.public_jwk()})), "JWKS");
  clients_ = std::make_shared<const auth::ClientRegistry>(std::vector{mtls, token});
  // Tokens outlive the longest run (--seconds is at most 600).
  auth::TokenStore::Options token_options;
  token_options.lifetime_s = 3600;
  tokens_ = must(auth::TokenStore::open(disk_dir_ / "auth.db", token_options), "token store");
  audit_disk_ = must(audit::AuditLog::open((disk_dir_ / "audit.db").string(),
                                           audit::AuditKeys::random_for_tests()),
                     "audit log");
  audit_shm_ = must(
      audit::AuditLog::open((shm_dir_ / "audit.db").string(), audit::AuditKeys::random_for_tests()),
      "audit log on tmpfs");
  anonymous_ctx_ = client_context(pki_.ca_cert, "", "");
  mtls_ctx_ = client_context(pki_.ca_cert, pki_.client_cert, pki_.client_key);
}

RestOptions server_options(const gw::testing::TestPki& pki, int threads) {
  RestOptions o;
  o.cert_file = pki.server_cert;
  o.key_file = pki.server_key;
  o.threads = threads;
  o.max_queued = 256;
  return o;
}

// Writes the patients, each with its observations in one transaction, from
// 4 connections (group commit), through a `before` server.
void Bench::load() {
  const auto t0 = Clock::now();
  FhirRestServer server(
      [&] {
        RestOptions o = server_options(pki_, 4);
        o.allow_anonymous = true;
        return o;
      }(),
      store_.get());
  if (Status s = server.start(); !s.ok()) die("server: " + s.message());
  std::atomic<int> next{0};
  std::atomic<bool> failed{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      Connection c(anonymous_ctx_, server.port(), "");
      for (int p = next++; p < args_.patients && !failed; p = next++) {
        const Reply r = c.call("POST", "/", patient_bundle(p, args_.observations));
        if (r.status != 200) {
          std::fprintf(stderr, "load: status %d: %.300s\n", r.status, r.body.c_str());
          failed = true;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  server.stop();
  if (failed) die("loading failed");
  const int64_t expected = int64_t{args_.patients} * (1 + args_.observations);
  if (store_->count_records() != expected) die("the store does not hold every record");
  // The audit entries of reads name the patient by token: check there is one.
  if (!PatientTokens(store_.get()).token_of("p-0")) die("the patients have no token");
  std::fprintf(stderr, "loaded %d Patients, %d Observations in %.1f s\n", args_.patients,
               args_.patients * args_.observations,
               std::chrono::duration<double>(Clock::now() - t0).count());
}

RunResult Bench::run(Mode mode, bool audit_on_shm, int clients, double seconds) {
  RestOptions o = server_options(pki_, std::max(16, clients));
  o.allow_anonymous = mode == Mode::kBefore;
  if (mode == Mode::kMtls) o.client_ca_file = pki_.ca_cert;
  if (mode != Mode::kBefore) o.clients = clients_;
  if (mode == Mode::kToken) o.tokens = tokens_;
  o.audit = audit_for(mode, audit_on_shm);
  FhirRestServer server(o, store_.get());
  if (Status s = server.start(); !s.ok()) die("server: " + s.message());
  const Poco::Net::Context::Ptr ctx = mode == Mode::kMtls ? mtls_ctx_ : anonymous_ctx_;

  std::atomic<int> ready{0};
  std::atomic<bool> go{false}, stop{false}, failed{false};
  std::vector<std::vector<uint32_t>> latencies(static_cast<size_t>(clients));
  std::vector<int64_t> errors(static_cast<size_t>(clients), 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < clients; ++t) {
    std::string bearer;
    if (mode == Mode::kToken) {
      // One token per client thread, as separate clients would hold.
      bearer =
          must(tokens_->issue("bench-token", "system/Observation.rs", now_ms() / 1000), "token")
              .access_token;
    }
    threads.emplace_back([&, t, bearer] {
      std::mt19937_64 rng(static_cast<uint64_t>(t) * 7919 + 1);
      std::uniform_int_distribution<int> pick(0, args_.patients * args_.observations - 1);
      auto target = [&] {
        const int i = pick(rng);
        return "/Observation/" + observation_id(i / args_.observations, i % args_.observations);
      };
      Connection c(ctx, server.port(), bearer);
      // The handshake (and a first read) before the clock starts.
      const Reply first = c.call("GET", target(), "");
      if (first.status != 200) {
        std::fprintf(stderr, "%s: status %d: %.300s\n", mode_name(mode), first.status,
                     first.body.c_str());
        failed = true;
      }
      ++ready;
      while (!go) std::this_thread::yield();
      auto& lat = latencies[static_cast<size_t>(t)];
      lat.reserve(65536);
      while (!stop && !failed) {
        const auto t0 = Clock::now();
        const Reply r = c.call("GET", target(), "");
        const auto t1 = Clock::now();
        if (r.status != 200) {
          ++errors[static_cast<size_t>(t)];
          continue;
        }
        lat.push_back(static_cast<uint32_t>(
            std::chrono::duration_cast<std::chrono::microseconds>(t1 - t0).count()));
      }
    });
  }
  while (ready < clients) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  const audit::AuditLogStats stats0 = o.audit ? o.audit->stats() : audit::AuditLogStats{};
  const double cpu0 = process_cpu_s();
  const auto t0 = Clock::now();
  go = true;
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& t : threads) t.join();
  const auto t1 = Clock::now();
  const double cpu1 = process_cpu_s();
  const audit::AuditLogStats stats1 = o.audit ? o.audit->stats() : audit::AuditLogStats{};
  server.stop();
  if (failed) die(std::string(mode_name(mode)) + ": a first read failed");

  RunResult r;
  std::vector<uint32_t> all;
  for (size_t t = 0; t < latencies.size(); ++t) {
    all.insert(all.end(), latencies[t].begin(), latencies[t].end());
    r.errors += errors[t];
  }
  r.reads = static_cast<int64_t>(all.size());
  r.seconds = std::chrono::duration<double>(t1 - t0).count();
  r.reads_per_s = static_cast<double>(r.reads) / r.seconds;
  r.p50_us = percentile(&all, 0.50);
  r.p99_us = percentile(&all, 0.99);
  double sum = 0;
  for (uint32_t v : all) sum += v;
  r.mean_us = all.empty() ? 0 : sum / static_cast<double>(all.size());
  r.cpu_us_per_read = r.reads == 0 ? 0 : (cpu1 - cpu0) * 1e6 / static_cast<double>(r.reads);
  r.appends = stats1.appends - stats0.appends;
  r.commits = stats1.commits - stats0.commits;
  return r;
}

// The pieces, timed in this thread without HTTP: what identifying a caller
// costs (a certificate match; a Bearer token, whose lookup is a SQLite
// query), and one read's audit append alone, on tmpfs and on disk.
void Bench::components(std::string* json) {
  CallerIdentifier id(clients_, tokens_, false);
  const std::string bearer =
      "Bearer " +
      must(tokens_->issue("bench-token", "system/Observation.rs", now_ms() / 1000), "token")
          .access_token;
  TlsIdentity tls;
  tls.present = true;
  tls.subject = "CN=bench-client,O=gateway tests";
  tls.sha256 = std::string(64, 'a');
  auto per_call_us = [](int n, auto&& f) {
    const auto t0 = Clock::now();
    for (int i = 0; i < n; ++i) f(i);
    return std::chrono::duration<double, std::micro>(Clock::now() - t0).count() / n;
  };
  const int64_t now_s = now_ms() / 1000;
  const double mtls_us = per_call_us(200000, [&](int) {
    if (id.identify(tls, "", now_s).client.empty()) die("certificate not matched");
  });
  const double token_us = per_call_us(20000, [&](int) {
    if (id.identify({}, bearer, now_s).client.empty()) die("token not accepted");
  });
  audit::AuditEntry e;
  e.actor = audit::Actor{audit::ActorKind::kClient, "bench-mtls"};
  e.source = "127.0.0.1:50000";
  e.action = audit::Action::kRead;
  e.resource_type = "Observation";
  e.resource_id = observation_id(1, 2);
  e.patient = audit::PatientToken{};
  e.outcome.http_status = 200;
  auto append_us = [&](audit::AuditLog* log, int n) {
    return per_call_us(n, [&](int) {
      e.time_ms = now_ms();
      if (!log->append_all(std::span(&e, 1)).ok()) die("audit append failed");
    });
  };
  const double shm_us = append_us(audit_shm_.get(), 5000);
  const double disk_us = append_us(audit_disk_.get(), 500);
  std::fprintf(stderr,
               "pieces, one thread: identify by certificate %.2f us, by Bearer token %.1f us; "
               "one audit append (one entry, one commit) %.1f us on tmpfs, %.0f us on disk\n",
               mtls_us, token_us, shm_us, disk_us);
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "{\"identify_certificate_us\":%.3f,\"identify_bearer_us\":%.2f,"
                "\"audit_append_tmpfs_us\":%.2f,\"audit_append_disk_us\":%.1f}",
                mtls_us, token_us, shm_us, disk_us);
  *json = buf;
}

int bench_main(const Args& args) {
  Bench b(args);
  b.set_up();
  b.load();
  std::string runs, ratios;
  int64_t errors = 0;
  for (int n : args.clients) {
    RunResult before;
    for (Mode m : {Mode::kBefore, Mode::kMtls, Mode::kToken}) {
      const RunResult r = b.run(m, false, n, args.seconds);
      errors += r.errors;
      print_run(mode_name(m), false, n, r, m == Mode::kBefore ? nullptr : &before);
      if (m == Mode::kBefore) before = r;
      if (!runs.empty()) runs += ",";
      runs += run_json(mode_name(m), false, n, r);
      if (m != Mode::kBefore) {
        char buf[128];
        std::snprintf(buf, sizeof buf, "%s{\"clients\":%d,\"config\":\"%s\",\"ratio\":%.3f}",
                      ratios.empty() ? "" : ",", n, mode_name(m),
                      before.reads_per_s > 0 ? r.reads_per_s / before.reads_per_s : 0.0);
        ratios += buf;
      }
    }
  }
  // The cost per read without the fsync: one client, the audit log on tmpfs,
  // `micro_rounds` rounds of before / mtls / token one after another (so the
  // machine's load falls on all three alike); the median difference.
  std::string micro, cost;
  std::vector<double> wall[2], cpu[2];
  for (int round = 0; round < args.micro_rounds; ++round) {
    RunResult before;
    for (Mode m : {Mode::kBefore, Mode::kMtls, Mode::kToken}) {
      const RunResult r = b.run(m, true, 1, args.micro_seconds);
      errors += r.errors;
      print_run(mode_name(m), m != Mode::kBefore, 1, r, m == Mode::kBefore ? nullptr : &before);
      if (m == Mode::kBefore) {
        before = r;
      } else {
        const size_t k = m == Mode::kMtls ? 0 : 1;
        wall[k].push_back(r.mean_us - before.mean_us);
        cpu[k].push_back(r.cpu_us_per_read - before.cpu_us_per_read);
      }
      if (!micro.empty()) micro += ",";
      micro += run_json(mode_name(m), true, 1, r);
    }
  }
  for (size_t k = 0; k < 2 && args.micro_rounds > 0; ++k) {
    const char* name = k == 0 ? "mtls" : "token";
    const double w = median(wall[k]), c = median(cpu[k]);
    std::fprintf(stderr,
                 "cost per read, %s - before, one client, audit on tmpfs (median of %d): "
                 "%+.1f us wall, %+.1f us CPU\n",
                 name, args.micro_rounds, w, c);
    char buf[160];
    std::snprintf(buf, sizeof buf, "%s\"%s\":{\"wall_us\":%.1f,\"cpu_us\":%.1f}",
                  cost.empty() ? "" : ",", name, w, c);
    cost += buf;
  }
  std::string pieces;
  b.components(&pieces);
  std::printf(
      "{\"patients\":%d,\"observations\":%d,\"seconds\":%.1f,\"server_threads\":\"max(16,clients)"
      "\","
      "\"runs\":[%s],\"ratios\":[%s],\"one_client_audit_on_tmpfs\":[%s],"
      "\"cost_per_read_without_fsync\":{%s},\"pieces\":%s}\n",
      args.patients, args.patients * args.observations, args.seconds, runs.c_str(), ratios.c_str(),
      micro.c_str(), cost.c_str(), pieces.c_str());
  return errors == 0 ? 0 : 1;
}

}  // namespace
}  // namespace gw::rest::bench

int main(int argc, char** argv) {
  using gw::rest::bench::Args;
  Args args;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const char* v = i + 1 < argc ? argv[i + 1] : nullptr;
    if (a == "--seconds" && v) {
      args.seconds = std::atof(v);
    } else if (a == "--clients" && v) {
      args.clients = gw::rest::bench::parse_int_list(v);
    } else if (a == "--patients" && v) {
      args.patients = std::atoi(v);
    } else if (a == "--observations" && v) {
      args.observations = std::atoi(v);
    } else if (a == "--micro-rounds" && v) {
      args.micro_rounds = std::atoi(v);
    } else if (a == "--micro-seconds" && v) {
      args.micro_seconds = std::atof(v);
    } else {
      std::fprintf(stderr,
                   "usage: rest_read_bench [--seconds S] [--clients 1,4,16,64] [--patients P] "
                   "[--observations K per patient] [--micro-rounds R] [--micro-seconds S]\n");
      return 2;
    }
    ++i;
  }
  if (args.seconds <= 0 || args.seconds > 600 || args.clients.empty() || args.patients < 1 ||
      args.patients > 1'000'000 || args.observations < 1 || args.observations > 100 ||
      args.micro_rounds < 0 || args.micro_rounds > 100 || args.micro_seconds <= 0 ||
      args.micro_seconds > 600) {
    std::fprintf(stderr, "rest_read_bench: an argument is out of range\n");
    return 2;
  }
  for (int n : args.clients) {
    if (n < 1 || n > 256) {
      std::fprintf(stderr, "rest_read_bench: --clients: each 1..256\n");
      return 2;
    }
  }
  // A log line per request would be measured too.
  gw::log::set_level(gw::log::Level::kWarn);
  Poco::Net::initializeSSL();
  const int rc = gw::rest::bench::bench_main(args);
  Poco::Net::uninitializeSSL();
  return rc;
}
