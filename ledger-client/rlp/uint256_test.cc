#include "ledger-client/rlp/uint256.h"

#include <gtest/gtest.h>

#include "ledger-client/keccak/keccak.h"

namespace gw::ledger {
namespace {

TEST(Uint256, ParsesAndPrintsHexAndDecimal) {
  auto one_ether = Uint256::from_decimal("1000000000000000000");
  ASSERT_TRUE(one_ether);
  EXPECT_EQ(one_ether->to_hex(), "0xde0b6b3a7640000");
  EXPECT_EQ(to_hex(one_ether->minimal_bytes()), "0de0b6b3a7640000");
  EXPECT_EQ(Uint256::from_hex("0xDE0B6B3A7640000"), one_ether);
  EXPECT_EQ(Uint256::from_hex("000de0b6b3a7640000"), one_ether);
  EXPECT_EQ(one_ether->to_decimal(), "1000000000000000000");
  EXPECT_EQ(one_ether->to_u64(), 1000000000000000000ull);

  EXPECT_EQ(Uint256().to_hex(), "0x0");
  EXPECT_EQ(Uint256().to_decimal(), "0");
  EXPECT_TRUE(Uint256().minimal_bytes().empty());
  EXPECT_TRUE(Uint256().is_zero());
  EXPECT_EQ(Uint256::from_u64(20000000000).to_hex(), "0x4a817c800");  // 20 gwei

  // 2^256 - 1 in decimal round-trips; one more overflows.
  const std::string max_dec =
      "115792089237316195423570985008687907853269984665640564039457584007913129639935";
  auto max = Uint256::from_decimal(max_dec);
  ASSERT_TRUE(max);
  EXPECT_EQ(*max, Uint256::max());
  EXPECT_EQ(max->to_decimal(), max_dec);
  EXPECT_EQ(max->bit_length(), 256u);
  EXPECT_FALSE(Uint256::from_decimal(
      "115792089237316195423570985008687907853269984665640564039457584007913129639936"));
  EXPECT_FALSE(Uint256::from_hex("0x1" + std::string(64, '0')));
  EXPECT_TRUE(Uint256::from_hex("0x" + std::string(64, 'f')));
}

TEST(Uint256, RefusesMalformedText) {
  for (const char* bad : {"", "0x", "0xg1", "12 ", "-1", "1_000", "0x-1"}) {
    EXPECT_FALSE(Uint256::from_hex(bad)) << bad;
  }
  for (const char* bad : {"", "0x10", "1e18", "+5", " 5", "12a"}) {
    EXPECT_FALSE(Uint256::from_decimal(bad)) << bad;
  }
  EXPECT_FALSE(Uint256::from_be_bytes(std::vector<uint8_t>(33, 1)));
}

TEST(Uint256, ComparesNumericallyAndDoesCheckedArithmetic) {
  auto a = Uint256::from_u64(0x100);
  auto b = Uint256::from_u64(0xff);
  EXPECT_LT(b, a);
  EXPECT_GT(Uint256::max(), a);
  EXPECT_EQ(checked_add(a, b), Uint256::from_u64(0x1ff));
  EXPECT_EQ(checked_sub(a, b), Uint256::from_u64(1));
  EXPECT_FALSE(checked_sub(b, a));
  EXPECT_FALSE(checked_add(Uint256::max(), Uint256::from_u64(1)));
  // Carry across all bytes.
  auto big = Uint256::from_hex("0xffffffffffffffffffffffffffffffff");
  ASSERT_TRUE(big);
  EXPECT_EQ(checked_add(*big, Uint256::from_u64(1))->to_hex(),
            "0x100000000000000000000000000000000");
  EXPECT_EQ(big->bit_length(), 128u);
  EXPECT_FALSE(big->to_u64());
}

TEST(Uint256, TwosComplementOfNegativeValues) {
  EXPECT_EQ(Uint256::from_i64(-1), Uint256::max());
  EXPECT_EQ(Uint256::from_i64(-2).to_hex(), "0x" + std::string(63, 'f') + "e");
  EXPECT_EQ(Uint256::from_i64(5), Uint256::from_u64(5));
}

}  // namespace
}  // namespace gw::ledger
