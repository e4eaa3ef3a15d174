// test-needs: anvil
// The consortium view following a real anvil: a chain reset is noticed and
// the view rebuilt; this gateway's transfers are found by (from, id);
// readers on other threads while the follower applies; a node that refuses
// large log queries.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "gateway/consortium/view_test_fixture.h"
#include "ledger-client/rpc/rapidjson.h"
#include "ledger-client/rpc/test_http_server.h"

namespace gw::consortium::testing {
namespace {

using ConsortiumViewFollowTest = ViewOnAnvil;

TEST_F(ConsortiumViewFollowTest, AChainResetIsNoticedAndTheViewRebuilt) {
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

TEST_F(ConsortiumViewFollowTest, TransfersOfThisGatewayAreFoundByFromAndId) {
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
TEST_F(ConsortiumViewFollowTest, ReadersSeeGrantsAppearWhileTheFollowerApplies) {
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
TEST_F(ConsortiumViewFollowTest, ALogQueryRefusedForItsSizeIsAskedAgainForFewerBlocks) {
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
}  // namespace gw::consortium::testing
