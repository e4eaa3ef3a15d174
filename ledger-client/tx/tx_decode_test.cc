// Round trips, refusals and signature edge cases of the transaction code
// (the published vectors are in tx_test.cc).
#include <gtest/gtest.h>

#include <functional>

#include "ledger-client/rlp/rlp.h"
#include "ledger-client/tx/transaction.h"

namespace gw::ledger {
namespace {

std::vector<uint8_t> hex(std::string_view h) {
  auto b = from_hex(h);
  EXPECT_TRUE(b) << h;
  return b.value_or(std::vector<uint8_t>{});
}

// Anvil's (and Hardhat's) first development account: a published test key.
std::array<uint8_t, 32> anvil_key() {
  auto b = hex("ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80");
  std::array<uint8_t, 32> k{};
  std::copy(b.begin(), b.end(), k.begin());
  return k;
}

Eip1559Tx sample_creation() {
  Eip1559Tx tx;
  tx.chain_id = 31337;
  tx.nonce = 0;
  tx.max_priority_fee_per_gas = Uint256::from_u64(1'000'000'000);
  tx.max_fee_per_gas = Uint256::from_u64(3'000'000'000);
  tx.gas_limit = 3'000'000;
  tx.to = std::nullopt;  // contract creation
  tx.data = std::vector<uint8_t>(300, 0x60);
  Address a{};
  a[0] = 0xaa;
  Hash256 k1{}, k2{};
  k2[31] = 7;
  tx.access_list = {{a, {k1, k2}}, {Address{}, {}}};
  return tx;
}

TEST(TransactionDecode, Eip1559RoundTripWithCreationDataAndAccessList) {
  const Eip1559Tx tx = sample_creation();
  auto key = anvil_key();
  auto raw = sign(tx, key);
  ASSERT_TRUE(raw) << raw.error().message();
  EXPECT_EQ((*raw)[0], 0x02);
  auto decoded = decode_raw(*raw);
  ASSERT_TRUE(decoded) << decoded.error().message();
  EXPECT_EQ(std::get<Eip1559Tx>(decoded->tx), tx);
  EXPECT_EQ(decoded->signing_hash, signing_hash(tx));
  EXPECT_EQ(encode_signed(tx, decoded->signature), *raw);
  auto sender = recover_sender(*raw);
  ASSERT_TRUE(sender) << sender.error().message();
  EXPECT_EQ(to_checksum_hex(*sender), "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
  // Deterministic (RFC 6979): signing again gives the same bytes.
  EXPECT_EQ(sign(tx, key).value(), *raw);
}

TEST(TransactionDecode, LegacyRoundTripsIncludingHugeChainIds) {
  auto key = anvil_key();
  for (uint64_t chain : {uint64_t{1}, uint64_t{31337}, uint64_t{1} << 40, ~uint64_t{0}}) {
    SCOPED_TRACE(chain);
    LegacyTx tx;
    tx.nonce = 5;
    tx.gas_price = Uint256::from_u64(7);
    tx.gas_limit = 100000;
    tx.to = Address{};
    tx.data = {0xde, 0xad};
    tx.chain_id = chain;
    auto raw = sign(tx, key);
    ASSERT_TRUE(raw) << raw.error().message();
    auto decoded = decode_raw(*raw);
    ASSERT_TRUE(decoded) << decoded.error().message();
    EXPECT_EQ(std::get<LegacyTx>(decoded->tx), tx);
    EXPECT_EQ(recover_sender(*raw).value(), address_of(key).value());
  }
}

TEST(TransactionDecode, PreEip155LegacyTransactionsDecodeButAreNeverSigned) {
  LegacyTx tx;
  tx.gas_limit = 21000;
  tx.to = Address{};
  auto key = anvil_key();
  auto refused = sign(tx, key);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message().find("chain id"), std::string::npos);
  // Signed by hand, the v = 27/28 form decodes with no chain id and recovers.
  auto sig = sign_hash(signing_hash(tx), key);
  ASSERT_TRUE(sig);
  auto raw = encode_signed(tx, *sig);
  auto decoded = decode_raw(raw);
  ASSERT_TRUE(decoded) << decoded.error().message();
  EXPECT_FALSE(std::get<LegacyTx>(decoded->tx).chain_id.has_value());
  EXPECT_EQ(recover_sender(raw).value(), address_of(key).value());
}

TEST(TransactionDecode, SignRefusesBadInputs) {
  Eip1559Tx tx = sample_creation();
  tx.max_priority_fee_per_gas = Uint256::from_u64(5'000'000'000);
  auto r = sign(tx, anvil_key());
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("priority fee"), std::string::npos);
  std::array<uint8_t, 32> zero{};
  EXPECT_FALSE(sign(sample_creation(), zero));
  auto n = hex("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141");
  std::array<uint8_t, 32> order{};
  std::copy(n.begin(), n.end(), order.begin());
  auto e = sign(sample_creation(), order);
  ASSERT_FALSE(e);
  // The message names the problem but never contains key bytes.
  EXPECT_EQ(e.error().message().find("baaedce6"), std::string::npos);
}

TEST(TransactionDecode, RefusesMalformedRawTransactions) {
  auto raw = sign(sample_creation(), anvil_key()).value();
  // Every strict prefix is refused.
  for (size_t n = 0; n < raw.size(); ++n)
    EXPECT_FALSE(decode_raw(std::span(raw).first(n))) << "prefix " << n;
  // Trailing garbage.
  auto longer = raw;
  longer.push_back(0);
  EXPECT_FALSE(decode_raw(longer));
  // Other transaction types, named in the error.
  auto type1 = raw;
  type1[0] = 0x01;
  auto r1 = decode_raw(type1);
  ASSERT_FALSE(r1);
  EXPECT_NE(r1.error().message().find("0x01"), std::string::npos) << r1.error().message();
  type1[0] = 0x03;
  EXPECT_FALSE(decode_raw(type1));
  EXPECT_FALSE(decode_raw(hex("8180")));  // an RLP string, not a transaction
}

// Builds a type-2 transaction from RLP fields edited by `edit`.
std::vector<uint8_t> edited(const std::function<void(std::vector<RlpItem>&)>& edit) {
  auto raw = sign(sample_creation(), anvil_key()).value();
  auto list = rlp_decode(std::span(raw).subspan(1)).value();
  edit(list.items());
  std::vector<uint8_t> out = {0x02};
  rlp_append(list, out);
  return out;
}

TEST(TransactionDecode, RefusesNonCanonicalOrMistypedFields) {
  const std::vector<std::pair<const char*, std::function<void(std::vector<RlpItem>&)>>> cases = {
      {"extra field", [](auto& f) { f.push_back(RlpItem()); }},
      {"missing field", [](auto& f) { f.pop_back(); }},
      {"nonce with leading zero", [](auto& f) { f[1] = RlpItem::bytes(hex("0001")); }},
      {"nonce over 64 bits", [](auto& f) { f[1] = RlpItem::bytes(hex("010000000000000000")); }},
      {"value over 256 bits", [](auto& f) { f[6] = RlpItem::bytes(std::vector<uint8_t>(33, 1)); }},
      {"to of 19 bytes", [](auto& f) { f[5] = RlpItem::bytes(std::vector<uint8_t>(19, 1)); }},
      {"data as list", [](auto& f) { f[7] = RlpItem::list(); }},
      {"access list as string", [](auto& f) { f[8] = RlpItem(); }},
      {"storage key of 31 bytes",
       [](auto& f) {
         f[8].items()[0].items()[1].items()[0] = RlpItem::bytes(std::vector<uint8_t>(31, 0));
       }},
      {"y parity 2", [](auto& f) { f[9] = RlpItem::uint(uint64_t{2}); }},
      {"r with leading zero",
       [](auto& f) { f[10] = RlpItem::bytes(hex("00" + std::string(62, '1'))); }},
  };
  for (const auto& [name, edit] : cases) {
    EXPECT_FALSE(decode_raw(edited(edit))) << name;
  }
  EXPECT_TRUE(decode_raw(edited([](auto&) {})));  // the unedited transaction is fine
}

TEST(TransactionDecode, RecoverRefusesMalleableAndOutOfRangeSignatures) {
  auto raw = sign(sample_creation(), anvil_key()).value();
  auto decoded = decode_raw(raw).value();
  const Hash256 digest = decoded.signing_hash;
  ASSERT_TRUE(recover_address(digest, decoded.signature));

  // The same signature with s' = n - s and the parity flipped is valid ECDSA
  // but refused (EIP-2).
  const Uint256 n =
      *Uint256::from_hex("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141");
  Signature high = decoded.signature;
  high.s = checked_sub(n, Uint256(high.s))->bytes();
  high.y_parity ^= 1;
  auto r = recover_address(digest, high);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("EIP-2"), std::string::npos);

  Signature zero_r = decoded.signature;
  zero_r.r = Hash256{};
  EXPECT_FALSE(recover_address(digest, zero_r));
  Signature big_r = decoded.signature;
  big_r.r = n.bytes();
  EXPECT_FALSE(recover_address(digest, big_r));
  Signature parity = decoded.signature;
  parity.y_parity = 2;
  EXPECT_FALSE(recover_address(digest, parity));
  // A different digest recovers some other address, never the sender.
  Hash256 other = digest;
  other[0] ^= 1;
  auto wrong = recover_address(other, decoded.signature);
  if (wrong) {
    EXPECT_NE(*wrong, address_of(anvil_key()).value());
  }
}

}  // namespace
}  // namespace gw::ledger
