// test-needs: integration swtpm
// The memory attack of issue 18 against a real gatewayd: many connections
// each holding the start of a ~1 MiB frame without its end. gatewayd must
// keep the input it holds near [gateway] max_buffered_bytes (the budget
// shared by every channel) instead of buffering every frame, keep answering
// an honest sender on a fresh connection, and cut the partial frames at
// frame_timeout_s.
//
// Figures (RSS growth of gatewayd, printed by the test):
//   GW_ATTACK_CONNECTIONS=1000 [GW_ATTACK_BUDGET_MIB=128] \
//     build/tests/integration_memory_budget_test
// and for an older gatewayd that has no budget (its config omits the keys,
// nothing is asserted about memory):
//   GW_MEMORY_BASELINE=1 GW_TEST_GATEWAYD=/path/to/old/gatewayd \
//     GW_ATTACK_CONNECTIONS=300 build/tests/integration_memory_budget_test
#include <gtest/gtest.h>
#include <signal.h>

#include <cstdio>
#include <memory>
#include <vector>

#include "adapters/hl7/ack.h"
#include "adapters/mllp/client.h"
#include "adapters/mllp/fd_limit.h"
#include "tests/integration/corpus_util.h"
#include "tests/integration/hostile_traffic.h"
#include "tests/support/sanitizer.h"
#include "tests/support/wait.h"

