// test-needs: anvil
// The consortium end to end on a real anvil: contracts deployed from C++,
// governance by quorum, consent grant / revoke / expiry, transfers permitted,
// denied and emergency-flagged, idempotent retries, events read back.
#include <gtest/gtest.h>

#include <set>

#include "ledger-client/consortium/consent_registry.h"
#include "ledger-client/consortium/events.h"
#include "ledger-client/consortium/scope.h"
#include "ledger-client/outbox/consortium_fixture.h"

namespace gw::ledger {
namespace {

using consortium::Purpose;
using testing::ConsortiumFixture;
using testing::dev_address;

class ConsortiumE2E : public ::testing::Test, public ConsortiumFixture {
 protected:
  void SetUp() override {
    start_anvil();
    deploy();
  }
  Hash256 token(uint8_t n) {
    Hash256 t{};
    t.fill(0xa0);
    t[31] = n;
    return t;
  }
  uint64_t now_on_chain() {
    auto b = eth_->block(BlockRef{});
    EXPECT_TRUE(b && b->has_value());
    return b && b->has_value() ? (*b)->timestamp : 0;
  }
  void rpc(const char* method, const std::string& params) {
    auto r = rpc_->call(method, params);
    ASSERT_TRUE(r) << method << ": " << r.error().describe();
  }
  consortium::ConsentCheck check(const Hash256& t, int grantee, Purpose p, uint64_t categories,
                                 uint64_t labels = 0) {
    auto r = consortium::decode_check(view(
        contracts_.consents, consortium::check(t, dev_address(grantee), p, categories, labels)));
    EXPECT_TRUE(r) << r.error().message();
    return r ? *r : consortium::ConsentCheck{};
  }
  consortium::GrantInput grant(const Hash256& t, int grantee, Purpose p) {
    consortium::GrantInput g;
    g.patient_token = t;
    g.grantee = dev_address(grantee);
    g.purpose = p;
    g.categories = consortium::category_bit(consortium::Category::kLaboratory) |
                   consortium::category_bit(consortium::Category::kConditions);
    g.consent_hash.fill(0xc5);
    return g;
  }
  // Registers `t` with member 0 as custodian and grants each of `grants`.
  void register_and_grant(const Hash256& t, std::vector<consortium::GrantInput> grants) {
    auto reg = call(0, contracts_.consents, consortium::register_patient(t, Address{}));
    ASSERT_EQ(reg.state, ItemState::kDone) << reg.outcome;
    if (grants.empty()) return;
    auto seqs = member(0).submitter->enqueue_grants(grants);
    ASSERT_TRUE(seqs) << seqs.error().message();
    auto st = member(0).submitter->drain(std::chrono::seconds(30));
    ASSERT_TRUE(st.ok()) << st.message();
    for (int64_t seq : *seqs) {
      auto it = member(0).store->item(seq);
      ASSERT_TRUE(it && it->has_value());
      EXPECT_EQ((*it)->state, ItemState::kDone) << (*it)->outcome;
    }
  }
  bool is_active(int i) {
    auto r =
        consortium::decode_bool(view(contracts_.registry, consortium::is_active(dev_address(i))));
    EXPECT_TRUE(r);
    return r && *r;
  }
  // The events of the receipt of the transaction that carried `item`.
  std::vector<consortium::Event> events_of(const OutboxItem& item) {
    std::vector<consortium::Event> out;
    if (!item.tx_hash) return out;
    auto r = eth_->transaction_receipt(*item.tx_hash);
    EXPECT_TRUE(r && r->has_value());
    if (!r || !r->has_value()) return out;
    for (const Log& log : (*r)->logs) {
      auto ev = consortium::decode_event(log.topics, log.data);
      EXPECT_TRUE(ev) << ev.error().message();
      if (ev && ev->has_value()) out.push_back(**ev);
    }
    return out;
  }
  // Member `proposer` proposes with `data`; returns the proposal id from ProposalCreated.
  Uint256 propose(int proposer, std::vector<uint8_t> data) {
    auto item = call(proposer, contracts_.registry, std::move(data));
    EXPECT_EQ(item.state, ItemState::kDone) << item.outcome;
    for (const auto& ev : events_of(item)) {
      if (auto* p = std::get_if<consortium::ProposalCreated>(&ev)) return p->proposal_id;
    }
    ADD_FAILURE() << "no ProposalCreated event";
    return Uint256();
  }
  void enable_emergency_access() {
    Uint256 id = propose(
        0, consortium::propose_policy(Uint256::from_u64(consortium::kPolicyEmergencyAccess)));
    auto approved = call(1, contracts_.registry, consortium::approve(id));
    ASSERT_EQ(approved.state, ItemState::kDone) << approved.outcome;
  }
  consortium::TransferInput transfer(uint64_t id, const Hash256& t, int to, Purpose p,
                                     uint8_t flags = 0) {
    consortium::TransferInput x;
    x.id = Uint256::from_u64(id);
    x.to = dev_address(to);
    x.patient_token = t;
    x.commitment.fill(static_cast<uint8_t>(id));
    x.purpose = p;
    x.flags = flags;
    return x;
  }
  OutboxItem item(int member_index, int64_t seq) {
    auto it = member(member_index).store->item(seq);
    EXPECT_TRUE(it && it->has_value());
    return it && it->has_value() ? **it : OutboxItem{};
  }
};

TEST_F(ConsortiumE2E, DeployedCodeIsTheEmbeddedCodeAndRedeployIsIdempotent) {
  EXPECT_TRUE(verify_consortium(*eth_, contracts_).ok());
  ContractAddresses swapped = contracts_;
  std::swap(swapped.consents, swapped.transfers);
  auto st = verify_consortium(*eth_, swapped);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("ConsentRegistry"), std::string::npos) << st.message();
  // Running the deployment again from the same outbox makes nothing new.
  DeployOptions d;
  for (int i = 0; i < 3; ++i) d.founders.push_back(testing::member_info(dev_address(i), i));
  d.quorum = 2;
  auto before = eth_->transaction_count(dev_address(0), BlockRef{});
  auto again = deploy_consortium(*member(0).submitter, *member(0).store, *eth_, d);
  ASSERT_TRUE(again) << again.error().message();
  EXPECT_EQ(again->registry, contracts_.registry);
  EXPECT_EQ(again->tokens, contracts_.tokens);
  EXPECT_EQ(*eth_->transaction_count(dev_address(0), BlockRef{}), *before);
}

TEST_F(ConsortiumE2E, GovernanceAddsAMemberOnlyWithAQuorum) {
  EXPECT_TRUE(is_active(0));
  EXPECT_FALSE(is_active(3));
  Uint256 id = propose(0, *consortium::propose_add(testing::member_info(dev_address(3), 3)));
  EXPECT_FALSE(is_active(3)) << "one approval of a quorum of two must not add a member";
  // A non-member cannot approve: the call fails with the contract's reason.
  auto outsider = call(3, contracts_.registry, consortium::approve(id));
  EXPECT_EQ(outsider.state, ItemState::kFailed);
  EXPECT_NE(outsider.outcome.find("NotActiveMember"), std::string::npos) << outsider.outcome;
  auto approved = call(1, contracts_.registry, consortium::approve(id));
  ASSERT_EQ(approved.state, ItemState::kDone) << approved.outcome;
  EXPECT_TRUE(is_active(3));
  bool executed = false, added = false;
  for (const auto& ev : events_of(approved)) {
    if (auto* e = std::get_if<consortium::ProposalExecuted>(&ev)) executed = e->proposal_id == id;
    if (auto* m = std::get_if<consortium::MemberAdded>(&ev)) {
      added = m->account == dev_address(3) && m->org_id == "urn:oid:2.16.840.1.113883.3.9999.3";
    }
  }
  EXPECT_TRUE(executed);
  EXPECT_TRUE(added);
}

TEST_F(ConsortiumE2E, ConsentGrantRevokeAndExpiry) {
  const uint64_t lab = consortium::category_bit(consortium::Category::kLaboratory);
  Hash256 p = token(1);
  EXPECT_EQ(check(p, 1, Purpose::kTreat, lab).decision, consortium::Decision::kNoConsent);
  register_and_grant(p, {grant(p, 1, Purpose::kTreat)});
  EXPECT_EQ(check(p, 1, Purpose::kTreat, lab).decision, consortium::Decision::kPermit);
  EXPECT_EQ(check(p, 2, Purpose::kTreat, lab).decision, consortium::Decision::kNoConsent);
  EXPECT_EQ(check(p, 1, Purpose::kHresch, lab).decision, consortium::Decision::kNoConsent);
  Hash256 consent_hash;
  consent_hash.fill(0xc6);
  auto revoked = call(0, contracts_.consents,
                      consortium::revoke(p, dev_address(1), Purpose::kTreat, consent_hash));
  ASSERT_EQ(revoked.state, ItemState::kDone) << revoked.outcome;
  EXPECT_EQ(check(p, 1, Purpose::kTreat, lab).decision, consortium::Decision::kRevoked);

  // A grant valid for 100 seconds expires when the chain's clock passes it.
  Hash256 q = token(2);
  auto g = grant(q, 2, Purpose::kTreat);
  g.valid_until = now_on_chain() + 100;
  register_and_grant(q, {g});
  EXPECT_EQ(check(q, 2, Purpose::kTreat, lab).decision, consortium::Decision::kPermit);
  rpc("evm_increaseTime", "[200]");
  rpc("evm_mine", "[]");
  EXPECT_EQ(check(q, 2, Purpose::kTreat, lab).decision, consortium::Decision::kExpired);
  // Only the custodian writes a patient's consent.
  auto foreign = call(1, contracts_.consents,
                      consortium::revoke(q, dev_address(2), Purpose::kTreat, consent_hash));
  EXPECT_EQ(foreign.state, ItemState::kFailed);
  EXPECT_NE(foreign.outcome.find("NotAuthorized"), std::string::npos) << foreign.outcome;
}

TEST_F(ConsortiumE2E, TransfersPermittedDeniedRevokedAndEmergencyInOneBatch) {
  Hash256 consented = token(1), unconsented = token(2), revoked = token(3);
  register_and_grant(consented, {grant(consented, 1, Purpose::kTreat)});
  register_and_grant(unconsented, {});
  register_and_grant(revoked, {grant(revoked, 1, Purpose::kTreat)});
  Hash256 h;
  h.fill(0xc7);
  ASSERT_EQ(
      call(0, contracts_.consents, consortium::revoke(revoked, dev_address(1), Purpose::kTreat, h))
          .state,
      ItemState::kDone);
  enable_emergency_access();

  std::vector<consortium::TransferInput> batch = {
      transfer(1, consented, 1, Purpose::kTreat),
      transfer(2, unconsented, 1, Purpose::kTreat),
      transfer(3, revoked, 1, Purpose::kTreat),
      transfer(4, unconsented, 1, Purpose::kEtreat),
  };
  auto seqs = member(0).submitter->enqueue_transfers(batch);
  ASSERT_TRUE(seqs) << seqs.error().message();
  ASSERT_TRUE(member(0).submitter->drain(std::chrono::seconds(30)).ok());
  OutboxItem permitted = item(0, (*seqs)[0]), denied = item(0, (*seqs)[1]),
             after_revoke = item(0, (*seqs)[2]), emergency = item(0, (*seqs)[3]);
  EXPECT_EQ(permitted.state, ItemState::kDone) << permitted.outcome;
  EXPECT_EQ(denied.state, ItemState::kRefused);
  EXPECT_EQ(denied.outcome, "refused: NO_CONSENT");
  EXPECT_EQ(after_revoke.state, ItemState::kRefused);
  EXPECT_EQ(after_revoke.outcome, "refused: REVOKED");
  EXPECT_EQ(emergency.state, ItemState::kDone);
  EXPECT_EQ(emergency.outcome, "recorded (emergency)");
  EXPECT_EQ(permitted.tx_hash, emergency.tx_hash) << "one batch, one transaction";

  std::map<uint64_t, uint8_t> recorded;
  std::set<uint64_t> refused;
  for (const auto& ev : events_of(permitted)) {
    if (auto* r = std::get_if<consortium::TransferRecorded>(&ev)) {
      recorded[*r->transfer_id.to_u64()] = r->flags;
    }
    if (auto* f = std::get_if<consortium::TransferRefused>(&ev))
      refused.insert(*f->transfer_id.to_u64());
  }
  EXPECT_EQ(recorded.size(), 2u);
  EXPECT_EQ(recorded[1], 0);
  EXPECT_EQ(recorded[4] & consortium::kFlagEmergency, consortium::kFlagEmergency);
  EXPECT_EQ(refused, (std::set<uint64_t>{2, 3}));
  auto on_chain = consortium::decode_bool(
      view(contracts_.transfers, consortium::is_recorded(dev_address(0), Uint256::from_u64(1))));
  EXPECT_TRUE(on_chain && *on_chain);
  auto not_on_chain = consortium::decode_bool(
      view(contracts_.transfers, consortium::is_recorded(dev_address(0), Uint256::from_u64(2))));
  EXPECT_TRUE(not_on_chain && !*not_on_chain);
}

TEST_F(ConsortiumE2E, RetriedTransfersAreRecordedOnce) {
  Hash256 p = token(1);
  register_and_grant(p, {grant(p, 1, Purpose::kTreat)});
  std::vector<consortium::TransferInput> ts = {transfer(7, p, 1, Purpose::kTreat)};
  auto first = member(0).submitter->enqueue_transfers(ts);
  ASSERT_TRUE(first);
  ASSERT_TRUE(member(0).submitter->drain(std::chrono::seconds(30)).ok());
  // The same id enqueued again is the same item: no second transaction.
  auto nonce = eth_->transaction_count(dev_address(0), BlockRef{});
  auto again = member(0).submitter->enqueue_transfers(ts);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->front(), first->front());
  ASSERT_TRUE(member(0).submitter->drain(std::chrono::seconds(30)).ok());
  EXPECT_EQ(*eth_->transaction_count(dev_address(0), BlockRef{}), *nonce);
  // A gateway that lost its outbox and sends the id again: on chain it is a no-op.
  auto store = OutboxStore::open(dir_.path() + "/replacement-outbox.db");
  ASSERT_TRUE(store);
  SubmitterOptions o;
  o.contracts = contracts_;
  Submitter fresh(**store, *eth_, *member(0).signer, o);
  ASSERT_TRUE(fresh.start().ok());
  auto seq = fresh.enqueue_transfers(ts);
  ASSERT_TRUE(seq);
  ASSERT_TRUE(fresh.drain(std::chrono::seconds(30)).ok());
  auto it = (*store)->item(seq->front());
  ASSERT_TRUE(it && it->has_value());
  EXPECT_EQ((*it)->state, ItemState::kDone);
  EXPECT_EQ((*it)->outcome, "already recorded");
  int events = 0;
  for (const Log& log : logs_of(contracts_.transfers)) {
    auto ev = consortium::decode_event(log.topics, log.data);
    ASSERT_TRUE(ev && ev->has_value());
    if (auto* r = std::get_if<consortium::TransferRecorded>(&**ev))
      events += r->transfer_id == ts[0].id;
  }
  EXPECT_EQ(events, 1);
}

