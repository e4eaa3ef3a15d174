#include "adapters/mllp/client.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <vector>

#include "adapters/mllp/framer.h"

namespace gw::mllp {
namespace {

using namespace std::chrono_literals;

// A raw listening socket on 127.0.0.1 whose accepted side the test drives
// byte by byte.
class RawPeer {
 public:
  explicit RawPeer(int backlog = 16) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    EXPECT_EQ(::listen(fd_, backlog), 0);
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  ~RawPeer() {
    close_conn();
    ::close(fd_);
  }
  uint16_t port() const { return port_; }
  void accept() { conn_ = ::accept(fd_, nullptr, nullptr); }
  void write(std::string_view bytes) {
    ASSERT_EQ(::send(conn_, bytes.data(), bytes.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(bytes.size()));
  }
  std::string read_some() {
    char buf[4096];
    ssize_t n = ::recv(conn_, buf, sizeof buf, 0);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
  }
  void close_conn() {
    if (conn_ >= 0) ::close(conn_);
    conn_ = -1;
  }

 private:
  int fd_ = -1;
  int conn_ = -1;
  uint16_t port_ = 0;
};

std::unique_ptr<Client> connect_to(const RawPeer& peer) {
  auto c = Client::connect("127.0.0.1", peer.port(), 2s);
  EXPECT_TRUE(c.ok()) << c.status().message();
  return c.ok() ? std::move(c).value() : nullptr;
}

TEST(ClientTest, ConnectToClosedPortFailsClearly) {
  uint16_t port;
  {
    RawPeer p;
    port = p.port();
  }  // closed: nothing listens there now
  auto t0 = std::chrono::steady_clock::now();
  auto c = Client::connect("127.0.0.1", port, 2s);
  ASSERT_FALSE(c.ok());
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s);
  const std::string& error = c.error().message();
  EXPECT_NE(error.find("refused"), std::string::npos) << error;
  EXPECT_NE(error.find("127.0.0.1:" + std::to_string(port)), std::string::npos) << error;
}

TEST(ClientTest, ConnectTimesOutWhenPeerDoesNotAnswer) {
  // A listener whose accept queue is full drops further SYNs, so connect()
  // neither succeeds nor fails until the timeout.
  RawPeer p(0);
  std::vector<std::unique_ptr<Client>> filled;
  for (int i = 0; i < 8; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    auto c = Client::connect("127.0.0.1", p.port(), 200ms);
    if (!c.ok()) {
      EXPECT_NE(c.error().message().find("timed out"), std::string::npos) << c.error().message();
      EXPECT_GE(std::chrono::steady_clock::now() - t0, 150ms);
      return;
    }
    filled.push_back(std::move(c).value());
  }
  GTEST_SKIP() << "this kernel kept accepting connections into a full backlog";
}

TEST(ClientTest, UnknownHostFails) {
  auto c = Client::connect("no-such-host.invalid", 2575, 500ms);
  ASSERT_FALSE(c.ok());
  EXPECT_FALSE(c.error().message().empty());
}

TEST(ClientTest, ReceiveTimesOutWithNoData) {
  RawPeer p;
  auto c = connect_to(p);
  p.accept();
  auto t0 = std::chrono::steady_clock::now();
  auto r = c->receive(150ms);
  EXPECT_FALSE(r.ok());
  auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_GE(took, 140ms);
  EXPECT_LT(took, 1s);
  EXPECT_EQ(r.status().code(), StatusCode::kDeadlineExceeded);
  EXPECT_NE(r.status().message().find("timed out"), std::string::npos) << r.status().message();
}

TEST(ClientTest, SendsFramedAndRaw) {
  RawPeer p;
  auto c = connect_to(p);
  p.accept();
  gw::Status s = c->send("MSH|1");
  ASSERT_TRUE(s.ok()) << s.message();
  s = c->send_raw("junk");
  ASSERT_TRUE(s.ok()) << s.message();
  std::string got;
  while (got.size() < frame("MSH|1").size() + 4) got += p.read_some();
  EXPECT_EQ(got, frame("MSH|1") + "junk");
}

TEST(ClientTest, ReceivesFramesSplitAndBatched) {
  RawPeer p;
  auto c = connect_to(p);
  p.accept();
  p.write("noise\x0bpart");
  EXPECT_FALSE(c->receive(50ms).ok());  // partial frame kept
  p.write("ial\x1c\r" + frame("two") + frame("three"));
  auto a = c->receive(1s);
  ASSERT_TRUE(a.ok()) << a.status().message();
  EXPECT_EQ(*a, "partial");
  auto b = c->receive(1s);
  ASSERT_TRUE(b.ok()) << b.status().message();
  EXPECT_EQ(*b, "two");
  auto d = c->receive(1s);
  ASSERT_TRUE(d.ok()) << d.status().message();
  EXPECT_EQ(*d, "three");
}

TEST(ClientTest, ReceiveOversizedFrameFailsThenResyncs) {
  RawPeer p;
  auto c = connect_to(p);
  p.accept();
  p.write(frame(std::string(5000, 'x')) + frame("small"));
  auto big = c->receive(1s, 1000);
  ASSERT_FALSE(big.ok());
  EXPECT_NE(big.error().message().find("larger than 1000"), std::string::npos)
      << big.error().message();
  auto r = c->receive(1s, 1000);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(*r, "small");
}

TEST(ClientTest, PeerCloseIsReported) {
  RawPeer p;
  auto c = connect_to(p);
  p.accept();
  p.write("\x0bhalf a frame");
  p.close_conn();
  auto r = c->receive(1s);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("closed by peer in the middle of a frame"), std::string::npos)
      << r.error().message();
  // Sending to a closed peer fails with an error, not SIGPIPE.
  bool failed = false;
  for (int i = 0; i < 100 && !failed; ++i) failed = !c->send("x").ok();
  EXPECT_TRUE(failed);
}

TEST(ClientTest, SendTimesOutWhenPeerDoesNotRead) {
  RawPeer p;
  auto c = connect_to(p);
  p.accept();
  c->set_send_timeout(200ms);
  std::string big(1 << 20, 'x');
  gw::Status s;
  for (int i = 0; i < 64 && s.ok(); ++i) s = c->send(big);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("timed out"), std::string::npos) << s.message();
}

TEST(ClientTest, UseAfterCloseFails) {
  RawPeer p;
  auto c = connect_to(p);
  c->close();
  gw::Status s = c->send("x");
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("not connected"), std::string::npos);
  EXPECT_FALSE(c->receive(10ms).ok());
}

}  // namespace
}  // namespace gw::mllp
