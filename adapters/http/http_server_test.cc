// The HTTP server over real loopback sockets (plain TCP: TLS is the loop's,
// tested in adapters/mllp/server_tls_test.cc and by the FHIR endpoint's tests).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>

#include "adapters/http/server.h"
#include "tests/support/wait.h"

namespace gw::http {
namespace {

using namespace std::chrono_literals;

// A blocking client socket with a deadline on every read.
class Client {
 public:
  explicit Client(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  }
  ~Client() { ::close(fd_); }
  bool connected() const { return connected_; }
  bool send(const std::string& s) {
    return ::send(fd_, s.data(), s.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(s.size());
  }
  // Reads one response (status line, headers, Content-Length body); "" if
  // the connection closed or nothing came within `timeout`.
  std::string response(std::chrono::milliseconds timeout = 10s) {
    for (;;) {
      const size_t end = buf_.find("\r\n\r\n");
      if (end != std::string::npos) {
        size_t length = 0;
        const size_t cl = buf_.find("Content-Length: ");
        if (cl != std::string::npos && cl < end) length = std::stoul(buf_.substr(cl + 16));
        if (buf_.size() >= end + 4 + length) {
          std::string r = buf_.substr(0, end + 4 + length);
          buf_.erase(0, end + 4 + length);
          return r;
        }
      }
      if (!fill(timeout)) return "";
    }
  }
  // True once the server has closed the connection (EOF or reset) within
  // `timeout`; whatever it sent first is kept.
  bool closed(std::chrono::milliseconds timeout = 10s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
      if (!fill(10ms) && eof_) return true;
    }
    return false;
  }
  const std::string& pending() const { return buf_; }

 private:
  bool fill(std::chrono::milliseconds timeout) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return false;
    char tmp[65536];
    const ssize_t n = ::recv(fd_, tmp, sizeof tmp, 0);
    if (n <= 0) {
      eof_ = true;
      return false;
    }
    buf_.append(tmp, static_cast<size_t>(n));
    return true;
  }
  int fd_ = -1;
  bool connected_ = false;
  bool eof_ = false;
  std::string buf_;
};

int status_of(const std::string& response) {
  if (response.size() < 12 || response.compare(0, 9, "HTTP/1.1 ") != 0) return 0;
  return std::stoi(response.substr(9, 3));
}

std::string body_of(const std::string& response) {
  const size_t end = response.find("\r\n\r\n");
  return end == std::string::npos ? "" : response.substr(end + 4);
}

// Answers with "<method> <target> <body>"; GET /wait/... blocks until released.
struct Fixture {
  std::mutex mu;
  std::condition_variable cv;
  bool released = false;
  std::atomic<int> waiting{0};
  std::atomic<int> served{0};
  std::atomic<int> refused{0};  // calls for requests the server refused (413)

  RequestHandler handler() {
    return [this](const Request& r, const mllp::PeerInfo& peer) {
      if (r.refused_status != 0) {
        refused.fetch_add(1);
        return Response{};  // the server answers with the refusal's status
      }
      if (r.target.rfind("/wait", 0) == 0) {
        waiting.fetch_add(1);
        std::unique_lock<std::mutex> lock(mu);
        cv.wait(lock, [this] { return released; });
      }
      served.fetch_add(1);
      Response out;
      out.headers.emplace_back("Content-Type", "text/plain");
      out.body = r.method + " " + r.target + " " + r.body;
      return out;
    };
  }
  void release() {
    {
      std::lock_guard<std::mutex> lock(mu);
      released = true;
    }
    cv.notify_all();
  }
};

class HttpServerTest : public ::testing::Test {
 protected:
  void start(ServerOptions o = {}) {
    o.port = 0;
    auto s = Server::create(o, fx.handler());
    ASSERT_TRUE(s.ok()) << s.status().message();
    server = std::move(s).value();
    server->start();
  }
  void TearDown() override {
    fx.release();
    if (server) server->stop(0ms);
  }
  std::string get(const std::string& target, const std::string& extra = "") {
    return "GET " + target + " HTTP/1.1\r\nHost: t\r\n" + extra + "\r\n";
  }
  Fixture fx;
  std::unique_ptr<Server> server;
};

TEST_F(HttpServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  start();
  Client c(server->port());
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(c.send(get("/r" + std::to_string(i))));
    const std::string r = c.response();
    EXPECT_EQ(status_of(r), 200);
    EXPECT_EQ(body_of(r), "GET /r" + std::to_string(i) + " ");
    EXPECT_EQ(r.find("Connection: close"), std::string::npos);
  }
  ASSERT_TRUE(c.send(get("/last", "Connection: close\r\n")));
  EXPECT_NE(c.response().find("Connection: close"), std::string::npos);
  EXPECT_TRUE(c.closed());
}

