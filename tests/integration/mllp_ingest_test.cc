// test-needs: integration swtpm
// End to end over real loopback sockets: the gatewayd binary, real MLLP
// clients, and the SQLite file it writes, opened independently here.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <atomic>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include "adapters/hl7/ack.h"
#include "adapters/hl7/er7.h"
#include "adapters/mllp/client.h"
#include "adapters/mllp/fd_limit.h"
#include "gateway/config/config.h"
#include "gateway/crypto/store_keys.h"
#include "gateway/keys/key_options.h"
#include "tests/integration/corpus_util.h"

namespace gw::testing {
namespace {

using namespace std::chrono_literals;

// The store keys of a test gateway, loaded from its TPM as gatewayd does.
std::shared_ptr<const crypto::StoreKeys> store_keys_of(const std::string& config_path) {
  std::string error;
  auto cfg = config::load_config(config_path);
  EXPECT_TRUE(cfg) << cfg.status().message();
  if (!cfg) return nullptr;
  auto keys = gw::keys::load_keys(*cfg);
  EXPECT_TRUE(keys.ok()) << keys.status().message();
  return keys.ok() ? keys->store_keys : nullptr;
}

// Reads (sender, control id) -> (count, raw) of rows straight from SQLite,
// decrypting the stored envelopes with the gateway's keys.
struct Row {
  int count = 0;
  std::string raw;
  std::string status;
};
std::map<std::pair<std::string, std::string>, Row> read_rows(const std::string& db_path,
                                                             const std::string& config_path,
                                                             const char* status = "accepted") {
  std::map<std::pair<std::string, std::string>, Row> rows;
  auto keys = store_keys_of(config_path);
  if (!keys) return rows;
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db,
                               "SELECT sender, control_id, raw, status, received_at_ms FROM "
                               "messages WHERE status = ?",
                               -1, &st, nullptr),
            SQLITE_OK);
  sqlite3_bind_text(st, 1, status, -1, SQLITE_STATIC);
  while (sqlite3_step(st) == SQLITE_ROW) {
    auto col = [&](int i) {
      const void* p = sqlite3_column_blob(st, i);
      return std::string(p ? static_cast<const char*>(p) : "", sqlite3_column_bytes(st, i));
    };
    Row& r = rows[{col(0), col(1)}];
    ++r.count;
    auto raw = keys->open(col(2), crypto::message_associated_data("raw", col(0), col(1),
                                                                  sqlite3_column_int64(st, 4)));
    EXPECT_TRUE(raw.ok()) << raw.status().message();
    r.raw = raw.ok() ? raw.value() : std::string();
    r.status = col(3);
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  return rows;
}

std::string describe(const hl7::AckSummary& a) {
  std::string s = a.code;
  for (const auto& e : a.errors)
    s += " [" + e.code + " " + e.where.to_string() + " " + e.user_message + "]";
  return s;
}

class MllpIngestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // ThousandConcurrentConnections opens 1,000 connections from 127.0.0.1,
    // over the default max_connections_per_address (64).
    gw_ = std::make_unique<GatewaydProcess>(dir_.path(), "max_connections_per_address = 1000\n");
    if (gw::Status started = gw_->start(); !started.ok()) FAIL() << started.message();
  }
  std::unique_ptr<mllp::Client> connect() {
    auto c = mllp::Client::connect("127.0.0.1", gw_->port(), 5s);
    EXPECT_TRUE(c.ok()) << c.status().message();
    return c.ok() ? std::move(c).value() : nullptr;
  }
  // Sends and returns the parsed acknowledgement (fails the test on error).
  std::optional<hl7::AckSummary> roundtrip(mllp::Client& c, const std::string& msg,
                                           std::string* raw_ack = nullptr) {
    gw::Status sent = c.send(msg);
    EXPECT_TRUE(sent.ok()) << sent.message();
    auto reply = c.receive(10s);
    EXPECT_TRUE(reply.ok()) << reply.status().message();
    if (!reply.ok()) return std::nullopt;
    if (raw_ack) *raw_ack = *reply;
    auto ack = hl7::read_ack(*reply);
    EXPECT_TRUE(ack.ok()) << ack.status().message();
    if (!ack.ok()) return std::nullopt;
    return std::move(ack).value();
  }

  TempDir dir_;
  std::unique_ptr<GatewaydProcess> gw_;
};

