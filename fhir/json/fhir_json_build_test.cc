#include <gtest/gtest.h>

#include "fhir/json/canonical.h"
#include "fhir/json/json.h"
#include "fhir/json/write.h"

namespace gw::fhir {
namespace {

TEST(JsonBuild, BuildsAndWritesInInsertionOrder) {
  JsonValue o = JsonValue::make_object();
  o.add("resourceType", JsonValue::make_string("Observation"));
  JsonValue& vq = o.add("valueQuantity", JsonValue::make_object());
  vq.add("value", JsonValue::make_number("1.50"));
  vq.add("unit", JsonValue::make_string("mg/dL \"x\"\n"));
  o.add("active", JsonValue::make_bool(true));
  o.add("note", JsonValue::make_array()).push(JsonValue::make_string("a"));
  EXPECT_EQ(
      write_json(o),
      R"({"resourceType":"Observation","valueQuantity":{"value":1.50,"unit":"mg/dL \"x\"\n"},)"
      R"("active":true,"note":["a"]})");
  EXPECT_EQ(*canonicalize(o), R"({"active":true,"note":["a"],"resourceType":"Observation",)"
                              R"("valueQuantity":{"unit":"mg/dL \"x\"\n","value":1.50}})");
}

TEST(JsonBuild, PrettyOutputParsesBackToTheSameCanonicalForm) {
  auto v = parse_json(R"({"b":[1,{"c":[]},{}],"a":{"x":null,"y":"\u00e9"}})");
  ASSERT_TRUE(v.ok());
  std::string pretty = write_json(*v, true);
  EXPECT_NE(pretty.find("\n  \"b\": [\n    1,"), std::string::npos) << pretty;
  auto back = parse_json(pretty);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*canonicalize(*back), *canonicalize(*v));
  EXPECT_EQ(write_json(*v), R"({"b":[1,{"c":[]},{}],"a":{"x":null,"y":"é"}})");
}

TEST(JsonBuild, AddReplacesAnExistingMember) {
  JsonValue o = JsonValue::make_object();
  o.add("a", JsonValue::make_string("1"));
  o.add("a", JsonValue::make_string("2"));
  ASSERT_EQ(o.members().size(), 1u);
  EXPECT_EQ(o.find("a")->text(), "2");
  EXPECT_TRUE(o.remove("a"));
  EXPECT_FALSE(o.remove("a"));
  EXPECT_TRUE(o.empty());
}

TEST(JsonBuild, RejectsInvalidNumbersAndRepairsInvalidUtf8) {
  EXPECT_TRUE(JsonValue::make_number("01").is_null());
  EXPECT_TRUE(JsonValue::make_number("1.").is_null());
  EXPECT_TRUE(JsonValue::make_number("+1").is_null());
  EXPECT_TRUE(JsonValue::make_number("").is_null());
  EXPECT_TRUE(JsonValue::make_number("-0.0e+5").is_number());
  EXPECT_EQ(JsonValue::make_string("a\xFF"
                                   "b\xC3")
                .text(),
            "a\xEF\xBF\xBD"
            "b\xEF\xBF\xBD");
  EXPECT_EQ(JsonValue::make_string("\xC3\xA9").text(), "\xC3\xA9");
}

}  // namespace
}  // namespace gw::fhir
