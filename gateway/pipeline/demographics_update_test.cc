// Later v2 messages keep what they do not mention, end to end: messages go
// in over MLLP (real server and client on loopback) through the real
// pipeline into a real SQLite store. An ORU whose PID has only identifiers
// and name leaves the address, phone and marital status an ADT gave, and its
// visit-number-only PV1 leaves the stored location, class and period; an
// A08 with PID-11 = "" deletes the address. Labels a REST client put on a
// record survive a v2 message rewriting it.
#include <gtest/gtest.h>

#include <filesystem>

#include "adapters/hl7/ack.h"
#include "adapters/mllp/client.h"
#include "adapters/mllp/server.h"
#include "fhir/json/canonical.h"
#include "fhir/json/json.h"
#include "gateway/pipeline/mllp_ingest.h"

namespace gw::pipeline {
namespace {

using namespace std::chrono_literals;
using fhir::JsonValue;

std::string msh(const std::string& type, const std::string& control) {
  return "MSH|^~\\&|EPICADT|GOODHEALTH|GW|REGIONAL|20240315103005-0500||" + type + "|" + control +
         "|P|2.5.1\r";
}
const char kAdmitPid[] =
    "PID|1||100001^^^GOODHEALTH^MR||EVERYWOMAN^EVE||19800214|F||2106-3^White^CDCREC|"
    "12 ELM ST^^SPRINGFIELD^IL^62701||^PRN^PH^^^217^5551234|||M\r";
const char kAdmitPv1[] =
    "PV1|1|I|4EAST^412^B^GOODHEALTH||||1234567890^ATTEND^ALICE^^^DR^MD^^^^^^NPI||||||||||||"
    "V-1^^^GOODHEALTH^VN|||||||||||||||||||||||||20240315101500-0500\r";
const char kResults[] =
    "PID|1||100001^^^GOODHEALTH^MR||EVERYWOMAN^EVE\r"
    "PV1|1||||||||||||||||||V-1^^^GOODHEALTH^VN\r"
    "OBR|1|PL-1^EHR|FL-1^CITYLAB|2345-7^Glucose^LN|||20240316113000-0500||||||||||||||"
    "20240316115500-0500|||F\r"
    "OBX|1|NM|2345-7^Glucose^LN||95|mg/dL^mg/dL^UCUM|70-99|N|||F\r";

class DemographicsUpdateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("gw-demog-" + std::to_string(::getpid()) + "-" +
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
  // Sends and expects AA (the records are committed before the ACK is sent).
  void accepted(const std::string& msg) {
    ASSERT_TRUE(client_->send(msg).ok());
    auto reply = client_->receive(10s);
    ASSERT_TRUE(reply.ok()) << reply.status().message();
    auto ack = hl7::read_ack(*reply);
    ASSERT_TRUE(ack.ok()) << ack.status().message();
    ASSERT_EQ(ack->code, "AA") << *reply;
  }
  // The latest version of the one `type` record with identifier `value`.
  store::StoredRecord latest_row(const std::string& type, const std::string& value) {
    auto found = store_->find_records(type, std::nullopt, value, 2);
    EXPECT_EQ(found.size(), 1u) << type;
    return found.size() == 1 ? found[0] : store::StoredRecord{};
  }
  JsonValue latest(const std::string& type, const std::string& value) {
    auto parsed = fhir::parse_json(latest_row(type, value).resource_json);
    EXPECT_TRUE(parsed.ok());
    return parsed.ok() ? std::move(parsed).value() : JsonValue();
  }
  static std::string text_at(const JsonValue& v, std::initializer_list<std::string_view> path) {
    const JsonValue* at = &v;
    for (std::string_view p : path) {
      if (!p.empty() && p[0] >= '0' && p[0] <= '9') {
        size_t i = static_cast<size_t>(std::stoul(std::string(p)));
        if (!at->is_array() || i >= at->items().size()) return "<missing>";
        at = &at->items()[i];
      } else {
        at = at->find(p);
        if (at == nullptr) return "<missing>";
      }
    }
    return at->text();
  }

  std::filesystem::path dir_;
  std::unique_ptr<store::MessageStore> store_;
  std::unique_ptr<MllpIngest> ingest_;
  std::unique_ptr<mllp::Server> server_;
  std::unique_ptr<mllp::Client> client_;
};

TEST_F(DemographicsUpdateTest, LaterMessagesKeepWhatTheyDoNotMention) {
  accepted(msh("ADT^A01^ADT_A01", "A-1") + "EVN|A01|20240315103000-0500\r" + kAdmitPid + kAdmitPv1);
  JsonValue patient = latest("Patient", "100001");
  ASSERT_EQ(text_at(patient, {"address", "0", "line", "0"}), "12 ELM ST");
  ASSERT_EQ(text_at(patient, {"telecom", "0", "value"}), "217 5551234");
  ASSERT_EQ(text_at(patient, {"maritalStatus", "coding", "0", "code"}), "M");
  const std::string race = text_at(patient, {"extension", "0", "url"});
  ASSERT_EQ(race, "http://hl7.org/fhir/us/core/StructureDefinition/us-core-race");
  JsonValue encounter = latest("Encounter", "V-1");
  const std::string location = text_at(encounter, {"location", "0", "location", "reference"});
  ASSERT_NE(location, "<missing>");
  ASSERT_EQ(text_at(encounter, {"class", "code"}), "IMP");
  const std::string start = text_at(encounter, {"period", "start"});
  ASSERT_NE(start, "<missing>");

  // Results: PID with identifiers and name only, PV1 with the visit number only.
  accepted(msh("ORU^R01^ORU_R01", "L-1") + kResults);
  patient = latest("Patient", "100001");
  EXPECT_EQ(text_at(patient, {"name", "0", "family"}), "EVERYWOMAN");
  EXPECT_EQ(text_at(patient, {"address", "0", "line", "0"}), "12 ELM ST");
  EXPECT_EQ(text_at(patient, {"telecom", "0", "value"}), "217 5551234");
  EXPECT_EQ(text_at(patient, {"maritalStatus", "coding", "0", "code"}), "M");
  EXPECT_EQ(text_at(patient, {"birthDate"}), "1980-02-14");
  EXPECT_EQ(text_at(patient, {"gender"}), "female");
  EXPECT_EQ(text_at(patient, {"extension", "0", "url"}), race);
  encounter = latest("Encounter", "V-1");
  EXPECT_EQ(text_at(encounter, {"location", "0", "location", "reference"}), location);
  EXPECT_EQ(text_at(encounter, {"class", "code"}), "IMP");
  EXPECT_EQ(text_at(encounter, {"period", "start"}), start);
  EXPECT_NE(text_at(encounter, {"participant", "0", "individual", "reference"}), "<missing>");

  // Update with PID-11 = "": the address is deleted, the phone stays.
  accepted(msh("ADT^A08^ADT_A01", "A-2") + "EVN|A08|20240317090000-0500\r" +
           "PID|1||100001^^^GOODHEALTH^MR||EVERYWOMAN^EVE||||||\"\"\r");
  patient = latest("Patient", "100001");
  EXPECT_EQ(patient.find("address"), nullptr);
  EXPECT_EQ(text_at(patient, {"telecom", "0", "value"}), "217 5551234");
}

TEST_F(DemographicsUpdateTest, RestLabelsSurviveAV2Rewrite) {
  accepted(msh("ADT^A01^ADT_A01", "A-1") + "EVN|A01|20240315103000-0500\r" + kAdmitPid);
  store::StoredRecord row = latest_row("Patient", "100001");
  // A REST client marks the record very restricted (a whole write).
  auto parsed = fhir::parse_json(row.resource_json);
  ASSERT_TRUE(parsed.ok());
  JsonValue labeled = std::move(parsed).value();
  JsonValue meta = JsonValue::make_object();
  JsonValue coding = JsonValue::make_object();
  coding.add("system",
             JsonValue::make_string("http://terminology.hl7.org/CodeSystem/v3-Confidentiality"));
  coding.add("code", JsonValue::make_string("V"));
  meta.add("security", JsonValue::make_array()).push(std::move(coding));
  labeled.add("meta", std::move(meta));
  store::RecordWrite w;
  w.resource_type = "Patient";
  w.resource_id = row.resource_id;
  w.resource_json = fhir::canonicalize(labeled).value();
  for (const JsonValue& id : labeled.find("identifier")->items())
    w.identifiers.emplace_back(text_at(id, {"system"}), text_at(id, {"value"}));
  store::InboundMessage rest;
  rest.channel = "fhir-rest";
  rest.records.push_back(std::move(w));
  ASSERT_EQ(store_->submit_sync(std::move(rest)).kind, store::CommitResult::Kind::kStored);

  // A later v2 message changes the phone: the label stays, with the change.
  accepted(msh("ADT^A08^ADT_A01", "A-2") + "EVN|A08|20240317090000-0500\r" +
           "PID|1||100001^^^GOODHEALTH^MR||EVERYWOMAN^EVE||||||||^PRN^PH^^^217^5559999\r");
  JsonValue patient = latest("Patient", "100001");
  EXPECT_EQ(text_at(patient, {"telecom", "0", "value"}), "217 5559999");
  EXPECT_EQ(text_at(patient, {"meta", "security", "0", "code"}), "V");
  EXPECT_EQ(text_at(patient, {"address", "0", "line", "0"}), "12 ELM ST");
}

}  // namespace
}  // namespace gw::pipeline
