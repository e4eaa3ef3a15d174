#include "tests/bench/mllp_load.h"

#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include "adapters/hl7/ack.h"
#include "adapters/mllp/client.h"

namespace gw::bench {

using Clock = std::chrono::steady_clock;

void Traffic::prepare(size_t count, bool cycle) {
  cycle_ = cycle && count > 0;
  window_first_ = next_.load();
  window_.assign(count, std::string());
  auto make = [&](size_t from, size_t step) {
    for (size_t i = from; i < count; i += step) window_[i] = gen_.message(window_first_ + i);
  };
  std::thread other(make, 1, 2);
  make(0, 2);
  other.join();
}

std::string Traffic::take() {
  const uint64_t i = next_.fetch_add(1);
  if (cycle_) return window_[(i - window_first_) % window_.size()];
  if (i >= window_first_ && i - window_first_ < window_.size()) return window_[i - window_first_];
  return gen_.message(i);
}

namespace {

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

}  // namespace

LoadResult run_load(const LoadOptions& o, Traffic* traffic) {
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> sent{0}, bad{0}, connect_failures{0};
  std::vector<std::vector<uint32_t>> latencies(static_cast<size_t>(o.connections));
  std::vector<double> cpu(static_cast<size_t>(o.connections), 0);
  std::vector<std::thread> threads;
  const auto start = Clock::now();
  for (int c = 0; c < o.connections; ++c) {
    threads.emplace_back([&, c] {
      auto connected = mllp::Client::connect("127.0.0.1", o.port, std::chrono::seconds(10));
      if (!connected.ok()) {
        ++connect_failures;
        return;
      }
      std::unique_ptr<mllp::Client> client = std::move(connected).value();
      auto& lat = latencies[static_cast<size_t>(c)];
      lat.reserve(1 << 16);
      while (!stop.load(std::memory_order_relaxed)) {
        if (o.messages != 0 && sent.fetch_add(1) >= o.messages) break;
        const std::string msg = traffic->take();
        const auto t0 = Clock::now();
        if (!client->send(msg).ok()) {
          ++bad;
          break;
        }
        auto reply = client->receive(std::chrono::seconds(60));
        if (!reply.ok()) {
          ++bad;
          break;
        }
        auto ack = hl7::read_ack(*reply);
        if (!ack.ok() || !ack->accepted()) ++bad;
        lat.push_back(static_cast<uint32_t>(
            std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t0).count()));
      }
      cpu[static_cast<size_t>(c)] = thread_cpu_seconds();
    });
  }
  if (o.messages == 0) {
    std::this_thread::sleep_for(o.duration);
    stop = true;
  }
  for (auto& t : threads) t.join();
  LoadResult r;
  r.connections = o.connections;
  r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  std::vector<uint32_t> all;
  for (const auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  std::sort(all.begin(), all.end());
  r.messages = all.size();
  r.not_accepted = bad.load();
  r.connect_failures = connect_failures.load();
  r.msgs_per_s = r.seconds > 0 ? static_cast<double>(r.messages) / r.seconds : 0;
  auto pct = [&](double p) {
    return all.empty() ? 0.0
                       : static_cast<double>(
                             all[std::min(all.size() - 1, static_cast<size_t>(p * all.size()))]);
  };
  r.p50_us = pct(0.50);
  r.p90_us = pct(0.90);
  r.p99_us = pct(0.99);
  r.max_us = all.empty() ? 0 : all.back();
  for (double c : cpu) r.client_cpu_s += c;
  return r;
}

// Answers every frame at once, on the loop thread, with the same bytes: the
// least a responder can do over the same framing and event loop.
class Responder::Handler : public mllp::FrameHandler {
 public:
  void on_frame(const mllp::PeerInfo&, std::string, mllp::Reply reply) override {
    reply.send(kAck);
  }

 private:
  static constexpr const char* kAck =
      "MSH|^~\\&|RESPONDER|BENCH|SENDER|FACILITY|20240101000000||ACK^A01^ACK|R1|P|2.5.1\r"
      "MSA|AA|R1\r";
};

std::unique_ptr<Responder> Responder::start() {
  std::unique_ptr<Responder> r(new Responder());
  r->handler_ = std::make_unique<Handler>();
  mllp::ServerOptions so;
  so.name = "responder";
  so.host = "127.0.0.1";
  so.port = 0;
  so.io_threads = 1;  // as gatewayd's default (io_threads = 1)
  auto created = mllp::Server::create(so, r->handler_.get());
  if (!created.ok()) {
    std::fprintf(stderr, "responder: %s\n", created.error().message().c_str());
    return nullptr;
  }
  r->server_ = std::move(created).value();
  r->server_->start();
  return r;
}

Responder::~Responder() {
  if (server_) server_->stop(std::chrono::seconds(2));
}

uint16_t Responder::port() const { return server_->port(); }

double process_cpu_seconds(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // Fields after the command name (which may hold spaces) start past ')'.
  const size_t close = text.rfind(')');
  if (close == std::string::npos) return -1;
  std::istringstream fields(text.substr(close + 2));
  std::string f;
  double utime = 0, stime = 0;
  // state is field 3; utime 14, stime 15.
  for (int n = 3; n <= 15 && (fields >> f); ++n) {
    if (n == 14) utime = std::atof(f.c_str());
    if (n == 15) stime = std::atof(f.c_str());
  }
  return (utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

double own_cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

long peak_rss_kib(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::atol(line.c_str() + 6);
  return -1;
}

}  // namespace gw::bench
