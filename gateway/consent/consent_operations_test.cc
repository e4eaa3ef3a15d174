// plan_operations: the contract calls from one version of a Consent to the
// next (create, update, revoke by status, deny set and lifted), their order,
// and call_data / find_overlap.
#include "gateway/consent/consent_operations.h"

#include <gtest/gtest.h>

#include "gateway/consent/consent_test_util.h"

namespace gw::consent {
namespace {

using namespace testing;  // NOLINT: the folder's test helpers
using ledger::consortium::GrantInput;
using ledger::consortium::purpose_bit;

Hash256 hash(uint8_t b) {
  Hash256 h{};
  h.fill(b);
  return h;
}
const Hash256 kToken = hash(0x70), kV1 = hash(0x01), kV2 = hash(0x02);
const Address kAll{};

PlannedGrant grant(Address who, Purpose p, uint64_t excl = 0) {
  return PlannedGrant{who, p, 0b111, excl, 100, 2'000'000'000};
}
ConsentPlan plan(std::vector<PlannedGrant> grants, std::vector<PlannedDeny> denies = {},
                 ConsentStatus status = ConsentStatus::kActive) {
  ConsentPlan p;
  p.patient.id = "p1";
  p.status = status;
  p.grants = std::move(grants);
  p.denies = std::move(denies);
  return p;
}
GrantInput input(const PlannedGrant& g, const Hash256& h) {
  GrantInput in;
  in.patient_token = kToken;
  in.grantee = g.grantee;
  in.purpose = g.purpose;
  in.categories = g.categories;
  in.exclusions = g.exclusions;
  in.valid_from = g.valid_from;
  in.valid_until = g.valid_until;
  in.consent_hash = h;
  return in;
}
bool operator==(const GrantInput& a, const GrantInput& b) {
  return a.patient_token == b.patient_token && a.grantee == b.grantee && a.purpose == b.purpose &&
         a.categories == b.categories && a.exclusions == b.exclusions &&
         a.valid_from == b.valid_from && a.valid_until == b.valid_until &&
         a.consent_hash == b.consent_hash;
}
void expect_ops(const std::vector<ContractOp>& got, const std::vector<ContractOp>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    ASSERT_EQ(got[i].index(), want[i].index()) << "op " << i;
    if (auto* g = std::get_if<GrantInput>(&got[i])) {
      EXPECT_TRUE(*g == std::get<GrantInput>(want[i])) << "op " << i;
    } else if (auto* r = std::get_if<RevokeOp>(&got[i])) {
      EXPECT_TRUE(*r == std::get<RevokeOp>(want[i])) << "op " << i;
    } else {
      EXPECT_TRUE(std::get<DenyOp>(got[i]) == std::get<DenyOp>(want[i])) << "op " << i;
    }
  }
}

TEST(ConsentOperationsTest, CreateGrantsWhatTheMappedConsentAsksFor) {
  ConsentResult<ConsentPlan> mapped = map(permit());
  ASSERT_TRUE(mapped.ok()) << mapped.error().to_string();
  const auto ops = plan_operations(std::nullopt, *mapped, kToken, kV1);
  expect_ops(ops, {input(mapped->grants[0], kV1)});
  // The same version again changes nothing.
  EXPECT_TRUE(plan_operations(*mapped, *mapped, kToken, kV2).empty());
}

TEST(ConsentOperationsTest, ActorRemovedIsRevoked) {
  const ConsentPlan v1 = plan({grant(kB, Purpose::kTreat), grant(kC, Purpose::kTreat)});
  const ConsentPlan v2 = plan({grant(kC, Purpose::kTreat)});
  expect_ops(plan_operations(v1, v2, kToken, kV2), {RevokeOp{kToken, kB, Purpose::kTreat, kV2}});
}

TEST(ConsentOperationsTest, PurposeAddedIsGrantedAndTheUnchangedGrantKept) {
  const ConsentPlan v1 = plan({grant(kB, Purpose::kTreat)});
  const ConsentPlan v2 = plan({grant(kB, Purpose::kTreat), grant(kB, Purpose::kCoc)});
  expect_ops(plan_operations(v1, v2, kToken, kV2), {input(grant(kB, Purpose::kCoc), kV2)});
}

TEST(ConsentOperationsTest, ScopeChangedIsGrantedAgain) {
  const ConsentPlan v1 = plan({grant(kB, Purpose::kTreat), grant(kC, Purpose::kTreat)});
  PlannedGrant narrower = grant(kB, Purpose::kTreat, /*excl=*/0b100);
  PlannedGrant later = grant(kC, Purpose::kTreat);
  later.valid_until += 1;
  const ConsentPlan v2 = plan({narrower, later});
  expect_ops(plan_operations(v1, v2, kToken, kV2), {input(narrower, kV2), input(later, kV2)});
}

TEST(ConsentOperationsTest, InactiveOrEnteredInErrorRevokesEverythingAndLiftsEveryDeny) {
  const ConsentPlan v1 = plan({grant(kB, Purpose::kTreat), grant(kC, Purpose::kCoc)},
                              {{kAll, purpose_bit(Purpose::kHresch)}});
  for (ConsentStatus status : {ConsentStatus::kInactive, ConsentStatus::kEnteredInError}) {
    ConsentPlan v2 = v1;
    v2.status = status;  // mapping leaves grants empty; the diff must not rely on it
    expect_ops(
        plan_operations(v1, v2, kToken, kV2),
        {RevokeOp{kToken, kB, Purpose::kTreat, kV2}, RevokeOp{kToken, kC, Purpose::kCoc, kV2},
         DenyOp{kToken, kAll, purpose_bit(Purpose::kHresch), false, kV2}});
  }
  // From a version that was already inactive, nothing is left to take back;
  // activating it again grants afresh.
  ConsentPlan off = v1;
  off.status = ConsentStatus::kInactive;
  EXPECT_TRUE(plan_operations(off, off, kToken, kV2).empty());
  EXPECT_EQ(plan_operations(off, v1, kToken, kV2).size(), 3u);
}

TEST(ConsentOperationsTest, DenySetThenChangedThenLifted) {
  const uint32_t treat = purpose_bit(Purpose::kTreat), coc = purpose_bit(Purpose::kCoc);
  const ConsentPlan v1 = plan({}, {{kAll, treat}});
  expect_ops(plan_operations(std::nullopt, v1, kToken, kV1),
             {DenyOp{kToken, kAll, treat, true, kV1}});
  // v2 denies B TREAT and COC instead: B's deny is set before the every-member
  // deny is lifted, so B is never allowed in between.
  const ConsentPlan v2 = plan({}, {{kB, treat | coc}});
  expect_ops(plan_operations(v1, v2, kToken, kV2),
             {DenyOp{kToken, kB, treat | coc, true, kV2}, DenyOp{kToken, kAll, treat, false, kV2}});
  // v3 narrows the deny to COC: TREAT is lifted for B.
  const ConsentPlan v3 = plan({}, {{kB, coc}});
  expect_ops(plan_operations(v2, v3, kToken, kV1), {DenyOp{kToken, kB, treat, false, kV1}});
}

TEST(ConsentOperationsTest, NarrowingComesFirst) {
  const uint32_t treat = purpose_bit(Purpose::kTreat);
  const ConsentPlan v1 = plan({grant(kB, Purpose::kTreat)}, {{kC, treat}});
  const ConsentPlan v2 = plan({grant(kC, Purpose::kTreat)}, {{kB, treat}});
  expect_ops(plan_operations(v1, v2, kToken, kV2),
             {DenyOp{kToken, kB, treat, true, kV2}, RevokeOp{kToken, kB, Purpose::kTreat, kV2},
              input(grant(kC, Purpose::kTreat), kV2), DenyOp{kToken, kC, treat, false, kV2}});
}

TEST(ConsentOperationsTest, CallDataIsTheRegistryEncoding) {
  namespace reg = ledger::consortium;
  const GrantInput g = input(grant(kB, Purpose::kTreat), kV1);
  EXPECT_EQ(call_data(g), reg::grant(g));
  EXPECT_EQ(call_data(RevokeOp{kToken, kB, Purpose::kCoc, kV2}),
            reg::revoke(kToken, kB, Purpose::kCoc, kV2));
  EXPECT_EQ(call_data(DenyOp{kToken, kAll, 5, false, kV2}),
            reg::set_deny(kToken, kAll, 5, false, kV2));
  EXPECT_NE(call_data(DenyOp{kToken, kAll, 5, false, kV2}),
            reg::set_deny(kToken, kAll, 5, true, kV2));
}

TEST(ConsentOperationsTest, OverlapOfTwoConsentsOfOnePatient) {
  const uint32_t treat = purpose_bit(Purpose::kTreat), coc = purpose_bit(Purpose::kCoc);
  const ConsentPlan a = plan({grant(kB, Purpose::kTreat)}, {{kAll, treat}});
  EXPECT_TRUE(find_overlap(a, plan({grant(kB, Purpose::kTreat)})).has_value());
  EXPECT_FALSE(find_overlap(a, plan({grant(kB, Purpose::kCoc), grant(kC, Purpose::kTreat)})));
  EXPECT_TRUE(find_overlap(a, plan({}, {{kAll, treat | coc}})).has_value());
  EXPECT_FALSE(find_overlap(a, plan({}, {{kAll, coc}, {kB, treat}})));
  ConsentPlan off = plan({grant(kB, Purpose::kTreat)}, {}, ConsentStatus::kInactive);
  EXPECT_FALSE(find_overlap(a, off));  // an inactive Consent holds no slot
}

}  // namespace
}  // namespace gw::consent
