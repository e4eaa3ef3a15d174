// test-needs: anvil
// The consortium view against a real anvil and the real contracts: after each
// step of a table of grants, revocations, denies and governance changes, the
// view's check equals ConsentRegistry.check by eth_call at the block the view
// has applied, and its members equal getMember; only final blocks are
// visible; a restart resumes from the persisted cursor; a chain reset is
// noticed and the view rebuilt; this gateway's transfers are found by
// (from, id).
#include "gateway/consortium/consortium_view.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "ledger-client/consortium/consent_registry.h"
#include "ledger-client/consortium/provider_registry.h"
#include "ledger-client/consortium/scope.h"
#include "ledger-client/consortium/transfer_log.h"
#include "ledger-client/outbox/consortium_fixture.h"
#include "ledger-client/rpc/rapidjson.h"
#include "ledger-client/rpc/test_http_server.h"

namespace gw::consortium {
namespace {

namespace cs = ledger::consortium;
using cs::Purpose;
using ledger::BlockRef;
using ledger::ItemState;
using ledger::testing::ConsortiumFixture;
using ledger::testing::dev_address;
using Clock = std::chrono::steady_clock;

class ConsortiumViewTest : public ::testing::Test, public ConsortiumFixture {
 protected:
  void SetUp() override {
    start_anvil();
    deploy();
  }

  std::unique_ptr<ConsortiumView> open_view(int self, uint32_t confirmations = 1,
                                            uint64_t max_blocks = 2000,
                                            const std::string& file = "view.sqlite") {
    ConsortiumViewOptions o;
    o.path = dir_.path() + "/" + file;
    o.rpc.url = anvil_->url();
    o.rpc.io_timeout = std::chrono::milliseconds(5000);
    o.rpc.connect_timeout = std::chrono::milliseconds(1000);
    o.identity.chain_id = 31337;
    o.identity.scope = ViewScope{contracts_.registry, contracts_.consents, contracts_.transfers,
                                 dev_address(self)};
    o.identity.deployment_block = 0;
    o.confirmations = confirmations;
    o.poll = std::chrono::milliseconds(100);
    o.max_blocks_per_query = max_blocks;
    auto v = ConsortiumView::open(std::move(o));
    EXPECT_TRUE(v) << v.error().message();
    return v ? std::move(*v) : nullptr;
  }

