// The member-to-member listener with real sockets on 127.0.0.1: who gets in
// (by certificate fingerprint), what is refused and how, and that idle or
// trickling connections cannot hold it.
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/SecureStreamSocket.h>
#include <Poco/Net/StreamSocket.h>
#include <openssl/ssl.h>
#include <sys/socket.h>

#include <chrono>
#include <thread>

#include "gateway/peering/peer_test_util.h"
#include "tests/support/tls_probe.h"
#include "tests/support/wait.h"

namespace gw::peering::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

class PeerServerTest : public PeeringFixture {};

// Connects a plain TCP socket (no TLS, nothing sent).
Poco::Net::StreamSocket idle_connection(uint16_t port) {
  Poco::Net::StreamSocket s;
  s.connect(Poco::Net::SocketAddress("127.0.0.1", port), Poco::Timespan(2, 0));
  return s;
}

// True once the server closed `s` (EOF or reset), polling up to `timeout`.
bool closed_by_server(Poco::Net::StreamSocket& s, std::chrono::milliseconds timeout) {
  const auto end = Clock::now() + timeout;
  while (Clock::now() < end) {
    try {
      if (s.poll(Poco::Timespan(0, 50000), Poco::Net::Socket::SELECT_READ)) {
        char buf[256];
        if (s.receiveBytes(buf, sizeof buf) <= 0) return true;
      }
    } catch (const Poco::Exception&) {
      return true;
    }
  }
  return false;
}

TEST_F(PeerServerTest, KnownMemberReachesTheHandlerWithItsAccount) {
  start();
  auto c = client();
  auto r = c->post(base_url_, "/transfers/t-1?attempt=2", server_fp_, R"({"x":1})");
  ASSERT_TRUE(r.ok()) << r.error().status.message();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, R"({"ok":true})");
  std::lock_guard<std::mutex> lock(mu_);
  EXPECT_EQ(seen_.peer, member_b());
  EXPECT_EQ(seen_.fingerprint, member_fp_);
  EXPECT_EQ(seen_.method, "POST");
  EXPECT_EQ(seen_.path, "/transfers/t-1");
  EXPECT_EQ(seen_.query, "attempt=2");
  EXPECT_EQ(seen_.body, R"({"x":1})");
}

TEST_F(PeerServerTest, UnknownFingerprintGets403AndTheHandlerIsNotCalled) {
  start();
  auto c = client(/*member=*/false);
  auto r = c->post(base_url_, "/transfers", server_fp_, R"({"x":1})");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().status.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(r.error().http_status, 403);
  EXPECT_EQ(r.error().code, "unknown-peer");
  EXPECT_NE(r.error().reason.find(to_hex(fingerprint_of(pki_.other_client_cert))),
            std::string::npos)
      << r.error().reason;
  EXPECT_EQ(calls(), 0);
}

TEST_F(PeerServerTest, NoClientCertificateFailsTheHandshake) {
  start();
  // A client that would otherwise complete a TLS 1.2 handshake (it trusts
  // the server's CA) but has no certificate to present.
  EXPECT_FALSE(gw::testing::handshake_with_versions(server_.port(), pki_.ca_cert, TLS1_2_VERSION,
                                                    TLS1_2_VERSION));
  EXPECT_FALSE(gw::testing::handshake_with_versions(server_.port(), pki_.ca_cert, TLS1_VERSION,
                                                    TLS1_1_VERSION));
  // TLS 1.3 finishes the client's side of the handshake before the server
  // refuses; the request then gets no answer.
  Poco::Net::Context::Params p;
  p.verificationMode = Poco::Net::Context::VERIFY_NONE;
  p.loadDefaultCAs = false;
  Poco::Net::Context::Ptr no_cert = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, p);
  EXPECT_THROW(
      {
        Poco::Net::SecureStreamSocket s(Poco::Net::SocketAddress("127.0.0.1", server_.port()),
                                        no_cert);
        s.setReceiveTimeout(Poco::Timespan(5, 0));
        const std::string req = "GET /status HTTP/1.1\r\nHost: x\r\n\r\n";
        s.sendBytes(req.data(), static_cast<int>(req.size()));
        char buf[512];
        if (s.receiveBytes(buf, sizeof buf) <= 0) throw Poco::IOException("closed");
      },
      Poco::Exception);
  EXPECT_EQ(calls(), 0);
  // The member still gets in.
  auto r = client()->get(base_url_, "/status", server_fp_);
  EXPECT_TRUE(r.ok()) << r.error().status.message();
}

