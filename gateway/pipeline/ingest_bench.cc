// End-to-end MLLP ingest benchmark with durable acknowledgements: the real
// server, parser, ACK builder and SQLite group-commit store (WAL,
// synchronous=FULL, in a temporary directory on the disk the state would use),
// driven over loopback by N blocking MLLP clients that each send one message
// and wait for its AA before sending the next (as HL7 senders do).
//
// Prints one JSON document: per connection count, messages/s and latency
// percentiles (send to acknowledgement). Clients run on the same machine and
// take CPU from the gateway, so the figures are a lower bound.
//
//   ingest_bench [--seconds N] [--connections 1,16] [--dir PATH] [--tpm-latency-ms N]
// With --tpm-latency-ms, a swtpm is started, provisioned, and the batch signer
// signs record batches on it while the clients run, every TPM command delayed
// by N ms: the acknowledgement path must not depend on the TPM's speed.
#include <fcntl.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "adapters/hl7/ack.h"
#include "adapters/mllp/client.h"
#include "adapters/mllp/fd_limit.h"
#include "adapters/mllp/server.h"
#include "gateway/anchoring/batch_signer.h"
#include "gateway/cli/ctl_commands.h"
#include "gateway/keys/key_store.h"
#include "gateway/log/log.h"
#include "gateway/pipeline/mllp_ingest.h"
#include "gateway/store/message_store.h"
#include "tpm/testing/swtpm_process.h"

namespace {

using Clock = std::chrono::steady_clock;

std::vector<std::string> load_corpus(const std::string& dir) {
  std::vector<std::string> out;
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.is_regular_file() && e.path().extension() == ".hl7") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    std::ifstream in(f, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    for (auto& m : gw::cli::split_messages(ss.str())) {
      // Original mode so every message is answered.
      char sep = m[3];
      size_t cr = m.find('\r');
      std::string msh = m.substr(0, cr);
      size_t pos = 0;
      int n = 0;
      while (n < 14 && (pos = msh.find(sep, pos)) != std::string::npos) ++n, ++pos;
      if (n == 14) msh = msh.substr(0, pos - 1);
      if (msh.find(std::string(1, sep) + "ACK" + std::string(1, m[4])) != std::string::npos ||
          msh.find(std::string(1, sep) + "ACK" + std::string(1, sep)) != std::string::npos)
        continue;  // ACKs are stored but never answered
      out.push_back(msh + m.substr(cr));
    }
  }
  return out;
}

std::string with_control_id(const std::string& msg, const std::string& id) {
  char sep = msg[3];
  size_t pos = 0;
  for (int i = 0; i < 9; ++i) pos = msg.find(sep, pos) + 1;
  size_t end = msg.find_first_of(std::string(1, sep) + "\r", pos);
  return msg.substr(0, pos) + id + msg.substr(end);
}

// Median latency of appending 4 KiB + fdatasync in `dir` (what a WAL commit
// does): the floor under any durable acknowledgement on this disk, printed
// so figures can be compared across machines.
double fsync_probe_us(const std::string& dir) {
  std::filesystem::create_directories(dir);
  std::string path = dir + "/fsync-probe";
  int fd = ::open(path.c_str(), O_CREAT | O_RDWR | O_TRUNC, 0600);
  if (fd < 0) return -1;
  char block[4096] = {1};
  std::vector<double> us;
  for (int i = 0; i < 200; ++i) {
    auto t0 = Clock::now();
    if (::pwrite(fd, block, sizeof block, static_cast<off_t>(i) * 4096) < 0) break;
    ::fdatasync(fd);
    us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
  }
  ::close(fd);
  ::unlink(path.c_str());
  std::sort(us.begin(), us.end());
  return us.empty() ? -1 : us[us.size() / 2];
}

struct RunResult {
  int connections;
  uint64_t messages = 0;
  uint64_t bytes = 0;
  double seconds = 0;
  double p50_us = 0, p90_us = 0, p99_us = 0, max_us = 0;
  double mean_group = 0;
  uint64_t errors = 0;
  // CPU seconds spent by the gateway's threads (process CPU minus the client
  // threads' own CPU clocks) and by the clients, per message. The gateway
  // figure is what one message costs the appliance, whatever the clients do.
  double gateway_cpu_us_per_msg = 0, client_cpu_us_per_msg = 0;
  uint64_t batches_signed = 0;
};

