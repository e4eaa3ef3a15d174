#include "ledger-client/abi/abi_codec.h"

#include <gtest/gtest.h>

#include "ledger-client/keccak/keccak.h"

namespace gw::ledger {
namespace {

std::vector<uint8_t> hex(std::string_view h) {
  std::string clean;
  for (char c : h)
    if (c != ' ' && c != '\n') clean.push_back(c);
  auto b = from_hex(clean);
  EXPECT_TRUE(b) << h;
  return b.value_or(std::vector<uint8_t>{});
}

std::vector<uint8_t> text_bytes(std::string_view s) { return {s.begin(), s.end()}; }

std::string word(std::string_view tail) {
  return std::string(64 - tail.size(), '0') + std::string(tail);
}

AbiValue u(uint64_t v) { return AbiValue::uint(v); }

std::vector<AbiType> types_of(std::string_view signature) {
  auto sig = parse_function_signature(signature);
  EXPECT_TRUE(sig) << signature;
  return sig ? sig->types() : std::vector<AbiType>{};
}

// Encodes a call, compares with the published bytes, then decodes the
// arguments back (strictly) and compares with the input values.
void expect_call(std::string_view signature, const std::vector<AbiValue>& args,
                 std::string_view want_hex) {
  auto call = encode_call(signature, args);
  ASSERT_TRUE(call) << call.error().message();
  EXPECT_EQ(to_hex(*call), std::string(want_hex));
  auto types = types_of(signature);
  auto back = abi_decode(types, std::span(*call).subspan(4), {.strict = true});
  ASSERT_TRUE(back) << back.error().message();
  EXPECT_EQ(*back, args);
}

// The examples of the Solidity "Contract ABI Specification" (docs/abi-spec.rst).
TEST(AbiCodec, SpecExamplesFoo) {
  expect_call("baz(uint32,bool)", {u(69), AbiValue::boolean(true)},
              "cdcd77c0" + word("45") + word("1"));
  expect_call(
      "bar(bytes3[2])",
      {AbiValue::list({AbiValue::bytes(text_bytes("abc")), AbiValue::bytes(text_bytes("def"))})},
      "fce353f6"
      "6162630000000000000000000000000000000000000000000000000000000000"
      "6465660000000000000000000000000000000000000000000000000000000000");
  expect_call("sam(bytes,bool,uint256[])",
              {AbiValue::bytes(text_bytes("dave")), AbiValue::boolean(true),
               AbiValue::list({u(1), u(2), u(3)})},
              "a5643bf2" + word("60") + word("1") + word("a0") + word("4") +
                  "6461766500000000000000000000000000000000000000000000000000000000" + word("3") +
                  word("1") + word("2") + word("3"));
}

TEST(AbiCodec, SpecExampleDynamicTypes) {
  // f(uint,uint32[],bytes10,bytes) with (0x123, [0x456, 0x789], "1234567890", "Hello, world!").
  expect_call(
      "f(uint,uint32[],bytes10,bytes)",
      {u(0x123), AbiValue::list({u(0x456), u(0x789)}), AbiValue::bytes(text_bytes("1234567890")),
       AbiValue::bytes(text_bytes("Hello, world!"))},
      "8be65246" + word("123") + word("80") +
          "3132333435363738393000000000000000000000000000000000000000000000" + word("e0") +
          word("2") + word("456") + word("789") + word("d") +
          "48656c6c6f2c20776f726c642100000000000000000000000000000000000000");
  // g(uint[][],string[]) with ([[1, 2], [3]], ["one", "two", "three"]).
  expect_call("g(uint[][],string[])",
              {AbiValue::list({AbiValue::list({u(1), u(2)}), AbiValue::list({u(3)})}),
               AbiValue::list(
                   {AbiValue::string("one"), AbiValue::string("two"), AbiValue::string("three")})},
              "2289b18c" + word("40") + word("140") + word("2") + word("40") + word("a0") +
                  word("2") + word("1") + word("2") + word("1") + word("3") + word("3") +
                  word("60") + word("a0") + word("e0") + word("3") +
                  "6f6e650000000000000000000000000000000000000000000000000000000000" + word("3") +
                  "74776f0000000000000000000000000000000000000000000000000000000000" + word("5") +
                  "7468726565000000000000000000000000000000000000000000000000000000");
}

TEST(AbiCodec, WellKnownSelectors) {
  EXPECT_EQ(to_hex(function_selector("transfer(address,uint256)")), "a9059cbb");
  EXPECT_EQ(to_hex(function_selector("balanceOf(address)")), "70a08231");
  EXPECT_EQ(to_hex(function_selector("Error(string)")), "08c379a0");
  EXPECT_EQ(to_hex(function_selector("Panic(uint256)")), "4e487b71");
}

TEST(AbiCodec, TupleWithDynamicMembers) {
  // (uint256,bytes32[],string) = (5, [0x11.., 0x22..], "hi"): the tuple is
  // dynamic, so the outer head holds its offset (0x20); inside, the members'
  // offsets count from the tuple's own start.
  std::vector<uint8_t> b11(32, 0x11), b22(32, 0x22);
  AbiValue v = AbiValue::list(
      {u(5), AbiValue::list({AbiValue::bytes(b11), AbiValue::bytes(b22)}), AbiValue::string("hi")});
  std::vector<AbiType> types = {*parse_abi_type("(uint256,bytes32[],string)")};
  auto enc = abi_encode(types, std::vector<AbiValue>{v});
  ASSERT_TRUE(enc) << enc.error().message();
  EXPECT_EQ(to_hex(*enc), word("20") + word("5") + word("60") + word("c0") + word("2") +
                              std::string(64, '1') + std::string(64, '2') + word("2") + "6869" +
                              std::string(60, '0'));
  auto dec = abi_decode(types, *enc, {.strict = true});
  ASSERT_TRUE(dec) << dec.error().message();
  EXPECT_EQ((*dec)[0], v);
}

TEST(AbiCodec, SignedIntegersAndRanges) {
  std::vector<AbiType> t = {AbiType::int_(64), AbiType::int_(8), AbiType::uint(8)};
  std::vector<AbiValue> v = {AbiValue::integer(-1), AbiValue::integer(-128), u(255)};
  auto enc = abi_encode(t, v);
  ASSERT_TRUE(enc) << enc.error().message();
  EXPECT_EQ(to_hex(*enc), std::string(64, 'f') + std::string(62, 'f') + "80" + word("ff"));
  auto dec = abi_decode(t, *enc);
  ASSERT_TRUE(dec);
  EXPECT_EQ(*dec, v);

  EXPECT_FALSE(abi_encode(std::vector{AbiType::uint(8)}, std::vector{u(256)}));
  EXPECT_FALSE(abi_encode(std::vector{AbiType::int_(8)}, std::vector{AbiValue::integer(128)}));
  EXPECT_FALSE(abi_encode(std::vector{AbiType::int_(8)}, std::vector{AbiValue::integer(-129)}));
  EXPECT_TRUE(abi_encode(std::vector{AbiType::int_(8)}, std::vector{AbiValue::integer(127)}));
}

TEST(AbiCodec, EncodeRefusesValuesOfTheWrongShape) {
  auto bad = [](std::string_view type, AbiValue v) {
    std::vector<AbiType> t = {*parse_abi_type(type)};
    return abi_encode(t, std::vector<AbiValue>{std::move(v)});
  };
  EXPECT_FALSE(bad("bytes4", AbiValue::bytes({1, 2, 3})));
  EXPECT_FALSE(bad("address", u(1)));
  EXPECT_FALSE(bad("bool", u(1)));
  EXPECT_FALSE(bad("string", AbiValue::bytes({})));
  EXPECT_FALSE(bad("uint256[2]", AbiValue::list({u(1)})));
  EXPECT_FALSE(bad("(uint256,bool)", AbiValue::list({u(1)})));
  auto nested = bad("(uint256,uint8[])", AbiValue::list({u(1), AbiValue::list({u(1), u(300)})}));
  ASSERT_FALSE(nested);
  // The message locates the bad element.
  EXPECT_NE(nested.error().message().find("[0][1][1]"), std::string::npos)
      << nested.error().message();
  EXPECT_FALSE(abi_encode(std::vector{AbiType::uint()}, std::vector<AbiValue>{}));
}

TEST(AbiCodec, DecodeRefusesOffsetsAndLengthsOutsideTheData) {
  std::vector<AbiType> bytes_t = {AbiType::bytes()};
  std::vector<AbiType> arr_t = {AbiType::array(AbiType::uint())};
  // Offset pointing beyond the data.
  EXPECT_FALSE(abi_decode(bytes_t, hex(word("40") + word("0"))));
  // Offset with high bits set (would wrap a 64-bit addition).
  EXPECT_FALSE(abi_decode(bytes_t, hex("ff" + std::string(62, '0') + word("0"))));
  // Length beyond the data.
  EXPECT_FALSE(abi_decode(bytes_t, hex(word("20") + word("21") + std::string(64, 'a'))));
  // Huge lengths: 2^64-1 and 2^256-1.
  EXPECT_FALSE(abi_decode(bytes_t, hex(word("20") + word("ffffffffffffffff"))));
  EXPECT_FALSE(abi_decode(arr_t, hex(word("20") + std::string(64, 'f'))));
  // Array claiming more elements than words remain.
  auto r = abi_decode(arr_t, hex(word("20") + word("3") + word("1") + word("2")));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("byte 32"), std::string::npos) << r.error().message();
  // Truncated static data.
  EXPECT_FALSE(abi_decode(std::vector{AbiType::uint(), AbiType::uint()}, hex(word("1"))));
  EXPECT_FALSE(abi_decode(std::vector{AbiType::uint()}, hex("0001")));
  // An empty input decodes only the empty tuple.
  EXPECT_TRUE(abi_decode(std::vector<AbiType>{}, std::vector<uint8_t>{}));
}

TEST(AbiCodec, DecodeRefusesDirtyWords) {
  EXPECT_FALSE(abi_decode(std::vector{AbiType::uint(8)}, hex(word("100"))));
  EXPECT_FALSE(abi_decode(std::vector{AbiType::int_(8)}, hex(word("80"))));  // +128
  EXPECT_TRUE(abi_decode(std::vector{AbiType::int_(8)}, hex(std::string(62, 'f') + "80")));
  EXPECT_FALSE(abi_decode(std::vector{AbiType::boolean()}, hex(word("2"))));
  EXPECT_FALSE(abi_decode(std::vector{AbiType::address()}, hex("01" + std::string(62, '0'))));
  EXPECT_FALSE(
      abi_decode(std::vector{AbiType::fixed_bytes(2)}, hex("abcd01" + std::string(58, '0'))));
}

TEST(AbiCodec, StrictModeRefusesNonCanonicalEncodings) {
  std::vector<AbiType> t = {AbiType::string()};
  std::string canonical = word("20") + word("2") + "6869" + std::string(60, '0');
  EXPECT_TRUE(abi_decode(t, hex(canonical), {.strict = true}));
  // A gap before the content: fine for the lenient decoder, not strict.
  std::string gap = word("40") + word("0") + word("2") + "6869" + std::string(60, '0');
  auto lenient = abi_decode(t, hex(gap));
  ASSERT_TRUE(lenient);
  EXPECT_EQ(*(*lenient)[0].as_string(), "hi");
  EXPECT_FALSE(abi_decode(t, hex(gap), {.strict = true}));
  // Dirty padding after the string content, and trailing bytes.
  EXPECT_FALSE(abi_decode(t, hex(word("20") + word("2") + "6869" + std::string(58, '0') + "01"),
                          {.strict = true}));
  EXPECT_FALSE(abi_decode(t, hex(canonical + word("0")), {.strict = true}));
  EXPECT_TRUE(abi_decode(t, hex(canonical + word("0"))));
}

TEST(AbiCodec, DecodingBombIsRefused) {
  // uint256[][] whose 2000 inner offsets all point at one 1000-element array:
  // ~100 KB of data that would expand to 2 million values.
  const size_t outer = 2000, inner = 1000;
  std::string h = word("20") + word(to_hex(Uint256::from_u64(outer).minimal_bytes()));
  const uint64_t inner_at = 32 * outer;  // right after the offsets
  for (size_t i = 0; i < outer; ++i) h += word(to_hex(Uint256::from_u64(inner_at).minimal_bytes()));
  h += word(to_hex(Uint256::from_u64(inner).minimal_bytes()));
  for (size_t i = 0; i < inner; ++i) h += word("7");
  std::vector<AbiType> t = {*parse_abi_type("uint256[][]")};
  auto r = abi_decode(t, hex(h));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message().find("limit"), std::string::npos) << r.error().message();
  // With an explicit, larger budget the same data decodes (it is valid, just big).
  auto big = abi_decode(t, hex(h), {.max_values = 3'000'000});
  ASSERT_TRUE(big) << big.error().message();
  EXPECT_EQ((*big)[0].as_list()->size(), outer);
}