namespace gw::testing {
namespace {

using namespace std::chrono_literals;

constexpr size_t kMiB = 1 << 20;
constexpr size_t kMaxFrame = kMiB;         // the channel's max_frame_bytes (default)
constexpr int kIoThreads = 1;              // [gateway] io_threads (default)
constexpr size_t kUnbudgetedRead = 16384;  // adapters/mllp: a read allowed outside the budget

// An ADT message the gateway maps and stores, with a fresh control id.
std::string honest_message(const std::string& control_id) {
  for (const auto& m : load_mappable_corpus())
    if (m.file == "adt_a01.hl7") return with_control_id(original_mode(m.text), control_id);
  ADD_FAILURE() << "adt_a01.hl7 not in the corpus";
  return {};
}

std::string ack_code(uint16_t port, const std::string& msg) {
  auto c = mllp::Client::connect("127.0.0.1", port, 10s);
  if (!c.ok()) return "<connect: " + c.status().message() + ">";
  if (gw::Status s = (*c)->send(msg); !s.ok()) return "<send: " + s.message() + ">";
  auto reply = (*c)->receive(20s);
  if (!reply.ok()) return "<receive: " + reply.status().message() + ">";
  auto ack = hl7::read_ack(*reply);
  return ack.ok() ? ack->code : "<not an ACK>";
}

TEST(MemoryBudgetTest, PartialFramesFromManyConnectionsStayWithinTheBudget) {
  const bool baseline = std::getenv("GW_MEMORY_BASELINE") != nullptr;
  const size_t connections = static_cast<size_t>(env_or("GW_ATTACK_CONNECTIONS", 300));
  const long frame_timeout_s = env_or("GW_ATTACK_FRAME_TIMEOUT_S", 20);
  // [gateway] max_buffered_bytes: 64 MiB here, half the default, so that the
  // bound below stays well under what 300 partial frames would take.
  const size_t budget = static_cast<size_t>(env_or("GW_ATTACK_BUDGET_MIB", 64)) * kMiB;
  ASSERT_TRUE(mllp::raise_fd_limit(connections + 512).ok());

  TempDir dir;
  std::string channel = "frame_timeout_s = " + std::to_string(frame_timeout_s) +
                        "\nmax_connections = " + std::to_string(connections + 64) + "\n";
  // Every attacking connection comes from 127.0.0.1: this test is about the
  // budget, not the per-address cap (per_address_cap test below).
  if (!baseline) channel += "max_connections_per_address = 0\n";
  GatewaydProcess gw(dir.path(), channel);
  if (!baseline) {
    ASSERT_TRUE(add_gateway_settings(gw.config_path(),
                                     "max_buffered_bytes = " + std::to_string(budget) + "\n"));
  }
  ASSERT_TRUE(gw.start().ok()) << gw.output();
  // Warm up (first message: mapping tables, store statements) before the
  // reference reading.
  ASSERT_EQ(ack_code(gw.port(), honest_message("WARM-1")), "AA");
  const size_t rss_before_kib = proc_status_kib(gw.pid(), "VmRSS");
  ASSERT_GT(rss_before_kib, 0u);

  // Each connection sends a frame's start and ~1 MiB of it, never its end.
  std::string head =
      std::string(1, '\x0b') + "MSH|^~\\&|ATTACK|X|GW|X|20240101000000||ADT^A01|ATT|P|2.5\rNTE|1||";
  head.append(kMaxFrame - head.size() - 16, 'x');
  std::vector<int> fds;
  std::vector<size_t> sent;
  for (size_t i = 0; i < connections; ++i) {
    int fd = connect_loopback(gw.port());
    ASSERT_GE(fd, 0) << "connection " << i;
    fds.push_back(fd);
    sent.push_back(0);
  }
  // Push until every frame is out or gatewayd stops taking bytes (no socket
  // writable for a second: its reads have paused and the kernel's buffers
  // are full).
  const auto push_deadline = std::chrono::steady_clock::now() + 120s;
  for (;;) {
    std::vector<pollfd> want;
    std::vector<size_t> index;
    for (size_t i = 0; i < fds.size(); ++i) {
      if (sent[i] < head.size()) {
        want.push_back({fds[i], POLLOUT, 0});
        index.push_back(i);
      }
    }
    if (want.empty() || std::chrono::steady_clock::now() > push_deadline) break;
    if (::poll(want.data(), want.size(), 1000) <= 0) break;
    for (size_t k = 0; k < want.size(); ++k) {
      if ((want[k].revents & POLLOUT) == 0) continue;
      const size_t i = index[k];
      ssize_t n = send_some(fds[i], std::string_view(head).substr(sent[i]));
      ASSERT_GE(n, 0) << "connection " << i << " failed while sending";
      sent[i] += static_cast<size_t>(n);
    }
  }
  size_t total_sent = 0;
  for (size_t s : sent) total_sent += s;

  // An honest sender on a fresh connection is still answered, and stored.
  EXPECT_EQ(ack_code(gw.port(), honest_message("HONEST-1")), "AA");

  const size_t peak_kib = proc_status_kib(gw.pid(), "VmHWM");
  const size_t growth = (peak_kib > rss_before_kib ? peak_kib - rss_before_kib : 0) * 1024;
  std::printf(
      "budget %s: %zu connections holding partial 1 MiB frames (%zu MiB sent): gatewayd RSS %zu "
      "MiB before, peak %zu MiB, growth %zu MiB\n",
      baseline ? "none (baseline)" : (std::to_string(budget / kMiB) + " MiB").c_str(), connections,
      total_sent / kMiB, rss_before_kib / 1024, peak_kib / 1024, growth / kMiB);
  if (!baseline) {
    // The bound of adapters/mllp/server.h's threat notes (budget, a small
    // read per connection, a doubled frame buffer per loop and for the
    // overdraft), plus per-connection bookkeeping (under 4 KiB each) and
    // 32 MiB for everything else gatewayd allocates meanwhile.
    const size_t bound = budget + connections * (kUnbudgetedRead + 4096) +
                         (kIoThreads + 1) * 2 * kMaxFrame + 32 * kMiB;
    if (kAddressSanitizer) {
      std::printf("note: the RSS bound is not checked under AddressSanitizer\n");
    } else {
      EXPECT_LE(growth, bound) << "gatewayd buffered the partial frames beyond its budget";
    }
    // The attack sent more than the bound: an unbounded server would fail.
    if (total_sent <= bound) {
      std::printf("note: only %zu MiB were sent; the bound is %zu MiB\n", total_sent / kMiB,
                  bound / kMiB);
    }
  }

  // The partial frames are cut at frame_timeout_s, which frees the budget.
  std::vector<bool> closed(fds.size(), false);
  EXPECT_TRUE(wait_until(
      [&] {
        size_t open = 0;
        for (size_t i = 0; i < fds.size(); ++i) {
          if (!closed[i]) closed[i] = closed_by_peer(fds[i]);
          if (!closed[i]) ++open;
        }
        return open == 0;
      },
      std::chrono::seconds(frame_timeout_s + 60), 100ms))
      << "connections holding partial frames were not closed by frame_timeout_s";
  for (int fd : fds) ::close(fd);
  ASSERT_EQ(::kill(gw.pid(), 0), 0) << "gatewayd is gone";
  EXPECT_EQ(ack_code(gw.port(), honest_message("HONEST-2")), "AA");
  EXPECT_EQ(gw.terminate(), 0) << gw.output();
}

// One client address cannot take every connection of a channel: over
// max_connections_per_address its connections are closed at accept, while
// another address (127.0.0.2) still gets in and is answered.
TEST(MemoryBudgetTest, PerAddressCapKeepsSlotsForOtherAddresses) {
  TempDir dir;
  GatewaydProcess gw(dir.path(), "max_connections_per_address = 8\n");
  ASSERT_TRUE(gw.start().ok()) << gw.output();
  std::vector<int> fds;
  for (int i = 0; i < 8; ++i) {
    int fd = connect_loopback(gw.port());
    ASSERT_GE(fd, 0);
    fds.push_back(fd);
  }
  // The kernel completes the handshake of the ninth; gatewayd closes it.
  int over = connect_loopback(gw.port());
  ASSERT_GE(over, 0);
  EXPECT_EQ(read_frame(over, std::chrono::steady_clock::now() + 10s), "<closed>");
  ::close(over);

  int other = connect_loopback(gw.port(), "127.0.0.2");
  ASSERT_GE(other, 0) << "127.0.0.2 is not usable as a source address here";
  const std::string msg = honest_message("OTHER-ADDR-1");
  ASSERT_TRUE(send_all(other, "\x0b" + msg + "\x1c\r", std::chrono::steady_clock::now() + 10s));
  const std::string reply = read_frame(other, std::chrono::steady_clock::now() + 20s);
  auto ack = hl7::read_ack(reply);
  ASSERT_TRUE(ack.ok()) << reply;
  EXPECT_EQ(ack->code, "AA");
  ::close(other);

  // A slot freed on the first address is usable again.
  ::close(fds.back());
  fds.pop_back();
  EXPECT_TRUE(wait_until([&] { return ack_code(gw.port(), honest_message("AGAIN-1")) == "AA"; },
                         20s, 200ms));
  for (int fd : fds) ::close(fd);
  EXPECT_EQ(gw.terminate(), 0) << gw.output();
}

}  // namespace
}  // namespace gw::testing
