#include "ledger-client/rlp/rlp.h"

#include <gtest/gtest.h>

#include "ledger-client/keccak/keccak.h"

namespace gw::ledger {
namespace {

std::vector<uint8_t> hex(std::string_view h) {
  auto b = from_hex(h);
  EXPECT_TRUE(b) << h;
  return b.value_or(std::vector<uint8_t>{});
}

RlpItem strings(std::initializer_list<const char*> list) {
  RlpItem l = RlpItem::list();
  for (const char* s : list) l.items().push_back(RlpItem::text(s));
  return l;
}

// Encodes `item`, compares with `want_hex`, decodes the bytes back and
// compares with `item`.
void expect_round_trip(const RlpItem& item, std::string_view want_hex) {
  std::vector<uint8_t> enc = rlp_encode(item);
  EXPECT_EQ(to_hex(enc), want_hex);
  auto dec = rlp_decode(enc);
  ASSERT_TRUE(dec) << dec.error().message();
  EXPECT_EQ(*dec, item);
}

// Vectors from ethereum/tests RLPTests/rlptest.json.
TEST(Rlp, PublishedVectors) {
  expect_round_trip(RlpItem::text(""), "80");
  expect_round_trip(RlpItem::bytes(hex("00")), "00");
  expect_round_trip(RlpItem::bytes(hex("7f")), "7f");
  expect_round_trip(RlpItem::text("dog"), "83646f67");
  expect_round_trip(RlpItem::text("Lorem ipsum dolor sit amet, consectetur adipisicing eli"),
                    "b74c6f72656d20697073756d20646f6c6f722073697420616d65742c20636f6e736563746574"
                    "7572206164697069736963696e6720656c69");
  expect_round_trip(RlpItem::text("Lorem ipsum dolor sit amet, consectetur adipisicing elit"),
                    "b8384c6f72656d20697073756d20646f6c6f722073697420616d65742c20636f6e73656374"
                    "65747572206164697069736963696e6720656c6974");
  expect_round_trip(RlpItem::uint(uint64_t{0}), "80");
  expect_round_trip(RlpItem::uint(uint64_t{1}), "01");
  expect_round_trip(RlpItem::uint(uint64_t{127}), "7f");
  expect_round_trip(RlpItem::uint(uint64_t{128}), "8180");
  expect_round_trip(RlpItem::uint(uint64_t{1000}), "8203e8");
  expect_round_trip(RlpItem::uint(uint64_t{100000}), "830186a0");
  expect_round_trip(RlpItem::uint(*Uint256::from_decimal("83729609699884896815286331701780722")),
                    "8f102030405060708090a0b0c0d0e0f2");
  expect_round_trip(RlpItem::list(), "c0");
  expect_round_trip(strings({"dog", "god", "cat"}), "cc83646f6783676f6483636174");
  expect_round_trip(RlpItem::list({RlpItem::text("zw"), RlpItem::list({RlpItem::uint(uint64_t{4})}),
                                   RlpItem::uint(uint64_t{1})}),
                    "c6827a77c10401");
  expect_round_trip(strings({"asdf", "qwer", "zxcv", "asdf", "qwer", "zxcv", "asdf", "qwer", "zxcv",
                             "asdf", "qwer"}),
                    "f784617364668471776572847a78637684617364668471776572847a78637684617364668471"
                    "776572847a78637684617364668471776572");
  RlpItem long_list = RlpItem::list();
  for (int i = 0; i < 4; ++i) long_list.items().push_back(strings({"asdf", "qwer", "zxcv"}));
  expect_round_trip(long_list,
                    "f840cf84617364668471776572847a786376cf84617364668471776572847a786376cf846173"
                    "64668471776572847a786376cf84617364668471776572847a786376");
  // [ [], [[]], [ [], [[]] ] ]
  RlpItem e = RlpItem::list();
  RlpItem ee = RlpItem::list({RlpItem::list()});
  expect_round_trip(RlpItem::list({e, ee, RlpItem::list({e, ee})}), "c7c0c1c0c3c0c1c0");
}

TEST(Rlp, LongPayloadsUseMultiByteLengths) {
  // 1024-byte string: b9 0400.
  std::vector<uint8_t> big(1024, 0xab);
  std::vector<uint8_t> enc = rlp_encode(RlpItem::bytes(big));
  ASSERT_EQ(enc.size(), 1027u);
  EXPECT_EQ(to_hex(std::span(enc).first(3)), "b90400");
  auto dec = rlp_decode(enc);
  ASSERT_TRUE(dec);
  EXPECT_EQ(dec->bytes(), big);
  // 32 lists of 15 bytes: list payload 512 -> f9 0200.
  RlpItem l = RlpItem::list();
  for (int i = 0; i < 32; ++i) l.items().push_back(strings({"asdf", "qwer", "zxcv"}));
  std::vector<uint8_t> list_enc = rlp_encode(l);
  EXPECT_EQ(to_hex(std::span(list_enc).first(3)), "f90200");
}

// Vectors from ethereum/tests RLPTests/invalidRLPTest.json plus our own.
TEST(Rlp, RefusesMalformedAndNonCanonicalInput) {
  for (const char* bad : {
           "bf0f000000000000021111",  // length far beyond the input
           "ff0f000000000000021111",
           "f80180",  // long form for a 1-byte list
           "f80100",
           "b9002100dc2b275d0f74e8a53e6f4ec61b27f24278820be3f82ea2110e582081b0565df0",
           "8100",
           "8101",
           "817f",  // single byte below 0x80 wrapped
           "b800",
           "f800",                                  // leading zero in length
           "b81000112233445566778899aabbccddeeff",  // long form below 56
           "b801ff",
           "f810000102030405060708090a0b0c0d0e0f",
           "f803112233",
           "",            // nothing
           "83646f",      // truncated string
           "c383646f67",  // list payload ends inside an item
           "8000",        // trailing byte after the item
           "c101ff",      // trailing byte after a list
           "b9",          // truncated length
           "b90100",      // length present, payload missing
       }) {
    EXPECT_FALSE(rlp_decode(hex(bad))) << bad;
  }
  // c3 | 64 6f 67 is a complete 3-item list; the 01 after it is trailing.
  auto trailing = rlp_decode(hex("c3646f6701"));
  ASSERT_FALSE(trailing);
  EXPECT_NE(trailing.error().message().find("trailing"), std::string::npos)
      << trailing.error().message();
  auto r = rlp_decode(hex("8100"));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("non-canonical"), std::string::npos) << r.error().message();
  EXPECT_NE(r.error().message().find("byte 0"), std::string::npos) << r.error().message();
}

TEST(Rlp, HugeDeclaredLengthsAreRefusedWithoutAllocating) {
  // 8-byte lengths near 2^64 must not overflow the bounds check.
  for (const char* bad : {"bfffffffffffffffff00", "ffffffffffffffffff00", "bf7fffffffffffffff",
                          "ff8000000000000000"}) {
    auto r = rlp_decode(hex(bad));
    EXPECT_FALSE(r) << bad;
  }
}

TEST(Rlp, DepthAndItemLimits) {
  // 40 nested empty lists: c0 wrapped 39 times.
  std::vector<uint8_t> nested = {0xc0};
  for (int i = 0; i < 39; ++i) {
    std::vector<uint8_t> outer = {static_cast<uint8_t>(0xc0 + nested.size())};
    if (nested.size() >= 56) break;
    outer.insert(outer.end(), nested.begin(), nested.end());
    nested = outer;
  }
  ASSERT_EQ(nested.size(), 40u);
  EXPECT_FALSE(rlp_decode(nested));
  EXPECT_TRUE(rlp_decode(nested, RlpLimits{.max_depth = 40}));

  std::vector<uint8_t> many = {0xf8, 60};
  many.insert(many.end(), 60, 0x01);
  EXPECT_TRUE(rlp_decode(many));
  auto r = rlp_decode(many, RlpLimits{.max_items = 10});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("more than 10 items"), std::string::npos);
}

TEST(Rlp, IntegerAccessorsRejectNonCanonicalIntegers) {
  EXPECT_EQ(RlpItem::bytes(hex("0400")).as_u64("gas").value(), 1024u);
  EXPECT_EQ(RlpItem().as_u64("nonce").value(), 0u);
  auto lead = RlpItem::bytes(hex("0004")).as_uint256("value");
  ASSERT_FALSE(lead);
  EXPECT_NE(lead.error().message().find("value"), std::string::npos);
  EXPECT_FALSE(RlpItem::bytes(std::vector<uint8_t>(33, 1)).as_uint256("value"));
  EXPECT_FALSE(RlpItem::bytes(hex("010000000000000000")).as_u64("nonce"));
  EXPECT_FALSE(RlpItem::list().as_u64("nonce"));
  EXPECT_TRUE(RlpItem::bytes(std::vector<uint8_t>(32, 0xff)).as_uint256("value"));
}

}  // namespace
}  // namespace gw::ledger
