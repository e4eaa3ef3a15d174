#include <gtest/gtest.h>

#include <string>

#include "fhir/json/json.h"

namespace gw::fhir {
namespace {

constexpr const char* kSecret = "SECRETPATIENTDATA";

JsonError ParseError(std::string_view in, const JsonParseOptions& o = {}) {
  JsonResult<JsonValue> r = parse_json(in, o);
  EXPECT_FALSE(r.ok());
  if (r.ok()) return JsonError{};
  // Whatever the problem, the error text never quotes the document.
  EXPECT_EQ(r.error().to_string().find(kSecret), std::string::npos) << r.error().to_string();
  return r.error();
}

TEST(FhirJsonParse, ValueModel) {
  JsonResult<JsonValue> r =
      parse_json(R"({"resourceType":"Observation","b":[true,false,null],"value":1.50,"e":1E2})");
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  const JsonValue& v = *r;
  ASSERT_TRUE(v.is_object());
  ASSERT_EQ(v.members().size(), 4u);
  EXPECT_EQ(v.members()[0].key, "resourceType");  // input order kept
  EXPECT_EQ(v.members()[3].key, "e");
  EXPECT_EQ(v.find("resourceType")->text(), "Observation");
  EXPECT_EQ(v.find("value")->text(), "1.50");
  EXPECT_TRUE(v.find("value")->is_number());
  EXPECT_EQ(v.find("e")->text(), "1E2");
  EXPECT_EQ(v.find("missing"), nullptr);
  const JsonValue& b = *v.find("b");
  ASSERT_EQ(b.items().size(), 3u);
  EXPECT_TRUE(b.items()[0].as_bool());
  EXPECT_FALSE(b.items()[1].as_bool());
  EXPECT_TRUE(b.items()[2].is_null());
}

TEST(FhirJsonParse, EscapesDecoded) {
  JsonResult<JsonValue> r = parse_json(R"("a\u0000b\ud83d\ude00\n")");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->text(), std::string("a\0b\xF0\x9F\x98\x80\n", 8));
}

TEST(FhirJsonParse, DuplicateKeys) {
  JsonError e = ParseError(R"({"name":[{"given":"SECRETPATIENTDATA","given":"x"}]})");
  EXPECT_EQ(e.code, JsonErrorCode::kDuplicateKey);
  EXPECT_EQ(e.path, "/name/0/given");
  // A key that is not an element name is not reported.
  e = ParseError(R"({"SECRETPATIENTDATA x":1,"SECRETPATIENTDATA x":2})");
  EXPECT_EQ(e.code, JsonErrorCode::kDuplicateKey);
  EXPECT_EQ(e.path, "/*");
}

TEST(FhirJsonParse, InvalidUtf8) {
  const char* bad[] = {
      "\"SECRETPATIENTDATA\xFF\"",              // invalid byte
      "\"SECRETPATIENTDATA\xC0\xAF\"",          // overlong '/'
      "\"SECRETPATIENTDATA\xED\xA0\x80\"",      // encoded surrogate
      "\"SECRETPATIENTDATA\xF4\x90\x80\x80\"",  // > U+10FFFF
      "\"SECRETPATIENTDATA\xE2\x82\"",          // truncated
      "{\"a\xFF\":1}",                          // in a key
  };
  for (const char* b : bad) {
    JsonError e = ParseError(b);
    EXPECT_EQ(e.code, JsonErrorCode::kInvalidEncoding) << e.to_string();
  }
  // Raw control characters inside strings are a grammar error (RFC 8259 §7).
  EXPECT_EQ(ParseError("\"SECRETPATIENTDATA\x01\"").code, JsonErrorCode::kSyntax);
}

TEST(FhirJsonParse, LoneSurrogateEscapes) {
  const char* bad[] = {
      R"(["SECRETPATIENTDATA\ud800"])",        // high alone
      R"(["SECRETPATIENTDATA\ud800x"])",       // high then text
      R"(["SECRETPATIENTDATA\udc00"])",        // low alone
      R"(["SECRETPATIENTDATA\ud800\u0041"])",  // high then non-low
      R"(["\udfff SECRETPATIENTDATA"])",
  };
  for (const char* b : bad) {
    JsonError e = ParseError(b);
    EXPECT_EQ(e.code, JsonErrorCode::kInvalidEncoding) << b << " " << e.to_string();
    EXPECT_EQ(e.path, "/0") << b;
  }
}

TEST(FhirJsonParse, SyntaxErrorsCarryOffsetAndPath) {
  JsonError e = ParseError(R"({"name":[{"family":"SECRETPATIENTDATA",}]})");
  EXPECT_EQ(e.code, JsonErrorCode::kSyntax);
  EXPECT_EQ(e.offset, 39u);
  EXPECT_EQ(e.path, "/name/0");
  const char* bad[] = {"",
                       "   ",
                       "{",
                       "[1,]",
                       "{\"a\"}",
                       "tru",
                       "01",
                       "1.",
                       "-",
                       "+1",
                       "NaN",
                       "Infinity",
                       "'SECRETPATIENTDATA'",
                       "[\"SECRETPATIENTDATA\" 1]",
                       "{\"a\":1 \"b\":2}",
                       "\"\\x\""};
  for (const char* b : bad) {
    JsonError err = ParseError(b);
    EXPECT_TRUE(err.code == JsonErrorCode::kSyntax || err.code == JsonErrorCode::kTrailingData)
        << b << " " << err.to_string();
  }
}

TEST(FhirJsonParse, TrailingData) {
  JsonError e = ParseError("{\"a\":1} SECRETPATIENTDATA");
  EXPECT_EQ(e.code, JsonErrorCode::kTrailingData);
  EXPECT_EQ(e.offset, 8u);
  EXPECT_EQ(ParseError("1 2").code, JsonErrorCode::kTrailingData);
  EXPECT_EQ(ParseError(std::string_view("{}\0", 3)).code, JsonErrorCode::kTrailingData);
  EXPECT_TRUE(parse_json(" \t\r\n{} \t\r\n").ok());
}

TEST(FhirJsonParse, ByteOrderMark) {
  std::string in = "\xEF\xBB\xBF{\"a\":1}";
  EXPECT_EQ(ParseError(in).code, JsonErrorCode::kByteOrderMark);
  JsonParseOptions o;
  o.skip_byte_order_mark = true;
  EXPECT_TRUE(parse_json(in, o).ok());
  // Offsets still count the skipped BOM.
  EXPECT_EQ(ParseError("\xEF\xBB\xBF[,]", o).offset, 4u);
}

TEST(FhirJsonParse, NumberOutOfRange) {
  EXPECT_EQ(ParseError("[1e400]").code, JsonErrorCode::kNumberOutOfRange);
}

TEST(FhirJsonParse, InputLimit) {
  JsonParseOptions o;
  o.max_input_bytes = 10;
  EXPECT_TRUE(parse_json("[1,2,3,45]", o).ok());
  EXPECT_EQ(ParseError("[1,2,3,456]", o).code, JsonErrorCode::kInputTooLarge);
}

TEST(FhirJsonParse, DepthLimit) {
  JsonParseOptions o;
  o.max_depth = 3;
  EXPECT_TRUE(parse_json(R"([{"a":[]}])", o).ok());
  JsonError e = ParseError(R"([{"a":[{}]}])", o);
  EXPECT_EQ(e.code, JsonErrorCode::kTooDeep);
  EXPECT_EQ(e.path, "/0/a/0");
  o.max_depth = 0;
  EXPECT_TRUE(parse_json("1", o).ok());
  EXPECT_EQ(ParseError("[]", o).code, JsonErrorCode::kTooDeep);
}

TEST(FhirJsonParse, DeepNestingNoStackOverflow) {
  std::string deep(100'000, '[');
  EXPECT_EQ(ParseError(deep).code, JsonErrorCode::kTooDeep);
  std::string objects;
  for (int i = 0; i < 100'000; ++i) objects += "{\"a\":";
  EXPECT_EQ(ParseError(objects).code, JsonErrorCode::kTooDeep);
  // Even a configured depth above the ceiling is clamped.
  JsonParseOptions o;
  o.max_depth = 1'000'000;
  EXPECT_EQ(ParseError(deep, o).code, JsonErrorCode::kTooDeep);
}

TEST(FhirJsonParse, MemberLimit) {
  JsonParseOptions o;
  o.max_object_members = 2;
  EXPECT_TRUE(parse_json(R"({"a":1,"b":2})", o).ok());
  JsonError e = ParseError(R"({"a":1,"b":2,"c":3})", o);
  EXPECT_EQ(e.code, JsonErrorCode::kTooManyMembers);
  EXPECT_EQ(e.path, "/c");
}

TEST(FhirJsonParse, ArrayLimit) {
  JsonParseOptions o;
  o.max_array_items = 2;
  EXPECT_TRUE(parse_json("[1,[2,3]]", o).ok());
  JsonError e = ParseError("[1,2,3]", o);
  EXPECT_EQ(e.code, JsonErrorCode::kArrayTooLong);
  EXPECT_EQ(e.path, "/2");
}

TEST(FhirJsonParse, StringLimit) {
  JsonParseOptions o;
  o.max_string_bytes = 4;
  EXPECT_TRUE(parse_json(R"({"abcd":"abcd","n":1234})", o).ok());
  EXPECT_EQ(ParseError(R"(["SECRETPATIENTDATA"])", o).code, JsonErrorCode::kStringTooLong);
  EXPECT_EQ(ParseError(R"({"abcde":1})", o).code, JsonErrorCode::kStringTooLong);
  EXPECT_EQ(ParseError(R"([12345])", o).code, JsonErrorCode::kStringTooLong);
  // The limit is on decoded bytes: 4 escapes decode to 4 bytes.
  EXPECT_TRUE(parse_json(R"("\u0041\u0042\u0043\u0044")", o).ok());
}

TEST(FhirJsonParse, ValueLimit) {
  JsonParseOptions o;
  o.max_values = 4;  // the array and three items
  EXPECT_TRUE(parse_json("[1,2,3]", o).ok());
  EXPECT_EQ(ParseError("[1,2,3,4]", o).code, JsonErrorCode::kTooManyValues);
  EXPECT_EQ(ParseError(R"({"a":{"b":{"c":{"d":1}}}})", o).code, JsonErrorCode::kTooManyValues);
  EXPECT_TRUE(is_limit_error(JsonErrorCode::kTooManyValues));
  EXPECT_FALSE(is_limit_error(JsonErrorCode::kSyntax));
}

TEST(FhirJsonParse, ErrorsNeverContainContent) {
  // Content in every malformed position we can think of; ParseError asserts
  // the secret is absent from the message and path. Keys shaped like FHIR
  // element names are reported by design (see JsonError::path), so content in
  // keys is tested with keys that are not ("SECRETPATIENTDATA 1").
  const char* docs[] = {
      R"({"SECRETPATIENTDATA 1":)",
      R"({"a":"SECRETPATIENTDATA)",
      R"({"SECRETPATIENTDATA 1":1,"SECRETPATIENTDATA 1":1})",
      R"({"SECRETPATIENTDATA-1":[1,}])",
      R"({"SECRETPATIENTDATA.1":SECRETPATIENTDATA})",
      R"({"a":[{"b":1.5.SECRETPATIENTDATA}]})",
      R"({"a":"SECRETPATIENTDATA\ud800"})",
      "{\"a\":\"SECRETPATIENTDATA\xFF\"}",
      R"(["SECRETPATIENTDATA\q"])",
      R"(["SECRETPATIENTDATA\u12"])",
      "[1] SECRETPATIENTDATA",
      "SECRETPATIENTDATA",
  };
  for (const char* d : docs) ParseError(d);
}

}  // namespace
}  // namespace gw::fhir
