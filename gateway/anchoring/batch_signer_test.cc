// test-needs: swtpm
// Batch signing over a real store: roots are the OpenZeppelin-style Merkle
// roots of the records' commitments, signatures verify with the key store's
// public key, batches are contiguous, and a slow TPM (swtpm with injected
// latency) delays only the batches.
#include "gateway/anchoring/batch_signer.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <filesystem>
#include <fstream>

#include "gateway/crypto/merkle.h"
#include "gateway/crypto/store_keys.h"
#include "gateway/store/message_store.h"
#include "tpm/testing/swtpm_process.h"

namespace gw::anchoring {
namespace {

using tpm::testing::SwtpmProcess;
using tpm::testing::TempDir;

bool verify(const std::string& pem, const std::array<uint8_t, 32>& digest,
            const std::vector<uint8_t>& der) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  EVP_PKEY* key = PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  if (key == nullptr) return false;
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new(key, nullptr);
  bool ok = ctx != nullptr && EVP_PKEY_verify_init(ctx) == 1 &&
            EVP_PKEY_verify(ctx, der.data(), der.size(), digest.data(), digest.size()) == 1;
  EVP_PKEY_CTX_free(ctx);
  EVP_PKEY_free(key);
  return ok;
}

class BatchSignerTest : public ::testing::Test {
 protected:
  void open_store() {
    store::StoreOptions so;
    so.path = dir_.path() + "/messages.db";
    so.keys = crypto::StoreKeys::random_for_tests();
    std::string error;
    auto opened = store::MessageStore::open(so);
    ASSERT_TRUE(opened.ok()) << opened.status().message();
    store_ = std::move(opened).value();
  }
  // One message with `n` Patient records.
  void write_records(int n, const std::string& control_id) {
    store::InboundMessage m;
    m.channel = "test";
    m.sender = "APP|FAC";
    m.control_id = control_id;
    m.message_type = "ADT^A01";
    m.raw = "MSH|...";
    m.ack = "MSA|AA";
    m.received_at_ms = 1700000000000;
    for (int i = 0; i < n; ++i) {
      store::RecordWrite r;
      r.resource_type = "Patient";
      r.resource_id = control_id + "-" + std::to_string(i);
      r.resource_json = R"({"resourceType":"Patient","id":")" + r.resource_id + R"("})";
      m.records.push_back(r);
    }
    auto result = store_->submit_sync(m);
    ASSERT_EQ(result.kind, store::CommitResult::Kind::kStored) << result.error;
  }
  keys::KeyStoreOptions provision(const std::string& kind, const std::string& tcti = "") {
    keys::KeyStoreOptions ko;
    ko.kind = kind;
    ko.state_dir = dir_.path() + "/state";
    ko.consortium_id = "test";
    ko.tcti = tcti;
    auto ks = keys::open_key_store(ko);
    EXPECT_TRUE(ks.ok()) << ks.status().message();
    if (ks.ok()) {
      auto report = (*ks)->provision();
      EXPECT_TRUE(report.ok()) << report.status().message();
    }
    return ko;
  }

  TempDir dir_;
  std::unique_ptr<store::MessageStore> store_;
};

TEST_F(BatchSignerTest, RootsAreMerkleRootsOfCommitmentsAndSignaturesVerify) {
  open_store();
  BatchSignerOptions bo;
  bo.db_path = dir_.path() + "/messages.db";
  bo.keys = provision("software");
  bo.batch_records = 4;
  std::string error;
  auto created = BatchSigner::create(bo);
  ASSERT_TRUE(created.ok()) << created.status().message();
  std::unique_ptr<BatchSigner> signer = std::move(created).value();
  EXPECT_EQ(signer->sign_pending().value_or(99), 0u);  // nothing yet

  write_records(6, "M1");
  auto opened = store::BatchStore::open(bo.db_path);
  ASSERT_TRUE(opened.ok()) << opened.status().message();
  auto batches = std::move(opened).value();
  auto pending = batches->pending(100);
  ASSERT_TRUE(pending) << pending.status().message();
  ASSERT_EQ(pending->seqs.size(), 6u);

  EXPECT_EQ(signer->sign_pending().value_or(0), 4u);
  EXPECT_EQ(signer->sign_pending().value_or(0), 2u);
  EXPECT_EQ(signer->sign_pending().value_or(99), 0u);

  auto list = batches->list(0, 10).value();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].first_seq, pending->seqs[0]);
  EXPECT_EQ(list[0].last_seq, pending->seqs[3]);
  EXPECT_EQ(list[1].first_seq, pending->seqs[4]);
  EXPECT_EQ(list[1].record_count, 2);
  auto first =
      crypto::MerkleTree::build({pending->commitments.begin(), pending->commitments.begin() + 4});
  ASSERT_TRUE(first);
  EXPECT_EQ(list[0].root, first->root());

  auto ks = keys::open_key_store(bo.keys);
  ASSERT_TRUE(ks.ok()) << ks.status().message();
  auto pem = (*ks)->batch_signing_public_key();
  ASSERT_TRUE(pem.ok()) << pem.status().message();
  EXPECT_TRUE(verify(*pem, list[0].root, list[0].signature));
  EXPECT_TRUE(verify(*pem, list[1].root, list[1].signature));
  EXPECT_FALSE(verify(*pem, list[1].root, list[0].signature));
  // Every record proves its membership in its batch.
  auto proof = first->proof(2);
  EXPECT_TRUE(crypto::MerkleTree::verify(list[0].root, pending->commitments[2], proof));
}

