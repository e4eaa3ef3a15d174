// RecordCipher: round trips, every kind of tampering fails, key rotation,
// envelope layout, and that libsodium's output is what an independent
// XChaCha20-Poly1305 decryption (libsodium's one-shot API) accepts.
#include "gateway/crypto/record_cipher.h"

#include <gtest/gtest.h>
#include <sodium.h>

#include <array>
#include <string>
#include <utility>

namespace gw::crypto {
namespace {

std::array<uint8_t, 32> key_bytes(uint8_t seed) {
  std::array<uint8_t, 32> k;
  for (size_t i = 0; i < k.size(); ++i) k[i] = static_cast<uint8_t>(seed + i * 3);
  return k;
}

SecretBytes key(uint8_t seed) { return std::move(*SecretBytes::copy_of(key_bytes(seed))); }

RecordCipher cipher_with(std::initializer_list<uint32_t> ids) {
  RecordCipher c;
  for (uint32_t id : ids) EXPECT_TRUE(c.add_key(id, key(static_cast<uint8_t>(id))));
  return c;
}

// open() as an optional, its error's message in *error (if non-null).
std::optional<std::string> open_with(const RecordCipher& c, std::string_view envelope,
                                     std::string_view associated_data, std::string* error) {
  auto r = c.open(envelope, associated_data);
  if (!r.ok()) {
    if (error != nullptr) *error = r.error().message();
    return std::nullopt;
  }
  return std::move(r).value();
}

const std::string kRecord = R"({"resourceType":"Patient","name":[{"family":"Example"}]})";
const std::string kRecordId = "Patient/6f0e7c1a-0000-4000-8000-000000000001";

TEST(RecordCipherTest, RoundTrip) {
  const RecordCipher c = cipher_with({1});
  const std::string env = c.seal(kRecord, kRecordId);
  EXPECT_TRUE(is_envelope(env));
  EXPECT_EQ(env.size(), kRecord.size() + kEnvelopeOverheadBytes);
  EXPECT_EQ(env.find("Example"), std::string::npos);
  std::string error;
  const std::optional<std::string> pt = open_with(c, env, kRecordId, &error);
  ASSERT_TRUE(pt.has_value()) << error;
  EXPECT_EQ(*pt, kRecord);

  const std::string empty = c.seal("", kRecordId);
  EXPECT_EQ(empty.size(), kEnvelopeOverheadBytes);
  EXPECT_EQ(open_with(c, empty, kRecordId, nullptr), std::string());
}

TEST(RecordCipherTest, EnvelopeLayout) {
  RecordCipher c;
  ASSERT_TRUE(c.add_key(0x01020304, key(9)));
  const std::string env = c.seal(kRecord, kRecordId);
  EXPECT_EQ(env.substr(0, 4), "GWE1");
  EXPECT_EQ(env.substr(4, 4), std::string("\x01\x02\x03\x04", 4));
  // Independent decryption with the documented layout and associated data.
  const std::string ad = env.substr(0, 8) + kRecordId;
  const auto* u = reinterpret_cast<const unsigned char*>(env.data());
  std::string pt(env.size() - kEnvelopeOverheadBytes, '\0');
  unsigned long long n = 0;
  const auto k = key_bytes(9);
  ASSERT_EQ(crypto_aead_xchacha20poly1305_ietf_decrypt(
                reinterpret_cast<unsigned char*>(pt.data()), &n, nullptr, u + 32, env.size() - 32,
                reinterpret_cast<const unsigned char*>(ad.data()), ad.size(), u + 8, k.data()),
            0);
  EXPECT_EQ(pt, kRecord);
}

TEST(RecordCipherTest, WrongAssociatedDataFails) {
  const RecordCipher c = cipher_with({1});
  const std::string env = c.seal(kRecord, kRecordId);
  std::string error;
  EXPECT_FALSE(open_with(c, env, "Patient/other", &error).has_value());
  EXPECT_EQ(error, "authentication failed");
  EXPECT_FALSE(open_with(c, env, "", &error).has_value());
}

TEST(RecordCipherTest, AnyFlippedBitFails) {
  const RecordCipher c = cipher_with({1});
  const std::string env = c.seal("short record", kRecordId);
  // Every bit after the magic and key id: nonce, ciphertext and tag.
  for (size_t bit = 64; bit < env.size() * 8; ++bit) {
    std::string bad = env;
    bad[bit / 8] = static_cast<char>(bad[bit / 8] ^ (1 << (bit % 8)));
    std::string error;
    ASSERT_FALSE(open_with(c, bad, kRecordId, &error).has_value()) << "bit " << bit;
    ASSERT_EQ(error, "authentication failed");
  }
  EXPECT_TRUE(open_with(c, env, kRecordId, nullptr).has_value());
}

TEST(RecordCipherTest, ChangedHeaderFails) {
  RecordCipher c = cipher_with({1, 2});
  const std::string env = c.seal(kRecord, kRecordId);
  std::string relabelled = env;
  relabelled[7] = 2;  // claims key 2: authenticated, so it cannot be opened with key 2
  std::string error;
  EXPECT_FALSE(open_with(c, relabelled, kRecordId, &error).has_value());
  EXPECT_EQ(error, "authentication failed");
  std::string magic = env;
  magic[3] = '2';
  EXPECT_FALSE(open_with(c, magic, kRecordId, &error).has_value());
  EXPECT_EQ(error, "not an envelope");
}

TEST(RecordCipherTest, UnknownKeyId) {
  RecordCipher sealer;
  ASSERT_TRUE(sealer.add_key(7, key(7)));
  const std::string env = sealer.seal(kRecord, kRecordId);
  const RecordCipher opener = cipher_with({1});
  std::string error;
  EXPECT_FALSE(open_with(opener, env, kRecordId, &error).has_value());
  EXPECT_EQ(error.rfind("unknown key id 7", 0), 0u) << error;
}

TEST(RecordCipherTest, NotAnEnvelope) {
  const RecordCipher c = cipher_with({1});
  std::string error;
  EXPECT_FALSE(open_with(c, "", kRecordId, &error).has_value());
  EXPECT_EQ(error, "not an envelope");
  EXPECT_FALSE(open_with(c, kRecord, kRecordId, &error).has_value());  // plaintext row
  EXPECT_EQ(error, "not an envelope");
  const std::string truncated = c.seal("", kRecordId).substr(0, kEnvelopeOverheadBytes - 1);
  EXPECT_FALSE(is_envelope(truncated));
  EXPECT_FALSE(open_with(c, truncated, kRecordId, nullptr).has_value());
}

TEST(RecordCipherTest, RotationKeepsOldEnvelopesReadable) {
  RecordCipher c = cipher_with({1});
  EXPECT_EQ(c.current_key_id(), 1u);
  const std::string old_env = c.seal(kRecord, kRecordId);
  ASSERT_TRUE(c.add_key(2, key(2)));
  EXPECT_EQ(c.current_key_id(), 1u);  // adding does not switch
  ASSERT_TRUE(c.set_current(2));
  EXPECT_EQ(c.current_key_id(), 2u);
  const std::string new_env = c.seal(kRecord, kRecordId);
  EXPECT_EQ(new_env.substr(4, 4), std::string("\0\0\0\x02", 4));
  EXPECT_EQ(open_with(c, old_env, kRecordId, nullptr), kRecord);
  EXPECT_EQ(open_with(c, new_env, kRecordId, nullptr), kRecord);
  // A gateway that only has the new key cannot read the old envelope.
  const RecordCipher only_new = cipher_with({2});
  EXPECT_FALSE(open_with(only_new, old_env, kRecordId, nullptr).has_value());
  EXPECT_EQ(open_with(only_new, new_env, kRecordId, nullptr), kRecord);
}

TEST(RecordCipherTest, TwoSealsOfTheSamePlaintextDiffer) {
  const RecordCipher c = cipher_with({1});
  const std::string a = c.seal(kRecord, kRecordId);
  const std::string b = c.seal(kRecord, kRecordId);
  EXPECT_NE(a, b);
  EXPECT_NE(a.substr(8, 24), b.substr(8, 24));  // fresh nonce
}

TEST(RecordCipherTest, KeyRingRules) {
  RecordCipher c;
  EXPECT_FALSE(c.has_key());
  EXPECT_EQ(c.seal(kRecord, kRecordId), "");
  EXPECT_FALSE(c.set_current(1));
  const std::array<uint8_t, 16> short_key{};
  EXPECT_FALSE(c.add_key(1, std::move(*SecretBytes::copy_of(short_key))));
  EXPECT_FALSE(c.add_key(1, SecretBytes()));
  EXPECT_FALSE(c.has_key());
  EXPECT_TRUE(c.add_key(1, key(1)));
  EXPECT_TRUE(c.has_key());
  EXPECT_FALSE(c.add_key(1, key(5)));  // duplicate id keeps the original key
  EXPECT_EQ(open_with(c, cipher_with({1}).seal("x", "id"), "id", nullptr), "x");

  RecordCipher moved = std::move(c);
  EXPECT_TRUE(moved.has_key());
  EXPECT_EQ(open_with(moved, moved.seal("y", "id"), "id", nullptr), "y");
}

}  // namespace
}  // namespace gw::crypto
