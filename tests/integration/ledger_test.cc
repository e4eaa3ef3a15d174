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
#include "gateway/core/ledger_deployment.h"
#include "ledger-client/consortium/events.h"
#include "ledger-client/consortium/provider_registry.h"
#include "ledger-client/keccak/keccak.h"
#include "ledger-client/outbox/submitter.h"
#include "ledger-client/rpc/eth_client.h"
#include "ledger-client/testing/anvil_process.h"
#include "tests/integration/corpus_util.h"

namespace gw::testing {
namespace {

using ledger::testing::AnvilOptions;
using ledger::testing::AnvilProcess;
using namespace std::chrono_literals;

int ctl(const std::vector<std::string>& args, std::string* out) {
  std::vector<std::string> argv{gatewayctl_path()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_command(argv, out);
}

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

class LedgerIntegration : public ::testing::Test {
 protected:
  void connect_rpc() {
    ledger::JsonRpcOptions o;
    o.url = anvil_->url();
    o.io_timeout = 10s;
    auto rpc = ledger::JsonRpcClient::create(o);
    ASSERT_TRUE(rpc) << rpc.error();
    rpc_ = std::move(*rpc);
    eth_ = std::make_unique<ledger::EthClient>(*rpc_);
  }
  // Sends every mappable corpus message with fresh control ids; all must be AA.
  void send_corpus(uint16_t port, const std::string& prefix) {
    std::string error;
    auto c = mllp::Client::connect("127.0.0.1", port, 5s, &error);
    ASSERT_TRUE(c) << error;
    auto corpus = load_mappable_corpus();
    ASSERT_FALSE(corpus.empty());
    for (size_t i = 0; i < corpus.size(); ++i) {
      const std::string id = prefix + std::to_string(i);
      ASSERT_TRUE(c->send(with_control_id(original_mode(corpus[i].text), id), &error)) << error;
      auto reply = c->receive(10s, &error);
      ASSERT_TRUE(reply) << error;
      auto ack = hl7::read_ack(*reply, &error);
      ASSERT_TRUE(ack) << error;
      EXPECT_EQ(ack->code, "AA") << corpus[i].file;
    }
  }
  // The chain's Anchored events (root -> how many times), all checked to be
  // this gateway's record-batch anchors.
  std::map<ledger::Hash256, int> anchored_roots(const core::LedgerDeployment& d) {
    ledger::LogFilter f;
    f.addresses = {d.contracts.anchors};
    f.from_block = ledger::BlockRef::at(0);
    auto logs = eth_->get_logs(f);
    EXPECT_TRUE(logs) << logs.failure().describe();
    std::map<ledger::Hash256, int> roots;
    for (const auto& l : logs ? *logs : std::vector<ledger::Log>{}) {
      auto e = ledger::consortium::decode_event(l.topics, l.data);
      EXPECT_TRUE(e && e->has_value()) << (e ? "foreign log" : e.error());
      if (!e || !e->has_value()) continue;
      const auto* a = std::get_if<ledger::consortium::Anchored>(&**e);
      if (a == nullptr) continue;
      EXPECT_EQ(a->member, address_);
      EXPECT_EQ(a->kind, static_cast<uint8_t>(ledger::consortium::AnchorKind::kRecordBatch));
      ++roots[a->root];
    }
    return roots;
  }

  // Provisions the gateway's TPM as an operator would, reads its ledger
  // account into address_ and funds it on anvil.
  void provision(GatewaydProcess& gw) {
    std::string out;
    ASSERT_EQ(ctl({"tpm", "provision", "--config", gw.config_path()}, &out), 0) << out;
    const size_t at = out.find("ledger account: ");
    ASSERT_NE(at, std::string::npos) << out;
    auto address = core::parse_address(out.substr(at + 16, 42));
    ASSERT_TRUE(address) << address.error();
    address_ = *address;
    {
      std::ofstream k(dir_.path() + "/consortium.key");
      k << kTestConsortiumKeyHex << "\n";
    }
    out.clear();
    ASSERT_EQ(ctl({"tpm", "import-consortium-key", "--config", gw.config_path(),
                   dir_.path() + "/consortium.key"},
                  &out),
              0)
        << out;
    ASSERT_TRUE(ledger::testing::set_balance(
        *rpc_, address_, *ledger::Uint256::from_decimal("100000000000000000000")));
  }
  static std::string member_json(const ledger::Address& account, int n) {
    std::ostringstream j;
    j << "{\"account\": \"" << ledger::to_checksum_hex(account)
      << "\", \"org_id\": \"urn:oid:2.16.840.1.113883.3.9999." << n << "\", \"name\": \"Hospital "
      << n << "\", \"encryption_key\": \"" << std::string(64, '1') << "\", \"tls_fingerprint\": \""
      << std::string(64, '2') << "\", \"signing_key_hash\": \"" << std::string(64, '3')
      << "\", \"accreditation\": \"TEST\"}";
    return j.str();
  }

  TempDir dir_;
  std::unique_ptr<AnvilProcess> anvil_;
  std::unique_ptr<ledger::JsonRpcClient> rpc_;
  std::unique_ptr<ledger::EthClient> eth_;
  ledger::Address address_{};
};

TEST_F(LedgerIntegration, AnchorsRecordBatchesThroughAnOutageAndPutsNoPhiOnChain) {
  AnvilOptions ao;
  ao.state_file = dir_.path() + "/anvil-state.json";
  std::string error;
  anvil_ = AnvilProcess::start(ao, &error);
  ASSERT_NE(anvil_, nullptr) << error;
  connect_rpc();

  GatewaydProcess gw(dir_.path(), "\n[ledger]\nenabled = true\nrpc_url = \"" + anvil_->url() +
                                      "\"\nchain_id = 31337\nrequest_timeout_ms = 2000\n");
  // Small batches, so the corpus makes several.
  std::string cfg = read_file(gw.config_path());
  cfg.replace(cfg.find("[keys]\n"), 7, "[keys]\nbatch_records = 8\nbatch_interval_ms = 300\n");
  std::ofstream(gw.config_path()) << cfg;

  ASSERT_NO_FATAL_FAILURE(provision(gw));
  std::string out;

  // Deploy with this gateway as the only founder; re-running is idempotent.
  const std::string founders = dir_.path() + "/founders.json";
  std::ofstream(founders) << "[{\"account\": \"" << ledger::to_checksum_hex(address_)
                          << "\", \"org_id\": \"urn:oid:2.16.840.1.113883.3.9999.1\", "
                             "\"name\": \"Integration Test Hospital\", \"encryption_key\": \""
                          << std::string(64, '1') << "\", \"tls_fingerprint\": \""
                          << std::string(64, '2') << "\", \"signing_key_hash\": \""
                          << std::string(64, '3') << "\", \"accreditation\": \"TEST\"}]";
  for (int run = 0; run < 2; ++run) {
    out.clear();
    ASSERT_EQ(ctl({"ledger", "deploy", "--config", gw.config_path(), "--founders", founders,
                   "--quorum", "1"},
                  &out),
              0)
        << out;
  }
  EXPECT_NE(out.find("is up to date"), std::string::npos) << out;
  auto deployment = core::read_deployment(dir_.path() + "/state/ledger/consortium.json");
  ASSERT_TRUE(deployment) << deployment.error();
  EXPECT_EQ(deployment->chain_id, 31337u);
  EXPECT_EQ(deployment->deployed_by, address_);
  EXPECT_NE(out.find(ledger::to_checksum_hex(deployment->contracts.anchors)), std::string::npos);

  // Traffic: batches get signed and anchored.
  ASSERT_TRUE(gw.start(&error)) << error;
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
  while (gw.output().find("event=ledger.error") == std::string::npos &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(100ms);
  EXPECT_NE(gw.output().find("event=ledger.error"), std::string::npos);

  // Back from its state file on the same port: everything gets anchored, once.
  ao.port = port;
  anvil_ = AnvilProcess::start(ao, &error);
  ASSERT_NE(anvil_, nullptr) << error;
  connect_rpc();
  rows = wait_for_batches(gw.db_path(), /*anchored=*/true, 90s);
  roots = anchored_roots(*deployment);
  EXPECT_EQ(roots.size(), rows.size());
  for (const auto& r : rows) EXPECT_EQ(roots[r.root], 1) << "batch " << r.id;
  EXPECT_EQ(gw.terminate(), 0);

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
  ASSERT_TRUE(head) << head.failure().describe();
  ASSERT_GT(*head, 5u);
  for (uint64_t n = 0; n <= *head; ++n) {
    char hex[32];
    std::snprintf(hex, sizeof hex, "0x%llx", static_cast<unsigned long long>(n));
    auto block = rpc_->call("eth_getBlockByNumber", std::string("[\"") + hex + "\", true]");
    ASSERT_TRUE(block) << block.failure().describe();
    chain += *block;
  }
  auto logs = rpc_->call("eth_getLogs", "[{\"fromBlock\": \"0x0\", \"toBlock\": \"latest\"}]");
  ASSERT_TRUE(logs) << logs.failure().describe();
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
  if (HasFailure()) std::fprintf(stderr, "gatewayd output:\n%s\n", log_text.c_str());
  if (std::getenv("GW_LEDGER_TEST_LOG") != nullptr) std::fputs(log_text.c_str(), stdout);
}

// Governance from the gateway's side: a consortium of this gateway and a
// second member (an anvil account) with a quorum of two. The gateway proposes
// a new member with gatewayctl, the other member approves; the other member
// proposes a suspension, the gateway approves with gatewayctl.
TEST_F(LedgerIntegration, GatewayctlGovernsTheConsortiumWithAQuorum) {
  std::string error;
  anvil_ = AnvilProcess::start({}, &error);
  ASSERT_NE(anvil_, nullptr) << error;
  connect_rpc();
  GatewaydProcess gw(dir_.path(),
                     "\n[ledger]\nenabled = true\nrpc_url = \"" + anvil_->url() + "\"\n");
  ASSERT_NO_FATAL_FAILURE(provision(gw));
  const ledger::Address other = AnvilProcess::dev_address(1);
  const ledger::Address newcomer = AnvilProcess::dev_address(2);
  const std::string founders = dir_.path() + "/founders.json";
  std::ofstream(founders) << "[" << member_json(address_, 1) << ", " << member_json(other, 2)
                          << "]";
  std::string out;
  ASSERT_EQ(ctl({"ledger", "deploy", "--config", gw.config_path(), "--founders", founders,
                 "--quorum", "2"},
                &out),
            0)
      << out;
  auto deployment = core::read_deployment(dir_.path() + "/state/ledger/consortium.json");
  ASSERT_TRUE(deployment) << deployment.error();

  // The gateway proposes the newcomer; the proposal id comes back.
  const std::string member_file = dir_.path() + "/member.json";
  std::ofstream(member_file) << "[" << member_json(newcomer, 3) << "]";
  out.clear();
  ASSERT_EQ(
      ctl({"ledger", "propose-add", "--config", gw.config_path(), "--member", member_file}, &out),
      0)
      << out;
  const size_t at = out.find("proposal id: ");
  ASSERT_NE(at, std::string::npos) << out;
  const std::string id = out.substr(at + 13, out.find(' ', at + 13) - (at + 13));
  out.clear();
  ASSERT_EQ(ctl({"ledger", "members", "--config", gw.config_path()}, &out), 0) << out;
  EXPECT_EQ(out.find(ledger::to_checksum_hex(newcomer)), std::string::npos)
      << "one approval of two must not add a member\n"
      << out;

  // The other member approves from its own account (the library, as its gateway would).
  auto signer = ledger::LocalKeySigner::create(AnvilProcess::dev_key(1));
  ASSERT_TRUE(signer);
  auto store = ledger::OutboxStore::open(dir_.path() + "/other-outbox.db");
  ASSERT_TRUE(store);
  ledger::SubmitterOptions so;
  so.contracts = deployment->contracts;
  ledger::Submitter submitter(**store, *eth_, **signer, so);
  ASSERT_TRUE(submitter.start());
  auto approve_id = ledger::Uint256::from_decimal(id);
  ASSERT_TRUE(approve_id) << id;
  ASSERT_TRUE(submitter.enqueue_call(deployment->contracts.registry,
                                     ledger::consortium::approve(*approve_id)));
  ASSERT_TRUE(submitter.drain(30s));
  out.clear();
  ASSERT_EQ(ctl({"ledger", "members", "--config", gw.config_path()}, &out), 0) << out;
  EXPECT_NE(out.find(ledger::to_checksum_hex(newcomer) + "  active"), std::string::npos) << out;
  EXPECT_NE(out.find("quorum: 2"), std::string::npos) << out;

  // The other member proposes suspending the newcomer; the gateway's approval executes it.
  auto seq = submitter.enqueue_call(deployment->contracts.registry,
                                    ledger::consortium::propose_suspend(newcomer));
  ASSERT_TRUE(seq);
  ASSERT_TRUE(submitter.drain(30s));
  auto item = (*store)->item(*seq);
  ASSERT_TRUE(item && item->has_value() && (*item)->tx_hash);
  auto receipt = eth_->transaction_receipt(*(*item)->tx_hash);
  ASSERT_TRUE(receipt && receipt->has_value());
  std::string suspend_id;
  for (const auto& log : (*receipt)->logs) {
    auto e = ledger::consortium::decode_event(log.topics, log.data);
    if (!e || !e->has_value()) continue;
    if (auto* c = std::get_if<ledger::consortium::ProposalCreated>(&**e)) {
      suspend_id = c->proposal_id.to_decimal();
    }
  }
  ASSERT_FALSE(suspend_id.empty());
  out.clear();
  ASSERT_EQ(
      ctl({"ledger", "approve", "--config", gw.config_path(), "--proposal", suspend_id}, &out), 0)
      << out;
  EXPECT_NE(out.find("proposal " + suspend_id + " executed"), std::string::npos) << out;
  EXPECT_NE(out.find("member suspended: " + ledger::to_checksum_hex(newcomer)), std::string::npos)
      << out;
  // Approving twice is refused by the registry, and gatewayctl says why.
  out.clear();
  EXPECT_EQ(
      ctl({"ledger", "approve", "--config", gw.config_path(), "--proposal", suspend_id}, &out), 1);
  EXPECT_NE(out.find("ProposalClosed"), std::string::npos) << out;

  // An approval sent before its proposal exists fails; the operator finds it
  // with `ledger outbox`, requeues it with `ledger retry` once the proposal is
  // there, and gatewayd's submitter sends it: the reinstatement executes.
  const std::string next_id = std::to_string(std::stoull(suspend_id) + 1);
  out.clear();
  EXPECT_EQ(ctl({"ledger", "approve", "--config", gw.config_path(), "--proposal", next_id}, &out),
            1);
  EXPECT_NE(out.find("UnknownProposal(" + next_id + ")"), std::string::npos) << out;
  out.clear();
  ASSERT_EQ(ctl({"ledger", "outbox", "--config", gw.config_path(), "--state", "failed", "--kind",
                 "call", "--limit", "1"},
                &out),
            0)
      << out;
  const size_t row = out.find('\n') + 1;  // under the header: the newest failed call
  ASSERT_NE(out.find("UnknownProposal(" + next_id + ")", row), std::string::npos) << out;
  EXPECT_EQ(out.find("ProposalClosed"), std::string::npos) << "--limit 1\n" << out;
  const std::string failed_seq = out.substr(row, out.find(' ', row) - row);
  out.clear();
  EXPECT_EQ(ctl({"ledger", "retry", "--config", gw.config_path(), "--item", "1"}, &out), 1);
  EXPECT_NE(out.find("item 1 is done, not failed"), std::string::npos) << out;

  auto reinstate = submitter.enqueue_call(deployment->contracts.registry,
                                          ledger::consortium::propose_reinstate(newcomer));
  ASSERT_TRUE(reinstate);
  ASSERT_TRUE(submitter.drain(30s));
  out.clear();
  ASSERT_EQ(ctl({"ledger", "retry", "--config", gw.config_path(), "--item", failed_seq}, &out), 0)
      << out;
  EXPECT_NE(out.find("requeued 1 failed item"), std::string::npos) << out;
  ASSERT_TRUE(gw.start(&error)) << error;
  bool reinstated = false;
  for (auto until = std::chrono::steady_clock::now() + 30s;
       !reinstated && std::chrono::steady_clock::now() < until;
       std::this_thread::sleep_for(200ms)) {
    out.clear();
    ASSERT_EQ(ctl({"ledger", "members", "--config", gw.config_path()}, &out), 0) << out;
    reinstated = out.find(ledger::to_checksum_hex(newcomer) + "  active") != std::string::npos;
  }
  EXPECT_TRUE(reinstated) << out << gw.output();
  out.clear();
  ASSERT_EQ(ctl({"ledger", "outbox", "--config", gw.config_path(), "--state", "failed"}, &out), 0);
  EXPECT_EQ(out.find("UnknownProposal"), std::string::npos) << "requeued and sent\n" << out;
}

}  // namespace
}  // namespace gw::testing
