// Server: an mllp::Server whose connections speak HTTP (HttpCodec below) and
// whose complete requests go through a bounded queue to a worker pool.
#include "adapters/http/server.h"

#include <time.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "adapters/mllp/codec.h"
#include "adapters/mllp/event_loop.h"

namespace gw::http {
namespace {

using mllp::internal::Codec;
using mllp::internal::ConnectionSink;
using mllp::internal::LoopCounters;

constexpr char kContinue[] = "HTTP/1.1 100 Continue\r\n\r\n";

bool safe_field(const std::string& s) {
  return s.find_first_of(std::string_view("\r\n\0", 3)) == std::string::npos;
}

void append_date(std::string* out) {
  char buf[64];
  const time_t now = ::time(nullptr);
  struct tm tm {};
  ::gmtime_r(&now, &tm);
  const size_t n = ::strftime(buf, sizeof buf, "Date: %a, %d %b %Y %H:%M:%S GMT\r\n", &tm);
  out->append(buf, n);
}

Response default_error_page(int status, const std::string& reason) {
  Response r;
  r.status = status;
  r.headers.emplace_back("Content-Type", "text/plain; charset=utf-8");
  r.body = reason + "\n";
  return r;
}

// One request on its way to a worker.
struct Job {
  Request request;
  mllp::PeerInfo peer;
  mllp::Reply reply;
};

class ServerImpl;

// The codec of one connection: RequestParser in, serialized responses out.
class HttpCodec final : public Codec {
 public:
  explicit HttpCodec(ServerImpl* server);
  size_t feed(std::string_view data, ConnectionSink& sink) override;
  Phase phase() const override;
  size_t buffered_bytes() const override { return parser_.buffered_bytes(); }
  std::chrono::milliseconds phase_timeout(Phase phase) const override;
  // Responses are serialized by the worker (or the codec): sent as they are.
  void encode(std::string* out, const std::string& payload) const override { out->append(payload); }
  std::string timeout_reply() const override;

 private:
  ServerImpl* const server_;
  RequestParser parser_;
  bool answered_first_ = false;  // a request has completed on this connection
  bool done_ = false;            // after an error or a request that closes: input discarded
};

class ServerImpl final : public Server, public mllp::internal::CodecFactory {
 public:
  ServerImpl(const ServerOptions& options, RequestHandler handler)
      : options_(options), handler_(std::move(handler)) {
    if (!options_.error_page) options_.error_page = default_error_page;
  }
  ~ServerImpl() override { stop(std::chrono::milliseconds(0)); }

  gw::Status init() {
    const char* problem = nullptr;
    if (!handler_) {
      problem = "handler is empty";
    } else if (options_.threads < 1 || options_.threads > 256) {
      problem = "threads must be between 1 and 256";
    } else if (options_.max_queued == 0) {
      problem = "max_queued must be positive";
    } else if (options_.header_timeout.count() <= 0 || options_.body_timeout.count() <= 0) {
      problem = "header_timeout and body_timeout must be positive";
    } else if (options_.limits.max_header_bytes < 64 || options_.limits.max_request_line < 16) {
      problem = "max_header_bytes must be at least 64 and max_request_line at least 16";
    }
    if (problem != nullptr) {
      return invalid_argument_error("http server '" + options_.name + "': " + problem);
    }
    mllp::ServerOptions m;
    m.name = options_.name;
    m.host = options_.host;
    m.port = options_.port;
    m.idle_timeout = options_.idle_timeout;
    // The loop holds a TLS handshake to min(frame_timeout, idle_timeout)
    // from the accept: header_timeout, as the head that follows it.
    m.frame_timeout = options_.header_timeout;
    m.max_connections = options_.max_connections;
    m.max_connections_per_address = options_.max_connections_per_address;
    m.input_budget = options_.input_budget;
    m.max_in_flight_per_connection = options_.max_pipelined;
    m.io_threads = options_.io_threads;
    m.clock = options_.clock;
    m.tls = options_.tls;
    m.on_tls_failure = options_.on_tls_failure;
    mllp_options_ = m;
    GW_ASSIGN_OR_RETURN(transport_, mllp::internal::create_server(mllp_options_, this));
    return ok_status();
  }

