// Tokens against an independent HMAC-SHA-256 (OpenSSL), determinism, key
// separation, the injective canonical form, and the token's shape.
#include "gateway/crypto/tokenizer.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace gw::crypto {
namespace {

std::array<uint8_t, 32> test_key(uint8_t seed) {
  std::array<uint8_t, 32> k;
  for (size_t i = 0; i < k.size(); ++i) k[i] = static_cast<uint8_t>(seed * 41 + i * 7);
  return k;
}

Tokenizer make_tokenizer(uint8_t seed) {
  const auto key = test_key(seed);
  std::optional<Tokenizer> t = Tokenizer::create(std::move(*SecretBytes::copy_of(key)));
  EXPECT_TRUE(t.has_value());
  return std::move(*t);
}

// base64url without padding, written out here rather than taken from libsodium.
std::string base64url(const unsigned char* p, size_t n) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (size_t i = 0; i < n; ++i) {
    acc = (acc << 8) | p[i];
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(kAlphabet[(acc >> bits) & 63]);
    }
  }
  if (bits > 0) out.push_back(kAlphabet[(acc << (6 - bits)) & 63]);
  return out;
}

std::string openssl_token(uint8_t seed, const std::string& canonical) {
  const auto key = test_key(seed);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(canonical.data()), canonical.size(), mac, &len);
  EXPECT_EQ(len, 32u);
  return base64url(mac, len);
}

TEST(TokenizerTest, CanonicalIdentifierEscapesBackslashAndBar) {
  EXPECT_EQ(canonical_identifier("urn:oid:1.2.3", "MRN123"), "urn:oid:1.2.3|MRN123");
  EXPECT_EQ(canonical_identifier("a|b", "c"), "a\\|b|c");
  EXPECT_EQ(canonical_identifier("a", "b|c"), "a|b\\|c");
  EXPECT_EQ(canonical_identifier("a\\", "|"), "a\\\\|\\|");
  EXPECT_EQ(canonical_identifier("", ""), "|");
}

TEST(TokenizerTest, MatchesAnIndependentHmac) {
  const Tokenizer t = make_tokenizer(1);
  const std::vector<std::pair<std::string, std::string>> inputs = {
      {"http://hospital.example/mrn", "000123456"},
      {"urn:oid:2.16.840.1.113883.4.1", "123-45-6789"},
      {"", ""},
      {"a|b", "c"},
      {"sys\\tem", "va|l\\ue||"},
      {"https://example.org/ids", std::string(300, 'x')},  // longer than a SHA-256 block
      {"utf8",
       "Gr\xC3\xBC\xC3\x9F"
       "e"},
  };
  for (const auto& [system, value] : inputs) {
    EXPECT_EQ(t.token(system, value), openssl_token(1, canonical_identifier(system, value)))
        << "system " << system;
  }
}

TEST(TokenizerTest, DeterministicForTheSameKeyAndInput) {
  const Tokenizer a = make_tokenizer(2);
  const Tokenizer b = make_tokenizer(2);  // another gateway with the consortium key
  EXPECT_EQ(a.token("s", "v"), a.token("s", "v"));
  EXPECT_EQ(a.token("s", "v"), b.token("s", "v"));
}

TEST(TokenizerTest, DifferentKeyGivesDifferentToken) {
  EXPECT_NE(make_tokenizer(3).token("s", "v"), make_tokenizer(4).token("s", "v"));
}

TEST(TokenizerTest, DifferentSystemsNeverShareAnInput) {
  const Tokenizer t = make_tokenizer(5);
  EXPECT_NE(t.token("a|b", "c"), t.token("a", "b|c"));
  EXPECT_NE(t.token("a\\", "b"), t.token("a", "\\b"));
  EXPECT_NE(t.token("sys1", "123"), t.token("sys2", "123"));
  EXPECT_NE(t.token("s", "123"), t.token("s", "124"));
}

TEST(TokenizerTest, TokenIs43Base64UrlCharacters) {
  const Tokenizer t = make_tokenizer(6);
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    const std::string tok = t.token("s", std::to_string(i));
    ASSERT_EQ(tok.size(), Tokenizer::kTokenChars);
    for (char c : tok) {
      ASSERT_TRUE((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '_')
          << tok;
    }
    seen.insert(tok);
  }
  EXPECT_EQ(seen.size(), 200u);
}

TEST(TokenizerTest, CreateRejectsWrongKeySizes) {
  const std::array<uint8_t, 16> short_key{};
  EXPECT_FALSE(Tokenizer::create(std::move(*SecretBytes::copy_of(short_key))).has_value());
  EXPECT_FALSE(Tokenizer::create(SecretBytes()).has_value());
  const Tokenizer empty{SecretBytes()};
  EXPECT_FALSE(empty.valid());
  EXPECT_EQ(empty.token("s", "v"), "");
}

TEST(TokenizerTest, MovedTokenizerKeepsWorking) {
  Tokenizer a = make_tokenizer(7);
  const std::string before = a.token("s", "v");
  Tokenizer b = std::move(a);
  EXPECT_EQ(b.token("s", "v"), before);
  EXPECT_FALSE(a.valid());  // NOLINT(bugprone-use-after-move): documented state
}

TEST(TokenBytesTest, RoundTripsAndRefusesNonTokens) {
  std::array<uint8_t, 32> key{};
  key.fill(7);
  auto tokenizer = Tokenizer::create(*SecretBytes::copy_of(key));
  ASSERT_TRUE(tokenizer.has_value());
  const std::string token = tokenizer->token("urn:mrn", "123");
  auto bytes = token_bytes(token);
  ASSERT_TRUE(bytes.has_value());
  EXPECT_EQ(token_text(*bytes), token);
  EXPECT_FALSE(token_bytes(token.substr(1)).has_value());
  EXPECT_FALSE(token_bytes(std::string(43, '*')).has_value());
  EXPECT_FALSE(token_bytes("").has_value());
}

}  // namespace
}  // namespace gw::crypto
