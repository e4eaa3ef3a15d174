// test-needs: integration swtpm
// Forged senders against the real gatewayd over loopback (issue 18):
//  - a forger who sends a real sender's MSH-3/MSH-4 with its next MSH-10 and
//    other content cannot make the real message vanish: the real message is
//    answered AE 205 and kept in the error queue, never AA with the forger's
//    acknowledgement and dropped;
//  - a genuine resend (byte-identical, or with CR LF segment terminators)
//    still gets the original acknowledgement and is stored once;
//  - with sender rules, a forged A08 from a connection the rules do not allow
//    is answered AR 207 and leaves the patient's demographics unchanged,
//    while the same A08 from the allowed connection is accepted.
// The store is read straight from the SQLite file with the gateway's keys.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "adapters/hl7/ack.h"
#include "adapters/mllp/client.h"
#include "gateway/config/config.h"
#include "gateway/crypto/store_keys.h"
#include "gateway/keys/key_options.h"
#include "tests/support/gatewayd_process.h"
#include "tests/support/test_certs.h"

namespace gw::testing {
namespace {

using namespace std::chrono_literals;

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size()))
    s.replace(p, from.size(), to);
  return s;
}

// Fictitious patients; their names must never reach the log.
std::string adt(const std::string& event, const std::string& control_id, const std::string& family,
                const std::string& sender = "EHR|GENHOSP") {
  return "MSH|^~\\&|" + sender + "|GATEWAY|GWFAC|20260101120000||ADT^" + event + "^ADT_A01|" +
         control_id + "|P|2.5.1\r" + "EVN|" + event + "|20260101120000\r" +
         "PID|1||FS445566^^^GENHOSP^MR||" + family + "^QUILLA||19750505|F\r" +
         "PV1|1|I|3000^3012^01\r";
}

// One stored message row, read back with the gateway's keys.
struct Row {
  int64_t id = 0;
  std::string status, error, raw;
  int64_t conflict_of = 0, duplicates_seen = 0;
};

