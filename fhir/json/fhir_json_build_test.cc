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

// A value holds only its own type's payload; the accessors of the other
// types answer empty, as they always did.
TEST(JsonBuild, AccessorsOfAnotherTypeAreEmpty) {
  JsonValue s = JsonValue::make_string("text");
  EXPECT_TRUE(s.items().empty());
  EXPECT_TRUE(s.members().empty());
  EXPECT_EQ(s.find("x"), nullptr);
  EXPECT_EQ(s.find_mutable("x"), nullptr);
  EXPECT_FALSE(s.remove("x"));
  JsonValue o = JsonValue::make_object();
  o.add("a", JsonValue::make_string("1"));
  EXPECT_EQ(o.text(), "");
  EXPECT_TRUE(o.items().empty());
  // A non-array's mutable items are detached: filling them changes nothing.
  o.mutable_items().push_back(JsonValue::make_string("lost"));
  EXPECT_TRUE(o.mutable_items().empty());
  EXPECT_EQ(write_json(o), R"({"a":"1"})");
  EXPECT_EQ(JsonValue::make_number("1.50").text(), "1.50");
  EXPECT_FALSE(JsonValue::make_bool(true).is_string());
}

TEST(JsonBuild, CopiesAreDeepAndMovesLeaveNull) {
  JsonValue o = JsonValue::make_object();
  o.add("list", JsonValue::make_array()).push(JsonValue::make_string("a long string, past SSO"));
  JsonValue copy = o;
  copy.find_mutable("list")->push(JsonValue::make_number("2"));
  EXPECT_EQ(write_json(o), R"({"list":["a long string, past SSO"]})");
  EXPECT_EQ(write_json(copy), R"({"list":["a long string, past SSO",2]})");
  JsonValue moved = std::move(copy);
  EXPECT_TRUE(copy.is_null());  // NOLINT(bugprone-use-after-move): the contract
  EXPECT_EQ(write_json(moved), R"({"list":["a long string, past SSO",2]})");
  copy = o;      // copy-assign over a null
  moved = copy;  // copy-assign over an object
  EXPECT_EQ(write_json(moved), write_json(o));
  JsonValue& self = moved;
  moved = self;  // self-assignment keeps the value
  EXPECT_EQ(write_json(moved), write_json(o));
}

// Assigning a value its own child moves the child out before the parent's
// payload is freed.
TEST(JsonBuild, AssigningAChildToItsParent) {
  JsonValue v = JsonValue::make_array();
  JsonValue& inner = v.push(JsonValue::make_object());
  inner.add("k", JsonValue::make_string("a string longer than the small buffer"));
  v = std::move(v.mutable_items()[0]);
  EXPECT_EQ(write_json(v), R"({"k":"a string longer than the small buffer"})");
  JsonValue o = JsonValue::make_object();
  o.add("child", JsonValue::make_array()).push(JsonValue::make_number("7"));
  o = *o.find("child");  // copy of a child
  EXPECT_EQ(write_json(o), "[7]");
}

}  // namespace
}  // namespace gw::fhir