TEST_F(ConsortiumE2E, AnchorsBatchAndABadOneFailsAlone) {
  std::vector<consortium::AnchorInput> anchors;
  for (uint8_t i = 1; i <= 3; ++i) {
    consortium::AnchorInput a;
    a.kind = consortium::AnchorKind::kRecordBatch;
    a.root.fill(i);
    a.first_seq = i * 10;
    a.last_seq = i * 10 + 9;
    a.signature.assign(72, 0x30);
    anchors.push_back(a);
  }
  anchors[1].signature.clear();  // the contract refuses an anchor without a signature
  auto seqs = member(0).submitter->enqueue_anchors(anchors);
  ASSERT_TRUE(seqs) << seqs.error().message();
  ASSERT_TRUE(member(0).submitter->drain(std::chrono::seconds(30)).ok());
  EXPECT_EQ(item(0, (*seqs)[0]).state, ItemState::kDone);
  EXPECT_EQ(item(0, (*seqs)[2]).state, ItemState::kDone);
  OutboxItem bad = item(0, (*seqs)[1]);
  EXPECT_EQ(bad.state, ItemState::kFailed);
  EXPECT_NE(bad.outcome.find("InvalidAnchor"), std::string::npos) << bad.outcome;
  EXPECT_NE(bad.outcome.find("signature"), std::string::npos) << bad.outcome;
  // Isolated by halving, it reverted alone: index 0 of its own estimate.
  EXPECT_EQ(bad.outcome, "reverts: InvalidAnchor(0, \"signature\")");
}

