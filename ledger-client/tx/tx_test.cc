#include <gtest/gtest.h>

#include "ledger-client/rlp/rlp.h"
#include "ledger-client/tx/transaction.h"

namespace gw::ledger {
namespace {

std::vector<uint8_t> hex(std::string_view h) {
  auto b = from_hex(h);
  EXPECT_TRUE(b) << h;
  return b.value_or(std::vector<uint8_t>{});
}

template <size_t N>
std::array<uint8_t, N> fixed(std::string_view h) {
  std::array<uint8_t, N> out{};
  auto b = hex(h);
  EXPECT_EQ(b.size(), N) << h;
  if (b.size() == N) std::copy(b.begin(), b.end(), out.begin());
  return out;
}

std::array<uint8_t, 32> filled_key(uint8_t byte) {
  std::array<uint8_t, 32> k;
  k.fill(byte);
  return k;
}

Uint256 dec(std::string_view d) { return *Uint256::from_decimal(d); }

// EIP-155's worked example (eips.ethereum.org/EIPS/eip-155, "Example").
TEST(Transaction, Eip155PublishedExample) {
  LegacyTx tx;
  tx.nonce = 9;
  tx.gas_price = Uint256::from_u64(20'000'000'000);
  tx.gas_limit = 21000;
  tx.to = fixed<20>("3535353535353535353535353535353535353535");
  tx.value = dec("1000000000000000000");
  tx.chain_id = 1;
  EXPECT_EQ(to_hex(signing_payload(tx)),
            "ec098504a817c800825208943535353535353535353535353535353535353535880de0b6b3a76400008001"
            "8080");
  EXPECT_EQ(to_hex(signing_hash(tx)),
            "daf5a779ae972f972197303d7b574746c7ef83eadac0f2791ad23db92e4c8e53");

  auto key = filled_key(0x46);
  auto sig = sign_hash(signing_hash(tx), key);
  ASSERT_TRUE(sig) << sig.error().message();
  EXPECT_EQ(Uint256(sig->r).to_decimal(),
            "18515461264373351373200002665853028612451056578545711640558177340181847433846");
  EXPECT_EQ(Uint256(sig->s).to_decimal(),
            "46948507304638947509940763649030358759909902576025900602547168820602576006531");

  auto raw = sign(tx, key);
  ASSERT_TRUE(raw) << raw.error().message();
  const std::string want =
      "f86c098504a817c800825208943535353535353535353535353535353535353535880de0b6b3a76400008025a028"
      "ef61340bd939bc2195fe537567866003e1a15d3c71ff63e1590620aa636276a067cbe9d8997f761aecb703304b38"
      "00ccf555c9f3dc64214b297fb1966a3b6d83";
  EXPECT_EQ(to_hex(*raw), want);
  auto fields = rlp_decode(*raw);
  ASSERT_TRUE(fields);
  EXPECT_EQ(fields->items()[6].as_u64("v").value(), 37u);  // chain_id * 2 + 35 + parity

  auto decoded = decode_raw(*raw);
  ASSERT_TRUE(decoded) << decoded.error().message();
  EXPECT_EQ(std::get<LegacyTx>(decoded->tx), tx);
  EXPECT_EQ(decoded->signature, *sig);
  EXPECT_EQ(recover_sender(*raw).value(), address_of(key).value());
}

// Signed EIP-1559 vectors from ethereumjs-monorepo packages/tx/test/json/eip1559.json:
// chain 4 (Rinkeby, commit 9a9f1eae) and chain 7822 ("Source: Besu", commit
// 052242cc). signedTransactionRLP there wraps the raw transaction in one more
// RLP string, which we unwrap with our decoder.
struct Eip1559Vector {
  uint64_t chain_id, nonce, value, gas_limit, max_priority_fee, max_fee;
  const char* wrapped_raw;
};
constexpr Eip1559Vector kEip1559Vectors[] = {
    {4, 819, 43203529, 35552, 75853, 121212,
     "b87102f86e048203338301284d8301d97c828ae094000000000000000000000000000000000000aaaa8402933bc98"
     "0c080a00f924cb68412c8f1cfd74d9b581c71eeaf94fff6abdde3e5b02ca6b2931dcf47a07dd1c50027c3e31f8b5"
     "65e25ce68a5072110f61fce5eee81b195dd51273c2f83"},
    {4, 353, 61901619, 32593, 38850, 136295,
     "b87002f86d048201618297c283021467827f5194000000000000000000000000000000000000aaaa8403b08b3380c"
     "080a08caf712f72489da6f1a634b651b4b1c7d9be7d1e8d05ea76c1eccee3bdfb86a5a06aecc106f588ce51e112f5"
     "e9ea7aba3e089dc7511718821d0e0cd52f52af4e45"},
    {4, 985, 32531825, 68541, 66377, 136097,
     "b87202f86f048203d983010349830213a183010bbd94000000000000000000000000000000000000aaaa8401f0657"
     "180c001a08c03a86e85789ee9a1b42fa0a86d316fca262694f8c198df11f194678c2c2d35a028f8e7de02b35014a1"
     "7b6d28ff8c7e7be6860e7265ac162fb721f1aeae75643c"},
    {4, 119, 65456115, 62341, 24721, 107729,
     "b86e02f86b04778260918301a4d182f38594000000000000000000000000000000000000aaaa8403e6c7f380c001a"
     "05e40977f4064a2bc08785e422ed8a47b56aa219abe93251d2b3b4d0cf937b8c0a071e600cd15589c3607bd962731"
     "4b99e9b5976bd427b774aa685bd0d036b1771e"},
    {7822, 819, 43203529, 35552, 75853, 121212,
     "b87302f870821e8e8203338301284d8301d97c828ae094000000000000000000000000000000000000aaaa8402933"
     "bc980c080a0d067f2167008c59219652f91cbf8788dbca5f771f6e91e2b7657e85b78b472e0a01d305af9fe81fdba"
     "43f0dfcd400ed24dcace0a7e30d4e85701dcaaf484cd079e"},
    {7822, 709, 6478043, 28335, 86252, 94636,
     "b87202f86f821e8e8202c5830150ec830171ac826eaf94000000000000000000000000000000000000aaaa8362d8d"
     "b80c001a09880d133cd636f8c8dce32e2c43494b9f2dc000eee8dc61931e09f866ed04b46a00e44d5c503c7f08b36"
     "c8b062c32a963f3dd20a71e95e3d903bfbe7f4da47cd47"},
    {7822, 939, 2782905, 45047, 45216, 91648,
     "b87102f86e821e8e8203ab82b0a08301660082aff794000000000000000000000000000000000000aaaa832a76b98"
     "0c001a0a0e7d9b07c7ec68f24788a554f993b99d59a3f08439cc6c942f62ea0341f2aeba078122b9957c146f7c878"
     "11bd58a7e9916ca8c07dabcf875b97bbdef79cb9c197"},
};

TEST(Transaction, Eip1559PublishedVectorsByteForByte) {
  auto key = fixed<32>("8f2a55949038a9610f50fb23b5883af3b4ecb3c3bb792cbcefbd1542c692be63");
  for (const Eip1559Vector& v : kEip1559Vectors) {
    SCOPED_TRACE(v.wrapped_raw);
    Eip1559Tx tx;
    tx.chain_id = v.chain_id;
    tx.nonce = v.nonce;
    tx.value = Uint256::from_u64(v.value);
    tx.gas_limit = v.gas_limit;
    tx.max_priority_fee_per_gas = Uint256::from_u64(v.max_priority_fee);
    tx.max_fee_per_gas = Uint256::from_u64(v.max_fee);
    tx.to = fixed<20>("000000000000000000000000000000000000aaaa");
    auto wrapper = rlp_decode(hex(v.wrapped_raw));
    ASSERT_TRUE(wrapper) << wrapper.error().message();
    const std::vector<uint8_t>& want = wrapper->bytes();

    auto raw = sign(tx, key);
    ASSERT_TRUE(raw) << raw.error().message();
    EXPECT_EQ(to_hex(*raw), to_hex(want));

    auto decoded = decode_raw(want);
    ASSERT_TRUE(decoded) << decoded.error().message();
    EXPECT_EQ(std::get<Eip1559Tx>(decoded->tx), tx);
    EXPECT_EQ(encode_signed(std::get<Eip1559Tx>(decoded->tx), decoded->signature), want);
    EXPECT_EQ(recover_sender(want).value(), address_of(key).value());
  }
}

TEST(Transaction, Eip1559PublishedHashAndSignature) {
  // ethereumjs eip1559.spec.ts "hash()" and "toJSON()" for the first chain-4 vector.
  auto key = fixed<32>("8f2a55949038a9610f50fb23b5883af3b4ecb3c3bb792cbcefbd1542c692be63");
  Eip1559Tx tx{.chain_id = 4,
               .nonce = 819,
               .max_priority_fee_per_gas = Uint256::from_u64(75853),
               .max_fee_per_gas = Uint256::from_u64(121212),
               .gas_limit = 35552,
               .to = fixed<20>("000000000000000000000000000000000000aaaa"),
               .value = Uint256::from_u64(43203529),
               .data = {},
               .access_list = {}};
  auto raw = sign(tx, key);
  ASSERT_TRUE(raw);
  EXPECT_EQ(to_hex(transaction_hash(*raw)),
            "2e564c87eb4b40e7f469b2eec5aa5d18b0b46a24e8bf0919439cfb0e8fcae446");
  auto decoded = decode_raw(*raw);
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->signature.y_parity, 0);
  EXPECT_EQ(Uint256(decoded->signature.r).to_hex(),
            "0xf924cb68412c8f1cfd74d9b581c71eeaf94fff6abdde3e5b02ca6b2931dcf47");
  EXPECT_EQ(Uint256(decoded->signature.s).to_hex(),
            "0x7dd1c50027c3e31f8b565e25ce68a5072110f61fce5eee81b195dd51273c2f83");
  EXPECT_EQ(decoded->hash, transaction_hash(*raw));
}

TEST(Transaction, Eip1559SigningPayloadWithDataAndAccessList) {
  // ethereumjs eip1559.spec.ts "unsigned tx -> getMessageToSign()".
  Eip1559Tx tx;
  tx.chain_id = 4;
  tx.to = fixed<20>("0101010101010101010101010101010101010101");
  tx.data = hex("010200");
  Hash256 slot;
  slot.fill(0x01);
  tx.access_list = {{*tx.to, {slot}}};
  EXPECT_EQ(to_hex(signing_payload(tx)),
            "02f85904808080809401010101010101010101010101010101010101018083010200f838f7940101010101"
            "010101010101010101010101010101e1a00101010101010101010101010101010101010101010101010101"
            "010101010101");
  EXPECT_EQ(to_hex(signing_hash(tx)),
            "fa81814f7dd57bad435657a05eabdba2815f41e3f15ddd6139027e7db56b0dea");
}

// EIP-155 test vectors (ethereum/tests via ethereumjs-monorepo
// packages/tx/test/json/ttTransactionTestEip155VitaliksTests.json): decode,
// hash and recover the sender of transactions signed elsewhere.
TEST(Transaction, RecoversSendersOfPublishedEip155Transactions) {
  struct Case {
    const char* rlp;
    const char* hash;
    const char* sender;
  };
  const Case cases[] = {
      {"f864808504a817c800825208943535353535353535353535353535353535353535808025a0044852b2a670ade54"
       "07"
       "e78fb2863c51de9fcb96542a07186fe3aeda6bb8a116da0044852b2a670ade5407e78fb2863c51de9fcb96542a0"
       "7"
       "186fe3aeda6bb8a116d",
       "e0be81f8d506dbe3a5549e720b51eb79492378d6638087740824f168667e5239",
       "f0f6f18bca1b28cd68e4357452947e021241e9ce"},
      {"f867088504a817c8088302e2489435353535353535353535353535353535353535358202008025a064b1702d929"
       "8f"
       "ee62dfeccc57d322a463ad55ca201256d01f62b45b2e1c21c12a064b1702d9298fee62dfeccc57d322a463ad55c"
       "a2"
       "01256d01f62b45b2e1c21c10",
       "50b6e7b58320c885ab7b2ee0d0b5813a697268bd2494a06de792790b13668c08",
       "9bddad43f934d313c2b79ca28a432dd2b7281029"},
      {"f865038504a817c803830148209435353535353535353535353535353535353535351b8025a02a80e1ef1d7842f"
       "27"
       "f2e6be0972bb708b9a135c38860dbe73c27c3486c34f4e0a02a80e1ef1d7842f27f2e6be0972bb708b9a135c388"
       "60"
       "dbe73c27c3486c34f4de",
       "bcb6f653e06c276a080e9d68e5a967847a896cf52a6dc81917dc2c57ae0a31ef",
       "82a88539669a3fd524d669e858935de5e5410cf0"},
      {"f866068504a817c80683023e3894353535353535353535353535353535353535353581d88025a06455bf8ea6e74"
       "63"
       "a1046a0b52804526e119b4bf5136279614e0b1e8e296a4e2fa06455bf8ea6e7463a1046a0b52804526e119b4bf5"
       "13"
       "6279614e0b1e8e296a4e2d",
       "678ae2053a840f5fe550a63d724d1c85420d2955a0ccc4f868dd59e27afdf279",
       "f1f571dc362a0e5b2696b8e775f8491d3e50de35"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.hash);
    auto raw = hex(c.rlp);
    auto decoded = decode_raw(raw);
    ASSERT_TRUE(decoded) << decoded.error().message();
    // The vectors' "hash" is the EIP-155 signing hash (of [..., chain_id, 0, 0]).
    EXPECT_EQ(to_hex(decoded->signing_hash), c.hash);
    EXPECT_EQ(decoded->hash, keccak256(raw));
    const auto& tx = std::get<LegacyTx>(decoded->tx);
    EXPECT_EQ(tx.chain_id, 1u);
    EXPECT_EQ(encode_signed(tx, decoded->signature), raw);
    auto sender = recover_sender(raw);
    ASSERT_TRUE(sender) << sender.error().message();
    EXPECT_EQ(to_hex(*sender), c.sender);
  }
}

}  // namespace
}  // namespace gw::ledger
