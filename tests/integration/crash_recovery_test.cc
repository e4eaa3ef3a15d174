// Crash test: gatewayd is killed with SIGKILL in the middle of a stream from
// several connections, then restarted on the same state directory. Every
// message acknowledged (AA) before the kill must be in the store; the senders
// then resend everything they had not seen acknowledged, plus everything
// they had (as a confused sender might), and nothing may be stored twice.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "adapters/hl7/ack.h"
#include "adapters/mllp/client.h"
#include "tests/integration/corpus_util.h"

namespace gw::testing {
namespace {

using namespace std::chrono_literals;

std::map<std::string, int> stored_control_ids(const std::string& db_path) {
  std::map<std::string, int> ids;
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, "SELECT control_id FROM messages WHERE status = 'accepted'", -1,
                               &st, nullptr),
            SQLITE_OK);
  while (sqlite3_step(st) == SQLITE_ROW)
    ++ids[reinterpret_cast<const char*>(sqlite3_column_text(st, 0))];
  sqlite3_finalize(st);
  sqlite3_stmt* check = nullptr;
  sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &check, nullptr);
  EXPECT_EQ(sqlite3_step(check), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(check, 0)), "ok");
  sqlite3_finalize(check);
  sqlite3_close(db);
  return ids;
}

TEST(CrashRecoveryTest, SigkillMidStreamLosesNothingAcknowledgedAndResendsAreNotDuplicated) {
  TempDir dir;
  auto corpus = load_mappable_corpus();
  ASSERT_FALSE(corpus.empty());
  constexpr int kSenders = 4;
  constexpr int kPerSender = 5000;  // far more than are sent before the kill
  auto message = [&](int s, int i) {
    return with_control_id(original_mode(corpus[static_cast<size_t>(i) % corpus.size()].text),
                           "C" + std::to_string(s) + "-" + std::to_string(i));
  };

  std::mutex mu;
  std::set<std::string> acknowledged;  // guarded by mu
  {
    GatewaydProcess gw(dir.path());
    if (gw::Status started = gw.start(); !started.ok()) FAIL() << started.message();
    std::atomic<int> acks{0};
    std::vector<std::thread> senders;
    for (int s = 0; s < kSenders; ++s) {
      senders.emplace_back([&, s] {
        auto connected = mllp::Client::connect("127.0.0.1", gw.port(), 5s);
        if (!connected.ok()) return;
        std::unique_ptr<mllp::Client> c = std::move(connected).value();
        for (int i = 0; i < kPerSender; ++i) {
          std::string msg = message(s, i);
          if (!c->send(msg).ok()) return;
          auto reply = c->receive(10s);
          if (!reply.ok()) return;  // the gateway died
          auto ack = hl7::read_ack(*reply);
          if (ack.ok() && ack->code == "AA") {
            std::lock_guard<std::mutex> lock(mu);
            acknowledged.insert(msh_field(msg, 10));
            ++acks;
          }
        }
      });
    }
    while (acks.load() < 1500) std::this_thread::sleep_for(1ms);
    gw.kill_hard();
    for (auto& t : senders) t.join();
    ASSERT_GE(acknowledged.size(), 1500u);
    ASSERT_LT(acknowledged.size(), static_cast<size_t>(kSenders * kPerSender))
        << "the kill came too late to test anything";
  }

  // Restart on the same state directory.
  GatewaydProcess gw(dir.path());
  if (gw::Status started = gw.start(); !started.ok()) FAIL() << started.message();
  auto after_restart = stored_control_ids(gw.db_path());
  for (const auto& id : acknowledged)
    EXPECT_EQ(after_restart.count(id), 1u) << "acknowledged before the crash but lost: " << id;

  // Resend the first part of every stream: acknowledged ones come back as
  // duplicates, the rest are stored now. Everything is acknowledged AA.
  size_t resend_per_sender = acknowledged.size() / kSenders + 200;
  for (int s = 0; s < kSenders; ++s) {
    auto connected = mllp::Client::connect("127.0.0.1", gw.port(), 5s);
    ASSERT_TRUE(connected.ok()) << connected.status().message();
    std::unique_ptr<mllp::Client> c = std::move(connected).value();
    for (size_t i = 0; i < resend_per_sender; ++i) {
      std::string msg = message(s, static_cast<int>(i));
      gw::Status sent = c->send(msg);
      ASSERT_TRUE(sent.ok()) << sent.message();
      auto reply = c->receive(10s);
      ASSERT_TRUE(reply.ok()) << reply.status().message();
      auto ack = hl7::read_ack(*reply);
      ASSERT_TRUE(ack.ok());
      EXPECT_EQ(ack->code, "AA");
      EXPECT_EQ(ack->control_id, msh_field(msg, 10));
    }
  }
  EXPECT_EQ(gw.terminate(), 0);
  auto final_ids = stored_control_ids(gw.db_path());
  for (const auto& [id, n] : final_ids) EXPECT_EQ(n, 1) << "stored twice: " << id;
  for (const auto& id : acknowledged) EXPECT_EQ(final_ids.count(id), 1u) << id;
}

}  // namespace
}  // namespace gw::testing

