// test-needs: integration swtpm anvil
// Transfers are durable and happen exactly once: the custodian killed
// (SIGKILL) with transfers in every state, the recipient killed while they
// arrive; after both restart, every transfer is recorded once on the ledger,
// delivered once and stored once.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <thread>

#include "gateway/transfer/transfer_store.h"
#include "ledger-client/consortium/events.h"
#include "tests/integration/transfer_fixture.h"

namespace gw::testing {
namespace {

namespace cs = ledger::consortium;

const std::string kAdmit =
    "MSH|^~\\&|ADT|HOSPA|GW|GW|20260101120000||ADT^A01|C-ADT-1|P|2.5.1\r"
    "PID|1||MRN-5501^^^HOSPA^MR~987-65-4321^^^SSA^SS||Durable^Dora||19700202|F\r"
    "PV1|1|O|CLINIC^1^A\r";

std::string emergency_push(const std::string& org_id) {
  return R"({"resourceType":"Parameters","parameter":[)"
         R"({"name":"recipient","valueIdentifier":{"value":")" +
         org_id +
         R"("}},{"name":"purpose","valueCode":"ETREAT"},)"
         R"({"name":"reason","valueString":"trauma bay"}]})";
}

class TransferCrashTest : public TransferFixture {
 protected:
  std::vector<transfer::OutgoingTransfer> outgoing_at_a() {
    auto store = transfer::TransferStore::open_read_only(a_.dir + "/state/transfers.db");
    EXPECT_TRUE(store.ok()) << store.error().message();
    if (!store.ok()) return {};
    auto list = (*store)->list_outgoing(std::nullopt, 1000);
    return list.ok() ? *list : std::vector<transfer::OutgoingTransfer>{};
  }
  std::vector<transfer::IncomingTransfer> incoming_at_b() {
    auto store = transfer::TransferStore::open_read_only(b_.dir + "/state/transfers.db");
    if (!store.ok()) return {};
    auto list = (*store)->list_incoming(1000);
    return list.ok() ? *list : std::vector<transfer::IncomingTransfer>{};
  }
  // TransferRecorded events from A, by transfer id.
  std::map<uint64_t, int> recorded_on_chain() {
    std::map<uint64_t, int> out;
    ledger::LogFilter f;
    f.addresses = {deployment_.contracts.transfers};
    f.from_block = ledger::BlockRef::at(0);
    auto logs = eth_->get_logs(f);
    EXPECT_TRUE(logs.ok());
    if (!logs.ok()) return out;
    for (const auto& log : *logs) {
      auto e = cs::decode_event(log.topics, log.data);
      if (!e.ok() || !e->has_value()) continue;
      if (auto* r = std::get_if<cs::TransferRecorded>(&**e);
          r != nullptr && r->from == a_.account) {
        ++out[*r->transfer_id.to_u64()];
      }
    }
    return out;
  }
};

TEST_F(TransferCrashTest, KilledCustodianAndRecipientCompleteEveryTransferExactlyOnce) {
  ASSERT_NO_FATAL_FAILURE(SetUpConsortium());
  ASSERT_NO_FATAL_FAILURE(send_hl7(a_, "admit", kAdmit));
  std::vector<std::string> patients = patients_named(a_, "MRN-5501");
  ASSERT_EQ(patients.size(), 1u);
  ASSERT_NO_FATAL_FAILURE(enable_emergency_access());

  constexpr int kTransfers = 12;
  const std::string push = "/Patient/" + patients[0] + "/$transfer";
  std::set<uint64_t> accepted;
  for (int i = 0; i < kTransfers; ++i) {
    rest::testing::Reply r = a_.call("POST", push, emergency_push(b_.org_id));
    ASSERT_EQ(r.status, 202) << r.body;
    auto answer = fhir::parse_json(r.body);
    ASSERT_TRUE(answer.ok());
    accepted.insert(
        std::stoull(answer.value().find("parameter")->items()[0].find("valueString")->text()));
    if (i == kTransfers / 3) b_.gw->kill_hard();  // the recipient goes mid-stream
  }
  a_.gw->kill_hard();  // the custodian goes with transfers in every state
  ASSERT_EQ(accepted.size(), static_cast<size_t>(kTransfers));
  ASSERT_NO_FATAL_FAILURE(start_both());

  ASSERT_TRUE(wait_until(
      [&] {
        size_t delivered = 0;
        for (const auto& t : outgoing_at_a()) {
          if (t.state == transfer::OutgoingState::kDelivered) ++delivered;
        }
        return delivered == accepted.size();
      },
      120s))
      << a_.gw->output() << "\n---- B ----\n"
      << b_.gw->output();
  for (const auto& t : outgoing_at_a()) {
    EXPECT_TRUE(accepted.count(static_cast<uint64_t>(t.id))) << t.id;
    EXPECT_EQ(t.state, transfer::OutgoingState::kDelivered) << t.id << " " << t.detail;
    EXPECT_TRUE(t.flagged_emergency) << t.id;
  }
  // Once on the ledger, once at the recipient.
  std::map<uint64_t, int> on_chain = recorded_on_chain();
  EXPECT_EQ(on_chain.size(), accepted.size());
  for (const auto& [id, n] : on_chain) EXPECT_EQ(n, 1) << "transfer " << id;
  std::set<uint64_t> received;
  for (const auto& in : incoming_at_b()) {
    EXPECT_EQ(in.sender, a_.account);
    EXPECT_EQ(in.state, transfer::IncomingState::kStored) << in.detail;
    EXPECT_TRUE(received.insert(in.transfer_id).second) << "stored twice: " << in.transfer_id;
  }
  EXPECT_EQ(received, accepted);
}

