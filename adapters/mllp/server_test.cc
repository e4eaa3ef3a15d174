#include "adapters/mllp/server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "adapters/mllp/client.h"
#include "adapters/mllp/fd_limit.h"
#include "adapters/mllp/framer.h"
#include "adapters/mllp/server_test_util.h"
#include "tests/support/wait.h"

namespace gw::mllp {
namespace {

using namespace std::chrono_literals;

using testing::ManualClock;
using testing::TestHandler;

class ServerTest : public ::testing::Test {
 protected:
  // Options whose timers read clock_ instead of the real clock.
  ServerOptions with_manual_clock(ServerOptions o) {
    o.clock = [this] { return clock_.now(); };
    return o;
  }
  // Returns once the loop has run, timeout sweep included, at clock_'s
  // present reading: a frame on a connection of its own is read in one loop
  // iteration (which reads the clock and sweeps when a sweep is due) and
  // answered in a later one, since the handler replies from its worker. The
  // frame keeps that connection active, so it is never the one timed out.
  void sync_loop() {
    if (!sync_) sync_ = connect();
    send(*sync_, "sync");
    ASSERT_EQ(receive(*sync_), "ACK:sync");
  }
  void start(ServerOptions o = {}) {
    o.port = 0;
    auto server = Server::create(o, &handler_);
    ASSERT_TRUE(server.ok()) << server.status().message();
    server_ = std::move(server).value();
    server_->start();
  }
  void TearDown() override {
    clock_.release();  // the grace below passes in real time
    if (server_) server_->stop(1s);
  }
  std::unique_ptr<Client> connect() {
    auto c = Client::connect("127.0.0.1", server_->port(), 2s);
    EXPECT_TRUE(c.ok()) << c.status().message();
    return c.ok() ? std::move(c).value() : nullptr;
  }
  static void send(Client& c, std::string_view payload) {
    gw::Status s = c.send(payload);
    ASSERT_TRUE(s.ok()) << s.message();
  }
  static std::string receive(Client& c, std::chrono::milliseconds timeout = 5s) {
    auto r = c.receive(timeout);
    return r.ok() ? *r : "<error: " + r.error().message() + ">";
  }
  static bool closed_by_peer(Client& c, std::chrono::milliseconds timeout = 5s) {
    auto r = c.receive(timeout);
    return !r.ok() && r.error().message().find("closed by peer") != std::string::npos;
  }

