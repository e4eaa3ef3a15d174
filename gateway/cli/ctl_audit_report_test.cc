// gatewayctl audit report against a real store and audit log of a configured
// gateway (software key store, development only): the PDF is written 0600
// with the patient's rows, the report itself is audited as an export by the
// operator, and a missing patient exits 1 naming only a short form of the id,
// audited as refused, with no file written.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "gateway/audit/audit_keys.h"
#include "gateway/audit/audit_log.h"
#include "gateway/auditreport/report_test_util.h"
#include "gateway/cli/ctl_test_util.h"
#include "gateway/cli/gatewayctl.h"
#include "gateway/config/config.h"
#include "gateway/keys/key_options.h"
#include "gateway/pipeline/tokenize.h"
#include "gateway/store/store_test_util.h"

namespace gw::cli {
namespace {

constexpr int64_t kNov1 = 1'793'491'200'000;  // 2026-11-01T00:00:00Z

using testing::CtlRun;
using testing::run;

class CtlAuditReportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_ = dir_.file("gatewayd.toml");
    {
      std::ofstream f(config_);
      f << "[gateway]\nstate_dir = \"" << dir_.file("state")
        << "\"\n[keys]\nstore = \"software\"\nconsortium_id = \"test\"\n"
        << "[channel.adt]\nlisten = \"127.0.0.1:0\"\n";
    }
    const CtlRun provisioned = run({"tpm", "provision", "--config", config_});
    ASSERT_EQ(provisioned.status, 0) << provisioned.err;
    const std::string key_file = dir_.file("consortium.key");
    std::ofstream(key_file) << std::string(64, '5') << "\n";
    const CtlRun imported = run({"tpm", "import-consortium-key", "--config", config_, key_file});
    ASSERT_EQ(imported.status, 0) << imported.err;
    auto cfg = config::load_config(config_);
    ASSERT_TRUE(cfg.ok()) << cfg.error().message();
    auto loaded = keys::load_keys(*cfg);
    ASSERT_TRUE(loaded.ok()) << loaded.error().message();

    store::StoreOptions so;
    so.path = cfg->message_store_path();
    so.keys = loaded->store_keys;
    auto store = store::MessageStore::open(so);
    ASSERT_TRUE(store.ok()) << store.error().message();
    store::InboundMessage m = store::testing::make_message("LAB|HOSP", "c1", "MSH|...");
    store::RecordWrite p;
    p.resource_type = "Patient";
    p.resource_id = "p1";
    p.resource_json = R"({"resourceType":"Patient","id":"p1",)"
                      R"("identifier":[{"system":"urn:mrn","value":"MRN-1"}],)"
                      R"("name":[{"text":"Maria Lopez"}],"birthDate":"1970-02-03"})";
    m.records = {p};
    ASSERT_EQ((*store)->submit_sync(std::move(m)).kind, store::CommitResult::Kind::kStored);
    auto rec = (*store)->read_record("Patient", "p1");
    ASSERT_TRUE(rec.has_value());
    auto tokens = pipeline::stored_patient_tokens(*loaded->store_keys, *rec);
    ASSERT_EQ(tokens.size(), 1u);
    token_ = tokens.front();

    auto audit_keys =
        audit::AuditKeys::create(loaded->working.record_key, loaded->working.record_key_id);
    ASSERT_TRUE(audit_keys.ok()) << audit_keys.error().message();
    audit_keys_ = *audit_keys;
    audit_path_ = cfg->audit_path();
    auto log = open_log();
    ASSERT_TRUE(log);
    for (int i = 0; i < 3; ++i) {
      audit::AuditEntry e;
      e.time_ms = kNov1 + 9 * 3'600'000 + i * 60'000;
      e.actor = {audit::ActorKind::kClient, "lab-interface"};
      e.action = audit::Action::kRead;
      e.resource_type = "Observation";
      e.resource_id = "o" + std::to_string(i);
      e.patient = token_;
      e.purpose = "TREAT";
      e.outcome = {audit::OutcomeKind::kSuccess, 200, ""};
      ASSERT_TRUE(log->append(e).ok());
    }
  }

  std::unique_ptr<audit::AuditLog> open_log() {
    auto log = audit::AuditLog::open(audit_path_, audit_keys_);
    EXPECT_TRUE(log.ok()) << log.error().message();
    return log.ok() ? std::move(log).value() : nullptr;
  }

