// The consortium view's anvil tests' fixture: anvil with the consortium
// deployed (ConsortiumFixture: founders 0, 1, 2, quorum 2) and views opened
// on it, with small builders for grants and governance.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "gateway/consortium/consortium_view.h"
#include "ledger-client/consortium/consent_registry.h"
#include "ledger-client/consortium/provider_registry.h"
#include "ledger-client/consortium/scope.h"
#include "ledger-client/consortium/transfer_log.h"
#include "ledger-client/outbox/consortium_fixture.h"

namespace gw::consortium::testing {

namespace cs = ledger::consortium;
using cs::Purpose;
using ledger::BlockRef;
using ledger::ItemState;
using ledger::testing::dev_address;
using Clock = std::chrono::steady_clock;

class ViewOnAnvil : public ::testing::Test, public ledger::testing::ConsortiumFixture {
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
  static ledger::CallRequest call_to(const ledger::Address& to, std::vector<uint8_t> data) {
    ledger::CallRequest r;
    r.to = to;
    r.data = std::move(data);
    return r;
  }
};

}  // namespace gw::consortium::testing
