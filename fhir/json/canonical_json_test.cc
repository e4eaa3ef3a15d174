#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <charconv>
#include <cstdint>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include "fhir/json/canonical.h"

namespace gw::fhir {
namespace {

std::string Canon(std::string_view json, NumberMode mode = NumberMode::kPreserveLexical) {
  JsonResult<std::string> r = canonicalize_json(json, {}, mode);
  if (!r.ok()) return "ERROR: " + r.error().to_string();
  return *r;
}

TEST(CanonicalJson, Rfc8785SortingExample) {
  // RFC 8785 §3.2.3: keys sorted as UTF-16 code units. U+1F600 (surrogates
  // D83D DE00) sorts before U+FB33 although its UTF-8 bytes sort after it.
  std::string in =
      R"({"\u20ac":"Euro Sign","\r":"Carriage Return","\ufb33":"Hebrew Letter Dalet With Dagesh","1":"One","\ud83d\ude00":"Emoji: Grinning Face","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis"})";
  std::string want =
      "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\xC2\x80\":\"Control\","
      "\"\xC3\xB6\":\"Latin Small Letter O With Diaeresis\",\"\xE2\x82\xAC\":\"Euro Sign\","
      "\"\xF0\x9F\x98\x80\":\"Emoji: Grinning Face\","
      "\"\xEF\xAC\xB3\":\"Hebrew Letter Dalet With Dagesh\"}";
  EXPECT_EQ(Canon(in), want);
}

TEST(CanonicalJson, NestedMembersSortedArraysKept) {
  EXPECT_EQ(Canon(R"({"b":[3,1,{"z":1,"a":2}],"a":{"y":null,"x":true}})"),
            R"({"a":{"x":true,"y":null},"b":[3,1,{"a":2,"z":1}]})");
  EXPECT_EQ(Canon("[]"), "[]");
  EXPECT_EQ(Canon("{}"), "{}");
  EXPECT_EQ(Canon(" \"x\" "), "\"x\"");
  EXPECT_EQ(Canon("false"), "false");
}

TEST(CanonicalJson, StringEscaping) {
  EXPECT_EQ(Canon(R"("\u0000\u0001\b\t\n\u000b\f\r\u001f \"\\\/")"),
            R"("\u0000\u0001\b\t\n\u000b\f\r\u001f \"\\/")");
  // Escaped printable and non-ASCII characters come out raw, including
  // U+2028/U+2029 and U+007F.
  EXPECT_EQ(Canon(R"("\u0041\u00e9\u2028\u2029\u007f\ud83d\ude00")"),
            "\"A\xC3\xA9\xE2\x80\xA8\xE2\x80\xA9\x7F\xF0\x9F\x98\x80\"");
  // Uppercase hex escapes in input are normalized to lowercase output.
  EXPECT_EQ(Canon(R"("\u001F\u001A")"), R"("\u001f\u001a")");
}

// The canonical writer copies strings by words of eight and four bytes and
// re-reads the last bytes of a string; every length, with a byte that needs
// an escape at every position (or none), is written as the byte-by-byte
// writer writes it, as a value and as a key.
TEST(CanonicalJson, StringsOfEveryLengthAndEscapePosition) {
  for (size_t n = 0; n <= 24; ++n) {
    for (size_t at = 0; at <= n; ++at) {
      for (char special : {'"', '\\', '\n', '\x01'}) {
        std::string text;
        for (size_t i = 0; i < n; ++i) text += static_cast<char>('a' + i % 26);
        if (at < n) text[at] = special;
        std::string expected;
        write_json_string(text, expected);
        JsonValue o = JsonValue::make_object();
        o.add(text, JsonValue::make_string(text));
        EXPECT_EQ(*canonicalize(o), "{" + expected + ":" + expected + "}")
            << "length " << n << ", special at " << at;
      }
    }
  }
}

TEST(CanonicalJson, UnicodeKeptWithoutNormalization) {
  // "e" + COMBINING ACUTE (NFD) and precomposed U+00E9 (NFC) stay distinct.
  std::string nfd = "\"e\xCC\x81\"";
  std::string nfc = "\"\xC3\xA9\"";
  EXPECT_EQ(Canon(nfd), nfd);
  EXPECT_EQ(Canon(nfc), nfc);
  std::string emoji = "\"\xF0\x9F\x98\x80\xF0\x9D\x84\x9E\"";  // non-BMP
  EXPECT_EQ(Canon(emoji), emoji);
}

TEST(CanonicalJson, PreserveLexicalNumbersByDefault) {
  EXPECT_EQ(Canon("[1.50, 1E2, 1e2, -0, 0.000001, 1e-7, 100, 1.0]"),
            "[1.50,1E2,1e2,-0,0.000001,1e-7,100,1.0]");
  EXPECT_EQ(Canon(R"({"valueQuantity":{"value":72.50}})"), R"({"valueQuantity":{"value":72.50}})");
  // Arbitrary precision survives (a double would lose digits).
  EXPECT_EQ(Canon("3.14159265358979323846264338327950288"),
            "3.14159265358979323846264338327950288");
}

TEST(CanonicalJson, WhitespaceAndOrderIndependent) {
  const char* a = R"({"resourceType":"Observation","status":"final",
    "valueQuantity":{"value":72.50,"unit":"kg"},"code":{"text":"weight"}})";
  const char* b =
      "{\n  \"code\" : { \"text\" : \"weight\" },\r\n\t\"valueQuantity\": {\"unit\":\"kg\",  "
      "\"value\" : 72.50 },\n \"status\":\"final\", \"resourceType\" :\"Observation\"\n}\n";
  EXPECT_EQ(Canon(a), Canon(b));
  EXPECT_EQ(
      Canon(a),
      R"({"code":{"text":"weight"},"resourceType":"Observation","status":"final","valueQuantity":{"unit":"kg","value":72.50}})");
}