TEST_F(HttpServerTest, Http10ClosesAfterItsResponse) {
  start();
  Client c(server->port());
  ASSERT_TRUE(c.send("GET /x HTTP/1.0\r\n\r\n"));
  EXPECT_EQ(status_of(c.response()), 200);
  EXPECT_TRUE(c.closed());
}

TEST_F(HttpServerTest, PipelinedRequestsAreAnsweredInOrder) {
  start();
  Client c(server->port());
  // The first blocks its worker until the second has been served by another:
  // answers complete out of order, and must still go out in order.
  ASSERT_TRUE(c.send(get("/wait") + get("/second") + get("/third")));
  ASSERT_TRUE(testing::wait_until([&] { return fx.served.load() == 2; }, 10s));
  EXPECT_EQ(c.response(100ms), "");  // nothing before the first answer
  fx.release();
  EXPECT_EQ(body_of(c.response()), "GET /wait ");
  EXPECT_EQ(body_of(c.response()), "GET /second ");
  EXPECT_EQ(body_of(c.response()), "GET /third ");
}

TEST_F(HttpServerTest, ChunkedBodyReachesTheHandler) {
  start();
  Client c(server->port());
  ASSERT_TRUE(
      c.send("POST /p HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
             "3\r\nabc\r\n"));
  ASSERT_TRUE(c.send("4;x=1\r\ndefg\r\n0\r\nTrailer: x\r\n\r\n"));
  const std::string r = c.response();
  EXPECT_EQ(status_of(r), 200);
  EXPECT_EQ(body_of(r), "POST /p abcdefg");
}

TEST_F(HttpServerTest, ExpectContinueGetsAnInterimAnswerBeforeTheBody) {
  start();
  Client c(server->port());
  ASSERT_TRUE(
      c.send("PUT /e HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n"
             "Expect: 100-continue\r\n\r\n"));
  EXPECT_EQ(c.response(), "HTTP/1.1 100 Continue\r\n\r\n");
  ASSERT_TRUE(c.send("hello"));
  const std::string r = c.response();
  EXPECT_EQ(status_of(r), 200);
  EXPECT_EQ(body_of(r), "PUT /e hello");
}

TEST_F(HttpServerTest, DeclaredBodyTooLargeIsRefusedAtOnce) {
  ServerOptions o;
  o.limits.max_body_bytes = 1000;
  start(o);
  Client c(server->port());
  ASSERT_TRUE(
      c.send("POST /big HTTP/1.1\r\nHost: t\r\nContent-Length: 1001\r\n"
             "Expect: 100-continue\r\n\r\n"));
  const std::string r = c.response();
  EXPECT_EQ(status_of(r), 413);
  EXPECT_NE(r.find("Connection: close"), std::string::npos);
  EXPECT_TRUE(c.closed());
  // The handler heard of it (to log and audit it) but got no body.
  EXPECT_EQ(fx.refused.load(), 1);
  EXPECT_EQ(fx.served.load(), 0);
}

TEST_F(HttpServerTest, HeadTooLargeIs431) {
  start();
  Client c(server->port());
  ASSERT_TRUE(c.send("GET / HTTP/1.1\r\nHost: t\r\nX-Big: " + std::string(40000, 'a')));
  EXPECT_EQ(status_of(c.response()), 431);
  EXPECT_TRUE(c.closed());
  EXPECT_EQ(server->stats().protocol_errors, 1u);
}

TEST_F(HttpServerTest, SmugglingIsRefusedAndNothingAfterItIsServed) {
  start();
  Client c(server->port());
  ASSERT_TRUE(
      c.send("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n"
             "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n" +
             get("/smuggled")));
  EXPECT_EQ(status_of(c.response()), 400);
  EXPECT_TRUE(c.closed());
  EXPECT_EQ(fx.served.load(), 0);
}

