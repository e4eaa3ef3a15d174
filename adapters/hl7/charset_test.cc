#include "adapters/hl7/charset.h"

#include <gtest/gtest.h>

#include <string>

#include "adapters/hl7/er7.h"
#include "adapters/hl7/test_util.h"

namespace gw::hl7 {
namespace {

using testing::Msg;

TEST(CharsetTest, Lookup) {
  Charset cs;
  ASSERT_TRUE(lookup_charset("ASCII", &cs));
  EXPECT_EQ(cs, Charset::kAscii);
  ASSERT_TRUE(lookup_charset("8859/1", &cs));
  EXPECT_EQ(cs, Charset::kLatin1);
  ASSERT_TRUE(lookup_charset(" 8859/15 ", &cs));
  EXPECT_EQ(cs, Charset::kLatin9);
  ASSERT_TRUE(lookup_charset("UNICODE UTF-8", &cs));
  EXPECT_EQ(cs, Charset::kUtf8);
  ASSERT_TRUE(lookup_charset("utf-8", &cs));
  EXPECT_EQ(cs, Charset::kUtf8);
  ASSERT_TRUE(lookup_charset("ISO-8859-1", &cs));
  EXPECT_EQ(cs, Charset::kLatin1);
  for (const char* bad : {"", "UNICODE", "UNICODE UTF-16", "UNICODE UTF-32", "8859/2", "ISO IR87",
                          "GB 18030-2000", "KS X 1001", "BIG-5", "UTF-8X"}) {
    EXPECT_FALSE(lookup_charset(bad, &cs)) << bad;
  }
  EXPECT_STREQ(charset_name(Charset::kLatin1), "8859/1");
  EXPECT_STREQ(charset_name(Charset::kUtf8), "UNICODE UTF-8");
}

TEST(CharsetTest, Utf8Validation) {
  EXPECT_TRUE(is_valid_utf8(""));
  EXPECT_TRUE(is_valid_utf8("plain ascii text that is longer than eight bytes"));
  EXPECT_TRUE(is_valid_utf8("\xC3\xA9\xE2\x82\xAC\xF0\x9F\xA9\xBA\xF4\x8F\xBF\xBF"));
  EXPECT_EQ(find_invalid_byte("abc\xC3", Charset::kUtf8), 3u);           // truncated
  EXPECT_EQ(find_invalid_byte("\xC3\x28", Charset::kUtf8), 0u);          // bad continuation
  EXPECT_EQ(find_invalid_byte("\xC0\xAF", Charset::kUtf8), 0u);          // overlong
  EXPECT_EQ(find_invalid_byte("\xE0\x80\xAF", Charset::kUtf8), 0u);      // overlong
  EXPECT_EQ(find_invalid_byte("\xED\xA0\x80", Charset::kUtf8), 0u);      // surrogate
  EXPECT_EQ(find_invalid_byte("\xF4\x90\x80\x80", Charset::kUtf8), 0u);  // > U+10FFFF
  EXPECT_EQ(find_invalid_byte("\xF5\x80\x80\x80", Charset::kUtf8), 0u);
  EXPECT_EQ(find_invalid_byte("\x80", Charset::kUtf8), 0u);
  EXPECT_EQ(find_invalid_byte("12345678\xFF", Charset::kUtf8), 8u);
  EXPECT_EQ(find_invalid_byte("abc\x80", Charset::kAscii), 3u);
  EXPECT_EQ(find_invalid_byte("abc\x80\xFF", Charset::kLatin1), std::string_view::npos);
  EXPECT_EQ(find_invalid_byte("abc\x80\xFF", Charset::kLatin9), std::string_view::npos);
}

TEST(CharsetTest, ToUtf8) {
  std::string out;
  EXPECT_TRUE(append_as_utf8("\xE9\xFF\x41", Charset::kLatin1, &out));
  EXPECT_EQ(out,
            "\xC3\xA9\xC3\xBF"
            "A");
  out.clear();
  EXPECT_TRUE(append_as_utf8("\xA4\xA6\xA8\xB4\xB8\xBC\xBD\xBE\xE9", Charset::kLatin9, &out));
  EXPECT_EQ(out, "€ŠšŽžŒœŸé");
  out.clear();
  EXPECT_FALSE(
      append_as_utf8("a\xE9"
                     "b",
                     Charset::kAscii, &out));
  EXPECT_EQ(out,
            "a\xEF\xBF\xBD"
            "b");
  out.clear();
  EXPECT_FALSE(append_as_utf8("a\xC3(b", Charset::kUtf8, &out));
  EXPECT_EQ(out, "a\xEF\xBF\xBD(b");
}

TEST(CharsetTest, FromUtf8) {
  EXPECT_EQ(utf8_to_charset("caf\xC3\xA9 \xE2\x82\xAC", Charset::kUtf8),
            "caf\xC3\xA9 \xE2\x82\xAC");
  EXPECT_EQ(utf8_to_charset("caf\xC3\xA9 \xE2\x82\xAC \xC2\xA4", Charset::kLatin1),
            "caf\xE9 ? \xA4");
  EXPECT_EQ(utf8_to_charset("caf\xC3\xA9 \xE2\x82\xAC \xC2\xA4", Charset::kLatin9),
            "caf\xE9 \xA4 ?");
  EXPECT_EQ(utf8_to_charset("\xC5\x92\xC5\xB8", Charset::kLatin9), "\xBC\xBE");
  EXPECT_EQ(utf8_to_charset("caf\xC3\xA9", Charset::kAscii), "caf?");
  EXPECT_EQ(utf8_to_charset("a\xFF"
                            "b\xF0\x9F\xA9\xBA",
                            Charset::kLatin1),
            "a?b?");
  // Round trip through both directions for every Latin-9 byte.
  for (int b = 0x20; b <= 0xFF; ++b) {
    if (b >= 0x7F && b < 0xA0) continue;
    std::string utf8;
    append_as_utf8(std::string(1, static_cast<char>(b)), Charset::kLatin9, &utf8);
    EXPECT_EQ(utf8_to_charset(utf8, Charset::kLatin9), std::string(1, static_cast<char>(b))) << b;
  }
}

// MSH-18 handling in the parser.

std::string WithCharset(std::string_view msh18, std::string_view pid5) {
  std::string msh = "MSH|^~\\&|A|B|C|D|20240101||ADT^A08|X1|P|2.5||||||";
  msh.append(msh18);
  return Msg({msh, "PID|1||1||" + std::string(pid5)});
}

TEST(CharsetTest, ParserLatin1) {
  std::string text = WithCharset("8859/1", "M\xDCLLER^REN\xC9");
  ParseResult r = parse(text);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.message->charset(), Charset::kLatin1);
  EXPECT_EQ(r.message->get("PID-5.1"), "MÜLLER");
  EXPECT_EQ(r.message->get("PID-5.2"), "RENÉ");
  EXPECT_EQ(r.header->charset, "8859/1");
}

TEST(CharsetTest, ParserLatin9) {
  std::string text = WithCharset("8859/15", "\xA4\xBC");
  ParseResult r = parse(text);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.message->get("PID-5"), "€Œ");
}

