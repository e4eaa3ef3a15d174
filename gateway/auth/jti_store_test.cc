#include "gateway/auth/jti_store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

namespace gw::auth {
namespace {

constexpr int64_t kNow = 1'780'000'000;

class JtiStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("jti_store_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path file() const { return dir_ / "jti.sqlite"; }

  std::filesystem::path dir_;
};

TEST_F(JtiStoreTest, RefusesAReplayUntilTheWindowEnds) {
  auto store = JtiStore::open(file()).value();
  ASSERT_TRUE(store->record("lab", "jti-1", kNow + 300, kNow).ok());
  Status replay = store->record("lab", "jti-1", kNow + 300, kNow + 10);
  EXPECT_EQ(replay.code(), StatusCode::kUnauthenticated);
  EXPECT_EQ(replay.message(), "client assertion: jti was used before (replay)");
  // Another client may use the same jti; another jti is fine.
  EXPECT_TRUE(store->record("pharmacy", "jti-1", kNow + 300, kNow).ok());
  EXPECT_TRUE(store->record("lab", "jti-2", kNow + 300, kNow).ok());
  // One second before the window ends it is still a replay; at its end it is not.
  EXPECT_FALSE(store->record("lab", "jti-1", kNow + 400, kNow + 299).ok());
  EXPECT_TRUE(store->record("lab", "jti-1", kNow + 400, kNow + 300).ok());
}

TEST_F(JtiStoreTest, SurvivesARestart) {
  {
    auto store = JtiStore::open(file()).value();
    ASSERT_TRUE(store->record("lab", "jti-1", kNow + 300, kNow).ok());
  }
  auto reopened = JtiStore::open(file()).value();
  EXPECT_EQ(reopened->record("lab", "jti-1", kNow + 300, kNow + 1).code(),
            StatusCode::kUnauthenticated);
  EXPECT_EQ(reopened->rows("lab").value(), 1);
}

TEST_F(JtiStoreTest, CapsLiveRowsPerClientAndPrunesExpiredOnes) {
  JtiStore::Options options;
  options.max_rows_per_client = 3;
  auto store = JtiStore::open(file(), options).value();
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(store->record("lab", "j" + std::to_string(i), kNow + 100 + i, kNow).ok());
  }
  Status full = store->record("lab", "j3", kNow + 300, kNow);
  EXPECT_EQ(full.code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(store->rows("lab").value(), 3);  // nothing recorded by the refusal
  // Other clients have their own cap.
  EXPECT_TRUE(store->record("pharmacy", "j0", kNow + 300, kNow).ok());
  // Once the first window has ended, its row is pruned and a new one fits.
  EXPECT_TRUE(store->record("lab", "j3", kNow + 300, kNow + 100).ok());
  EXPECT_EQ(store->rows("lab").value(), 3);
  EXPECT_EQ(store->prune(kNow + 102).value(), 2);  // j1, j2
  EXPECT_EQ(store->rows("lab").value(), 1);
  EXPECT_EQ(store->prune(kNow + 1000).value(), 2);  // lab j3, pharmacy j0
  EXPECT_EQ(store->rows("pharmacy").value(), 0);
}

// Two gateway threads (or two connections to the file) racing on one
// captured assertion: exactly one wins.
TEST_F(JtiStoreTest, ConcurrentRecordsOfOneJtiAdmitExactlyOne) {
  auto a = JtiStore::open(file()).value();
  auto b = JtiStore::open(file()).value();
  for (int round = 0; round < 20; ++round) {
    const std::string jti = "race-" + std::to_string(round);
    std::atomic<int> wins{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      JtiStore* store = (t % 2 == 0 ? a : b).get();
      threads.emplace_back([&, store] {
        if (store->record("lab", jti, kNow + 300, kNow).ok()) ++wins;
      });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(wins.load(), 1) << jti;
  }
}

TEST_F(JtiStoreTest, RefusesBadArguments) {
  auto store = JtiStore::open(file()).value();
  EXPECT_EQ(store->record("", "j", kNow + 1, kNow).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store->record("lab", "", kNow + 1, kNow).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store->record("lab", std::string(257, 'j'), kNow + 1, kNow).code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(store->record("lab", "j", kNow, kNow).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store->rows("lab").value(), 0);
}

TEST_F(JtiStoreTest, FileIsPrivateAndInWalMode) {
  auto store = JtiStore::open(file()).value();
  struct stat st {};
  ASSERT_EQ(::stat(file().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(file().c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* s = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &s, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(s), SQLITE_ROW);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(sqlite3_column_text(s, 0))), "wal");
  sqlite3_finalize(s);
  sqlite3_close(db);
}

TEST_F(JtiStoreTest, RefusesAFileOfAnotherSchemaVersion) {
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(file().c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "PRAGMA user_version = 7", nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
  }
  auto store = JtiStore::open(file());
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(JtiStore::open(dir_ / "missing-dir" / "jti.sqlite").error().code(),
            StatusCode::kUnavailable);
}

}  // namespace
}  // namespace gw::auth
