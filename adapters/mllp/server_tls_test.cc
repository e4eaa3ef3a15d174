// MLLP over TLS: the server with the project's client and with `openssl
// s_client`, refusals (plaintext peers, wrong or unpinned client
// certificates), the timers on handshakes that never finish, and the limits
// that still apply once a connection is encrypted. Real sockets on 127.0.0.1;
// throwaway certificates from tests/support/test_certs.h.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <mutex>
#include <thread>
#include <vector>

#include "adapters/mllp/client.h"
#include "adapters/mllp/framer.h"
#include "adapters/mllp/server.h"
#include "adapters/mllp/server_test_util.h"
#include "tests/support/test_certs.h"
#include "tests/support/tls_probe.h"
#include "tests/support/wait.h"

extern char** environ;

namespace gw::mllp {
namespace {

using namespace std::chrono_literals;

const std::string kAdt =
    "MSH|^~\\&|EPIC|HOSP|GATEWAY|HOSP|20240101120000||ADT^A01^ADT_A01|MSG00001|P|2.5.1\r"
    "EVN|A01|20240101120000\r"
    "PID|1||123456^^^HOSP^MR||DOE^JANE||19700101|F\r";

using testing::ManualClock;
using testing::TestHandler;

// SHA-256 of a PEM certificate's DER, as "AB:CD:..." (what `openssl x509
// -fingerprint -sha256` prints).
std::string fingerprint(const std::string& pem_file) {
  std::FILE* f = std::fopen(pem_file.c_str(), "r");
  if (f == nullptr) return "";
  X509* cert = PEM_read_X509(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  if (cert == nullptr) return "";
  unsigned char md[32];
  unsigned int len = 0;
  X509_digest(cert, EVP_sha256(), md, &len);
  X509_free(cert);
  std::string out;
  char hex[4];
  for (unsigned int i = 0; i < len; ++i) {
    std::snprintf(hex, sizeof hex, i == 0 ? "%02X" : ":%02X", md[i]);
    out += hex;
  }
  return out;
}

// A TCP connection that speaks no TLS at all (for peers that stall).
int raw_connect(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// True once the server has closed fd (EOF or reset) within `timeout`.
bool closed_by_server(int fd, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  char buf[4096];
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return true;  // EOF or ECONNRESET
  }
  return false;
}

class ServerTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/mllp_tls_test_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    auto pki = gw::testing::make_test_pki(dir_, "his.example.org");
    ASSERT_TRUE(pki.ok()) << pki.error().message();
    pki_ = *pki;
  }
  void TearDown() override {
    clock_.release();
    if (server_) server_->stop(1s);
    server_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  TlsServerOptions tls_options() const {
    TlsServerOptions t;
    t.cert_file = pki_.server_cert;
    t.key_file = pki_.server_key;
    return t;
  }
  ServerOptions options(TlsServerOptions tls) {
    ServerOptions o;
    o.port = 0;
    o.tls = std::move(tls);
    o.on_tls_failure = [this](const TlsFailure& f) {
      std::lock_guard<std::mutex> lock(mu_);
      failures_.push_back(f);
    };
    return o;
  }
  void start(ServerOptions o) {
    auto server = Server::create(o, &handler_);
    ASSERT_TRUE(server.ok()) << server.error().message();
    server_ = std::move(server).value();
    server_->start();
  }
  void start_tls(TlsServerOptions tls) { start(options(std::move(tls))); }

  ClientTlsOptions client_tls(const std::string& cert = "", const std::string& key = "") const {
    ClientTlsOptions t;
    t.ca_file = pki_.ca_cert;
    t.cert_file = cert;
    t.key_file = key;
    return t;
  }
  gw::Result<std::unique_ptr<Client>> connect(const ClientTlsOptions& tls) {
    return Client::connect("127.0.0.1", server_->port(), 5s, tls);
  }
  // One message and its reply over a new connection: the reply, or the error.
  std::string exchange(const ClientTlsOptions& tls, const std::string& payload = kAdt) {
    auto c = connect(tls);
    if (!c.ok()) return "<connect: " + c.error().message() + ">";
    if (gw::Status s = (*c)->send(payload); !s.ok()) return "<send: " + s.message() + ">";
    auto r = (*c)->receive(5s);
    return r.ok() ? *r : "<receive: " + r.error().message() + ">";
  }
  // The server counts and reports a refusal right after sending its alert,
  // which the client may have read already. True when exactly n are counted
  // (and reported: there are too few here for the rate limit).
  bool handshake_failures_reach(uint64_t n) {
    return gw::testing::wait_until(
               [&] {
                 return server_->stats().tls_handshake_failures >= n && failures().size() >= n;
               },
               5s) &&
           server_->stats().tls_handshake_failures == n;
  }
  std::vector<TlsFailure> failures() {
    std::lock_guard<std::mutex> lock(mu_);
    return failures_;
  }

  std::string dir_;
  gw::testing::TestPki pki_;
  TestHandler handler_;  // outlives the server
  ManualClock clock_;
  std::unique_ptr<Server> server_;
  std::mutex mu_;
  std::vector<TlsFailure> failures_;
};

TEST_F(ServerTlsTest, ProjectClientSendsAdtAndGetsTheAck) {
  start_tls(tls_options());
  auto c = connect(client_tls());
  ASSERT_TRUE(c.ok()) << c.error().message();
  EXPECT_TRUE((*c)->is_tls());
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE((*c)->send(kAdt + std::to_string(i)).ok());
    auto r = (*c)->receive(5s);
    ASSERT_TRUE(r.ok()) << r.error().message();
    EXPECT_EQ(*r, "ACK:" + kAdt + std::to_string(i));
  }
  ServerStats s = server_->stats();
  EXPECT_EQ(s.tls_handshakes, 1u);
  EXPECT_EQ(s.tls_handshake_failures, 0u);
  EXPECT_EQ(s.frames_received, 20u);
  EXPECT_EQ(s.replies_sent, 20u);
  (*c)->close();  // close_notify: the server sees a clean EOF, not an error
  ASSERT_TRUE(gw::testing::wait_until([&] { return server_->stats().connections_open == 0; }, 5s));
  EXPECT_EQ(server_->stats().tls_errors, 0u);
  EXPECT_TRUE(failures().empty());
}

TEST_F(ServerTlsTest, LargeFramesAndRepliesBothWaysWhileTheClientDoesNotRead) {
  // Replies larger than the socket buffers, requested in one burst the client
  // reads only afterwards: the server's writes wait (SSL_ERROR_WANT_WRITE)
  // and resume, and its input stops at the output high-water mark.
  start_tls(tls_options());
  auto c = connect(client_tls());
  ASSERT_TRUE(c.ok()) << c.error().message();
  std::string burst;
  for (int i = 0; i < 40; ++i) burst += frame("big");
  const std::string large(600000, 'x');  // 37 TLS records
  burst += frame(large);
  ASSERT_TRUE((*c)->send_raw(burst).ok());
  for (int i = 0; i < 40; ++i) {
    auto r = (*c)->receive(10s);
    ASSERT_TRUE(r.ok()) << i << ": " << r.error().message();
    ASSERT_EQ(r->size(), 100000u);
  }
  auto r = (*c)->receive(10s);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(*r, "ACK:" + large);
}

TEST_F(ServerTlsTest, PipelinedFramesBeyondTheInFlightLimitAreAnsweredInOrder) {
  // Reading pauses at the in-flight limit with decrypted input held back
  // (in_pending) and resumes as replies go out.
  ServerOptions o = options(tls_options());
  o.max_in_flight_per_connection = 4;
  start(o);
  auto c = connect(client_tls());
  ASSERT_TRUE(c.ok()) << c.error().message();
  std::string burst;
  for (int i = 0; i < 500; ++i) burst += frame("m" + std::to_string(i));
  ASSERT_TRUE((*c)->send_raw(burst).ok());
  for (int i = 0; i < 500; ++i) {
    auto r = (*c)->receive(10s);
    ASSERT_TRUE(r.ok()) << i << ": " << r.error().message();
    ASSERT_EQ(*r, "ACK:m" + std::to_string(i));
  }
  EXPECT_EQ(server_->stats().frames_received, 500u);
}

TEST_F(ServerTlsTest, OpensslSClientExchangesAFrame) {
  if (std::system("openssl version > /dev/null 2>&1") != 0) GTEST_SKIP() << "no openssl CLI";
  TlsServerOptions tls = tls_options();
  tls.client_ca_file = pki_.ca_cert;  // and with mutual TLS, to exercise both sides
  start_tls(tls);
  const std::string port = std::to_string(server_->port());
  std::vector<std::string> args = {"openssl",
                                   "s_client",
                                   "-connect",
                                   "127.0.0.1:" + port,
                                   "-CAfile",
                                   pki_.ca_cert,
                                   "-verify_return_error",
                                   "-verify_ip",
                                   "127.0.0.1",
                                   "-cert",
                                   pki_.client_cert,
                                   "-key",
                                   pki_.client_key,
                                   "-quiet"};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  int to_child[2], from_child[2];
  ASSERT_EQ(::pipe2(to_child, O_CLOEXEC), 0);
  ASSERT_EQ(::pipe2(from_child, O_CLOEXEC), 0);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, to_child[0], 0);
  posix_spawn_file_actions_adddup2(&actions, from_child[1], 1);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  pid_t pid = -1;
  const int spawned = ::posix_spawnp(&pid, "openssl", &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(to_child[0]);
  ::close(from_child[1]);
  ASSERT_EQ(spawned, 0);

  const std::string framed = frame(kAdt);
  ASSERT_EQ(::write(to_child[1], framed.data(), framed.size()),
            static_cast<ssize_t>(framed.size()));
  std::string out;
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (out.find("\x1c\r") == std::string::npos && std::chrono::steady_clock::now() < deadline) {
    pollfd p{from_child[0], POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    char buf[4096];
    ssize_t n = ::read(from_child[0], buf, sizeof buf);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(to_child[1]);
  ::kill(pid, SIGTERM);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ::close(from_child[0]);
  EXPECT_EQ(out, frame("ACK:" + kAdt));
  EXPECT_GE(server_->stats().tls_handshakes, 1u);
}

TEST_F(ServerTlsTest, OnlyTls12AndLaterAreAccepted) {
  start_tls(tls_options());
  EXPECT_EQ(gw::testing::accepted_tls_versions(server_->port(), pki_.ca_cert), "TLS1.2 TLS1.3");
  EXPECT_TRUE(handshake_failures_reach(1));
  EXPECT_NE(failures()[0].reason.find("protocol"), std::string::npos) << failures()[0].reason;
}

TEST_F(ServerTlsTest, PlaintextClientIsRefusedAndTheServerCarriesOn) {
  start_tls(tls_options());
  auto plain = Client::connect("127.0.0.1", server_->port(), 5s);
  ASSERT_TRUE(plain.ok()) << plain.error().message();
  ASSERT_TRUE((*plain)->send("MSH|^~\\&|SECRET-PATIENT-NAME\r").ok());
  // Closed without an answer (not reset: the server lingers over the unread frame).
  auto r = (*plain)->receive(5s);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("closed by peer"), std::string::npos) << r.error().message();
  EXPECT_TRUE(handshake_failures_reach(1));
  EXPECT_EQ(server_->stats().frames_received, 0u);
  // Reported with the peer and OpenSSL's reason only.
  std::vector<TlsFailure> f = failures();
  ASSERT_EQ(f.size(), 1u);
  EXPECT_TRUE(f[0].during_handshake);
  EXPECT_EQ(f[0].address.rfind("127.0.0.1:", 0), 0u) << f[0].address;
  EXPECT_FALSE(f[0].reason.empty());
  EXPECT_EQ(f[0].reason.find("SECRET"), std::string::npos) << f[0].reason;
  EXPECT_EQ(exchange(client_tls()), "ACK:" + kAdt);
}

TEST_F(ServerTlsTest, ClientRefusesAServerItCannotVerify) {
  start_tls(tls_options());
  ClientTlsOptions wrong_ca = client_tls();
  wrong_ca.ca_file = pki_.other_ca_cert;
  auto c = connect(wrong_ca);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message().find("certificate verify failed"), std::string::npos)
      << c.error().message();
  ClientTlsOptions wrong_name = client_tls();
  wrong_name.server_name = "ehr.example.org";  // not in the certificate
  c = connect(wrong_name);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message().find("hostname mismatch"), std::string::npos)
      << c.error().message();
  ClientTlsOptions by_name = client_tls();
  by_name.server_name = "localhost";  // a DNS SAN of the certificate
  EXPECT_EQ(exchange(by_name), "ACK:" + kAdt);
}

