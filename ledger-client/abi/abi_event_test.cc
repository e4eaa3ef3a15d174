#include "ledger-client/abi/abi_event.h"

#include <gtest/gtest.h>

namespace gw::ledger {
namespace {

std::vector<uint8_t> hex(std::string_view h) {
  auto b = from_hex(h);
  EXPECT_TRUE(b) << h;
  return b.value_or(std::vector<uint8_t>{});
}

Hash256 h256(std::string_view h) {
  Hash256 out{};
  auto b = hex(h);
  if (b.size() == 32) std::copy(b.begin(), b.end(), out.begin());
  return out;
}

std::string word(std::string_view tail) {
  return std::string(64 - tail.size(), '0') + std::string(tail);
}

TEST(AbiEvent, WellKnownTopics) {
  EXPECT_EQ(to_hex(event_topic("Transfer(address,address,uint256)")),
            "ddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef");
  EXPECT_EQ(to_hex(event_topic("Approval(address,address,uint256)")),
            "8c5be1e5ebec7d5bd14f71427d1e84f3dd0314c0f7b2291e5b200ac8c7c3b925");
}

TEST(AbiEvent, DecodesAnErc20TransferLog) {
  auto ev =
      parse_event_signature("Transfer(address indexed from, address indexed to, uint256 value)");
  ASSERT_TRUE(ev);
  std::vector<Hash256> topics = {
      h256("ddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"),
      h256(word("f39fd6e51aad88f6f4ce6ab8827279cfffb92266")),
      h256(word("70997970c51812dc3a010c7d01b50e0d17dc79c8"))};
  auto data = hex(word("de0b6b3a7640000"));
  auto log = decode_log(*ev, topics, data);
  ASSERT_TRUE(log) << log.error().message();
  ASSERT_EQ(log->size(), 3u);
  EXPECT_EQ((*log)[0].name, "from");
  EXPECT_TRUE((*log)[0].indexed);
  EXPECT_FALSE((*log)[0].hashed);
  EXPECT_EQ(to_hex(*(*log)[0].value.as_address()), "f39fd6e51aad88f6f4ce6ab8827279cfffb92266");
  EXPECT_EQ(to_hex(*(*log)[1].value.as_address()), "70997970c51812dc3a010c7d01b50e0d17dc79c8");
  EXPECT_EQ((*log)[2].value.as_word()->to_decimal(), "1000000000000000000");
  EXPECT_FALSE((*log)[2].indexed);

  // The overload that parses the signature gives the same fields.
  auto parsed =
      decode_log("Transfer(address indexed from, address indexed to, uint256 value)", topics, data);
  ASSERT_TRUE(parsed) << parsed.error().message();
  EXPECT_EQ((*parsed)[2].value, (*log)[2].value);
  EXPECT_FALSE(decode_log("Transfer(address indexed, address indexed, uint7)", topics, data));

  // Another event's log, a missing topic, or dirty topic words are refused.
  auto approval = topics;
  approval[0] = event_topic("Approval(address,address,uint256)");
  EXPECT_FALSE(decode_log(*ev, approval, data));
  EXPECT_FALSE(decode_log(*ev, std::span(topics).first(2), data));
  auto dirty = topics;
  dirty[1][0] = 1;  // an address topic with its high bytes set
  EXPECT_FALSE(decode_log(*ev, dirty, data));
  EXPECT_FALSE(decode_log(*ev, topics, std::span(data).first(31)));
}

TEST(AbiEvent, IndexedDynamicValuesAreHashes) {
  auto ev = parse_event_signature(
      "Registered(string indexed name, bytes32[] indexed keys, "
      "string note, uint64 id)");
  ASSERT_TRUE(ev) << ev.error().message();
  Hash256 name_hash = keccak256(std::string_view("alice"));
  Hash256 keys_hash = keccak256(std::vector<uint8_t>(64, 0x01));
  std::vector<Hash256> topics = {event_topic(ev->canonical()), name_hash, keys_hash};
  auto data = hex(word("40") + word("2a") + word("2") + "6f6b" + std::string(60, '0'));
  auto log = decode_log(*ev, topics, data);
  ASSERT_TRUE(log) << log.error().message();
  EXPECT_TRUE((*log)[0].hashed);
  EXPECT_EQ(*(*log)[0].value.as_bytes(), std::vector<uint8_t>(name_hash.begin(), name_hash.end()));
  EXPECT_TRUE((*log)[1].hashed);
  EXPECT_EQ(*(*log)[2].value.as_string(), "ok");
  EXPECT_EQ((*log)[3].value.as_word()->to_u64(), 42u);
}

TEST(AbiEvent, AnonymousEventsHaveNoSignatureTopic) {
  auto ev = parse_event_signature("Ping(uint256 indexed n)", /*anonymous=*/true);
  ASSERT_TRUE(ev);
  std::vector<Hash256> topics = {h256(word("5"))};
  auto log = decode_log(*ev, topics, {}, /*anonymous=*/true);
  ASSERT_TRUE(log) << log.error().message();
  EXPECT_EQ((*log)[0].value.as_word()->to_u64(), 5u);
}

TEST(AbiRevert, ErrorStringFromTheSolidityDocs) {
  // revert("Not enough Ether provided.") (Solidity docs, "Control Structures").
  auto data =
      hex("08c379a0"
          "0000000000000000000000000000000000000000000000000000000000000020"
          "000000000000000000000000000000000000000000000000000000000000001a"
          "4e6f7420656e6f7567682045746865722070726f76696465642e000000000000");
  RevertReason r = decode_revert(data);
  EXPECT_EQ(r.kind, RevertReason::Kind::kError);
  EXPECT_EQ(r.message, "Not enough Ether provided.");
  EXPECT_EQ(r.describe(), "Error(\"Not enough Ether provided.\")");
}

TEST(AbiRevert, PanicCodes) {
  RevertReason r = decode_revert(hex("4e487b71" + word("11")));
  EXPECT_EQ(r.kind, RevertReason::Kind::kPanic);
  EXPECT_EQ(r.panic_code.to_u64(), 0x11u);
  EXPECT_EQ(r.describe(), "Panic(0x11: arithmetic overflow or underflow)");
  EXPECT_EQ(decode_revert(hex("4e487b71" + word("12"))).describe(),
            "Panic(0x12: division or modulo by zero)");
  EXPECT_EQ(decode_revert(hex("4e487b71" + word("99"))).describe(),
            "Panic(0x99: unknown panic code)");
}

TEST(AbiRevert, CustomErrorsBySelector) {
  auto err = parse_function_signature("InsufficientBalance(uint256 available, uint256 required)");
  ASSERT_TRUE(err);
  std::vector<AbiSignature> known = {*err};
  Selector sel = function_selector("InsufficientBalance(uint256,uint256)");
  std::vector<uint8_t> data(sel.begin(), sel.end());
  auto args = hex(word("64") + word("c8"));
  data.insert(data.end(), args.begin(), args.end());
  RevertReason r = decode_revert(data, known);
  EXPECT_EQ(r.kind, RevertReason::Kind::kCustom);
  EXPECT_EQ(r.error_signature, "InsufficientBalance(uint256,uint256)");
  ASSERT_EQ(r.args.size(), 2u);
  EXPECT_EQ(r.args[1].as_word()->to_u64(), 200u);
  EXPECT_EQ(r.describe(), "InsufficientBalance(uint256,uint256) with 2 argument(s)");
  // Without the signature the selector is reported, not guessed.
  RevertReason unknown = decode_revert(data);
  EXPECT_EQ(unknown.kind, RevertReason::Kind::kUnknown);
  EXPECT_EQ(unknown.describe(),
            "unrecognized revert data (68 bytes, selector 0x" + to_hex(sel) + ")");
}

TEST(AbiRevert, MalformedRevertDataIsUnknownNotAnError) {
  EXPECT_EQ(decode_revert({}).kind, RevertReason::Kind::kEmpty);
  EXPECT_EQ(decode_revert({}).describe(), "revert without data");
  EXPECT_EQ(decode_revert(hex("08c3")).kind, RevertReason::Kind::kUnknown);
  // Error(string) whose offset points outside the data.
  EXPECT_EQ(decode_revert(hex("08c379a0" + word("ffff"))).kind, RevertReason::Kind::kUnknown);
  EXPECT_EQ(decode_revert(hex("4e487b71")).kind, RevertReason::Kind::kUnknown);
}

TEST(AbiRevert, DescribeEscapesAndTruncatesMessages) {
  std::string msg = "line1\nline2 \"quoted\" \x01";
  RevertReason r;
  r.kind = RevertReason::Kind::kError;
  r.message = msg;
  EXPECT_EQ(r.describe(), "Error(\"line1\\x0aline2 \\\"quoted\\\" \\x01\")");
  r.message = std::string(500, 'a');
  EXPECT_EQ(r.describe(), "Error(\"" + std::string(200, 'a') + "...\")");
}

}  // namespace
}  // namespace gw::ledger
