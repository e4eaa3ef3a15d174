// The outbound queue on real SQLite files: what it promises across a reopen
// (the stand-in for a crash: every change is one committed transaction),
// order, backoff and dead letters.
#include "gateway/outbound/outbound_queue.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>

namespace gw::outbound {
namespace {

class OutboundQueueTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/gwoutq.XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/outbound.db";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::unique_ptr<OutboundQueue> open(int64_t initial_cursor = 0) {
    auto q = OutboundQueue::open(path_, initial_cursor);
    EXPECT_TRUE(q.ok()) << q.error().message();
    return q.ok() ? std::move(q).value() : nullptr;
  }
  std::string dir_, path_;
};

TEST_F(OutboundQueueTest, NewFileStartsAtTheInitialCursorAndKeepsItsOwnAfterwards) {
  {
    auto q = open(41);
    ASSERT_TRUE(q);
    EXPECT_EQ(*q->cursor(), 41);
    ASSERT_TRUE(q->enqueue({}, 50).ok());
  }
  struct stat st {};
  ASSERT_EQ(::stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto q = open(7);  // an existing file keeps its cursor
  ASSERT_TRUE(q);
  EXPECT_EQ(*q->cursor(), 50);
  EXPECT_FALSE(q->enqueue({}, 49).ok()) << "the cursor never moves back";
}

TEST_F(OutboundQueueTest, ItemsAndCursorSurviveReopenAndComeOutInOrderPerDestination) {
  {
    auto q = open();
    ASSERT_TRUE(
        q->enqueue({{"a/fhir", 3, "C3"}, {"a/mllp", 3, "C3"}, {"a/fhir", 5, "C5"}}, 5).ok());
    ASSERT_TRUE(q->enqueue({{"a/fhir", 9, "C9"}}, 9).ok());
    // Enqueueing the same message again (a feeder round repeated) adds nothing.
    ASSERT_TRUE(q->enqueue({{"a/fhir", 5, "C5"}}, 9).ok());
  }
  auto q = open();
  EXPECT_EQ(*q->cursor(), 9);
  std::vector<int64_t> sent;
  for (;;) {
    auto head = q->head("a/fhir");
    ASSERT_TRUE(head.ok());
    if (!head->has_value()) break;
    sent.push_back((*head)->message_id);
    EXPECT_EQ((*head)->control_id, "C" + std::to_string((*head)->message_id));
    ASSERT_TRUE(q->complete((*head)->seq).ok());
  }
  EXPECT_EQ(sent, (std::vector<int64_t>{3, 5, 9}));
  auto mllp = q->head("a/mllp");
  ASSERT_TRUE(mllp.ok() && mllp->has_value());
  EXPECT_EQ((*mllp)->message_id, 3);
  auto counts = q->counts();
  ASSERT_TRUE(counts.ok());
  ASSERT_EQ(counts->size(), 2u);
  EXPECT_EQ((*counts)[0].destination, "a/fhir");
  EXPECT_EQ((*counts)[0].sent, 3);
  EXPECT_EQ((*counts)[0].queued, 0);
  EXPECT_EQ((*counts)[1].destination, "a/mllp");
  EXPECT_EQ((*counts)[1].queued, 1);
  EXPECT_GT((*counts)[1].oldest_queued_ms, 0);
}

TEST_F(OutboundQueueTest, RetryKeepsTheItemAtTheHeadWithItsAttemptsAndNextTime) {
  auto q = open();
  ASSERT_TRUE(q->enqueue({{"d", 1, "C1"}, {"d", 2, "C2"}}, 2).ok());
  auto head = q->head("d");
  ASSERT_TRUE(q->retry_later((*head)->seq, "FHIR server answered HTTP 503", 123456).ok());
  ASSERT_TRUE(q->retry_later((*head)->seq, "FHIR server answered HTTP 503", 223456).ok());
  q.reset();
  q = open();
  auto again = q->head("d");
  ASSERT_TRUE(again.ok() && again->has_value());
  EXPECT_EQ((*again)->message_id, 1) << "a failing item is not overtaken";
  EXPECT_EQ((*again)->attempts, 2);
  EXPECT_EQ((*again)->next_attempt_ms, 223456);
  EXPECT_EQ((*again)->last_error, "FHIR server answered HTTP 503");
  EXPECT_EQ((*q->counts())[0].retried, 2);
}

TEST_F(OutboundQueueTest, DeadLettersStepAsideUntilRequeuedThenGoFirstAgain) {
  auto q = open();
  ASSERT_TRUE(q->enqueue({{"d", 1, "C1"}, {"d", 2, "C2"}, {"e", 1, "C1"}}, 2).ok());
  ASSERT_TRUE(q->dead_letter((*q->head("d"))->seq, "the MLLP receiver answered AE").ok());
  EXPECT_EQ((*q->head("d"))->message_id, 2) << "the next item goes";
  ASSERT_TRUE(q->dead_letter((*q->head("e"))->seq, "the MLLP receiver answered AR").ok());
  auto dead = q->list(ItemState::kDead, 10);
  ASSERT_TRUE(dead.ok());
  ASSERT_EQ(dead->size(), 2u);
  EXPECT_EQ((*dead)[0].last_error, "the MLLP receiver answered AE");
  EXPECT_EQ((*q->counts())[0].dead, 1);

  auto requeued = q->requeue_dead(std::string("d"), std::nullopt);
  ASSERT_TRUE(requeued.ok());
  EXPECT_EQ(*requeued, 1) << "only destination d's";
  auto head = q->head("d");
  EXPECT_EQ((*head)->message_id, 1) << "a requeued dead letter keeps its place";
  EXPECT_EQ((*head)->attempts, 0);
  EXPECT_EQ((*head)->last_error, "");
  EXPECT_FALSE(q->head("e")->has_value());
  EXPECT_EQ(*q->requeue_dead(std::nullopt, (*dead)[1].seq), 1);
  EXPECT_TRUE(q->head("e")->has_value());
}

TEST_F(OutboundQueueTest, SkippedItemsAreCountedApartFromSent) {
  auto q = open();
  ASSERT_TRUE(q->enqueue({{"d", 1, "C1"}, {"d", 2, "C2"}}, 2).ok());
  ASSERT_TRUE(q->complete((*q->head("d"))->seq, /*skipped=*/true).ok());
  ASSERT_TRUE(q->complete((*q->head("d"))->seq).ok());
  auto c = q->counts();
  EXPECT_EQ((*c)[0].sent, 1);
  EXPECT_EQ((*c)[0].skipped, 1);
  EXPECT_FALSE(q->complete(12345).ok()) << "an unknown item is an error, not a silent count";
}

TEST_F(OutboundQueueTest, RefusesAFileThatIsNotAnOutboundQueue) {
  { auto q = open(); }
  // Another schema in the same file name.
  std::filesystem::remove(path_);
  std::filesystem::remove(path_ + "-wal");
  std::filesystem::remove(path_ + "-shm");
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    sqlite3_exec(db, "CREATE TABLE other(x)", nullptr, nullptr, nullptr);
    sqlite3_close(db);
  }
  auto q = OutboundQueue::open(path_);
  ASSERT_FALSE(q.ok());
  EXPECT_NE(q.error().message().find("not an outbound queue"), std::string::npos);
}

TEST(BackoffTest, DoublesFromTheInitialDelayUpToTheCap) {
  EXPECT_EQ(backoff_ms(1, 1000, 300000), 1000);
  EXPECT_EQ(backoff_ms(2, 1000, 300000), 2000);
  EXPECT_EQ(backoff_ms(5, 1000, 300000), 16000);
  EXPECT_EQ(backoff_ms(9, 1000, 300000), 256000);
  EXPECT_EQ(backoff_ms(10, 1000, 300000), 300000);
  EXPECT_EQ(backoff_ms(1000000, 1000, 300000), 300000) << "no overflow however many attempts";
}

}  // namespace
}  // namespace gw::outbound
