// Commitments against OpenSSL's SHA-256 of salt || JSON, and fresh salts.
#include "gateway/crypto/commitment.h"

#include <gtest/gtest.h>
#include <openssl/sha.h>

#include <set>
#include <string>

namespace gw::crypto {
namespace {

std::array<uint8_t, 32> openssl_digest(const std::array<uint8_t, 32>& salt, std::string_view json) {
  std::string input(reinterpret_cast<const char*>(salt.data()), salt.size());
  input.append(json);
  std::array<uint8_t, 32> out;
  SHA256(reinterpret_cast<const unsigned char*>(input.data()), input.size(), out.data());
  return out;
}

TEST(CommitmentTest, DigestIsSha256OfSaltThenJson) {
  std::array<uint8_t, 32> salt;
  for (size_t i = 0; i < salt.size(); ++i) salt[i] = static_cast<uint8_t>(i * 13 + 1);
  for (std::string_view json : {std::string_view(""), std::string_view("{}"),
                                std::string_view(R"({"id":"p1","resourceType":"Patient"})")}) {
    EXPECT_EQ(commitment_digest(salt, json), openssl_digest(salt, json)) << json;
  }
  const std::string big(5000, 'a');  // several SHA-256 blocks
  EXPECT_EQ(commitment_digest(salt, big), openssl_digest(salt, big));
}

TEST(CommitmentTest, CommitUsesAFreshSaltAndAMatchingDigest) {
  const std::string json = R"({"resourceType":"Observation","status":"final"})";
  std::set<std::array<uint8_t, 32>> salts;
  std::set<std::array<uint8_t, 32>> digests;
  for (int i = 0; i < 50; ++i) {
    const Commitment c = commit(json);
    EXPECT_EQ(c.digest, openssl_digest(c.salt, json));
    salts.insert(c.salt);
    digests.insert(c.digest);
  }
  EXPECT_EQ(salts.size(), 50u);  // 256-bit random salts never repeat
  EXPECT_EQ(digests.size(), 50u);
}

TEST(CommitmentTest, ChangedRecordOrSaltChangesTheDigest) {
  const Commitment c = commit(R"({"a":1})");
  EXPECT_NE(commitment_digest(c.salt, R"({"a":2})"), c.digest);
  std::array<uint8_t, 32> other = c.salt;
  other[31] ^= 1;
  EXPECT_NE(commitment_digest(other, R"({"a":1})"), c.digest);
}

}  // namespace
}  // namespace gw::crypto