TEST_F(ConsortiumE2E, TransfersOfANonMemberWaitUntilGovernanceAddsIt) {
  Hash256 p = token(1);
  register_and_grant(p, {});
  std::vector<consortium::TransferInput> ts = {transfer(1, p, 0, Purpose::kTreat)};
  auto seq = member(3).submitter->enqueue_transfers(ts);
  ASSERT_TRUE(seq);
  auto step = member(3).submitter->step();
  ASSERT_FALSE(step);
  EXPECT_NE(step.error().message().find("not an active consortium member"), std::string::npos)
      << step.error().message();
  EXPECT_EQ(item(3, seq->front()).state, ItemState::kQueued);
  Uint256 id = propose(0, *consortium::propose_add(testing::member_info(dev_address(3), 3)));
  ASSERT_EQ(call(2, contracts_.registry, consortium::approve(id)).state, ItemState::kDone);
  ASSERT_TRUE(member(3).submitter->drain(std::chrono::seconds(30)).ok());
  OutboxItem done = item(3, seq->front());
  EXPECT_EQ(done.state, ItemState::kRefused);  // member 0 holds no consent for member 3's record...
  EXPECT_EQ(done.outcome, "refused: NO_CONSENT");  // ...and the contract says so
}

TEST_F(ConsortiumE2E, EveryLogOfEveryContractDecodes) {
  Hash256 p = token(1);
  register_and_grant(p, {grant(p, 1, Purpose::kTreat)});
  std::vector<consortium::TransferInput> ts = {transfer(1, p, 1, Purpose::kTreat)};
  ASSERT_TRUE(member(0).submitter->enqueue_transfers(ts));
  ASSERT_TRUE(member(0).submitter->drain(std::chrono::seconds(30)).ok());
  std::multiset<std::string> names;
  for (const Address& a : {contracts_.registry, contracts_.consents, contracts_.transfers,
                           contracts_.anchors, contracts_.tokens}) {
    for (const Log& log : logs_of(a)) {
      EXPECT_FALSE(log.removed);
      auto ev = consortium::decode_event(log.topics, log.data);
      ASSERT_TRUE(ev) << ev.error().message();
      ASSERT_TRUE(ev->has_value()) << "a log of ours that decode_event does not know";
      names.insert(std::string(consortium::event_name(**ev)));
    }
  }
  EXPECT_EQ(names.count("MemberAdded"), 3u);  // the founders
  EXPECT_EQ(names.count("PatientRegistered"), 1u);
  EXPECT_EQ(names.count("ConsentGranted"), 1u);
  EXPECT_EQ(names.count("TransferRecorded"), 1u);
}

}  // namespace
}  // namespace gw::ledger