class ForgedSenderTest : public ::testing::Test {
 protected:
  void start(const std::string& channel_settings = "") {
    gw_ = std::make_unique<GatewaydProcess>(dir_.path(), channel_settings);
    if (gw::Status started = gw_->start(); !started.ok()) FAIL() << started.message();
  }
  std::unique_ptr<mllp::Client> connect(const mllp::ClientTlsOptions* tls = nullptr) {
    auto c = tls ? mllp::Client::connect("127.0.0.1", gw_->port(), 5s, *tls)
                 : mllp::Client::connect("127.0.0.1", gw_->port(), 5s);
    EXPECT_TRUE(c.ok()) << c.status().message();
    return c.ok() ? std::move(c).value() : nullptr;
  }
  // Sends `msg`, returns the raw acknowledgement ("" on failure).
  std::string send(mllp::Client& c, const std::string& msg) {
    gw::Status sent = c.send(msg);
    EXPECT_TRUE(sent.ok()) << sent.message();
    auto reply = c.receive(10s);
    EXPECT_TRUE(reply.ok()) << reply.status().message();
    return reply.ok() ? *reply : std::string();
  }
  hl7::AckSummary ack_of(const std::string& raw) {
    auto a = hl7::read_ack(raw);
    EXPECT_TRUE(a.ok()) << a.status().message();
    return a.ok() ? *a : hl7::AckSummary{};
  }
  std::shared_ptr<const crypto::StoreKeys> keys() {
    if (keys_) return keys_;
    auto cfg = config::load_config(gw_->config_path());
    EXPECT_TRUE(cfg.ok()) << cfg.status().message();
    if (!cfg.ok()) return nullptr;
    auto k = gw::keys::load_keys(*cfg);
    EXPECT_TRUE(k.ok()) << k.status().message();
    if (k.ok()) keys_ = k->store_keys;
    return keys_;
  }
  // Rows with this control id, in id order.
  std::vector<Row> rows(const std::string& control_id) {
    std::vector<Row> out;
    auto k = keys();
    if (!k) return out;
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open_v2(gw_->db_path().c_str(), &db, SQLITE_OPEN_READONLY, nullptr),
              SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db,
                                 "SELECT id, status, error, raw, sender, received_at_ms, "
                                 "coalesce(conflict_of, 0), duplicates_seen FROM messages "
                                 "WHERE control_id = ?1 ORDER BY id",
                                 -1, &st, nullptr),
              SQLITE_OK);
    sqlite3_bind_text(st, 1, control_id.c_str(), -1, SQLITE_TRANSIENT);
    while (sqlite3_step(st) == SQLITE_ROW) {
      auto col = [&](int i) {
        const void* p = sqlite3_column_blob(st, i);
        return std::string(p ? static_cast<const char*>(p) : "", sqlite3_column_bytes(st, i));
      };
      Row r;
      r.id = sqlite3_column_int64(st, 0);
      r.status = col(1);
      r.error = col(2);
      auto raw = k->open(col(3), crypto::message_associated_data("raw", col(4), control_id,
                                                                 sqlite3_column_int64(st, 5)));
      EXPECT_TRUE(raw.ok()) << raw.status().message();
      r.raw = raw.ok() ? *raw : "";
      r.conflict_of = sqlite3_column_int64(st, 6);
      r.duplicates_seen = sqlite3_column_int64(st, 7);
      out.push_back(std::move(r));
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return out;
  }
  // The latest stored version of every Patient (decrypted JSON), and how
  // many versions there are in all.
  std::vector<std::string> latest_patients(int64_t* versions) {
    std::vector<std::string> out;
    auto k = keys();
    if (!k) return out;
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open_v2(gw_->db_path().c_str(), &db, SQLITE_OPEN_READONLY, nullptr),
              SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db,
                                 "SELECT r.resource_id, r.version, r.resource FROM record_heads h "
                                 "JOIN records r ON r.seq = h.seq WHERE h.resource_type = "
                                 "'Patient'",
                                 -1, &st, nullptr),
              SQLITE_OK);
    while (sqlite3_step(st) == SQLITE_ROW) {
      const std::string id(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)));
      const void* p = sqlite3_column_blob(st, 2);
      std::string blob(p ? static_cast<const char*>(p) : "", sqlite3_column_bytes(st, 2));
      auto plain =
          k->open(blob, crypto::record_associated_data("Patient", id, sqlite3_column_int64(st, 1)));
      EXPECT_TRUE(plain.ok()) << plain.status().message();
      out.push_back(plain.ok() ? *plain : "");
    }
    sqlite3_finalize(st);
    EXPECT_EQ(sqlite3_prepare_v2(db, "SELECT count(*) FROM records WHERE resource_type = 'Patient'",
                                 -1, &st, nullptr),
              SQLITE_OK);
    *versions = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_finalize(st);
    sqlite3_close(db);
    return out;
  }

  TempDir dir_, pki_dir_;
  std::unique_ptr<GatewaydProcess> gw_;
  std::shared_ptr<const crypto::StoreKeys> keys_;
};

