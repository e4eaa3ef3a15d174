// Control characters are not text: written as bytes or decoded from \X, they
// make the message a data type error (102) located at the element, with no
// content in the error; TAB and the line breaks of \.br\ and \X0A\ are text.
#include <gtest/gtest.h>

#include <string>

#include "adapters/hl7/er7.h"
#include "adapters/hl7/test_util.h"

namespace gw::hl7 {
namespace {

using testing::Msg;

const std::string kMsh = "MSH|^~\\&|A|B|C|D|20240315||ADT^A01|X1|P|2.5.1";

std::string WithPid5(const std::string& pid5, const std::string& msh = kMsh) {
  return Msg({msh, "PID|1||100^^^H^MR||" + pid5 + "||19800214|F"});
}

// Exactly one error: 102 at PID(1)-5, the given repetition/component/
// subcomponent, and a detail without the test's marker text.
void ExpectControlError(const ParseResult& r, int rep, int comp, int sub,
                        const std::string& label) {
  SCOPED_TRACE(label);
  EXPECT_FALSE(r.ok());
  EXPECT_FALSE(r.message.has_value());
  ASSERT_TRUE(r.header) << "the header is still readable, for the NAK";
  ASSERT_EQ(r.errors.size(), 1u);
  const Error& e = r.errors[0];
  EXPECT_EQ(e.code, ErrorCode::kDataType);
  EXPECT_EQ(e.severity, Severity::kError);
  EXPECT_EQ(e.where.segment_id, "PID");
  EXPECT_EQ(e.where.segment_sequence, 1);
  EXPECT_EQ(e.where.field, 5);
  EXPECT_EQ(e.where.repetition, rep);
  EXPECT_EQ(e.where.component, comp);
  EXPECT_EQ(e.where.subcomponent, sub);
  EXPECT_EQ(e.to_string().find("SECRET"), std::string::npos) << e.to_string();
}

TEST(Er7ControlsTest, RawC0AndDelAreDataTypeErrors) {
  for (char c : {'\x00', '\x01', '\x07', '\x0b', '\x0c', '\x1b', '\x1f', '\x7f'}) {
    std::string name = "SECRET";
    name.push_back(c);
    name += "B^EVE";
    ExpectControlError(parse(WithPid5(name)), 1, 1, 1, "byte " + std::to_string(int(c)));
  }
  // Located at the leaf that holds it.
  ExpectControlError(parse(WithPid5(std::string("A^B&SECRET\x01", 11))), 1, 2, 2, "subcomponent");
  ExpectControlError(parse(WithPid5(std::string("A^B~C^D^SECRET\0", 15))), 2, 3, 1, "repetition");
}

TEST(Er7ControlsTest, EveryPositionIsSeenByTheScan) {
  // The scan reads 16 bytes at a time: a control at every offset of a long
  // field, including right before the segment terminator, is found.
  for (size_t at = 0; at < 40; ++at) {
    std::string name(40, 'N');
    name[at] = '\x02';
    ExpectControlError(parse(WithPid5(name)), 1, 1, 1, "offset " + std::to_string(at));
  }
  // In the last segment without a terminator, too.
  ParseResult r = parse(kMsh + "\rPID|1||100||SECRET\x03");
  ExpectControlError(r, 1, 1, 1, "unterminated");
}

TEST(Er7ControlsTest, TabIsText) {
  const std::string text = WithPid5("A\tB^C");  // the parsed Message views it
  ParseResult r = parse(text);
  ASSERT_TRUE(r.ok()) << r.errors[0].to_string();
  EXPECT_EQ(r.message->get("PID-5.1"), "A\tB");
}

TEST(Er7ControlsTest, DecodedControlsAreDataTypeErrors) {
  for (const char* esc : {"\\X00\\", "\\X01\\", "\\X7F\\", "\\X411B\\", "\\X1F\\"}) {
    ExpectControlError(parse(WithPid5(std::string("SECRET") + esc + "^EVE")), 1, 1, 1, esc);
  }
  // Whatever strict_escapes says.
  ParseOptions lenient;
  lenient.strict_escapes = false;
  lenient.check_escapes = false;
  ExpectControlError(parse(WithPid5("A^SECRET\\X00\\"), lenient), 1, 2, 1, "check_escapes off");
}

TEST(Er7ControlsTest, EscapedLineBreaksAndTabAreText) {
  const std::string text =
      Msg({kMsh, "PID|1||100||A", "NTE|1||one\\.br\\two\\X0A\\three\\X0D0A\\four",
           "NTE|2||a\\X09\\b\\.sp 2\\c"});
  ParseResult r = parse(text);
  ASSERT_TRUE(r.ok()) << r.errors[0].to_string();
  EXPECT_EQ(r.message->get("NTE(1)-3"), "one\ntwo\nthree\r\nfour");
  EXPECT_EQ(r.message->get("NTE(2)-3"), "a\tb\n\nc");
}

TEST(Er7ControlsTest, C1ControlsDependOnTheCharset) {
  const std::string latin1 = "MSH|^~\\&|A|B|C|D|20240315||ADT^A01|X1|P|2.5.1|||||USA|8859/1";
  const std::string utf8 = "MSH|^~\\&|A|B|C|D|20240315||ADT^A01|X1|P|2.5.1|||||USA|UNICODE UTF-8";
  const std::string cp1252 = "MSH|^~\\&|A|B|C|D|20240315||ADT^A01|X1|P|2.5.1|||||USA|CP1252";
  ExpectControlError(parse(WithPid5("SECRET\x85", latin1)), 1, 1, 1, "raw 0x85 in 8859/1");
  ExpectControlError(parse(WithPid5("SECRET\\X85\\", latin1)), 1, 1, 1, "\\X85\\ in 8859/1");
  ExpectControlError(parse(WithPid5("SECRET\xc2\x85", utf8)), 1, 1, 1, "raw U+0085 in UTF-8");
  ExpectControlError(parse(WithPid5("SECRET\\XC285\\", utf8)), 1, 1, 1, "\\XC285\\ in UTF-8");
  // Undeclared: UTF-8 when the bytes are UTF-8, else Latin-1.
  ExpectControlError(parse(WithPid5("SECRET\xc2\x9f")), 1, 1, 1, "undeclared UTF-8");
  ExpectControlError(parse(WithPid5("SECRET\x92s")), 1, 1, 1, "undeclared 8-bit");
  // Not controls: Windows-1252 0x85 is an ellipsis, U+00A0 and up are text.
  const std::string quoted = WithPid5("O\x92Neil\x85", cp1252);  // the parsed Message views it
  ParseResult r = parse(quoted);
  ASSERT_TRUE(r.ok()) << r.errors[0].to_string();
  EXPECT_EQ(r.message->get("PID-5"), "O\u2019Neil\u2026");
  const std::string nbsp_utf8 = WithPid5("Ren\xc3\xa9\xc2\xa0X", utf8);
  r = parse(nbsp_utf8);
  ASSERT_TRUE(r.ok()) << r.errors[0].to_string();
  const std::string nbsp_latin1 = WithPid5("Ren\xe9\xa0X", latin1);
  r = parse(nbsp_latin1);
  ASSERT_TRUE(r.ok()) << r.errors[0].to_string();
}

TEST(Er7ControlsTest, OneErrorPerFieldAndAllFieldsReported) {
  ParseResult r = parse(Msg({kMsh, "PID|1||1\x01^2\x02||A\x03||\x04", "NTE|1||\\X00\\~\\X00\\"}));
  ASSERT_FALSE(r.ok());
  ASSERT_EQ(r.errors.size(), 5u);
  EXPECT_EQ(r.errors[0].where.to_string(), "PID(1)-3(1).1.1");
  EXPECT_EQ(r.errors[1].where.field, 5);
  EXPECT_EQ(r.errors[2].where.field, 7);
  // Decoded ones are reported per leaf.
  EXPECT_EQ(r.errors[3].where.segment_id, "NTE");
  EXPECT_EQ(r.errors[3].where.repetition, 1);
  EXPECT_EQ(r.errors[4].where.repetition, 2);
}

TEST(Er7ControlsTest, CanBeTurnedOffForReadingPeerAcks) {
  ParseOptions o;
  o.refuse_control_characters = false;
  const std::string text = WithPid5(std::string("A\0B\\X01\\", 8));  // the Message views it
  ParseResult r = parse(text, o);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.message->get("PID-5"), std::string("A\0B\x01", 4));
}

TEST(Er7ControlsTest, ElementTextRefusesDecodedControls) {
  ParseOptions o;
  o.refuse_control_characters = false;
  const std::string text = WithPid5("A\\X00\\B");  // the parsed Message views it
  ParseResult r = parse(text, o);
  ASSERT_TRUE(r.ok());
  Result<Value> v = r.message->value("PID-5");
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error().code, ErrorCode::kDataType);
}

}  // namespace
}  // namespace gw::hl7
