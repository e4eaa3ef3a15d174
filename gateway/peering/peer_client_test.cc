// PeerClient against a real PeerServer (and a silent socket) on 127.0.0.1:
// pinning, deadlines, bounded responses, and which error kind each failure is.
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/StreamSocket.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include "gateway/peering/peer_test_util.h"
#include "tests/support/wait.h"

namespace gw::peering::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

class PeerClientTest : public PeeringFixture {};

TEST_F(PeerClientTest, RefusesAServerWithAnotherFingerprintBeforeSending) {
  start();
  auto c = client();
  auto r = c->post(base_url_, "/transfers", member_fp_, R"({"x":1})");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().status.code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(r.error().http_status, 0);
  const std::string& m = r.error().status.message();
  EXPECT_NE(m.find("expected the member's registered " + to_hex(member_fp_)), std::string::npos)
      << m;
  EXPECT_NE(m.find("sha256 " + to_hex(server_fp_)), std::string::npos) << m;
  EXPECT_EQ(calls(), 0);
}

TEST_F(PeerClientTest, UnreachablePeerIsUnavailable) {
  uint16_t port;
  {
    Poco::Net::ServerSocket s(Poco::Net::SocketAddress("127.0.0.1", 0));
    port = s.address().port();
  }  // closed: nothing listens there now
  auto r = client()->get("https://127.0.0.1:" + std::to_string(port), "/status", server_fp_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().status.code(), StatusCode::kUnavailable);
  EXPECT_EQ(r.error().http_status, 0);
}

TEST_F(PeerClientTest, SilentPeerTimesOutAtTheDeadline) {
  // Accepts connections (the kernel's backlog) and never says a word.
  Poco::Net::ServerSocket silent(Poco::Net::SocketAddress("127.0.0.1", 0));
  auto c = client(true, 500ms);
  const auto t0 = Clock::now();
  auto r =
      c->get("https://127.0.0.1:" + std::to_string(silent.address().port()), "/status", server_fp_);
  const auto took = Clock::now() - t0;
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().status.code(), StatusCode::kUnavailable);
  EXPECT_NE(r.error().status.message().find("did not answer within 500 ms"), std::string::npos)
      << r.error().status.message();
  EXPECT_GE(took, 400ms);
  EXPECT_LT(took, 2500ms);
}

TEST_F(PeerClientTest, SlowHandlerTimesOutTheWholeExchange) {
  // Shared with the handler, which may still be waiting after this body
  // returns (the server stops in TearDown).
  auto release = std::make_shared<std::atomic<bool>>(false);
  start([release](const PeerRequest&) {
    gw::testing::wait_until([&] { return release->load(); }, 5s);
    return PeerResponse{200, "{}"};
  });
  auto c = client(true, 500ms);
  const auto t0 = Clock::now();
  auto r = c->post(base_url_, "/transfers", server_fp_, "{}");
  const auto took = Clock::now() - t0;
  *release = true;
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().status.code(), StatusCode::kUnavailable);
  EXPECT_LT(took, 2500ms);
}

TEST_F(PeerClientTest, TricklingPeerIsCutAtTheDeadline) {
  // A TLS server that answers one byte of its body every 50 ms: each receive
  // is quick, so only a deadline for the whole exchange ends the call.
  auto ctx = internal::make_server_context(pki_.server_cert, pki_.server_key);
  ASSERT_TRUE(ctx.ok()) << ctx.error().message();
  Poco::Net::SecureServerSocket listener(Poco::Net::SocketAddress("127.0.0.1", 0), 4, *ctx);
  std::atomic<bool> done{false};
  std::thread trickler([&] {
    try {
      Poco::Net::StreamSocket s = listener.acceptConnection();
      s.setReceiveTimeout(Poco::Timespan(5, 0));
      std::string in;
      char buf[1024];
      while (in.find("\r\n\r\n") == std::string::npos) {
        const int n = s.receiveBytes(buf, sizeof buf);
        if (n <= 0) return;
        in.append(buf, n);
      }
      const std::string head = "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n";
      s.sendBytes(head.data(), static_cast<int>(head.size()));
      while (!done.load()) {
        s.sendBytes("x", 1);
        std::this_thread::sleep_for(50ms);
      }
    } catch (const Poco::Exception&) {
      // The client hung up: what the test expects.
    }
  });
  auto c = client(true, 1s);
  const auto t0 = Clock::now();
  auto r = c->get("https://127.0.0.1:" + std::to_string(listener.address().port()), "/status",
                  server_fp_);
  const auto took = Clock::now() - t0;
  done = true;
  trickler.join();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().status.code(), StatusCode::kUnavailable);
  EXPECT_NE(r.error().status.message().find("did not answer within 1000 ms"), std::string::npos)
      << r.error().status.message();
  EXPECT_GE(took, 900ms);
  EXPECT_LT(took, 3s);
}

TEST_F(PeerClientTest, ResponseOverTheLimitIsRefused) {
  start([](const PeerRequest&) {
    return PeerResponse{200, "\"" + std::string(2 << 20, 'x') + "\""};
  });
  PeerClientOptions o;
  o.cert_file = pki_.client_cert;
  o.key_file = pki_.client_key;
  o.max_response_bytes = 1 << 20;
  auto c = PeerClient::create(o);
  ASSERT_TRUE(c.ok());
  auto r = (*c)->post(base_url_, "/transfers", server_fp_, "{}");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().status.code(), StatusCode::kUnavailable);
  EXPECT_NE(r.error().status.message().find("over 1048576 bytes"), std::string::npos)
      << r.error().status.message();
}

TEST_F(PeerClientTest, AnsweredErrorsCarryTheStatusCodeAndReason) {
  start(
      [](const PeerRequest&) { return peer_error(409, "duplicate", "transfer 7 already stored"); });
  auto r = client()->post(base_url_, "/transfers", server_fp_, "{}");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().status.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(r.error().http_status, 409);
  EXPECT_EQ(r.error().code, "duplicate");
  EXPECT_EQ(r.error().reason, "transfer 7 already stored");
  EXPECT_NE(r.error().status.message().find("409 duplicate"), std::string::npos);
}

TEST_F(PeerClientTest, BadBaseUrlsAreInvalidArguments) {
  auto c = client();
  for (const char* url : {"http://127.0.0.1:8444", "https://", "https://u:p@host:8444",
                          "https://host:8444/path", "not a url"}) {
    auto r = c->get(url, "/status", server_fp_);
    ASSERT_FALSE(r.ok()) << url;
    EXPECT_EQ(r.error().status.code(), StatusCode::kInvalidArgument) << url;
  }
  auto r = c->get("https://127.0.0.1:1", "status", server_fp_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().status.code(), StatusCode::kInvalidArgument);
}

TEST_F(PeerClientTest, MissingCertificateFileIsNamed) {
  PeerClientOptions o;
  o.cert_file = dir_ + "/absent.pem";
  o.key_file = pki_.client_key;
  auto c = PeerClient::create(o);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code(), StatusCode::kNotFound);
  EXPECT_NE(c.error().message().find("absent.pem"), std::string::npos);
}

TEST_F(PeerClientTest, OneClientServesSeveralThreads) {
  // Four handshakes at once from one address: within the server's
  // max_unidentified_per_address (threads / 2).
  options_.threads = 8;
  start();
  auto c = client();
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 5; ++i)
        if (c->post(base_url_, "/transfers", server_fp_, "{}").ok()) ++ok;
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 20);
  EXPECT_EQ(calls(), 20);
}

}  // namespace
}  // namespace gw::peering::testing
