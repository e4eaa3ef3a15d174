// test-needs: anvil
// The consortium view against a real anvil and the real contracts: after each
// step of a table of grants, revocations, denies and governance changes, the
// view's check equals ConsentRegistry.check by eth_call at the block the view
// has applied, and its members equal getMember; only final blocks are
// visible; a restart resumes from the persisted cursor and answers while the
// node is away.
#include <gtest/gtest.h>

#include "gateway/consortium/view_test_fixture.h"

namespace gw::consortium::testing {
namespace {

class ConsortiumViewTest : public ViewOnAnvil {
 protected:
  // Every (token, grantee, purpose) of the table, checked by the view and by
  // the contract at the block the view has applied, and every member.
  void expect_view_equals_chain(ConsortiumView& v, const std::string& step) {
    SCOPED_TRACE(step);
    ASSERT_TRUE(v.poll_once().ok()) << v.status().last_error;
    const uint64_t block = v.status().applied_block;
    auto header = eth_->block(BlockRef::at(block));
    ASSERT_TRUE(header && header->has_value());
    const uint64_t now_s = (*header)->timestamp;
    const BlockRef at = BlockRef::at(block);

    auto emergency = cs::decode_bool(
        *eth_->call(call_to(contracts_.registry, cs::emergency_access_enabled()), at));
    ASSERT_TRUE(emergency);
    EXPECT_EQ(v.emergency_access_enabled(), *emergency);

    struct Case {
      Hash256 t;
      int grantee;
      uint8_t purpose;
    };
    std::vector<Case> cases;
    std::vector<ledger::CallRequest> calls;
    for (uint8_t t : {1, 2, 3}) {
      for (int grantee : {0, 1, 2, 3}) {
        for (uint8_t purpose : {0, 1, 4, 40}) {
          cases.push_back({token(t), grantee, purpose});
          // cs::check takes a Purpose; an unassigned byte is what we test for 40.
          calls.push_back(call_to(
              contracts_.consents,
              cs::check(token(t), dev_address(grantee), static_cast<Purpose>(purpose), 0, 0)));
        }
      }
    }
    auto results = eth_->calls(calls, at);
    ASSERT_EQ(results.size(), cases.size());
    int permits = 0;
    for (size_t i = 0; i < cases.size(); ++i) {
      const Case& c = cases[i];
      SCOPED_TRACE("token " + std::to_string(c.t[31]) + " grantee " + std::to_string(c.grantee) +
                   " purpose " + std::to_string(c.purpose));
      ASSERT_TRUE(results[i]) << results[i].error().describe();
      auto chain = cs::decode_check(*results[i]);
      ASSERT_TRUE(chain) << chain.error().message();
      CheckResult mine = v.check(c.t, dev_address(c.grantee), c.purpose, now_s);
      EXPECT_EQ(cs::decision_name(mine.decision), cs::decision_name(chain->decision));
      EXPECT_EQ(mine.consent_key, chain->consent_key);
      EXPECT_EQ(mine.version, chain->version);
      const bool etreat_rule = *emergency && c.purpose == 1 &&
                               chain->decision != cs::Decision::kPermit &&
                               chain->decision != cs::Decision::kDenied &&
                               chain->decision != cs::Decision::kInvalidPurpose;
      EXPECT_EQ(mine.emergency, etreat_rule);
      if (chain->decision == cs::Decision::kPermit) {
        ++permits;
        EXPECT_EQ(mine.categories, cs::category_bit(cs::Category::kLaboratory));
        EXPECT_EQ(mine.exclusions, 1u << 3);
      }
    }
    std::vector<ledger::CallRequest> member_calls;
    for (int i = 0; i < 4; ++i)
      member_calls.push_back(call_to(contracts_.registry, cs::get_member(dev_address(i))));
    auto members = eth_->calls(member_calls, at);
    for (int i = 0; i < 4; ++i) {
      ASSERT_TRUE(members[i]);
      auto chain = cs::decode_member(*members[i]);
      ASSERT_TRUE(chain);
      auto mine = v.member(dev_address(i));
      if (chain->status == cs::MemberStatus::kNone) {
        EXPECT_FALSE(mine.has_value()) << "member " << i;
        continue;
      }
      ASSERT_TRUE(mine.has_value()) << "member " << i;
      EXPECT_EQ(mine->info, chain->info) << "member " << i;
      EXPECT_EQ(mine->status, chain->status) << "member " << i;
      EXPECT_EQ(v.is_active(dev_address(i)), chain->status == cs::MemberStatus::kActive);
      auto by_fp = v.member_by_tls_fingerprint(chain->info.tls_fingerprint);
      ASSERT_TRUE(by_fp.has_value());
      EXPECT_EQ(by_fp->info.account, dev_address(i));
      auto by_org = v.member_by_org_id(chain->info.org_id);
      ASSERT_TRUE(by_org.has_value());
      EXPECT_EQ(by_org->info.account, dev_address(i));
    }
    last_permits_ = permits;
  }
  int last_permits_ = 0;
};

TEST_F(ConsortiumViewTest, CheckEqualsTheContractAfterEachStep) {
  auto v = open_view(0);
  ASSERT_TRUE(v);
  expect_view_equals_chain(*v, "deployed");
  EXPECT_EQ(v->members().size(), 3u);
  EXPECT_EQ(v->quorum(), 2);

  const Hash256 p1 = token(1), p2 = token(2);
  done(call(0, contracts_.consents, cs::register_patient(p1, ledger::Address{})));
  done(call(0, contracts_.consents, cs::register_patient(p2, ledger::Address{})));
  grant_now(grant(p1, 1, Purpose::kTreat));
  grant_now(grant(p1, 1, Purpose::kEtreat));
  auto later = grant(p1, 2, Purpose::kHresch);
  later.valid_from = now_on_chain() + 1000;
  grant_now(later);
  auto short_lived = grant(p2, 1, Purpose::kTreat);
  short_lived.valid_until = now_on_chain() + 100;
  grant_now(short_lived);
  expect_view_equals_chain(*v, "granted");
  EXPECT_EQ(last_permits_, 3);
  EXPECT_EQ(v->custodian(p1), dev_address(0));
  EXPECT_FALSE(v->custodian(token(3)).has_value());

  ASSERT_TRUE(ledger::testing::increase_time(*rpc_, 200).ok());
  ASSERT_TRUE(ledger::testing::mine(*rpc_).ok());
  expect_view_equals_chain(*v, "expired");

  Hash256 revocation;
  revocation.fill(0xd1);
  done(call(0, contracts_.consents, cs::revoke(p1, dev_address(1), Purpose::kTreat, revocation)));
  expect_view_equals_chain(*v, "revoked");
  grant_now(grant(p1, 1, Purpose::kTreat));
  expect_view_equals_chain(*v, "granted again (version 2)");

  const uint32_t treat = cs::purpose_bit(Purpose::kTreat) | cs::purpose_bit(Purpose::kEtreat);
  done(call(0, contracts_.consents, cs::set_deny(p1, dev_address(1), treat, true, revocation)));
  expect_view_equals_chain(*v, "member deny");
  grant_now(grant(p1, 1, Purpose::kTreat));  // a grant never lifts a deny
  expect_view_equals_chain(*v, "grant under a deny");
  done(call(0, contracts_.consents,
            cs::set_deny(p2, ledger::Address{},
                         cs::purpose_bit(Purpose::kTreat) | cs::purpose_bit(Purpose::kHresch), true,
                         revocation)));
  done(call(0, contracts_.consents, cs::set_deny(p1, dev_address(1), treat, false, revocation)));
  expect_view_equals_chain(*v, "all-member deny, member deny lifted");
  done(call(
      0, contracts_.consents,
      cs::set_deny(p2, ledger::Address{}, cs::purpose_bit(Purpose::kHresch), false, revocation)));
  expect_view_equals_chain(*v, "all-member deny partly lifted");

  govern(0, 1, *cs::propose_add(ledger::testing::member_info(dev_address(3), 3)));
  govern(0, 1, cs::propose_suspend(dev_address(2)));
  Hash256 enc, tls, sig;
  enc.fill(0x71);
  tls.fill(0x72);
  sig.fill(0x73);
  govern(1, 0, cs::propose_rekey(dev_address(1), enc, tls, sig));
  expect_view_equals_chain(*v, "member added, suspended, rekeyed");
  EXPECT_FALSE(
      v->member_by_tls_fingerprint(ledger::testing::member_info(dev_address(1), 1).tls_fingerprint)
          .has_value())
      << "the old fingerprint must no longer name a member";

  govern(0, 1, cs::propose_policy(ledger::Uint256::from_u64(cs::kPolicyEmergencyAccess)));
  expect_view_equals_chain(*v, "emergency access on");
  EXPECT_TRUE(v->emergency_access_enabled());
  govern(0, 1, cs::propose_reinstate(dev_address(2)));
  expect_view_equals_chain(*v, "reinstated");
  EXPECT_EQ(v->status().lag_blocks, 0u);
  EXPECT_TRUE(v->status().caught_up);

  // A view built in small chunks (3 blocks per eth_getLogs) reaches the same state.
  auto chunked = open_view(0, 1, 3, "chunked.sqlite");
  ASSERT_TRUE(chunked);
  expect_view_equals_chain(*chunked, "chunked catch-up");
  const uint64_t blocks = chunked->status().applied_block + 1;  // from block 0
  EXPECT_EQ(chunked->status().log_queries, 3 * ((blocks + 2) / 3));
}

TEST_F(ConsortiumViewTest, AnEventIsInvisibleUntilFinal) {
  auto v = open_view(0, /*confirmations=*/3);
  ASSERT_TRUE(v);
  const Hash256 p = token(1);
  done(call(0, contracts_.consents, cs::register_patient(p, ledger::Address{})));
  grant_now(grant(p, 1, Purpose::kTreat));
  auto head = eth_->block_number();
  ASSERT_TRUE(head);
  const uint64_t now_s = now_on_chain();
  ASSERT_TRUE(v->poll_once().ok());
  EXPECT_EQ(v->status().applied_block, *head - 2);
  EXPECT_EQ(v->status().final_block, *head - 2);
  EXPECT_EQ(v->check(p, dev_address(1), 0, now_s).decision, cs::Decision::kNoConsent);
  ASSERT_TRUE(ledger::testing::mine(*rpc_).ok());
  ASSERT_TRUE(v->poll_once().ok());
  EXPECT_EQ(v->check(p, dev_address(1), 0, now_s).decision, cs::Decision::kNoConsent)
      << "two confirmations of three must not be enough";
  ASSERT_TRUE(ledger::testing::mine(*rpc_).ok());
  ASSERT_TRUE(v->poll_once().ok());
  EXPECT_EQ(v->status().applied_block, *head);
  EXPECT_EQ(v->check(p, dev_address(1), 0, now_s).decision, cs::Decision::kPermit);
}

TEST_F(ConsortiumViewTest, RestartResumesFromTheCursorAndAnswersWithoutTheNode) {
  const Hash256 p = token(1);
  done(call(0, contracts_.consents, cs::register_patient(p, ledger::Address{})));
  grant_now(grant(p, 1, Purpose::kTreat));
  const uint64_t now_s = now_on_chain();
  uint64_t applied = 0;
  {
    auto v = open_view(0);
    ASSERT_TRUE(v);
    ASSERT_TRUE(v->poll_once().ok());
    applied = v->status().applied_block;
    EXPECT_EQ(v->check(p, dev_address(1), 0, now_s).decision, cs::Decision::kPermit);
  }
  auto v = open_view(0);
  ASSERT_TRUE(v);
  // Loaded from the file before any RPC.
  EXPECT_TRUE(v->status().started);
  EXPECT_EQ(v->status().applied_block, applied);
  EXPECT_EQ(v->check(p, dev_address(1), 0, now_s).decision, cs::Decision::kPermit);
  EXPECT_TRUE(v->is_active(dev_address(2)));
  // Nothing new on chain: a pass reads no logs at all.
  ASSERT_TRUE(v->poll_once().ok());
  EXPECT_EQ(v->status().log_queries, 0u);
  // One new block: one chunk (three queries), from the cursor on.
  Hash256 h;
  h.fill(0xd2);
  done(call(0, contracts_.consents, cs::revoke(p, dev_address(1), Purpose::kTreat, h)));
  ASSERT_TRUE(v->poll_once().ok());
  EXPECT_EQ(v->status().log_queries, 3u);
  EXPECT_EQ(v->status().applied_block, applied + 1);
  EXPECT_EQ(v->check(p, dev_address(1), 0, now_s).decision, cs::Decision::kRevoked);

  // The node goes away: the view is delayed, says so, and still answers.
  anvil_->kill();
  Status s = v->poll_once();
  EXPECT_EQ(s.code(), StatusCode::kUnavailable) << s.message();
  EXPECT_FALSE(v->status().node_reachable);
  EXPECT_EQ(v->check(p, dev_address(1), 0, now_s).decision, cs::Decision::kRevoked);
  Status waited = v->wait_for_block(applied + 5, Clock::now() + std::chrono::milliseconds(300));
  EXPECT_EQ(waited.code(), StatusCode::kDeadlineExceeded) << waited.message();
}

}  // namespace
}  // namespace gw::consortium::testing
