// Verify names the first entry that fails and what failed, for each way an
// attacker with write access to the file can change it: rows altered,
// deleted, reordered, inserted, the chain or a batch root rewritten, the
// tail cut off, and entries re-encrypted by someone holding the key.
#include "gateway/audit/audit_verify.h"

#include <gtest/gtest.h>

#include "gateway/audit/audit_log.h"
#include "gateway/audit/audit_schema.h"
#include "gateway/audit/audit_test_util.h"
#include "gateway/store/store_test_util.h"

namespace gw::audit {
namespace {

using store::testing::TempDir;
using testing::exec_sql;
using testing::sample_entry;

// 20 entries; batches 1-8 and 9-16; 17-20 wait for a batch.
class AuditVerifyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    keys_ = AuditKeys::random_for_tests();
    path_ = dir_.file("audit.db");
    AuditLogOptions options;
    options.batch_max_entries = 8;
    options.batch_max_age_ms = INT64_MAX;
    auto log = AuditLog::open(path_, keys_, options);
    ASSERT_TRUE(log.ok()) << log.error().message();
    for (int i = 1; i <= 20; ++i) ASSERT_TRUE((*log)->append(sample_entry(i)).ok());
  }
  AuditVerifyReport verify(const BatchCheck& check = {}) {
    auto report = verify_audit_log(path_, *keys_, check);
    EXPECT_TRUE(report.ok()) << report.error().message();
    return report.ok() ? *report : AuditVerifyReport{};
  }
  void tamper(const std::string& sql) { ASSERT_EQ(exec_sql(path_, sql), ""); }

  TempDir dir_;
  std::string path_;
  std::shared_ptr<const AuditKeys> keys_;
};

TEST_F(AuditVerifyTest, AnIntactLogVerifies) {
  int calls = 0;
  const auto r = verify([&](const AuditBatch& b) {
    EXPECT_FALSE(b.first_seq == 0);
    ++calls;
    return ok_status();
  });
  EXPECT_TRUE(r.ok()) << r.what;
  EXPECT_EQ(r.entries_checked, 20);
  EXPECT_EQ(r.batches_checked, 2);
  EXPECT_EQ(calls, 2);
}

struct Tampering {
  const char* name;
  const char* sql;
  AuditFault fault;
  int64_t seq;
};

const Tampering kTamperings[] = {
    {"AlteredAction", "UPDATE entries SET action = 'search' WHERE seq = 5",
     AuditFault::kAlteredField, 5},
    {"AlteredTime", "UPDATE entries SET time_ms = time_ms + 1 WHERE seq = 12",
     AuditFault::kAlteredField, 12},
    {"AlteredWho", "UPDATE entries SET actor = 'operator' WHERE seq = 18",
     AuditFault::kAlteredField, 18},
    {"PatientIndexRemoved", "UPDATE entries SET patient_index = NULL WHERE seq = 5",
     AuditFault::kAlteredField, 5},
    {"AlteredCiphertext",
     "UPDATE entries SET envelope = substr(envelope, 1, 40) || CASE WHEN substr(envelope, 41, 1) "
     "= X'00' THEN X'01' ELSE X'00' END || substr(envelope, 42) WHERE seq = 5",
     AuditFault::kAlteredCiphertext, 5},
    {"Deleted", "DELETE FROM entries WHERE seq = 5", AuditFault::kMissingEntry, 5},
    {"Reordered",
     "UPDATE entries SET seq = -1 WHERE seq = 5; UPDATE entries SET seq = 5 WHERE seq = 6; "
     "UPDATE entries SET seq = 6 WHERE seq = -1",
     AuditFault::kReorderedEntry, 5},
    {"InsertedCopy",
     "UPDATE entries SET seq = seq + 1000 WHERE seq >= 5; "
     "UPDATE entries SET seq = seq - 999 WHERE seq >= 1005; "
     "INSERT INTO entries SELECT 5, time_ms, action, actor, resource_type, outcome, "
     "patient_index, envelope, chain_hash FROM entries WHERE seq = 3",
     AuditFault::kInsertedEntry, 5},
    {"ChainHashRewritten", "UPDATE entries SET chain_hash = zeroblob(32) WHERE seq = 7",
     AuditFault::kChainBroken, 7},
    {"TailCut", "DELETE FROM entries WHERE seq >= 19", AuditFault::kMissingEntry, 19},
    {"TailCutIntoABatch", "DELETE FROM entries WHERE seq >= 15", AuditFault::kMissingEntry, 15},
    {"AppendedPastTheHead",
     "INSERT INTO entries SELECT 21, time_ms, action, actor, resource_type, outcome, "
     "patient_index, envelope, chain_hash FROM entries WHERE seq = 20",
     AuditFault::kInsertedEntry, 21},
    {"BatchRootRewritten", "UPDATE batches SET root = zeroblob(32) WHERE first_seq = 9",
     AuditFault::kBatchRoot, 9},
    {"BatchDeleted", "DELETE FROM batches WHERE first_seq = 1", AuditFault::kBatchLayout, 1},
    {"HeadRewritten", "UPDATE meta SET hash = zeroblob(32) WHERE name = 'head'",
     AuditFault::kHeadMismatch, 20},
};

