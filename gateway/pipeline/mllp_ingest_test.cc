// The ingest pipeline's acknowledgement decisions, in process: a real MLLP
// server and client on loopback, a real SQLite store in a temp dir.
#include "gateway/pipeline/mllp_ingest.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "adapters/hl7/ack.h"
#include "adapters/mllp/client.h"
#include "adapters/mllp/server.h"

namespace gw::pipeline {
namespace {

using namespace std::chrono_literals;

const std::string kAdt =
    "MSH|^~\\&|EHR|HOSP^1.2.3^ISO|GW|GWFAC|20260101120000||ADT^A01^ADT_A01|CTRL1|P|2.5.1\r"
    "PID|1||100001^^^HOSP^MR||EVERYWOMAN^EVE||19800101|F\r";

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size()))
    s.replace(p, from.size(), to);
  return s;
}

class IngestTest : public ::testing::Test {
 protected:
  void start(uint64_t max_database_bytes = 0, bool store_unmapped_types = false,
             std::shared_ptr<const SenderRules> senders = nullptr) {
    dir_ = std::filesystem::temp_directory_path() /
           ("gw-ingest-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    store::StoreOptions so;
    so.path = (dir_ / "messages.db").string();
    so.keys = crypto::StoreKeys::random_for_tests();
    so.max_database_bytes = max_database_bytes;
    auto opened = store::MessageStore::open(so);
    ASSERT_TRUE(opened.ok()) << opened.status().message();
    store_ = std::move(opened).value();
    IngestOptions io;
    io.channel = "test";
    io.processing_ids = {"P", "T"};
    io.max_frame_bytes = 64 * 1024;
    io.store_unmapped_types = store_unmapped_types;
    if (senders) io.senders = std::move(senders);
    // As gatewayd runs it: mapping on worker threads, stored in arrival order.
    io.workers = std::make_shared<WorkPool>(2, size_t{16} << 20);
    ingest_ = std::make_unique<MllpIngest>(io, store_.get());
    std::string error;
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
  std::string send(const std::string& msg) {
    gw::Status sent = client_->send(msg);
    EXPECT_TRUE(sent.ok()) << sent.message();
    auto reply = client_->receive(10s);
    EXPECT_TRUE(reply.ok()) << reply.status().message();
    return reply.value_or("");
  }
  hl7::AckSummary ack_of(const std::string& msg) {
    std::string raw = send(msg);
    auto ack = hl7::read_ack(raw);
    EXPECT_TRUE(ack.ok()) << ack.status().message();
    return ack.value_or(hl7::AckSummary{});
  }

  std::filesystem::path dir_;
  std::unique_ptr<store::MessageStore> store_;
  std::unique_ptr<MllpIngest> ingest_;
  std::unique_ptr<mllp::Server> server_;
  std::unique_ptr<mllp::Client> client_;
};

TEST_F(IngestTest, AcceptedMessageGetsAaWithSwappedHeaderAfterCommit) {
  start();
  std::string raw = send(kAdt);
  auto parsed = hl7::parse(raw);
  ASSERT_TRUE(parsed.ok());
  const auto& m = *parsed.message;
  EXPECT_EQ(m.raw("MSH-3"), "GW");
  EXPECT_EQ(m.raw("MSH-4"), "GWFAC");
  EXPECT_EQ(m.raw("MSH-5"), "EHR");
  EXPECT_EQ(m.raw("MSH-6"), "HOSP^1.2.3^ISO");
  EXPECT_EQ(m.get("MSH-9.1"), "ACK");
  EXPECT_EQ(m.get("MSH-9.2"), "A01");
  EXPECT_EQ(m.get("MSH-11"), "P");
  EXPECT_EQ(m.get("MSH-12"), "2.5.1");
  EXPECT_EQ(m.get("MSA-1"), "AA");
  EXPECT_EQ(m.get("MSA-2"), "CTRL1");
  EXPECT_FALSE(m.get("MSH-10").empty());
  EXPECT_LE(m.get("MSH-10").size(), 20u);
  EXPECT_EQ(m.count("ERR"), 0);
  // The callback that sent AA ran after the commit: the row is readable now.
  EXPECT_EQ(store_->count(store::MessageStatus::kAccepted), 1);
  EXPECT_EQ(ingest_->stats().accepted, 1u);
}

// Some engines write a UTF-8 byte-order mark at the start of every frame:
// the message is accepted and mapped as if it were not there.
TEST_F(IngestTest, ByteOrderMarkAtFrameStartIsSkipped) {
  start();
  const std::string raw = send("\xEF\xBB\xBF" + kAdt);
  auto parsed_ack = hl7::parse(raw);  // views into raw
  ASSERT_TRUE(parsed_ack.ok());
  EXPECT_EQ(parsed_ack.message->get("MSA-1"), "AA");
  EXPECT_EQ(parsed_ack.message->get("MSA-2"), "CTRL1");
  EXPECT_EQ(parsed_ack.message->raw("MSH-5"), "EHR");
  EXPECT_EQ(store_->count(store::MessageStatus::kAccepted), 1);
  EXPECT_EQ(ingest_->stats().mapping_failures, 0u);
}

// MSH-12 is required, yet some senders leave it empty: the message is read
// as v2.5.1 (kAssumedVersion) rather than refused, and the ACK says so.
TEST_F(IngestTest, EmptyVersionIdIsReadAsTheAssumedVersion) {
  start();
  std::string msg = kAdt;
  const size_t version = msg.find("|2.5.1\r");
  ASSERT_NE(version, std::string::npos);
  msg.erase(version + 1, 5);
  const std::string raw = send(msg);
  auto parsed_ack = hl7::parse(raw);
  ASSERT_TRUE(parsed_ack.ok());
  EXPECT_EQ(parsed_ack.message->get("MSA-1"), "AA");
  EXPECT_EQ(parsed_ack.message->get("MSH-12"), "2.5.1");
  EXPECT_EQ(store_->count(store::MessageStatus::kAccepted), 1);
  EXPECT_EQ(ingest_->stats().mapping_failures, 0u);
  EXPECT_GT(store_->count_records(), 0);
}

// An MFN^M02 staff master file update (no FHIR mapping here): AE with code
// 200 in the error queue by default; with unmapped_types = "store", AA and
// stored as received without records, while supported types on the same
// channel are still mapped.
const std::string kMfn =
    "MSH|^~\\&|EHR|HOSP|GW|GWFAC|20260101120000||MFN^M02^MFN_M02|MFN1|P|2.5.1\r"
    "MFI|PRA^Practitioner master file^HL70175||UPD|||AL\r"
    "MFE|MAD|||1234^SMITH^JOHN\r"
    "STF|1234|1234^^^HOSP|SMITH^JOHN\r";

TEST_F(IngestTest, UnsupportedTypeIsAnErrorByDefault) {
  start();
  auto ack = ack_of(kMfn);
  EXPECT_EQ(ack.code, "AE");
  EXPECT_EQ(store_->count(store::MessageStatus::kRejected), 1);
  EXPECT_EQ(ingest_->stats().mapping_failures, 1u);
  EXPECT_EQ(ingest_->stats().stored_unmapped, 0u);
}

TEST_F(IngestTest, UnsupportedTypeIsStoredWithoutRecordsWhenTheChannelSaysSo) {
  start(0, /*store_unmapped_types=*/true);
  auto ack = ack_of(kMfn);
  EXPECT_EQ(ack.code, "AA");
  EXPECT_EQ(store_->count(store::MessageStatus::kAccepted), 1);
  EXPECT_EQ(store_->count_records(), 0);
  EXPECT_EQ(ingest_->stats().stored_unmapped, 1u);
  EXPECT_EQ(ingest_->stats().accepted, 1u);
  // A supported type on the same channel is still normalized.
  EXPECT_EQ(ack_of(kAdt).code, "AA");
  EXPECT_GT(store_->count_records(), 0);
  EXPECT_EQ(ingest_->stats().stored_unmapped, 1u);
  // A supported type that cannot be mapped is still an error.
  const std::string no_pid = replace_all(kAdt, "CTRL1", "CTRL2").substr(0, kAdt.find("PID"));
  EXPECT_EQ(ack_of(no_pid).code, "AE");
}

TEST_F(IngestTest, UnsupportedVersionAndProcessingIdAreRejected) {
  start();
  auto a = ack_of(replace_all(kAdt, "|2.5.1\r", "|3.0\r"));
  EXPECT_EQ(a.code, "AR");
  ASSERT_EQ(a.errors.size(), 1u);
  EXPECT_EQ(a.errors[0].code, "203");
  a = ack_of(replace_all(kAdt, "|CTRL1|P|", "|CTRL2|D|"));  // D not allowed on this channel
  EXPECT_EQ(a.code, "AR");
  ASSERT_EQ(a.errors.size(), 1u);
  EXPECT_EQ(a.errors[0].code, "202");
  EXPECT_EQ(a.errors[0].where.segment_id, "MSH");
  EXPECT_EQ(a.errors[0].where.field, 11);
  EXPECT_EQ(store_->count(store::MessageStatus::kAccepted), 0);
  EXPECT_EQ(store_->count(store::MessageStatus::kRejected), 2);
}

// An undecodable escape is kept as literal text: the message is accepted and
// stored, and the ACK says where with an ERR of severity W (no content).
TEST_F(IngestTest, UndecodableEscapeIsAcceptedWithAWarningErr) {
  start();
  std::string raw = send(replace_all(kAdt, "EVERYWOMAN", "EVERYW\\XZZ\\MAN"));
  auto a = hl7::read_ack(raw);
  ASSERT_TRUE(a.ok()) << a.status().message();
  EXPECT_EQ(a->code, "AA");
  ASSERT_EQ(a->errors.size(), 1u) << raw;
  EXPECT_EQ(a->errors[0].code, "102");
  EXPECT_EQ(a->errors[0].severity, "W");
  EXPECT_EQ(a->errors[0].where.segment_id, "PID");
  EXPECT_EQ(a->errors[0].where.field, 5);
  EXPECT_EQ(raw.find("EVERYW"), std::string::npos) << "the ACK must not echo patient data";
  EXPECT_EQ(store_->count(store::MessageStatus::kAccepted), 1);
}

// A control character is a data type error: AE, kept in the error queue.
TEST_F(IngestTest, ControlCharacterIsAe102AndNotMapped) {
  start();
  std::string raw = send(replace_all(kAdt, "EVERYWOMAN", std::string("EVERYW\0MAN", 11)));
  auto a = hl7::read_ack(raw);
  ASSERT_TRUE(a.ok()) << a.status().message();
  EXPECT_EQ(a->code, "AE");
  ASSERT_EQ(a->errors.size(), 1u) << raw;
  EXPECT_EQ(a->errors[0].code, "102");
  EXPECT_EQ(a->errors[0].where.field, 5);
  EXPECT_EQ(raw.find("EVERYW"), std::string::npos);
  EXPECT_EQ(store_->count(store::MessageStatus::kAccepted), 0);
  EXPECT_EQ(store_->count(store::MessageStatus::kRejected), 1);
  EXPECT_EQ(store_->count_records(), 0);
}

TEST_F(IngestTest, ContentErrorIsAeWithLocationAndNoContentInTheError) {
  start();
  // ASCII declared, Latin-1 byte in the family name.
  std::string bad = replace_all(kAdt, "|2.5.1\r", "|2.5.1||||||ASCII\r");
  bad = replace_all(bad, "EVERYWOMAN", "EVERYW\xD6MAN");
  auto a = ack_of(bad);
  EXPECT_EQ(a.code, "AE");
  ASSERT_FALSE(a.errors.empty());
  EXPECT_EQ(a.errors[0].code, "102");
  EXPECT_EQ(a.errors[0].where.segment_id, "PID");
  EXPECT_EQ(a.errors[0].where.field, 5);
  std::string raw = send(replace_all(bad, "CTRL1", "CTRL1B"));
  EXPECT_EQ(raw.find("EVERYW"), std::string::npos) << "the NAK must not echo patient data";
  auto rows = store_->list(0, 10);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].status, store::MessageStatus::kRejected);
  EXPECT_EQ(rows[0].error.find("EVERYW"), std::string::npos);
  EXPECT_NE(rows[0].error.find("PID"), std::string::npos);
}