TEST_F(ServerTlsTest, MutualTlsAcceptsOnlyClientsOfTheConfiguredCa) {
  TlsServerOptions tls = tls_options();
  tls.client_ca_file = pki_.ca_cert;
  start_tls(tls);
  // Refused with an alert that says why (the server lingers instead of
  // resetting the connection over the frame the client already sent).
  const std::string no_cert = exchange(client_tls());
  EXPECT_NE(no_cert.find("alert certificate required"), std::string::npos) << no_cert;
  const std::string foreign = exchange(client_tls(pki_.other_client_cert, pki_.other_client_key));
  EXPECT_NE(foreign.find("alert unknown ca"), std::string::npos) << foreign;
  EXPECT_EQ(exchange(client_tls(pki_.client_cert, pki_.client_key)), "ACK:" + kAdt);
  EXPECT_TRUE(handshake_failures_reach(2));
  EXPECT_EQ(server_->stats().frames_received,
            1u);  // nothing from the refused clients reached the handler
  // The handler learns which certificate the frame came with.
  const PeerInfo peer = handler_.last_peer();
  std::string pin = fingerprint(pki_.client_cert);
  pin.erase(std::remove(pin.begin(), pin.end(), ':'), pin.end());
  std::transform(pin.begin(), pin.end(), pin.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  EXPECT_EQ(peer.cert_sha256, pin);
  EXPECT_NE(peer.cert_subject.find("CN="), std::string::npos) << peer.cert_subject;
}

TEST_F(ServerTlsTest, PlainTlsPeersCarryNoCertificateIdentity) {
  start_tls(tls_options());
  EXPECT_EQ(exchange(client_tls()), "ACK:" + kAdt);
  EXPECT_TRUE(handler_.last_peer().cert_sha256.empty());
  EXPECT_TRUE(handler_.last_peer().cert_subject.empty());
}

TEST_F(ServerTlsTest, PinningWithoutCaAcceptsOnlyThePinnedCertificate) {
  TlsServerOptions tls = tls_options();
  const std::string pin = fingerprint(pki_.client_cert);
  ASSERT_EQ(pin.size(), 95u);
  tls.client_cert_sha256 = {pin};
  start_tls(tls);
  EXPECT_NE(exchange(client_tls()), "ACK:" + kAdt);
  EXPECT_NE(exchange(client_tls(pki_.other_client_cert, pki_.other_client_key)), "ACK:" + kAdt);
  EXPECT_EQ(exchange(client_tls(pki_.client_cert, pki_.client_key)), "ACK:" + kAdt);
  EXPECT_TRUE(handshake_failures_reach(2));
  bool saw_pin_refusal = false;
  for (const TlsFailure& f : failures())
    if (f.reason.find("pinned") != std::string::npos) saw_pin_refusal = true;
  EXPECT_TRUE(saw_pin_refusal);
}

TEST_F(ServerTlsTest, PinningAfterCaVerificationRefusesAnUnpinnedCertificateOfThatCa) {
  TlsServerOptions tls = tls_options();
  tls.client_ca_file = pki_.ca_cert;
  // Pinned: a certificate of another CA only (lower case, no colons).
  std::string pin = fingerprint(pki_.other_client_cert);
  std::string bare;
  for (char ch : pin)
    if (ch != ':') bare += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  tls.client_cert_sha256 = {bare};
  start_tls(tls);
  // Signed by the CA but not pinned.
  EXPECT_NE(exchange(client_tls(pki_.client_cert, pki_.client_key)), "ACK:" + kAdt);
  // Pinned but not signed by the CA.
  EXPECT_NE(exchange(client_tls(pki_.other_client_cert, pki_.other_client_key)), "ACK:" + kAdt);
  EXPECT_TRUE(handshake_failures_reach(2));
  server_->stop(1s);
  server_.reset();
  // Both: accepted.
  tls.client_cert_sha256 = {fingerprint(pki_.client_cert)};
  start_tls(tls);
  EXPECT_EQ(exchange(client_tls(pki_.client_cert, pki_.client_key)), "ACK:" + kAdt);
}

TEST_F(ServerTlsTest, StalledHandshakesAreClosedByTheTimers) {
  ServerOptions o = options(tls_options());
  o.clock = [this] { return clock_.now(); };
  o.frame_timeout = 10s;
  o.idle_timeout = 60s;
  start(o);
  // A TLS connection that works, for syncing with the loop.
  auto sync = connect(client_tls());
  ASSERT_TRUE(sync.ok()) << sync.error().message();
  auto round_trip = [&] {
    ASSERT_TRUE((*sync)->send("sync").ok());
    auto r = (*sync)->receive(5s);
    ASSERT_TRUE(r.ok()) << r.error().message();
  };
  const int silent = raw_connect(server_->port());   // TCP only, never a byte
  const int stalled = raw_connect(server_->port());  // half a ClientHello
  ASSERT_GE(silent, 0);
  ASSERT_GE(stalled, 0);
  const char partial_hello[] = {0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00};
  ASSERT_EQ(::send(stalled, partial_hello, sizeof partial_hello, 0),
            static_cast<ssize_t>(sizeof partial_hello));
  ASSERT_TRUE(gw::testing::wait_until([&] { return server_->stats().connections_open == 3; }, 5s));
  round_trip();  // the loop has read the partial hello
  clock_.advance(9s);
  round_trip();  // a sweep at +9 s: not yet
  EXPECT_EQ(server_->stats().connections_open, 3u);
  EXPECT_FALSE(closed_by_server(stalled, 50ms));
  clock_.advance(2s);
  round_trip();  // a sweep at +11 s: past frame_timeout
  EXPECT_TRUE(closed_by_server(silent, 5s));
  EXPECT_TRUE(closed_by_server(stalled, 5s));
  ServerStats s = server_->stats();
  EXPECT_EQ(s.connections_open, 1u);
  EXPECT_EQ(s.tls_handshake_failures, 2u);
  EXPECT_EQ(s.tls_handshakes, 1u);
  ::close(silent);
  ::close(stalled);
}

TEST_F(ServerTlsTest, FrameTimeoutAndOversizedFramesStillApplyOverTls) {
  ServerOptions o = options(tls_options());
  o.clock = [this] { return clock_.now(); };
  o.frame_timeout = 10s;
  o.max_frame_bytes = 4096;
  start(o);
  // Oversized: answered from its head, the connection stays usable.
  auto c = connect(client_tls());
  ASSERT_TRUE(c.ok()) << c.error().message();
  ASSERT_TRUE((*c)->send("MSH|^~\\&" + std::string(10000, 'y')).ok());
  auto r = (*c)->receive(5s);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(*r, "NAK:MSH|^~\\");
  EXPECT_EQ(server_->stats().frames_oversized, 1u);
  // A frame trickled and never finished is cut off.
  auto slow = connect(client_tls());
  ASSERT_TRUE(slow.ok()) << slow.error().message();
  ASSERT_TRUE((*slow)->send_raw("\x0bMSH|partial").ok());
  ASSERT_TRUE((*c)->send("sync").ok());
  ASSERT_TRUE((*c)->receive(5s).ok());
  clock_.advance(11s);
  ASSERT_TRUE((*c)->send("sync").ok());
  ASSERT_TRUE((*c)->receive(5s).ok());
  auto cut = (*slow)->receive(5s);
  ASSERT_FALSE(cut.ok());
  EXPECT_NE(cut.error().message().find("closed by peer"), std::string::npos)
      << cut.error().message();
  EXPECT_EQ(server_->stats().connections_frame_timeout, 1u);
}

TEST_F(ServerTlsTest, MaxConnectionsCountsHandshakingPeers) {
  ServerOptions o = options(tls_options());
  o.max_connections = 2;
  start(o);
  const int a = raw_connect(server_->port());
  const int b = raw_connect(server_->port());
  ASSERT_TRUE(gw::testing::wait_until([&] { return server_->stats().connections_open == 2; }, 5s));
  EXPECT_NE(exchange(client_tls()), "ACK:" + kAdt);
  EXPECT_EQ(server_->stats().connections_refused, 1u);
  ::close(a);
  ::close(b);
  ASSERT_TRUE(gw::testing::wait_until([&] { return server_->stats().connections_open == 0; }, 5s));
  EXPECT_EQ(exchange(client_tls()), "ACK:" + kAdt);
  // Peers that left without a byte are not TLS failures.
  EXPECT_EQ(server_->stats().tls_handshake_failures, 0u);
}

TEST_F(ServerTlsTest, SeveralLoopsAndConnections) {
  ServerOptions o = options(tls_options());
  o.io_threads = 3;
  start(o);
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 5; ++i)
        if (exchange(client_tls(), "m" + std::to_string(t) + "." + std::to_string(i)) ==
            "ACK:m" + std::to_string(t) + "." + std::to_string(i))
          ++ok;
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), 40);
  EXPECT_EQ(server_->stats().tls_handshakes, 40u);
}