  TestHandler handler_;  // declared first: outlives the server
  ManualClock clock_;    // outlives the server too
  std::unique_ptr<Server> server_;
  std::unique_ptr<Client> sync_;  // sync_loop()'s connection
};

TEST_F(ServerTest, EchoFromWorkerThread) {
  start();
  auto c = connect();
  for (int i = 0; i < 100; ++i) {
    send(*c, "MSH|" + std::to_string(i));
    EXPECT_EQ(receive(*c), "ACK:MSH|" + std::to_string(i));
  }
  ServerStats s = server_->stats();
  EXPECT_EQ(s.frames_received, 100u);
  EXPECT_EQ(s.replies_sent, 100u);
  EXPECT_EQ(s.connections_accepted, 1u);
  EXPECT_EQ(s.connections_open, 1u);
}

TEST_F(ServerTest, PipelinedFramesGetRepliesInArrivalOrder) {
  start();
  auto c = connect();
  std::string burst;
  for (int i = 0; i < 500; ++i) burst += frame("m" + std::to_string(i));
  gw::Status sent = c->send_raw(burst);
  ASSERT_TRUE(sent.ok()) << sent.message();
  for (int i = 0; i < 500; ++i) ASSERT_EQ(receive(*c), "ACK:m" + std::to_string(i));
}

TEST_F(ServerTest, OutOfOrderCompletionIsReorderedOnTheWire) {
  start();
  auto c = connect();
  for (int i = 0; i < 20; ++i) send(*c, "hold" + std::to_string(i));
  ASSERT_TRUE(handler_.wait_held(20));
  auto held = handler_.take_held();
  // Complete in reverse order, from several threads.
  std::vector<std::thread> threads;
  for (int i = 19; i >= 0; --i) {
    threads.emplace_back([r = std::move(held[i].second), f = held[i].first, i]() mutable {
      std::this_thread::sleep_for(std::chrono::milliseconds((19 - i) * 2));
      r.send("ACK:" + f);
    });
  }
  for (int i = 0; i < 20; ++i) EXPECT_EQ(receive(*c), "ACK:hold" + std::to_string(i));
  for (auto& t : threads) t.join();
}

TEST_F(ServerTest, NoneReleasesItsPlace) {
  start();
  auto c = connect();
  send(*c, "a");
  send(*c, "none");
  send(*c, "b");
  EXPECT_EQ(receive(*c), "ACK:a");
  EXPECT_EQ(receive(*c), "ACK:b");
  auto r = c->receive(100ms);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("timed out"), std::string::npos) << r.error().message();
}

TEST_F(ServerTest, ReplyDestroyedWithoutAnswerCountsAsNone) {
  start();
  auto c = connect();
  send(*c, "hold-dropped");
  ASSERT_TRUE(handler_.wait_held(1));
  send(*c, "after");
  handler_.take_held();  // destroys the Reply
  EXPECT_EQ(receive(*c), "ACK:after");
}

TEST_F(ServerTest, InlineReplyFromLoopThread) {
  ServerOptions o;
  o.max_in_flight_per_connection = 4;
  start(o);
  auto c = connect();
  std::string burst;
  for (int i = 0; i < 1000; ++i) burst += frame("inline");
  ASSERT_TRUE(c->send_raw(burst).ok());
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(receive(*c), "ACK:inline") << i;
}

TEST_F(ServerTest, SendAndCloseAnswersThenCloses) {
  start();
  auto c = connect();
  send(*c, "a");
  send(*c, "close:bye");
  send(*c, "never answered");
  EXPECT_EQ(receive(*c), "ACK:a");
  EXPECT_EQ(receive(*c), "bye");
  EXPECT_TRUE(closed_by_peer(*c));
  c.reset();
  EXPECT_TRUE(gw::testing::wait_until([&] { return server_->stats().connections_open == 0; }, 5s));
}

TEST_F(ServerTest, OversizedFrameGetsHeadAndConnectionStaysUsable) {
  ServerOptions o;
  o.max_frame_bytes = 1024;
  start(o);
  auto c = connect();
  std::string big = "MSH|big" + std::string(10000, 'x');
  send(*c, big);
  EXPECT_EQ(receive(*c), "NAK:MSH|big");
  EXPECT_EQ(handler_.last_head(), big.substr(0, 1025));
  send(*c, "next");
  EXPECT_EQ(receive(*c), "ACK:next");
  ServerStats s = server_->stats();
  EXPECT_EQ(s.frames_oversized, 1u);
  EXPECT_EQ(s.frames_received, 1u);
}

TEST_F(ServerTest, OversizedHeadIsFourKiB) {
  ServerOptions o;
  o.max_frame_bytes = 64 * 1024;
  start(o);
  auto c = connect();
  std::string big = "MSH|big" + std::string(200000, 'y');
  send(*c, big);
  EXPECT_EQ(receive(*c), "NAK:MSH|big");
  EXPECT_EQ(handler_.last_head(), big.substr(0, 4096));
}

TEST_F(ServerTest, GarbageBeforeStartIsCounted) {
  start();
  auto c = connect();
  ASSERT_TRUE(c->send_raw("GET / HTTP/1.0\r\n\r\n").ok());
  send(*c, "x");
  EXPECT_EQ(receive(*c), "ACK:x");
  EXPECT_EQ(server_->stats().bytes_skipped, 18u);
}

// The timeout tests run on clock_: the server sweeps for timeouts every
// idle_timeout / 4 (at most 250 ms), so a connection goes at the first sweep
// after its deadline.
TEST_F(ServerTest, IdleConnectionIsClosed) {
  ServerOptions o;
  o.idle_timeout = 200ms;  // swept every 50 ms
  start(with_manual_clock(o));
  auto c = connect();
  send(*c, "x");
  EXPECT_EQ(receive(*c), "ACK:x");  // the last activity, at t0
  clock_.advance(199ms);
  sync_loop();
  EXPECT_EQ(server_->stats().connections_idle_closed, 0u) << "closed before idle_timeout";
  clock_.advance(51ms);  // t0 + 250 ms: past the deadline and a sweep period
  sync_loop();
  EXPECT_EQ(server_->stats().connections_idle_closed, 1u);
  EXPECT_TRUE(closed_by_peer(*c, 3s));
}

// Slowloris: a frame trickled a byte at a time never ends in time and the
// connection is closed by frame_timeout, however short the gaps; garbage
// trickled outside frames does not keep a connection from going idle.
TEST_F(ServerTest, ATrickledFrameIsCutOffByFrameTimeout) {
  ServerOptions o;
  o.idle_timeout = 10s;  // swept every 250 ms
  o.frame_timeout = 400ms;
  start(with_manual_clock(o));
  auto c = connect();
  // A normal frame first (unaffected), and in the same write the start of one
  // that never ends: read together, before the clock moves, so it starts at t0.
  ASSERT_TRUE(c->send_raw(frame("x") + "\x0bMSH|").ok());
  EXPECT_EQ(receive(*c), "ACK:x");
  // A byte every 50 ms, far inside idle_timeout, until the server cuts it off.
  auto elapsed = 0ms;
  while (server_->stats().connections_frame_timeout == 0 && elapsed < 2s) {
    clock_.advance(50ms);
    elapsed += 50ms;
    (void)c->send_raw("A");
    sync_loop();
  }
  EXPECT_EQ(server_->stats().connections_frame_timeout, 1u);
  EXPECT_GE(elapsed, 400ms) << "cut off before frame_timeout";
  EXPECT_LE(elapsed, 400ms + 250ms + 50ms) << "not cut off at the first sweep after frame_timeout";
  EXPECT_EQ(server_->stats().connections_idle_closed, 0u);
  EXPECT_TRUE(closed_by_peer(*c, 3s));
}

TEST_F(ServerTest, GarbageDoesNotKeepAConnectionAlive) {
  ServerOptions o;
  o.idle_timeout = 300ms;  // swept every 75 ms
  start(with_manual_clock(o));
  auto c = connect();  // accepted at t0
  sync_loop();
  auto elapsed = 0ms;
  while (server_->stats().connections_idle_closed == 0 && elapsed < 2s) {
    clock_.advance(50ms);
    elapsed += 50ms;
    (void)c->send_raw("GET");
    sync_loop();
  }
  EXPECT_EQ(server_->stats().connections_idle_closed, 1u);
  EXPECT_GE(elapsed, 300ms) << "closed before idle_timeout";
  EXPECT_LE(elapsed, 300ms + 75ms + 50ms) << "garbage kept it alive";
  EXPECT_GT(server_->stats().bytes_skipped, 0u);
  EXPECT_EQ(server_->stats().connections_frame_timeout, 0u);
}

TEST_F(ServerTest, ConnectionAwaitingReplyIsNotIdle) {
  ServerOptions o;
  o.idle_timeout = 200ms;  // swept every 50 ms
  start(with_manual_clock(o));
  auto c = connect();
  send(*c, "hold-slow");
  ASSERT_TRUE(handler_.wait_held(1));
  clock_.advance(700ms);
  sync_loop();
  EXPECT_EQ(server_->stats().connections_idle_closed, 0u);
  auto held = handler_.take_held();
  held[0].second.send("late");
  EXPECT_EQ(receive(*c), "late");
  // Idle again once answered.
  clock_.advance(250ms);
  EXPECT_TRUE(closed_by_peer(*c, 3s));
}

TEST_F(ServerTest, ConnectionsBeyondMaxAreRefused) {
  ServerOptions o;
  o.max_connections = 2;
  start(o);
  auto a = connect();
  auto b = connect();
  send(*a, "a");
  send(*b, "b");
  EXPECT_EQ(receive(*a), "ACK:a");
  EXPECT_EQ(receive(*b), "ACK:b");
  auto c = connect();
  EXPECT_TRUE(closed_by_peer(*c));
  EXPECT_TRUE(
      gw::testing::wait_until([&] { return server_->stats().connections_refused == 1u; }, 5s));
  // A slot frees up when a connection closes.
  a.reset();
  ASSERT_TRUE(gw::testing::wait_until([&] { return server_->stats().connections_open == 1; }, 5s));
  auto d = connect();
  send(*d, "d");
  EXPECT_EQ(receive(*d), "ACK:d");
}

TEST_F(ServerTest, InFlightLimitPausesReading) {
  ServerOptions o;
  o.max_in_flight_per_connection = 4;
  start(o);
  auto c = connect();
  std::string burst;
  for (int i = 0; i < 50; ++i) burst += frame("hold" + std::to_string(i));
  ASSERT_TRUE(c->send_raw(burst).ok());
  int next = 0;
  while (next < 50) {
    ASSERT_TRUE(handler_.wait_held(1));
    std::this_thread::sleep_for(20ms);  // give the server a chance to overrun
    auto held = handler_.take_held();
    ASSERT_LE(held.size(), 4u);
    for (auto& [f, r] : held) r.send(f);
    for (size_t i = 0; i < held.size(); ++i, ++next) {
      ASSERT_EQ(receive(*c), "hold" + std::to_string(next));
    }
  }
}

TEST_F(ServerTest, ThousandConcurrentConnections) {
  constexpr int kConns = 1000;
  if (gw::Status s = raise_fd_limit(2 * kConns + 200); !s.ok())
    GTEST_SKIP() << "needs more descriptors: " << s.message();
  ServerOptions o;
  o.io_threads = 2;
  start(o);
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < kConns; ++i) {
    clients.push_back(connect());
    ASSERT_NE(clients.back(), nullptr);
  }
  for (int i = 0; i < kConns; ++i) send(*clients[i], "c" + std::to_string(i));
  ASSERT_TRUE(
      gw::testing::wait_until([&] { return server_->stats().connections_open == kConns; }, 5s));
  for (int i = 0; i < kConns; ++i) ASSERT_EQ(receive(*clients[i]), "ACK:c" + std::to_string(i));
  // And a second round while all are open.
  for (int i = 0; i < kConns; ++i) send(*clients[i], "d" + std::to_string(i));
  for (int i = 0; i < kConns; ++i) ASSERT_EQ(receive(*clients[i]), "ACK:d" + std::to_string(i));
  EXPECT_EQ(server_->stats().connections_accepted, static_cast<uint64_t>(kConns));
  clients.clear();
  EXPECT_TRUE(gw::testing::wait_until([&] { return server_->stats().connections_open == 0; }, 5s));
}