TEST_F(IngestTest, EnhancedModeErrorIsCe) {
  start();
  std::string bad = replace_all(kAdt, "|2.5.1\r", "|2.5.1|||ER|NE||ASCII\r");
  bad = replace_all(bad, "EVERYWOMAN", "EVERYW\xD6MAN");
  auto a = ack_of(bad);
  EXPECT_EQ(a.code, "CE");
}

TEST_F(IngestTest, NoMshIsRejectedAndKeptInTheErrorQueue) {
  start();
  auto a = ack_of("PID|1||100001^^^HOSP^MR||EVERYWOMAN^EVE\r");
  EXPECT_EQ(a.code, "AR");
  EXPECT_TRUE(a.control_id.empty());
  ASSERT_FALSE(a.errors.empty());
  EXPECT_EQ(store_->count(store::MessageStatus::kRejected), 1);
}

TEST_F(IngestTest, GenuineResendGetsTheOriginalAckAndIsStoredOnce) {
  start();
  const std::string first = send(kAdt);
  EXPECT_EQ(send(kAdt), first);
  // Another engine's segment terminators: the same message.
  EXPECT_EQ(send(replace_all(kAdt, "\r", "\r\n")), first);
  EXPECT_EQ(store_->count(std::nullopt), 1);
  EXPECT_EQ(ingest_->stats().duplicates, 2u);
  EXPECT_EQ(ingest_->stats().duplicate_conflicts, 0u);
}