TEST_F(ServerTlsTest, GracefulStopSendsPendingRepliesOverTls) {
  start_tls(tls_options());
  auto c = connect(client_tls());
  ASSERT_TRUE(c.ok()) << c.error().message();
  ASSERT_TRUE((*c)->send("last").ok());
  auto r = (*c)->receive(5s);
  ASSERT_TRUE(r.ok()) << r.error().message();
  server_->stop(2s);
  auto after = (*c)->receive(5s);
  ASSERT_FALSE(after.ok());
  EXPECT_NE(after.error().message().find("closed by peer"), std::string::npos)
      << after.error().message();
}

TEST_F(ServerTlsTest, SendAndCloseAnswersThenClosesCleanly) {
  start_tls(tls_options());
  auto c = connect(client_tls());
  ASSERT_TRUE(c.ok()) << c.error().message();
  ASSERT_TRUE((*c)->send("close:BYE").ok());
  auto r = (*c)->receive(5s);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(*r, "BYE");
  // close_notify, then EOF: a clean close, not a TLS error.
  auto after = (*c)->receive(5s);
  ASSERT_FALSE(after.ok());
  EXPECT_NE(after.error().message().find("closed by peer"), std::string::npos)
      << after.error().message();
  (*c)->close();
  ASSERT_TRUE(gw::testing::wait_until([&] { return server_->stats().connections_open == 0; }, 5s));
  EXPECT_EQ(server_->stats().tls_errors, 0u);
}