std::string FromHex(uint64_t bits) {
  double d = std::bit_cast<double>(bits);
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof(buf), d);  // shortest round trip
  return std::string(buf, r.ptr);
}

TEST(CanonicalJson, Rfc8785AppendixBNumbers) {
  // RFC 8785 Appendix B (IEEE 754 bits -> expected JSON). The input text is the
  // shortest round-trip spelling of the double, so parsing recovers its bits.
  struct Vec {
    uint64_t bits;
    const char* want;
  } vectors[] = {
      {0x0000000000000000, "0"},
      {0x8000000000000000, "0"},
      {0x0000000000000001, "5e-324"},
      {0x8000000000000001, "-5e-324"},
      {0x7fefffffffffffff, "1.7976931348623157e+308"},
      {0xffefffffffffffff, "-1.7976931348623157e+308"},
      {0x4340000000000000, "9007199254740992"},
      {0xc340000000000000, "-9007199254740992"},
      {0x4430000000000000, "295147905179352830000"},
      {0x44b52d02c7e14af5, "9.999999999999997e+22"},
      {0x44b52d02c7e14af6, "1e+23"},
      {0x44b52d02c7e14af7, "1.0000000000000001e+23"},
      {0x444b1ae4d6e2ef4e, "999999999999999700000"},
      {0x444b1ae4d6e2ef4f, "999999999999999900000"},
      {0x444b1ae4d6e2ef50, "1e+21"},
      {0x3eb0c6f7a0b5ed8c, "9.999999999999997e-7"},
      {0x3eb0c6f7a0b5ed8d, "0.000001"},
      {0x41b3de4355555553, "333333333.3333332"},
      {0x41b3de4355555554, "333333333.33333325"},
      {0x41b3de4355555555, "333333333.3333333"},
      {0x41b3de4355555556, "333333333.3333334"},
      {0x41b3de4355555557, "333333333.33333343"},
      {0xbecbf647612f3696, "-0.0000033333333333333333"},
      {0x43143ff3c1cb0959, "1424953923781206.2"},
  };
  for (const Vec& v : vectors) {
    std::string in = FromHex(v.bits);
    JsonResult<std::string> r = rfc8785_number(in);
    ASSERT_TRUE(r.ok()) << in;
    EXPECT_EQ(*r, v.want) << std::hex << v.bits << " from " << in;
  }
}

