// The audit log: appends are durable, contiguous and shared between threads;
// batches close by count and age and take a signature then an anchor; queries
// find entries by patient (blind index), who and time, a page at a time;
// nothing in the file reads in clear; pruning keeps unanchored batches and a
// verifiable chain.
#include "gateway/audit/audit_log.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <iterator>
#include <set>
#include <thread>
#include <vector>

#include "gateway/audit/audit_test_util.h"
#include "gateway/audit/audit_verify.h"
#include "gateway/base/clock.h"
#include "gateway/store/store_test_util.h"

namespace gw::audit {
namespace {

using store::testing::TempDir;
using testing::sample_entry;

std::unique_ptr<AuditLog> open_log(const std::string& path,
                                   const std::shared_ptr<const AuditKeys>& keys,
                                   AuditLogOptions options = {}) {
  auto log = AuditLog::open(path, keys, options);
  EXPECT_TRUE(log.ok()) << log.error().message();
  return log.ok() ? std::move(log).value() : nullptr;
}

TEST(AuditLogTest, AppendsGetContiguousSeqsAndSurviveReopen) {
  TempDir dir;
  const std::string path = dir.file("audit.db");
  auto keys = AuditKeys::random_for_tests();
  {
    auto log = open_log(path, keys);
    for (int i = 1; i <= 3; ++i) EXPECT_EQ(*log->append(sample_entry(i)), i);
  }
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  auto log = open_log(path, keys);
  EXPECT_EQ(*log->append(sample_entry(4)), 4);
  auto head = log->head();
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(head->last_seq, 4);
  auto page = log->query({});
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->entries.size(), 4u);
  EXPECT_EQ(page->entries[3].entry, sample_entry(4));
}

TEST(AuditLogTest, RefusesABadEntryAndAForeignFile) {
  TempDir dir;
  auto log = open_log(dir.file("audit.db"), AuditKeys::random_for_tests());
  AuditEntry e = sample_entry(1);
  e.source = std::string(kMaxSourceBytes + 1, '1');
  EXPECT_EQ(log->append(e).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(*log->append(sample_entry(1)), 1);  // nothing was written for the bad one

  const std::string other = dir.file("other.db");
  ASSERT_EQ(testing::exec_sql(other, "CREATE TABLE t (x)"), "");
  EXPECT_EQ(AuditLog::open(other, AuditKeys::random_for_tests()).status().code(),
            StatusCode::kFailedPrecondition);
}

TEST(AuditLogTest, ConcurrentAppendsShareCommitsAndKeepTheChain) {
  TempDir dir;
  const std::string path = dir.file("audit.db");
  auto keys = AuditKeys::random_for_tests();
  AuditLogOptions options;
  options.batch_max_entries = 50;
  options.batch_max_age_ms = INT64_MAX;  // sample entries are old: batches by count only
  auto log = open_log(path, keys, options);
  constexpr int kThreads = 8, kEach = 40;
  std::vector<std::vector<int64_t>> seqs(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        auto seq = log->append(sample_entry(t * kEach + i));
        if (seq.ok()) seqs[t].push_back(*seq);
      }
    });
  }
  for (auto& t : threads) t.join();
  std::set<int64_t> all;
  for (const auto& v : seqs) all.insert(v.begin(), v.end());
  ASSERT_EQ(all.size(), static_cast<size_t>(kThreads * kEach));
  EXPECT_EQ(*all.begin(), 1);
  EXPECT_EQ(*all.rbegin(), kThreads * kEach);
  const AuditLogStats stats = log->stats();
  EXPECT_EQ(stats.appends, kThreads * kEach);
  // 8 threads appending at once over fsyncs: commits are shared.
  EXPECT_LT(stats.commits, stats.appends);
  auto batches = log->batches(0, 100);
  ASSERT_TRUE(batches.ok());
  ASSERT_EQ(batches->size(), 6u);  // 320 entries, 50 per batch, 20 left waiting
  EXPECT_EQ((*batches)[5].last_seq, 300);
  auto report = verify_audit_log(path, *keys);
  ASSERT_TRUE(report.ok()) << report.error().message();
  EXPECT_TRUE(report->ok()) << report->what;
  EXPECT_EQ(report->entries_checked, kThreads * kEach);
  EXPECT_EQ(report->batches_checked, 6);
}