  static Hash256 token(uint8_t n) {
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
  void done(const ledger::OutboxItem& item) {
    ASSERT_EQ(item.state, ItemState::kDone) << item.outcome;
  }
  cs::GrantInput grant(const Hash256& t, int grantee, Purpose p) {
    cs::GrantInput g;
    g.patient_token = t;
    g.grantee = dev_address(grantee);
    g.purpose = p;
    g.categories = cs::category_bit(cs::Category::kLaboratory);
    g.exclusions = 1u << 3;
    g.consent_hash.fill(static_cast<uint8_t>(0xc0 + grantee));
    return g;
  }
  void grant_now(const cs::GrantInput& g) { done(call(0, contracts_.consents, cs::grant(g))); }
  // A governance action by member `proposer`, approved by member `approver`.
  void govern(int proposer, int approver, std::vector<uint8_t> data) {
    auto item = call(proposer, contracts_.registry, std::move(data));
    ASSERT_EQ(item.state, ItemState::kDone) << item.outcome;
    auto count = cs::decode_uint256(view(contracts_.registry, cs::proposal_count()));
    ASSERT_TRUE(count);
    done(call(approver, contracts_.registry, cs::approve(*count)));
  }

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
  static ledger::CallRequest call_to(const ledger::Address& to, std::vector<uint8_t> data) {
    ledger::CallRequest r;
    r.to = to;
    r.data = std::move(data);
    return r;
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

TEST_F(ConsortiumViewTest, AChainResetIsNoticedAndTheViewRebuilt) {
  const Hash256 p = token(1);
  done(call(0, contracts_.consents, cs::register_patient(p, ledger::Address{})));
  grant_now(grant(p, 1, Purpose::kTreat));
  auto v = open_view(0);
  ASSERT_TRUE(v);
  ASSERT_TRUE(v->poll_once().ok());
  const uint64_t now_s = now_on_chain();
  ASSERT_EQ(v->check(p, dev_address(1), 0, now_s).decision, cs::Decision::kPermit);

  // A fresh chain on the same port, the same contracts at the same addresses
  // (same deployer, same nonces), but no patient and no grant.
  const int port = anvil_->port();
  const auto old_contracts = contracts_;
  members_.clear();  // their submitters borrow the old connection
  for (int i = 0; i < 4; ++i)
    std::filesystem::remove(dir_.path() + "/outbox-" + std::to_string(i) + ".db");
  anvil_->kill();
  ledger::testing::AnvilOptions o;
  o.port = port;
  start_anvil(o);
  deploy();
  ASSERT_EQ(contracts_.consents, old_contracts.consents);
  ASSERT_TRUE(ledger::testing::mine(*rpc_, 5).ok());

  ASSERT_TRUE(v->poll_once().ok()) << v->status().last_error;
  EXPECT_EQ(v->check(p, dev_address(1), 0, now_s).decision, cs::Decision::kNoConsent);
  EXPECT_FALSE(v->custodian(p).has_value());
  EXPECT_EQ(v->members().size(), 3u) << "rebuilt from the new chain's founders";
  // The rebuilt view is what the file holds, too.
  v.reset();
  auto reopened = open_view(0);
  ASSERT_TRUE(reopened);
  EXPECT_EQ(reopened->check(p, dev_address(1), 0, now_s).decision, cs::Decision::kNoConsent);
  EXPECT_EQ(reopened->members().size(), 3u);
}

TEST_F(ConsortiumViewTest, TransfersOfThisGatewayAreFoundByFromAndId) {
  auto v = open_view(1);  // the recipient's view
  ASSERT_TRUE(v);
  v->start_follower();
  const Hash256 p = token(1);
  done(call(0, contracts_.consents, cs::register_patient(p, ledger::Address{})));
  grant_now(grant(p, 1, Purpose::kTreat));
  grant_now(grant(p, 2, Purpose::kTreat));
  auto transfer = [&](uint64_t id, int to, Purpose purpose) {
    cs::TransferInput t;
    t.id = ledger::Uint256::from_u64(id);
    t.to = dev_address(to);
    t.patient_token = p;
    t.commitment.fill(static_cast<uint8_t>(id));
    t.purpose = purpose;
    t.flags = cs::kFlagBatchRoot;
    return t;
  };
  std::vector<cs::TransferInput> batch = {transfer(7, 1, Purpose::kTreat),
                                          transfer(8, 2, Purpose::kTreat),
                                          transfer(9, 1, Purpose::kHresch)};
  auto item = call(0, contracts_.transfers, cs::record_transfers(batch));
  ASSERT_EQ(item.state, ItemState::kDone) << item.outcome;

  auto found = v->wait_for_recorded_transfer(dev_address(0), ledger::Uint256::from_u64(7),
                                             Clock::now() + std::chrono::seconds(20));
  ASSERT_TRUE(found) << found.error().message();
  EXPECT_EQ(found->to, dev_address(1));
  EXPECT_EQ(found->patient_token, p);
  EXPECT_EQ(found->commitment, batch[0].commitment);
  EXPECT_EQ(found->purpose, 0);
  EXPECT_EQ(found->flags, cs::kFlagBatchRoot);
  EXPECT_EQ(found->consent_key, cs::consent_key(p, dev_address(1), Purpose::kTreat));
  EXPECT_EQ(found->consent_version, 1u);
  ASSERT_TRUE(item.tx_hash.has_value());
  EXPECT_EQ(found->tx_hash, *item.tx_hash);
  EXPECT_FALSE(v->recorded_transfer(dev_address(0), ledger::Uint256::from_u64(8)).has_value())
      << "a transfer between two other members is not this gateway's";
  auto refused = v->refused_transfer(dev_address(0), ledger::Uint256::from_u64(9));
  ASSERT_TRUE(refused.has_value());
  EXPECT_EQ(refused->reason, static_cast<uint8_t>(cs::Decision::kNoConsent));
  EXPECT_FALSE(v->recorded_transfer(dev_address(0), ledger::Uint256::from_u64(9)).has_value());

  auto missing = v->wait_for_recorded_transfer(dev_address(0), ledger::Uint256::from_u64(10),
                                               Clock::now() + std::chrono::milliseconds(300));
  EXPECT_EQ(missing.error().code(), StatusCode::kNotFound);
  v->stop();
}

// The follower applies blocks while other threads read: each reader sees a
// grant appear and never disappear, and wait_for_block returns once the
// block is applied.
TEST_F(ConsortiumViewTest, ReadersSeeGrantsAppearWhileTheFollowerApplies) {
  auto v = open_view(0);
  ASSERT_TRUE(v);
  v->start_follower();
  std::vector<Hash256> patients;
  for (uint8_t i = 1; i <= 6; ++i) patients.push_back(token(i));
  std::atomic<bool> done_reading{false};
  std::atomic<int> regressions{0};
  auto reader = [&] {
    std::vector<bool> seen(patients.size(), false);
    while (!done_reading.load()) {
      for (size_t i = 0; i < patients.size(); ++i) {
        bool permit = v->check(patients[i], dev_address(1), 0, 1).decision == cs::Decision::kPermit;
        if (seen[i] && !permit) ++regressions;
        seen[i] = seen[i] || permit;
      }
      (void)v->members();
      (void)v->status();
    }
  };
  std::thread r1(reader), r2(reader);
  for (const Hash256& p : patients) {
    done(call(0, contracts_.consents, cs::register_patient(p, ledger::Address{})));
    auto g = grant(p, 1, Purpose::kTreat);
    g.valid_from = 0;
    grant_now(g);
  }
  auto head = eth_->block_number();
  ASSERT_TRUE(head);
  Status reached = v->wait_for_block(*head, Clock::now() + std::chrono::seconds(20));
  done_reading = true;
  r1.join();
  r2.join();
  ASSERT_TRUE(reached.ok()) << reached.message();
  EXPECT_EQ(regressions.load(), 0);
  for (const Hash256& p : patients)
    EXPECT_EQ(v->check(p, dev_address(1), 0, 1).decision, cs::Decision::kPermit);
  v->stop();
}

// A node that refuses eth_getLogs over more than 4 blocks the way geth does
// ("query returned more than 10000 results"): a proxy in front of anvil.
TEST_F(ConsortiumViewTest, ALogQueryRefusedForItsSizeIsAskedAgainForFewerBlocks) {
  const Hash256 p = token(1);
  done(call(0, contracts_.consents, cs::register_patient(p, ledger::Address{})));
  grant_now(grant(p, 1, Purpose::kTreat));
  ASSERT_TRUE(ledger::testing::mine(*rpc_, 10).ok());
  std::atomic<int> refused{0};
  auto upstream = ledger::JsonRpcClient::create(ledger::JsonRpcOptions{.url = anvil_->url()});
  ASSERT_TRUE(upstream);
  ledger::testing::TestHttpServer proxy([&](auto&, const std::string& body, auto& resp) {
    rapidjson::Document req;
    req.Parse(body.data(), body.size());
    const std::string method = req["method"].GetString();
    rapidjson::StringBuffer params;
    rapidjson::Writer<rapidjson::StringBuffer> w(params);
    req["params"].Accept(w);
    const std::string id = std::to_string(req["id"].GetInt64());
    std::string reply;
    if (method == "eth_getLogs") {
      const auto& f = req["params"][0];
      uint64_t from = std::stoull(f["fromBlock"].GetString(), nullptr, 16);
      uint64_t to = std::stoull(f["toBlock"].GetString(), nullptr, 16);
      if (to - from + 1 > 4) {
        ++refused;
        reply = R"({"jsonrpc":"2.0","id":)" + id +
                R"(,"error":{"code":-32000,"message":"query returned more than 10000 results"}})";
      }
    }
    if (reply.empty()) {
      auto r = (*upstream)->call(method, params.GetString());
      ASSERT_TRUE(r) << r.error().describe();
      reply = R"({"jsonrpc":"2.0","id":)" + id + R"(,"result":)" + *r + "}";
    }
    resp.setContentType("application/json");
    resp.send() << reply;
  });

  ConsortiumViewOptions o;
  o.path = dir_.path() + "/proxied.sqlite";
  o.rpc.url = proxy.url();
  o.identity.chain_id = 31337;
  o.identity.scope =
      ViewScope{contracts_.registry, contracts_.consents, contracts_.transfers, dev_address(0)};
  auto v = ConsortiumView::open(o);
  ASSERT_TRUE(v) << v.error().message();
  ASSERT_TRUE((*v)->poll_once().ok()) << (*v)->status().last_error;
  EXPECT_GT(refused.load(), 0);
  EXPECT_EQ((*v)->status().applied_block, *eth_->block_number());
  EXPECT_EQ((*v)->check(p, dev_address(1), 0, now_on_chain()).decision, cs::Decision::kPermit);
  EXPECT_EQ((*v)->members().size(), 3u);
}

}  // namespace
}  // namespace gw::consortium