TEST_F(ServerTlsTest, CreateNamesTheFileThatCannotBeUsed) {
  TestHandler handler;
  auto create = [&](TlsServerOptions t) {
    ServerOptions o;
    o.port = 0;
    o.name = "adt";
    o.tls = std::move(t);
    return Server::create(o, &handler);
  };
  TlsServerOptions missing = tls_options();
  missing.cert_file = dir_ + "/nope.pem";
  auto r = create(missing);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("mllp server 'adt'"), std::string::npos);
  EXPECT_NE(r.error().message().find(dir_ + "/nope.pem: cannot be read"), std::string::npos)
      << r.error().message();

  TlsServerOptions not_pem = tls_options();
  not_pem.key_file = pki_.server_cert;  // a certificate where the key should be
  r = create(not_pem);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("TLS key file " + pki_.server_cert), std::string::npos)
      << r.error().message();

  TlsServerOptions mismatch = tls_options();
  mismatch.key_file = pki_.client_key;
  r = create(mismatch);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("does not match the certificate"), std::string::npos)
      << r.error().message();

  TlsServerOptions bad_ca = tls_options();
  bad_ca.client_ca_file = pki_.client_key;
  r = create(bad_ca);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("TLS CA file"), std::string::npos) << r.error().message();

  TlsServerOptions bad_pin = tls_options();
  bad_pin.client_cert_sha256 = {"abcd"};
  r = create(bad_pin);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("pin #1"), std::string::npos) << r.error().message();
}

TEST(ClientTlsOptionsTest, CertificateWithoutKeyIsRefusedBeforeConnecting) {
  ClientTlsOptions t;
  t.cert_file = "/nonexistent/cert.pem";
  auto c = Client::connect("127.0.0.1", 9, 1s, t);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code(), gw::StatusCode::kInvalidArgument);
  t.key_file = "/nonexistent/key.pem";
  c = Client::connect("127.0.0.1", 9, 1s, t);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message().find("/nonexistent/cert.pem: cannot be read"), std::string::npos)
      << c.error().message();
}

}  // namespace
}  // namespace gw::mllp
