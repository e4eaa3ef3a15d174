// test-needs: integration swtpm anvil
// Consortium governance from the gateway's side, end to end: the gateway
// provisioned on swtpm, the consortium deployed with `gatewayctl ledger
// deploy` on a real anvil, and the other members acting from their own anvil
// accounts through the ledger library, as their gateways would. Every change
// needs the quorum's approvals; gatewayctl proposes, approves and reports
// what executed.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <optional>
#include <thread>

#include "fhir/json/json.h"
#include "ledger-client/consortium/consent_registry.h"
#include "ledger-client/consortium/events.h"
#include "ledger-client/consortium/provider_registry.h"
#include "ledger-client/outbox/outbox_store.h"
#include "ledger-client/outbox/submitter.h"
#include "ledger-client/outbox/tx_signer.h"
#include "tests/integration/ledger_fixture.h"

namespace gw::testing {
namespace {

namespace cs = ledger::consortium;

// The text after "proposal id: " in gatewayctl's output ("" if none).
std::string proposal_id_in(const std::string& out) {
  const size_t at = out.find("proposal id: ");
  if (at == std::string::npos) return "";
  return out.substr(at + 13, out.find(' ', at + 13) - (at + 13));
}

class LedgerGovernance : public LedgerFixture {
 protected:
  // Another member: an anvil dev account with its own outbox and submitter.
  struct Member {
    std::unique_ptr<ledger::LocalKeySigner> signer;
    std::unique_ptr<ledger::OutboxStore> store;
    std::unique_ptr<ledger::Submitter> submitter;
  };

  // Starts anvil, provisions the gateway and deploys a consortium of the
  // gateway and the dev accounts `others` with `quorum`.
  void deploy_consortium(const std::vector<int>& others, int quorum) {
    auto started = AnvilProcess::start({});
    ASSERT_TRUE(started.ok()) << started.error().message();
    anvil_ = std::move(*started);
    connect_rpc();
    gw_ = std::make_unique<GatewaydProcess>(
        dir_.path(), "\n[ledger]\nenabled = true\nrpc_url = \"" + anvil_->url() + "\"\n");
    ASSERT_NO_FATAL_FAILURE(provision(*gw_));
    const std::string founders = dir_.path() + "/founders.json";
    {
      std::ofstream f(founders);
      f << "[" << member_json(address_, 1);
      for (int i : others) f << ", " << member_json(AnvilProcess::dev_address(i), 10 + i);
      f << "]";
    }
    std::string out;
    ASSERT_EQ(ctl({"ledger", "deploy", "--config", gw_->config_path(), "--founders", founders,
                   "--quorum", std::to_string(quorum)},
                  &out),
              0)
        << out;
    auto d = gw::anchoring::read_deployment(dir_.path() + "/state/ledger/consortium.json");
    ASSERT_TRUE(d) << d.error().message();
    deployment_ = *d;
  }

  Member& member(int dev_account) {
    Member& m = members_[dev_account];
    if (m.submitter) return m;
    auto signer = ledger::LocalKeySigner::create(AnvilProcess::dev_key(dev_account));
    EXPECT_TRUE(signer) << signer.error().message();
    auto store = ledger::OutboxStore::open(dir_.path() + "/member-" + std::to_string(dev_account) +
                                           "-outbox.db");
    EXPECT_TRUE(store) << store.error().message();
    m.signer = std::move(*signer);
    m.store = std::move(*store);
    ledger::SubmitterOptions so;
    so.contracts = deployment_.contracts;
    m.submitter = std::make_unique<ledger::Submitter>(*m.store, *eth_, *m.signer, so);
    auto started = m.submitter->start();
    EXPECT_TRUE(started.ok()) << started.message();
    return m;
  }