class AuditTamperTest : public AuditVerifyTest, public ::testing::WithParamInterface<Tampering> {};

TEST_P(AuditTamperTest, IsCaughtAtTheRightSeq) {
  const Tampering& t = GetParam();
  tamper(t.sql);
  const auto r = verify();
  EXPECT_EQ(r.fault, t.fault) << fault_name(r.fault) << ": " << r.what;
  EXPECT_EQ(r.first_bad_seq, t.seq) << r.what;
}

INSTANTIATE_TEST_SUITE_P(Tamperings, AuditTamperTest, ::testing::ValuesIn(kTamperings),
                         [](const auto& info) { return std::string(info.param.name); });

std::string hex(std::string_view bytes) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

// Someone with the key (not only the file) rewrites entry 5 as a valid
// envelope: the chain no longer follows. Rewriting every later chain hash
// too leaves only the batch root, which the TPM signed and the ledger holds.
TEST_F(AuditVerifyTest, AKeyHolderRewritingAnEntryBreaksTheChainThenTheRoot) {
  AuditEntry forged = sample_entry(5);
  forged.resource_id = "obs-other";
  const std::string bytes = encode(forged);
  const std::string envelope = keys_->seal(bytes, internal::entry_associated_data(5));
  tamper("UPDATE entries SET envelope = X'" + hex(envelope) + "' WHERE seq = 5");
  auto r = verify();
  EXPECT_EQ(r.fault, AuditFault::kChainBroken) << r.what;
  EXPECT_EQ(r.first_bad_seq, 5);

  // Recompute the chain from 5 on, and the head, as a thorough forger would.
  auto log = AuditLog::open(path_, keys_);
  ASSERT_TRUE(log.ok());
  auto page = (*log)->query({});
  ASSERT_TRUE(page.ok());
  auto hash = internal::chain_start();
  for (const auto& s : page->entries) {
    hash = internal::chain_next(hash, crypto::sha256(encode(s.entry)));
    tamper("UPDATE entries SET chain_hash = X'" + hex(internal::as_view(hash)) +
           "' WHERE seq = " + std::to_string(s.seq));
  }
  tamper("UPDATE meta SET hash = X'" + hex(internal::as_view(hash)) + "' WHERE name = 'head'");
  r = verify();
  EXPECT_EQ(r.fault, AuditFault::kBatchRoot) << r.what;
  EXPECT_EQ(r.first_bad_seq, 1);
}

TEST_F(AuditVerifyTest, TheIntegratorsBatchCheckNamesTheBatch) {
  const auto r = verify([](const AuditBatch& b) {
    return b.first_seq == 9 ? data_loss_error("signature does not verify") : ok_status();
  });
  EXPECT_EQ(r.fault, AuditFault::kBatchCheck);
  EXPECT_EQ(r.first_bad_seq, 9);
  EXPECT_NE(r.what.find("signature does not verify"), std::string::npos);
}

// Queries never hand out an entry that does not open where it lies.
TEST_F(AuditVerifyTest, AQueryOverATamperedRowIsDataLoss) {
  tamper(
      "UPDATE entries SET seq = -1 WHERE seq = 5; UPDATE entries SET seq = 5 WHERE seq = 6; "
      "UPDATE entries SET seq = 6 WHERE seq = -1");
  auto log = AuditLog::open(path_, keys_);
  ASSERT_TRUE(log.ok());
  AuditQuery q;
  q.limit = 4;
  EXPECT_TRUE((*log)->query(q).ok());  // 1..4 are intact
  q.limit = 5;
  auto page = (*log)->query(q);
  EXPECT_EQ(page.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(page.status().message().find("entry 5"), std::string::npos);
}

TEST_F(AuditVerifyTest, WrongKeysFailAtTheFirstEntry) {
  auto other = AuditKeys::random_for_tests();
  auto r = verify_audit_log(path_, *other);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->fault, AuditFault::kAlteredCiphertext);
  EXPECT_EQ(r->first_bad_seq, 1);
}

}  // namespace
}  // namespace gw::audit
