// test-needs: integration swtpm anvil
// The gateway on the consortium ledger, end to end: a gateway provisioned on
// swtpm with gatewayctl, its TPM-sealed ledger account funded on a real
// anvil, the consortium deployed with `gatewayctl ledger deploy` (this gateway
// the only founder), then gatewayd with [ledger] enabled anchoring the record
// batches of real HL7 traffic. Then the node goes away while messages keep
// coming (they are still acknowledged: the ledger is off that path), comes
// back from its state file, and every batch ends up anchored exactly once.
// Finally no patient data of the corpus is anywhere on chain, and
// `gatewayctl ledger status` reports a healthy, drained outbox.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "adapters/hl7/ack.h"
#include "adapters/hl7/er7.h"
#include "adapters/mllp/client.h"
#include "gateway/anchoring/ledger_deployment.h"
#include "ledger-client/consortium/events.h"
#include "ledger-client/consortium/provider_registry.h"
#include "ledger-client/keccak/keccak.h"
#include "ledger-client/outbox/submitter.h"
#include "ledger-client/rpc/eth_client.h"
#include "ledger-client/testing/anvil_process.h"
#include "tests/integration/corpus_util.h"
#include "tests/integration/ledger_fixture.h"

namespace gw::testing {
namespace {

struct BatchRow {
  int64_t id = 0;
  ledger::Hash256 root{};
  int64_t first_seq = 0, last_seq = 0;
  std::string anchored_tx;  // "" while NULL
};

std::vector<BatchRow> batch_rows(const std::string& db_path, int64_t* unbatched_records) {
  std::vector<BatchRow> rows;
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    sqlite3_close(db);
    return rows;
  }
  sqlite3_busy_timeout(db, 5000);
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db, "SELECT id, root, first_seq, last_seq, anchored_tx FROM record_batches",
                     -1, &st, nullptr);
  while (st != nullptr && sqlite3_step(st) == SQLITE_ROW) {
    BatchRow r;
    r.id = sqlite3_column_int64(st, 0);
    if (sqlite3_column_bytes(st, 1) == 32)
      std::memcpy(r.root.data(), sqlite3_column_blob(st, 1), 32);
    r.first_seq = sqlite3_column_int64(st, 2);
    r.last_seq = sqlite3_column_int64(st, 3);
    const unsigned char* t = sqlite3_column_text(st, 4);
    r.anchored_tx = t ? reinterpret_cast<const char*>(t) : "";
    rows.push_back(r);
  }
  sqlite3_finalize(st);
  st = nullptr;
  sqlite3_prepare_v2(db,
                     "SELECT count(*) FROM records WHERE seq > "
                     "(SELECT coalesce(max(last_seq), 0) FROM record_batches)",
                     -1, &st, nullptr);
  *unbatched_records =
      st != nullptr && sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
  sqlite3_finalize(st);
  sqlite3_close(db);
  return rows;
}

// Waits until every stored record is in a batch and every batch satisfies
// `done`; returns the rows.
std::vector<BatchRow> wait_for_batches(const std::string& db_path, bool anchored,
                                       std::chrono::seconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::vector<BatchRow> rows;
  while (std::chrono::steady_clock::now() < deadline) {
    int64_t unbatched = -1;
    rows = batch_rows(db_path, &unbatched);
    bool ok = unbatched == 0 && !rows.empty();
    for (const auto& r : rows) ok = ok && (!anchored || !r.anchored_tx.empty());
    if (ok) return rows;
    std::this_thread::sleep_for(200ms);
  }
  ADD_FAILURE() << "batches not " << (anchored ? "anchored" : "signed") << " in time";
  return rows;
}

