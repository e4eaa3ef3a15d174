// Round trips per second through the MLLP server over loopback, with the
// handler doing its work (building an acknowledgement) on a worker thread as
// the gateway does. Also the framer's raw throughput.
//
//   server_bench --benchmark_counters_tabular=true
//
// items_per_second is request/reply round trips per second across all
// connections (one benchmark thread per connection). BM_RoundTripTls is the
// same over MLLP over TLS (a second server, throwaway certificates, one
// handshake per benchmark thread and run, not per message).
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <condition_variable>
#include <deque>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "adapters/mllp/client.h"
#include "adapters/mllp/framer.h"
#include "adapters/mllp/server.h"
#include "tests/support/test_certs.h"

namespace gw::mllp {
namespace {

const std::string kMessage =
    "MSH|^~\\&|EPIC|HOSP|GATEWAY|HOSP|20240101120000||ADT^A01^ADT_A01|MSG00001|P|2.5.1\r"
    "EVN|A01|20240101120000\r"
    "PID|1||123456^^^HOSP^MR||DOE^JOHN^Q||19700101|M|||123 MAIN ST^^SPRINGFIELD^IL^62701||"
    "(555)555-1234\r"
    "PV1|1|I|2000^2012^01||||004777^LEBAUER^SIDNEY^J.|||SUR||||ADM|A0|\r";

// Acknowledges on a worker thread: takes every queued frame at once, builds
// an ACK from MSH-10, replies.
class WorkerAckHandler : public FrameHandler {
 public:
  WorkerAckHandler() : worker_([this] { run(); }) {}
  ~WorkerAckHandler() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      done_ = true;
    }
    cv_.notify_one();
    worker_.join();
  }
  void on_frame(const PeerInfo&, std::string frame, Reply reply) override {
    bool was_empty;
    {
      std::lock_guard<std::mutex> lock(mu_);
      was_empty = queue_.empty();
      queue_.emplace_back(std::move(frame), std::move(reply));
    }
    if (was_empty) cv_.notify_one();
  }

 private:
  static std::string ack_for(const std::string& msg) {
    // MSH-10 is the 10th '|'-separated field (MSH-1 is the separator itself).
    size_t pos = 0;
    for (int i = 0; i < 9 && pos != std::string::npos; ++i) pos = msg.find('|', pos + 1);
    std::string control_id;
    if (pos != std::string::npos)
      control_id = msg.substr(pos + 1, msg.find('|', pos + 1) - pos - 1);
    return "MSH|^~\\&|GATEWAY|HOSP|EPIC|HOSP|20240101120000||ACK^A01^ACK|ACK" + control_id +
           "|P|2.5.1\rMSA|AA|" + control_id + "\r";
  }
  void run() {
    std::deque<std::pair<std::string, Reply>> batch;
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
      cv_.wait(lock, [&] { return done_ || !queue_.empty(); });
      if (queue_.empty()) return;
      batch.swap(queue_);
      lock.unlock();
      for (auto& [msg, reply] : batch) reply.send(ack_for(msg));
      batch.clear();
      lock.lock();
    }
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::pair<std::string, Reply>> queue_;
  bool done_ = false;
  std::thread worker_;
};

WorkerAckHandler* g_handler = nullptr;
Server* g_server = nullptr;
Server* g_tls_server = nullptr;
ClientTlsOptions g_client_tls;

void round_trips(benchmark::State& state, Server* server, const ClientTlsOptions* tls) {
  const int window = static_cast<int>(state.range(0));  // frames in flight per connection
  auto connected =
      tls == nullptr ? Client::connect("127.0.0.1", server->port(), std::chrono::seconds(5))
                     : Client::connect("127.0.0.1", server->port(), std::chrono::seconds(5), *tls);
  if (!connected.ok()) {
    state.SkipWithError(connected.error().message().c_str());
    return;
  }
  std::unique_ptr<Client> client = std::move(connected).value();
  std::string burst;
  for (int i = 0; i < window; ++i) burst += frame(kMessage);
  for (auto _ : state) {
    if (gw::Status sent = client->send_raw(burst); !sent.ok()) {
      state.SkipWithError(sent.message().c_str());
      break;
    }
    for (int i = 0; i < window; ++i) {
      auto r = client->receive(std::chrono::seconds(5));
      if (!r.ok()) {
        state.SkipWithError(r.error().message().c_str());
        return;
      }
      benchmark::DoNotOptimize(r->data());
    }
  }
  state.SetItemsProcessed(state.iterations() * window);
}