TEST(CanonicalJson, Rfc8785NumberSpellings) {
  struct {
    const char* in;
    const char* want;
  } cases[] = {
      {"1e+30", "1e+30"},
      {"4.50", "4.5"},
      {"2e-3", "0.002"},
      {"0.000001", "0.000001"},
      {"1e-7", "1e-7"},
      {"-0", "0"},
      {"-0.0e5", "0"},
      {"1e21", "1e+21"},
      {"1e20", "100000000000000000000"},
      {"1E2", "100"},
      {"100", "100"},
      {"0.1", "0.1"},
      {"123e-2", "1.23"},
      {"-1.5e-10", "-1.5e-10"},
      {"1e-400", "0"},
      {"9007199254740993", "9007199254740992"},
      {"1.0", "1"},
  };
  for (const auto& c : cases) {
    JsonResult<std::string> r = rfc8785_number(c.in);
    ASSERT_TRUE(r.ok()) << c.in;
    EXPECT_EQ(*r, c.want) << c.in;
  }
  EXPECT_EQ(Canon("[4.50,1e21,-0]", NumberMode::kRfc8785), "[4.5,1e+21,0]");
}

TEST(CanonicalJson, Rfc8785RejectsInfinity) {
  // 1.8e308 passes the parser (within its exponent check) but is not finite.
  JsonResult<std::string> r = canonicalize_json(R"({"a":[1,1.8e308]})", {}, NumberMode::kRfc8785);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, JsonErrorCode::kNumberOutOfRange);
  EXPECT_EQ(r.error().path, "/a/1");
  // The lexical mode keeps it.
  EXPECT_EQ(Canon(R"({"a":[1,1.8e308]})"), R"({"a":[1,1.8e308]})");
}

TEST(CanonicalJson, Idempotent) {
  const char* docs[] = {
      R"({"b":"\u00e9\n","a":[1.50,{"\ud83d\ude00":1,"\uffff":2}]})",
      R"([null,true,false,"",{},[]])",
  };
  for (const char* d : docs) {
    std::string once = Canon(d);
    EXPECT_EQ(Canon(once), once);
    std::string strict = Canon(d, NumberMode::kRfc8785);
    EXPECT_EQ(Canon(strict, NumberMode::kRfc8785), strict);
  }
}

TEST(CanonicalJson, DeepValueIsIterative) {
  JsonParseOptions o;
  o.max_depth = kMaxDepthCeiling;
  std::string in(kMaxDepthCeiling, '[');
  in.append(kMaxDepthCeiling, ']');
  JsonResult<std::string> r = canonicalize_json(in, o);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(*r, in);
}

// Reference order for the test below: UTF-16 code units, computed the slow way.
std::u16string Utf16(uint32_t cp) {
  if (cp < 0x10000) return std::u16string(1, static_cast<char16_t>(cp));
  cp -= 0x10000;
  return {static_cast<char16_t>(0xD800 + (cp >> 10)), static_cast<char16_t>(0xDC00 + (cp & 0x3FF))};
}
std::string Utf8(uint32_t cp) {
  std::string s;
  if (cp < 0x80) {
    s += static_cast<char>(cp);
  } else if (cp < 0x800) {
    s += static_cast<char>(0xC0 | (cp >> 6));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    s += static_cast<char>(0xE0 | (cp >> 12));
    s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    s += static_cast<char>(0xF0 | (cp >> 18));
    s += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  }
  return s;
}

TEST(CanonicalJson, ManyKeysSortedAsUtf16InBothSortPaths) {
  // Keys mixing ASCII, BMP below and above the surrogate range, and astral
  // characters, with shared prefixes; 6 keys (small-object path) and 60
  // (large-object path) must both come out in UTF-16 code unit order.
  const uint32_t alphabet[] = {'a',    'b',    0xE9,   0x20AC,  0xD7FF,
                               0xE000, 0xFB33, 0xFFFF, 0x10000, 0x1F600};
  for (size_t count : {size_t{6}, size_t{60}}) {
    std::vector<std::pair<std::u16string, std::string>> keys;
    uint32_t seed = 12345;
    while (keys.size() < count) {
      std::u16string k16;
      std::string k8;
      int len = 1 + static_cast<int>(seed % 3);
      for (int i = 0; i < len; ++i) {
        seed = seed * 1103515245u + 12345u;
        uint32_t cp = alphabet[(seed >> 16) % std::size(alphabet)];
        k16 += Utf16(cp);
        k8 += Utf8(cp);
      }
      bool dup = false;
      for (const auto& k : keys) dup = dup || k.second == k8;
      if (!dup) keys.emplace_back(k16, k8);
    }
    JsonValue obj = JsonValue::make_object();
    for (size_t i = 0; i < keys.size(); ++i)
      obj.add(keys[i].second, JsonValue::make_number(std::to_string(i)));
    std::vector<size_t> order(keys.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(),
              [&](size_t a, size_t b) { return keys[a].first < keys[b].first; });
    std::string want = "{";
    for (size_t i : order) {
      if (want.size() > 1) want += ',';
      want += '"' + keys[i].second + "\":" + std::to_string(i);
    }
    want += '}';
    JsonResult<std::string> got = canonicalize(obj);
    ASSERT_TRUE(got.ok());
    EXPECT_EQ(*got, want) << count << " keys";
  }
}

