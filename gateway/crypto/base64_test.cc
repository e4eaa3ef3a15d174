// One spelling per byte string: what libsodium alone lets through is refused.
#include "gateway/crypto/base64.h"

#include <gtest/gtest.h>

#include <string>

namespace gw::crypto {
namespace {

std::string text(const std::optional<std::vector<uint8_t>>& bytes) {
  return bytes ? std::string(bytes->begin(), bytes->end()) : "<refused>";
}

TEST(Base64Test, DecodesRfc4648Vectors) {
  // RFC 4648 §10.
  EXPECT_EQ(text(base64_decode("", Base64::kStandard)), "");
  EXPECT_EQ(text(base64_decode("Zg==", Base64::kStandard)), "f");
  EXPECT_EQ(text(base64_decode("Zm8=", Base64::kStandard)), "fo");
  EXPECT_EQ(text(base64_decode("Zm9vYmFy", Base64::kStandard)), "foobar");
  EXPECT_EQ(text(base64_decode("Zm9vYmE", Base64::kUrlSafeNoPadding)), "fooba");
  EXPECT_EQ(text(base64_decode("-_8", Base64::kUrlSafeNoPadding)), "\xfb\xff");
  EXPECT_EQ(text(base64_decode("+/8=", Base64::kStandard)), "\xfb\xff");
}

TEST(Base64Test, EveryByteOutsideTheAlphabetIsRefused) {
  for (int b = 0; b < 256; ++b) {
    const char c = static_cast<char>(b);
    std::string s = "AAA";
    s.push_back(c);
    const bool standard_char = std::isalnum(b) != 0 || c == '+' || c == '/';
    const bool url_char = std::isalnum(b) != 0 || c == '-' || c == '_';
    if (!standard_char && c != '=') {
      EXPECT_FALSE(base64_decode(s, Base64::kStandard)) << "byte " << b;
    }
    if (!url_char) EXPECT_FALSE(base64_decode(s, Base64::kUrlSafeNoPadding)) << "byte " << b;
  }
}

TEST(Base64Test, OtherSpellingsOfTheSameBytesAreRefused) {
  EXPECT_FALSE(base64_decode("Zh==", Base64::kStandard));  // non-zero trailing bits
  EXPECT_FALSE(base64_decode("Zg", Base64::kStandard));    // padding missing
  EXPECT_FALSE(base64_decode("Zg==", Base64::kUrlSafeNoPadding));
  EXPECT_FALSE(base64_decode("Zg==Zg==", Base64::kStandard));
  EXPECT_FALSE(base64_decode("Z", Base64::kUrlSafeNoPadding));
  EXPECT_FALSE(base64_decode("+/8=", Base64::kUrlSafeNoPadding));
  EXPECT_FALSE(base64_decode("-_8", Base64::kStandard));
}

}  // namespace
}  // namespace gw::crypto
