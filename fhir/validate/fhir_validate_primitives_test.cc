// Lexical rules of every FHIR R4 primitive type, exercised through
// Extension.value[x] (so the path and JSON type handling are covered too).
#include <gtest/gtest.h>

#include <string>

#include "fhir/validate/primitives.h"
#include "fhir/validate/validate_test_support.h"

namespace gw::fhir {
namespace {

struct Case {
  const char* key;          // "valueDate"
  const char* json_value;   // JSON text of the value
  const char* code;         // expected issue code, or nullptr if valid
  const char* suffix = "";  // path below the value where the issue is
};

ValidationResult validate_extension_value(const Case& c) {
  std::string doc =
      std::string(
          R"({"resourceType":"Basic","code":{"text":"t"},"extension":[{"url":"http://e.org/x",")") +
      c.key + "\":" + c.json_value + "}]}";
  return testing::validate_text(doc);
}

class PrimitiveCase : public ::testing::TestWithParam<Case> {};

TEST_P(PrimitiveCase, Validates) {
  const Case& c = GetParam();
  ValidationResult r = validate_extension_value(c);
  if (c.code == nullptr) {
    EXPECT_TRUE(r.ok()) << c.key << " " << c.json_value << "\n" << testing::describe(r);
  } else {
    EXPECT_TRUE(
        testing::HasOnlyError(r, c.code, std::string("Basic.extension[0].") + c.key + c.suffix))
        << c.key << " " << c.json_value;
  }
}

INSTANTIATE_TEST_SUITE_P(
    R4, PrimitiveCase,
    ::testing::Values(
        // boolean
        Case{"valueBoolean", "true", nullptr}, Case{"valueBoolean", "\"true\"", "structure"},
        Case{"valueBoolean", "1", "structure"},
        // integer family
        Case{"valueInteger", "-2147483648", nullptr}, Case{"valueInteger", "2147483647", nullptr},
        Case{"valueInteger", "2147483648", "value"}, Case{"valueInteger", "1.0", "value"},
        Case{"valueInteger", "1e3", "value"}, Case{"valueInteger", "\"1\"", "structure"},
        Case{"valueUnsignedInt", "0", nullptr}, Case{"valueUnsignedInt", "-1", "value"},
        Case{"valuePositiveInt", "1", nullptr}, Case{"valuePositiveInt", "0", "value"},
        // decimal keeps any JSON number
        Case{"valueDecimal", "1.50", nullptr}, Case{"valueDecimal", "-0.0001e-5", nullptr},
        Case{"valueDecimal", "\"1.5\"", "structure"},
        // string, markdown
        Case{"valueString", "\"x\"", nullptr}, Case{"valueString", "\"\"", "invariant"},
        Case{"valueString", "\" \"", nullptr}, Case{"valueMarkdown", "\"# t\\n* a\"", nullptr},
        Case{"valueString", "{\"a\":1}", "structure"},
        // code, id
        Case{"valueCode", "\"a b\"", nullptr}, Case{"valueCode", "\"a  b\"", "value"},
        Case{"valueCode", "\" a\"", "value"}, Case{"valueCode", "\"a\\n\"", "value"},
        Case{"valueId", "\"a-Z.9\"", nullptr}, Case{"valueId", "\"a_b\"", "value"},
        Case{"valueId", "\"0123456789012345678901234567890123456789012345678901234567890123\"",
             nullptr},
        Case{"valueId", "\"01234567890123456789012345678901234567890123456789012345678901234\"",
             "value"},
        // uri family
        Case{"valueUri", "\"urn:x:y\"", nullptr}, Case{"valueUri", "\"http://a b\"", "value"},
        Case{"valueUrl", "\"https://example.org/x?y=1\"", nullptr},
        Case{"valueCanonical", "\"http://hl7.org/fhir/ValueSet/x|4.0.1\"", nullptr},
        Case{"valueCanonical", "\"a\\tb\"", "value"},
        Case{"valueOid", "\"urn:oid:2.16.840.1.113883\"", nullptr},
        Case{"valueOid", "\"urn:oid:3.1\"", "value"}, Case{"valueOid", "\"2.16.840\"", "value"},
        Case{"valueOid", "\"urn:oid:1.01\"", "value"},
        Case{"valueUuid", "\"urn:uuid:c757873d-ec9a-4326-a141-556f43239520\"", nullptr},
        Case{"valueUuid", "\"urn:uuid:C757873D-EC9A-4326-A141-556F43239520\"", "value"},
        Case{"valueUuid", "\"c757873d-ec9a-4326-a141-556f43239520\"", "value"},
        // base64Binary
        Case{"valueBase64Binary", "\"SGVsbG8=\"", nullptr},
        Case{"valueBase64Binary", "\"SGVs bG8=\"", nullptr},
        Case{"valueBase64Binary", "\"SGVsbG8\"", "value"},
        Case{"valueBase64Binary", "\"SG=sbG8=\"", "value"},
        Case{"valueBase64Binary", "\"SGVsbG8*\"", "value"},
        // date
        Case{"valueDate", "\"2024\"", nullptr}, Case{"valueDate", "\"2024-02\"", nullptr},
        Case{"valueDate", "\"2024-02-29\"", nullptr}, Case{"valueDate", "\"2023-02-29\"", "value"},
        Case{"valueDate", "\"1900-02-29\"", "value"}, Case{"valueDate", "\"2000-02-29\"", nullptr},
        Case{"valueDate", "\"2024-04-31\"", "value"}, Case{"valueDate", "\"2024-13\"", "value"},
        Case{"valueDate", "\"0000\"", "value"}, Case{"valueDate", "\"24-01-01\"", "value"},
        Case{"valueDate", "\"2024-01-01T00:00:00Z\"", "value"},
        Case{"valueDate", "\"2024-1-1\"", "value"},
        // dateTime
        Case{"valueDateTime", "\"2024\"", nullptr}, Case{"valueDateTime", "\"2024-03\"", nullptr},
        Case{"valueDateTime", "\"2024-03-01T10:11:12Z\"", nullptr},
        Case{"valueDateTime", "\"2024-03-01T10:11:12.123456+14:00\"", nullptr},
        Case{"valueDateTime", "\"2024-03-01T23:59:60-13:59\"", nullptr},
        Case{"valueDateTime", "\"2024-03-01T10:11:12\"", "value"},
        Case{"valueDateTime", "\"2024-03-01T10:11Z\"", "value"},
        Case{"valueDateTime", "\"2024-03-01T24:00:00Z\"", "value"},
        Case{"valueDateTime", "\"2024-03-01T10:11:12+14:30\"", "value"},
        Case{"valueDateTime", "\"2024-03-01T10:11:12.Z\"", "value"},
        Case{"valueDateTime", "\"2024-03T10:11:12Z\"", "value"},
        Case{"valueDateTime", "\"2024-03-01 10:11:12Z\"", "value"},
        // instant
        Case{"valueInstant", "\"2024-03-01T10:11:12.5Z\"", nullptr},
        Case{"valueInstant", "\"2024-03-01\"", "value"},
        Case{"valueInstant", "\"2024-03-01T10:11:12\"", "value"},
        // time
        Case{"valueTime", "\"23:59:59\"", nullptr}, Case{"valueTime", "\"23:59:59.25\"", nullptr},
        Case{"valueTime", "\"23:59\"", "value"}, Case{"valueTime", "\"23:59:59Z\"", "value"},
        Case{"valueTime", "\"25:00:00\"", "value"},
        // complex choice variants in an extension
        Case{"valueQuantity", "{\"value\":1,\"unit\":\"mg\"}", nullptr},
        Case{"valueQuantity", "{\"value\":\"1\"}", "structure", ".value"},
        Case{"valueReference", "{\"reference\":\"Patient/1\"}", nullptr},
        Case{"valueHumanName", "{\"family\":\"x\"}", nullptr},
        Case{"valueHumanname", "{\"family\":\"x\"}", "structure"}),
    [](const auto& info) { return std::to_string(info.index) + "_" + info.param.key; });

TEST(PrimitiveChecks, StringLimitsAndControls) {
  using defs::PrimitiveKind;
  using validation::check_primitive;
  EXPECT_EQ(check_primitive(PrimitiveKind::kString, std::string(validation::kMaxStringBytes, 'a')),
            nullptr);
  EXPECT_NE(
      check_primitive(PrimitiveKind::kString, std::string(validation::kMaxStringBytes + 1, 'a')),
      nullptr);
}

// Control characters are refused in every string-typed primitive, with the
// element's path and a message that does not repeat the value.
TEST(PrimitiveChecks, ControlCharactersAreErrors) {
  // JSON escapes and raw UTF-8 of C0, DEL and C1 characters.
  for (const char* c : {"\\u0000", "\\u0001", "\\u0007", "\\u000b", "\\u000c", "\\u001f", "\\u007f",
                        "\x7f", "\\u0080", "\\u009f", "\xc2\x85"}) {
    for (const char* key :
         {"valueString", "valueMarkdown", "valueCode", "valueUri", "valueUrl", "valueCanonical",
          "valueId", "valueOid", "valueUuid", "valueBase64Binary"}) {
      std::string value = std::string("\"SECRET") + c + "VALUE\"";
      ValidationResult r = validate_extension_value(Case{key, value.c_str(), "value"});
      EXPECT_TRUE(testing::HasOnlyError(r, "value", std::string("Basic.extension[0].") + key))
          << key << " " << value << "\n"
          << testing::describe(r);
      for (const ValidationIssue& i : r.issues)
        EXPECT_EQ(i.message.find("SECRET"), std::string::npos) << i.message;
    }
  }
  // A NUL inside a name: the path names the element, the value is not echoed,
  // and the NUL did not truncate the string before the check.
  auto r = testing::validate_text(
      R"({"resourceType":"Patient","name":[{"family":"A","given":["B","C\u0000D"]}]})");
  EXPECT_TRUE(testing::HasOnlyError(r, "value", "Patient.name[0].given[1]"))
      << testing::describe(r);
  r = testing::validate_text(R"({"resourceType":"Patient","name":[{"text":"a\u0001b"}]})");
  EXPECT_TRUE(testing::HasOnlyError(r, "value", "Patient.name[0].text")) << testing::describe(r);
  // Narrative too.
  r = testing::validate_text(
      R"({"resourceType":"Basic","code":{"text":"t"},"text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">a\u0000</div>"}})");
  EXPECT_TRUE(testing::HasOnlyError(r, "value", "Basic.text.div")) << testing::describe(r);
}

TEST(PrimitiveChecks, TabCrLfAndOtherCharactersAreText) {
  for (const char* text : {"a\\tb", "line 1\\nline 2", "a\\r\\nb", "\\u00a0\\u00e9\\u0100",
                           "\xc3\xa9\xc2\xa0\xe2\x80\xa8", "\\ud83d\\ude00", "\\u2028"}) {
    std::string value = std::string("\"") + text + "\"";
    EXPECT_TRUE(validate_extension_value(Case{"valueString", value.c_str(), nullptr}).ok()) << text;
    EXPECT_TRUE(validate_extension_value(Case{"valueMarkdown", value.c_str(), nullptr}).ok())
        << text;
  }
}

TEST(PrimitiveChecks, FindControlCharacter) {
  using validation::find_control_character;
  constexpr size_t npos = std::string_view::npos;
  EXPECT_EQ(find_control_character(""), npos);
  EXPECT_EQ(find_control_character("plain text that is longer than a word\t\r\n"), npos);
  // Every position, so that both the word-at-a-time path and the tail see it.
  for (unsigned char c : {0x00, 0x01, 0x08, 0x0b, 0x0c, 0x1b, 0x1f, 0x7f}) {
    for (size_t at = 0; at < 20; ++at) {
      std::string s(20, 'x');
      s[at] = static_cast<char>(c);
      EXPECT_EQ(find_control_character(s), at) << int(c) << " at " << at;
    }
  }
  for (size_t at = 0; at < 19; ++at) {
    std::string s(20, 'x');
    s[at] = '\xc2';
    s[at + 1] = '\x9f';  // U+009F, also across a word boundary
    EXPECT_EQ(find_control_character(s), at) << at;
    s[at + 1] = '\xa0';  // U+00A0 is text
    EXPECT_EQ(find_control_character(s), npos) << at;
  }
}

TEST(PrimitiveChecks, Narrative) {
  EXPECT_TRUE(
      testing::validate_text(
          R"({"resourceType":"Basic","code":{"text":"t"},"text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\"><p>x</p></div>"}})")
          .ok());
  auto r = testing::validate_text(
      R"({"resourceType":"Basic","code":{"text":"t"},"text":{"status":"generated","div":"<p>x</p>"}})");
  EXPECT_TRUE(testing::HasOnlyError(r, "value", "Basic.text.div"));
}

}  // namespace
}  // namespace gw::fhir
