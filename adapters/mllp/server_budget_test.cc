// The MLLP server under memory pressure from many connections: the input
// budget shared by servers (ServerOptions::input_budget) and the per-address
// connection cap (max_connections_per_address), over real sockets.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "adapters/mllp/client.h"
#include "adapters/mllp/framer.h"
#include "adapters/mllp/input_budget.h"
#include "adapters/mllp/server.h"
#include "adapters/mllp/server_test_util.h"
#include "tests/support/test_certs.h"
#include "tests/support/wait.h"

namespace gw::mllp {
namespace {

using namespace std::chrono_literals;
using testing::TestHandler;

// A non-blocking TCP connection to 127.0.0.1:port from `source` (another
// loopback address stands for another client host).
int connect_from(const char* source, uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in local{};
  local.sin_family = AF_INET;
  inet_pton(AF_INET, source, &local.sin_addr);
  sockaddr_in remote{};
  remote.sin_family = AF_INET;
  remote.sin_port = htons(port);
  inet_pton(AF_INET, "127.0.0.1", &remote.sin_addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0 ||
      ::connect(fd, reinterpret_cast<sockaddr*>(&remote), sizeof remote) != 0) {
    ::close(fd);
    return -1;
  }
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  return fd;
}

// Sends all of `data` (waiting for room), unless `deadline` passes first.
bool send_all(int fd, std::string_view data, std::chrono::steady_clock::time_point deadline) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n > 0) {
      data.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return false;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    pollfd p{fd, POLLOUT, 0};
    ::poll(&p, 1, 50);
  }
  return true;
}

// Reads one MLLP frame's payload; "<closed>" at EOF or reset, "<timeout>".
std::string read_frame(int fd, std::chrono::milliseconds timeout = 10s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string in;
  char buf[65536];
  for (;;) {
    size_t end = in.find("\x1c\r");
    if (end != std::string::npos && !in.empty() && in[0] == kStartBlock) {
      return in.substr(1, end - 1);
    }
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n > 0) {
      in.append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) return "<closed>";
    const auto left = deadline - std::chrono::steady_clock::now();
    if (left <= 0s) return "<timeout>";
    pollfd p{fd, POLLIN, 0};
    ::poll(&p, 1, 50);
  }
}

class ServerBudgetTest : public ::testing::Test {
 protected:
  void start(ServerOptions o) {
    o.port = 0;
    auto server = Server::create(o, &handler_);
    ASSERT_TRUE(server.ok()) << server.status().message();
    server_ = std::move(server).value();
    server_->start();
  }
  void TearDown() override {
    if (server_) server_->stop(1s);
    for (int fd : fds_) ::close(fd);
  }
  int track(int fd) {
    if (fd >= 0) fds_.push_back(fd);
    return fd;
  }

  TestHandler handler_;  // outlives the server
  std::unique_ptr<Server> server_;
  std::vector<int> fds_;
};

TEST_F(ServerBudgetTest, RefusesABudgetThatCannotHoldTwoFrames) {
  ServerOptions o;
  o.max_frame_bytes = 1 << 20;
  o.input_budget = std::make_shared<InputBudget>(1 << 20);
  auto server = Server::create(o, &handler_);
  ASSERT_FALSE(server.ok());
  EXPECT_NE(server.status().message().find("input_budget"), std::string::npos);
}

