// build_patient_access_report against a real message store and a real audit
// log: the patient is found by id, their entries by token (every page of the
// log's query), in the period only, nobody else's; the anchor is the last
// anchored batch; a missing patient, one without a token and an empty period
// are refused with reasons that do not echo the id.
#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "gateway/auditreport/access_report.h"
#include "gateway/auditreport/report_test_util.h"
#include "gateway/pipeline/tokenize.h"
#include "gateway/store/store_test_util.h"

namespace gw::auditreport {
namespace {

using audit::PatientToken;
using store::testing::TempDir;

constexpr int64_t kFrom = 1'793'520'000'000;  // 2026-11-01T08:00:00Z
constexpr int64_t kDay = 86'400'000;

store::RecordWrite patient(std::string id, std::string json) {
  store::RecordWrite r;
  r.resource_type = "Patient";
  r.resource_id = std::move(id);
  r.resource_json = std::move(json);
  return r;
}

class BuildReportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    keys_ = store::testing::test_keys();
    ASSERT_TRUE(keys_);
    store::StoreOptions so;
    so.path = dir_.store_file();
    so.keys = keys_;
    store_ = store::testing::open_or_die(so);
    ASSERT_TRUE(store_);
    store::InboundMessage m = store::testing::make_message("LAB|HOSP", "c1", "MSH|...");
    m.records = {
        patient("p1", R"({"resourceType":"Patient","id":"p1",)"
                      R"("identifier":[{"system":"urn:mrn","value":"MRN-1"}],)"
                      R"("name":[{"family":"Lopez","given":["Maria","Elena"]}],)"
                      R"("birthDate":"1970-02-03"})"),
        patient("p2", R"({"resourceType":"Patient","id":"p2",)"
                      R"("identifier":[{"system":"urn:mrn","value":"MRN-2"}]})"),
        patient("p3", R"({"resourceType":"Patient","id":"p3","name":[{"text":"No Token"}]})"),
    };
    ASSERT_EQ(store_->submit_sync(std::move(m)).kind, store::CommitResult::Kind::kStored);
    p1_ = token_of("p1");
    p2_ = token_of("p2");
    audit::AuditLogOptions lo;
    lo.batch_max_entries = 10;
    lo.batch_max_age_ms = INT64_MAX / 2;  // batches close by size only
    auto log =
        audit::AuditLog::open(dir_.file("audit.db"), audit::AuditKeys::random_for_tests(), lo);
    ASSERT_TRUE(log.ok()) << log.error().message();
    log_ = std::move(log).value();
  }

  PatientToken token_of(const std::string& id) {
    auto rec = store_->read_record("Patient", id);
    EXPECT_TRUE(rec.has_value()) << id;
    if (!rec) return {};
    auto tokens = pipeline::stored_patient_tokens(*keys_, *rec);
    EXPECT_EQ(tokens.size(), 1u) << id;
    return tokens.empty() ? PatientToken{} : tokens.front();
  }

  int64_t append(const PatientToken& who, int64_t time_ms) {
    audit::AuditEntry e;
    e.time_ms = time_ms;
    e.actor = {audit::ActorKind::kClient, "ehr"};
    e.action = audit::Action::kRead;
    e.resource_type = "Observation";
    e.resource_id = "o1";
    e.patient = who;
    e.purpose = "TREAT";
    e.outcome = {audit::OutcomeKind::kSuccess, 200, ""};
    auto seq = log_->append(e);
    EXPECT_TRUE(seq.ok()) << seq.error().message();
    return seq.ok() ? *seq : 0;
  }

  void anchor(int64_t batch_id) {
    const uint8_t sig[] = {1, 2, 3};
    ASSERT_TRUE(log_->set_batch_signature(batch_id, sig, "tpm").ok());
    ASSERT_TRUE(log_->set_batch_anchor(batch_id, "0x" + std::string(64, 'a'), kFrom + kDay).ok());
  }

  Result<std::string> build(std::string_view id, int64_t from, int64_t to) {
    return build_patient_access_report(*store_, *keys_, *log_, id, from, to,
                                       {"Riverside General Hospital", kFrom + 9 * kDay});
  }

  // The seqs of the table's rows, in the order the text shows them.
  static std::vector<int64_t> row_seqs(const std::string& text) {
    std::vector<int64_t> out;
    size_t at = 0;
    while (at < text.size()) {
      size_t end = text.find('\n', at);
      if (end == std::string::npos) end = text.size();
      const std::string line = text.substr(at, end - at);
      at = end + 1;
      const size_t s = line.find_first_not_of(" \f");
      const size_t z = line.find("Z ");
      if (s == std::string::npos || z == std::string::npos || line.find("client ehr") == line.npos)
        continue;
      out.push_back(std::atoll(line.c_str() + s));
    }
    return out;
  }

  TempDir dir_;
  std::shared_ptr<const crypto::StoreKeys> keys_;
  std::unique_ptr<store::MessageStore> store_;
  std::unique_ptr<audit::AuditLog> log_;
  PatientToken p1_{}, p2_{};
};