TEST(AbiCodec, RoundTripsNestedStaticAndDynamicMixes) {
  auto t = parse_abi_type("(address,(bool,bytes2)[2],string[],int16)[]");
  ASSERT_TRUE(t) << t.error().message();
  Address a{};
  a[19] = 0x42;
  auto elem = [&](int16_t n, std::string s) {
    return AbiValue::list(
        {AbiValue::address(a),
         AbiValue::list({AbiValue::list({AbiValue::boolean(true), AbiValue::bytes({1, 2})}),
                         AbiValue::list({AbiValue::boolean(false), AbiValue::bytes({3, 4})})}),
         AbiValue::list({AbiValue::string(s), AbiValue::string("")}), AbiValue::integer(n)});
  };
  std::vector<AbiValue> v = {AbiValue::list({elem(-300, "x"), elem(7, std::string(70, 'y'))})};
  std::vector<AbiType> types = {*t};
  auto enc = abi_encode(types, v);
  ASSERT_TRUE(enc) << enc.error().message();
  auto dec = abi_decode(types, *enc, {.strict = true});
  ASSERT_TRUE(dec) << dec.error().message();
  EXPECT_EQ(*dec, v);
  // Every truncation of a valid encoding is refused without crashing.
  for (size_t n = 0; n < enc->size(); n += 7) {
    EXPECT_FALSE(abi_decode(types, std::span(*enc).first(n))) << n;
  }
}

}  // namespace
}  // namespace gw::ledger