// Many connections each holding the start of a large frame: reading stops
// at the budget instead of buffering every frame, a short message on a
// fresh connection is still answered, and when the senders finish their
// frames the paused connections resume and every frame is answered. The
// senders cannot send their ends before the server has read their frames,
// more than the budget holds: without the overdraft none would complete.
TEST_F(ServerBudgetTest, PartialFramesStopAtTheBudgetAndResumeWhenItFrees) {
  constexpr size_t kBudget = 1 << 20;
  constexpr size_t kMaxFrame = 256 * 1024;
  constexpr size_t kPayload = 200 * 1024;
  constexpr int kConns = 24;
  constexpr int kIoThreads = 2;
  auto budget = std::make_shared<InputBudget>(kBudget);
  ServerOptions o;
  o.max_frame_bytes = kMaxFrame;
  o.input_budget = budget;
  o.io_threads = kIoThreads;
  start(o);

  const std::string head = std::string(1, kStartBlock) + std::string(kPayload, 'x');
  std::atomic<bool> finish{false};
  std::atomic<int> answered{0}, failed{0};
  std::vector<std::thread> senders;
  for (int i = 0; i < kConns; ++i) {
    int fd = track(connect_from("127.0.0.1", server_->port()));
    ASSERT_GE(fd, 0);
    senders.emplace_back([&, fd] {
      const auto deadline = std::chrono::steady_clock::now() + 60s;
      if (!send_all(fd, head, deadline)) {
        ++failed;
        return;
      }
      while (!finish.load()) std::this_thread::sleep_for(5ms);
      const std::string end = {kEndBlock, kCarriageReturn};
      if (!send_all(fd, end, deadline)) {
        ++failed;
        return;
      }
      std::string reply = read_frame(fd, 60s);
      if (reply.size() == kPayload + 4 && reply.compare(0, 4, "ACK:") == 0) {
        ++answered;
      } else {
        ++failed;
      }
    });
  }

  // Reading has stopped at the budget: some reads were refused and the
  // connections hold about the budget, far less than the frames sent.
  ASSERT_TRUE(gw::testing::wait_until(
      [&] { return server_->stats().reads_paused > 0 && budget->used() + 64 * 1024 >= kBudget; },
      30s))
      << "paused " << server_->stats().reads_paused << ", used " << budget->used();
  // The bound of server.h's threat notes: the budget, plus a small read
  // outside it per connection, plus one doubled frame buffer per loop and
  // one for the overdraft.
  const size_t bound = kBudget + kConns * 16 * 1024 + (kIoThreads + 1) * 2 * kMaxFrame;
  EXPECT_LE(budget->used(), bound);
  EXPECT_LT(bound, kConns * kPayload);  // the test would see an unbounded server
  EXPECT_EQ(server_->stats().input_buffered_bytes, budget->used());

  // An honest short message on a fresh connection still gets through.
  int honest = track(connect_from("127.0.0.1", server_->port()));
  ASSERT_GE(honest, 0);
  ASSERT_TRUE(send_all(honest, frame("MSH|honest"), std::chrono::steady_clock::now() + 10s));
  EXPECT_EQ(read_frame(honest), "ACK:MSH|honest");
  EXPECT_LE(budget->used(), bound);

  // The senders end their frames: paused connections resume as completed
  // frames release the budget, across both loops.
  const auto t0 = std::chrono::steady_clock::now();
  finish = true;
  for (auto& t : senders) t.join();
  const auto elapsed = std::chrono::steady_clock::now() - t0;
  EXPECT_EQ(answered.load(), kConns);
  EXPECT_EQ(failed.load(), 0);
  EXPECT_TRUE(gw::testing::wait_until([&] { return budget->used() == 0; }, 10s))
      << "still charged: " << budget->used();
  EXPECT_EQ(server_->stats().input_buffered_bytes, 0u);
  std::printf("%d frames of %zu KiB through a %zu KiB budget in %.1f ms\n", kConns, kPayload / 1024,
              kBudget / 1024, std::chrono::duration<double, std::milli>(elapsed).count());
}