// (a) No sender rules: the forger gets there first with the real sender's
// next control id. The real message is a duplicate conflict: AE 205, in the
// error queue, never AA with the forger's acknowledgement.
TEST_F(ForgedSenderTest, RealMessageAfterAForgedControlIdIsAConflictNotDropped) {
  start();
  auto forger = connect();
  auto ehr = connect();
  ASSERT_TRUE(forger && ehr);
  const std::string forged = adt("A08", "EHR000042", "FORGEDNAME");
  const std::string real = adt("A08", "EHR000042", "REALNAME");
  const std::string forged_ack = send(*forger, forged);
  EXPECT_EQ(ack_of(forged_ack).code, "AA");

  const std::string real_ack = send(*ehr, real);
  EXPECT_NE(real_ack, forged_ack) << "the real message got the forger's acknowledgement";
  const hl7::AckSummary a = ack_of(real_ack);
  EXPECT_EQ(a.code, "AE");
  EXPECT_EQ(a.control_id, "EHR000042");
  ASSERT_EQ(a.errors.size(), 1u);
  EXPECT_EQ(a.errors[0].code, "205");
  // The real sender resends (as engines do on AE after a fix, or blindly):
  // the same answer, and the message is still in the error queue once.
  EXPECT_EQ(send(*ehr, real), real_ack);

  const std::vector<Row> stored = rows("EHR000042");
  ASSERT_EQ(stored.size(), 2u);
  EXPECT_EQ(stored[0].status, "accepted");
  EXPECT_EQ(stored[0].raw, forged);
  EXPECT_EQ(stored[1].status, "rejected");
  EXPECT_EQ(stored[1].raw, real);  // the real message is kept, not dropped
  EXPECT_EQ(stored[1].conflict_of, stored[0].id);
  EXPECT_EQ(stored[1].duplicates_seen, 1);
  EXPECT_NE(stored[1].error.find("(205)"), std::string::npos) << stored[1].error;

  ASSERT_EQ(gw_->terminate(), 0);
  const std::string log = gw_->output();
  EXPECT_NE(log.find("event=message.duplicate_conflict"), std::string::npos) << log;
  EXPECT_NE(log.find("original_id=" + std::to_string(stored[0].id)), std::string::npos) << log;
  EXPECT_EQ(log.find("REALNAME"), std::string::npos) << log;
  EXPECT_EQ(log.find("FORGEDNAME"), std::string::npos) << log;
  EXPECT_EQ(log.find("FS445566"), std::string::npos) << log;
}

// (c) A genuine resend gets the original acknowledgement, byte for byte, and
// is stored once: byte-identical, and from an engine that ends segments with
// CR LF.
TEST_F(ForgedSenderTest, GenuineResendGetsTheOriginalAckAndIsStoredOnce) {
  start();
  auto ehr = connect();
  ASSERT_TRUE(ehr);
  const std::string msg = adt("A01", "EHR000100", "RESENDNAME");
  const std::string first = send(*ehr, msg);
  EXPECT_EQ(ack_of(first).code, "AA");
  EXPECT_EQ(send(*ehr, msg), first);
  auto other_engine = connect();
  ASSERT_TRUE(other_engine);
  EXPECT_EQ(send(*other_engine, replace_all(msg, "\r", "\r\n")), first);
  const std::vector<Row> stored = rows("EHR000100");
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0].status, "accepted");
  EXPECT_EQ(stored[0].duplicates_seen, 2);
}