// Same sender and MSH-10 as an accepted message, other content: AE 205 and
// kept in the error queue, never the original's AA (a forger who guessed
// the next control id must not make the real message vanish).
TEST_F(IngestTest, DuplicateWithDifferentContentIsAConflictAnsweredAe205) {
  start();
  const std::string first = send(kAdt);
  const std::string other = replace_all(kAdt, "19800101", "19800102");
  auto a = ack_of(other);
  EXPECT_EQ(a.code, "AE");
  EXPECT_EQ(a.control_id, "CTRL1");
  ASSERT_EQ(a.errors.size(), 1u);
  EXPECT_EQ(a.errors[0].code, "205");
  EXPECT_EQ(a.errors[0].where.segment_id, "MSH");
  EXPECT_EQ(a.errors[0].where.field, 10);
  // Resent: the same conflict, the same acknowledgement, not stored again.
  const std::string conflict_ack = send(other);
  EXPECT_EQ(send(other), conflict_ack);
  EXPECT_NE(conflict_ack, first);
  EXPECT_EQ(store_->count(store::MessageStatus::kAccepted), 1);
  EXPECT_EQ(store_->count(store::MessageStatus::kRejected), 1);
  const auto rows = store_->list(0, 10);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1].conflict_of, rows[0].id);
  EXPECT_NE(rows[1].error.find("205"), std::string::npos) << rows[1].error;
  EXPECT_EQ(store_->raw_message(rows[1].id), other);
  EXPECT_EQ(ingest_->stats().duplicate_conflicts, 3u);
  EXPECT_EQ(ingest_->stats().duplicates, 0u);
}

