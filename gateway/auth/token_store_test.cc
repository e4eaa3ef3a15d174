#include "gateway/auth/token_store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <set>
#include <string>

#include "gateway/auth/jti_store.h"

namespace gw::auth {
namespace {

constexpr int64_t kNow = 1'780'000'000;

class TokenStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("token_store_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path file() const { return dir_ / "auth.sqlite"; }

  std::filesystem::path dir_;
};

TEST_F(TokenStoreTest, IssuesTokensThatLookUpUntilTheyExpire) {
  auto store = TokenStore::open(file()).value();
  auto issued = store->issue("lab", "system/Observation.cruds system/Patient.rs", kNow);
  ASSERT_TRUE(issued.ok()) << issued.error().message();
  EXPECT_EQ(issued->access_token.size(), 43u);
  EXPECT_EQ(issued->expires_in_s, 300);
  EXPECT_EQ(issued->expires_at_s, kNow + 300);
  auto grant = store->lookup(issued->access_token, kNow + 299);
  ASSERT_TRUE(grant.ok()) << grant.error().message();
  EXPECT_EQ(grant->client_id, "lab");
  EXPECT_EQ(grant->scopes, "system/Observation.cruds system/Patient.rs");
  EXPECT_EQ(grant->expires_at_s, kNow + 300);
  Status expired = store->lookup(issued->access_token, kNow + 300).status();
  EXPECT_EQ(expired.code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(expired.message(), "access token is not valid");
}

TEST_F(TokenStoreTest, TokensAreDistinctAndStoredOnlyAsHashes) {
  auto store = TokenStore::open(file()).value();
  std::set<std::string> tokens;
  for (int i = 0; i < 20; ++i)
    tokens.insert(store->issue("lab", "system/*.rs", kNow)->access_token);
  EXPECT_EQ(tokens.size(), 20u);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(file().c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* s = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT hash FROM access_token", -1, &s, nullptr), SQLITE_OK);
  int rows = 0;
  while (sqlite3_step(s) == SQLITE_ROW) {
    ++rows;
    EXPECT_EQ(sqlite3_column_bytes(s, 0), 32);
    const std::string stored(static_cast<const char*>(sqlite3_column_blob(s, 0)), 32);
    for (const std::string& t : tokens) EXPECT_EQ(t.find(stored), std::string::npos);
  }
  EXPECT_EQ(rows, 20);
  sqlite3_finalize(s);
  sqlite3_close(db);
}

TEST_F(TokenStoreTest, RefusesMalformedUnknownAndRevokedTokens) {
  auto store = TokenStore::open(file()).value();
  const std::string token = store->issue("lab", "system/*.rs", kNow)->access_token;
  std::string other = token;
  other[0] = other[0] == 'A' ? 'B' : 'A';
  for (const std::string& bad : {std::string(), token.substr(1), token + "A", other,
                                 std::string(43, '='), std::string(4096, 'A')}) {
    EXPECT_EQ(store->lookup(bad, kNow).status().code(), StatusCode::kUnauthenticated);
  }
  EXPECT_TRUE(store->lookup(token, kNow).ok());
  ASSERT_TRUE(store->revoke(token).ok());
  EXPECT_EQ(store->lookup(token, kNow).status().code(), StatusCode::kUnauthenticated);
  EXPECT_TRUE(store->revoke(token).ok());
}

TEST_F(TokenStoreTest, SurvivesARestartAndSharesTheFileWithTheJtiStore) {
  std::string token;
  {
    auto store = TokenStore::open(file()).value();
    token = store->issue("lab", "system/*.rs", kNow)->access_token;
  }
  auto jti = JtiStore::open(file()).value();
  EXPECT_TRUE(jti->record("lab", "j", kNow + 10, kNow).ok());
  auto store = TokenStore::open(file()).value();
  EXPECT_EQ(store->lookup(token, kNow + 1)->client_id, "lab");
}

TEST_F(TokenStoreTest, CapsLiveTokensPerClientAndPrunes) {
  TokenStore::Options options;
  options.max_live_per_client = 2;
  options.lifetime_s = 60;
  auto store = TokenStore::open(file(), options).value();
  ASSERT_TRUE(store->issue("lab", "s", kNow).ok());
  ASSERT_TRUE(store->issue("lab", "s", kNow + 1).ok());
  EXPECT_EQ(store->issue("lab", "s", kNow + 2).status().code(), StatusCode::kResourceExhausted);
  EXPECT_TRUE(store->issue("pharmacy", "s", kNow + 2).ok());
  EXPECT_TRUE(store->issue("lab", "s", kNow + 60).ok());  // the first expired and was pruned
  EXPECT_EQ(store->prune(kNow + 1000).value(), 3);
}

TEST_F(TokenStoreTest, RefusesBadArguments) {
  auto store = TokenStore::open(file()).value();
  EXPECT_EQ(store->issue("", "s", kNow).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store->issue("lab", "", kNow).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store->issue("lab", std::string(4097, 's'), kNow).status().code(),
            StatusCode::kInvalidArgument);
  TokenStore::Options zero;
  zero.lifetime_s = 0;
  EXPECT_EQ(TokenStore::open(dir_ / "other.sqlite", zero).status().code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace gw::auth