TEST_F(PeerServerTest, UnknownPath404WrongMethod405) {
  start();
  auto c = client();
  auto r = c->get(base_url_, "/nothing-here", server_fp_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().http_status, 404);
  EXPECT_EQ(r.error().code, "not-found");
  r = c->get(base_url_, "/transfers", server_fp_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().http_status, 405);
  EXPECT_EQ(r.error().code, "method-not-allowed");
  // A prefix matches whole segments only.
  r = c->post(base_url_, "/transfersX", server_fp_, "{}");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().http_status, 404);
  EXPECT_EQ(calls(), 0);
}

TEST_F(PeerServerTest, BodyOverTheLimitGets413WithoutTheHandler) {
  options_.max_body_bytes = 1024;
  start();
  auto c = client();
  auto r = c->post(base_url_, "/transfers", server_fp_, std::string(64 * 1024, 'x'));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().http_status, 413);
  EXPECT_EQ(r.error().code, "too-large");
  EXPECT_EQ(calls(), 0);
  // At the limit: accepted.
  r = c->post(base_url_, "/transfers", server_fp_, std::string(1024, 'x'));
  EXPECT_TRUE(r.ok()) << r.error().status.message();
}

TEST_F(PeerServerTest, HandlerExceptionIs500) {
  start([](const PeerRequest&) -> PeerResponse { throw std::runtime_error("no"); });
  auto r = client()->post(base_url_, "/transfers", server_fp_, "{}");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().http_status, 500);
  EXPECT_EQ(r.error().status.code(), StatusCode::kUnavailable);
  EXPECT_EQ(r.error().code, "internal");
}

TEST_F(PeerServerTest, LogLineNamesTheMemberAndRouteButNotThePath) {
  start();
  ::testing::internal::CaptureStdout();
  auto r = client()->post(base_url_, "/transfers/patient-token-abc?who=secret", server_fp_, "{}");
  server_.stop();  // joins the workers: every line is written
  const std::string out = ::testing::internal::GetCapturedStdout();
  ASSERT_TRUE(r.ok());
  EXPECT_NE(out.find("event=peer.call"), std::string::npos) << out;
  EXPECT_NE(out.find(account_text(member_b())), std::string::npos) << out;
  EXPECT_NE(out.find("route=/transfers"), std::string::npos) << out;
  EXPECT_NE(out.find("status=200"), std::string::npos) << out;
  EXPECT_EQ(out.find("patient-token-abc"), std::string::npos) << out;
  EXPECT_EQ(out.find("secret"), std::string::npos) << out;
}

TEST_F(PeerServerTest, FailedHandshakesAreLoggedWithinABudget) {
  start();
  ::testing::internal::CaptureStdout();
  const auto t0 = Clock::now();
  constexpr int kAttempts = 40;
  for (int i = 0; i < kAttempts; ++i)
    gw::testing::handshake_with_versions(server_.port(), pki_.ca_cert, TLS1_2_VERSION,
                                         TLS1_2_VERSION);
  server_.stop();  // joins the workers: every line is written
  const auto seconds =
      std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - t0).count() + 1;
  const std::string out = ::testing::internal::GetCapturedStdout();
  int lines = 0;
  for (size_t at = 0; (at = out.find("event=peer.handshake_failed", at)) != std::string::npos; ++at)
    ++lines;
  EXPECT_GE(lines, 1);
  EXPECT_LE(lines, 10 * seconds) << out;
  if (seconds == 1) {
    EXPECT_LT(lines, kAttempts);
  }
}

TEST_F(PeerServerTest, AnIdleConnectionDoesNotStopAnotherClient) {
  // Two connections that never start TLS hold two workers (the handshake
  // runs on the worker, not on the thread that accepts); the third serves.
  options_.threads = 3;
  options_.max_unidentified_per_address = 3;
  options_.header_timeout = 10s;
  start();
  Poco::Net::StreamSocket idle = idle_connection(server_.port());
  Poco::Net::StreamSocket idle2 = idle_connection(server_.port());
  std::this_thread::sleep_for(100ms);  // let the server hand them to workers
  const auto t0 = Clock::now();
  auto r = client()->post(base_url_, "/transfers", server_fp_, "{}");
  EXPECT_TRUE(r.ok()) << r.error().status.message();
  EXPECT_LT(Clock::now() - t0, 3s);
}