// Windows-1252 (declared by many Windows senders): 8859-1 plus the
// printable 0x80-0x9F block; its undefined bytes are located errors.
TEST(CharsetTest, ParserWindows1252) {
  const std::string text = WithCharset("CP1252", "O\x92NEILL^\x80\x9C\xC9");
  ParseResult r = parse(text);  // views into text
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.message->charset(), Charset::kWindows1252);
  EXPECT_EQ(r.message->get("PID-5.1"), "O’NEILL");
  EXPECT_EQ(r.message->get("PID-5.2"), "€œÉ");
  Charset cs;
  ASSERT_TRUE(lookup_charset("windows-1252", &cs));
  EXPECT_EQ(cs, Charset::kWindows1252);
  EXPECT_EQ(utf8_to_charset("O’NEILL €É一", Charset::kWindows1252), "O\x92NEILL \x80\xC9?");
  const std::string bad_text = WithCharset("CP1252",
                                           "A\x81"
                                           "Z");
  ParseResult bad = parse(bad_text);
  EXPECT_FALSE(bad.ok());
}

// UTF-8 sent under an 8-bit declaration: read as declared, and said.
TEST(CharsetTest, Utf8UnderALatin1DeclarationIsWarned) {
  const std::string text = WithCharset("8859/1", "TESTPATI\xC3\xABNT");
  ParseResult r = parse(text);  // views into text
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_EQ(r.warnings[0].where.field, 18);
  EXPECT_EQ(r.message->get("PID-5"), "TESTPATI\u00C3\u00ABNT");
  const std::string latin1 = WithCharset("8859/1", "M\xDCLLER");
  EXPECT_TRUE(parse(latin1).warnings.empty());
}

TEST(CharsetTest, ParserUtf8) {
  std::string text = WithCharset("UNICODE UTF-8", "ØSTERGÅRD^山田");
  ParseResult r = parse(text);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.message->charset(), Charset::kUtf8);
  EXPECT_EQ(r.message->get("PID-5.1"), "ØSTERGÅRD");
  EXPECT_EQ(r.message->get("PID-5.2"), "山田");
}

