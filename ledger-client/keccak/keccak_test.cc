// Keccak-256 against published vectors, and the same sponge with SHA-3
// padding against OpenSSL's SHA3-256 (an independent implementation) for
// every length up to several blocks and for random update() splits.
#include "ledger-client/keccak/keccak.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <random>
#include <string>
#include <vector>

namespace gw::ledger {
namespace {

std::string hex_of(const Hash256& h) { return to_hex(h); }

Hash256 openssl_sha3_256(std::span<const uint8_t> data) {
  Hash256 out{};
  unsigned int len = 0;
  EXPECT_EQ(EVP_Digest(data.data(), data.size(), out.data(), &len, EVP_sha3_256(), nullptr), 1);
  EXPECT_EQ(len, out.size());
  return out;
}

Hash256 our_sha3_256(std::span<const uint8_t> data) {
  internal::Sponge256 s(internal::Sponge256::kSha3Pad);
  s.update(data);
  return s.finish();
}

std::vector<uint8_t> pattern(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<uint8_t> v(n);
  for (auto& b : v) b = static_cast<uint8_t>(rng());
  return v;
}

TEST(Keccak256Test, PublishedVectors) {
  EXPECT_EQ(hex_of(keccak256("")),
            "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
  EXPECT_EQ(hex_of(keccak256("abc")),
            "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45");
  EXPECT_EQ(hex_of(keccak256("The quick brown fox jumps over the lazy dog")),
            "4d741b6f1eb29cb2a9b9911c82f56fa8d73b04959d3d9d222895df6c0b28aa15");
}

TEST(Keccak256Test, EthereumFunctionSelector) {
  // ERC-20 transfer(address,uint256) has the well-known selector 0xa9059cbb.
  EXPECT_EQ(hex_of(keccak256("transfer(address,uint256)")).substr(0, 8), "a9059cbb");
}

TEST(Keccak256Test, DiffersFromSha3OnlyByPadding) {
  // Guards against accidentally shipping SHA3-256: same sponge, other digest.
  const std::string_view abc = "abc";
  const auto bytes = std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(abc.data()), 3);
  EXPECT_NE(keccak256(abc), openssl_sha3_256(bytes));
  EXPECT_EQ(hex_of(our_sha3_256(bytes)),
            "3a985da74fe225b2045c172d6bd390bd855f086e3e9d525b46bfe24511431532");
}

TEST(Keccak256Test, SpongeMatchesOpenSslSha3ForEveryLength) {
  const std::vector<uint8_t> data = pattern(600, 1);
  for (size_t n = 0; n <= data.size(); ++n) {
    const auto in = std::span<const uint8_t>(data.data(), n);
    ASSERT_EQ(hex_of(our_sha3_256(in)), hex_of(openssl_sha3_256(in))) << "length " << n;
  }
}

TEST(Keccak256Test, RandomUpdateSplitsGiveTheSameDigest) {
  std::mt19937 rng(7);
  for (int round = 0; round < 300; ++round) {
    const size_t n = rng() % 1200;
    const std::vector<uint8_t> data = pattern(n, round + 100);
    internal::Sponge256 sha3(internal::Sponge256::kSha3Pad);
    Keccak256 keccak;
    size_t at = 0;
    while (at < n) {
      // Chunks of 0..300 bytes cross the 136-byte block edge in every way.
      const size_t len = std::min<size_t>(rng() % 301, n - at);
      sha3.update(std::span<const uint8_t>(data.data() + at, len));
      keccak.update(std::span<const uint8_t>(data.data() + at, len));
      at += len;
    }
    ASSERT_EQ(sha3.finish(), openssl_sha3_256(data)) << "length " << n << " round " << round;
    ASSERT_EQ(keccak.finish(), keccak256(data)) << "length " << n << " round " << round;
  }
}

TEST(Keccak256Test, FinishResetsForReuse) {
  Keccak256 h;
  h.update("garbage that must not leak into the next digest");
  (void)h.finish();
  h.update("ab");
  h.update(std::string_view("c"));
  EXPECT_EQ(hex_of(h.finish()), "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45");
  EXPECT_EQ(h.finish(), keccak256(""));
}

TEST(Keccak256Test, BlockBoundaryLengthsDifferFromEachOther) {
  // 135 bytes puts both padding bits in the same byte; 136 needs an extra block.
  const std::vector<uint8_t> data = pattern(137, 3);
  const Hash256 a = keccak256(std::span<const uint8_t>(data.data(), 135));
  const Hash256 b = keccak256(std::span<const uint8_t>(data.data(), 136));
  const Hash256 c = keccak256(std::span<const uint8_t>(data.data(), 137));
  EXPECT_NE(a, b);
  EXPECT_NE(b, c);
}

TEST(HexTest, RoundTripAndPrefix) {
  const std::vector<uint8_t> bytes = {0x00, 0x01, 0xab, 0xff};
  EXPECT_EQ(to_hex(bytes), "0001abff");
  EXPECT_EQ(from_hex("0001abff"), bytes);
  EXPECT_EQ(from_hex("0x0001ABFF"), bytes);
  EXPECT_EQ(from_hex("0X0001aBfF"), bytes);
  EXPECT_EQ(from_hex(""), std::vector<uint8_t>{});
  EXPECT_EQ(from_hex("0x"), std::vector<uint8_t>{});
  EXPECT_EQ(to_hex({}), "");
}

TEST(HexTest, RejectsMalformedInput) {
  EXPECT_FALSE(from_hex("abc").has_value());     // odd length
  EXPECT_FALSE(from_hex("0xabc").has_value());   // odd after the prefix
  EXPECT_FALSE(from_hex("zz").has_value());      // not hex
  EXPECT_FALSE(from_hex("0g").has_value());      // second digit bad
  EXPECT_FALSE(from_hex("x0").has_value());      // prefix must be 0x
  EXPECT_FALSE(from_hex(" 00").has_value());     // no whitespace
  EXPECT_FALSE(from_hex("0x0x00").has_value());  // one prefix only
}

}  // namespace
}  // namespace gw::ledger