class LedgerIntegration : public LedgerFixture {
 protected:
  // Sends every mappable corpus message with fresh control ids; all must be AA.
  void send_corpus(uint16_t port, const std::string& prefix) {
    auto connected = mllp::Client::connect("127.0.0.1", port, 5s);
    ASSERT_TRUE(connected.ok()) << connected.status().message();
    std::unique_ptr<mllp::Client> c = std::move(connected).value();
    auto corpus = load_mappable_corpus();
    ASSERT_FALSE(corpus.empty());
    for (size_t i = 0; i < corpus.size(); ++i) {
      const std::string id = prefix + std::to_string(i);
      gw::Status sent = c->send(with_control_id(original_mode(corpus[i].text), id));
      ASSERT_TRUE(sent.ok()) << sent.message();
      auto reply = c->receive(10s);
      ASSERT_TRUE(reply.ok()) << reply.status().message();
      auto ack = hl7::read_ack(*reply);
      ASSERT_TRUE(ack.ok()) << ack.status().message();
      EXPECT_EQ(ack->code, "AA") << corpus[i].file;
    }
  }
  // The chain's Anchored events (root -> how many times), all checked to be
  // this gateway's record-batch anchors.
  std::map<ledger::Hash256, int> anchored_roots(const gw::anchoring::LedgerDeployment& d) {
    ledger::LogFilter f;
    f.addresses = {d.contracts.anchors};
    f.from_block = ledger::BlockRef::at(0);
    auto logs = eth_->get_logs(f);
    EXPECT_TRUE(logs) << logs.error().describe();
    std::map<ledger::Hash256, int> roots;
    for (const auto& l : logs ? *logs : std::vector<ledger::Log>{}) {
      auto e = ledger::consortium::decode_event(l.topics, l.data);
      EXPECT_TRUE(e && e->has_value()) << (e ? "foreign log" : e.error().message());
      if (!e || !e->has_value()) continue;
      const auto* a = std::get_if<ledger::consortium::Anchored>(&**e);
      if (a == nullptr) continue;
      EXPECT_EQ(a->member, address_);
      EXPECT_EQ(a->kind, static_cast<uint8_t>(ledger::consortium::AnchorKind::kRecordBatch));
      ++roots[a->root];
    }
    return roots;
  }
};

