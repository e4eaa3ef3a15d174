#include "ledger-client/account/account.h"

#include <gtest/gtest.h>

#include "ledger-client/keccak/keccak.h"

namespace gw::ledger {
namespace {

std::array<uint8_t, 32> key_from_hex(std::string_view hex) {
  auto bytes = from_hex(hex);
  std::array<uint8_t, 32> k{};
  EXPECT_TRUE(bytes && bytes->size() == 32);
  if (bytes && bytes->size() == 32) std::copy(bytes->begin(), bytes->end(), k.begin());
  return k;
}

Address address_from_hex(std::string_view hex) {
  auto bytes = from_hex(hex);
  Address a{};
  EXPECT_TRUE(bytes && bytes->size() == 20);
  if (bytes && bytes->size() == 20) std::copy(bytes->begin(), bytes->end(), a.begin());
  return a;
}

TEST(Account, PublishedKeyAddressPairs) {
  // Private key 1: the generator point's address (widely published).
  std::array<uint8_t, 32> one{};
  one[31] = 1;
  auto a = address_of(one);
  ASSERT_TRUE(a);
  EXPECT_EQ(to_checksum_hex(*a), "0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf");
  // The web3.js / ethers documentation example account.
  auto b =
      address_of(key_from_hex("4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"));
  ASSERT_TRUE(b);
  EXPECT_EQ(to_checksum_hex(*b), "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23");
}

TEST(Account, Eip55ChecksumVectors) {
  // EIP-55's own test cases.
  for (const char* want :
       {"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
        "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB", "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
        "0x52908400098527886E0F7030069857D2E4169EE7",
        "0xde709f2102306220921060314715629080e2fb77"}) {
    EXPECT_EQ(to_checksum_hex(address_from_hex(std::string(want).substr(2))), want);
  }
}

TEST(Account, InvalidKeysRefusedAndGeneratedKeysValid) {
  std::array<uint8_t, 32> zero{};
  EXPECT_FALSE(is_valid_private_key(zero));
  EXPECT_FALSE(address_of(zero));
  // n, the group order, is not a valid key; n - 1 is.
  auto n = key_from_hex("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141");
  EXPECT_FALSE(is_valid_private_key(n));
  n[31] -= 1;
  EXPECT_TRUE(is_valid_private_key(n));
  std::array<uint8_t, 32> k1{}, k2{};
  ASSERT_TRUE(generate_private_key(k1));
  ASSERT_TRUE(generate_private_key(k2));
  EXPECT_TRUE(is_valid_private_key(k1));
  EXPECT_NE(k1, k2);
}

}  // namespace
}  // namespace gw::ledger
