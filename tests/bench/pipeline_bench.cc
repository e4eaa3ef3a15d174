// Whole-pipeline throughput of the REAL gatewayd (tests/bench.sh pipeline):
// parse, v2 -> FHIR, validation, canonical JSON, tokens, commitments,
// envelopes, SQLite, TPM batch signing on swtpm, driven over loopback by N
// blocking MLLP clients (one message, wait for its ACK, next) sending the
// seeded generator's mixed traffic; and a do-nothing MLLP responder (the same
// gw::mllp::Server, a fixed AA) under the same clients in the same run, so
// that gateway/responder is a figure of the software, not of the machine.
//
// gatewayd runs as the integration tests run it (tests/support/
// gatewayd_process.h): the built-in defaults, which image/gatewayd.toml
// documents, on a free loopback port, a temporary state directory, its own
// swtpm (provisioned with gatewayctl, as an operator would), ledger off.
// One change: max_connections_per_address = 0, since every client here is
// 127.0.0.1 and the default cap (64) would refuse the 256-connection run.
//
// Also: pwrite/fsync per message (a separate run of gatewayd under
// strace -f -c --seccomp-bpf, the counts of its whole life divided by the
// messages sent), and growth (a gatewayd prefilled to each --stored level at
// full speed, then measured at 16 connections; store bytes per message and
// the size of each table and index from SQLite's dbstat).
//
//   pipeline_bench [--seconds S] [--connections 1,16,64,256] [--stored 0,50000]
//                  [--seed N] [--patients P] [--strace-messages N] [--prefill-connections N]
//                  [--micro-json FILE]
// --micro-json: pipeline_micro_bench's output, whose one-core figures join
// the table. --patients: the generator's patient pool (200,000; a small pool
// shows what distinct patients cost the store). Prints the JSON document, a line "== table", then
// the table; progress goes to stderr.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/bench/mllp_load.h"
#include "tests/bench/pipeline_report.h"
#include "tests/support/gatewayd_process.h"

namespace {

using gw::bench::LoadOptions;
using gw::bench::LoadResult;
using gw::bench::Report;
using gw::testing::GatewaydProcess;

constexpr char kChannelSettings[] = "max_connections_per_address = 0\n";

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "pipeline_bench: %s\n", what.c_str());
  std::exit(1);
}

template <typename T>
std::vector<T> parse_list(const std::string& text) {
  std::vector<T> out;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ','))
    if (!item.empty()) out.push_back(static_cast<T>(std::strtoull(item.c_str(), nullptr, 10)));
  return out;
}

std::unique_ptr<GatewaydProcess> start_gateway(const std::string& dir) {
  std::filesystem::create_directories(dir);
  auto g = std::make_unique<GatewaydProcess>(dir, kChannelSettings);
  if (auto st = g->start(std::chrono::seconds(60)); !st.ok()) die("gatewayd: " + st.message());
  return g;
}

// Messages a run at `rate`/s for `seconds` may need, made ahead of it.
size_t window_for(double seconds) { return static_cast<size_t>(seconds * 15000) + 1000; }

gw::bench::PipelineRun measure_gateway(GatewaydProcess* g, gw::bench::Traffic* traffic,
                                       int connections, double seconds) {
  traffic->prepare(window_for(seconds));
  const double cpu0 = gw::bench::process_cpu_seconds(g->pid());
  LoadOptions o;
  o.port = g->port();
  o.connections = connections;
  o.duration = std::chrono::duration<double>(seconds);
  gw::bench::PipelineRun run;
  run.load = gw::bench::run_load(o, traffic);
  const double cpu = gw::bench::process_cpu_seconds(g->pid()) - cpu0;
  if (run.load.messages > 0)
    run.cpu_us_per_msg = cpu / static_cast<double>(run.load.messages) * 1e6;
  return run;
}

gw::bench::PipelineRun measure_responder(gw::bench::Responder* r, gw::bench::Traffic* traffic,
                                         int connections, double seconds) {
  const double cpu0 = gw::bench::own_cpu_seconds();
  LoadOptions o;
  o.port = r->port();
  o.connections = connections;
  o.duration = std::chrono::duration<double>(seconds);
  gw::bench::PipelineRun run;
  run.load = gw::bench::run_load(o, traffic);
  // This process's CPU minus the clients' own: the responder's loop.
  const double cpu = gw::bench::own_cpu_seconds() - cpu0 - run.load.client_cpu_s;
  if (run.load.messages > 0)
    run.cpu_us_per_msg = cpu / static_cast<double>(run.load.messages) * 1e6;
  return run;
}

// A program's path from $PATH (run_command does not search it); empty if none.
std::string find_in_path(const std::string& program) {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "/usr/bin:/bin");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    const std::string candidate = (dir.empty() ? "." : dir) + "/" + program;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