// The signer reads the pending records, then waits for the store's sync
// before signing: a failed wait signs nothing and the records stay pending.
TEST_F(BatchSignerTest, SignsOnlyAfterTheStoreSaysWhatItReadIsDurable) {
  open_store();
  BatchSignerOptions bo;
  bo.db_path = dir_.path() + "/messages.db";
  bo.keys = provision("software");
  int waits = 0;
  bool durable = false;
  bo.wait_durable = [&]() -> Status {
    ++waits;
    return durable ? store_->wait_durable() : unavailable_error("sync failed");
  };
  auto created = BatchSigner::create(bo);
  ASSERT_TRUE(created.ok()) << created.status().message();
  std::unique_ptr<BatchSigner> signer = std::move(created).value();
  EXPECT_EQ(signer->sign_pending().value_or(99), 0u);
  EXPECT_EQ(waits, 0);  // nothing read, nothing to wait for

  write_records(3, "M1");
  auto refused = signer->sign_pending();
  EXPECT_FALSE(refused.ok());
  EXPECT_EQ(waits, 1);
  EXPECT_EQ(signer->batches_signed(), 0u);
  durable = true;
  EXPECT_EQ(signer->sign_pending().value_or(0), 3u);
  EXPECT_EQ(waits, 2);
  EXPECT_EQ(signer->batches_signed(), 1u);
}

TEST_F(BatchSignerTest, SlowTpmDelaysOnlyBatches) {
  std::string error;
  auto swtpm_started = SwtpmProcess::start(dir_.path() + "/swtpm");
  ASSERT_TRUE(swtpm_started.ok()) << swtpm_started.error().message();
  auto swtpm = std::move(*swtpm_started);
  open_store();
  BatchSignerOptions bo;
  bo.db_path = dir_.path() + "/messages.db";
  bo.keys = provision("tpm", swtpm->tcti());
  bo.keys.injected_latency = std::chrono::milliseconds(50);
  bo.batch_records = 10;
  bo.interval = std::chrono::milliseconds(100);
  bo.poll = std::chrono::milliseconds(10);
  auto created = BatchSigner::create(bo);
  ASSERT_TRUE(created.ok()) << created.status().message();
  std::unique_ptr<BatchSigner> signer = std::move(created).value();
  signer->start();
  // Messages keep committing while the signer waits on the slow TPM.
  for (int i = 0; i < 20; ++i) write_records(3, "S" + std::to_string(i));
  signer->stop();  // signs the rest
  auto opened = store::BatchStore::open(bo.db_path);
  ASSERT_TRUE(opened.ok()) << opened.status().message();
  auto batches = std::move(opened).value();
  auto list = batches->list(0, 100).value();
  ASSERT_FALSE(list.empty());
  int64_t total = 0, expected_first = list.front().first_seq;
  for (const auto& b : list) {
    EXPECT_EQ(b.first_seq, expected_first) << "batches must be contiguous";
    expected_first = b.last_seq + 1;
    total += b.record_count;
    EXPECT_EQ(b.signer, "tpm");
  }
  EXPECT_EQ(total, 60);
  EXPECT_EQ(batches->pending_count().value_or(-1), 0);
}

}  // namespace
}  // namespace gw::anchoring