// (b) Sender rules: EHR may send only over TLS with the EHR's certificate; a
// LAB rule allows LAB only from an address this test does not have. Another
// certificate of the same CA (a compromised or misused interface host) sends
// a forged A08 as EHR: AR 207, nothing written; the demographics stay.
TEST_F(ForgedSenderTest, SenderRulesRefuseAForgedA08FromTheWrongConnection) {
  std::filesystem::create_directories(pki_dir_.path() + "/pki");
  auto made = make_test_pki_for_clients(pki_dir_.path() + "/pki", {"ehr-interface", "intruder"},
                                        "expired-interface");
  ASSERT_TRUE(made.ok()) << made.error().message();
  const TestPki& pki = made->pki;
  start("tls = true\ntls_cert_file = \"" + pki.server_cert + "\"\ntls_key_file = \"" +
        pki.server_key + "\"\ntls_client_ca_file = \"" + pki.ca_cert +
        "\"\n"
        "[channel.test.sender.ehr]\n"
        "applications = [\"EHR\"]\n"
        "facilities = [\"GENHOSP\"]\n"
        "cert_subjects = [\"CN=ehr-interface,O=gateway tests\"]\n"
        "[channel.test.sender.lab]\n"
        "applications = [\"LAB\"]\n"
        "addresses = [\"10.99.0.0/16\"]\n");
  mllp::ClientTlsOptions ehr_tls{pki.ca_cert, made->clients.at("ehr-interface").cert,
                                 made->clients.at("ehr-interface").key, ""};
  mllp::ClientTlsOptions intruder_tls{pki.ca_cert, made->clients.at("intruder").cert,
                                      made->clients.at("intruder").key, ""};
  auto ehr = connect(&ehr_tls);
  auto intruder = connect(&intruder_tls);
  ASSERT_TRUE(ehr && intruder);

  EXPECT_EQ(ack_of(send(*ehr, adt("A01", "EHR000200", "ORIGINALNAME"))).code, "AA");
  int64_t versions = 0;
  std::vector<std::string> patients = latest_patients(&versions);
  ASSERT_EQ(patients.size(), 1u);
  EXPECT_NE(patients[0].find("ORIGINALNAME"), std::string::npos);
  const int64_t versions_before = versions;

  // The forged A08 from the intruder's connection: refused, nothing written.
  const std::string forged = adt("A08", "EHR000201", "FORGEDNAME");
  const hl7::AckSummary refused = ack_of(send(*intruder, forged));
  EXPECT_EQ(refused.code, "AR");
  EXPECT_EQ(refused.control_id, "EHR000201");
  ASSERT_EQ(refused.errors.size(), 1u);
  EXPECT_EQ(refused.errors[0].code, "207");
  EXPECT_NE(refused.errors[0].user_message.find("sender not allowed"), std::string::npos);
  // LAB from loopback: its rule names another network.
  EXPECT_EQ(ack_of(send(*intruder, adt("A08", "LAB000001", "FORGEDNAME", "LAB|GENHOSP"))).code,
            "AR");
  EXPECT_EQ(ack_of(send(*ehr, adt("A08", "LAB000002", "FORGEDNAME", "LAB|GENHOSP"))).code, "AR");
  patients = latest_patients(&versions);
  ASSERT_EQ(patients.size(), 1u);
  EXPECT_EQ(versions, versions_before);
  EXPECT_NE(patients[0].find("ORIGINALNAME"), std::string::npos);
  EXPECT_EQ(patients[0].find("FORGEDNAME"), std::string::npos);
  std::vector<Row> stored = rows("EHR000201");
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0].status, "rejected");
  EXPECT_EQ(stored[0].raw, forged);

  // The refusal took no control id: the same A08 from the EHR's connection
  // is accepted and changes the demographics.
  const std::string update = adt("A08", "EHR000201", "UPDATEDNAME");
  EXPECT_EQ(ack_of(send(*ehr, update)).code, "AA");
  patients = latest_patients(&versions);
  ASSERT_EQ(patients.size(), 1u);
  EXPECT_EQ(versions, versions_before + 1);
  EXPECT_NE(patients[0].find("UPDATEDNAME"), std::string::npos);
  stored = rows("EHR000201");
  ASSERT_EQ(stored.size(), 2u);
  EXPECT_EQ(stored[1].status, "accepted");

  ASSERT_EQ(gw_->terminate(), 0);
  const std::string log = gw_->output();
  EXPECT_NE(log.find("event=message.sender_refused"), std::string::npos) << log;
  EXPECT_EQ(log.find("event=mllp.no_sender_rules"), std::string::npos) << log;
  EXPECT_EQ(log.find("FORGEDNAME"), std::string::npos) << log;
  EXPECT_EQ(log.find("FS445566"), std::string::npos) << log;
}

// `gatewayd --check` refuses a rule without a connection criterion, naming
// file, line and key. (The start-up warning for a channel without rules
// beyond loopback is not tested here: test servers bind 127.0.0.1 only.)
TEST_F(ForgedSenderTest, CheckRefusesARuleWithoutAConnection) {
  const std::string path = pki_dir_.path() + "/check.toml";
  std::ofstream(path) << "[channel.adt]\nlisten = \"127.0.0.1:0\"\n"
                      << "[channel.adt.sender.epic]\napplications = [\"EPIC\"]\n";
  std::string out;
  EXPECT_EQ(run_command({gatewayd_path(), "--config", path, "--check"}, &out), 1) << out;
  EXPECT_NE(out.find("check.toml:3: channel.adt.sender.epic: names no connection"),
            std::string::npos)
      << out;
}

}  // namespace
}  // namespace gw::testing
