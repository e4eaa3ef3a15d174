// Transfer state: forward-only steps, idempotent pulls and receipts, and
// state that survives reopening.
#include "gateway/transfer/transfer_store.h"

#include <gtest/gtest.h>

#include "gateway/store/store_test_util.h"

namespace gw::transfer {
namespace {

using store::testing::TempDir;

OutgoingRequest push(uint8_t recipient_byte) {
  OutgoingRequest r;
  r.recipient.fill(recipient_byte);
  r.patient_token.fill(0x11);
  r.purpose = 0;
  return r;
}

TEST(TransferStoreTest, OutgoingMovesForwardOnlyAndSurvivesReopen) {
  TempDir dir;
  const std::string path = dir.file("transfers.db");
  int64_t id = 0;
  {
    auto store = TransferStore::open(path);
    ASSERT_TRUE(store.ok()) << store.error().message();
    auto created = (*store)->create_outgoing(push(0xb2), 1000);
    ASSERT_TRUE(created.ok());
    id = *created;
    EXPECT_EQ(id, 1);  // transfer ids start at 1 and only grow
    // Out of order steps are refused.
    EXPECT_EQ((*store)->set_recording(id, 5, 1001).code(), StatusCode::kFailedPrecondition);
    Hash256 root{};
    root.fill(0x42);
    ASSERT_TRUE((*store)->set_prepared(id, root, 3, "sealed-bytes", 1002).ok());
    EXPECT_FALSE((*store)->set_prepared(id, root, 3, "other", 1003).ok());
    ASSERT_TRUE((*store)->set_recording(id, 5, 1004).ok());
  }
  auto store = TransferStore::open(path);
  ASSERT_TRUE(store.ok());
  auto due = (*store)->due_outgoing(2000, 10);
  ASSERT_TRUE(due.ok());
  ASSERT_EQ(due->size(), 1u);
  const OutgoingTransfer& t = due->front();
  EXPECT_EQ(t.state, OutgoingState::kRecording);
  EXPECT_EQ(t.envelope, "sealed-bytes");
  EXPECT_EQ(t.record_count, 3);
  EXPECT_EQ(t.outbox_seq, 5);
  EXPECT_EQ(t.request.recipient, push(0xb2).recipient);

  ASSERT_TRUE((*store)->set_recorded(id, "0xabc", true, 2001).ok());
  ASSERT_TRUE((*store)->delay_outgoing(id, "peer unreachable", 5000, 2002).ok());
  EXPECT_TRUE((*store)->due_outgoing(4999, 10)->empty());
  ASSERT_EQ((*store)->due_outgoing(5000, 10)->size(), 1u);
  ASSERT_TRUE((*store)->finish_outgoing(id, OutgoingState::kDelivered, "", 5001).ok());
  EXPECT_FALSE((*store)->finish_outgoing(id, OutgoingState::kFailed, "late", 5002).ok());
  auto done = (*store)->outgoing(id);
  ASSERT_TRUE(done.ok() && done->has_value());
  EXPECT_EQ((*done)->state, OutgoingState::kDelivered);
  EXPECT_EQ((*done)->attempts, 1);
  EXPECT_TRUE((*done)->flagged_emergency);
  EXPECT_EQ((*done)->tx_hash, "0xabc");
  EXPECT_TRUE((*store)->due_outgoing(10'000, 10)->empty());
}

TEST(TransferStoreTest, APullAskedTwiceIsOneTransfer) {
  TempDir dir;
  auto store = TransferStore::open(dir.file("t.db"));
  ASSERT_TRUE(store.ok());
  OutgoingRequest pull = push(0xb2);
  pull.requester = pull.recipient;
  pull.request_id = "7";
  auto a = (*store)->create_outgoing(pull, 1);
  auto b = (*store)->create_outgoing(pull, 2);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(*a, *b);
  pull.request_id = "8";
  EXPECT_NE(*(*store)->create_outgoing(pull, 3), *a);
  auto found = (*store)->outgoing_by_request(*pull.requester, "7");
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->id, *a);
  // Refusals are kept and listed, newest first, by patient.
  ASSERT_TRUE((*store)->create_refused(push(0xc3), "NO_CONSENT", 4).ok());
  auto listed = (*store)->list_outgoing(push(0).patient_token, 10);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 3u);
  EXPECT_EQ(listed->front().state, OutgoingState::kRefused);
  EXPECT_EQ(listed->front().detail, "NO_CONSENT");
  Hash256 other{};
  EXPECT_TRUE((*store)->list_outgoing(other, 10)->empty());
}

TEST(TransferStoreTest, IncomingIsRecordedOncePerSenderAndId) {
  TempDir dir;
  auto store = TransferStore::open(dir.file("t.db"));
  ASSERT_TRUE(store.ok());
  IncomingTransfer in;
  in.sender.fill(0xa1);
  in.transfer_id = 9;
  in.record_count = 4;
  in.message_id = 12;
  in.received_ms = 100;
  ASSERT_TRUE((*store)->record_incoming(in).ok());
  in.record_count = 5;
  EXPECT_EQ((*store)->record_incoming(in).code(), StatusCode::kAlreadyExists);
  auto got = (*store)->incoming(in.sender, 9);
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ((*got)->record_count, 4);
  EXPECT_FALSE((*store)->incoming(in.sender, 10)->has_value());
}

TEST(TransferStoreTest, PullRequestsTrackTheCustodiansTransfer) {
  TempDir dir;
  auto store = TransferStore::open(dir.file("t.db"));
  ASSERT_TRUE(store.ok());
  PullRequest r;
  r.custodian.fill(0xa1);
  r.patient_token.fill(0x11);
  auto id = (*store)->create_request(r, 10);
  ASSERT_TRUE(id.ok());
  ASSERT_EQ((*store)->due_requests(10, 5)->size(), 1u);
  ASSERT_TRUE((*store)->delay_request(*id, "custodian unreachable", 50, 11).ok());
  EXPECT_TRUE((*store)->due_requests(49, 5)->empty());
  ASSERT_TRUE((*store)->update_request(*id, RequestState::kAccepted, 33, "", 60).ok());
  EXPECT_TRUE((*store)->due_requests(100, 5)->empty());
  auto found = (*store)->request_for_transfer(r.custodian, 33);
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->id, *id);
  EXPECT_EQ((*found)->state, RequestState::kAccepted);
}

TEST(TransferStoreTest, RefusesAFileOfAnotherKind) {
  TempDir dir;
  const std::string path = dir.file("other.db");
  {
    auto q = store::testing::open_or_die([&] {
      store::StoreOptions o;
      o.path = path;
      o.keys = store::testing::test_keys();
      return o;
    }());
  }
  auto store = TransferStore::open(path);
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.error().message().find("not a transfer store"), std::string::npos);
}

}  // namespace
}  // namespace gw::transfer
