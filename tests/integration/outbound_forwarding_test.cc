// test-needs: integration swtpm
// Forwarding between two real gatewayd processes: A accepts an HL7 v2 stream
// and forwards it to B, whose destination endpoint (FHIR over HTTPS, or MLLP)
// is killed and restarted in the middle of the stream, and A itself is
// SIGKILLed while items are queued. Afterwards B holds everything A accepted,
// exactly once, and A's ACKs never waited for B.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <map>
#include <set>
#include <tuple>

#include "adapters/hl7/ack.h"
#include "adapters/mllp/client.h"
#include "tests/integration/corpus_util.h"
#include "tests/support/free_port.h"
#include "tests/support/test_certs.h"
#include "tests/support/wait.h"

namespace gw::testing {
namespace {

using namespace std::chrono_literals;

// Rows of a read-only query, each row's columns as text; empty (with a test
// failure) when the file cannot be read.
std::vector<std::vector<std::string>> query(const std::string& db_path, const std::string& sql) {
  std::vector<std::vector<std::string>> rows;
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    ADD_FAILURE() << "cannot open " << db_path;
    sqlite3_close(db);
    return rows;
  }
  sqlite3_busy_timeout(db, 5000);
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) != SQLITE_OK) {
    ADD_FAILURE() << sql << ": " << sqlite3_errmsg(db);
  } else {
    while (sqlite3_step(st) == SQLITE_ROW) {
      std::vector<std::string> row;
      for (int i = 0; i < sqlite3_column_count(st); ++i) {
        const unsigned char* t = sqlite3_column_text(st, i);
        row.emplace_back(t ? reinterpret_cast<const char*>(t) : "");
      }
      rows.push_back(std::move(row));
    }
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  return rows;
}

int64_t query_int(const std::string& db_path, const std::string& sql) {
  auto rows = query(db_path, sql);
  return rows.empty() || rows[0].empty() ? -1 : std::stoll(rows[0][0]);
}

std::string tail(const std::string& log, size_t max = 4000) {
  return log.size() <= max ? log : "..." + log.substr(log.size() - max);
}

// Sends messages to A one at a time; each must be acknowledged AA.
class Sender {
 public:
  explicit Sender(const std::vector<CorpusMessage>& corpus) : corpus_(corpus) {}
  // The i-th message of the stream: a corpus message with its own MSH-10, in
  // production (MSH-11 = P).
  std::string message(int i) const {
    return with_msh_field(
        with_control_id(original_mode(corpus_[static_cast<size_t>(i) % corpus_.size()].text),
                        "FWD-" + std::to_string(i)),
        11, "P");
  }
  // Sends messages [from, to) to `port`; returns "" or what went wrong.
  std::string send(uint16_t port, int from, int to) {
    auto connected = mllp::Client::connect("127.0.0.1", port, 5s);
    if (!connected.ok()) return connected.error().message();
    for (int i = from; i < to; ++i) {
      const std::string msg = message(i);
      if (gw::Status s = (*connected)->send(msg); !s.ok()) return s.message();
      auto reply = (*connected)->receive(10s);
      if (!reply.ok())
        return "no ACK for message " + std::to_string(i) + ": " + reply.error().message();
      auto ack = hl7::read_ack(*reply);
      if (!ack.ok() || ack->code != "AA" || ack->control_id != msh_field(msg, 10))
        return "message " + std::to_string(i) + " was not acknowledged AA";
      sent_.insert(msh_field(msg, 10));
    }
    return "";
  }
  const std::set<std::string>& acknowledged() const { return sent_; }

 private:
  const std::vector<CorpusMessage>& corpus_;
  std::set<std::string> sent_;
};

// Values of the stream's messages that identify patients, to look for in logs.
std::set<std::string> patient_data(const std::vector<CorpusMessage>& corpus) {
  std::set<std::string> phi;
  for (const CorpusMessage& m : corpus) {
    hl7::ParseResult r = hl7::parse(m.text);
    if (!r.message) continue;
    for (const char* path : {"PID-5.1", "PID-5.2", "PID-3.1", "PID-7", "PID-11.1", "NK1-2.1"}) {
      std::string v = r.message->get(path);
      if (v.size() >= 4) phi.insert(v);
    }
  }
  return phi;
}