  // Member `dev_account` sends one call (to the registry unless `to` says
  // otherwise) and waits for its outcome; returns the id of the proposal it
  // created ("" if none).
  std::string send_as(int dev_account, std::vector<uint8_t> data,
                      std::optional<ledger::Address> to = std::nullopt) {
    Member& m = member(dev_account);
    auto seq =
        m.submitter->enqueue_call(to.value_or(deployment_.contracts.registry), std::move(data));
    EXPECT_TRUE(seq) << seq.error().message();
    if (!seq) return "";
    auto drained = m.submitter->drain(30s);
    EXPECT_TRUE(drained.ok()) << drained.message();
    auto item = m.store->item(*seq);
    EXPECT_TRUE(item && item->has_value());
    if (!item || !item->has_value()) return "";
    EXPECT_EQ((*item)->state, ledger::ItemState::kDone) << (*item)->outcome;
    if (!(*item)->tx_hash) return "";
    auto receipt = eth_->transaction_receipt(*(*item)->tx_hash);
    EXPECT_TRUE(receipt && receipt->has_value());
    if (!receipt || !receipt->has_value()) return "";
    for (const auto& log : (*receipt)->logs) {
      auto e = cs::decode_event(log.topics, log.data);
      if (!e || !e->has_value()) continue;
      if (auto* c = std::get_if<cs::ProposalCreated>(&**e)) return c->proposal_id.to_decimal();
    }
    return "";
  }
  void approve_as(int dev_account, const std::string& id) {
    auto n = ledger::Uint256::from_decimal(id);
    ASSERT_TRUE(n) << "proposal id '" << id << "'";
    send_as(dev_account, cs::approve(*n));
  }

  std::string members_output() {
    std::string out;
    EXPECT_EQ(ctl({"ledger", "members", "--config", gw_->config_path()}, &out), 0) << out;
    return out;
  }