TEST_F(IngestTest, EnhancedModeDuplicateConflictIsCe) {
  start();
  const std::string enhanced = replace_all(kAdt, "|2.5.1\r", "|2.5.1|||AL|NE\r");
  EXPECT_EQ(ack_of(enhanced).code, "CA");
  auto a = ack_of(replace_all(enhanced, "EVE", "EVA"));
  EXPECT_EQ(a.code, "CE");
  ASSERT_EQ(a.errors.size(), 1u);
  EXPECT_EQ(a.errors[0].code, "205");
}

// Rules for this test's loopback client: EHR^HOSP may send from 127.0.0.1;
// LAB only from an address the client does not have.
std::shared_ptr<const SenderRules> loopback_rules() {
  config::SenderRuleConfig ehr;
  ehr.name = "ehr";
  ehr.applications = {"EHR"};
  ehr.facilities = {"HOSP"};
  ehr.addresses.emplace_back();
  EXPECT_EQ(config::parse_cidr("127.0.0.1", &ehr.addresses.back()), "");
  config::SenderRuleConfig lab;
  lab.name = "lab";
  lab.applications = {"LAB"};
  lab.addresses.emplace_back();
  EXPECT_EQ(config::parse_cidr("10.99.0.0/16", &lab.addresses.back()), "");
  return std::make_shared<const SenderRules>(std::vector<config::SenderRuleConfig>{ehr, lab});
}

TEST_F(IngestTest, SenderNotAllowedOnTheConnectionIsRejectedAr207AndWritesNothing) {
  start(0, false, loopback_rules());
  // A forger on this connection sends as LAB, with an invalid birth date too:
  // only the refusal is reported.
  const std::string forged =
      replace_all(replace_all(kAdt, "|EHR|HOSP^1.2.3^ISO|", "|LAB|HOSP|"), "19800101", "1980XX");
  auto a = ack_of(forged);
  EXPECT_EQ(a.code, "AR");
  EXPECT_EQ(a.control_id, "CTRL1");
  ASSERT_EQ(a.errors.size(), 1u);
  EXPECT_EQ(a.errors[0].code, "207");
  EXPECT_EQ(a.errors[0].where.field, 3);
  EXPECT_NE(a.errors[0].user_message.find("sender not allowed"), std::string::npos);
  EXPECT_EQ(store_->count(store::MessageStatus::kRejected), 1);
  EXPECT_EQ(store_->count_records(), 0);
  EXPECT_EQ(ingest_->stats().sender_refused, 1u);
  EXPECT_EQ(ingest_->stats().rejected, 1u);
  // The forger took no control id: the real sender's message with it is accepted.
  EXPECT_EQ(ack_of(kAdt).code, "AA");
  EXPECT_GT(store_->count_records(), 0);
  // Enhanced mode: CR.
  EXPECT_EQ(
      ack_of(replace_all(replace_all(forged, "CTRL1", "CTRL2"), "|2.5.1\r", "|2.5.1|||AL|NE\r"))
          .code,
      "CR");
}