TEST_F(ServerTest, GracefulStopFlushesPendingRepliesThenCloses) {
  start();
  auto c = connect();
  send(*c, "hold-during-stop");
  ASSERT_TRUE(handler_.wait_held(1));
  auto t0 = std::chrono::steady_clock::now();
  std::thread stopper([&] { server_->stop(5s); });
  std::this_thread::sleep_for(100ms);
  // Stopped listening: new connections are refused.
  EXPECT_FALSE(Client::connect("127.0.0.1", server_->port(), 500ms).ok());
  auto held = handler_.take_held();
  held[0].second.send("flushed");
  stopper.join();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 3s);
  EXPECT_EQ(receive(*c), "flushed");
  EXPECT_TRUE(closed_by_peer(*c));
  server_->stop(1s);  // idempotent
}

TEST_F(ServerTest, StopGraceExpiresWhenHandlerNeverAnswers) {
  start();
  auto c = connect();
  send(*c, "hold-forever");
  ASSERT_TRUE(handler_.wait_held(1));
  auto t0 = std::chrono::steady_clock::now();
  server_->stop(200ms);
  auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_GE(took, 150ms);
  EXPECT_LT(took, 2s);
  EXPECT_TRUE(closed_by_peer(*c));
  handler_.take_held()[0].second.send("too late");  // dropped, no crash
}

