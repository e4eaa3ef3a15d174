// test-needs: swtpm anvil
// The audit sealer with a real TPM (swtpm) and a real ledger (anvil, the
// consortium deployed from C++): batches are signed by the TPM batch key and
// anchored with kind audit, verify_audit_log with AuditBatchChecker accepts
// the result, and names the batch whose signature was altered in SQLite,
// whose anchor is missing on the ledger, or whose signature was removed;
// retention prunes only anchored batches older than the cutoff.
#include "gateway/auditseal/audit_sealer.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "gateway/audit/audit_test_util.h"
#include "gateway/audit/audit_verify.h"
#include "gateway/auditseal/audit_batch_check.h"
#include "gateway/base/clock.h"
#include "ledger-client/consortium/audit_anchor.h"
#include "ledger-client/outbox/consortium_fixture.h"
#include "ledger-client/outbox/item_codec.h"
#include "tpm/testing/swtpm_process.h"

namespace gw::auditseal {
namespace {

using audit::AuditBatch;
using audit::AuditFault;
using audit::AuditLog;
using audit::testing::exec_sql;
using audit::testing::sample_entry;
using namespace std::chrono_literals;

constexpr int64_t kDayMs = 86'400'000;

class AuditSealerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto tpm = tpm::testing::SwtpmProcess::start(chain_.dir_.path() + "/swtpm");
    ASSERT_TRUE(tpm.ok()) << tpm.error().message();
    swtpm_ = std::move(*tpm);
    keys_.kind = "tpm";
    keys_.tcti = swtpm_->tcti();
    keys_.state_dir = chain_.dir_.path() + "/state";
    keys_.consortium_id = "test";
    {
      auto ks = keys::open_key_store(keys_);
      ASSERT_TRUE(ks.ok()) << ks.error().message();
      auto provisioned = (*ks)->provision();
      ASSERT_TRUE(provisioned.ok()) << provisioned.error().message();
      auto pem = (*ks)->batch_signing_public_key();
      ASSERT_TRUE(pem.ok()) << pem.error().message();
      pem_ = *pem;
    }
    chain_.start_anvil();
    if (HasFatalFailure()) return;
    chain_.deploy(/*quorum=*/1, /*founders=*/1);
    if (HasFatalFailure()) return;
    audit::AuditLogOptions lo;
    lo.batch_max_entries = 4;
    auto log = AuditLog::open(path(), audit_keys_, lo);
    ASSERT_TRUE(log.ok()) << log.error().message();
    log_ = std::move(*log);
  }

  std::string path() const { return chain_.dir_.path() + "/audit.db"; }
  ledger::OutboxStore* outbox() { return chain_.member(0).store.get(); }
  void drain() {
    auto st = chain_.member(0).submitter->drain(30s);
    ASSERT_TRUE(st.ok()) << st.message();
  }
  // Entries i in [from, to) at time `at_ms`.
  void append(int from, int to, int64_t at_ms) {
    for (int i = from; i < to; ++i) {
      audit::AuditEntry e = sample_entry(i);
      e.time_ms = at_ms;
      ASSERT_TRUE(log_->append(e).ok());
    }
  }
  std::vector<AuditBatch> batches() {
    auto b = log_->batches(0, 100);
    EXPECT_TRUE(b.ok());
    return b.ok() ? *b : std::vector<AuditBatch>{};
  }
  int64_t last_signed() {
    int64_t id = 0;
    for (const AuditBatch& b : batches())
      if (!b.signature.empty()) id = b.id;
    return id;
  }
  struct Verified {
    audit::AuditVerifyReport report;
    BatchTally tally;
    std::string ledger_problem;
  };
  Verified verify(bool with_ledger = true) {
    std::optional<AnchorLedger> ledger;
    if (with_ledger)
      ledger =
          AnchorLedger{chain_.eth_.get(), chain_.contracts_.anchors, chain_.member(0).address()};
    auto checker = AuditBatchChecker::create(pem_, last_signed(), ledger);
    EXPECT_TRUE(checker.ok()) << checker.error().message();
    if (!checker.ok()) return {};
    auto report = audit::verify_audit_log(path(), *audit_keys_, (*checker)->callback());
    EXPECT_TRUE(report.ok()) << report.error().message();
    if (!report.ok()) return {};
    return {*report, (*checker)->tally(), (*checker)->ledger_problem()};
  }

