#include "gateway/crypto/hmac_sha256.h"

#include <gtest/gtest.h>
#include <sodium.h>

#include <random>
#include <string>
#include <vector>

namespace gw::crypto {
namespace {

std::vector<uint8_t> bytes(const std::string& s) { return {s.begin(), s.end()}; }

std::string hex_of(const Sha256Digest& d) { return to_hex(d); }

HmacSha256 keyed(const std::vector<uint8_t>& key) {
  std::optional<HmacSha256> h = HmacSha256::create(key);
  EXPECT_TRUE(h.has_value());
  return std::move(*h);
}

// RFC 4231 section 4 (HMAC-SHA-256 results; case 5's truncated output is
// covered by case 1-4's full outputs).
TEST(HmacSha256Test, Rfc4231Vectors) {
  EXPECT_EQ(hex_of(keyed(std::vector<uint8_t>(20, 0x0b)).mac("Hi There")),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  EXPECT_EQ(hex_of(keyed(bytes("Jefe")).mac("what do ya want ", "for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  EXPECT_EQ(hex_of(keyed(std::vector<uint8_t>(20, 0xaa)).mac(std::string(50, '\xdd'))),
            "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
  std::vector<uint8_t> key4;
  for (uint8_t i = 1; i <= 25; ++i) key4.push_back(i);
  EXPECT_EQ(hex_of(keyed(key4).mac(std::string(50, '\xcd'))),
            "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b");
  // Keys longer than a block are hashed first.
  EXPECT_EQ(hex_of(keyed(std::vector<uint8_t>(131, 0xaa))
                       .mac("Test Using Larger Than Block-Size Key - Hash Key First")),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  EXPECT_EQ(hex_of(keyed(std::vector<uint8_t>(131, 0xaa))
                       .mac("This is a test using a larger than block-size key and a larger t",
                            "han block-size data. The key needs to be hashed before being use"
                            "d by the HMAC algorithm.")),
            "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
}

// The same bytes as libsodium's crypto_auth_hmacsha256 (which the store used
// before), whatever the lengths and however the input is split: every
// digest and index key written before stays valid.
TEST(HmacSha256Test, MatchesLibsodiumForAnySplit) {
  ASSERT_GE(sodium_init(), 0);
  std::mt19937 rng(7);
  for (size_t key_len : {0u, 1u, 16u, 32u, 63u, 64u, 65u, 200u}) {
    std::vector<uint8_t> key(key_len);
    for (uint8_t& b : key) b = static_cast<uint8_t>(rng());
    HmacSha256 h = keyed(key);
    for (size_t len : {0u, 1u, 55u, 56u, 63u, 64u, 65u, 119u, 128u, 1000u, 4097u}) {
      std::string msg(len, '\0');
      for (char& c : msg) c = static_cast<char>(rng());
      Sha256Digest want{};
      crypto_auth_hmacsha256_state st;
      // libsodium declares the key non-null even when empty (UBSan checks it).
      static const uint8_t kNoKey = 0;
      crypto_auth_hmacsha256_init(&st, key.empty() ? &kNoKey : key.data(), key.size());
      crypto_auth_hmacsha256_update(&st, reinterpret_cast<const unsigned char*>(msg.data()),
                                    msg.size());
      crypto_auth_hmacsha256_final(&st, want.data());
      const size_t cut = len == 0 ? 0 : rng() % (len + 1);
      EXPECT_EQ(h.mac(msg), want) << key_len << "/" << len;
      EXPECT_EQ(h.mac(std::string_view(msg).substr(0, cut), std::string_view(msg).substr(cut)),
                want)
          << key_len << "/" << len << " cut " << cut;
      HmacSha256::Stream s(h);
      for (char c : msg) s.update(std::string_view(&c, 1));
      EXPECT_EQ(s.final(), want) << key_len << "/" << len << " byte by byte";
    }
  }
}

TEST(HmacSha256Test, KeysAreIndependentAndStreamsDoNotShareState) {
  HmacSha256 a = keyed(bytes("key a")), b = keyed(bytes("key b"));
  EXPECT_NE(a.mac("same"), b.mac("same"));
  HmacSha256::Stream s1(a), s2(a);
  s1.update("one");
  s2.update("two");
  EXPECT_EQ(s1.final(), a.mac("one"));
  EXPECT_EQ(s2.final(), a.mac("two"));
  EXPECT_EQ(a.mac("one"), a.mac("one"));  // the keyed states are never consumed
}

}  // namespace
}  // namespace gw::crypto