TEST_F(MllpIngestTest, ConcurrentClientsEveryMessageAcknowledgedAndStoredOnce) {
  auto corpus = load_corpus();
  ASSERT_GE(corpus.size(), 10u);
  constexpr int kClients = 8;
  std::atomic<int> positive{0};
  std::vector<std::thread> threads;
  std::vector<std::vector<std::string>> sent(kClients);
  for (int t = 0; t < kClients; ++t) {
    threads.emplace_back([&, t] {
      auto c = connect();
      if (!c) return;
      for (size_t i = 0; i < corpus.size(); ++i) {
        std::string id = "T" + std::to_string(t) + "-" + std::to_string(i);
        std::string msg = with_control_id(original_mode(corpus[i].text), id);
        auto ack = roundtrip(*c, msg);
        if (!ack) return;
        const std::string expected = expected_ack(corpus[i].text);
        EXPECT_EQ(ack->code, expected) << corpus[i].file << " " << describe(*ack);
        EXPECT_EQ(ack->control_id, id);
        if (expected == "AE" && !ack->errors.empty()) {
          EXPECT_EQ(ack->errors[0].code, "200") << corpus[i].file;  // unsupported type
        }
        if (ack->code == expected) ++positive;
        sent[t].push_back(msg);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(positive.load(), static_cast<int>(kClients * corpus.size()));

  // Unmappable types are kept in the error queue, the rest accepted.
  auto rows = read_rows(gw_->db_path(), gw_->config_path());
  rows.merge(read_rows(gw_->db_path(), gw_->config_path(), "rejected"));
  EXPECT_EQ(rows.size(), kClients * corpus.size());
  for (const auto& msgs : sent)
    for (const auto& m : msgs) {
      std::string sender = msh_field(m, 3) + "|" + msh_field(m, 4);
      auto it = rows.find({sender, msh_field(m, 10)});
      ASSERT_NE(it, rows.end()) << "missing " << msh_field(m, 10);
      EXPECT_EQ(it->second.count, 1);
      EXPECT_EQ(it->second.raw, m) << "stored bytes differ from the bytes sent";
    }
}

std::string with_ack_types(const std::string& msg, const std::string& accept,
                           const std::string& app) {
  return with_msh_field(with_msh_field(msg, 15, accept), 16, app);
}

TEST_F(MllpIngestTest, EnhancedModeFollowsMsh15) {
  auto corpus = load_corpus();
  auto c = connect();
  std::string base = original_mode(corpus[0].text);
  auto ack = roundtrip(*c, with_ack_types(with_control_id(base, "ENH-1"), "AL", "NE"));
  ASSERT_TRUE(ack);
  EXPECT_EQ(ack->code, "CA");
  EXPECT_EQ(ack->control_id, "ENH-1");
  // NE and ER-on-success send nothing: the next frame on the wire must be ENH-4's.
  ASSERT_TRUE(c->send(with_ack_types(with_control_id(base, "ENH-2"), "NE", "NE")).ok());
  ASSERT_TRUE(c->send(with_ack_types(with_control_id(base, "ENH-3"), "ER", "NE")).ok());
  ack = roundtrip(*c, with_ack_types(with_control_id(base, "ENH-4"), "SU", "NE"));
  ASSERT_TRUE(ack);
  EXPECT_EQ(ack->code, "CA");
  EXPECT_EQ(ack->control_id, "ENH-4");
  // ER on a refused message does answer: CR for an unsupported processing id.
  std::string refused = with_msh_field(with_control_id(base, "ENH-5"), 11, "X");
  ack = roundtrip(*c, with_ack_types(refused, "ER", "NE"));
  ASSERT_TRUE(ack);
  EXPECT_EQ(ack->code, "CR");
  EXPECT_EQ(ack->control_id, "ENH-5");
  ASSERT_FALSE(ack->errors.empty());
  EXPECT_EQ(ack->errors[0].code, "202");

  auto rows = read_rows(gw_->db_path(), gw_->config_path());
  for (const char* id : {"ENH-1", "ENH-2", "ENH-3", "ENH-4"}) {
    bool found = false;
    for (const auto& [k, v] : rows) found |= k.second == id;
    EXPECT_TRUE(found) << id << " was not stored";
  }
}

TEST_F(MllpIngestTest, ResendGetsTheSameAcknowledgementAndIsStoredOnce) {
  auto corpus = load_corpus();
  auto c = connect();
  std::string msg = with_control_id(original_mode(corpus[1].text), "DUP-1");
  std::string first, second;
  ASSERT_TRUE(roundtrip(*c, msg, &first));
  // A resend on a new connection, as a sender does after a timeout.
  auto c2 = connect();
  ASSERT_TRUE(roundtrip(*c2, msg, &second));
  EXPECT_EQ(first, second);
  auto rows = read_rows(gw_->db_path(), gw_->config_path());
  std::string sender = msh_field(msg, 3) + "|" + msh_field(msg, 4);
  ASSERT_EQ((rows.count({sender, "DUP-1"})), 1u);
  EXPECT_EQ((rows[{sender, "DUP-1"}].count), 1);
}

TEST_F(MllpIngestTest, MalformedMessagesGetNegativeAcksWithErrAndAreKeptAsRejected) {
  auto malformed = load_malformed();
  ASSERT_FALSE(malformed.empty());
  auto c = connect();
  for (const auto& m : malformed) {
    auto ack = roundtrip(*c, m);
    ASSERT_TRUE(ack);
    EXPECT_TRUE(ack->code == "AE" || ack->code == "AR") << ack->code;
    EXPECT_FALSE(ack->errors.empty()) << "every AE/AR explains itself with an ERR segment";
  }
  // The connection is still usable afterwards.
  auto corpus = load_corpus();
  auto ack = roundtrip(*c, with_control_id(original_mode(corpus[0].text), "AFTER-BAD"));
  ASSERT_TRUE(ack);
  EXPECT_EQ(ack->code, "AA");
  EXPECT_EQ(read_rows(gw_->db_path(), gw_->config_path(), "rejected").size() > 0, true);
}

TEST_F(MllpIngestTest, GarbageAndOversizedFramesAreAnsweredWithoutLosingTheConnection) {
  auto c = connect();
  // Bytes outside any frame are skipped.
  ASSERT_TRUE(c->send_raw("GET / HTTP/1.1\r\n\r\n").ok());
  auto corpus = load_corpus();
  std::string big = with_control_id(original_mode(corpus[0].text), "BIG-1");
  big += "NTE|1||" + std::string(2 << 20, 'x') + "\r";  // over the default 1 MiB limit
  auto ack = roundtrip(*c, big);
  ASSERT_TRUE(ack);
  EXPECT_EQ(ack->code, "AR");
  EXPECT_EQ(ack->control_id, "BIG-1");
  ack = roundtrip(*c, with_control_id(original_mode(corpus[0].text), "AFTER-BIG"));
  ASSERT_TRUE(ack);
  EXPECT_EQ(ack->code, "AA");
}

TEST_F(MllpIngestTest, NoPatientDataInTheLogs) {
  auto corpus = load_corpus();
  auto c = connect();
  std::set<std::string> phi;
  for (size_t i = 0; i < corpus.size(); ++i) {
    const std::string& text = corpus[i].text;
    hl7::ParseResult r = hl7::parse(text);
    if (r.ok()) {
      for (const char* path : {"PID-5.1", "PID-5.2", "PID-3.1", "PID-7", "PID-11.1", "NK1-2.1"}) {
        std::string v = r.message->get(path);
        if (v.size() >= 4) phi.insert(v);
      }
    }
    roundtrip(*c, with_control_id(original_mode(text), "PHI-" + std::to_string(i)));
  }
  for (const auto& m : load_malformed()) roundtrip(*c, m);
  ASSERT_GE(phi.size(), 5u) << "the corpus should carry patient data to look for";
  EXPECT_EQ(gw_->terminate(), 0);
  std::string log = gw_->output();
  for (const auto& v : phi) EXPECT_EQ(log.find(v), std::string::npos) << "PHI in log: " << v;
}

TEST_F(MllpIngestTest, SigtermExitsCleanlyAfterAcknowledging) {
  auto corpus = load_corpus();
  auto c = connect();
  for (int i = 0; i < 20; ++i) {
    auto ack =
        roundtrip(*c, with_control_id(original_mode(corpus[0].text), "TERM-" + std::to_string(i)));
    ASSERT_TRUE(ack);
  }
  EXPECT_EQ(gw_->terminate(), 0);
  EXPECT_NE(gw_->output().find("event=stopped"), std::string::npos);
  EXPECT_EQ(read_rows(gw_->db_path(), gw_->config_path()).size(), 20u);
}

TEST_F(MllpIngestTest, ThousandConcurrentConnections) {
  if (gw::Status fds = mllp::raise_fd_limit(2300); !fds.ok()) {
    GTEST_SKIP() << "fd limit too low here: " << fds.message();
  }
  auto corpus = load_corpus();
  std::vector<std::unique_ptr<mllp::Client>> clients;
  for (int i = 0; i < 1000; ++i) {
    auto cl = connect();
    ASSERT_TRUE(cl) << "connection " << i;
    clients.push_back(std::move(cl));
  }
  // Every connection is open at once; each sends, then all receive.
  for (size_t i = 0; i < clients.size(); ++i) {
    gw::Status sent = clients[i]->send(
        with_control_id(original_mode(corpus[i % corpus.size()].text), "K-" + std::to_string(i)));
    ASSERT_TRUE(sent.ok()) << sent.message();
  }
  for (size_t i = 0; i < clients.size(); ++i) {
    auto reply = clients[i]->receive(30s);
    ASSERT_TRUE(reply.ok()) << "connection " << i << ": " << reply.status().message();
    auto ack = hl7::read_ack(*reply);
    ASSERT_TRUE(ack.ok());
    EXPECT_EQ(ack->code, expected_ack(corpus[i % corpus.size()].text));
    EXPECT_EQ(ack->control_id, "K-" + std::to_string(i));
  }
  auto rows = read_rows(gw_->db_path(), gw_->config_path());
  rows.merge(read_rows(gw_->db_path(), gw_->config_path(), "rejected"));
  EXPECT_EQ(rows.size(), 1000u);
}

TEST_F(MllpIngestTest, GatewayctlSendReportsCountsAndNakDetails) {
  std::string out;
  int rc = run_command(
      {gatewayctl_path(), "send", "--to", "127.0.0.1:" + std::to_string(gw_->port()), corpus_dir()},
      &out);
  EXPECT_EQ(rc, 1) << out;  // the corpus includes malformed messages
  EXPECT_NE(out.find("sent "), std::string::npos) << out;
  EXPECT_NE(out.find("AA "), std::string::npos) << out;
  EXPECT_NE(out.find("ERR "), std::string::npos) << out;
  // Only the well-formed top-level files of mappable types: everything
  // accepted, exit 0.
  std::vector<std::string> argv = {gatewayctl_path(), "send", "--to",
                                   "127.0.0.1:" + std::to_string(gw_->port())};
  for (const auto& e : std::filesystem::directory_iterator(corpus_dir())) {
    if (e.path().extension() != ".hl7") continue;
    bool all_mappable = true;
    for (const auto& m : gw::cli::split_messages(read_file(e.path().string())))
      all_mappable = all_mappable && (is_mappable(m) || msh_field(m, 9).rfind("ACK", 0) == 0);
    if (all_mappable) argv.push_back(e.path().string());
  }
  out.clear();
  rc = run_command(argv, &out);
  EXPECT_EQ(rc, 0) << out;
  out.clear();
  EXPECT_EQ(run_command({gatewayctl_path(), "send", "--to", "127.0.0.1:1", corpus_dir()}, &out), 2)
      << out;
}

}  // namespace
}  // namespace gw::testing

namespace gw::testing {
namespace {

TEST(GatewaydConfigTest, BadConfigurationStopsStartupNamingLineAndKey) {
  TempDir dir;
  std::string path = dir.path() + "/bad.toml";
  {
    std::ofstream f(path);
    f << "[gateway]\nstate_dir = \"" << dir.path()
      << "/state\"\n\n[channel.adt]\nlisten = \"127.0.0.1:0\"\nidle_timeout = 30\n";
  }
  std::string out;
  EXPECT_EQ(run_command({gatewayd_path(), "--config", path}, &out), 1);
  EXPECT_NE(out.find(path + ":6: unknown key 'channel.adt.idle_timeout'"), std::string::npos)
      << out;
  EXPECT_FALSE(std::filesystem::exists(dir.path() + "/state"))
      << "nothing may start on a bad configuration";
  out.clear();
  EXPECT_EQ(run_command({gatewayd_path(), "--config", path, "--check"}, &out), 1) << out;
  out.clear();
  EXPECT_EQ(run_command({gatewayd_path(), "--config", "/nonexistent.toml"}, &out), 1);
  EXPECT_NE(out.find("/nonexistent.toml: cannot open"), std::string::npos) << out;
}

TEST(MultiChannelTest, EachChannelListensWithItsOwnSettingsAndTagsWhatItStores) {
  TempDir dir;
  // [channel.test] accepts only production messages; [channel.lab] also test ones.
  GatewaydProcess gw(dir.path(),
                     "processing_ids = [\"P\"]\n\n[channel.lab]\nlisten = \"127.0.0.1:0\"\n"
                     "processing_ids = [\"P\", \"T\"]\n");
  if (gw::Status started = gw.start(); !started.ok()) FAIL() << started.message();
  auto ports = gw.channel_ports();
  ASSERT_EQ(ports.size(), 2u) << gw.output();
  auto corpus = load_corpus();
  std::string msg = with_msh_field(original_mode(corpus[0].text), 11, "T");
  auto send = [&](uint16_t port, const std::string& id) {
    auto c = mllp::Client::connect("127.0.0.1", port, 5s);
    EXPECT_TRUE(c.ok()) << c.status().message();
    if (!c.ok()) return std::string("none");
    EXPECT_TRUE((*c)->send(with_control_id(msg, id)).ok());
    auto reply = (*c)->receive(10s);
    EXPECT_TRUE(reply.ok()) << reply.status().message();
    auto ack = hl7::read_ack(reply.value_or(""));
    return ack.ok() ? ack->code : std::string("none");
  };
  EXPECT_EQ(send(ports["test"], "MC-1"), "AR");  // T refused on this channel
  EXPECT_EQ(send(ports["lab"], "MC-2"), "AA");
  EXPECT_EQ(gw.terminate(), 0);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(gw.db_path().c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db, "SELECT channel, status FROM messages ORDER BY id", -1, &st, nullptr);
  std::vector<std::string> rows;
  while (sqlite3_step(st) == SQLITE_ROW)
    rows.push_back(std::string(reinterpret_cast<const char*>(sqlite3_column_text(st, 0))) + "/" +
                   reinterpret_cast<const char*>(sqlite3_column_text(st, 1)));
  sqlite3_finalize(st);
  sqlite3_close(db);
  EXPECT_EQ(rows, (std::vector<std::string>{"test/rejected", "lab/accepted"}));
}

TEST(GatewaydConfigTest, ExampleConfigurationChecksClean) {
  std::string out;
  std::string example =
      std::filesystem::path(corpus_dir()).parent_path().parent_path().parent_path() / "image" /
      "gatewayd.toml";
  EXPECT_EQ(run_command({gatewayd_path(), "--config", example, "--check"}, &out), 0) << out;
}

}  // namespace
}  // namespace gw::testing