  ledger::testing::ConsortiumFixture chain_;
  std::unique_ptr<tpm::testing::SwtpmProcess> swtpm_;
  keys::KeyStoreOptions keys_;
  std::string pem_;
  std::shared_ptr<const audit::AuditKeys> audit_keys_ = audit::AuditKeys::random_for_tests();
  std::unique_ptr<AuditLog> log_;
};

TEST_F(AuditSealerTest, BatchesAreSignedAnchoredAndVerifyThenAnAlteredSignatureIsNamed) {
  const int64_t now = gw::now_ms();
  append(1, 11, now);  // batches 1-4 and 5-8 close full; 9-10 wait
  AuditSealer sealer(*log_, keys_, outbox());
  auto round = sealer.run_once(now + 61'000);  // closes 9-10 by age
  ASSERT_TRUE(round.ok()) << round.error().message();
  EXPECT_EQ(round->closed, 1);
  EXPECT_EQ(round->signed_, 3u);
  EXPECT_EQ(round->enqueued, 3u);
  EXPECT_FALSE(round->sign_failed);
  for (const AuditBatch& b : batches()) {
    EXPECT_EQ(b.signer, "tpm");
    EXPECT_FALSE(b.signature.empty());
    EXPECT_EQ(b.anchor_tx, "");
  }
  // Queued but not mined: not anchored yet, which is not a failure.
  Verified pending = verify();
  EXPECT_TRUE(pending.report.ok()) << pending.report.what;
  EXPECT_EQ(pending.tally.not_anchored_yet, 3);

  drain();
  round = sealer.run_once(now + 62'000);
  ASSERT_TRUE(round.ok()) << round.error().message();
  EXPECT_EQ(round->anchored, 3u);
  EXPECT_EQ(round->enqueued, 0u);
  round = sealer.run_once(now + 63'000);  // nothing left to do
  ASSERT_TRUE(round.ok());
  EXPECT_EQ(round->signed_ + round->anchored + round->enqueued, 0u);

  // On chain: one anchor per batch, kind audit, the file's range and signature.
  for (const AuditBatch& b : batches()) {
    EXPECT_EQ(b.anchor_tx.substr(0, 2), "0x");
    auto record = ledger::consortium::decode_anchor_of(
        chain_.view(chain_.contracts_.anchors,
                    ledger::consortium::anchor_of(chain_.member(0).address(), b.root)));
    ASSERT_TRUE(record.ok());
    EXPECT_NE(record->anchored_at, 0u);
    EXPECT_EQ(record->kind, static_cast<uint8_t>(ledger::consortium::AnchorKind::kAudit));
  }
  append(11, 13, now);
  ASSERT_EQ(*log_->close_batches(now + 61'000), 1);  // batch 4, not signed yet
  Verified ok = verify();
  ASSERT_TRUE(ok.report.ok()) << ok.report.what;
  EXPECT_EQ(ok.report.entries_checked, 12);
  EXPECT_EQ(ok.tally.batches, 4);
  EXPECT_EQ(ok.tally.signature_ok, 3);
  EXPECT_EQ(ok.tally.anchored, 3);
  EXPECT_EQ(ok.tally.not_signed_yet, 1);
  EXPECT_EQ(ok.ledger_problem, "");

  // One byte of batch 2's signature changed (the DER's last byte, inside s).
  std::vector<uint8_t> sig = batches()[1].signature;
  sig.back() ^= 0x01;
  ASSERT_EQ(exec_sql(path(),
                     "UPDATE batches SET signature = X'" + ledger::to_hex(sig) + "' WHERE id = 2"),
            "");
  Verified tampered = verify(/*with_ledger=*/false);
  EXPECT_EQ(tampered.report.fault, AuditFault::kBatchCheck);
  EXPECT_EQ(tampered.report.first_bad_seq, 5);
  EXPECT_NE(tampered.report.what.find("batch 2: the signature over its root"), std::string::npos)
      << tampered.report.what;
}

TEST_F(AuditSealerTest, AnAnchorMissingOnTheLedgerOrARemovedSignatureIsNamed) {
  const int64_t now = gw::now_ms();
  append(1, 13, now);  // three full batches
  AuditSealer signer_only(*log_, keys_, /*outbox=*/nullptr);
  auto round = signer_only.run_once(now);
  ASSERT_TRUE(round.ok()) << round.error().message();
  EXPECT_EQ(round->signed_, 3u);
  EXPECT_EQ(round->enqueued, 0u);
  Verified unanchored = verify();
  ASSERT_TRUE(unanchored.report.ok()) << unanchored.report.what;
  EXPECT_EQ(unanchored.tally.not_anchored_yet, 3);

  // The file claims batch 2 was anchored; the ledger never saw it.
  ASSERT_TRUE(log_->set_batch_anchor(2, "0x" + std::string(64, 'a'), now).ok());
  Verified missing = verify();
  EXPECT_EQ(missing.report.fault, AuditFault::kBatchCheck);
  EXPECT_EQ(missing.report.first_bad_seq, 5);
  EXPECT_NE(missing.report.what.find("the ledger holds no anchor of its root"), std::string::npos)
      << missing.report.what;

  // Batch 1's signature removed while batch 3 is signed: named at batch 1,
  // with or without the ledger.
  ASSERT_EQ(exec_sql(path(), "UPDATE batches SET signature = NULL, signer = '' WHERE id = 1"), "");
  for (bool with_ledger : {false, true}) {
    Verified removed = verify(with_ledger);
    EXPECT_EQ(removed.report.fault, AuditFault::kBatchCheck);
    EXPECT_EQ(removed.report.first_bad_seq, 1);
    EXPECT_NE(removed.report.what.find("its signature was removed"), std::string::npos)
        << removed.report.what;
  }
}

TEST_F(AuditSealerTest, RetentionPrunesOnlyAnchoredBatchesOlderThanTheCutoff) {
  const int64_t now = gw::now_ms();
  const int64_t old = now - 2200 * kDayMs;  // older than the default 2190 days
  AuditSealer sealer(*log_, keys_, outbox());
  // An entry already older than batch_max_age closes its batch at once.
  append(1, 5, old);  // batches 1-4, one old entry each, to be anchored
  ASSERT_TRUE(sealer.run_once(now).ok());
  drain();
  ASSERT_EQ(sealer.run_once(now)->anchored, 4u);
  append(5, 6, old);  // batch 5: old, signed and queued but not anchored yet
  auto queued = sealer.run_once(now);
  ASSERT_TRUE(queued.ok());
  ASSERT_EQ(queued->enqueued, 1u);

  auto pruned = sealer.prune(now);
  ASSERT_TRUE(pruned.ok()) << pruned.error().message();
  EXPECT_EQ(pruned->entries_deleted, 4);
  EXPECT_EQ(pruned->pruned_through_seq, 4);
  EXPECT_EQ(sealer.prune(now)->entries_deleted, 0);  // batch 5 is not anchored

  drain();
  append(6, 10, now);  // batch 6: recent, full
  ASSERT_TRUE(sealer.run_once(now).ok());
  drain();
  ASSERT_TRUE(sealer.run_once(now).ok());
  ASSERT_EQ(batches().size(), 6u);
  for (const AuditBatch& b : batches()) ASSERT_NE(b.anchor_tx, "") << "batch " << b.id;
  pruned = sealer.prune(now);
  ASSERT_TRUE(pruned.ok());
  EXPECT_EQ(pruned->entries_deleted, 1);  // batch 5 only: batch 6 is recent
  EXPECT_EQ(pruned->pruned_through_seq, 5);

  // The pruned batches' signatures and anchors are still checked.
  Verified v = verify();
  ASSERT_TRUE(v.report.ok()) << v.report.what;
  EXPECT_EQ(v.report.pruned_through_seq, 5);
  EXPECT_EQ(v.report.entries_checked, 4);
  EXPECT_EQ(v.tally.anchored, 6);
}

// The TPM away: nothing is signed (no batch out of order), the round says so,
// and once the TPM is back the same batches are signed oldest first.
TEST_F(AuditSealerTest, ATpmFailureIsRetriedAndKeepsTheSigningOrder) {
  append(1, 9, gw::now_ms());  // two full batches
  swtpm_->stop();
  {
    AuditSealer sealer(*log_, keys_, outbox());
    auto round = sealer.run_once(gw::now_ms());
    ASSERT_TRUE(round.ok()) << round.error().message();
    EXPECT_TRUE(round->sign_failed);
    EXPECT_EQ(round->signed_, 0u);
    EXPECT_EQ(round->enqueued, 0u);
    EXPECT_EQ(last_signed(), 0);
  }
  auto tpm = tpm::testing::SwtpmProcess::start(chain_.dir_.path() + "/swtpm");  // same state
  ASSERT_TRUE(tpm.ok()) << tpm.error().message();
  swtpm_ = std::move(*tpm);
  keys_.tcti = swtpm_->tcti();
  AuditSealer sealer(*log_, keys_, outbox());
  auto round = sealer.run_once(gw::now_ms());
  ASSERT_TRUE(round.ok()) << round.error().message();
  EXPECT_FALSE(round->sign_failed);
  EXPECT_EQ(round->signed_, 2u);
  EXPECT_EQ(round->enqueued, 2u);
  Verified v = verify();
  EXPECT_TRUE(v.report.ok()) << v.report.what;
  EXPECT_EQ(v.tally.signature_ok, 2);
}

// The thread: start() seals what is due, stop() runs a last round.
TEST_F(AuditSealerTest, TheThreadSealsAndStopRunsALastRound) {
  AuditSealerOptions o;
  o.interval = 100ms;
  AuditSealer sealer(*log_, keys_, outbox(), o);
  sealer.start();
  append(1, 5, gw::now_ms());
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (last_signed() == 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(20ms);
  EXPECT_EQ(last_signed(), 1);
  append(5, 9, gw::now_ms());
  sealer.stop();  // the last round signs batch 2 and queues it
  EXPECT_EQ(last_signed(), 2);
  auto item =
      outbox()->item_by_key(ledger::ItemKind::kAnchor,
                            ledger::anchor_key({ledger::consortium::AnchorKind::kAudit,
                                                batches()[1].root, 5, 8, batches()[1].signature}));
  ASSERT_TRUE(item.ok());
  EXPECT_TRUE(item->has_value());
}

// Figures: verify with signature and anchor checks over N entries
// (GW_AUDIT_SEAL_BENCH_ENTRIES, default 4096), filled from 64 threads.
TEST_F(AuditSealerTest, VerifyTimeWithSignaturesAndAnchors) {
  const char* env = std::getenv("GW_AUDIT_SEAL_BENCH_ENTRIES");
  const int n = env != nullptr ? std::atoi(env) : 4096;
  ASSERT_GT(n, 0);
  log_.reset();
  audit::AuditLogOptions lo;  // production batches: 1024 entries
  auto reopened = AuditLog::open(path(), audit_keys_, lo);
  ASSERT_TRUE(reopened.ok());
  log_ = std::move(*reopened);
  const int64_t now = gw::now_ms();
  std::vector<std::thread> threads;
  for (int t = 0; t < 64; ++t) {
    threads.emplace_back([&, t] {
      for (int i = t; i < n; i += 64) {
        audit::AuditEntry e = sample_entry(i);
        e.time_ms = now;
        EXPECT_TRUE(log_->append(e).ok());
      }
    });
  }
  for (auto& t : threads) t.join();
  AuditSealerOptions so;
  so.max_batches_per_round = 100'000;
  AuditSealer sealer(*log_, keys_, outbox(), so);
  ASSERT_TRUE(sealer.run_once(now + 61'000).ok());
  drain();
  ASSERT_TRUE(sealer.run_once(now + 61'000).ok());
  const auto start = std::chrono::steady_clock::now();
  Verified v = verify();
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_TRUE(v.report.ok()) << v.report.what;
  EXPECT_EQ(v.report.entries_checked, n);
  EXPECT_EQ(v.tally.anchored, (n + 1023) / 1024);
  std::printf(
      "verify with signature + anchor checks: %d entries, %lld batches, %.3f s "
      "(%.1f s per million)\n",
      n, static_cast<long long>(v.tally.batches), s, s * 1e6 / n);
}

}  // namespace
}  // namespace gw::auditseal
