// Events that send part of a resource, end to end: messages go in over MLLP
// (real server and client on loopback) through the real pipeline into a real
// SQLite store, and the records are read back. An MDM notification without
// content keeps the stored document text; an SIU S20 changes the participants
// it names and keeps the others; S23/S24 unite a Schedule's actors.
#include <gtest/gtest.h>

#include <filesystem>

#include "adapters/hl7/ack.h"
#include "adapters/mllp/client.h"
#include "adapters/mllp/server.h"
#include "fhir/json/json.h"
#include "gateway/pipeline/mllp_ingest.h"

namespace gw::pipeline {
namespace {

using namespace std::chrono_literals;
using fhir::JsonValue;

// MDM for `document` (TXA-12) of one patient with TXA-17 `completion` and
// TXA-19 `availability`; `content` is the OBX lines (may be empty).
std::string mdm(const std::string& event, const std::string& control, const std::string& completion,
                const std::string& availability, const std::string& document = "OR-1",
                const std::string& content = "") {
  return "MSH|^~\\&|TRANSCRIBE|SOUTHHOSP|GW|GWFAC|20240402113500-0400||MDM^" + event + "^MDM_T01|" +
         control + "|P|2.5.1\r" + "EVN|" + event +
         "|20240402113500-0400\r"
         "PID|1||700021^^^SOUTHHOSP^MR||SAMPLE^JORDAN||19750412|M\r"
         "TXA|1|OP^Operative report^HL70270|TX|20240402081500-0400||20240402113000-0400||||||" +
         document + "^TRANSCRIBE|||||" + completion + "||" + availability + "\r" + content;
}
const char kText[] = "OBX|1|TX|11504-8^Surgical operation note^LN|1|Operation went well.||||||F\r";
const char kTextBase64[] = "T3BlcmF0aW9uIHdlbnQgd2VsbC4=";  // "Operation went well."

// SIU for appointment FAPT-1 with SCH-25 `filler_status`, `timing` the TQ1
// line, `resources` the RGS and AIx lines (each may be empty).
std::string siu(const std::string& event, const std::string& control,
                const std::string& filler_status, const std::string& timing,
                const std::string& resources) {
  return "MSH|^~\\&|SCHEDULER|EASTCLINIC|GW|GWFAC|20240319160000-0500||SIU^" + event + "^SIU_S12|" +
         control +
         "|P|2.5.1\r"
         "SCH|APT-1^SCHEDULER|FAPT-1^EASTCLINIC|||||||30|MIN|||||||||||||||" +
         filler_status + "\r" + timing +
         "PID|1||100002^^^EASTCLINIC^MR||EVERYMAN^ADAM||19700301|M\r" + resources;
}
const char kTiming[] = "TQ1|1||||||20240325093000-0500|20240325100000-0500\r";
const char kDevice[] = "AIG|1|A|ECG-01^ECG machine 1^L\r";
const char kRoom[] = "AIL|1|A|CARDIO^ROOM3^^EASTCLINIC\r";
const char kNurse[] = "AIP|1|A|6789012345^CARE^NOAH^^^^RN^^^^^^NPI\r";
const char kNurseRemoved[] = "AIP|1|D|6789012345^CARE^NOAH^^^^RN^^^^^^NPI\r";

// S23/S24 for a slot of schedule CARDIO-AM.
std::string slot(const std::string& event, const std::string& control,
                 const std::string& resources) {
  return "MSH|^~\\&|SCHEDULER|EASTCLINIC|GW|GWFAC|20240408070000-0400||SIU^" + event + "^SIU_S12|" +
         control +
         "|P|2.5.1\r"
         "SCH||BLK-" +
         control +
         "^EASTCLINIC|||CARDIO-AM^Cardiology morning clinic\r"
         "TQ1|1|||||60^min&minutes&UCUM|20240417080000-0400|20240417090000-0400\r"
         "RGS|1|A\r" +
         resources;
}

class PartialUpdateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("gw-partial-" + std::to_string(::getpid()) + "-" +
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
    io.max_frame_bytes = 64 * 1024;
    ingest_ = std::make_unique<MllpIngest>(io, store_.get());
    mllp::ServerOptions mo;
    mo.port = 0;
    mo.max_frame_bytes = io.max_frame_bytes;
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
  // Sends and expects AA (the record is committed before the ACK is sent).
  void accepted(const std::string& msg) {
    ASSERT_TRUE(client_->send(msg).ok());
    auto reply = client_->receive(10s);
    ASSERT_TRUE(reply.ok()) << reply.status().message();
    auto ack = hl7::read_ack(*reply);
    ASSERT_TRUE(ack.ok()) << ack.status().message();
    ASSERT_EQ(ack->code, "AA") << *reply;
  }
  // The latest version of the one `type` record with identifier `value`.
  JsonValue latest(const std::string& type, const std::string& value, int64_t* version = nullptr) {
    auto found = store_->find_records(type, std::nullopt, value, 2);
    EXPECT_EQ(found.size(), 1u) << type;
    if (found.size() != 1) return {};
    if (version != nullptr) *version = found[0].version;
    auto parsed = fhir::parse_json(found[0].resource_json);
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
  // The participants' statuses, in order.
  std::vector<std::string> participants(const JsonValue& appointment) {
    std::vector<std::string> out;
    const JsonValue* parts = appointment.find("participant");
    if (parts == nullptr) return out;
    for (const JsonValue& p : parts->items()) out.push_back(text_at(p, {"status"}));
    return out;
  }

  std::filesystem::path dir_;
  std::unique_ptr<store::MessageStore> store_;
  std::unique_ptr<MllpIngest> ingest_;
  std::unique_ptr<mllp::Server> server_;
  std::unique_ptr<mllp::Client> client_;
};

TEST_F(PartialUpdateTest, DocumentNotificationsKeepTheStoredText) {
  accepted(mdm("T02", "C1", "DI", "AV", "OR-1", kText));
  int64_t v1 = 0;
  JsonValue doc = latest("DocumentReference", "OR-1", &v1);
  ASSERT_EQ(text_at(doc, {"content", "0", "attachment", "data"}), kTextBase64);
  EXPECT_EQ(text_at(doc, {"docStatus"}), "preliminary");

  // Status change: authenticated. The text stays, the status applies.
  accepted(mdm("T03", "C2", "AU", "AV"));
  int64_t v2 = 0;
  doc = latest("DocumentReference", "OR-1", &v2);
  EXPECT_EQ(v2, v1 + 1);
  EXPECT_EQ(text_at(doc, {"docStatus"}), "final");
  EXPECT_EQ(text_at(doc, {"content", "0", "attachment", "data"}), kTextBase64);
  EXPECT_EQ(doc.find("content")->items().size(), 1u);
  EXPECT_EQ(doc.find("content")->items()[0].find("attachment")->find("extension"), nullptr);

  // Addendum notification: unavailable for patient care now.
  accepted(mdm("T05", "C3", "AU", "UN"));
  doc = latest("DocumentReference", "OR-1");
  EXPECT_EQ(text_at(doc, {"content", "0", "attachment", "data"}), kTextBase64);

  // Cancel: entered in error, still with its text.
  accepted(mdm("T11", "C4", "AU", "CA"));
  int64_t v4 = 0;
  doc = latest("DocumentReference", "OR-1", &v4);
  EXPECT_EQ(text_at(doc, {"status"}), "entered-in-error");
  EXPECT_EQ(text_at(doc, {"docStatus"}), "entered-in-error");
  EXPECT_EQ(text_at(doc, {"content", "0", "attachment", "data"}), kTextBase64);

  // The same cancel again (another control id): the merged resource is the
  // stored one, so no version is made.
  accepted(mdm("T11", "C5", "AU", "CA"));
  int64_t v5 = 0;
  latest("DocumentReference", "OR-1", &v5);
  EXPECT_EQ(v5, v4);
}

TEST_F(PartialUpdateTest, NoteOnANotificationJoinsTheStoredText) {
  accepted(mdm("T02", "C1", "DI", "AV", "OR-3", kText));
  accepted(mdm("T03", "C2", "AU", "AV", "OR-3", "NTE|1||Signed off.\r"));
  JsonValue doc = latest("DocumentReference", "OR-3");
  EXPECT_EQ(text_at(doc, {"docStatus"}), "final");
  ASSERT_EQ(doc.find("content")->items().size(), 2u);
  EXPECT_EQ(text_at(doc, {"content", "0", "attachment", "data"}), kTextBase64);
  EXPECT_EQ(text_at(doc, {"content", "1", "attachment", "data"}), "U2lnbmVkIG9mZi4=");
}

TEST_F(PartialUpdateTest, NotificationWithNothingStoredKeepsThePlaceholder) {
  accepted(mdm("T01", "C1", "DI", "UN", "OR-2"));
  JsonValue doc = latest("DocumentReference", "OR-2");
  EXPECT_EQ(text_at(doc, {"content", "0", "attachment", "extension", "0", "valueCode"}), "unknown");
  EXPECT_EQ(text_at(doc, {"content", "0", "attachment", "data"}), "<missing>");
  // The content arrives later (T02 is whole): it replaces the placeholder.
  accepted(mdm("T02", "C2", "DI", "UN", "OR-2", kText));
  doc = latest("DocumentReference", "OR-2");
  EXPECT_EQ(text_at(doc, {"content", "0", "attachment", "data"}), kTextBase64);
  EXPECT_EQ(doc.find("content")->items().size(), 1u);
}

TEST_F(PartialUpdateTest, ResourceCancellationDeclinesOneParticipantAndKeepsTheOthers) {
  accepted(
      siu("S12", "C1", "Started", kTiming, std::string("RGS|1|A\r") + kDevice + kRoom + kNurse));
  JsonValue appt = latest("Appointment", "FAPT-1");
  ASSERT_EQ(participants(appt),
            (std::vector<std::string>{"accepted", "accepted", "accepted", "accepted"}));
  EXPECT_EQ(text_at(appt, {"status"}), "checked-in");
  const std::string start = text_at(appt, {"start"});
  const std::string nurse = text_at(appt, {"participant", "3", "actor", "reference"});

  // S20 names the nurse only, without timing or filler status.
  accepted(siu("S20", "C2", "", "", std::string("RGS|1|U\r") + kNurseRemoved));
  appt = latest("Appointment", "FAPT-1");
  // Patient, device, room as stored; the nurse declined, in its place.
  EXPECT_EQ(participants(appt),
            (std::vector<std::string>{"accepted", "accepted", "accepted", "declined"}));
  EXPECT_EQ(text_at(appt, {"participant", "3", "actor", "reference"}), nurse);
  // What S20 only defaults or marks absent is the stored appointment's.
  EXPECT_EQ(text_at(appt, {"status"}), "checked-in");
  EXPECT_EQ(text_at(appt, {"start"}), start);
  EXPECT_EQ(appt.find("_start"), nullptr);
  EXPECT_EQ(appt.find("_end"), nullptr);
}

TEST_F(PartialUpdateTest, SlotEventsUniteTheScheduleActors) {
  accepted(slot("S23", "C1", "AIP|1|A|4567890123^HEART^HANNAH^^^DR^MD^^^^^^NPI\r"));
  JsonValue schedule = latest("Schedule", "CARDIO-AM");
  ASSERT_EQ(schedule.find("actor")->items().size(), 1u);
  const std::string doctor = text_at(schedule, {"actor", "0", "reference"});

  accepted(slot("S24", "C2", "AIL|1|A|CARDIO^ROOM2^^EASTCLINIC\r"));
  schedule = latest("Schedule", "CARDIO-AM");
  ASSERT_EQ(schedule.find("actor")->items().size(), 2u);
  EXPECT_EQ(text_at(schedule, {"actor", "0", "reference"}), doctor);
  EXPECT_NE(text_at(schedule, {"actor", "1", "reference"}), doctor);

  // A slot event naming no resource leaves the actors as they are (no
  // data-absent placeholder among them).
  accepted(slot("S24", "C3", ""));
  schedule = latest("Schedule", "CARDIO-AM");
  ASSERT_EQ(schedule.find("actor")->items().size(), 2u);
  EXPECT_EQ(text_at(schedule, {"actor", "0", "reference"}), doctor);
  EXPECT_NE(text_at(schedule, {"actor", "1", "reference"}), "<missing>");
}

}  // namespace
}  // namespace gw::pipeline
