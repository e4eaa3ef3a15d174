// The batch audit's checks with a software P-256 key standing in for the TPM:
// an intact batch passes; a changed commitment, a lost record, a bad
// signature, and every way the ledger's anchor can disagree are each named.
// The key and certificate hashes are compared with what the openssl CLI
// prints for the same files (`openssl pkey -pubin -outform DER | sha256sum`,
// `openssl x509 -fingerprint -sha256`).
#include "gateway/anchoring/batch_audit.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <fstream>

#include "gateway/crypto/merkle.h"
#include "tpm/testing/swtpm_process.h"

namespace gw::anchoring {
namespace {

using ledger::Hash256;

constexpr char kPublicPem[] =
    "-----BEGIN PUBLIC KEY-----\n"
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEWN2L6/RLebOtVMMgPJ7AJckN2G2l\n"
    "7teR085gamjxMtCx4rSOqRpBysWEuroVI6gOcr/P2FKKCgK7LwbYn18rBg==\n"
    "-----END PUBLIC KEY-----\n";
constexpr char kPublicKeySha256[] =
    "f177a423576ae8f98be7d678cf8c9119c5ce80f696dcd69e185049dcf38b187b";
constexpr char kCertificatePem[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBhTCCASugAwIBAgIUK3rY/Ji9mG9ihwDR9bBlIkkXb2kwCgYIKoZIzj0EAwIw\n"
    "FzEVMBMGA1UEAwwMZ2F0ZXdheS50ZXN0MCAXDTI2MTIwMzA2NTgwM1oYDzIxMjYx\n"
    "MTA5MDY1ODAzWjAXMRUwEwYDVQQDDAxnYXRld2F5LnRlc3QwWTATBgcqhkjOPQIB\n"
    "BggqhkjOPQMBBwNCAARY3Yvr9Et5s61UwyA8nsAlyQ3YbaXu15HTzmBqaPEy0LHi\n"
    "tI6pGkHKxYS6uhUjqA5yv8/YUooKArsvBtifXysGo1MwUTAdBgNVHQ4EFgQUdAUe\n"
    "bIJIuFKld7HfTfAL470G2BIwHwYDVR0jBBgwFoAUdAUebIJIuFKld7HfTfAL470G\n"
    "2BIwDwYDVR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNIADBFAiEAl2LvO6YjYW2Q\n"
    "dhUNMebmkKDUgIE2oT7B/FA6O7OU0B4CIHSQgYRAYUgmXG+d5XAAR6IdLP9BhwqX\n"
    "pkVROX4Gtsr5\n"
    "-----END CERTIFICATE-----\n";
constexpr char kCertificateSha256[] =
    "07162558223f959a9100aeb11a8e5751d99d42faba3b56f8766e22dc14b2af93";

bool contains(const std::vector<std::string>& problems, const std::string& needle) {
  for (const auto& p : problems)
    if (p.find(needle) != std::string::npos) return true;
  return false;
}

// A fresh P-256 key that signs roots as the key store does.
class SoftwareSigner {
 public:
  SoftwareSigner() : key_(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256")) {}
  ~SoftwareSigner() { EVP_PKEY_free(key_); }
  std::string public_pem() const {
    BIO* bio = BIO_new(BIO_s_mem());
    PEM_write_bio_PUBKEY(bio, key_);
    char* data = nullptr;
    const long n = BIO_get_mem_data(bio, &data);
    std::string pem(data, static_cast<size_t>(n));
    BIO_free(bio);
    return pem;
  }
  std::vector<uint8_t> sign(const Hash256& root) const {
    EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new(key_, nullptr);
    std::vector<uint8_t> sig(128);
    size_t n = sig.size();
    if (ctx == nullptr || EVP_PKEY_sign_init(ctx) != 1 ||
        EVP_PKEY_sign(ctx, sig.data(), &n, root.data(), root.size()) != 1)
      n = 0;
    EVP_PKEY_CTX_free(ctx);
    sig.resize(n);
    return sig;
  }

 private:
  EVP_PKEY* key_;
};

class BatchAuditTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NE(signer_.sign(Hash256{}).size(), 0u);
    for (int i = 0; i < 5; ++i) {
      records_.seqs.push_back(100 + i);
      std::array<uint8_t, 32> c{};
      c.fill(static_cast<uint8_t>(i + 1));
      records_.commitments.push_back(c);
    }
    batch_.id = 7;
    batch_.first_seq = 100;
    batch_.last_seq = 104;
    batch_.record_count = 5;
    batch_.root = crypto::MerkleTree::build(records_.commitments)->root();
    batch_.signature = signer_.sign(batch_.root);
    auto v = BatchSignatureVerifier::from_pem(signer_.public_pem());
    ASSERT_TRUE(v) << v.error().message();
    verifier_.emplace(*v);
    member_.fill(0x42);
  }
  ChainAnchor anchored() const {
    ChainAnchor c;
    c.record.anchored_at = 1764745200;
    c.record.kind = 2;
    c.record.block_number = 57;
    ledger::consortium::Anchored e;
    e.member = member_;
    e.root = batch_.root;
    e.kind = 2;
    e.first_seq = 100;
    e.last_seq = 104;
    e.signature = batch_.signature;
    c.event = e;
    return c;
  }

  SoftwareSigner signer_;
  store::PendingRecords records_;
  store::SignedBatch batch_;
  std::optional<BatchSignatureVerifier> verifier_;
  ledger::Address member_{};
};

TEST_F(BatchAuditTest, AnIntactBatchHasNoProblems) {
  EXPECT_TRUE(check_batch_records(batch_, records_, *verifier_).empty());
}

TEST_F(BatchAuditTest, AChangedCommitmentNoLongerRebuildsTheRoot) {
  records_.commitments[3][0] ^= 1;
  auto problems = check_batch_records(batch_, records_, *verifier_);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("the commitments of records 100-104 hash to 0x"), std::string::npos)
      << problems[0];
}

TEST_F(BatchAuditTest, ALostRecordIsCountedAndBreaksTheRoot) {
  records_.seqs.erase(records_.seqs.begin() + 2);
  records_.commitments.erase(records_.commitments.begin() + 2);
  auto problems = check_batch_records(batch_, records_, *verifier_);
  EXPECT_TRUE(contains(problems,
                       "the store holds 4 record versions in seqs 100-104, the batch "
                       "counted 5"));
  EXPECT_TRUE(contains(problems, "hash to"));
  records_ = {};
  EXPECT_TRUE(contains(check_batch_records(batch_, records_, *verifier_),
                       "no record versions left in seqs 100-104"));
}

TEST_F(BatchAuditTest, ASignatureOfAnotherRootOrKeyDoesNotVerify) {
  Hash256 other = batch_.root;
  other[0] ^= 1;
  batch_.signature = signer_.sign(other);
  EXPECT_TRUE(contains(check_batch_records(batch_, records_, *verifier_),
                       "its signature does not verify with the batch-signing key"));
  SoftwareSigner stranger;
  batch_.signature = stranger.sign(batch_.root);
  EXPECT_EQ(check_batch_records(batch_, records_, *verifier_).size(), 1u);
  batch_.signature = {0x30, 0x00};
  EXPECT_EQ(check_batch_records(batch_, records_, *verifier_).size(), 1u);
}

TEST_F(BatchAuditTest, AnchorStates) {
  ChainAnchor none;
  EXPECT_EQ(check_batch_anchor(batch_, member_, none).state, AnchorState::kNotYet);

  AnchorCheck a = check_batch_anchor(batch_, member_, anchored());
  EXPECT_EQ(a.state, AnchorState::kAnchored);
  EXPECT_TRUE(a.problems.empty());

  // The store recorded an anchoring transaction the chain no longer has.
  batch_.anchored_tx = "0x" + std::string(64, 'a');
  a = check_batch_anchor(batch_, member_, none);
  EXPECT_EQ(a.state, AnchorState::kMismatch);
  EXPECT_TRUE(contains(a.problems, "the ledger holds no anchor of its root"));
}

TEST_F(BatchAuditTest, EveryDisagreementWithTheLedgerIsNamed) {
  ChainAnchor c = anchored();
  c.event->first_seq = 99;
  AnchorCheck a = check_batch_anchor(batch_, member_, c);
  EXPECT_EQ(a.state, AnchorState::kMismatch);
  EXPECT_TRUE(contains(a.problems, "anchored it for records 99-104, the store says 100-104"));

  c = anchored();
  c.event->signature.back() ^= 1;
  EXPECT_TRUE(contains(check_batch_anchor(batch_, member_, c).problems,
                       "the signature on the ledger differs"));

  c = anchored();
  c.record.kind = 1;
  EXPECT_TRUE(contains(check_batch_anchor(batch_, member_, c).problems, "as kind 1"));

  c = anchored();
  c.event.reset();
  a = check_batch_anchor(batch_, member_, c);
  EXPECT_EQ(a.state, AnchorState::kMismatch);
  EXPECT_TRUE(contains(a.problems, "the Anchored event of block 57 was not found"));

  c = anchored();
  c.event->member[0] ^= 1;
  EXPECT_TRUE(contains(check_batch_anchor(batch_, member_, c).problems, "another member or root"));
}

TEST(BatchAuditKeys, HashesMatchTheOpensslCli) {
  auto h = public_key_hash(kPublicPem);
  ASSERT_TRUE(h) << h.error().message();
  EXPECT_EQ(ledger::to_hex(*h), kPublicKeySha256);
  EXPECT_FALSE(public_key_hash("not a key"));
  EXPECT_FALSE(BatchSignatureVerifier::from_pem("-----BEGIN PUBLIC KEY-----\n-----END"));

  tpm::testing::TempDir dir;
  const std::string path = dir.path() + "/cert.pem";
  std::ofstream(path) << kCertificatePem;
  auto fp = certificate_fingerprint(path);
  ASSERT_TRUE(fp) << fp.error().message();
  EXPECT_EQ(ledger::to_hex(*fp), kCertificateSha256);
  std::ofstream(path) << kPublicPem;
  EXPECT_FALSE(certificate_fingerprint(path));
  EXPECT_FALSE(certificate_fingerprint(dir.path() + "/missing.pem"));
}

}  // namespace
}  // namespace gw::anchoring