TEST(CanonicalJson, LongStringsWithEscapesAtEveryOffset) {
  // The writer skips eight bytes at a time; an escape at any offset of a word
  // must still be found.
  for (size_t at = 0; at < 20; ++at) {
    for (char special : {'"', '\\', '\n', '\x01', '\x1f'}) {
      std::string text(20, 'x');
      text[at] = special;
      std::string out;
      write_json_string(text, out);
      std::string want = "\"" + std::string(at, 'x');
      switch (special) {
        case '"':
          want += "\\\"";
          break;
        case '\\':
          want += "\\\\";
          break;
        case '\n':
          want += "\\n";
          break;
        case '\x01':
          want += "\\u0001";
          break;
        default:
          want += "\\u001f";
          break;
      }
      want += std::string(19 - at, 'x') + "\"";
      EXPECT_EQ(out, want) << "offset " << at;
    }
  }
  // Bytes 0x7f and above (UTF-8) pass through unescaped.
  std::string out;
  write_json_string("\x7f\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80 !#~", out);
  EXPECT_EQ(out, "\"\x7f\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80 !#~\"");
}

// Replaces "urn:uuid:<id>" references to known ids by "Type/<id>".
class LocalReferences : public ReferenceRewriter {
 public:
  bool rewrite(std::string_view reference, std::string& replacement) const override {
    ++calls;
    if (reference == "urn:uuid:1") {
      replacement = "Patient/1";
      return true;
    }
    if (reference == "quote") {
      replacement = "a \"quoted\" one";
      return true;
    }
    return false;
  }
  mutable int calls = 0;
};

TEST(CanonicalJson, ReferenceRewriterReplacesReferenceValuesOnly) {
  auto v =
      parse_json(R"({"subject":{"reference":"urn:uuid:1"},"note":[{"reference":"urn:uuid:2"}],)"
                 R"("other":{"ref":"urn:uuid:1","reference":7},"x":{"reference":"quote"},)"
                 R"("reference":"urn:uuid:1"})");
  ASSERT_TRUE(v.ok());
  LocalReferences rewriter;
  auto out = canonicalize(*v, NumberMode::kPreserveLexical, &rewriter);
  ASSERT_TRUE(out.ok());
  // Only string values of members named "reference", at any depth, and only
  // where the rewriter answers; its text is escaped like any string.
  EXPECT_EQ(*out,
            R"({"note":[{"reference":"urn:uuid:2"}],"other":{"ref":"urn:uuid:1","reference":7},)"
            R"("reference":"Patient/1","subject":{"reference":"Patient/1"},)"
            R"("x":{"reference":"a \"quoted\" one"}})");
  EXPECT_EQ(rewriter.calls, 4);
  // Without a rewriter the same call is plain canonicalization.
  EXPECT_EQ(*canonicalize(*v, NumberMode::kPreserveLexical, nullptr), *canonicalize(*v));
}

// The buffer grows past its first size with the text intact, escapes included.
TEST(CanonicalJson, LongOutputAndEscapesAcrossBufferGrowth) {
  JsonValue o = JsonValue::make_object();
  std::string expected = "{";
  for (int i = 0; i < 200; ++i) {
    std::string key = "k" + std::to_string(1000 + i);
    std::string value = "value " + std::to_string(i) + (i % 7 == 0 ? "\t\"\\\x01" : "");
    o.add(key, JsonValue::make_string(value));
    if (i > 0) expected += ',';
    expected += '"' + key + "\":";
    std::string escaped;
    write_json_string(value, escaped);
    expected += escaped;
  }
  expected += '}';
  auto out = canonicalize(o);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(*out, expected);
  EXPECT_NE(out->find(R"(\t\"\\\u0001")"), std::string::npos);
}

}  // namespace
}  // namespace gw::fhir
