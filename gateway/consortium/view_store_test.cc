// The view file: a delta and its cursor round-trip; a file of another
// deployment or account starts over; a file that is not ours, or of a newer
// schema, or with a damaged row, is refused with a message saying what to do.
#include "gateway/consortium/view_store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <filesystem>

namespace gw::consortium {
namespace {

namespace cs = ledger::consortium;

class ViewStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = std::filesystem::temp_directory_path().string() + "/view_store_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    path_ = dir_ + "/view.sqlite";
    id_.chain_id = 31337;
    id_.scope.registry.fill(1);
    id_.scope.consents.fill(2);
    id_.scope.transfer_log.fill(3);
    id_.scope.self.fill(4);
    id_.deployment_block = 7;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::unique_ptr<ViewStore> open(const ViewIdentity& id, bool* reset) {
    auto s = ViewStore::open(path_, id, reset);
    EXPECT_TRUE(s) << s.error().message();
    return s ? std::move(*s) : nullptr;
  }
  void sql(const char* text) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    EXPECT_EQ(sqlite3_exec(db, text, nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
    sqlite3_close(db);
  }
  ViewDelta sample() {
    ViewDelta d;
    MemberEntry m;
    m.info.account.fill(0x11);
    m.info.org_id = "org";
    m.info.name = "Hospital";
    m.info.tls_fingerprint.fill(0x22);
    m.status = cs::MemberStatus::kSuspended;
    d.members[m.info.account] = m;
    GrantEntry g;
    g.patient_token.fill(0x33);
    g.grantee = m.info.account;
    g.purpose = 4;
    g.categories = ~uint64_t{0};  // all 64 bits survive the int64 column
    g.valid_until = cs::kOpenEnded;
    g.version = 3;
    g.flags = kGrantGranted | kGrantDenied;
    d.grants[GrantId{g.patient_token, g.grantee, g.purpose}] = g;
    TransferEntry t;
    t.from = m.info.account;
    t.transfer_id = Uint256::from_u64(99);
    t.reason = 1;
    d.refused[TransferKey{t.from, t.transfer_id}] = t;
    d.policy = Uint256::from_u64(1);
    d.quorum = 2;
    return d;
  }
  std::string dir_, path_;
  ViewIdentity id_;
};

TEST_F(ViewStoreTest, ADeltaAndItsCursorRoundTrip) {
  bool reset = true;
  {
    auto s = open(id_, &reset);
    EXPECT_FALSE(reset);
    Hash256 h;
    h.fill(0x44);
    ASSERT_TRUE(s->commit(sample(), ViewCursor{true, 12, h}).ok());
  }
  auto s = open(id_, &reset);
  EXPECT_FALSE(reset);
  ViewState state;
  ViewCursor cursor;
  ASSERT_TRUE(s->load(state, cursor).ok());
  EXPECT_TRUE(cursor.started);
  EXPECT_EQ(cursor.block, 12u);
  EXPECT_EQ(cursor.hash[0], 0x44);
  ASSERT_EQ(state.members.size(), 1u);
  EXPECT_EQ(state.members.begin()->second.status, cs::MemberStatus::kSuspended);
  EXPECT_EQ(state.by_org_id.at("org"), state.members.begin()->first);
  ASSERT_EQ(state.grants.size(), 1u);
  const GrantEntry& g = state.grants.begin()->second;
  EXPECT_EQ(g.categories, ~uint64_t{0});
  EXPECT_EQ(g.valid_until, cs::kOpenEnded);
  EXPECT_EQ(g.flags, kGrantGranted | kGrantDenied);
  EXPECT_EQ(state.refused.size(), 1u);
  EXPECT_TRUE(emergency_access_enabled(state));
  EXPECT_EQ(state.quorum, 2);
}

TEST_F(ViewStoreTest, AnotherDeploymentOrAccountStartsOver) {
  bool reset = false;
  ASSERT_TRUE(open(id_, &reset)->commit(sample(), ViewCursor{true, 12, {}}).ok());
  ViewIdentity other = id_;
  other.scope.self.fill(5);
  auto s = open(other, &reset);
  EXPECT_TRUE(reset);
  ViewState state;
  ViewCursor cursor;
  ASSERT_TRUE(s->load(state, cursor).ok());
  EXPECT_FALSE(cursor.started);
  EXPECT_TRUE(state.members.empty());
  EXPECT_TRUE(state.grants.empty());
}

TEST_F(ViewStoreTest, ForeignNewerOrDamagedFilesAreRefused) {
  sql("CREATE TABLE t (x)");
  bool reset = false;
  auto foreign = ViewStore::open(path_, id_, &reset);
  ASSERT_FALSE(foreign);
  EXPECT_NE(foreign.error().message().find("not a consortium view file"), std::string::npos);
  std::filesystem::remove(path_);

  ASSERT_TRUE(open(id_, &reset)->commit(sample(), ViewCursor{true, 12, {}}).ok());
  sql("UPDATE grants SET consent_key = x'00'");
  ViewState state;
  ViewCursor cursor;
  Status damaged = open(id_, &reset)->load(state, cursor);
  EXPECT_EQ(damaged.code(), StatusCode::kDataLoss);
  EXPECT_NE(damaged.message().find("delete the file"), std::string::npos) << damaged.message();

  sql("PRAGMA user_version = 2");
  auto newer = ViewStore::open(path_, id_, &reset);
  ASSERT_FALSE(newer);
  EXPECT_NE(newer.error().message().find("newer"), std::string::npos);
}

}  // namespace
}  // namespace gw::consortium