void expect_no_patient_data(const std::string& log, const std::set<std::string>& phi) {
  ASSERT_GE(phi.size(), 5u) << "the corpus should carry patient data to look for";
  for (const std::string& p : phi) EXPECT_EQ(log.find(p), std::string::npos) << "PHI in log: " << p;
}

std::string outbound_db(const TempDir& dir) { return dir.path() + "/state/outbound.db"; }

// Items A's destinations have delivered, in all.
int64_t items_sent(const TempDir& dir) {
  return query_int(outbound_db(dir), "SELECT coalesce(sum(sent), 0) FROM destinations");
}

// Queued items A has tried to deliver at least once.
int64_t items_attempted(const TempDir& dir) {
  return query_int(outbound_db(dir), "SELECT count(*) FROM items WHERE attempts > 0");
}

// Items still queued (or dead) in A's outbound queue; -1 before it exists.
int64_t open_items(const TempDir& dir, const std::string& destination = "test/fhir") {
  return query_int(outbound_db(dir),
                   "SELECT count(*) FROM items WHERE destination = '" + destination + "'");
}

// Every (type, id) -> latest version of a gateway's records.
// (`channel`: only the versions written by that channel's messages).
std::map<std::pair<std::string, std::string>, int64_t> record_heads(
    const std::string& db, const std::string& channel = "") {
  std::map<std::pair<std::string, std::string>, int64_t> out;
  for (const auto& r : query(db,
                             "SELECT r.resource_type, r.resource_id, max(r.version) FROM records r "
                             "JOIN messages m ON m.id = r.message_id WHERE '" +
                                 channel + "' = '' OR m.channel = '" + channel + "' GROUP BY 1, 2"))
    out[{r[0], r[1]}] = std::stoll(r[2]);
  return out;
}

