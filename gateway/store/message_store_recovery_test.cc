// Durability: what the store acknowledged is there after a reopen, and after
// the process is killed at an arbitrary point (SIGKILL, mid-group, mid-fsync
// or mid-checkpoint). A process kill is what this proves; surviving power
// loss additionally relies on synchronous=FULL, which a test cannot exercise.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <semaphore>
#include <thread>

#include "gateway/store/message_store.h"
#include "gateway/store/store_test_util.h"

namespace gw::store {
namespace {

using testing::make_message;
using testing::open_or_die;
using testing::query_text;
using testing::TempDir;
using Kind = CommitResult::Kind;

// Varying sizes so that some rows spill into overflow pages and the WAL
// reaches the auto-checkpoint size during a run.
std::string payload(int round, int64_t seq) {
  std::string raw = "MSH|^~\\&|CRASH|TEST|||20240101||ADT^A01|" + std::to_string(round) + "-" +
                    std::to_string(seq) + "|P|2.5\r";
  raw.append(static_cast<size_t>((seq * 7919) % 6000), static_cast<char>('a' + seq % 26));
  return raw;
}

TEST(MessageStoreRecoveryTest, EverythingSubmittedSurvivesAReopen) {
  TempDir dir;
  StoreOptions o;
  o.path = dir.store_file();
  o.keys = testing::test_keys();
  constexpr int kMessages = 200;
  std::map<int64_t, std::string> acknowledged;
  {
    auto store = open_or_die(o);
    ASSERT_NE(store, nullptr);
    for (int i = 0; i < kMessages; ++i) {
      CommitResult r = store->submit_sync(make_message("S", std::to_string(i), payload(0, i)));
      ASSERT_EQ(r.kind, Kind::kStored) << r.error;
      acknowledged[r.id] = payload(0, i);
    }
  }  // destroyed: committer joined, connections closed
  auto store = open_or_die(o);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->count(std::nullopt), kMessages);
  for (const auto& [id, raw] : acknowledged) ASSERT_EQ(store->raw_message(id), raw) << id;
}

struct Ack {
  int64_t id;
  int64_t seq;
};

// Child process: submits messages from several threads until killed, and
// reports an (id, seq) pair on `fd` from each callback that says kStored.
// Writes of sizeof(Ack) <= PIPE_BUF bytes to a pipe are atomic.
[[noreturn]] void run_child(const std::string& path, int round, int fd) {
  StoreOptions o;
  o.path = path;
  o.keys = testing::test_keys();
  auto opened = MessageStore::open(o);
  if (!opened.ok()) _exit(2);
  auto store = std::move(opened).value();
  constexpr int kThreads = 4;
  std::counting_semaphore<256> in_flight(64);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int64_t seq = t; seq < 10'000'000; seq += kThreads) {
        in_flight.acquire();
        InboundMessage m = make_message("S", std::to_string(round) + "-" + std::to_string(seq),
                                        payload(round, seq));
        store->submit(std::move(m), [&, seq, fd](CommitResult r) {
          if (r.kind == Kind::kStored) {
            Ack ack{r.id, seq};
            if (write(fd, &ack, sizeof ack) != static_cast<ssize_t>(sizeof ack)) _exit(3);
          } else {
            _exit(4);
          }
          in_flight.release();
        });
      }
    });
  }
  for (auto& t : threads) t.join();
  _exit(5);  // never reached in practice: the parent kills us first
}

// Reads acknowledgements until `kill_after` have arrived, SIGKILLs the child,
// then drains what it wrote before dying.
std::vector<Ack> collect_then_kill(pid_t child, int fd, size_t kill_after) {
  std::vector<Ack> acks;
  std::string buffer;
  bool killed = false;
  char chunk[4096];
  for (;;) {
    const ssize_t n = read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // EOF: the child is gone
    buffer.append(chunk, static_cast<size_t>(n));
    size_t used = 0;
    for (; buffer.size() - used >= sizeof(Ack); used += sizeof(Ack)) {
      Ack a;
      std::memcpy(&a, buffer.data() + used, sizeof a);
      acks.push_back(a);
    }
    buffer.erase(0, used);
    if (!killed && acks.size() >= kill_after) {
      kill(child, SIGKILL);
      killed = true;
    }
  }
  EXPECT_TRUE(buffer.empty()) << "torn acknowledgement record";
  return acks;
}

TEST(MessageStoreRecoveryTest, SigkillLosesNothingThatWasAcknowledged) {
  TempDir dir;
  const std::string path = dir.store_file();
  // Several rounds on the same file: each starts by recovering the previous
  // crash. Kill points vary from "right after start" to "after checkpoints".
  const size_t kill_after[] = {1, 150, 1500, 4000};
  std::map<int64_t, std::pair<int, int64_t>> expected;  // id -> (round, seq)
  for (int round = 0; round < static_cast<int>(std::size(kill_after)); ++round) {
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    // The parent has no other threads here (every store is closed), so fork
    // is safe.
    const pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      close(fds[0]);
      run_child(path, round, fds[1]);
    }
    close(fds[1]);
    std::vector<Ack> acks = collect_then_kill(child, fds[0], kill_after[round]);
    close(fds[0]);
    int status = 0;
    ASSERT_EQ(waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
        << "child ended on its own, status " << status;
    ASSERT_GE(acks.size(), kill_after[round]);
    for (const Ack& a : acks) {
      ASSERT_TRUE(expected.emplace(a.id, std::make_pair(round, a.seq)).second)
          << "id " << a.id << " acknowledged twice";
    }

    EXPECT_EQ(query_text(path, "PRAGMA integrity_check"), "ok") << "round " << round;
    auto store = open_or_die(StoreOptions{.path = path, .keys = testing::test_keys()});
    ASSERT_NE(store, nullptr);
    for (const auto& [id, origin] : expected) {
      ASSERT_EQ(store->raw_message(id), payload(origin.first, origin.second))
          << "acknowledged message " << id << " (round " << origin.first << ") lost";
    }
    // Unacknowledged messages may or may not be there (committed but killed
    // before the callback); acknowledged ones must be.
    EXPECT_GE(store->count(std::nullopt), static_cast<int64_t>(expected.size()));
    std::printf("round %d: killed after %zu acknowledgements; %lld rows in the database\n", round,
                acks.size(), static_cast<long long>(store->count(std::nullopt)));
  }
}

}  // namespace
}  // namespace gw::store
