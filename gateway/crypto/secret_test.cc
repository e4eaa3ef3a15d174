// SecretBytes: zero-filled allocation, read-only copies, move semantics, and
// that the read-only protection is real (a write faults).
#include "gateway/crypto/secret.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <string>
#include <utility>

namespace gw::crypto {
namespace {

TEST(SecretBytesTest, InitSodiumSucceedsRepeatedly) {
  EXPECT_TRUE(init_sodium());
  EXPECT_TRUE(init_sodium());
}

TEST(SecretBytesTest, AllocateIsZeroFilledAndWritable) {
  std::optional<SecretBytes> s = SecretBytes::allocate(64);
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->size(), 64u);
  EXPECT_FALSE(s->empty());
  EXPECT_FALSE(s->read_only());
  EXPECT_TRUE(std::all_of(s->data(), s->data() + 64, [](uint8_t b) { return b == 0; }));
  ASSERT_NE(s->mutable_data(), nullptr);
  s->mutable_data()[63] = 0x5a;
  EXPECT_EQ(s->view()[63], 0x5a);
}

TEST(SecretBytesTest, CopyOfIsReadOnlyWithTheSameBytes) {
  const std::array<uint8_t, 5> key = {1, 2, 3, 4, 5};
  std::optional<SecretBytes> s = SecretBytes::copy_of(key);
  ASSERT_TRUE(s.has_value());
  EXPECT_TRUE(s->read_only());
  EXPECT_EQ(s->mutable_data(), nullptr);
  ASSERT_EQ(s->size(), key.size());
  EXPECT_TRUE(std::equal(key.begin(), key.end(), s->view().begin()));
}

TEST(SecretBytesTest, EmptyObjects) {
  SecretBytes d;
  EXPECT_TRUE(d.empty());
  EXPECT_EQ(d.data(), nullptr);
  EXPECT_EQ(d.view().size(), 0u);
  std::optional<SecretBytes> z = SecretBytes::allocate(0);
  ASSERT_TRUE(z.has_value());
  EXPECT_TRUE(z->empty());
  z->make_read_only();  // harmless on an empty object
}

TEST(SecretBytesTest, MoveTransfersOwnershipAndEmptiesTheSource) {
  const std::array<uint8_t, 3> key = {9, 8, 7};
  SecretBytes a = std::move(*SecretBytes::copy_of(key));
  const uint8_t* p = a.data();
  SecretBytes b(std::move(a));
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): the documented state
  EXPECT_EQ(a.data(), nullptr);
  EXPECT_EQ(b.data(), p);
  EXPECT_TRUE(b.read_only());

  SecretBytes c = std::move(*SecretBytes::allocate(16));
  c = std::move(b);  // frees c's old allocation
  EXPECT_EQ(c.data(), p);
  EXPECT_EQ(c.size(), 3u);
  EXPECT_TRUE(b.empty());  // NOLINT(bugprone-use-after-move)
  SecretBytes& same = c;   // (through a reference: compilers warn on a literal self-move)
  c = std::move(same);     // self-move keeps the bytes
  EXPECT_EQ(c.size(), 3u);
}

TEST(SecretBytesDeathTest, WritingToReadOnlyMemoryFaults) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  std::optional<SecretBytes> s = SecretBytes::allocate(32);
  ASSERT_TRUE(s.has_value());
  uint8_t* p = s->mutable_data();
  s->make_read_only();
  ASSERT_TRUE(s->read_only());
  EXPECT_DEATH({ *static_cast<volatile uint8_t*>(p) = 1; }, "");
}

TEST(SecretBytesDeathTest, ReadingPastTheEndHitsTheGuardPage) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  // sodium_malloc places the bytes right before a PROT_NONE page when the
  // size is a multiple of 16 (its alignment), so the next byte faults.
  std::optional<SecretBytes> s = SecretBytes::allocate(4096);
  ASSERT_TRUE(s.has_value());
  const uint8_t* p = s->data();
  EXPECT_EQ(p[4095], 0);  // the last byte is readable
  EXPECT_DEATH({ (void)*static_cast<const volatile uint8_t*>(p + 4096); }, "");
}

// RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
TEST(SecretBytesTest, HmacSha256SecretMatchesRfc4231) {
  const std::string key = "Jefe";
  auto mac = hmac_sha256_secret(std::span(reinterpret_cast<const uint8_t*>(key.data()), key.size()),
                                "what do ya want for nothing?");
  ASSERT_TRUE(mac.has_value());
  ASSERT_EQ(mac->size(), 32u);
  EXPECT_EQ(mac->mutable_data(), nullptr);  // read-only
  const std::array<uint8_t, 32> expected = {0x5b, 0xdc, 0xc1, 0x46, 0xbf, 0x60, 0x75, 0x4e,
                                            0x6a, 0x04, 0x24, 0x26, 0x08, 0x95, 0x75, 0xc7,
                                            0x5a, 0x00, 0x3f, 0x08, 0x9d, 0x27, 0x39, 0x83,
                                            0x9d, 0xec, 0x58, 0xb9, 0x64, 0xec, 0x38, 0x43};
  EXPECT_TRUE(std::equal(expected.begin(), expected.end(), mac->data()));
}

}  // namespace
}  // namespace gw::crypto