namespace gw::testing {
namespace {

// SIGTERM while several senders stream: gatewayd stops accepting, answers what
// it has received, exits 0, and every AA a sender saw is in the store.
TEST(GracefulStopTest, SigtermMidStreamExitsCleanlyAndKeepsEveryAcknowledgedMessage) {
  TempDir dir;
  auto corpus = load_mappable_corpus();
  std::mutex mu;
  std::set<std::string> acknowledged;  // guarded by mu
  GatewaydProcess gw(dir.path());
  if (gw::Status started = gw.start(); !started.ok()) FAIL() << started.message();
  std::atomic<int> acks{0};
  std::vector<std::thread> senders;
  for (int s = 0; s < 4; ++s) {
    senders.emplace_back([&, s] {
      auto connected = mllp::Client::connect("127.0.0.1", gw.port(), 5s);
      if (!connected.ok()) return;
      std::unique_ptr<mllp::Client> c = std::move(connected).value();
      for (int i = 0; i < 100000; ++i) {
        std::string msg = with_control_id(original_mode(corpus[i % corpus.size()].text),
                                          "S" + std::to_string(s) + "-" + std::to_string(i));
        if (!c->send(msg).ok()) return;
        auto reply = c->receive(10s);
        if (!reply.ok()) return;
        auto ack = hl7::read_ack(*reply);
        if (!ack.ok() || ack->code != "AA") return;
        std::lock_guard<std::mutex> lock(mu);
        acknowledged.insert(ack->control_id);
        ++acks;
      }
    });
  }
  while (acks.load() < 500) std::this_thread::sleep_for(1ms);
  EXPECT_EQ(gw.terminate(), 0) << gw.output();
  for (auto& t : senders) t.join();
  EXPECT_NE(gw.output().find("event=stopped"), std::string::npos);
  auto stored = stored_control_ids(gw.db_path());
  for (const auto& id : acknowledged) EXPECT_EQ(stored.count(id), 1u) << id;
}

TEST(PipeliningTest, PipelinedMessagesAreAnsweredInOrder) {
  TempDir dir;
  auto corpus = load_mappable_corpus();
  GatewaydProcess gw(dir.path());
  if (gw::Status started = gw.start(); !started.ok()) FAIL() << started.message();
  auto connected = mllp::Client::connect("127.0.0.1", gw.port(), 5s);
  ASSERT_TRUE(connected.ok()) << connected.status().message();
  std::unique_ptr<mllp::Client> c = std::move(connected).value();
  constexpr int kCount = 300;  // well over max_in_flight_per_connection (64): reading pauses
  std::string burst;
  for (int i = 0; i < kCount; ++i)
    ASSERT_TRUE(c->send(with_control_id(original_mode(corpus[i % corpus.size()].text),
                                        "P-" + std::to_string(i)))
                    .ok());
  for (int i = 0; i < kCount; ++i) {
    auto reply = c->receive(10s);
    ASSERT_TRUE(reply.ok()) << reply.status().message();
    auto ack = hl7::read_ack(*reply);
    ASSERT_TRUE(ack.ok());
    EXPECT_EQ(ack->code, "AA");
    EXPECT_EQ(ack->control_id, "P-" + std::to_string(i));
  }
}

}  // namespace
}  // namespace gw::testing
