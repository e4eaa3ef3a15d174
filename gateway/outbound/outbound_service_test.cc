// The outbound service end to end inside one process: a real message store
// (SQLite, test keys), the real queue file, and the project's own MLLP server
// as the destination, scripted to lose an ACK, answer "resend later" and
// refuse one message. What is checked: what gets forwarded at all, the order
// of every attempt (a failing item holds back the ones behind it), retries,
// the dead letter, and the queue's cursor across a restart of the service.
#include "gateway/outbound/outbound_service.h"

#include <gtest/gtest.h>

#include <map>
#include <mutex>

#include "adapters/hl7/ack.h"
#include "adapters/mllp/server.h"
#include "gateway/outbound/outbound_test_util.h"
#include "gateway/store/store_test_util.h"
#include "tests/support/wait.h"

namespace gw::outbound {
namespace {

using namespace std::chrono_literals;
using store::testing::test_keys;

std::string message_with_id(const std::string& control_id) {
  const std::string s = testing::testdata_message("adt_a01.hl7");
  // MSH-10 is the tenth |-separated field of MSH (MSH-1 is the separator).
  size_t pos = 0;
  for (int i = 0; i < 9; ++i) pos = s.find('|', pos) + 1;
  return s.substr(0, pos) + control_id + s.substr(s.find('|', pos));
}

// The destination: records every frame's MSH-10 in arrival order and answers
// as scripted.
class ScriptedReceiver : public mllp::FrameHandler {
 public:
  void on_frame(const mllp::PeerInfo&, std::string frame, mllp::Reply reply) override {
    auto parsed = hl7::parse(frame);
    if (!parsed.header) {
      reply.none();
      return;
    }
    const std::string id = parsed.header->control_id;
    int attempt = 0;
    {
      std::lock_guard lock(mu_);
      arrivals_.push_back(id);
      attempt = ++attempts_[id];
    }
    hl7::AckParams p;
    p.control_id = "R" + id;
    p.timestamp = "20260101120000+0000";
    auto with_error = [&](hl7::ErrorCode code) {
      hl7::Error e;
      e.code = code;
      e.detail = "scripted";
      p.errors.push_back(e);
    };
    if (id == "C3" && attempt == 1) {
      reply.send_and_close(std::nullopt);  // taken, but the ACK is lost
    } else if (id == "C4" && attempt <= 2) {
      with_error(hl7::ErrorCode::kApplicationInternalError);
      reply.send(hl7::build_ack(*parsed.header, hl7::AckCode::kAR, p));  // resend later
    } else if (id == "C6") {
      with_error(hl7::ErrorCode::kRequiredFieldMissing);
      reply.send(hl7::build_ack(*parsed.header, hl7::AckCode::kAE, p));  // refused for good
    } else {
      reply.send(hl7::build_ack(*parsed.header, hl7::AckCode::kAA, p));
    }
  }
  std::vector<std::string> arrivals() {
    std::lock_guard lock(mu_);
    return arrivals_;
  }

 private:
  std::mutex mu_;
  std::vector<std::string> arrivals_;
  std::map<std::string, int> attempts_;
};

class OutboundServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store::StoreOptions o;
    o.path = dir_.store_file();
    o.keys = test_keys();
    store_ = store::testing::open_or_die(o);
    ASSERT_TRUE(store_);
    mllp::ServerOptions so;
    so.port = 0;
    auto server = mllp::Server::create(so, &receiver_);
    ASSERT_TRUE(server.ok()) << server.error().message();
    server_ = std::move(server).value();
    server_->start();
    port_ = server_->port();
  }
  void TearDown() override {
    if (service_) service_->stop();
    if (server_) server_->stop(0ms);
  }
  void start_service() {
    std::vector<DestinationSpec> d;
    d.push_back({"adt/mllp", "adt",
                 make_mllp_forwarder({"127.0.0.1", port_, std::chrono::seconds(5), std::nullopt}),
                 10ms, 40ms});
    OutboundOptions o;
    o.queue_path = dir_.file("outbound.db");
    o.poll = 20ms;
    auto s = OutboundService::start(o, store_.get(), std::move(d));
    ASSERT_TRUE(s.ok()) << s.error().message();
    service_ = std::move(s).value();
  }
  void store_message(const std::string& control_id, const std::string& channel = "adt",
                     store::MessageStatus status = store::MessageStatus::kAccepted,
                     const std::string& type = "ADT^A01") {
    store::InboundMessage m =
        store::testing::make_message("APP|FAC", control_id, message_with_id(control_id), status);
    m.channel = channel;
    m.message_type = type;
    ASSERT_EQ(store_->submit_sync(std::move(m)).kind, store::CommitResult::Kind::kStored);
  }
  DestinationCounts counts() {
    auto c = service_->counts();
    EXPECT_TRUE(c.ok());
    return c.ok() && !c->empty() ? c->front() : DestinationCounts{};
  }