TEST(CharsetTest, ParserInvalidUtf8IsLocated) {
  std::string text = WithCharset("UNICODE UTF-8", "OK~SMITH^J\xC3(HN&x");
  ParseResult r = parse(text);
  ASSERT_FALSE(r.ok());
  ASSERT_EQ(r.errors.size(), 1u);
  const Error& e = r.errors[0];
  EXPECT_EQ(e.code, ErrorCode::kDataType);
  EXPECT_EQ(e.where.segment_id, "PID");
  EXPECT_EQ(e.where.segment_sequence, 1);
  EXPECT_EQ(e.where.segment_index, 2);
  EXPECT_EQ(e.where.field, 5);
  EXPECT_EQ(e.where.repetition, 2);
  EXPECT_EQ(e.where.component, 2);
  EXPECT_EQ(e.where.subcomponent, 1);
  EXPECT_NE(e.detail.find("MSH-18"), std::string::npos);
}

TEST(CharsetTest, ParserAsciiRejectsHighBytes) {
  std::string text = WithCharset("ASCII", "CAF\xC9");
  ParseResult r = parse(text);
  ASSERT_FALSE(r.ok());
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].where.field, 5);
  EXPECT_TRUE(r.header);
}

TEST(CharsetTest, ParserUnknownCharsetNamesMsh18) {
  std::string text = WithCharset("ISO IR87", "X");
  ParseResult r = parse(text);
  ASSERT_FALSE(r.ok());
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].code, ErrorCode::kTableValueNotFound);
  EXPECT_EQ(r.errors[0].where.segment_id, "MSH");
  EXPECT_EQ(r.errors[0].where.field, 18);
  EXPECT_NE(r.errors[0].to_string().find("MSH-18"), std::string::npos);
  ASSERT_TRUE(r.header);
  EXPECT_EQ(r.header->charset, "ISO IR87");
}

TEST(CharsetTest, ParserRepeatedMsh18UsesFirst) {
  std::string text = WithCharset("UNICODE UTF-8~ISO IR87", "\xC3\xA9");
  ParseResult r = parse(text);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.header->charset, "UNICODE UTF-8");
}

TEST(CharsetTest, EmptyMsh18Defaults) {
  std::string utf8 = WithCharset("", "REN\xC3\x89");
  std::string latin1 = WithCharset("", "REN\xC9");
  std::string ascii = WithCharset("", "RENE");
  // Default: valid UTF-8 is UTF-8, anything else Latin-1.
  ParseResult r = parse(utf8);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.message->charset(), Charset::kUtf8);
  EXPECT_EQ(r.message->get("PID-5"), "RENÉ");
  r = parse(latin1);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.message->charset(), Charset::kLatin1);
  EXPECT_EQ(r.message->get("PID-5"), "RENÉ");
  r = parse(ascii);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.message->charset(), Charset::kUtf8);

  ParseOptions strict_ascii;
  strict_ascii.default_charset = DefaultCharset::kAscii;
  EXPECT_FALSE(parse(latin1, strict_ascii).ok());
  EXPECT_FALSE(parse(utf8, strict_ascii).ok());
  EXPECT_TRUE(parse(ascii, strict_ascii).ok());
  ParseOptions strict_utf8;
  strict_utf8.default_charset = DefaultCharset::kUtf8;
  EXPECT_FALSE(parse(latin1, strict_utf8).ok());
  EXPECT_TRUE(parse(utf8, strict_utf8).ok());
  ParseOptions always_latin1;
  always_latin1.default_charset = DefaultCharset::kLatin1;
  // UTF-8 "É" (C3 89) read as Latin-1 is "Ã" and the C1 control U+0089:
  // refused (data type error) rather than stored as mojibake.
  r = parse(utf8, always_latin1);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.errors[0].code, ErrorCode::kDataType);
  EXPECT_EQ(r.errors[0].where.field, 5);
}

TEST(CharsetTest, HexEscapesUseMessageCharset) {
  std::string latin1 = WithCharset("8859/1", "REN\\XC9\\");
  ParseResult r = parse(latin1);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.message->get("PID-5"), "RENÉ");
  std::string utf8 = WithCharset("UNICODE UTF-8", "REN\\XC389\\");
  r = parse(utf8);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.message->get("PID-5"), "RENÉ");
  std::string bad = WithCharset("UNICODE UTF-8", "REN\\XC9\\");
  r = parse(bad);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r.warnings.size(), 1u);
  EXPECT_EQ(r.message->get("PID-5"), "REN\xEF\xBF\xBD");
  Element e = r.message->element("PID-5").value().leaf();
  EXPECT_TRUE(e.text().ok());
  EXPECT_FALSE(e.text(/*strict=*/true).ok());
}

}  // namespace
}  // namespace gw::hl7