TEST_F(ServerTest, ReplyAfterConnectionClosedIsDropped) {
  start();
  auto c = connect();
  send(*c, "hold-orphan");
  ASSERT_TRUE(handler_.wait_held(1));
  c.reset();
  // The peer is gone but the frame is still awaited: the connection is closed
  // when the reply fails to go out (or by the idle timeout after EOF).
  auto held = handler_.take_held();
  held[0].second.send("nobody listens");
  EXPECT_TRUE(gw::testing::wait_until([&] { return server_->stats().connections_open == 0; }, 5s));
  // A Reply that outlives the server.
  auto d = connect();
  send(*d, "hold-outlives");
  ASSERT_TRUE(handler_.wait_held(1));
  held = handler_.take_held();
  server_->stop(0ms);
  server_.reset();
  held[0].second.send("server gone");
}

TEST_F(ServerTest, PeerDisconnectingMidFrame) {
  start();
  {
    auto c = connect();
    ASSERT_TRUE(c->send_raw("\x0bMSH|partial frame without end").ok());
  }
  EXPECT_TRUE(gw::testing::wait_until([&] { return server_->stats().connections_open == 0; }, 5s));
  auto d = connect();
  send(*d, "ok");
  EXPECT_EQ(receive(*d), "ACK:ok");
}