double process_cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
         (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

RunResult run(int connections, double seconds, const std::vector<std::string>& corpus,
              const std::string& dir, int io_threads, int tpm_latency_ms, int pipeline_threads) {
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::string error;
  std::unique_ptr<gw::tpm::testing::SwtpmProcess> swtpm;
  gw::keys::KeyStoreOptions ko;
  if (tpm_latency_ms >= 0) {
    auto started = gw::tpm::testing::SwtpmProcess::start(dir + "/swtpm");
    if (!started.ok()) {
      std::fprintf(stderr, "swtpm: %s\n", started.error().message().c_str());
      std::exit(1);
    }
    swtpm = std::move(*started);
    ko.kind = "tpm";
    ko.state_dir = dir + "/state";
    ko.consortium_id = "bench";
    ko.tcti = swtpm->tcti();
    auto ks = gw::keys::open_key_store(ko);
    const gw::Status provisioned = ks.ok() ? (*ks)->provision().status() : ks.status();
    if (!provisioned.ok()) {
      std::fprintf(stderr, "provision: %s\n", provisioned.message().c_str());
      std::exit(1);
    }
    ko.injected_latency = std::chrono::milliseconds(tpm_latency_ms);
  }
  gw::store::StoreOptions so;
  so.path = dir + "/messages.db";
  so.keys = gw::crypto::StoreKeys::random_for_tests();
  auto opened = gw::store::MessageStore::open(so);
  if (!opened.ok()) {
    std::fprintf(stderr, "store: %s\n", opened.error().message().c_str());
    std::exit(1);
  }
  std::unique_ptr<gw::store::MessageStore> store = std::move(opened).value();
  gw::pipeline::IngestOptions io;
  io.channel = "bench";
  // As gatewayd: one mapping thread per CPU (pipeline_threads = 0), or none
  // (--pipeline-threads -1: everything on the event loop, as before).
  if (pipeline_threads >= 0)
    io.workers = std::make_shared<gw::pipeline::WorkPool>(pipeline_threads, size_t{128} << 20);
  gw::pipeline::MllpIngest ingest(io, store.get());
  gw::mllp::ServerOptions sopts;
  sopts.host = "127.0.0.1";
  sopts.port = 0;
  sopts.io_threads = io_threads;
  auto created = gw::mllp::Server::create(sopts, &ingest);
  if (!created.ok()) {
    std::fprintf(stderr, "server: %s\n", created.error().message().c_str());
    std::exit(1);
  }
  std::unique_ptr<gw::mllp::Server> server = std::move(created).value();
  server->start();
  std::unique_ptr<gw::anchoring::BatchSigner> signer;
  if (tpm_latency_ms >= 0) {
    gw::anchoring::BatchSignerOptions bo;
    bo.db_path = so.path;
    bo.keys = ko;
    bo.batch_records = 1000;
    bo.interval = std::chrono::seconds(1);
    auto created = gw::anchoring::BatchSigner::create(bo);
    if (!created.ok()) {
      std::fprintf(stderr, "batch signer: %s\n", created.error().message().c_str());
      std::exit(1);
    }
    signer = std::move(created).value();
    signer->start();
  }

  std::atomic<bool> stop{false};
  std::atomic<uint64_t> errors{0};
  std::vector<std::vector<uint32_t>> latencies(connections);
  std::vector<uint64_t> bytes(connections, 0);
  std::vector<double> client_cpu(connections, 0);
  std::vector<std::thread> threads;
  double cpu_start = process_cpu_seconds();
  auto start = Clock::now();
  for (int c = 0; c < connections; ++c) {
    threads.emplace_back([&, c] {
      auto connected =
          gw::mllp::Client::connect("127.0.0.1", server->port(), std::chrono::seconds(5));
      if (!connected.ok()) {
        ++errors;
        return;
      }
      std::unique_ptr<gw::mllp::Client> client = std::move(connected).value();
      latencies[c].reserve(1 << 20);
      for (uint64_t i = 0; !stop.load(std::memory_order_relaxed); ++i) {
        std::string msg = with_control_id(corpus[(i + c) % corpus.size()],
                                          "B" + std::to_string(c) + "-" + std::to_string(i));
        auto t0 = Clock::now();
        if (!client->send(msg).ok()) {
          ++errors;
          return;
        }
        auto reply = client->receive(std::chrono::seconds(10));
        if (!reply.ok()) {
          ++errors;
          return;
        }
        auto ack = gw::hl7::read_ack(*reply);
        if (!ack.ok() || !ack->accepted()) ++errors;
        latencies[c].push_back(static_cast<uint32_t>(
            std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t0).count()));
        bytes[c] += msg.size();
      }
      client_cpu[c] = thread_cpu_seconds();
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& t : threads) t.join();
  double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  double cpu_total = process_cpu_seconds() - cpu_start;
  double cpu_clients = 0;
  for (double c : client_cpu) cpu_clients += c;
  server->stop(std::chrono::seconds(5));
  auto st = store->stats();
  store->close();
  RunResult r;
  if (signer) {
    signer->stop();
    r.batches_signed = signer->batches_signed();
  }

  r.connections = connections;
  std::vector<uint32_t> all;
  for (int c = 0; c < connections; ++c) {
    all.insert(all.end(), latencies[c].begin(), latencies[c].end());
    r.bytes += bytes[c];
  }
  std::sort(all.begin(), all.end());
  r.messages = all.size();
  r.seconds = elapsed;
  auto pct = [&](double p) {
    return all.empty() ? 0.0
                       : static_cast<double>(
                             all[std::min(all.size() - 1, static_cast<size_t>(p * all.size()))]);
  };
  r.p50_us = pct(0.50);
  r.p90_us = pct(0.90);
  r.p99_us = pct(0.99);
  r.max_us = all.empty() ? 0 : all.back();
  r.mean_group = st.transactions ? static_cast<double>(st.submitted) / st.transactions : 0;
  r.errors = errors.load();
  if (r.messages > 0) {
    r.gateway_cpu_us_per_msg = (cpu_total - cpu_clients) / r.messages * 1e6;
    r.client_cpu_us_per_msg = cpu_clients / r.messages * 1e6;
  }
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = 5;
  std::vector<int> conns = {1, 16};
  int io_threads = 1;
  int pipeline_threads = 0;
  int tpm_latency_ms = -1;
  std::string dir = (std::filesystem::temp_directory_path() / "gw-ingest-bench").string();
  std::string corpus_dir = GW_BENCH_CORPUS_DIR;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--seconds" && i + 1 < argc)
      seconds = std::atof(argv[++i]);
    else if (a == "--dir" && i + 1 < argc)
      dir = argv[++i];
    else if (a == "--io-threads" && i + 1 < argc)
      io_threads = std::atoi(argv[++i]);
    else if (a == "--pipeline-threads" && i + 1 < argc)
      pipeline_threads = std::atoi(argv[++i]);
    else if (a == "--corpus" && i + 1 < argc)
      corpus_dir = argv[++i];
    else if (a == "--tpm-latency-ms" && i + 1 < argc)
      tpm_latency_ms = std::atoi(argv[++i]);
    else if (a == "--connections" && i + 1 < argc) {
      conns.clear();
      std::stringstream ss(argv[++i]);
      std::string item;
      while (std::getline(ss, item, ',')) conns.push_back(std::atoi(item.c_str()));
    } else {
      std::fprintf(stderr,
                   "usage: ingest_bench [--seconds N] [--connections 1,16] [--io-threads N] "
                   "[--pipeline-threads N|-1] [--dir "
                   "PATH] [--corpus DIR] [--tpm-latency-ms N]\n");
      return 2;
    }
  }
  gw::log::set_level(gw::log::Level::kError);
  std::string error;
  // Best effort: with fewer descriptors the larger runs report connect errors.
  gw::mllp::raise_fd_limit(4096).ignore();
  auto corpus = load_corpus(corpus_dir);
  if (corpus.empty()) {
    std::fprintf(stderr, "no corpus in %s\n", corpus_dir.c_str());
    return 1;
  }
  std::printf(
      "{\n  \"benchmark\": \"mllp_ingest_durable\",\n  \"store\": \"sqlite wal "
      "synchronous=full\",\n"
      "  \"cpus\": %u,\n  \"io_threads\": %d,\n  \"pipeline_threads\": %d,\n"
      "  \"corpus_messages\": %zu,\n"
      "  \"tpm_latency_ms\": %d,\n"
      "  \"fsync_p50_us_before\": %.0f,\n  \"runs\": [\n",
      std::thread::hardware_concurrency(), io_threads, pipeline_threads, corpus.size(),
      tpm_latency_ms, fsync_probe_us(dir));
  for (size_t i = 0; i < conns.size(); ++i) {
    RunResult r = run(conns[i], seconds, corpus, dir, io_threads, tpm_latency_ms, pipeline_threads);
    std::printf(
        "    {\"connections\": %d, \"messages\": %llu, \"seconds\": %.2f, \"messages_per_s\": "
        "%.0f, "
        "\"mb_per_s\": %.1f, \"p50_us\": %.0f, \"p90_us\": %.0f, \"p99_us\": %.0f, \"max_us\": "
        "%.0f, "
        "\"mean_commit_group\": %.1f, \"gateway_cpu_us_per_msg\": %.1f, "
        "\"client_cpu_us_per_msg\": %.1f, \"errors\": %llu, \"batches_signed\": %llu}%s\n",
        r.connections, static_cast<unsigned long long>(r.messages), r.seconds,
        r.messages / r.seconds, r.bytes / r.seconds / 1e6, r.p50_us, r.p90_us, r.p99_us, r.max_us,
        r.mean_group, r.gateway_cpu_us_per_msg, r.client_cpu_us_per_msg,
        static_cast<unsigned long long>(r.errors),
        static_cast<unsigned long long>(r.batches_signed), i + 1 < conns.size() ? "," : "");
    std::fflush(stdout);
  }
  std::printf("  ],\n  \"fsync_p50_us_after\": %.0f\n}\n", fsync_probe_us(dir));
  std::filesystem::remove_all(dir);
  return 0;
}