void BM_RoundTrip(benchmark::State& state) { round_trips(state, g_server, nullptr); }
BENCHMARK(BM_RoundTrip)->Arg(1)->Threads(1)->Threads(16)->UseRealTime();
BENCHMARK(BM_RoundTrip)->Arg(8)->Threads(1)->Threads(16)->UseRealTime();

void BM_RoundTripTls(benchmark::State& state) {
  if (g_tls_server == nullptr) {
    state.SkipWithError("no TLS server (certificates could not be made)");
    return;
  }
  round_trips(state, g_tls_server, &g_client_tls);
}
BENCHMARK(BM_RoundTripTls)->Arg(1)->Threads(1)->Threads(16)->UseRealTime();
BENCHMARK(BM_RoundTripTls)->Arg(8)->Threads(1)->Threads(16)->UseRealTime();

void BM_FramerFeed(benchmark::State& state) {
  std::string stream;
  while (stream.size() < 1 << 20) stream += frame(kMessage);
  const size_t chunk = static_cast<size_t>(state.range(0));
  struct Sink {
    size_t frames = 0;
    void on_frame(std::string&& p) {
      benchmark::DoNotOptimize(p.data());
      ++frames;
    }
    void on_oversized(std::string&&) {}
  } sink;
  for (auto _ : state) {
    Framer f(1 << 20);
    for (size_t off = 0; off < stream.size(); off += chunk) {
      f.feed(std::string_view(stream).substr(off, chunk), sink);
    }
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(stream.size()));
  state.counters["frames/s"] =
      benchmark::Counter(static_cast<double>(sink.frames), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_FramerFeed)->Arg(1500)->Arg(64 * 1024);

}  // namespace
}  // namespace gw::mllp

int main(int argc, char** argv) {
  using namespace gw::mllp;
  benchmark::Initialize(&argc, argv);
  WorkerAckHandler handler;
  ServerOptions options;
  options.port = 0;
  options.io_threads = 1;
  auto created = Server::create(options, &handler);
  if (!created.ok()) {
    std::fprintf(stderr, "server: %s\n", created.error().message().c_str());
    return 1;
  }
  std::unique_ptr<Server> server = std::move(created).value();
  server->start();
  g_handler = &handler;
  g_server = server.get();

  // The TLS server: the same handler and options plus throwaway certificates.
  char dir_template[] = "/tmp/server_bench_pki_XXXXXX";
  const char* pki_dir = ::mkdtemp(dir_template);
  std::unique_ptr<Server> tls_server;
  if (auto pki = pki_dir != nullptr
                     ? gw::testing::make_test_pki(pki_dir, "bench")
                     : gw::Result<gw::testing::TestPki>(gw::internal_error("mkdtemp failed"));
      pki.ok()) {
    ServerOptions tls_options = options;
    tls_options.tls = TlsServerOptions{pki->server_cert, pki->server_key, "", {}};
    if (auto t = Server::create(tls_options, &handler); t.ok()) {
      tls_server = std::move(t).value();
      tls_server->start();
      g_tls_server = tls_server.get();
      g_client_tls.ca_file = pki->ca_cert;
    } else {
      std::fprintf(stderr, "tls server: %s\n", t.error().message().c_str());
    }
  } else {
    std::fprintf(stderr, "tls certificates: %s\n", pki.error().message().c_str());
  }
  benchmark::RunSpecifiedBenchmarks();
  if (tls_server) tls_server->stop(std::chrono::seconds(1));
  if (pki_dir != nullptr) {
    std::error_code ec;
    std::filesystem::remove_all(pki_dir, ec);
  }
  ServerStats s = server->stats();
  server->stop(std::chrono::seconds(1));
  std::printf(
      "{\"frames_received\": %llu, \"replies_sent\": %llu, \"connections_accepted\": %llu}\n",
      static_cast<unsigned long long>(s.frames_received),
      static_cast<unsigned long long>(s.replies_sent),
      static_cast<unsigned long long>(s.connections_accepted));
  benchmark::Shutdown();
  return 0;
}