// The ledger node goes away while 200 transfers are under way: decisions go
// on from the local view, recording waits in the outbox, nothing is
// delivered unrecorded; once the node is back every transfer completes once.
TEST_F(TransferCrashTest, ALedgerOutageDuring200TransfersDelaysThemAndLosesOrDoublesNone) {
  anvil_options_.state_file = dir_.path() + "/anvil-state.json";
  ASSERT_NO_FATAL_FAILURE(SetUpConsortium());
  ASSERT_NO_FATAL_FAILURE(send_hl7(a_, "admit", kAdmit));
  std::vector<std::string> patients = patients_named(a_, "MRN-5501");
  ASSERT_EQ(patients.size(), 1u);
  ASSERT_NO_FATAL_FAILURE(enable_emergency_access());

  constexpr int kTransfers = 200;
  const std::string push = "/Patient/" + patients[0] + "/$transfer";
  std::set<uint64_t> accepted;
  const int port = anvil_->port();
  for (int i = 0; i < kTransfers; ++i) {
    if (i == kTransfers / 4) anvil_->stop();
    rest::testing::Reply r = a_.call("POST", push, emergency_push(b_.org_id));
    ASSERT_EQ(r.status, 202) << r.body;
    auto answer = fhir::parse_json(r.body);
    ASSERT_TRUE(answer.ok());
    accepted.insert(
        std::stoull(answer.value().find("parameter")->items()[0].find("valueString")->text()));
  }
  // While the node is away nothing recorded after it left is delivered.
  std::this_thread::sleep_for(2s);
  size_t delivered_during_outage = 0;
  for (const auto& t : outgoing_at_a()) {
    if (t.state == transfer::OutgoingState::kDelivered) ++delivered_during_outage;
  }
  EXPECT_LE(delivered_during_outage, static_cast<size_t>(kTransfers / 4));

  AnvilOptions again = anvil_options_;
  again.port = port;
  auto restarted = AnvilProcess::start(again);
  ASSERT_TRUE(restarted.ok()) << restarted.error().message();
  anvil_ = std::move(*restarted);
  connect_rpc();
  ASSERT_TRUE(wait_until(
      [&] {
        size_t delivered = 0;
        for (const auto& t : outgoing_at_a()) {
          if (t.state == transfer::OutgoingState::kDelivered) ++delivered;
        }
        return delivered == accepted.size();
      },
      240s))
      << a_.gw->output();
  std::map<uint64_t, int> on_chain = recorded_on_chain();
  EXPECT_EQ(on_chain.size(), accepted.size());
  for (const auto& [id, n] : on_chain) EXPECT_EQ(n, 1) << "transfer " << id;
  std::set<uint64_t> received;
  for (const auto& in : incoming_at_b()) {
    EXPECT_TRUE(received.insert(in.transfer_id).second) << "stored twice: " << in.transfer_id;
  }
  EXPECT_EQ(received, accepted);
}

}  // namespace
}  // namespace gw::testing
