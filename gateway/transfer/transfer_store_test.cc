// Transfer state: forward-only steps, idempotent pulls and receipts, and
// state that survives reopening.
#include "gateway/transfer/transfer_store.h"

#include <gtest/gtest.h>

#include <set>
#include <thread>
#include <vector>

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

// Requests on many threads at once share commits; every one gets its own id
// (a pull asked twice at once still one transfer) and every row is there
// after reopening.
TEST(TransferStoreTest, CreatesFromManyThreadsAreEachStoredOnce) {
  TempDir dir;
  const std::string path = dir.file("transfers.db");
  constexpr int kThreads = 8, kEach = 25;
  std::vector<int64_t> ids(kThreads * kEach, 0);
  std::vector<int64_t> pulls(kThreads, 0);
  {
    auto store = TransferStore::open(path);
    ASSERT_TRUE(store.ok()) << store.error().message();
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < kEach; ++i) {
          auto id = (i % 5 == 4) ? (*store)->create_refused(push(0xb2), "NO_CONSENT", 1000)
                                 : (*store)->create_outgoing(push(0xb2), 1000);
          ids[t * kEach + i] = id.ok() ? *id : -1;
        }
        OutgoingRequest pull = push(0xb3);
        pull.requester = Address{};
        pull.requester->fill(0xc0);
        pull.request_id = "same-request";
        auto id = (*store)->create_outgoing(pull, 1000);
        pulls[t] = id.ok() ? *id : -1;
      });
    }
    for (std::thread& t : threads) t.join();
  }
  std::set<int64_t> distinct(ids.begin(), ids.end());
  EXPECT_EQ(distinct.size(), ids.size());
  EXPECT_EQ(distinct.count(-1), 0u);
  for (int64_t p : pulls) EXPECT_EQ(p, pulls.front());
  EXPECT_EQ(distinct.count(pulls.front()), 0u);

  auto store = TransferStore::open(path);
  ASSERT_TRUE(store.ok());
  auto open = (*store)->due_outgoing(2000, 1000);
  ASSERT_TRUE(open.ok());
  EXPECT_EQ(open->size(), static_cast<size_t>(kThreads * kEach * 4 / 5 + 1));
  for (int64_t id : ids) {
    auto t = (*store)->outgoing(id);
    ASSERT_TRUE(t.ok() && t->has_value()) << id;
  }
}

// A round's state changes land together; a step that does not apply is
// reported to its caller and does not stop the others.
TEST(TransferStoreTest, ARoundOfChangesIsOneCommit) {
  TempDir dir;
  auto store = TransferStore::open(dir.file("transfers.db"));
  ASSERT_TRUE(store.ok());
  const int64_t a = *(*store)->create_outgoing(push(0xb2), 1000);
  const int64_t b = *(*store)->create_outgoing(push(0xb2), 1000);
  Hash256 root{};
  Status wrong_step, first, second;
  ASSERT_TRUE((*store)
                  ->in_one_commit([&] {
                    first = (*store)->set_prepared(a, root, 1, "env-a", 1001);
                    wrong_step = (*store)->set_recording(b, 7, 1001);  // b is not prepared
                    second = (*store)->set_prepared(b, root, 1, "env-b", 1001);
                  })
                  .ok());
  EXPECT_TRUE(first.ok());
  EXPECT_EQ(wrong_step.code(), StatusCode::kFailedPrecondition);
  EXPECT_TRUE(second.ok());
  auto prepared =
      (*store)->due_outgoing(2000, 10, OutgoingState::kPrepared, OutgoingState::kPrepared);
  ASSERT_TRUE(prepared.ok());
  EXPECT_EQ(prepared->size(), 2u);
  EXPECT_TRUE((*store)
                  ->due_outgoing(2000, 10, OutgoingState::kRecording, OutgoingState::kRecorded)
                  ->empty());
  EXPECT_FALSE(
      (*store)->due_outgoing(2000, 10, OutgoingState::kRecorded, OutgoingState::kDelivered).ok());
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