// The child of `parent` (strace's tracee, the real gatewayd), from each
// process's parent id in /proc/<pid>/stat; -1 if none.
pid_t child_of(pid_t parent) {
  for (const auto& e : std::filesystem::directory_iterator("/proc")) {
    const std::string name = e.path().filename().string();
    if (name.empty() || !std::isdigit(static_cast<unsigned char>(name[0]))) continue;
    const std::string stat = gw::testing::read_file(e.path().string() + "/stat");
    const size_t close = stat.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream fields(stat.substr(close + 2));
    std::string state;
    pid_t ppid = 0;
    if (fields >> state >> ppid && ppid == parent) return static_cast<pid_t>(std::stoi(name));
  }
  return -1;
}

// Counted run: gatewayd under strace (seccomp-bpf: only the traced calls stop
// it), `messages` at 16 connections, then stopped; strace's summary parsed.
gw::bench::SyscallCounts count_syscalls(const std::string& dir, gw::bench::Traffic* traffic,
                                        uint64_t messages) {
  gw::bench::SyscallCounts counts;
  const std::string strace = find_in_path("strace");
  if (strace.empty()) {
    counts.error = "strace is not installed (apt-get install strace)";
    return counts;
  }
  std::filesystem::create_directories(dir);
  const std::string summary = dir + "/strace.txt", wrapper = dir + "/gatewayd-under-strace";
  {
    std::ofstream w(wrapper);
    w << "#!/bin/sh\nexec " << strace << " -f --seccomp-bpf -c -o " << summary
      << " -e trace=pwrite64,pwritev,pwritev2,write,writev,fsync,fdatasync,sync_file_range "
      << gw::testing::gatewayd_path() << " \"$@\"\n";
  }
  std::filesystem::permissions(wrapper, std::filesystem::perms::owner_all);
  const char* previous = std::getenv("GW_TEST_GATEWAYD");
  const std::string saved = previous ? previous : "";
  ::setenv("GW_TEST_GATEWAYD", wrapper.c_str(), 1);
  auto g = std::make_unique<GatewaydProcess>(dir, kChannelSettings);
  const gw::Status started = g->start(std::chrono::seconds(60));
  if (previous)
    ::setenv("GW_TEST_GATEWAYD", saved.c_str(), 1);
  else
    ::unsetenv("GW_TEST_GATEWAYD");
  if (!started.ok()) {
    counts.error = "gatewayd under strace did not start: " + started.message();
    return counts;
  }
  traffic->prepare(std::min<uint64_t>(messages, 200000));
  LoadOptions o;
  o.port = g->port();
  o.connections = 16;
  o.messages = messages;
  const LoadResult load = gw::bench::run_load(o, traffic);
  counts.messages = load.messages;
  counts.not_accepted = load.not_accepted;
  // Stop gatewayd itself (strace then exits and writes its summary).
  // (Stopping strace instead would leave gatewayd running, detached.)
  const pid_t traced = child_of(g->pid());
  if (traced > 0) ::kill(traced, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  std::string text;
  while (std::chrono::steady_clock::now() < deadline) {
    text = gw::testing::read_file(summary);
    if (text.find("total") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (traced > 0 && ::kill(traced, 0) == 0) ::kill(traced, SIGKILL);  // did not stop in time
  g->terminate();
  if (text.find("total") == std::string::npos) {
    counts.error = "strace wrote no summary";
    return counts;
  }
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream fields(line);
    std::vector<std::string> f;
    for (std::string x; fields >> x;) f.push_back(x);
    // "% time seconds usecs/call calls [errors] syscall"
    if (f.size() < 5 || !std::isdigit(static_cast<unsigned char>(f[0][0]))) continue;
    counts.calls[f.back()] = std::strtoull(f[3].c_str(), nullptr, 10);
  }
  return counts;
}

uint64_t file_size(const std::string& path) {
  std::error_code ec;
  const auto n = std::filesystem::file_size(path, ec);
  return ec ? 0 : n;
}

uint64_t tree_size(const std::string& dir) {
  uint64_t total = 0;
  std::error_code ec;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir, ec))
    if (e.is_regular_file(ec)) total += file_size(e.path().string());
  return total;
}

// Bytes per table and index (SQLite's dbstat, read-only; payloads are
// encrypted, names and page counts are not).
std::vector<std::pair<std::string, uint64_t>> btree_sizes(const std::string& db) {
  std::string out, err;
  std::vector<std::pair<std::string, uint64_t>> sizes;
  const std::string sqlite3 = find_in_path("sqlite3");
  if (sqlite3.empty() ||
      gw::testing::run_command({sqlite3, "-readonly", db,
                                "SELECT name, SUM(pgsize) FROM dbstat GROUP BY name "
                                "ORDER BY 2 DESC;"},
                               &out, &err, std::chrono::minutes(10)) != 0)
    return sizes;
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) {
    const size_t bar = line.rfind('|');
    if (bar != std::string::npos)
      sizes.emplace_back(line.substr(0, bar), std::strtoull(line.c_str() + bar + 1, nullptr, 10));
  }
  return sizes;
}