  std::unique_ptr<Codec> create() override { return std::make_unique<HttpCodec>(this); }

  uint16_t port() const override { return transport_->port(); }

  void start() override {
    std::lock_guard<std::mutex> lock(mu_);
    if (started_ || stopped_) return;
    started_ = true;
    for (int i = 0; i < options_.threads; ++i) workers_.emplace_back([this] { work(); });
    transport_->start();
  }

  void stop(std::chrono::milliseconds grace) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopped_) return;
    stopped_ = true;
    stopping_.store(true);
    // The loops wait (up to grace) for the answers to requests already
    // received, which the workers keep producing meanwhile.
    if (transport_) transport_->stop(grace);
    {
      std::lock_guard<std::mutex> q(queue_mu_);
      queue_closed_ = true;
      queue_.clear();  // their Replies are dropped: the connections are gone
    }
    queue_cv_.notify_all();
    for (auto& t : workers_) t.join();
    workers_.clear();
  }

  ServerStats stats() const override {
    ServerStats s;
    if (transport_) s.transport = transport_->stats();
    s.protocol_errors = protocol_errors_.load(std::memory_order_relaxed);
    s.busy = busy_.load(std::memory_order_relaxed);
    return s;
  }

  // Loop thread: a complete request. Never blocks.
  void submit(const mllp::PeerInfo& peer, Request&& request, mllp::Reply reply) {
    {
      std::lock_guard<std::mutex> lock(queue_mu_);
      if (!queue_closed_ && queue_.size() < options_.max_queued) {
        queue_.push_back(Job{std::move(request), peer, std::move(reply)});
        queue_cv_.notify_one();
        return;
      }
    }
    Response r;
    if (request.refused_status != 0) {
      r = options_.error_page(request.refused_status, request.refused_reason);
    } else {
      busy_.fetch_add(1, std::memory_order_relaxed);
      r = options_.error_page(503, "the server is busy; retry shortly");
      r.headers.emplace_back("Retry-After", "1");
    }
    const bool close = !request.keep_alive;
    std::string bytes = serialize(r, close, request.method == "HEAD");
    if (close) {
      reply.send_and_close(std::move(bytes));
    } else {
      reply.send(std::move(bytes));
    }
  }

  // Loop thread: the answer to a request the parser refused; the connection closes.
  std::string error_bytes(int status, const std::string& reason) {
    if (status != 408) count_protocol_error();
    return serialize(options_.error_page(status, reason), true);
  }
  void count_protocol_error() { protocol_errors_.fetch_add(1, std::memory_order_relaxed); }

  const ServerOptions& options() const { return options_; }

 private:
  void work() {
    for (;;) {
      Job job;
      {
        std::unique_lock<std::mutex> lock(queue_mu_);
        queue_cv_.wait(lock, [this] { return queue_closed_ || !queue_.empty(); });
        if (queue_closed_) return;
        job = std::move(queue_.front());
        queue_.pop_front();
      }
      Response r;
      try {
        r = handler_(job.request, job.peer);
      } catch (...) {
        r = options_.error_page(500, "internal error");
        r.close = true;
      }
      if (job.request.refused_status != 0) r.status = job.request.refused_status;
      const bool close = r.close || !job.request.keep_alive || stopping_.load();
      std::string bytes = serialize(r, close, job.request.method == "HEAD");
      if (close) {
        job.reply.send_and_close(std::move(bytes));
      } else {
        job.reply.send(std::move(bytes));
      }
    }
  }

  ServerOptions options_;
  RequestHandler handler_;
  mllp::ServerOptions mllp_options_;  // outlives transport_, which refers to it
  std::unique_ptr<mllp::Server> transport_;
  std::atomic<uint64_t> protocol_errors_{0};
  std::atomic<uint64_t> busy_{0};
  std::atomic<bool> stopping_{false};
  std::mutex queue_mu_;
  std::condition_variable queue_cv_;
  std::deque<Job> queue_;      // guarded by queue_mu_
  bool queue_closed_ = false;  // guarded by queue_mu_
  std::mutex mu_;              // guards started_, stopped_, workers_
  bool started_ = false;
  bool stopped_ = false;
  std::vector<std::thread> workers_;
};