// A connection paused for the budget resumes as soon as room is released
// elsewhere (here by the test, standing for another server's connections),
// through its loop's mailbox rather than the next sweep.
TEST_F(ServerBudgetTest, APausedConnectionResumesWhenBudgetIsReleasedElsewhere) {
  constexpr size_t kBudget = 1 << 20;
  auto budget = std::make_shared<InputBudget>(kBudget);
  ServerOptions o;
  o.max_frame_bytes = 256 * 1024;
  o.input_budget = budget;
  o.io_threads = 2;
  start(o);
  budget->charge(kBudget);  // all of it held elsewhere, and the overdraft too
  constexpr uint64_t kElsewhere = ~uint64_t{0};
  ASSERT_TRUE(budget->take_overdraft(kElsewhere));

  int fd = track(connect_from("127.0.0.1", server_->port()));
  ASSERT_GE(fd, 0);
  const std::string payload(100 * 1024, 'y');
  ASSERT_TRUE(send_all(fd, frame(payload), std::chrono::steady_clock::now() + 10s));
  ASSERT_TRUE(gw::testing::wait_until([&] { return server_->stats().reads_paused > 0; }, 10s));
  // Only the small read allowed outside the budget came in.
  EXPECT_LE(server_->stats().input_buffered_bytes, 32 * 1024u);
  EXPECT_EQ(handler_.held(), 0u);

  const auto t0 = std::chrono::steady_clock::now();
  budget->release(kBudget);
  EXPECT_EQ(read_frame(fd), "ACK:" + payload);
  budget->return_overdraft(kElsewhere);
  std::printf(
      "resumed and answered %.2f ms after the release\n",
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
}

// A paused connection keeps its frame timer: a sender that never finishes
// its frame is cut by frame_timeout, which releases its share of the budget.
TEST_F(ServerBudgetTest, PausedPartialFramesAreCutByTheFrameTimeout) {
  constexpr size_t kBudget = 1 << 20;
  auto budget = std::make_shared<InputBudget>(kBudget);
  ServerOptions o;
  o.max_frame_bytes = 256 * 1024;
  o.input_budget = budget;
  o.frame_timeout = 500ms;
  start(o);
  const std::string head = std::string(1, kStartBlock) + std::string(200 * 1024, 'z');
  std::vector<int> fds;
  for (int i = 0; i < 8; ++i) {
    int fd = track(connect_from("127.0.0.1", server_->port()));
    ASSERT_GE(fd, 0);
    fds.push_back(fd);
    // Whatever the kernel takes; the server reads what the budget allows.
    ::send(fd, head.data(), head.size(), MSG_NOSIGNAL);
  }
  ASSERT_TRUE(gw::testing::wait_until([&] { return server_->stats().reads_paused > 0; }, 10s));
  ASSERT_TRUE(gw::testing::wait_until(
      [&] { return server_->stats().connections_frame_timeout == 8u; }, 20s))
      << server_->stats().connections_frame_timeout;
  // Counted just before the connections close, so their release may follow.
  EXPECT_TRUE(gw::testing::wait_until([&] { return budget->used() == 0; }, 5s))
      << "still charged: " << budget->used();
  for (int fd : fds) EXPECT_EQ(read_frame(fd, 5s), "<closed>");
}

// Over TLS the budget charges the decrypted input the same way: a paused
// connection resumes on release, and a short message on another connection
// still gets through while the budget is full.
TEST_F(ServerBudgetTest, TlsConnectionsPauseAndResumeLikePlainOnes) {
  char tmpl[] = "/tmp/mllp_budget_tls_XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  auto pki = gw::testing::make_test_pki(dir, "his.example.org");
  ASSERT_TRUE(pki.ok()) << pki.error().message();
  constexpr size_t kBudget = 1 << 20;
  auto budget = std::make_shared<InputBudget>(kBudget);
  ServerOptions o;
  o.max_frame_bytes = 256 * 1024;
  o.input_budget = budget;
  o.tls = TlsServerOptions{pki->server_cert, pki->server_key, "", {}};
  start(o);
  ClientTlsOptions tls;
  tls.ca_file = pki->ca_cert;
  budget->charge(kBudget);
  constexpr uint64_t kElsewhere = ~uint64_t{0};
  ASSERT_TRUE(budget->take_overdraft(kElsewhere));

  auto big = Client::connect("127.0.0.1", server_->port(), 5s, tls);
  ASSERT_TRUE(big.ok()) << big.error().message();
  const std::string payload(100 * 1024, 't');
  ASSERT_TRUE((*big)->send(payload).ok());
  ASSERT_TRUE(gw::testing::wait_until([&] { return server_->stats().reads_paused > 0; }, 10s));

  auto small = Client::connect("127.0.0.1", server_->port(), 5s, tls);
  ASSERT_TRUE(small.ok()) << small.error().message();
  ASSERT_TRUE((*small)->send("MSH|small").ok());
  auto r = (*small)->receive(5s);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(*r, "ACK:MSH|small");

  budget->release(kBudget);
  budget->return_overdraft(kElsewhere);
  auto reply = (*big)->receive(10s);
  ASSERT_TRUE(reply.ok()) << reply.error().message();
  EXPECT_EQ(*reply, "ACK:" + payload);
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

TEST_F(ServerBudgetTest, PerAddressCapRefusesOneAddressAndAdmitsAnother) {
  ServerOptions o;
  o.max_connections_per_address = 2;
  o.io_threads = 2;  // counted across loops
  start(o);
  auto exchange = [](int fd, const std::string& text) {
    if (!send_all(fd, frame(text), std::chrono::steady_clock::now() + 5s)) return std::string();
    return read_frame(fd, 5s);
  };
  int a1 = track(connect_from("127.0.0.1", server_->port()));
  int a2 = track(connect_from("127.0.0.1", server_->port()));
  ASSERT_EQ(exchange(a1, "a1"), "ACK:a1");
  ASSERT_EQ(exchange(a2, "a2"), "ACK:a2");
  int a3 = track(connect_from("127.0.0.1", server_->port()));
  ASSERT_GE(a3, 0);  // the kernel completes the handshake; the server closes it
  EXPECT_EQ(read_frame(a3, 5s), "<closed>");
  EXPECT_EQ(server_->stats().connections_refused_per_address, 1u);
  EXPECT_EQ(server_->stats().connections_refused, 0u);

  int b1 = track(connect_from("127.0.0.2", server_->port()));
  ASSERT_GE(b1, 0) << "127.0.0.2 is not usable as a source address here";
  EXPECT_EQ(exchange(b1, "b1"), "ACK:b1");

  // A closed connection frees its place.
  ::shutdown(a1, SHUT_RDWR);
  ASSERT_TRUE(gw::testing::wait_until([&] { return server_->stats().connections_open == 2u; }, 5s));
  int a4 = track(connect_from("127.0.0.1", server_->port()));
  EXPECT_EQ(exchange(a4, "a4"), "ACK:a4");
  EXPECT_EQ(server_->stats().connections_refused_per_address, 1u);
}

}  // namespace
}  // namespace gw::mllp