std::vector<gw::bench::GrowthPoint> measure_growth(const std::string& dir,
                                                   gw::bench::Traffic* traffic,
                                                   std::vector<uint64_t> levels, double seconds,
                                                   int prefill_connections) {
  std::sort(levels.begin(), levels.end());
  std::vector<gw::bench::GrowthPoint> points;
  auto g = start_gateway(dir);
  uint64_t stored = 0, prefill_not_accepted = 0;
  for (uint64_t level : levels) {
    if (level > stored) {
      std::fprintf(stderr, "== prefill to %llu stored messages (%d connections)\n",
                   static_cast<unsigned long long>(level), prefill_connections);
      LoadOptions o;
      o.port = g->port();
      o.connections = prefill_connections;
      o.messages = level - stored;
      const LoadResult r = gw::bench::run_load(o, traffic);
      stored += r.messages;
      prefill_not_accepted += r.not_accepted;
      std::fprintf(stderr, "   %.0f msg/s while filling\n", r.msgs_per_s);
    }
    gw::bench::GrowthPoint p;
    p.stored = stored;
    p.run = measure_gateway(g.get(), traffic, 16, seconds);
    stored += p.run.load.messages;
    p.prefill_not_accepted = prefill_not_accepted;
    p.db_bytes = file_size(g->db_path());
    p.wal_bytes = file_size(g->db_path() + "-wal");
    p.state_bytes = tree_size(dir + "/state");
    p.messages_in_store = stored;
    p.btrees = btree_sizes(g->db_path());
    points.push_back(p);
  }
  g->terminate();
  return points;
}

}  // namespace

int main(int argc, char** argv) {
  Report report;
  double seconds = 6;
  std::vector<int> connections = {1, 16, 64, 256};
  std::vector<uint64_t> stored = {0, 50000};
  uint64_t seed = 1, strace_messages = 10000, patients = 200000;
  int prefill_connections = 64;
  std::string micro_json;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i], v = argv[i + 1];
    if (a == "--seconds")
      seconds = std::atof(v.c_str());
    else if (a == "--connections")
      connections = parse_list<int>(v);
    else if (a == "--stored")
      stored = parse_list<uint64_t>(v);
    else if (a == "--seed")
      seed = std::strtoull(v.c_str(), nullptr, 10);
    else if (a == "--patients")
      patients = std::strtoull(v.c_str(), nullptr, 10);
    else if (a == "--strace-messages")
      strace_messages = std::strtoull(v.c_str(), nullptr, 10);
    else if (a == "--prefill-connections")
      prefill_connections = std::atoi(v.c_str());
    else if (a == "--micro-json")
      micro_json = v;
    else
      die("unknown argument " + a);
  }
  if ((argc - 1) % 2 != 0 || connections.empty() || seconds <= 0 || patients == 0 ||
      patients > UINT32_MAX)
    die("bad arguments");
  report.seed = seed;
  report.patients = patients;
  report.seconds = seconds;
  if (!micro_json.empty()) report.micro_json = gw::testing::read_file(micro_json);

  gw::testing::TempDir tmp;
  if (tmp.path().empty()) die("no temporary directory");
  const gw::testing::CorpusGenerator gen(
      {.seed = seed, .patients = static_cast<uint32_t>(patients)});
  gw::bench::Traffic traffic(gen), responder_traffic(gen);
  responder_traffic.prepare(window_for(seconds), /*cycle=*/true);

  {
    auto g = start_gateway(tmp.path() + "/main");
    auto responder = gw::bench::Responder::start();
    if (!responder) die("responder did not start");
    for (int c : connections) {
      std::fprintf(stderr, "== %d connections: gatewayd, then the responder\n", c);
      gw::bench::PipelineRow row;
      row.connections = c;
      row.gateway = measure_gateway(g.get(), &traffic, c, seconds);
      row.responder = measure_responder(responder.get(), &responder_traffic, c, seconds);
      report.rows.push_back(row);
    }
    report.gateway_peak_rss_kib = gw::bench::peak_rss_kib(g->pid());
    g->terminate();
  }
  if (strace_messages > 0) {
    std::fprintf(stderr, "== %llu messages under strace -c (16 connections)\n",
                 static_cast<unsigned long long>(strace_messages));
    report.syscalls = count_syscalls(tmp.path() + "/strace", &traffic, strace_messages);
  }
  if (!stored.empty())
    report.growth =
        measure_growth(tmp.path() + "/growth", &traffic, stored, seconds, prefill_connections);
  std::printf("%s\n== table\n%s", report.json().c_str(), report.table().c_str());
  return 0;
}