HttpCodec::HttpCodec(ServerImpl* server) : server_(server), parser_(server->options().limits) {}

size_t HttpCodec::feed(std::string_view data, ConnectionSink& sink) {
  size_t used = 0;
  while (!done_) {
    if (!sink.may_continue()) return used;
    const RequestParser::Step step = parser_.feed(data.substr(used));
    used += step.consumed;
    switch (step.event) {
      case RequestParser::Event::kNeedMore:
        return used;
      case RequestParser::Event::kContinue:
        // Its own place in the reply order: after the answers to earlier
        // pipelined requests, before this request's.
        sink.next_reply().send(kContinue);
        break;
      case RequestParser::Event::kRequest: {
        Request r = parser_.take_request();
        answered_first_ = true;
        // Bytes after a request that closes the connection are not read as
        // requests (its answer closes the connection).
        if (!r.keep_alive) done_ = true;
        LoopCounters::bump(sink.counters().frames);
        server_->submit(sink.peer(), std::move(r), sink.next_reply());
        break;
      }
      case RequestParser::Event::kError:
        done_ = true;
        if (parser_.error_status() == 413) {
          // The head was fine: the handler reports the refusal (today's FHIR
          // endpoint logs and audits a 413 like any answer).
          Request r = parser_.take_refused_head();
          r.keep_alive = false;
          r.refused_status = 413;
          r.refused_reason = parser_.error_reason();
          server_->count_protocol_error();
          server_->submit(sink.peer(), std::move(r), sink.next_reply());
        } else {
          sink.next_reply().send_and_close(
              server_->error_bytes(parser_.error_status(), parser_.error_reason()));
        }
        break;
    }
  }
  return data.size();  // discarded: the connection is closing
}

Codec::Phase HttpCodec::phase() const {
  if (done_) return Phase::kIdle;
  if (parser_.in_body()) return Phase::kBody;
  // The first request's head is due from the accept; later ones from their
  // first byte.
  if (parser_.in_head() || !answered_first_) return Phase::kHead;
  return Phase::kIdle;
}

std::chrono::milliseconds HttpCodec::phase_timeout(Phase phase) const {
  return phase == Phase::kBody ? server_->options().body_timeout
                               : server_->options().header_timeout;
}

std::string HttpCodec::timeout_reply() const {
  return server_->error_bytes(408, parser_.in_body() ? "request body not received in time"
                                                     : "request head not received in time");
}

}  // namespace

std::string serialize(const Response& r, bool close, bool head_only) {
  std::string out;
  out.reserve(256 + r.body.size());
  out += "HTTP/1.1 ";
  out += std::to_string(r.status);
  out += ' ';
  out += reason_phrase(r.status);
  out += "\r\n";
  for (const auto& [name, value] : r.headers) {
    if (name.empty() || !safe_field(name) || !safe_field(value)) continue;
    out += name;
    out += ": ";
    out += value;
    out += "\r\n";
  }
  append_date(&out);
  const bool no_body = (r.status >= 100 && r.status < 200) || r.status == 204 || r.status == 304;
  if (!no_body) {
    out += "Content-Length: ";
    out += std::to_string(r.body.size());
    out += "\r\n";
  }
  if (close) out += "Connection: close\r\n";
  out += "\r\n";
  if (!no_body && !head_only) out += r.body;
  return out;
}

gw::Result<std::unique_ptr<Server>> Server::create(const ServerOptions& options,
                                                   RequestHandler handler) {
  auto server = std::make_unique<ServerImpl>(options, std::move(handler));
  GW_RETURN_IF_ERROR(server->init());
  return std::unique_ptr<Server>(std::move(server));
}

}  // namespace gw::http
