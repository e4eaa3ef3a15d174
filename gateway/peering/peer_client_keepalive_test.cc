// PeerClient's kept-alive connections against a real PeerServer on
// 127.0.0.1, counted on the server's side: reuse, idle closes from either
// side, the one retry of a call whose kept connection was lost, several
// threads, and the pin of a kept connection.
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/StreamSocket.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include "gateway/peering/peer_test_util.h"
#include "tests/support/wait.h"

namespace gw::peering::testing {
namespace {

using namespace std::chrono_literals;
using gw::testing::wait_until;

class PeerClientKeepAliveTest : public PeeringFixture {
 protected:
  std::unique_ptr<PeerClient> pooled(size_t max_idle, std::chrono::milliseconds idle_timeout,
                                     std::chrono::milliseconds timeout = 10s,
                                     size_t max_connections = 4) {
    PeerClientOptions o;
    o.cert_file = pki_.client_cert;
    o.key_file = pki_.client_key;
    o.timeout = timeout;
    o.max_connections_per_peer = max_connections;
    o.max_idle_per_peer = max_idle;
    o.idle_timeout = idle_timeout;
    auto c = PeerClient::create(o);
    EXPECT_TRUE(c.ok()) << c.error().message();
    return c.ok() ? std::move(c).value() : nullptr;
  }
  bool post_ok(PeerClient& c, const Fingerprint& fp = {}) {
    auto r = c.post(base_url_, "/transfers", fp == Fingerprint{} ? server_fp_ : fp, "{}");
    EXPECT_TRUE(r.ok()) << r.error().status.message();
    return r.ok();
  }
};

TEST_F(PeerClientKeepAliveTest, SequentialPostsShareOneConnection) {
  start();
  auto c = pooled(4, 5s);
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(post_ok(*c));
  EXPECT_EQ(calls(), 5);
  EXPECT_EQ(server_.connections_served(), 1u);
}

TEST_F(PeerClientKeepAliveTest, WithoutKeptConnectionsEveryCallHandshakesAndHoldsNothing) {
  start();
  auto c = pooled(0, 5s);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(post_ok(*c));
  EXPECT_EQ(server_.connections_served(), 3u);
  EXPECT_TRUE(wait_until([&] { return server_.connections_open() == 0; }, 5s));
}

TEST_F(PeerClientKeepAliveTest, AConnectionTheServerClosedWhileIdleIsReplaced) {
  options_.header_timeout = 500ms;  // the server's keep-alive timeout
  start();
  auto c = pooled(4, 30s);  // longer: the server closes first
  ASSERT_TRUE(post_ok(*c));
  ASSERT_TRUE(wait_until([&] { return server_.connections_open() == 0; }, 5s))
      << "the server did not close the idle connection";
  ASSERT_TRUE(post_ok(*c));
  EXPECT_EQ(calls(), 2);
  EXPECT_EQ(server_.connections_served(), 2u);
}

TEST_F(PeerClientKeepAliveTest, TheClientClosesIdleConnectionsAfterItsIdleTimeout) {
  start();  // header_timeout 10 s: the server would hold the connection that long
  auto c = pooled(4, 200ms);
  ASSERT_TRUE(post_ok(*c));
  EXPECT_EQ(server_.connections_open(), 1);
  ASSERT_TRUE(wait_until([&] { return server_.connections_open() == 0; }, 3s))
      << "the idle connection still holds a server worker";
  ASSERT_TRUE(post_ok(*c));
  EXPECT_EQ(server_.connections_served(), 2u);
}

TEST_F(PeerClientKeepAliveTest, ATimeoutOnAKeptConnectionIsNotRepeated) {
  auto release = std::make_shared<std::atomic<bool>>(false);
  auto handled = std::make_shared<std::atomic<int>>(0);
  start([release, handled](const PeerRequest&) {
    if (handled->fetch_add(1) == 1) wait_until([&] { return release->load(); }, 5s);
    return PeerResponse{200, "{}"};
  });
  auto c = pooled(4, 5s, 500ms);
  ASSERT_TRUE(post_ok(*c));
  auto r = c->post(base_url_, "/transfers", server_fp_, "{}");
  *release = true;
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().status.code(), StatusCode::kUnavailable);
  EXPECT_NE(r.error().status.message().find("did not answer within 500 ms"), std::string::npos)
      << r.error().status.message();
  EXPECT_EQ(handled->load(), 2);  // the peer may still be at work: not sent again
}

TEST_F(PeerClientKeepAliveTest, EightThreadsShareTheKeptConnections) {
  options_.threads = 16;  // 8 handshakes at once from one address are admitted
  start();
  auto c = pooled(8, 5s, 10s, 8);
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 10; ++i)
        if (c->post(base_url_, "/transfers", server_fp_, "{}").ok()) ++ok;
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 80);
  EXPECT_EQ(calls(), 80);
  // Never more connections than callers at once: each found the others'
  // connections in use or took an idle one.
  EXPECT_LE(server_.connections_served(), 8u);
}