TEST(OutboundForwardingTest, FhirDestinationKilledAndRestartedMidStreamGetsEveryRecordOnce) {
  auto corpus = load_mappable_corpus();
  ASSERT_FALSE(corpus.empty());
  TempDir dir_a, dir_b;
  auto pki = make_test_pki(dir_b.path(), "gateway-a");
  ASSERT_TRUE(pki.ok()) << pki.error().message();
  const uint16_t b_https = free_loopback_port();
  ASSERT_NE(b_https, 0);

  // B: a plain gatewayd whose FHIR REST endpoint is the destination; it
  // requires client certificates (mutual TLS).
  GatewaydProcess b(dir_b.path(),
                    "\n[https]\nenabled = true\nlisten = \"127.0.0.1:" + std::to_string(b_https) +
                        "\"\ncert_file = \"" + pki->server_cert + "\"\nkey_file = \"" +
                        pki->server_key + "\"\nclient_ca_file = \"" + pki->ca_cert +
                        "\"\n\n[client.gateway-a]\ncert_subject = \"CN=gateway-a,O=gateway "
                        "tests\"\nscopes = [\"system/*.cruds\"]\n");
  // A: forwards its channel to B, with short retry delays so the test is quick.
  GatewaydProcess a(
      dir_a.path(),
      "forward_fhir = \"https://localhost:" + std::to_string(b_https) +
          "\"\nforward_fhir_ca_file = \"" + pki->ca_cert +
          "\"\n"  // the default, conditional updates
          "forward_fhir_client_cert_file = \"" +
          pki->client_cert + "\"\nforward_fhir_client_key_file = \"" + pki->client_key +
          "\"\n"
          "forward_retry_initial_ms = 50\nforward_retry_max_ms = 400\n"
          // A second channel trusts another CA: B's certificate must not pass.
          "\n[channel.wrongca]\nlisten = \"127.0.0.1:0\"\n"
          "forward_fhir = \"https://localhost:" +
          std::to_string(b_https) + "\"\nforward_fhir_ca_file = \"" + pki->other_ca_cert +
          "\"\nforward_fhir_requests = \"by_id\"\n"
          "forward_retry_initial_ms = 50\nforward_retry_max_ms = 400\n");
  if (gw::Status s = b.start(); !s.ok()) FAIL() << s.message();
  if (gw::Status s = a.start(); !s.ok()) FAIL() << s.message();

  Sender sender(corpus);
  // 1. B up: the first part of the stream, then B dies with SIGKILL while A
  //    may be in the middle of a transaction (its response is lost).
  ASSERT_EQ(sender.send(a.port(), 0, 20), "");
  ASSERT_TRUE(wait_until([&] { return items_sent(dir_a) >= 5; }, 60s)) << tail(a.output());
  b.kill_hard();

  // 2. B down: A still acknowledges every message at once (the ACK never
  //    waits for forwarding) while its queue for B holds them and fails.
  ASSERT_EQ(sender.send(a.port(), 20, 40), "");
  ASSERT_TRUE(wait_until([&] { return items_attempted(dir_a) > 0; }, 30s))
      << "A never tried B while it was down:\n"
      << tail(a.output());
  EXPECT_GT(open_items(dir_a), 0) << "B is down: A's queue cannot be empty";
  ASSERT_EQ(sender.send(a.port(), 40, 45), "") << "acknowledged while B is unreachable";

  // 3. A dies with SIGKILL with items queued, and comes back.
  a.kill_hard();
  if (gw::Status s = a.start(); !s.ok()) FAIL() << s.message();

  // 4. B comes back; the rest of the stream.
  if (gw::Status s = b.start(); !s.ok()) FAIL() << s.message();
  ASSERT_EQ(sender.send(a.port(), 45, 60), "");
  ASSERT_TRUE(wait_until([&] { return open_items(dir_a) == 0; }, 120s))
      << open_items(dir_a) << " items still queued; A's log ends:\n"
      << tail(a.output());
  // Last (so that its records do not mix with the stream's), one message on
  // the channel whose destination trusts another CA.
  {
    Sender wrong(corpus);
    ASSERT_EQ(wrong.send(a.channel_ports().at("wrongca"), 1000, 1001), "");
  }
  ASSERT_TRUE(wait_until(
      [&] {
        return query_int(outbound_db(dir_a),
                         "SELECT count(*) FROM items WHERE destination = 'wrongca/fhir' AND "
                         "attempts >= 2") == 1;
      },
      30s))
      << tail(a.output());
  EXPECT_EQ(a.terminate(), 0);
  EXPECT_EQ(b.terminate(), 0);

  // The channel that trusts another CA never got its message through.
  EXPECT_EQ(open_items(dir_a, "wrongca/fhir"), 1);
  auto wrong =
      query(outbound_db(dir_a), "SELECT last_error FROM items WHERE destination = 'wrongca/fhir'");
  ASSERT_EQ(wrong.size(), 1u);
  EXPECT_NE(wrong[0][0].find("unreachable or no complete response"), std::string::npos)
      << wrong[0][0];
  EXPECT_EQ(
      query_int(outbound_db(dir_a),
                "SELECT coalesce(sum(sent), 0) FROM destinations WHERE name = 'wrongca/fhir'"),
      0);

  // Every message A accepted was forwarded once as far as A knows...
  EXPECT_EQ(sender.acknowledged().size(), 60u);
  EXPECT_EQ(
      query_int(a.db_path(),
                "SELECT count(*) FROM messages WHERE status = 'accepted' AND channel = 'test'"),
      60);
  EXPECT_EQ(query_int(outbound_db(dir_a), "SELECT sent FROM destinations WHERE name = 'test/fhir'"),
            60);
  EXPECT_EQ(query_int(outbound_db(dir_a), "SELECT sum(skipped) FROM destinations"), 0);
  EXPECT_GT(
      query_int(outbound_db(dir_a), "SELECT retried FROM destinations WHERE name = 'test/fhir'"), 0)
      << "B was down: some attempts must have failed";
  // ... and B holds every record A holds, with as many versions: a
  // transaction sent again after a lost response made no new version, and
  // none overtook another (the versions follow the same order of changes).
  // (A's records of the test channel: the wrongca channel's never left A.)
  const auto heads_a = record_heads(a.db_path(), "test");
  const auto heads_b = record_heads(b.db_path());
  ASSERT_FALSE(heads_a.empty());
  EXPECT_EQ(heads_a.size(), heads_b.size());
  for (const auto& [key, version] : heads_a) {
    auto it = heads_b.find(key);
    if (it == heads_b.end()) {
      ADD_FAILURE() << key.first << "/" << key.second << " never reached B";
      continue;
    }
    EXPECT_EQ(it->second, version) << key.first << "/" << key.second;
  }
  EXPECT_EQ(query_int(a.db_path(),
                      "SELECT count(*) FROM records r JOIN messages m ON m.id = r.message_id "
                      "WHERE m.channel = 'test'"),
            query_int(b.db_path(), "SELECT count(*) FROM records"));
  // No patient data in A's log: the forwarding lines name items, control ids
  // and failures, never content. (output() covers A's last run; the run
  // before the SIGKILL logged the same kinds of lines.)
  EXPECT_NE(a.output().find("event=outbound."), std::string::npos) << tail(a.output());
  expect_no_patient_data(a.output(), patient_data(corpus));
}