TEST_F(BuildReportTest, ThePatientsEntriesInThePeriodWithTheLastAnchoredBatch) {
  std::vector<int64_t> expected;
  append(p1_, kFrom - 1);  // before the period
  for (int i = 0; i < 30; ++i) {
    const int64_t seq = append(i % 3 == 0 ? p2_ : p1_, kFrom + i * 60'000);
    if (i % 3 != 0) expected.push_back(seq);
  }
  append(p1_, kFrom + 2 * kDay);  // at the period's end: not in it
  anchor(1);
  anchor(2);  // batch 3 (entries 21..30) is closed, not anchored
  auto pdf = build("p1", kFrom, kFrom + 2 * kDay);
  ASSERT_TRUE(pdf.ok()) << pdf.error().message();
  const std::string text = testing::pdf_text(*pdf, dir_.file("p1.pdf"));
  EXPECT_EQ(row_seqs(text), expected);
  EXPECT_NE(text.find("Patient: Maria Elena Lopez, born 1970-02-03"), std::string::npos) << text;
  EXPECT_NE(text.find("Riverside General Hospital"), std::string::npos);
  EXPECT_NE(text.find("20 entries."), std::string::npos);
  EXPECT_NE(text.find("Last anchored batch: 2, entries 11 to 20"), std::string::npos);
  EXPECT_NE(text.find("ended at entry 32"), std::string::npos);
  // After batch 2 (entries 11..20): p1's 21, 22, 24, 25, 27, 28, 30, 31.
  EXPECT_NE(text.find("8 rows above come after"), std::string::npos);
  EXPECT_EQ(text.find("MRN-1"), std::string::npos);
}

// More entries than one page of the log's query (1000): every page is read.
TEST_F(BuildReportTest, EveryPageOfTheLogIsRead) {
  constexpr int kThreads = 8, kEach = 132;  // 1056 entries, appended in group commits
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) append(p1_, kFrom + (t * kEach + i) * 1000);
    });
  for (std::thread& t : threads) t.join();
  append(p2_, kFrom);
  auto pdf = build("p1", kFrom, kFrom + kDay);
  ASSERT_TRUE(pdf.ok()) << pdf.error().message();
  const std::string path = dir_.file("many.pdf");
  const std::vector<int64_t> seqs = row_seqs(testing::pdf_text(*pdf, path));
  ASSERT_EQ(seqs.size(), size_t{kThreads * kEach});
  for (size_t i = 0; i < seqs.size(); ++i) ASSERT_EQ(seqs[i], static_cast<int64_t>(i + 1));
  EXPECT_GT(testing::pdf_pages(path), 20);
}

TEST_F(BuildReportTest, AMissingPatientOneWithoutATokenAndAnEmptyPeriodAreRefused) {
  auto missing = build("patient-secret-id", kFrom, kFrom + kDay);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.error().message().find("Patient/pat..."), std::string::npos);
  EXPECT_EQ(missing.error().message().find("secret"), std::string::npos);

  auto no_token = build("p3", kFrom, kFrom + kDay);
  ASSERT_FALSE(no_token.ok());
  EXPECT_EQ(no_token.error().code(), StatusCode::kFailedPrecondition);

  EXPECT_EQ(build("p1", kFrom, kFrom).error().code(), StatusCode::kInvalidArgument);

  // A patient with no entries in the period gets a report that says so.
  auto empty = build("p2", kFrom, kFrom + kDay);
  ASSERT_TRUE(empty.ok()) << empty.error().message();
  const std::string text = testing::pdf_text(*empty, dir_.file("p2.pdf"));
  EXPECT_NE(text.find("No access recorded in this period."), std::string::npos);
  EXPECT_NE(text.find("Patient: (no name on record)"), std::string::npos);
}

TEST(AccessReportEntryTest, TheReportsOwnAuditEntryIsAValidExport) {
  PatientToken token{};
  token.fill(7);
  audit::AuditEntry e =
      access_report_audit_entry({audit::ActorKind::kOperator, ""}, std::string(100, 'p'), token,
                                audit::OutcomeKind::kSuccess, 0, "", kFrom);
  EXPECT_TRUE(audit::validate(e).ok()) << audit::validate(e).message();
  EXPECT_EQ(e.action, audit::Action::kExport);
  EXPECT_EQ(e.resource_type, "Patient");
  EXPECT_EQ(e.resource_id, std::string(64, 'p'));
  EXPECT_EQ(e.patient, token);
  EXPECT_EQ(e.detail, "access-report");
  e = access_report_audit_entry({audit::ActorKind::kClient, "portal"}, "bad\nid", std::nullopt,
                                audit::OutcomeKind::kFailed, 404, "not-found", kFrom);
  EXPECT_TRUE(audit::validate(e).ok()) << audit::validate(e).message();
  EXPECT_EQ(e.resource_id, "bad?id");
  EXPECT_EQ(short_patient_id("abcdef"), "abc...");
  EXPECT_EQ(short_patient_id("ab"), "ab");
}

}  // namespace
}  // namespace gw::auditreport