TEST_F(PeerServerTest, SilentConnectionIsClosedAtTheHeaderDeadline) {
  options_.header_timeout = 500ms;
  start();
  Poco::Net::StreamSocket idle = idle_connection(server_.port());
  const auto t0 = Clock::now();
  EXPECT_TRUE(closed_by_server(idle, 5s));
  EXPECT_GE(Clock::now() - t0, 400ms);
}

TEST_F(PeerServerTest, TricklingHeadersAreCutAtTheDeadline) {
  options_.header_timeout = 1s;
  start();
  Poco::Net::Context::Ptr ctx =
      internal::make_client_context(pki_.client_cert, pki_.client_key).value();
  Poco::Net::SecureStreamSocket s(Poco::Net::SocketAddress("127.0.0.1", server_.port()), ctx);
  s.completeHandshake();
  // One byte every 100 ms: every receive on the server is quick, the whole
  // never arrives in time.
  const std::string head =
      "POST /transfers HTTP/1.1\r\nHost: x\r\nX-Slow: " + std::string(200, 'a');
  const auto t0 = Clock::now();
  bool cut = false;
  for (size_t i = 0; i < head.size() && !cut; ++i) {
    try {
      s.sendBytes(&head[i], 1);
      if (s.poll(Poco::Timespan(0, 100000), Poco::Net::Socket::SELECT_READ)) {
        char buf[64];
        cut = s.receiveBytes(buf, sizeof buf) <= 0;
      }
    } catch (const Poco::Exception&) {
      cut = true;
    }
  }
  EXPECT_TRUE(cut) << "the server kept reading a trickle past its header deadline";
  EXPECT_LT(Clock::now() - t0, 5s);
  EXPECT_EQ(calls(), 0);
}

TEST_F(PeerServerTest, ABodyThatStallsIsCutAtTheBodyDeadline) {
  options_.body_timeout = 1s;
  start();
  Poco::Net::Context::Ptr ctx =
      internal::make_client_context(pki_.client_cert, pki_.client_key).value();
  Poco::Net::SecureStreamSocket s(Poco::Net::SocketAddress("127.0.0.1", server_.port()), ctx);
  const std::string head =
      "POST /transfers HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n0123456789";
  s.sendBytes(head.data(), static_cast<int>(head.size()));
  const auto t0 = Clock::now();
  Poco::Net::StreamSocket& plain = s;
  EXPECT_TRUE(closed_by_server(plain, 5s));
  EXPECT_LT(Clock::now() - t0, 4s);
  EXPECT_EQ(calls(), 0);
}

TEST_F(PeerServerTest, ABodyCutShortNeverReachesTheHandler) {
  start();
  Poco::Net::Context::Ptr ctx =
      internal::make_client_context(pki_.client_cert, pki_.client_key).value();
  Poco::Net::SecureStreamSocket s(Poco::Net::SocketAddress("127.0.0.1", server_.port()), ctx);
  s.setReceiveTimeout(Poco::Timespan(5, 0));
  const std::string head =
      "POST /transfers HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{\"partial\":";
  s.sendBytes(head.data(), static_cast<int>(head.size()));
  // The end of our stream, 988 bytes early (a TCP end without TLS's
  // close_notify: the server's TLS session fails, and its 408 arrives, if at
  // all, as a TLS alert).
  ::shutdown(s.impl()->sockfd(), SHUT_WR);
  std::string out;
  char buf[1024];
  try {
    for (int n; (n = s.receiveBytes(buf, sizeof buf)) > 0;) out.append(buf, n);
  } catch (const Poco::Exception&) {
    // The alert: the server has finished with the request.
  }
  EXPECT_EQ(out.find(" 200 "), std::string::npos) << out.substr(0, 200);
  EXPECT_EQ(calls(), 0);
}

TEST_F(PeerServerTest, TooManyUnidentifiedConnectionsFromOneAddressAreClosed) {
  options_.max_unidentified_per_address = 1;
  start();
  Poco::Net::StreamSocket idle = idle_connection(server_.port());
  std::this_thread::sleep_for(100ms);
  auto r = client(true, 3s)->get(base_url_, "/status", server_fp_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().status.code(), StatusCode::kUnavailable);
  idle.close();
  EXPECT_TRUE(gw::testing::wait_until(
      [&] { return client(true, 3s)->get(base_url_, "/status", server_fp_).ok(); }, 5s, 50ms));
}