TEST_F(LedgerIntegration, AnchorsRecordBatchesThroughAnOutageAndPutsNoPhiOnChain) {
  AnvilOptions ao;
  ao.state_file = dir_.path() + "/anvil-state.json";
  std::string error;
  auto started = AnvilProcess::start(ao);
  ASSERT_TRUE(started.ok()) << started.error().message();
  anvil_ = std::move(*started);
  connect_rpc();

  GatewaydProcess gw(dir_.path(), "\n[ledger]\nenabled = true\nrpc_url = \"" + anvil_->url() +
                                      "\"\nchain_id = 31337\nrequest_timeout_ms = 2000\n");
  // Small batches, so the corpus makes several.
  std::string cfg = read_file(gw.config_path());
  cfg.replace(cfg.find("[keys]\n"), 7, "[keys]\nbatch_records = 8\nbatch_interval_ms = 300\n");
  std::ofstream(gw.config_path()) << cfg;

  ASSERT_NO_FATAL_FAILURE(provision(gw));
  std::string out;

  // Deploy with this gateway as the only founder, its entry made by
  // member-entry from its own keys; re-running deploy is idempotent.
  const std::string founders = dir_.path() + "/founders.json";
  ASSERT_EQ(ctl({"ledger", "member-entry", "--config", gw.config_path(), "--org-id",
                 "urn:oid:2.16.840.1.113883.3.9999.1", "--name", "Integration Test Hospital",
                 "--tls-fingerprint", std::string(64, '2'), "--accreditation", "TEST"},
                &out),
            0)
      << out;
  std::ofstream(founders) << out;
  auto entry = gw::anchoring::read_founders(founders);
  ASSERT_TRUE(entry) << entry.error().message() << "\n" << out;
  EXPECT_EQ(entry->front().account, address_);
  EXPECT_EQ(ledger::to_hex(entry->front().encryption_key), payload_key_hex_)
      << "the payload key comes from the key store";
  for (int run = 0; run < 2; ++run) {
    out.clear();
    ASSERT_EQ(ctl({"ledger", "deploy", "--config", gw.config_path(), "--founders", founders,
                   "--quorum", "1"},
                  &out),
              0)
        << out;
  }
  EXPECT_NE(out.find("is up to date"), std::string::npos) << out;
  auto deployment = gw::anchoring::read_deployment(dir_.path() + "/state/ledger/consortium.json");
  ASSERT_TRUE(deployment) << deployment.error().message();
  EXPECT_EQ(deployment->chain_id, 31337u);
  EXPECT_EQ(deployment->deployed_by, address_);
  EXPECT_NE(out.find(ledger::to_checksum_hex(deployment->contracts.anchors)), std::string::npos);

  // Traffic: batches get signed and anchored.
  if (gw::Status started = gw.start(); !started.ok()) FAIL() << started.message();
  EXPECT_NE(gw.output().find("event=ledger.verified"), std::string::npos) << gw.output();
  send_corpus(gw.port(), "L1-");
  auto rows = wait_for_batches(gw.db_path(), /*anchored=*/true, 60s);
  ASSERT_GE(rows.size(), 2u);
  auto roots = anchored_roots(*deployment);
  EXPECT_EQ(roots.size(), rows.size());
  for (const auto& r : rows) EXPECT_EQ(roots[r.root], 1) << "batch " << r.id;
  EXPECT_NE(gw.output().find("event=ledger.anchored batch=" + std::to_string(rows[0].id)),
            std::string::npos);

  // The node goes away; messages are still acknowledged and batched.
  const int port = anvil_->port();
  const size_t before = rows.size();
  anvil_->stop();
  send_corpus(gw.port(), "L2-");
  rows = wait_for_batches(gw.db_path(), /*anchored=*/false, 30s);
  ASSERT_GT(rows.size(), before);
  size_t unanchored = 0;
  for (const auto& r : rows) unanchored += r.anchored_tx.empty() ? 1 : 0;
  EXPECT_GT(unanchored, 0u);
  const auto deadline = std::chrono::steady_clock::now() + 15s;
  while ((gw.output().find("event=ledger.error") == std::string::npos ||
          gw.output().find("event=consortium_view.unreachable") == std::string::npos) &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(100ms);
  EXPECT_NE(gw.output().find("event=ledger.error"), std::string::npos);
  EXPECT_NE(gw.output().find("event=consortium_view.unreachable"), std::string::npos)
      << "the consortium view reports the outage too";

  // Back from its state file on the same port: everything gets anchored, once.
  ao.port = port;
  auto started2 = AnvilProcess::start(ao);
  ASSERT_TRUE(started2.ok()) << started2.error().message();
  anvil_ = std::move(*started2);
  connect_rpc();
  rows = wait_for_batches(gw.db_path(), /*anchored=*/true, 90s);
  roots = anchored_roots(*deployment);
  EXPECT_EQ(roots.size(), rows.size());
  for (const auto& r : rows) EXPECT_EQ(roots[r.root], 1) << "batch " << r.id;
  EXPECT_EQ(gw.terminate(), 0);
  // The exit stats say the outbox is drained and nothing waits.
  EXPECT_NE(gw.output().find("event=stats.ledger queued=0 submitted=0 done="), std::string::npos)
      << gw.output();
  EXPECT_NE(gw.output().find("refused=0 failed=0 pending_txs=0 oldest_open_s=0"),
            std::string::npos);
  // The consortium view followed the chain from the deployment: it knows the founders.
  EXPECT_NE(gw.output().find("event=consortium_view.started"), std::string::npos);
  EXPECT_NE(gw.output().find("event=stats.consortium_view applied_block="), std::string::npos);
  EXPECT_EQ(gw.output().find("event=stats.consortium_view applied_block=none"), std::string::npos);
  EXPECT_EQ(gw.output().find("members=0"), std::string::npos) << gw.output();

  // No patient data on chain: not in any transaction's input, not in any log.
  std::set<std::string> phi = {"EVERYWOMAN", "MASSIE",    "999-00-1234", "19800214",
                               "1980-02-14", "1 MAIN ST", "ANYTOWN",     "371-66-9256"};
  for (const auto& m : load_corpus()) {
    hl7::ParseResult r = hl7::parse(m.text);
    if (!r.ok()) continue;
    for (const char* path : {"PID-5.1", "PID-5.2", "PID-3.1", "PID-7", "PID-11.1", "NK1-2.1"}) {
      std::string v = r.message->get(path);
      if (v.size() >= 4) phi.insert(v);
    }
  }
  std::string chain;
  auto head = eth_->block_number();
  ASSERT_TRUE(head) << head.error().describe();
  ASSERT_GT(*head, 5u);
  for (uint64_t n = 0; n <= *head; ++n) {
    char hex[32];
    std::snprintf(hex, sizeof hex, "0x%llx", static_cast<unsigned long long>(n));
    auto block = rpc_->call("eth_getBlockByNumber", std::string("[\"") + hex + "\", true]");
    ASSERT_TRUE(block) << block.error().describe();
    chain += *block;
  }
  auto logs = rpc_->call("eth_getLogs", "[{\"fromBlock\": \"0x0\", \"toBlock\": \"latest\"}]");
  ASSERT_TRUE(logs) << logs.error().describe();
  chain += *logs;
  ASSERT_NE(chain.find("\"input\""), std::string::npos);
  for (const auto& p : phi) {
    const std::string as_hex = ledger::to_hex(
        std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(p.data()), p.size()));
    // The chain's JSON is hex apart from its keys: a value made only of hex
    // digits (an MRN) can only be looked for in its hex-encoded form.
    const bool hex_only = p.find_first_not_of("0123456789abcdefABCDEF") == std::string::npos;
    if (!hex_only) {
      EXPECT_EQ(chain.find(p), std::string::npos) << "PHI on chain: " << p;
    }
    EXPECT_EQ(chain.find(as_hex), std::string::npos) << "PHI (hex) on chain: " << p;
  }
  const std::string log_text = gw.output();
  for (const auto& p : phi) EXPECT_EQ(log_text.find(p), std::string::npos) << "PHI in log: " << p;

  // The operator's view (gatewayd stopped: swtpm serves one client).
  out.clear();
  EXPECT_EQ(ctl({"ledger", "status", "--config", gw.config_path()}, &out), 0) << out;
  EXPECT_NE(out.find("chain id: 31337"), std::string::npos) << out;
  EXPECT_NE(out.find("active member: yes"), std::string::npos) << out;
  EXPECT_NE(out.find("outbox: queued=0 submitted=0 done="), std::string::npos) << out;
  EXPECT_NE(out.find("refused=0 failed=0"), std::string::npos) << out;

  // The auditor's check: every batch rebuilds from the store, its TPM
  // signature verifies, the registry lists this signing key, and the ledger
  // holds the same anchor.
  const std::string n = std::to_string(rows.size());
  out.clear();
  EXPECT_EQ(ctl({"ledger", "verify", "--config", gw.config_path()}, &out), 0) << out;
  EXPECT_NE(out.find(n + " batches: 0 wrong, " + n + " anchored, 0 not anchored yet"),
            std::string::npos)
      << out;
  for (const auto& p : phi) EXPECT_EQ(out.find(p), std::string::npos) << "PHI in verify: " << p;
  // A commitment changed behind the gateway's back is found, in its batch.
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(gw.db_path().c_str(), &db), SQLITE_OK);
    const std::string sql = "UPDATE records SET commitment = randomblob(32) WHERE seq = " +
                            std::to_string(rows[1].first_seq);
    EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
  }
  out.clear();
  EXPECT_EQ(ctl({"ledger", "verify", "--config", gw.config_path()}, &out), 1) << out;
  const std::string wrong_line = "batch " + std::to_string(rows[1].id) + "  records " +
                                 std::to_string(rows[1].first_seq) + "-" +
                                 std::to_string(rows[1].last_seq);
  const size_t at = out.find(wrong_line);
  ASSERT_NE(at, std::string::npos) << out;
  EXPECT_NE(out.find("WRONG: the commitments of records", at), std::string::npos) << out;
  EXPECT_NE(out.find(n + " batches: 1 wrong, " + n + " anchored"), std::string::npos) << out;
  out.clear();
  EXPECT_EQ(
      ctl({"ledger", "verify", "--config", gw.config_path(), "--batch", std::to_string(rows[0].id)},
          &out),
      0)
      << out;
  EXPECT_NE(out.find("1 batch: 0 wrong, 1 anchored"), std::string::npos) << out;
  // Without the node, the store is still checked but the run is not clean.
  anvil_->stop();
  out.clear();
  EXPECT_EQ(
      ctl({"ledger", "verify", "--config", gw.config_path(), "--batch", std::to_string(rows[0].id)},
          &out),
      1)
      << out;
  EXPECT_NE(out.find("problem: ledger node unreachable"), std::string::npos) << out;
  EXPECT_NE(out.find("ok, anchors not checked"), std::string::npos) << out;
  if (HasFailure()) std::fprintf(stderr, "gatewayd output:\n%s\n", log_text.c_str());
  if (std::getenv("GW_LEDGER_TEST_LOG") != nullptr) std::fputs(log_text.c_str(), stdout);
}

}  // namespace
}  // namespace gw::testing