  std::unique_ptr<GatewaydProcess> gw_;
  gw::anchoring::LedgerDeployment deployment_;
  std::map<int, Member> members_;
};

// A consortium of this gateway and a second member with a quorum of two. The
// gateway proposes a new member with gatewayctl, the other member approves;
// the other member proposes a suspension, the gateway approves with
// gatewayctl; an approval that failed is found and retried by the operator.
TEST_F(LedgerGovernance, GatewayctlGovernsTheConsortiumWithAQuorum) {
  const ledger::Address newcomer = AnvilProcess::dev_address(2);
  ASSERT_NO_FATAL_FAILURE(deploy_consortium({1}, 2));
  const std::string config = gw_->config_path();
  std::string out, error;

  // The gateway proposes the newcomer; the proposal id comes back.
  const std::string member_file = dir_.path() + "/member.json";
  std::ofstream(member_file) << "[" << member_json(newcomer, 3) << "]";
  ASSERT_EQ(ctl({"ledger", "propose-add", "--config", config, "--member", member_file}, &out), 0)
      << out;
  const std::string id = proposal_id_in(out);
  ASSERT_FALSE(id.empty()) << out;
  out = members_output();
  EXPECT_EQ(out.find(ledger::to_checksum_hex(newcomer)), std::string::npos)
      << "one approval of two must not add a member\n"
      << out;

  // The other member approves from its own account.
  ASSERT_NO_FATAL_FAILURE(approve_as(1, id));
  out = members_output();
  EXPECT_NE(out.find(ledger::to_checksum_hex(newcomer) + "  active"), std::string::npos) << out;
  EXPECT_NE(out.find("quorum: 2"), std::string::npos) << out;
  // The same for automation, with every member's keys.
  out.clear();
  ASSERT_EQ(ctl({"ledger", "members", "--config", config, "--json"}, &out), 0) << out;
  auto doc = fhir::parse_json(out);
  ASSERT_TRUE(doc.ok()) << out;
  EXPECT_EQ(doc->find("quorum")->text(), "2") << out;
  EXPECT_TRUE(doc->find("emergency_access")->is_bool()) << out;
  bool listed = false;
  for (const fhir::JsonValue& m : doc->find("members")->items()) {
    if (m.find("account")->text() != ledger::to_checksum_hex(newcomer)) continue;
    listed = true;
    EXPECT_EQ(m.find("status")->text(), "active");
    EXPECT_EQ(m.find("tls_fingerprint")->text(), std::string(64, '2'));
    EXPECT_EQ(m.find("signing_key_hash")->text(), std::string(64, '3'));
  }
  EXPECT_TRUE(listed) << out;

  // The other member proposes suspending the newcomer; the gateway's approval executes it.
  const std::string suspend_id = send_as(1, cs::propose_suspend(newcomer));
  ASSERT_FALSE(suspend_id.empty());
  out.clear();
  ASSERT_EQ(ctl({"ledger", "approve", "--config", config, "--proposal", suspend_id}, &out), 0)
      << out;
  EXPECT_NE(out.find("proposal " + suspend_id + " executed"), std::string::npos) << out;
  EXPECT_NE(out.find("member suspended: " + ledger::to_checksum_hex(newcomer)), std::string::npos)
      << out;
  // Approving twice is refused by the registry, and gatewayctl says why.
  out.clear();
  EXPECT_EQ(ctl({"ledger", "approve", "--config", config, "--proposal", suspend_id}, &out), 1);
  EXPECT_NE(out.find("ProposalClosed"), std::string::npos) << out;

  // An approval sent before its proposal exists fails; the operator finds it
  // with `ledger outbox`, requeues it with `ledger retry` once the proposal is
  // there, and gatewayd's submitter sends it: the reinstatement executes.
  const std::string next_id = std::to_string(std::stoull(suspend_id) + 1);
  out.clear();
  EXPECT_EQ(ctl({"ledger", "approve", "--config", config, "--proposal", next_id}, &out), 1);
  EXPECT_NE(out.find("UnknownProposal(" + next_id + ")"), std::string::npos) << out;
  out.clear();
  ASSERT_EQ(ctl({"ledger", "outbox", "--config", config, "--state", "failed", "--kind", "call",
                 "--limit", "1"},
                &out),
            0)
      << out;
  const size_t row = out.find('\n') + 1;  // under the header: the newest failed call
  ASSERT_NE(out.find("UnknownProposal(" + next_id + ")", row), std::string::npos) << out;
  EXPECT_EQ(out.find("ProposalClosed"), std::string::npos) << "--limit 1\n" << out;
  const std::string failed_seq = out.substr(row, out.find(' ', row) - row);
  out.clear();
  EXPECT_EQ(ctl({"ledger", "retry", "--config", config, "--item", "1"}, &out), 1);
  EXPECT_NE(out.find("item 1 is done, not failed"), std::string::npos) << out;

  EXPECT_EQ(send_as(1, cs::propose_reinstate(newcomer)), next_id);
  out.clear();
  ASSERT_EQ(ctl({"ledger", "retry", "--config", config, "--item", failed_seq}, &out), 0) << out;
  EXPECT_NE(out.find("requeued 1 failed item"), std::string::npos) << out;
  if (gw::Status started = gw_->start(); !started.ok()) FAIL() << started.message();
  bool reinstated = false;
  for (auto until = std::chrono::steady_clock::now() + 30s;
       !reinstated && std::chrono::steady_clock::now() < until;
       std::this_thread::sleep_for(200ms)) {
    out = members_output();
    reinstated = out.find(ledger::to_checksum_hex(newcomer) + "  active") != std::string::npos;
  }
  EXPECT_TRUE(reinstated) << out << gw_->output();
  out.clear();
  ASSERT_EQ(ctl({"ledger", "outbox", "--config", config, "--state", "failed"}, &out), 0);
  EXPECT_EQ(out.find("UnknownProposal"), std::string::npos) << "requeued and sent\n" << out;
}

// Policy, keys and quorum: a consortium of the gateway and two members with a
// quorum of two. gatewayctl proposes emergency access and a member's new keys
// (each executed by one more approval), approves another member's quorum
// proposal, and refuses bad values before anything is signed.
TEST_F(LedgerGovernance, GatewayctlChangesPolicyKeysAndQuorumWithApprovals) {
  ASSERT_NO_FATAL_FAILURE(deploy_consortium({1, 2}, 2));
  const std::string config = gw_->config_path();
  std::string out = members_output();
  EXPECT_NE(out.find("emergency access: off"), std::string::npos) << out;

  // Emergency access: proposed by the gateway, executed by member 1's approval.
  out.clear();
  ASSERT_EQ(ctl({"ledger", "propose-policy", "--config", config, "--emergency-access", "on"}, &out),
            0)
      << out;
  const std::string policy_id = proposal_id_in(out);
  ASSERT_FALSE(policy_id.empty()) << out;
  EXPECT_NE(members_output().find("emergency access: off"), std::string::npos)
      << "one approval of two changes nothing";
  ASSERT_NO_FATAL_FAILURE(approve_as(1, policy_id));
  EXPECT_NE(members_output().find("emergency access: on"), std::string::npos);
  auto policy =
      eth_->call({.to = deployment_.contracts.registry, .data = cs::policy()}, ledger::BlockRef{});
  ASSERT_TRUE(policy) << policy.error().describe();
  auto bits = cs::decode_uint256(*policy);
  ASSERT_TRUE(bits);
  EXPECT_EQ(*bits, ledger::Uint256::from_u64(cs::kPolicyEmergencyAccess));
  out.clear();
  EXPECT_EQ(ctl({"ledger", "propose-policy", "--config", config, "--emergency-access", "on"}, &out),
            0);
  EXPECT_NE(out.find("already on: nothing proposed"), std::string::npos) << out;

  // Member 2's new keys: proposed by the gateway from member 2's new entry.
  const ledger::Address m2 = AnvilProcess::dev_address(2);
  const std::string rekey_file = dir_.path() + "/rekey.json";
  std::ofstream(rekey_file) << "[" << member_json(m2, 12, '7') << "]";
  out.clear();
  ASSERT_EQ(ctl({"ledger", "propose-rekey", "--config", config, "--member", rekey_file}, &out), 0)
      << out;
  const std::string rekey_id = proposal_id_in(out);
  ASSERT_FALSE(rekey_id.empty()) << out;
  ASSERT_NO_FATAL_FAILURE(approve_as(2, rekey_id));
  auto got = eth_->call({.to = deployment_.contracts.registry, .data = cs::get_member(m2)},
                        ledger::BlockRef{});
  ASSERT_TRUE(got) << got.error().describe();
  auto m = cs::decode_member(*got);
  ASSERT_TRUE(m) << m.error().message();
  EXPECT_EQ(ledger::to_hex(m->info.encryption_key), std::string(64, '7'));
  EXPECT_EQ(ledger::to_hex(m->info.tls_fingerprint), std::string(64, '8'));
  EXPECT_EQ(ledger::to_hex(m->info.signing_key_hash), std::string(64, '9'));
  EXPECT_EQ(m->info.org_id, "urn:oid:2.16.840.1.113883.3.9999.12") << "only the keys change";

  // A quorum of three: proposed by member 1, executed by the gateway's approval.
  const std::string quorum_id = send_as(1, cs::propose_quorum(3));
  ASSERT_FALSE(quorum_id.empty());
  out.clear();
  ASSERT_EQ(ctl({"ledger", "approve", "--config", config, "--proposal", quorum_id}, &out), 0)
      << out;
  EXPECT_NE(out.find("quorum changed: 3"), std::string::npos) << out;
  EXPECT_NE(out.find("proposal " + quorum_id + " executed"), std::string::npos) << out;
  EXPECT_NE(members_output().find("quorum: 3 (a proposal needs 3 approvals)"), std::string::npos);

  // Bad values: refused by gatewayctl before signing, or by the registry (named).
  out.clear();
  EXPECT_EQ(ctl({"ledger", "propose-quorum", "--config", config, "--quorum", "many"}, &out), 1);
  EXPECT_NE(out.find("--quorum: expected a number"), std::string::npos) << out;
  out.clear();
  EXPECT_EQ(
      ctl({"ledger", "propose-policy", "--config", config, "--emergency-access", "yes"}, &out), 1);
  EXPECT_NE(out.find("--emergency-access: expected on or off"), std::string::npos) << out;
  out.clear();
  EXPECT_EQ(ctl({"ledger", "propose-quorum", "--config", config, "--quorum", "4"}, &out), 1);
  EXPECT_NE(out.find("InvalidQuorum(4, 3)"), std::string::npos) << out;
}

// A member registered a patient it does not treat (every member can compute
// every token) and set a patient key it controls. The gateway proposes itself
// as custodian; a second approval executes the decision and gatewayctl
// applies it: custody moves, the squatter's key is cleared. When the
// gateway's approval is the one that executes a decision, approve applies it
// by itself.
TEST_F(LedgerGovernance, AQuorumMovesTheCustodyOfASquattedPatient) {
  ASSERT_NO_FATAL_FAILURE(deploy_consortium({1, 2}, 2));
  const std::string config = gw_->config_path();
  const ledger::Address squatter = AnvilProcess::dev_address(2);
  ledger::Hash256 token{};
  token.fill(0x7a);
  const std::string token_hex = "0x" + ledger::to_hex(token);
  auto patient = [&](const ledger::Hash256& t) {
    auto r = eth_->call({.to = deployment_.contracts.consents, .data = cs::get_patient(t)},
                        ledger::BlockRef{});
    EXPECT_TRUE(r) << r.error().describe();
    auto p =
        r ? cs::decode_patient(*r) : gw::Result<cs::PatientState>(invalid_argument_error("call"));
    EXPECT_TRUE(p) << p.error().message();
    return p ? *p : cs::PatientState{};
  };
  send_as(2, cs::register_patient(token, AnvilProcess::dev_address(5)),
          deployment_.contracts.consents);
  ASSERT_EQ(patient(token).custodian, squatter);

  std::string out;
  EXPECT_EQ(ctl({"ledger", "propose-custody", "--config", config, "--patient", "0x7a7a",
                 "--custodian", ledger::to_checksum_hex(address_)},
                &out),
            1);
  EXPECT_NE(out.find("--patient: expected the patient token"), std::string::npos) << out;
  out.clear();
  ASSERT_EQ(ctl({"ledger", "propose-custody", "--config", config, "--patient", token_hex,
                 "--custodian", ledger::to_checksum_hex(address_)},
                &out),
            0)
      << out;
  const std::string id = proposal_id_in(out);
  ASSERT_FALSE(id.empty()) << out;
  EXPECT_EQ(out.find("custody decided"), std::string::npos) << "one approval of two\n" << out;
  out.clear();
  EXPECT_EQ(ctl({"ledger", "apply-custody", "--config", config, "--proposal", id}, &out), 1);
  EXPECT_NE(out.find("NotACustodyDecision(" + id + ")"), std::string::npos) << out;

  ASSERT_NO_FATAL_FAILURE(approve_as(1, id));  // executes; member 1's library does not apply it
  EXPECT_EQ(patient(token).custodian, squatter);
  out.clear();
  ASSERT_EQ(ctl({"ledger", "apply-custody", "--config", config, "--proposal", id}, &out), 0) << out;
  EXPECT_NE(
      out.find("custody of patient " + token_hex + " moved from " +
               ledger::to_checksum_hex(squatter) + " to " + ledger::to_checksum_hex(address_)),
      std::string::npos)
      << out;
  EXPECT_NE(out.find("patient key cleared"), std::string::npos) << out;
  cs::PatientState now = patient(token);
  EXPECT_EQ(now.custodian, address_);
  EXPECT_EQ(now.patient_key, ledger::Address{});
  out.clear();
  EXPECT_EQ(ctl({"ledger", "apply-custody", "--config", config, "--proposal", id}, &out), 1);
  EXPECT_NE(out.find("DecisionApplied(" + id + ")"), std::string::npos) << out;

  // Member 1 proposes itself for a patient nobody registered; the gateway's
  // approval executes the decision and applies it in the same command.
  ledger::Hash256 fresh{};
  fresh.fill(0x3c);
  const std::string second = send_as(1, cs::propose_custody(fresh, AnvilProcess::dev_address(1)));
  ASSERT_FALSE(second.empty());
  out.clear();
  ASSERT_EQ(ctl({"ledger", "approve", "--config", config, "--proposal", second}, &out), 0) << out;
  EXPECT_NE(out.find("custody decided: patient 0x" + ledger::to_hex(fresh)), std::string::npos)
      << out;
  EXPECT_NE(out.find("moved from " + ledger::to_checksum_hex(ledger::Address{}) + " to " +
                     ledger::to_checksum_hex(AnvilProcess::dev_address(1))),
            std::string::npos)
      << out;
  EXPECT_EQ(patient(fresh).custodian, AnvilProcess::dev_address(1));
}

// The gateway rotates its own payload key: gatewayctl tpm rotate-payload-key
// makes generation 2, member-entry prints it, propose-rekey with that entry
// and a second approval put it in the registry. --encryption-key is refused.
TEST_F(LedgerGovernance, TheGatewaysPayloadKeyRotatesThroughProposeRekey) {
  ASSERT_NO_FATAL_FAILURE(deploy_consortium({1}, 2));
  const std::string config = gw_->config_path();
  auto registered = [&]() -> std::string {
    auto got = eth_->call({.to = deployment_.contracts.registry, .data = cs::get_member(address_)},
                          ledger::BlockRef{});
    EXPECT_TRUE(got) << got.error().describe();
    if (!got) return "";
    auto m = cs::decode_member(*got);
    EXPECT_TRUE(m) << m.error().message();
    return m ? ledger::to_hex(m->info.encryption_key) : "";
  };
  ASSERT_EQ(registered(), std::string(64, '1')) << "the founders file's key";

  std::string out;
  ASSERT_EQ(ctl({"tpm", "rotate-payload-key", "--config", config}, &out), 0) << out;
  const std::string line = "payload public key (X25519, generation 2): ";
  const size_t at = out.find(line);
  ASSERT_NE(at, std::string::npos) << out;
  const std::string second = out.substr(at + line.size(), 64);
  EXPECT_NE(second, payload_key_hex_);
  EXPECT_NE(out.find("ledger propose-rekey"), std::string::npos) << out;

  const std::vector<std::string> entry = {"ledger",
                                          "member-entry",
                                          "--config",
                                          config,
                                          "--org-id",
                                          "urn:oid:2.16.840.1.113883.3.9999.1",
                                          "--name",
                                          "Hospital 1",
                                          "--tls-fingerprint",
                                          std::string(64, '2')};
  std::vector<std::string> with_key = entry;
  with_key.insert(with_key.end(), {"--encryption-key", std::string(64, '7')});
  out.clear();
  EXPECT_EQ(ctl(with_key, &out), 1);
  EXPECT_NE(out.find("the X25519 payload key now comes from the key store"), std::string::npos)
      << out;

  out.clear();
  ASSERT_EQ(ctl(entry, &out), 0) << out;
  EXPECT_NE(out.find("\"encryption_key\": \"" + second + "\""), std::string::npos) << out;
  const std::string rekey_file = dir_.path() + "/rekey.json";
  std::ofstream(rekey_file) << out;
  out.clear();
  ASSERT_EQ(ctl({"ledger", "propose-rekey", "--config", config, "--member", rekey_file}, &out), 0)
      << out;
  const std::string id = proposal_id_in(out);
  ASSERT_FALSE(id.empty()) << out;
  EXPECT_EQ(registered(), std::string(64, '1')) << "one approval of two changes nothing";
  ASSERT_NO_FATAL_FAILURE(approve_as(1, id));
  EXPECT_EQ(registered(), second);
}

}  // namespace
}  // namespace gw::testing