TEST_F(ServerTest, HalfCloseStillGetsReplies) {
  start();
  // A sender that writes its frames and shuts down its side at once.
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(server_->port());
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  std::string out = frame("x") + frame("y") + "\x0bpartial";
  ASSERT_EQ(::send(fd, out.data(), out.size(), 0), static_cast<ssize_t>(out.size()));
  ::shutdown(fd, SHUT_WR);
  timeval wait{10, 0};  // the server's EOF must come: fail rather than hang
  ASSERT_EQ(::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wait, sizeof wait), 0);
  std::string in;
  char buf[256];
  for (;;) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      ADD_FAILURE() << "the server did not close within 10 s";
    }
    if (n <= 0) break;
    in.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  EXPECT_EQ(in, frame("ACK:x") + frame("ACK:y"));
  EXPECT_TRUE(gw::testing::wait_until([&] { return server_->stats().connections_open == 0; }, 5s));
}

TEST_F(ServerTest, PeerThatNeverReadsIsThrottled) {
  start();
  auto c = connect();
  c->set_send_timeout(1s);
  std::string burst;
  for (int i = 0; i < 20000; ++i) burst += frame("big");
  // May time out once the server stops reading.
  c->send_raw(burst).ignore();
  std::this_thread::sleep_for(500ms);
  uint64_t frames = server_->stats().frames_received;
  std::this_thread::sleep_for(300ms);
  // 100 KB replies that nobody reads: the server stops reading after a
  // bounded number (kernel buffers plus its own high-water mark).
  EXPECT_EQ(server_->stats().frames_received, frames);
  EXPECT_LT(frames, 2000u);
}

TEST_F(ServerTest, RandomBytesFromManyPeersDoNotHurt) {
  ServerOptions o;
  o.max_frame_bytes = 2048;
  o.max_in_flight_per_connection = 8;
  o.io_threads = 2;
  start(o);
  std::mt19937 rng(7);
  const char alphabet[] = {kStartBlock, kEndBlock, kCarriageReturn, 'M', 'S', 'H', '|', '\0'};
  for (int k = 0; k < 40; ++k) {
    auto c = connect();
    std::string junk(1 + rng() % 100000, '\0');
    for (char& ch : junk) ch = alphabet[rng() % sizeof alphabet];
    c->set_send_timeout(2s);
    // The server may close or stop reading; either is fine.
    c->send_raw(junk).ignore();
  }
  EXPECT_TRUE(gw::testing::wait_until([&] { return server_->stats().connections_open == 0; }, 5s));
  auto d = connect();
  send(*d, "still fine");
  EXPECT_EQ(receive(*d), "ACK:still fine");
  EXPECT_GT(server_->stats().bytes_skipped, 0u);
}