// control id -> how many accepted messages B stored with it.
std::map<std::string, int64_t> accepted_control_ids(const std::string& db) {
  std::map<std::string, int64_t> out;
  for (const auto& r : query(db,
                             "SELECT control_id, count(*) FROM messages WHERE status = 'accepted' "
                             "GROUP BY control_id"))
    out[r[0]] = std::stoll(r[1]);
  return out;
}

TEST(OutboundForwardingTest, MllpTlsDestinationKilledAndRestartedMidStreamGetsEveryMessageOnce) {
  auto corpus = load_mappable_corpus();
  ASSERT_FALSE(corpus.empty());
  TempDir dir_a, dir_b;
  const uint16_t b_mllp = free_loopback_port();
  ASSERT_NE(b_mllp, 0);
  auto pki = make_test_pki(dir_b.path(), "gateway-a");
  ASSERT_TRUE(pki.ok()) << pki.error().message();
  // B: its channel "dest", on a fixed port and over TLS, is the v2 receiver.
  // It takes only production messages (MSH-11 = P), so a test message is
  // refused (AR).
  GatewaydProcess b(dir_b.path(),
                    "\n[channel.dest]\nlisten = \"127.0.0.1:" + std::to_string(b_mllp) +
                        "\"\nprocessing_ids = [\"P\"]\ntls = true\ntls_cert_file = \"" +
                        pki->server_cert + "\"\ntls_key_file = \"" + pki->server_key + "\"\n");
  GatewaydProcess a(dir_a.path(),
                    "forward_mllp = \"127.0.0.1:" + std::to_string(b_mllp) +
                        "\"\nforward_mllp_tls = true\nforward_mllp_ca_file = \"" + pki->ca_cert +
                        "\"\nforward_timeout_ms = 5000\n"
                        "forward_retry_initial_ms = 50\nforward_retry_max_ms = 400\n");
  if (gw::Status s = b.start(); !s.ok()) FAIL() << s.message();
  if (gw::Status s = a.start(); !s.ok()) FAIL() << s.message();

  Sender sender(corpus);
  ASSERT_EQ(sender.send(a.port(), 0, 20), "");
  ASSERT_TRUE(wait_until([&] { return items_sent(dir_a) >= 5; }, 60s)) << tail(a.output());
  b.kill_hard();  // possibly between B's commit and its ACK: A must resend, B must not double
  ASSERT_EQ(sender.send(a.port(), 20, 40), "") << "acknowledged while B is unreachable";
  ASSERT_TRUE(wait_until([&] { return items_attempted(dir_a) > 0; }, 30s))
      << "A never tried B while it was down:\n"
      << tail(a.output());
  a.kill_hard();
  if (gw::Status s = a.start(); !s.ok()) FAIL() << s.message();
  if (gw::Status s = b.start(); !s.ok()) FAIL() << s.message();
  // One message B refuses for good (processing id T): a dead letter that
  // must not hold up the ones behind it.
  {
    auto c = mllp::Client::connect("127.0.0.1", a.port(), 5s);
    ASSERT_TRUE(c.ok());
    const std::string refused = with_msh_field(sender.message(1000), 11, "T");
    ASSERT_TRUE((*c)->send(refused).ok());
    auto reply = (*c)->receive(10s);
    ASSERT_TRUE(reply.ok());
    EXPECT_EQ(hl7::read_ack(*reply)->code, "AA") << "A itself accepts T";
  }
  ASSERT_EQ(sender.send(a.port(), 40, 60), "");
  // A's feeder turns stored messages into queue items after the ACK, so an
  // empty queue alone may only mean it has not caught up: wait for every
  // message delivered and the refused one dead.
  ASSERT_TRUE(wait_until(
      [&] {
        const std::string q = outbound_db(dir_a);
        return query_int(q, "SELECT count(*) FROM items WHERE state = 0") == 0 &&
               query_int(q, "SELECT count(*) FROM items WHERE state = 1") >= 1 &&
               items_sent(dir_a) >= 60;
      },
      120s))
      << "items still queued; A's log ends:\n"
      << tail(a.output());

  // The refused message is a dead letter with the receiver's code, nothing else.
  auto dead = query(outbound_db(dir_a), "SELECT control_id, last_error FROM items");
  std::string listed;
  for (const auto& row : dead) listed += row[0] + ": " + row[1] + "\n";
  ASSERT_EQ(dead.size(), 1u) << listed;
  EXPECT_EQ(dead[0][0], "FWD-1000");
  EXPECT_EQ(dead[0][1], "the MLLP receiver answered AR with error 202");

  // gatewayctl shows it and puts it back; B refuses it again.
  std::string out;
  ASSERT_EQ(
      run_command({gatewayctl_path(), "outbound", "status", "--config", a.config_path()}, &out), 0)
      << out;
  EXPECT_NE(out.find("test/mllp"), std::string::npos) << out;
  ASSERT_EQ(
      run_command({gatewayctl_path(), "outbound", "list", "--dead", "--config", a.config_path()},
                  &out),
      0)
      << out;
  EXPECT_NE(out.find("FWD-1000"), std::string::npos) << out;
  EXPECT_NE(out.find("AR with error 202"), std::string::npos) << out;
  ASSERT_EQ(
      run_command({gatewayctl_path(), "outbound", "retry", "--config", a.config_path()}, &out), 0)
      << out;
  EXPECT_NE(out.find("1 dead letter"), std::string::npos) << out;
  ASSERT_TRUE(wait_until(
      [&] {
        return query_int(b.db_path(),
                         "SELECT count(*) FROM messages WHERE control_id = 'FWD-1000'") == 2 &&
               query_int(outbound_db(dir_a), "SELECT count(*) FROM items WHERE state = 1") == 1;
      },
      30s))
      << "the requeued dead letter was not tried again:\n"
      << tail(a.output());

  EXPECT_EQ(a.terminate(), 0);
  EXPECT_EQ(b.terminate(), 0);
  // B stored every message A acknowledged, each once (a resend after a lost
  // ACK is a duplicate B answers from its store), and nothing else.
  const auto at_b = accepted_control_ids(b.db_path());
  EXPECT_EQ(sender.acknowledged().size(), 60u);
  for (const std::string& id : sender.acknowledged()) {
    auto it = at_b.find(id);
    if (it == at_b.end()) {
      ADD_FAILURE() << id << " never reached B";
      continue;
    }
    EXPECT_EQ(it->second, 1) << id;
  }
  EXPECT_EQ(at_b.size(), 60u);
  EXPECT_EQ(query_int(outbound_db(dir_a), "SELECT sum(sent) FROM destinations"), 60);
  expect_no_patient_data(a.output(), patient_data(corpus));
}

}  // namespace
}  // namespace gw::testing