TEST_F(IngestTest, OversizedFrameIsRejectedAddressedToTheSender) {
  start();
  std::string big = kAdt + "NTE|1||" + std::string(100 * 1024, 'x') + "\r";
  auto a = ack_of(big);
  EXPECT_EQ(a.code, "AR");
  EXPECT_EQ(a.control_id, "CTRL1");
  ASSERT_FALSE(a.errors.empty());
  EXPECT_EQ(a.errors[0].code, "104");
  auto b = ack_of(replace_all(kAdt, "CTRL1", "CTRL9"));
  EXPECT_EQ(b.code, "AA");
}

TEST_F(IngestTest, StoreFailureIsRefusedWith207SoTheSenderRetries) {
  // A database capped at its initial size: the first insert cannot fit.
  start(/*max_database_bytes=*/64 * 1024);
  std::string payload = kAdt + "OBX|1|TX|||" + std::string(30000, 'y') + "\r";
  std::string last;
  hl7::AckSummary a;
  for (int i = 0; i < 8; ++i) {
    a = ack_of(replace_all(payload, "CTRL1", "FULL" + std::to_string(i)));
    if (a.code != "AA") break;
  }
  EXPECT_EQ(a.code, "AR");
  ASSERT_FALSE(a.errors.empty());
  EXPECT_EQ(a.errors[0].code, "207");
  EXPECT_GE(ingest_->stats().store_failures, 1u);
}

TEST_F(IngestTest, AnInboundAckIsStoredButNeverAcknowledged) {
  start();
  const std::string peer_ack =
      "MSH|^~\\&|EHR|HOSP|GW|GWFAC|20260101120000||ACK^A01^ACK|PEERACK1|P|2.5.1\rMSA|AA|X1\r";
  ASSERT_TRUE(client_->send(peer_ack).ok());
  auto a = ack_of(kAdt);  // the next frame on the wire answers the ADT, not the ACK
  EXPECT_EQ(a.control_id, "CTRL1");
  EXPECT_EQ(store_->count(store::MessageStatus::kAccepted), 2);
}

// Frames pipelined on one connection are mapped on two workers at once but
// stored in the order they came: the patient's last update wins, and the
// acknowledgements come back in order.
TEST_F(IngestTest, PipelinedUpdatesAreStoredInArrivalOrderWhateverThreadMapsThem) {
  start();
  constexpr int kMessages = 120;
  for (int i = 0; i < kMessages; ++i) {
    std::string msg = replace_all(kAdt, "|CTRL1|", "|C" + std::to_string(i) + "|");
    if (i > 0) msg = replace_all(msg, "ADT^A01^ADT_A01", "ADT^A08^ADT_A01");
    // Longer and shorter messages alternate so workers finish out of order.
    std::string family = "FAMILY" + std::to_string(i);
    if (i % 3 == 0) family += std::string(2000, 'X');
    msg = replace_all(msg, "EVERYWOMAN", family);
    ASSERT_TRUE(client_->send(msg).ok());
  }
  for (int i = 0; i < kMessages; ++i) {
    auto reply = client_->receive(10s);
    ASSERT_TRUE(reply.ok()) << reply.status().message();
    auto ack = hl7::read_ack(*reply);
    ASSERT_TRUE(ack.ok());
    EXPECT_EQ(ack->code, "AA");
    EXPECT_EQ(ack->control_id, "C" + std::to_string(i));
  }
  auto listed = store_->list(0, kMessages + 1);
  ASSERT_EQ(listed.size(), static_cast<size_t>(kMessages));
  for (int i = 0; i < kMessages; ++i) EXPECT_EQ(listed[i].control_id, "C" + std::to_string(i));
  auto patients = store_->find_records("Patient", std::nullopt, "100001", 2);
  ASSERT_EQ(patients.size(), 1u);
  EXPECT_NE(patients[0].resource_json.find("FAMILY" + std::to_string(kMessages - 1)),
            std::string::npos);
}

TEST(AckControlIdTest, UniqueAndShort) {
  std::set<std::string> seen;
  for (int i = 0; i < 10000; ++i) {
    std::string id = next_ack_control_id();
    EXPECT_LE(id.size(), 20u);
    EXPECT_TRUE(seen.insert(id).second);
  }
  EXPECT_EQ(hl7_now().size(), 19u);
}

}  // namespace
}  // namespace gw::pipeline