TEST(AuditLogTest, BatchesCloseByAgeAndTakeASignatureThenAnAnchor) {
  TempDir dir;
  AuditLogOptions options;
  options.batch_max_age_ms = 60'000;
  auto log = open_log(dir.file("audit.db"), AuditKeys::random_for_tests(), options);
  for (int i = 1; i <= 3; ++i) ASSERT_TRUE(log->append(sample_entry(i)).ok());
  // sample entries are from 2023: old enough at any append, so the first
  // append already closed a one-entry batch, and each append another.
  auto pending = log->pending_batches(10);
  ASSERT_TRUE(pending.ok());
  ASSERT_EQ(pending->size(), 3u);
  AuditEntry recent = sample_entry(4);
  recent.time_ms = gw::now_ms();
  ASSERT_TRUE(log->append(recent).ok());
  EXPECT_EQ(log->pending_batches(10)->size(), 3u);  // the recent entry waits
  EXPECT_EQ(*log->close_batches(recent.time_ms + 59'999), 0);
  EXPECT_EQ(*log->close_batches(recent.time_ms + 60'000), 1);
  pending = log->pending_batches(10);
  ASSERT_EQ(pending->size(), 4u);
  const AuditBatch b = (*pending)[3];
  EXPECT_EQ(b.first_seq, 4);
  EXPECT_EQ(b.last_seq, 4);

  const std::vector<uint8_t> sig = {0x30, 0x44, 0x01};
  EXPECT_EQ(log->set_batch_anchor(b.id, "0xabc", 5).code(), StatusCode::kFailedPrecondition);
  EXPECT_TRUE(log->set_batch_signature(b.id, sig, "tpm").ok());
  EXPECT_EQ(log->set_batch_signature(b.id, sig, "tpm").code(), StatusCode::kFailedPrecondition);
  EXPECT_TRUE(log->set_batch_anchor(b.id, "0xabc", 5).ok());
  EXPECT_EQ(log->set_batch_anchor(b.id, "0xdef", 6).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(log->set_batch_signature(999, sig, "tpm").code(), StatusCode::kFailedPrecondition);
  pending = log->pending_batches(10);
  ASSERT_EQ(pending->size(), 3u);
  auto all = log->batches(0, 10);
  EXPECT_EQ((*all)[3].signature, sig);
  EXPECT_EQ((*all)[3].anchor_tx, "0xabc");
}

TEST(AuditLogTest, QueriesByPatientWhoAndTimeAPageAtATime) {
  TempDir dir;
  auto log = open_log(dir.file("audit.db"), AuditKeys::random_for_tests());
  for (int i = 1; i <= 30; ++i) {
    AuditEntry e = sample_entry(i);
    if (i % 5 == 0) e.actor = {ActorKind::kOperator, ""};
    ASSERT_TRUE(log->append(e).ok());
  }
  AuditQuery q;
  q.patient = sample_entry(1).patient;  // i % 3 == 1: 10 entries
  q.limit = 4;
  std::vector<int64_t> seqs;
  for (int pages = 0; pages < 10; ++pages) {
    auto page = log->query(q);
    ASSERT_TRUE(page.ok()) << page.error().message();
    for (const auto& s : page->entries) {
      EXPECT_EQ(s.entry.patient, q.patient);
      seqs.push_back(s.seq);
    }
    if (!page->next_after_seq) break;
    q.after_seq = *page->next_after_seq;
  }
  EXPECT_EQ(seqs, (std::vector<int64_t>{1, 4, 7, 10, 13, 16, 19, 22, 25, 28}));

  AuditQuery by_who;
  by_who.actor = Actor{ActorKind::kOperator, ""};
  by_who.from_ms = sample_entry(10).time_ms;  // inclusive
  by_who.to_ms = sample_entry(25).time_ms;    // exclusive
  auto page = log->query(by_who);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->entries.size(), 3u);  // 10, 15, 20
  EXPECT_EQ(page->entries[0].seq, 10);
  EXPECT_EQ(page->entries[2].seq, 20);
  EXPECT_FALSE(page->next_after_seq.has_value());

  AuditQuery too_many;
  too_many.limit = kMaxQueryLimit + 1;
  EXPECT_EQ(log->query(too_many).status().code(), StatusCode::kInvalidArgument);
}

TEST(AuditLogTest, NothingInTheFileReadsInClear) {
  TempDir dir;
  const std::string path = dir.file("audit.db");
  {
    auto log = open_log(path, AuditKeys::random_for_tests());
    AuditEntry e = sample_entry(1);
    e.resource_id = "distinctive-resource-id";
    e.detail = "distinctive-detail";
    ASSERT_TRUE(log->append(e).ok());
  }
  std::ifstream in(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::ifstream wal(path + "-wal", std::ios::binary);
  bytes.append((std::istreambuf_iterator<char>(wal)), std::istreambuf_iterator<char>());
  ASSERT_FALSE(bytes.empty());
  EXPECT_EQ(bytes.find("distinctive"), std::string::npos);
  const auto token = *sample_entry(1).patient;
  EXPECT_EQ(bytes.find(std::string(token.begin(), token.end())), std::string::npos);
}

TEST(AuditLogTest, PruneKeepsUnanchoredBatchesAndAVerifiableChain) {
  TempDir dir;
  const std::string path = dir.file("audit.db");
  auto keys = AuditKeys::random_for_tests();
  AuditLogOptions options;
  options.batch_max_entries = 4;
  options.batch_max_age_ms = INT64_MAX;  // batches by count only
  auto log = open_log(path, keys, options);
  for (int i = 1; i <= 14; ++i) ASSERT_TRUE(log->append(sample_entry(i)).ok());
  auto batches = log->batches(0, 10);
  ASSERT_EQ(batches->size(), 3u);  // 1-4, 5-8, 9-12; 13-14 wait
  const std::vector<uint8_t> sig = {1, 2, 3};
  // Anchor the first and the third: the second, unanchored, stops pruning.
  for (int i : {0, 2}) {
    ASSERT_TRUE(log->set_batch_signature((*batches)[i].id, sig, "tpm").ok());
    ASSERT_TRUE(log->set_batch_anchor((*batches)[i].id, "0x01", 1).ok());
  }
  auto pruned = log->prune_before(sample_entry(100).time_ms);
  ASSERT_TRUE(pruned.ok()) << pruned.error().message();
  EXPECT_EQ(pruned->entries_deleted, 4);
  EXPECT_EQ(pruned->pruned_through_seq, 4);
  // A cutoff inside a batch's times keeps that whole batch.
  ASSERT_TRUE(log->set_batch_signature((*batches)[1].id, sig, "tpm").ok());
  ASSERT_TRUE(log->set_batch_anchor((*batches)[1].id, "0x02", 1).ok());
  pruned = log->prune_before(sample_entry(10).time_ms);
  EXPECT_EQ(pruned->pruned_through_seq, 8);
  auto page = log->query({});
  ASSERT_EQ(page->entries.size(), 6u);
  EXPECT_EQ(page->entries.front().seq, 9);
  EXPECT_EQ(*log->append(sample_entry(15)), 15);

  int checked = 0;
  auto report = verify_audit_log(path, *keys, [&](const AuditBatch&) {
    ++checked;
    return ok_status();
  });
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok()) << report->what;
  EXPECT_EQ(report->pruned_through_seq, 8);
  EXPECT_EQ(report->entries_checked, 7);
  EXPECT_EQ(checked, 3);  // the pruned batches' signatures and anchors still checked
}

TEST(AuditLogTest, AppendAllWritesEveryEntryInOneCommitOrNone) {
  TempDir dir;
  auto log = open_log(dir.file("audit.db"), AuditKeys::random_for_tests());
  std::vector<AuditEntry> entries{sample_entry(1), sample_entry(2), sample_entry(3)};
  auto seqs = log->append_all(entries);
  ASSERT_TRUE(seqs.ok()) << seqs.status().message();
  EXPECT_EQ(*seqs, (std::vector<int64_t>{1, 2, 3}));
  EXPECT_EQ(log->stats().commits, 1);

  entries[1].resource_type = std::string(300, 'X');  // breaks a bound: nothing is written
  EXPECT_EQ(log->append_all(entries).status().code(), StatusCode::kInvalidArgument);
  auto head = log->head();
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(head->last_seq, 3);
  auto page = log->query(AuditQuery{});
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->entries.size(), 3u);
  EXPECT_EQ(page->entries[2].entry, sample_entry(3));
}

}  // namespace
}  // namespace gw::audit
