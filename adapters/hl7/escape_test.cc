#include "adapters/hl7/escape.h"

#include <gtest/gtest.h>

#include <string>

namespace gw::hl7 {
namespace {

std::string Decode(std::string_view raw, unsigned* issues = nullptr, Charset cs = Charset::kUtf8,
                   Delimiters d = {}) {
  std::string out;
  unsigned i = decode_text(raw, d, cs, &out);
  if (issues) *issues = i;
  // check_escapes reports the same escape problems (it ignores literal bytes).
  EXPECT_EQ(i & ~kInvalidBytes, check_escapes(raw, d, cs) & ~kInvalidBytes) << raw;
  return out;
}

TEST(EscapeTest, DelimiterEscapes) {
  unsigned issues = 99;
  EXPECT_EQ(Decode(R"(a\F\b\S\c\T\d\R\e\E\f)", &issues), "a|b^c&d~e\\f");
  EXPECT_EQ(issues, kEscapeOk);
  EXPECT_EQ(Decode(R"(\F\\F\)"), "||");
  EXPECT_EQ(Decode(R"(\E\\E\)"), "\\\\");
  EXPECT_EQ(Decode("plain"), "plain");
  EXPECT_EQ(Decode(""), "");
}

TEST(EscapeTest, TruncationOnlyWhenDeclared) {
  Delimiters d;
  d.truncation = '#';
  unsigned issues = 0;
  EXPECT_EQ(Decode(R"(a\P\b)", &issues, Charset::kUtf8, d), "a#b");
  EXPECT_EQ(issues, kEscapeOk);
  EXPECT_EQ(Decode(R"(a\P\b)", &issues), R"(a\P\b)");
  EXPECT_EQ(issues, kMalformedEscape);
}

TEST(EscapeTest, CustomDelimiters) {
  Delimiters d{'#', '!', '@', '$', '%', 0};
  EXPECT_EQ(Decode("x$F$y$S$z$R$w$E$v$T$u \\F\\", nullptr, Charset::kUtf8, d), "x#y!z@w$v%u \\F\\");
}

TEST(EscapeTest, Hex) {
  unsigned issues = 0;
  EXPECT_EQ(Decode(R"(A\X0D0A\B)", &issues), "A\r\nB");
  EXPECT_EQ(issues, kEscapeOk);
  EXPECT_EQ(Decode(R"(\X41\\x42\)"), R"(A\x42\)");       // lower-case x is not an escape
  EXPECT_EQ(Decode(R"(\Xc3a9\)", &issues), "\xC3\xA9");  // UTF-8 bytes in a UTF-8 message
  EXPECT_EQ(issues, kEscapeOk);
  EXPECT_EQ(Decode(R"(\XE9\)", &issues, Charset::kLatin1), "\xC3\xA9");  // Latin-1 é
  EXPECT_EQ(issues, kEscapeOk);
  EXPECT_EQ(Decode(R"(\XE9\)", &issues, Charset::kUtf8), "\xEF\xBF\xBD");
  EXPECT_EQ(issues, kInvalidBytes);
  EXPECT_EQ(Decode(R"(\XE9\)", &issues, Charset::kAscii), "\xEF\xBF\xBD");
  EXPECT_EQ(issues, kInvalidBytes);
  EXPECT_EQ(Decode(R"(\X\)", &issues), "");
  EXPECT_EQ(issues, kEscapeOk);
  EXPECT_EQ(Decode(R"(\X4\)", &issues), R"(\X4\)");
  EXPECT_EQ(issues, kMalformedEscape);
  EXPECT_EQ(Decode(R"(\XZZ\)", &issues), R"(\XZZ\)");
  EXPECT_EQ(issues, kMalformedEscape);
}

TEST(EscapeTest, HexControlsAreFlagged) {
  unsigned issues = 0;
  // Decoded as written (the parser refuses the message), and flagged.
  EXPECT_EQ(Decode(R"(A\X00\B)", &issues), std::string("A\0B", 3));
  EXPECT_EQ(issues, kControlChar);
  for (const char* esc : {R"(\X01\)", R"(\X1B\)", R"(\X7F\)", R"(\X410C\)", R"(\XC285\)"}) {
    Decode(esc, &issues);
    EXPECT_EQ(issues, kControlChar) << esc;
  }
  Decode(R"(\X85\)", &issues, Charset::kLatin1);
  EXPECT_EQ(issues, kControlChar);
  Decode(R"(\X85\)", &issues, Charset::kWindows1252);  // an ellipsis there
  EXPECT_EQ(issues, kEscapeOk);
  // Tab and line breaks are text.
  EXPECT_EQ(Decode(R"(\X09\\X0A\\X0D\)", &issues), "\t\n\r");
  EXPECT_EQ(issues, kEscapeOk);
}

TEST(EscapeTest, Formatting) {
  EXPECT_EQ(Decode(R"(a\.br\b)"), "a\nb");
  EXPECT_EQ(Decode(R"(a\.sp\b)"), "a\nb");
  EXPECT_EQ(Decode(R"(a\.sp2\b)"), "a\n\nb");
  EXPECT_EQ(Decode(R"(a\.sp 3\b)"), "a\n\n\nb");
  EXPECT_EQ(Decode(R"(a\.sp999999999999\b)"), "a" + std::string(8, '\n') + "b");  // capped
  EXPECT_EQ(Decode(R"(a\.sk\b)"), "a b");
  EXPECT_EQ(Decode(R"(a\.sk3\b)"), "a   b");
  EXPECT_EQ(Decode(R"(a\.sk+99\b)"), "a" + std::string(16, ' ') + "b");
  EXPECT_EQ(Decode(R"(a\.ce\b)"), "a\nb");
  unsigned issues = 0;
  EXPECT_EQ(Decode(R"(a\.fi\\.nf\\.in+4\\.ti-2\\.in\b)", &issues), "ab");
  EXPECT_EQ(issues, kEscapeOk);
  EXPECT_EQ(Decode(R"(\H\bold\N\ text)", &issues), "bold text");
  EXPECT_EQ(issues, kEscapeOk);
  EXPECT_EQ(Decode(R"(a\.zz\b)", &issues), R"(a\.zz\b)");
  EXPECT_EQ(issues, kMalformedEscape);
  EXPECT_EQ(Decode(R"(a\.brx\b)", &issues), R"(a\.brx\b)");
  EXPECT_EQ(issues, kMalformedEscape);
  EXPECT_EQ(Decode(R"(a\.\b)", &issues), R"(a\.\b)");
  EXPECT_EQ(issues, kMalformedEscape);
}

TEST(EscapeTest, LocalAndIso2022) {
  unsigned issues = 0;
  EXPECT_EQ(Decode(R"(a\Zfoo\b)", &issues), R"(a\Zfoo\b)");
  EXPECT_EQ(issues, kEscapeOk);
  EXPECT_EQ(Decode(R"(a\C2842\b)", &issues), R"(a\C2842\b)");
  EXPECT_EQ(issues, kUnsupportedEscape);
  EXPECT_EQ(Decode(R"(a\M2442\b)", &issues), R"(a\M2442\b)");
  EXPECT_EQ(issues, kUnsupportedEscape);
}

TEST(EscapeTest, MalformedIsLiteral) {
  unsigned issues = 0;
  EXPECT_EQ(Decode(R"(a\Fb)", &issues), R"(a\Fb)");
  EXPECT_EQ(issues, kMalformedEscape);
  EXPECT_EQ(Decode(R"(\)", &issues), R"(\)");
  EXPECT_EQ(issues, kMalformedEscape);
  EXPECT_EQ(Decode(R"(a\\b)", &issues), R"(a\\b)");  // empty sequence
  EXPECT_EQ(issues, kMalformedEscape);
  EXPECT_EQ(Decode(R"(\Q\ok\F\)", &issues), R"(\Q\ok|)");
  EXPECT_EQ(issues, kMalformedEscape);
  EXPECT_EQ(Decode(R"(\FF\)", &issues), R"(\FF\)");
  EXPECT_EQ(issues, kMalformedEscape);
}

TEST(EscapeTest, CharsetConversionOfLiterals) {
  unsigned issues = 0;
  EXPECT_EQ(Decode("caf\xE9", &issues, Charset::kLatin1), "caf\xC3\xA9");
  EXPECT_EQ(issues, kEscapeOk);
  EXPECT_EQ(Decode("\xA4", &issues, Charset::kLatin9), "\xE2\x82\xAC");  // €
  EXPECT_EQ(Decode("caf\xC3\xA9", &issues, Charset::kUtf8), "caf\xC3\xA9");
  EXPECT_EQ(issues, kEscapeOk);
  EXPECT_EQ(Decode("caf\xE9", &issues, Charset::kUtf8), "caf\xEF\xBF\xBD");
  EXPECT_EQ(issues, kInvalidBytes);
}

TEST(EscapeTest, EncodeRoundTrip) {
  Delimiters d;
  EXPECT_EQ(escape_text("a|b^c&d~e\\f", d), R"(a\F\b\S\c\T\d\R\e\E\f)");
  EXPECT_EQ(escape_text("line1\nline2\r\x0B\x1C\x7F", d), R"(line1\X0A\line2\X0D\\X0B\\X1C\\X7F\)");
  EXPECT_EQ(escape_text("caf\xC3\xA9", d), "caf\xC3\xA9");
  Delimiters t;
  t.truncation = '#';
  EXPECT_EQ(escape_text("a#b", t), R"(a\P\b)");
  EXPECT_EQ(escape_text("a#b", d), "a#b");
  for (const std::string& s :
       {std::string("x|y^z~w\\v&u#t\n"), std::string("\0\x01 end", 6), std::string()}) {
    std::string out;
    decode_text(escape_text(s, t), t, Charset::kUtf8, &out);
    EXPECT_EQ(out, s);
  }
}

TEST(EscapeTest, ReadDelimiters) {
  Delimiters d;
  size_t end = 0;
  ASSERT_TRUE(read_delimiters("MSH|^~\\&|X", &d, &end));
  EXPECT_EQ(d.field, '|');
  EXPECT_EQ(d.component, '^');
  EXPECT_EQ(d.repetition, '~');
  EXPECT_EQ(d.escape, '\\');
  EXPECT_EQ(d.subcomponent, '&');
  EXPECT_EQ(d.truncation, 0);
  EXPECT_EQ(end, 8u);
  EXPECT_EQ(d.encoding_characters(), "^~\\&");
  ASSERT_TRUE(read_delimiters("MSH|^~\\&#|X", &d, &end));
  EXPECT_EQ(d.truncation, '#');
  EXPECT_EQ(end, 9u);
  EXPECT_EQ(d.encoding_characters(), "^~\\&#");
  ASSERT_TRUE(read_delimiters("MSH|^~\\&", &d, &end));
  ASSERT_TRUE(read_delimiters("MSH|^~\\&\rPID", &d, &end));
  ASSERT_TRUE(read_delimiters("BHS#!@$%#", &d, &end));
  EXPECT_EQ(d.field, '#');
  EXPECT_FALSE(read_delimiters("MSH|^~\\", &d, &end));
  EXPECT_FALSE(read_delimiters("MSH|^~\\&#!|", &d, &end));
  EXPECT_FALSE(read_delimiters("MSH|^~|&|", &d, &end));
  EXPECT_FALSE(read_delimiters("MSH ^~\\& ", &d, &end));
  EXPECT_FALSE(read_delimiters("MSH|a~\\&|", &d, &end));
  EXPECT_FALSE(read_delimiters(std::string_view("MSH|^~\\\0|", 9), &d, &end));
}

}  // namespace
}  // namespace gw::hl7