TEST_F(PeerClientKeepAliveTest, CallersBeyondTheConnectionLimitWaitForOne) {
  start([this](const PeerRequest&) {
    ++calls_;
    std::this_thread::sleep_for(5ms);  // long enough for the callers to overlap
    return PeerResponse{200, "{}"};
  });
  auto c = pooled(2, 5s, 10s, 2);
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 5; ++i)
        if (c->post(base_url_, "/transfers", server_fp_, "{}").ok()) ++ok;
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 30);
  EXPECT_EQ(calls(), 30);
  EXPECT_LE(server_.connections_served(), 2u);
}

TEST_F(PeerClientKeepAliveTest, NoConnectionsAtAllIsRefused) {
  PeerClientOptions o;
  o.cert_file = pki_.client_cert;
  o.key_file = pki_.client_key;
  o.max_connections_per_peer = 0;
  auto c = PeerClient::create(o);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code(), StatusCode::kInvalidArgument);
}

TEST_F(PeerClientKeepAliveTest, AKeptConnectionIsNotUsedForAnotherFingerprint) {
  start();
  auto c = pooled(4, 5s);
  ASSERT_TRUE(post_ok(*c));  // kept, pinned to server_fp_
  // The registry now lists another certificate for this member: a new
  // connection checks it, and the server's certificate is not it.
  auto r = c->post(base_url_, "/transfers", member_fp_, "{}");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().status.code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(calls(), 1);
  EXPECT_EQ(server_.connections_served(), 2u);
  ASSERT_TRUE(post_ok(*c));  // the kept one still serves its own pin
  EXPECT_EQ(server_.connections_served(), 2u);
}

// A TLS server that answers the first request on each connection (kept
// alive), then reads the second and closes without answering: a peer closing
// its idle connection just as the client sends on it.
class ClosesAfterOneAnswer {
 public:
  explicit ClosesAfterOneAnswer(Poco::Net::Context::Ptr ctx)
      : listener_(Poco::Net::SocketAddress("127.0.0.1", 0), 4, ctx), thread_([this] { run(); }) {}
  ~ClosesAfterOneAnswer() {
    done_ = true;
    thread_.join();
  }
  std::string url() const {
    return "https://127.0.0.1:" + std::to_string(listener_.address().port());
  }
  std::atomic<int> connections{0}, requests{0};

 private:
  // Reads one request (headers and a Content-Length body); false at EOF.
  static bool read_request(Poco::Net::StreamSocket& s) {
    std::string in;
    char buf[4096];
    size_t end;
    while ((end = in.find("\r\n\r\n")) == std::string::npos) {
      const int n = s.receiveBytes(buf, sizeof buf);
      if (n <= 0) return false;
      in.append(buf, n);
    }
    std::string head = in.substr(0, end);
    std::transform(head.begin(), head.end(), head.begin(), ::tolower);
    const size_t cl = head.find("content-length:");
    const size_t want = cl == std::string::npos ? 0 : std::stoul(head.substr(cl + 15));
    while (in.size() - end - 4 < want) {
      const int n = s.receiveBytes(buf, sizeof buf);
      if (n <= 0) return false;
      in.append(buf, n);
    }
    return true;
  }
  void run() {
    while (!done_) {
      try {
        if (!listener_.poll(Poco::Timespan(0, 50000), Poco::Net::Socket::SELECT_READ)) continue;
        Poco::Net::StreamSocket s = listener_.acceptConnection();
        ++connections;
        s.setReceiveTimeout(Poco::Timespan(5, 0));
        if (!read_request(s)) continue;
        ++requests;
        const std::string answer =
            "HTTP/1.1 200 OK\r\nConnection: Keep-Alive\r\nContent-Type: application/json\r\n"
            "Content-Length: 11\r\n\r\n{\"ok\":true}";
        s.sendBytes(answer.data(), static_cast<int>(answer.size()));
        if (read_request(s)) ++requests;
        s.close();
      } catch (const Poco::Exception&) {
        // A client that gave up: the next one.
      }
    }
  }
  Poco::Net::SecureServerSocket listener_;
  std::atomic<bool> done_{false};
  std::thread thread_;
};

TEST_F(PeerClientKeepAliveTest, AKeptConnectionLostAsTheRequestGoesIsRetriedOnceOnANewOne) {
  auto ctx = internal::make_server_context(pki_.server_cert, pki_.server_key);
  ASSERT_TRUE(ctx.ok()) << ctx.error().message();
  ClosesAfterOneAnswer peer(*ctx);
  auto c = pooled(4, 5s);
  auto first = c->post(peer.url(), "/transfers", server_fp_, "{}");
  ASSERT_TRUE(first.ok()) << first.error().status.message();
  // Sent on the kept connection, which the peer closes unanswered; made
  // again on a new one, answered there.
  auto second = c->post(peer.url(), "/transfers", server_fp_, "{}");
  ASSERT_TRUE(second.ok()) << second.error().status.message();
  EXPECT_EQ(second->body, R"({"ok":true})");
  EXPECT_EQ(peer.connections.load(), 2);
  EXPECT_TRUE(wait_until([&] { return peer.requests.load() == 3; }, 2s)) << peer.requests.load();
}

}  // namespace
}  // namespace gw::peering::testing