  store::testing::TempDir dir_;
  std::unique_ptr<store::MessageStore> store_;
  ScriptedReceiver receiver_;
  std::unique_ptr<mllp::Server> server_;
  uint16_t port_ = 0;
  std::unique_ptr<OutboundService> service_;
};

TEST_F(OutboundServiceTest, ForwardsInCommitOrderRetriesHoldTheLineAndRefusalsStepAside) {
  store_message("C0");  // stored before forwarding was configured: not forwarded
  start_service();
  for (int i = 1; i <= 8; ++i) {
    store_message("C" + std::to_string(i));
    if (i == 2) {
      // Not forwarded: refused by this gateway, another channel, an ACK, a
      // REST write.
      store_message("R1", "adt", store::MessageStatus::kRejected);
      store_message("O1", "lab");
      store_message("A1", "adt", store::MessageStatus::kAccepted, "ACK");
      store_message("F1", "adt", store::MessageStatus::kAccepted, "FHIR transaction");
    }
  }
  ASSERT_TRUE(gw::testing::wait_until([&] { return counts().sent + counts().dead == 8; }, 60s))
      << "sent " << counts().sent << ", dead " << counts().dead;
  // Every attempt, in order: C3 again after its lost ACK, C4 three times
  // (two "resend later"), C6 once (refused), and nothing overtook a failing item.
  EXPECT_EQ(receiver_.arrivals(), (std::vector<std::string>{"C1", "C2", "C3", "C3", "C4", "C4",
                                                            "C4", "C5", "C6", "C7", "C8"}));
  const DestinationCounts c = counts();
  EXPECT_EQ(c.sent, 7);
  EXPECT_EQ(c.dead, 1);
  EXPECT_EQ(c.queued, 0);
  // C4's two "resend later"; C3's lost ACK closed a kept-alive connection,
  // which is sent again at once on a new one, not counted as a failure.
  EXPECT_EQ(c.retried, 2);
}

TEST_F(OutboundServiceTest, WhatIsStoredWhileStoppedIsForwardedAfterTheRestart) {
  start_service();
  store_message("C1");
  ASSERT_TRUE(gw::testing::wait_until([&] { return counts().sent == 1; }, 60s));
  service_->stop();
  service_.reset();
  store_message("C2");  // accepted while forwarding is down
  store_message("C5");
  start_service();  // the same queue file: its cursor, not the store's end
  ASSERT_TRUE(gw::testing::wait_until([&] { return counts().sent == 3; }, 60s))
      << "sent " << counts().sent;
  EXPECT_EQ(receiver_.arrivals(), (std::vector<std::string>{"C1", "C2", "C5"}));
}

TEST_F(OutboundServiceTest, AnUnreachableDestinationKeepsEverythingQueuedAndRetried) {
  server_->stop(0ms);
  server_.reset();
  start_service();
  store_message("C1");
  store_message("C2");
  ASSERT_TRUE(gw::testing::wait_until([&] { return counts().retried >= 3; }, 60s));
  EXPECT_EQ(counts().queued, 2);
  EXPECT_EQ(counts().sent, 0);
  // The destination comes back on the same port.
  mllp::ServerOptions so;
  so.port = port_;
  auto server = mllp::Server::create(so, &receiver_);
  ASSERT_TRUE(server.ok()) << server.error().message();
  server_ = std::move(server).value();
  server_->start();
  ASSERT_TRUE(gw::testing::wait_until([&] { return counts().sent == 2; }, 60s));
  EXPECT_EQ(receiver_.arrivals(), (std::vector<std::string>{"C1", "C2"}));
}

TEST_F(OutboundServiceTest, AConnectionTheReceiverClosedWhileIdleIsNotAFailedAttempt) {
  // The receiver closes connections idle for 100 ms.
  server_->stop(0ms);
  mllp::ServerOptions so;
  so.port = port_;
  so.idle_timeout = 100ms;
  auto server = mllp::Server::create(so, &receiver_);
  ASSERT_TRUE(server.ok()) << server.error().message();
  server_ = std::move(server).value();
  server_->start();
  start_service();
  store_message("C1");
  ASSERT_TRUE(gw::testing::wait_until([&] { return counts().sent == 1; }, 60s));
  ASSERT_TRUE(
      gw::testing::wait_until([&] { return server_->stats().connections_idle_closed >= 1; }, 60s));
  store_message("C2");
  ASSERT_TRUE(gw::testing::wait_until([&] { return counts().sent == 2; }, 60s));
  EXPECT_EQ(counts().retried, 0);
  EXPECT_EQ(receiver_.arrivals(), (std::vector<std::string>{"C1", "C2"}));
}

}  // namespace
}  // namespace gw::outbound
