// The consent store keeps each Consent's patient, token, plan and outbox
// items across reopening, finds a patient's Consents, and refuses files that
// are not its own.
#include "gateway/consent/consent_store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "gateway/consent/consent_test_util.h"
#include "gateway/store/store_test_util.h"

namespace gw::consent {
namespace {

using testing::account;

ConsentRow row(std::string id, std::string patient, uint8_t token_byte) {
  ConsentRow r;
  r.id = std::move(id);
  r.version = 1;
  r.patient_id = std::move(patient);
  r.token.fill(token_byte);
  PlannedGrant g;
  g.grantee = account(2);
  g.purpose = Purpose::kHresch;
  g.categories = 0x1FFFF;
  g.exclusions = 0x4;
  g.valid_from = 1;
  g.valid_until = ledger::consortium::kOpenEnded;
  r.plan.grants.push_back(g);
  r.plan.denies.push_back(PlannedDeny{Address{}, 0xFFFFFFFF});
  r.item_seqs = {7, 8};
  r.created_ms = 1000;
  r.updated_ms = 2000;
  return r;
}

TEST(ConsentStoreTest, RowsSurviveReopeningAndAreFoundByPatientAndToken) {
  store::testing::TempDir dir;
  const std::string path = dir.file("consents.db");
  {
    auto store = ConsentStore::open(path);
    ASSERT_TRUE(store.ok()) << store.error().message();
    ASSERT_TRUE((*store)->put(row("c1", "p1", 1)).ok());
    ASSERT_TRUE((*store)->put(row("c2", "p1", 1)).ok());
    ASSERT_TRUE((*store)->put(row("c3", "p2", 2)).ok());
    // An update keeps created_ms and replaces the rest.
    ConsentRow c2 = row("c2", "p1", 1);
    c2.version = 2;
    c2.plan.status = ConsentStatus::kInactive;
    c2.plan.grants.clear();
    c2.plan.denies.clear();
    c2.item_seqs = {};
    c2.created_ms = 5000;
    c2.updated_ms = 6000;
    ASSERT_TRUE((*store)->put(c2).ok());
  }
  auto store = ConsentStore::open(path);
  ASSERT_TRUE(store.ok()) << store.error().message();
  auto c1 = (*store)->get("c1");
  ASSERT_TRUE(c1.ok() && c1->has_value());
  const ConsentRow expected = row("c1", "p1", 1);
  EXPECT_EQ((*c1)->patient_id, "p1");
  EXPECT_EQ((*c1)->token, expected.token);
  EXPECT_EQ((*c1)->plan.grants, expected.plan.grants);
  EXPECT_EQ((*c1)->plan.denies, expected.plan.denies);
  EXPECT_TRUE((*c1)->plan.in_force());
  EXPECT_EQ((*c1)->item_seqs, (std::vector<int64_t>{7, 8}));

  auto c2 = (*store)->get("c2");
  ASSERT_TRUE(c2.ok() && c2->has_value());
  EXPECT_EQ((*c2)->version, 2);
  EXPECT_EQ((*c2)->plan.status, ConsentStatus::kInactive);
  EXPECT_TRUE((*c2)->item_seqs.empty());
  EXPECT_EQ((*c2)->created_ms, 1000);
  EXPECT_EQ((*c2)->updated_ms, 6000);

  auto missing = (*store)->get("nope");
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());

  auto p1 = (*store)->by_patient("p1", 10);
  ASSERT_TRUE(p1.ok());
  ASSERT_EQ(p1->size(), 2u);
  EXPECT_EQ((*p1)[0].id, "c1");
  EXPECT_EQ((*p1)[1].id, "c2");
  ledger::Hash256 t2{};
  t2.fill(2);
  auto by_token = (*store)->by_token(t2, 10);
  ASSERT_TRUE(by_token.ok());
  ASSERT_EQ(by_token->size(), 1u);
  EXPECT_EQ((*by_token)[0].id, "c3");
  auto limited = (*store)->by_patient("p1", 1);
  ASSERT_TRUE(limited.ok());
  EXPECT_EQ(limited->size(), 1u);
}

TEST(ConsentStoreTest, RefusesAnotherFileAndReportsACorruptPlan) {
  store::testing::TempDir dir;
  const std::string other = dir.file("other.db");
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(other.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "CREATE TABLE t(x)", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  auto refused = ConsentStore::open(other);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code(), StatusCode::kFailedPrecondition);

  const std::string path = dir.file("consents.db");
  {
    auto store = ConsentStore::open(path);
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE((*store)->put(row("c1", "p1", 1)).ok());
  }
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(
      sqlite3_exec(db, "UPDATE consents SET plan = '{\"status\":9}'", nullptr, nullptr, nullptr),
      SQLITE_OK);
  sqlite3_close(db);
  auto store = ConsentStore::open(path);
  ASSERT_TRUE(store.ok());
  auto c1 = (*store)->get("c1");
  ASSERT_FALSE(c1.ok());
  EXPECT_EQ(c1.error().code(), StatusCode::kDataLoss);
}

TEST(ConsentStoreTest, PlanCodecRoundTripsAndRefusesMalformedText) {
  const ConsentRow r = row("c1", "p1", 1);
  auto back = decode_plan(encode_plan(r.plan));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->grants, r.plan.grants);
  EXPECT_EQ(back->denies, r.plan.denies);
  for (const char* bad :
       {"", "[]", "{\"status\":0}", "{\"status\":0,\"grants\":[{}],\"denies\":[]}",
        "{\"status\":0,\"grants\":[],\"denies\":[{\"grantee\":\"zz\",\"mask\":1}]}",
        "{\"status\":0,\"grants\":[],\"denies\":[{\"grantee\":"
        "\"0000000000000000000000000000000000000000\",\"mask\":4294967296}]}"}) {
    EXPECT_FALSE(decode_plan(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace gw::consent