  // The log's entries written by the operator, oldest first.
  std::vector<audit::AuditEntry> operator_entries() {
    std::vector<audit::AuditEntry> out;
    auto log = open_log();
    if (!log) return out;
    audit::AuditQuery q;
    q.actor = audit::Actor{audit::ActorKind::kOperator, ""};
    auto page = log->query(q);
    EXPECT_TRUE(page.ok());
    if (page.ok())
      for (auto& e : page->entries) out.push_back(e.entry);
    return out;
  }

  store::testing::TempDir dir_;
  std::string config_, audit_path_;
  std::shared_ptr<const audit::AuditKeys> audit_keys_;
  audit::PatientToken token_{};
};

TEST_F(CtlAuditReportTest, WritesThePdfAndAuditsItsMaking) {
  const std::string out = dir_.file("report.pdf");
  const CtlRun r = run({"audit", "report", "--config", config_, "--patient", "Patient/p1", "--from",
                        "2026-11-01", "--to", "2026-11-01", "--out", out, "--organization",
                        "Riverside General Hospital"});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("written to " + out), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("Maria"), std::string::npos);
  struct stat st {};
  ASSERT_EQ(::stat(out.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  std::ifstream f(out, std::ios::binary);
  const std::string pdf((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  const std::string text = auditreport::testing::pdf_text(pdf, dir_.file("copy.pdf"));
  EXPECT_NE(text.find("Patient: Maria Lopez, born 1970-02-03"), std::string::npos) << text;
  EXPECT_NE(text.find("Riverside General Hospital"), std::string::npos);
  EXPECT_NE(text.find("3 entries."), std::string::npos);  // --to 2026-11-01 is that whole day
  size_t rows = 0;
  for (size_t at = text.find("client lab-interface"); at != std::string::npos;
       at = text.find("client lab-interface", at + 1))
    ++rows;
  EXPECT_EQ(rows, 3u);

  const std::vector<audit::AuditEntry> ops = operator_entries();
  ASSERT_EQ(ops.size(), 1u);
  EXPECT_EQ(ops[0].action, audit::Action::kExport);
  EXPECT_EQ(ops[0].resource_type, "Patient");
  EXPECT_EQ(ops[0].resource_id, "p1");
  EXPECT_EQ(ops[0].patient, token_);
  EXPECT_EQ(ops[0].outcome.kind, audit::OutcomeKind::kSuccess);
  EXPECT_EQ(ops[0].detail, "access-report");

  // The next report lists the first one's making.
  const CtlRun again = run({"audit", "report", "--config", config_, "--patient", "p1", "--from",
                            "2026-01-01", "--to", "2100-01-01", "--out", out});
  ASSERT_EQ(again.status, 0) << again.err;
  std::ifstream g(out, std::ios::binary);
  const std::string pdf2((std::istreambuf_iterator<char>(g)), std::istreambuf_iterator<char>());
  const std::string text2 = auditreport::testing::pdf_text(pdf2, dir_.file("copy2.pdf"));
  EXPECT_NE(text2.find("operator (gatewayctl)"), std::string::npos) << text2;
  EXPECT_NE(text2.find("exported records (Patient)"), std::string::npos);
}

TEST_F(CtlAuditReportTest, AMissingPatientIsRefusedAndAuditedWithoutAFile) {
  const std::string out = dir_.file("none.pdf");
  const CtlRun r = run({"audit", "report", "--config", config_, "--patient", "secret-patient-id",
                        "--from", "2026-11-01", "--to", "2026-11-02", "--out", out});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("Patient/sec..."), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("secret-patient-id"), std::string::npos) << r.err;
  EXPECT_EQ(r.out.find("secret"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(out));
  const std::vector<audit::AuditEntry> ops = operator_entries();
  ASSERT_EQ(ops.size(), 1u);
  EXPECT_EQ(ops[0].outcome.kind, audit::OutcomeKind::kRefused);
  EXPECT_EQ(ops[0].outcome.reason, "not-found");
  EXPECT_FALSE(ops[0].patient.has_value());
}

TEST_F(CtlAuditReportTest, UsageErrors) {
  EXPECT_EQ(run({"audit"}).status, 2);
  EXPECT_EQ(run({"audit", "report", "--config", config_, "--patient", "p1"}).status, 2);
  EXPECT_EQ(run({"audit", "report", "--config", config_, "--patient", "p1", "--from", "yesterday",
                 "--to", "2026-11-02", "--out", "x.pdf"})
                .status,
            2);
  EXPECT_EQ(run({"audit", "report", "--config", config_, "--patient", "p1", "--from", "2026-11-02",
                 "--to", "2026-11-01", "--out", "x.pdf"})
                .status,
            1);
  EXPECT_TRUE(operator_entries().empty());
}

}  // namespace
}  // namespace gw::cli
