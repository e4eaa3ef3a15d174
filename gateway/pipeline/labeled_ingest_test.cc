// Sensitivity labels on the v2 path, end to end: messages go in over MLLP
// (real server and client on loopback) through the real pipeline into a real
// SQLite store, and the stored records carry the labels their codes call for
// (gateway/labels), the mapper's output otherwise unchanged.
#include <gtest/gtest.h>

#include <filesystem>

#include "adapters/hl7/ack.h"
#include "adapters/mllp/client.h"
#include "adapters/mllp/server.h"
#include "fhir/json/json.h"
#include "gateway/labels/record_scope.h"
#include "gateway/pipeline/mllp_ingest.h"

namespace gw::pipeline {
namespace {

using namespace std::chrono_literals;
using ledger::consortium::Label;
using ledger::consortium::label_bit;

// An admission with two diagnoses: schizophrenia (F20.0, PSY by default) and
// angina (I20.9, not sensitive).
const char kAdmission[] =
    "MSH|^~\\&|EPICADT|GOODHEALTH|GW|REGIONAL|20240315103005-0500||ADT^A01^ADT_A01|PSY-1|P|2.5.1\r"
    "EVN|A01|20240315103000-0500\r"
    "PID|1||100001^^^GOODHEALTH^MR||EVERYWOMAN^EVE||19800214|F\r"
    "PV1|1|I|4EAST^412^B^GOODHEALTH||||1234567890^ATTEND^ALICE^^^DR^MD^^^^^^NPI||||||||||||"
    "V-1^^^GOODHEALTH^VN|||||||||||||||||||||||||20240315101500-0500\r"
    "DG1|1||F20.0^Paranoid schizophrenia^I10||20240315|A\r"
    "DG1|2||I20.9^Angina pectoris, unspecified^I10||20240315|A\r";

// Results: an HIV screen (LOINC 75622-1, HIV by default) and a glucose.
const char kResults[] =
    "MSH|^~\\&|LABSYS|CITYLAB|GW|REGIONAL|20240706120000-0400||ORU^R01^ORU_R01|LAB-7|P|2.5.1\r"
    "PID|1||100001^^^GOODHEALTH^MR||EVERYWOMAN^EVE||19800214|F\r"
    "OBR|1|PL-1^EHR|FL-1^CITYLAB|24323-8^Comprehensive metabolic panel^LN|||"
    "20240706113000-0400|||||||||||||||20240706115500-0400|||F\r"
    "OBX|1|ST|75622-1^HIV 1 and 2 tests - Meaningful Use set^LN||Negative||||||F\r"
    "OBX|2|NM|2345-7^Glucose^LN||95|mg/dL^mg/dL^UCUM|70-99|N|||F\r";

class LabeledIngestTest : public ::testing::Test {
 protected:
  void start(std::shared_ptr<const labels::LabelRules> rules) {
    dir_ = std::filesystem::temp_directory_path() /
           ("gw-labeled-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    store::StoreOptions so;
    so.path = (dir_ / "messages.db").string();
    so.keys = crypto::StoreKeys::random_for_tests();
    auto opened = store::MessageStore::open(so);
    ASSERT_TRUE(opened.ok()) << opened.status().message();
    store_ = std::move(opened).value();
    IngestOptions io;
    io.channel = "test";
    io.processing_ids = {"P"};
    if (rules) io.labels = std::move(rules);
    ingest_ = std::make_unique<MllpIngest>(io, store_.get());
    mllp::ServerOptions mo;
    mo.port = 0;
    mo.host = "127.0.0.1";
    auto server = mllp::Server::create(mo, ingest_.get());
    ASSERT_TRUE(server.ok()) << server.status().message();
    server_ = std::move(server).value();
    server_->start();
    auto client = mllp::Client::connect("127.0.0.1", server_->port(), 5s);
    ASSERT_TRUE(client.ok()) << client.status().message();
    client_ = std::move(client).value();
  }
  void TearDown() override {
    client_.reset();
    if (server_) server_->stop(1s);
    if (store_) store_->close();
    std::filesystem::remove_all(dir_);
  }
  void accepted(const std::string& msg) {
    ASSERT_TRUE(client_->send(msg).ok());
    auto reply = client_->receive(10s);
    ASSERT_TRUE(reply.ok()) << reply.status().message();
    auto ack = hl7::read_ack(*reply);
    ASSERT_TRUE(ack.ok()) << ack.status().message();
    ASSERT_EQ(ack->code, "AA") << *reply;
  }
  // Label bits of every stored record of `type`, keyed by a code it holds
  // ("F20.0"), or by its type alone when `code` is empty.
  uint64_t labels_of(const std::string& type, const std::string& code = "") {
    store::RecordQuery q;
    uint64_t bits = 0;
    int found = 0;
    for (const store::StoredRecord& r : store_->list_records(q)) {
      if (r.resource_type != type) continue;
      if (!code.empty() && r.resource_json.find("\"code\":\"" + code + "\"") == std::string::npos)
        continue;
      auto parsed = fhir::parse_json(r.resource_json);
      EXPECT_TRUE(parsed.ok());
      if (parsed.ok()) bits |= labels::record_label_bits(*parsed);
      ++found;
    }
    EXPECT_GT(found, 0) << "no stored " << type << " " << code;
    return bits;
  }

  std::filesystem::path dir_;
  std::unique_ptr<store::MessageStore> store_;
  std::unique_ptr<MllpIngest> ingest_;
  std::unique_ptr<mllp::Server> server_;
  std::unique_ptr<mllp::Client> client_;
};

TEST_F(LabeledIngestTest, PsychDiagnosisIsStoredAsAPsyLabeledCondition) {
  start(nullptr);  // the default rules
  accepted(kAdmission);
  EXPECT_EQ(labels_of("Condition", "F20.0"), label_bit(Label::kPsy));
  EXPECT_EQ(labels_of("Condition", "I20.9"), 0u);
  EXPECT_EQ(labels_of("Encounter"), label_bit(Label::kPsy)) << "its diagnosis is labeled";
  EXPECT_EQ(labels_of("Patient"), 0u);
}

TEST_F(LabeledIngestTest, LabeledResultsLabelTheirReport) {
  start(nullptr);
  accepted(kResults);
  EXPECT_EQ(labels_of("Observation", "75622-1"), label_bit(Label::kHiv));
  EXPECT_EQ(labels_of("Observation", "2345-7"), 0u);
  EXPECT_EQ(labels_of("DiagnosticReport"), label_bit(Label::kHiv));
}

TEST_F(LabeledIngestTest, ConfiguredRulesReplaceTheDefaults) {
  auto rules = labels::LabelRules::compile(false, {{Label::kMh, "icd10:I20"}});
  ASSERT_TRUE(rules.ok());
  start(*rules);
  accepted(kAdmission);
  EXPECT_EQ(labels_of("Condition", "F20.0"), 0u) << "defaults = false";
  EXPECT_EQ(labels_of("Condition", "I20.9"), label_bit(Label::kMh));
}

}  // namespace
}  // namespace gw::pipeline
