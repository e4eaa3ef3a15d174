// Transfer payloads: sealed to the recipient, authenticated as the sender's,
// and refused when altered, truncated, misaddressed or inconsistent.
#include "gateway/transfer/payload.h"

#include <gtest/gtest.h>
#include <sodium.h>

#include "gateway/crypto/commitment.h"

namespace gw::transfer {
namespace {

struct KeyPair {
  crypto::SecretBytes secret;
  PublicKey public_key{};
};

KeyPair make_keys() {
  KeyPair k;
  k.secret = *crypto::SecretBytes::allocate(crypto_box_SECRETKEYBYTES);
  crypto_box_keypair(k.public_key.data(), k.secret.mutable_data());
  return k;
}

PayloadRecord record(std::string type, std::string id, std::string json) {
  PayloadRecord r;
  r.resource_type = std::move(type);
  r.resource_id = std::move(id);
  r.resource_json = std::move(json);
  const crypto::Commitment c = crypto::commit(r.resource_json);
  r.salt = c.salt;
  r.commitment = c.digest;
  return r;
}

Payload sample() {
  Payload p;
  p.transfer.from.fill(0xa1);
  p.transfer.to.fill(0xb2);
  p.transfer.id = 77;
  p.transfer.patient_token.fill(0x33);
  p.transfer.purpose = 0;
  p.records.push_back(record("Patient", "p1", R"({"id":"p1","resourceType":"Patient"})"));
  p.records.push_back(record(
      "Observation", "o1",
      R"({"id":"o1","resourceType":"Observation","subject":{"reference":"Patient/p1"},"valueString":"ü \"q\" \\ \n"})"));
  std::vector<Hash256> commitments;
  for (const PayloadRecord& r : p.records) commitments.push_back(r.commitment);
  p.root = *commitment_root(commitments);
  return p;
}

class PayloadTest : public ::testing::Test {
 protected:
  KeyPair sender_ = make_keys(), recipient_ = make_keys(), other_ = make_keys();
};

TEST_F(PayloadTest, SealedPayloadOpensByteForByte) {
  const Payload p = sample();
  ASSERT_TRUE(verify_commitments(p).ok());
  auto sealed = seal(p, sender_.secret, recipient_.public_key);
  ASSERT_TRUE(sealed.ok()) << sealed.error().message();
  EXPECT_EQ(sealed->sender_key, sender_.public_key);
  // Nothing of the records is in clear.
  EXPECT_EQ(sealed->bytes.find("Observation"), std::string::npos);

  auto clear = read_envelope(sealed->bytes);
  ASSERT_TRUE(clear.ok()) << clear.error().message();
  EXPECT_EQ(clear->transfer.from, p.transfer.from);
  EXPECT_EQ(clear->transfer.to, p.transfer.to);
  EXPECT_EQ(clear->transfer.id, 77u);
  EXPECT_EQ(clear->recipient_key, recipient_.public_key);

  auto opened = open(*clear, recipient_.secret, sender_.public_key);
  ASSERT_TRUE(opened.ok()) << opened.error().message();
  EXPECT_EQ(opened->transfer, p.transfer);
  EXPECT_EQ(opened->root, p.root);
  ASSERT_EQ(opened->records.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(opened->records[i].resource_json, p.records[i].resource_json);
    EXPECT_EQ(opened->records[i].salt, p.records[i].salt);
    EXPECT_EQ(opened->records[i].commitment, p.records[i].commitment);
  }
  EXPECT_TRUE(verify_commitments(*opened).ok());
}

TEST_F(PayloadTest, OnlyTheRecipientOpensAndOnlyFromTheRegisteredSender) {
  auto sealed = seal(sample(), sender_.secret, recipient_.public_key);
  ASSERT_TRUE(sealed.ok());
  // Another member's key cannot open it.
  auto wrong_recipient = open(*sealed, other_.secret, sender_.public_key);
  EXPECT_EQ(wrong_recipient.error().code(), StatusCode::kPermissionDenied);
  // A sender whose registered key is another one is refused before opening.
  auto wrong_sender = open(*sealed, recipient_.secret, other_.public_key);
  EXPECT_EQ(wrong_sender.error().code(), StatusCode::kPermissionDenied);
  // A forger who claims the sender's key in clear but sealed with its own.
  auto forged = seal(sample(), other_.secret, recipient_.public_key);
  ASSERT_TRUE(forged.ok());
  std::string bytes = forged->bytes;
  const std::string claimed = ledger::to_hex(forged->sender_key);
  bytes.replace(bytes.find(claimed), claimed.size(), ledger::to_hex(sender_.public_key));
  auto read = read_envelope(bytes);
  ASSERT_TRUE(read.ok());
  EXPECT_EQ(open(*read, recipient_.secret, sender_.public_key).error().code(),
            StatusCode::kPermissionDenied);
}

// The sender's cheap look at a stored envelope agrees with reading it.
TEST_F(PayloadTest, SealedWithKeysNamesExactlyTheEnvelopesKeys) {
  auto sealed = seal(sample(), sender_.secret, recipient_.public_key);
  ASSERT_TRUE(sealed.ok());
  EXPECT_TRUE(sealed_with_keys(sealed->bytes, sender_.public_key, recipient_.public_key));
  EXPECT_FALSE(sealed_with_keys(sealed->bytes, other_.public_key, recipient_.public_key));
  EXPECT_FALSE(sealed_with_keys(sealed->bytes, sender_.public_key, other_.public_key));
  // The two keys the other way round are not the same envelope.
  EXPECT_FALSE(sealed_with_keys(sealed->bytes, recipient_.public_key, sender_.public_key));
  EXPECT_FALSE(sealed_with_keys("", sender_.public_key, recipient_.public_key));
}

TEST_F(PayloadTest, AlteredTruncatedOrReaddressedEnvelopesAreRefused) {
  auto sealed = seal(sample(), sender_.secret, recipient_.public_key);
  ASSERT_TRUE(sealed.ok());
  const std::string& bytes = sealed->bytes;
  // One character of the box changed.
  std::string altered = bytes;
  const size_t box = altered.find("\"box\":\"") + 10;
  altered[box] = altered[box] == 'A' ? 'B' : 'A';
  auto a = read_envelope(altered);
  ASSERT_TRUE(a.ok());
  EXPECT_FALSE(open(*a, recipient_.secret, sender_.public_key).ok());
  // Truncated anywhere: not a document, or a box that does not open.
  for (size_t cut : {bytes.size() - 1, bytes.size() / 2, size_t{10}}) {
    auto t = read_envelope(bytes.substr(0, cut));
    if (t.ok()) {
      EXPECT_FALSE(open(*t, recipient_.secret, sender_.public_key).ok());
    }
  }
  // The clear transfer id changed: the sealed one disagrees.
  std::string readdressed = bytes;
  readdressed.replace(readdressed.find("\"id\":\"77\""), 9, "\"id\":\"78\"");
  auto r = read_envelope(readdressed);
  ASSERT_TRUE(r.ok());
  auto opened = open(*r, recipient_.secret, sender_.public_key);
  ASSERT_FALSE(opened.ok());
  EXPECT_NE(opened.error().message().find("another transfer"), std::string::npos);
  // Oversized.
  PayloadLimits small;
  small.max_envelope_bytes = 100;
  EXPECT_EQ(read_envelope(bytes, small).error().code(), StatusCode::kResourceExhausted);
  // Not an envelope at all.
  EXPECT_FALSE(read_envelope("{}").ok());
  EXPECT_FALSE(read_envelope("[1,2").ok());
  EXPECT_FALSE(read_envelope(R"({"format":"gw-sealed-transfer/1","from":"0x00"})").ok());
}

// The sender reads back what it sealed (to seal it again for a moved key);
// only with the secret of the key the envelope names, and a box that does not
// open is stored data gone bad.
TEST_F(PayloadTest, TheSenderReopensItsOwnEnvelope) {
  const Payload p = sample();
  auto sealed = seal(p, sender_.secret, recipient_.public_key);
  ASSERT_TRUE(sealed.ok());
  auto mine = open_as_sender(*sealed, sender_.secret);
  ASSERT_TRUE(mine.ok()) << mine.error().message();
  EXPECT_EQ(mine->transfer, p.transfer);
  ASSERT_EQ(mine->records.size(), p.records.size());
  EXPECT_EQ(mine->records[1].resource_json, p.records[1].resource_json);
  EXPECT_EQ(open_as_sender(*sealed, other_.secret).error().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(open_as_sender(*sealed, recipient_.secret).error().code(),
            StatusCode::kInvalidArgument);
  std::string altered = sealed->bytes;
  const size_t box = altered.find("\"box\":\"") + 10;
  altered[box] = altered[box] == 'A' ? 'B' : 'A';
  auto a = read_envelope(altered);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(open_as_sender(*a, sender_.secret).error().code(), StatusCode::kDataLoss);
}

TEST_F(PayloadTest, TooManyRecordsAreRefused) {
  auto sealed = seal(sample(), sender_.secret, recipient_.public_key);
  ASSERT_TRUE(sealed.ok());
  PayloadLimits one;
  one.max_records = 1;
  EXPECT_FALSE(open(*sealed, recipient_.secret, sender_.public_key, one).ok());
}

TEST_F(PayloadTest, CommitmentsAndRootAreChecked) {
  Payload p = sample();
  p.records[1].resource_json += " ";
  Status s = verify_commitments(p);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("record 1"), std::string::npos);

  p = sample();
  p.records.pop_back();  // a record dropped after the root was recorded
  EXPECT_FALSE(verify_commitments(p).ok());

  p = sample();
  p.root[0] ^= 1;
  EXPECT_FALSE(verify_commitments(p).ok());
  EXPECT_FALSE(commitment_root({}).has_value());
}

}  // namespace
}  // namespace gw::transfer