// Sends `request` on a member's TLS connection; returns what the server
// answered until it closed (or 5 s passed).
std::string raw_exchange(uint16_t port, const gw::testing::TestPki& pki,
                         const std::string& request) {
  Poco::Net::Context::Ptr ctx =
      internal::make_client_context(pki.client_cert, pki.client_key).value();
  Poco::Net::SecureStreamSocket s(Poco::Net::SocketAddress("127.0.0.1", port), ctx);
  s.setReceiveTimeout(Poco::Timespan(5, 0));
  s.sendBytes(request.data(), static_cast<int>(request.size()));
  std::string out;
  char buf[4096];
  try {
    for (int n; (n = s.receiveBytes(buf, sizeof buf)) > 0;) out.append(buf, n);
  } catch (const Poco::Exception&) {
  }
  return out;
}

TEST_F(PeerServerTest, ChunkedBodyOverTheLimitGets413) {
  options_.max_body_bytes = 1024;
  start();
  std::string req = "POST /transfers HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 3; ++i) req += "3e8\r\n" + std::string(1000, 'x') + "\r\n";
  req += "0\r\n\r\n";
  const std::string out = raw_exchange(server_.port(), pki_, req);
  EXPECT_TRUE(out.starts_with("HTTP/1.1 413")) << out.substr(0, 200);
  EXPECT_NE(out.find("\"too-large\""), std::string::npos);
  EXPECT_EQ(calls(), 0);
}

TEST_F(PeerServerTest, PostWithoutALengthGets411) {
  start();
  const std::string out =
      raw_exchange(server_.port(), pki_, "POST /transfers HTTP/1.1\r\nHost: x\r\n\r\n{}");
  EXPECT_TRUE(out.starts_with("HTTP/1.1 411")) << out.substr(0, 200);
  EXPECT_EQ(calls(), 0);
}

TEST_F(PeerServerTest, DotSegmentsAndMalformedRequestsGet400) {
  start();
  for (const char* target : {"/status/../x", "/status//x", "/transfers/./x", "/status/.."}) {
    const std::string out = raw_exchange(
        server_.port(), pki_,
        std::string("GET ") + target + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    EXPECT_TRUE(out.starts_with("HTTP/1.1 400")) << target << ": " << out.substr(0, 200);
  }
  const std::string out = raw_exchange(server_.port(), pki_, "NOT HTTP AT ALL\r\n\r\n");
  EXPECT_TRUE(out.starts_with("HTTP/1.0 400")) << out.substr(0, 200);  // no version to echo
  EXPECT_EQ(out.find("AT 400"), std::string::npos);
  EXPECT_EQ(calls(), 0);
}

TEST_F(PeerServerTest, KeptAliveConnectionIsReidentifiedOnEveryRequest) {
  start();
  Poco::Net::Context::Ptr ctx =
      internal::make_client_context(pki_.client_cert, pki_.client_key).value();
  Poco::Net::SecureStreamSocket s(Poco::Net::SocketAddress("127.0.0.1", server_.port()), ctx);
  Poco::Net::HTTPClientSession session(s);
  session.setKeepAlive(true);
  auto get_status = [&] {
    Poco::Net::HTTPRequest req("GET", "/status", Poco::Net::HTTPMessage::HTTP_1_1);
    req.setHost("x");
    req.setKeepAlive(true);
    session.sendRequest(req);
    Poco::Net::HTTPResponse resp;
    std::istream& in = session.receiveResponse(resp);
    std::string body((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return static_cast<int>(resp.getStatus());
  };
  EXPECT_EQ(get_status(), 200);
  EXPECT_EQ(get_status(), 200);  // the same connection
  suspended_ = true;             // the registry now says: not active
  EXPECT_EQ(get_status(), 403);
  EXPECT_EQ(calls(), 2);
}

TEST_F(PeerServerTest, StopClosesIdleConnectionsPromptly) {
  start();
  Poco::Net::StreamSocket idle = idle_connection(server_.port());
  std::this_thread::sleep_for(100ms);
  const auto t0 = Clock::now();
  server_.stop();
  EXPECT_LT(Clock::now() - t0, 3s);
  EXPECT_TRUE(closed_by_server(idle, 2s));
}

}  // namespace
}  // namespace gw::peering::testing