TEST_F(ServerTest, HandlerExceptionDoesNotStopTheLoop) {
  start();
  auto c = connect();
  send(*c, "throw");
  send(*c, "fine");
  EXPECT_EQ(receive(*c), "ACK:fine");
}

TEST_F(ServerTest, MultipleIoThreads) {
  ServerOptions o;
  o.io_threads = 4;
  start(o);
  constexpr int kClients = 16, kRounds = 200;
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kClients; ++t) {
    threads.emplace_back([&, t] {
      auto connected = Client::connect("127.0.0.1", server_->port(), 2s);
      if (!connected.ok()) return;
      std::unique_ptr<Client> c = std::move(connected).value();
      for (int i = 0; i < kRounds; ++i) {
        std::string m = std::to_string(t) + ":" + std::to_string(i);
        if (!c->send(m).ok()) return;
        auto r = c->receive(5s);
        if (!r.ok() || *r != "ACK:" + m) return;
        ok++;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), kClients * kRounds);
  EXPECT_EQ(server_->stats().frames_received, static_cast<uint64_t>(kClients * kRounds));
}

TEST(ServerCreateTest, RejectsBadOptions) {
  TestHandler h;
  ServerOptions o;
  o.port = 0;
  o.host = "not-an-address";
  auto error_of = [&](FrameHandler* handler) {
    auto s = Server::create(o, handler);
    EXPECT_FALSE(s.ok());
    return s.ok() ? std::string() : s.error().message();
  };
  std::string error = error_of(&h);
  EXPECT_NE(error.find("numeric"), std::string::npos) << error;
  o.host = "127.0.0.1";
  o.io_threads = 0;
  error = error_of(&h);
  EXPECT_NE(error.find("io_threads"), std::string::npos) << error;
  o.io_threads = 1;
  o.frame_timeout = 0ms;
  error = error_of(&h);
  EXPECT_NE(error.find("frame_timeout"), std::string::npos) << error;
  o.frame_timeout = 1s;
  EXPECT_EQ(Server::create(o, nullptr).status().code(), StatusCode::kInvalidArgument);
}

TEST(ServerCreateTest, PortInUse) {
  TestHandler h;
  ServerOptions o;
  o.port = 0;
  auto a = Server::create(o, &h);
  ASSERT_TRUE(a.ok()) << a.status().message();
  o.port = (*a)->port();
  auto b = Server::create(o, &h);
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.error().message().find("bind"), std::string::npos) << b.error().message();
}

TEST(ServerCreateTest, StopWithoutStartAndDestructor) {
  TestHandler h;
  ServerOptions o;
  o.port = 0;
  o.io_threads = 3;
  auto created_a = Server::create(o, &h);
  ASSERT_TRUE(created_a.ok()) << created_a.status().message();
  std::unique_ptr<Server> a = std::move(created_a).value();
  a->stop(1s);
  a->stop(1s);
  a->start();  // after stop: no effect
  auto created_b = Server::create(o, &h);
  ASSERT_TRUE(created_b.ok()) << created_b.status().message();
  std::unique_ptr<Server> b = std::move(created_b).value();
  b->start();
  b.reset();  // destructor stops
}

TEST(ServerCreateTest, Ipv6Loopback) {
  TestHandler h;
  ServerOptions o;
  o.port = 0;
  o.host = "::1";
  auto created = Server::create(o, &h);
  if (!created.ok()) GTEST_SKIP() << "no IPv6 loopback: " << created.error().message();
  std::unique_ptr<Server> s = std::move(created).value();
  s->start();
  auto c = Client::connect("::1", s->port(), 2s);
  ASSERT_TRUE(c.ok()) << c.status().message();
  ASSERT_TRUE((*c)->send("v6").ok());
  auto r = (*c)->receive(5s);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(*r, "ACK:v6");
  s->stop(1s);
}

}  // namespace
}  // namespace gw::mllp