TEST_F(HttpServerTest, HeadAndBodyDeadlines) {
  ServerOptions o;
  o.header_timeout = 300ms;
  o.body_timeout = 300ms;
  start(o);
  Client silent(server->port());     // never sends a byte
  Client slow_head(server->port());  // a head that never ends
  Client slow_body(server->port());  // a body that never ends
  ASSERT_TRUE(slow_head.send("GET / HTTP/1.1\r\nHost: t\r\n"));
  ASSERT_TRUE(slow_body.send("PUT /b HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nab"));
  for (Client* c : {&silent, &slow_head, &slow_body}) {
    EXPECT_EQ(status_of(c->response()), 408);
    EXPECT_TRUE(c->closed());
  }
  EXPECT_EQ(server->stats().transport.connections_frame_timeout, 3u);
  // A keep-alive connection between requests is held by idle_timeout, not
  // by header_timeout.
  Client idle(server->port());
  ASSERT_TRUE(idle.send(get("/one")));
  EXPECT_EQ(status_of(idle.response()), 200);
  EXPECT_FALSE(idle.closed(600ms));
  ASSERT_TRUE(idle.send(get("/two")));
  EXPECT_EQ(status_of(idle.response()), 200);
}

TEST_F(HttpServerTest, IdleKeepAliveConnectionIsClosed) {
  ServerOptions o;
  o.idle_timeout = 300ms;
  start(o);
  Client c(server->port());
  ASSERT_TRUE(c.send(get("/one")));
  EXPECT_EQ(status_of(c.response()), 200);
  EXPECT_TRUE(c.closed());
  EXPECT_GE(server->stats().transport.connections_idle_closed, 1u);
}

TEST_F(HttpServerTest, FullQueueIsAnswered503WithRetryAfter) {
  ServerOptions o;
  o.threads = 1;
  o.max_queued = 1;
  start(o);
  Client a(server->port()), b(server->port()), c(server->port());
  ASSERT_TRUE(a.send(get("/wait")));  // takes the only worker
  ASSERT_TRUE(testing::wait_until([&] { return fx.waiting.load() == 1; }, 10s));
  ASSERT_TRUE(b.send(get("/queued")));  // fills the queue
  ASSERT_TRUE(
      testing::wait_until([&] { return server->stats().transport.frames_received == 2; }, 10s));
  ASSERT_TRUE(c.send(get("/refused")));
  const std::string r = c.response();
  EXPECT_EQ(status_of(r), 503);
  EXPECT_NE(r.find("Retry-After: 1"), std::string::npos);
  EXPECT_EQ(server->stats().busy, 1u);
  fx.release();
  EXPECT_EQ(status_of(a.response()), 200);
  EXPECT_EQ(status_of(b.response()), 200);
  // The refused client's connection still works.
  ASSERT_TRUE(c.send(get("/again")));
  EXPECT_EQ(status_of(c.response()), 200);
}

TEST_F(HttpServerTest, ConnectionsOverTheCapAreRefusedWhileEarlierOnesWork) {
  ServerOptions o;
  o.max_connections = 2;
  start(o);
  Client a(server->port()), b(server->port());
  ASSERT_TRUE(a.send(get("/a")));
  ASSERT_TRUE(b.send(get("/b")));
  EXPECT_EQ(status_of(a.response()), 200);
  EXPECT_EQ(status_of(b.response()), 200);
  Client extra(server->port());
  EXPECT_TRUE(extra.closed());
  EXPECT_EQ(server->stats().transport.connections_refused, 1u);
  ASSERT_TRUE(a.send(get("/a2")));
  EXPECT_EQ(status_of(a.response()), 200);
}

TEST_F(HttpServerTest, StopLetsARequestInProgressFinish) {
  start();
  Client c(server->port());
  ASSERT_TRUE(c.send(get("/wait")));
  ASSERT_TRUE(testing::wait_until([&] { return fx.waiting.load() == 1; }, 10s));
  std::thread stopper([&] { server->stop(10s); });
  fx.release();
  const std::string r = c.response();
  stopper.join();
  EXPECT_EQ(status_of(r), 200);
  EXPECT_TRUE(c.closed());
}

TEST(HttpSerialize, DropsHeadersThatWouldSplitTheResponse) {
  Response r;
  r.status = 201;
  r.headers.emplace_back("Location", "/a\r\nSet-Cookie: x");
  r.headers.emplace_back("X-Ok", "fine");
  r.body = "{}";
  const std::string s = serialize(r, false);
  EXPECT_EQ(s.find("Set-Cookie"), std::string::npos);
  EXPECT_NE(s.find("X-Ok: fine\r\n"), std::string::npos);
  EXPECT_NE(s.find("Content-Length: 2\r\n"), std::string::npos);
  EXPECT_EQ(s.rfind("HTTP/1.1 201 Created\r\n", 0), 0u);
  EXPECT_EQ(serialize(r, true, true).find("{}"), std::string::npos);
}

}  // namespace
}  // namespace gw::http
