#include "ledger-client/abi/abi_type.h"

#include <gtest/gtest.h>

namespace gw::ledger {
namespace {

std::string canon(std::string_view text) {
  auto t = parse_abi_type(text);
  return t ? t->canonical() : "ERROR: " + t.error().message();
}

TEST(AbiType, ParsesElementaryTypesAndAliases) {
  EXPECT_EQ(canon("uint256"), "uint256");
  EXPECT_EQ(canon("uint"), "uint256");
  EXPECT_EQ(canon("int"), "int256");
  EXPECT_EQ(canon("int64"), "int64");
  EXPECT_EQ(canon("uint8"), "uint8");
  EXPECT_EQ(canon("address"), "address");
  EXPECT_EQ(canon("bool"), "bool");
  EXPECT_EQ(canon("bytes32"), "bytes32");
  EXPECT_EQ(canon("bytes1"), "bytes1");
  EXPECT_EQ(canon("bytes"), "bytes");
  EXPECT_EQ(canon("string"), "string");

  auto t = parse_abi_type("int64");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->kind, AbiKind::kInt);
  EXPECT_EQ(t->size, 64u);
  EXPECT_FALSE(t->is_dynamic());
  EXPECT_EQ(t->head_size(), 32u);
  EXPECT_TRUE(parse_abi_type("bytes")->is_dynamic());
  EXPECT_TRUE(parse_abi_type("string")->is_dynamic());
}

TEST(AbiType, ParsesArraysAndTuples) {
  EXPECT_EQ(canon("uint8[]"), "uint8[]");
  EXPECT_EQ(canon("address[3]"), "address[3]");
  EXPECT_EQ(canon("uint[][2]"), "uint256[][2]");
  EXPECT_EQ(canon("(uint256,bytes32[],string)"), "(uint256,bytes32[],string)");
  EXPECT_EQ(canon("( uint, (bool, address)[2] )[]"), "(uint256,(bool,address)[2])[]");
  EXPECT_EQ(canon("tuple(uint256,bool)"), "(uint256,bool)");
  EXPECT_EQ(canon("()"), "()");

  auto nested = parse_abi_type("uint256[2][3]");
  ASSERT_TRUE(nested);
  // The outermost suffix is the outer array: 3 arrays of uint256[2].
  EXPECT_EQ(nested->kind, AbiKind::kFixedArray);
  EXPECT_EQ(nested->size, 3u);
  EXPECT_EQ(nested->components[0].size, 2u);
  EXPECT_FALSE(nested->is_dynamic());
  EXPECT_EQ(nested->head_size(), 6u * 32);

  auto tuple = parse_abi_type("(uint256,bytes32[],string)");
  ASSERT_TRUE(tuple);
  EXPECT_TRUE(tuple->is_dynamic());
  EXPECT_EQ(tuple->components.size(), 3u);
  auto static_tuple = parse_abi_type("(uint256,address,bytes4)[2]");
  ASSERT_TRUE(static_tuple);
  EXPECT_FALSE(static_tuple->is_dynamic());
  EXPECT_EQ(static_tuple->head_size(), 6u * 32);
  EXPECT_TRUE(parse_abi_type("string[2]")->is_dynamic());
}

TEST(AbiType, RefusesMalformedAndUnsupportedTypes) {
  for (const char* bad : {"",
                          "uint7",
                          "uint0",
                          "uint264",
                          "uint08",
                          "int9",
                          "bytes0",
                          "bytes33",
                          "bytes01",
                          "byte",
                          "fixed128x18",
                          "ufixed",
                          "function",
                          "uint256[",
                          "uint256[x]",
                          "uint256[-1]",
                          "uint256[01]",
                          "(uint256",
                          "(uint256,)",
                          "(,uint256)",
                          "uint256 ",
                          "Uint256",
                          "address payable",
                          "uint256[99999999999]",
                          "mapping(address=>uint256)"}) {
    EXPECT_FALSE(parse_abi_type(bad)) << bad;
  }
}

TEST(AbiType, EnforcesNestingAndSizeLimits) {
  std::string deep = "uint8";
  for (size_t i = 0; i < kAbiMaxTypeDepth; ++i) deep += "[]";
  EXPECT_TRUE(parse_abi_type(deep));
  EXPECT_FALSE(parse_abi_type(deep + "[]"));

  std::string tuples(kAbiMaxTypeDepth + 1, '(');
  tuples += "bool" + std::string(kAbiMaxTypeDepth + 1, ')');
  EXPECT_FALSE(parse_abi_type(tuples));

  // A static type whose encoding would exceed 1 MiB is refused, also inside a
  // dynamic array.
  EXPECT_TRUE(parse_abi_type("bytes32[32768]"));
  EXPECT_FALSE(parse_abi_type("bytes32[65536][2]"));
  EXPECT_FALSE(parse_abi_type("bytes32[65536][2][]"));

  // Hand-built types go through the same checks.
  EXPECT_FALSE(check_abi_type(AbiType::uint(12)).ok());
  EXPECT_FALSE(check_abi_type(AbiType::fixed_bytes(0)).ok());
  EXPECT_FALSE(check_abi_type(AbiType{AbiKind::kArray, 0, {}}).ok());
  EXPECT_TRUE(check_abi_type(AbiType::array(AbiType::tuple({AbiType::boolean()}))).ok());
}

TEST(AbiSignature, ParsesFunctionSignaturesWithNames) {
  auto sig = parse_function_signature("transfer(address to, uint amount)");
  ASSERT_TRUE(sig) << sig.error().message();
  EXPECT_EQ(sig->name, "transfer");
  EXPECT_EQ(sig->canonical(), "transfer(address,uint256)");
  ASSERT_EQ(sig->params.size(), 2u);
  EXPECT_EQ(sig->params[0].name, "to");
  EXPECT_EQ(sig->params[1].name, "amount");

  auto noargs = parse_function_signature("totalSupply()");
  ASSERT_TRUE(noargs);
  EXPECT_TRUE(noargs->params.empty());
  EXPECT_EQ(noargs->canonical(), "totalSupply()");

  auto loc =
      parse_function_signature("register(string memory name, (uint256,bytes32[]) calldata s)");
  ASSERT_TRUE(loc) << loc.error().message();
  EXPECT_EQ(loc->canonical(), "register(string,(uint256,bytes32[]))");
  EXPECT_EQ(loc->params[1].name, "s");

  for (const char* bad : {"transfer", "(uint256)", "f(uint256", "f(uint256 a b)", "f(uint7)",
                          "f(uint256) x", "f(uint256 indexed a)x", "f(,)"}) {
    EXPECT_FALSE(parse_function_signature(bad)) << bad;
  }
  // "indexed" is a plain (odd) parameter name in a function signature.
  auto odd = parse_function_signature("f(uint256 indexed)");
  ASSERT_TRUE(odd);
  EXPECT_FALSE(odd->params[0].indexed);
}

TEST(AbiSignature, ParsesEventSignaturesWithIndexedMarkers) {
  auto ev =
      parse_event_signature("Transfer(address indexed from, address indexed to, uint256 value)");
  ASSERT_TRUE(ev) << ev.error().message();
  EXPECT_EQ(ev->canonical(), "Transfer(address,address,uint256)");
  EXPECT_TRUE(ev->params[0].indexed);
  EXPECT_TRUE(ev->params[1].indexed);
  EXPECT_FALSE(ev->params[2].indexed);
  EXPECT_EQ(ev->params[2].name, "value");

  auto unnamed = parse_event_signature("Event(uint indexed,bytes32)");
  ASSERT_TRUE(unnamed);
  EXPECT_TRUE(unnamed->params[0].indexed);
  EXPECT_EQ(unnamed->canonical(), "Event(uint256,bytes32)");

  const char* four = "E(uint8 indexed a,uint8 indexed b,uint8 indexed c,uint8 indexed d)";
  EXPECT_FALSE(parse_event_signature(four));
  EXPECT_TRUE(parse_event_signature(four, /*anonymous=*/true));
}

}  // namespace
}  // namespace gw::ledger
