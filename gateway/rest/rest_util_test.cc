// Unit tests of the REST endpoint's parsing helpers (pure functions).
#include <gtest/gtest.h>

#include "fhir/json/write.h"
#include "gateway/rest/fhir_rest_util.h"

namespace gw::rest {
namespace {

TEST(RestUtilTest, TokenSearchValues) {
  std::vector<TokenValue> t;
  auto parse = [&t](std::string_view text) {
    auto r = parse_token_search(text);
    if (r.ok()) t = *r;
    return r;
  };
  ASSERT_TRUE(parse("urn:sys|V1").ok());
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0].system, std::optional<std::string>("urn:sys"));
  EXPECT_EQ(t[0].value, "V1");
  ASSERT_TRUE(parse("|V2").ok());
  EXPECT_EQ(t[0].system, std::optional<std::string>(""));
  ASSERT_TRUE(parse("V3").ok());
  EXPECT_FALSE(t[0].system.has_value());
  ASSERT_TRUE(parse(R"(a\,b|c\|d,e)").ok());
  ASSERT_EQ(t.size(), 2u);
  EXPECT_EQ(t[0].system, std::optional<std::string>("a,b"));
  EXPECT_EQ(t[0].value, "c|d");
  EXPECT_EQ(t[1].value, "e");
  EXPECT_FALSE(parse_token_search("").ok());
  // Fixed texts only: nothing of the value comes back.
  auto system_only = parse_token_search("zq|");
  ASSERT_FALSE(system_only.ok());
  EXPECT_EQ(system_only.error().message().find("zq"), std::string::npos);
  auto empty_alternative = parse_token_search("zq,,b");
  ASSERT_FALSE(empty_alternative.ok());
  EXPECT_EQ(empty_alternative.error().message().find("zq"), std::string::npos);
}

TEST(RestUtilTest, ETagsAndIds) {
  EXPECT_EQ(parse_etag_version("W/\"12\""), 12);
  EXPECT_EQ(parse_etag_version(" \"3\" "), 3);
  EXPECT_FALSE(parse_etag_version("W/\"\"").has_value());
  EXPECT_FALSE(parse_etag_version("W/\"0\"").has_value());
  EXPECT_FALSE(parse_etag_version("W/\"1a\"").has_value());
  EXPECT_FALSE(parse_etag_version("12").has_value());
  EXPECT_FALSE(parse_etag_version("W/\"99999999999999999999\"").has_value());
  EXPECT_TRUE(is_valid_id("a-B.9"));
  EXPECT_FALSE(is_valid_id(""));
  EXPECT_FALSE(is_valid_id("a_b"));
  EXPECT_FALSE(is_valid_id(std::string(65, 'a')));
  const std::string u = new_uuid();
  EXPECT_EQ(u.size(), 36u);
  EXPECT_EQ(u[14], '4');
  EXPECT_TRUE(is_valid_id(u));
  EXPECT_NE(new_uuid(), u);
}

TEST(RestUtilTest, QueryStrings) {
  QueryParams q;
  ASSERT_TRUE(parse_query("identifier=a%7Cb+c&_format=json&&x", &q));
  ASSERT_EQ(q.size(), 3u);
  EXPECT_EQ(q[0], (std::pair<std::string, std::string>("identifier", "a|b c")));
  EXPECT_EQ(q[1].second, "json");
  EXPECT_EQ(q[2], (std::pair<std::string, std::string>("x", "")));
  EXPECT_FALSE(parse_query("a=%", &q));
  EXPECT_FALSE(parse_query("a=%4", &q));
  EXPECT_FALSE(parse_query("a=%G0", &q));
}

TEST(RestUtilTest, Times) {
  EXPECT_EQ(format_instant(1700000000123), "2023-11-14T22:13:20.123Z");
  EXPECT_EQ(http_date(1700000000123), "Tue, 14 Nov 2023 22:13:20 GMT");
  EXPECT_EQ(weak_etag(4), "W/\"4\"");
}

TEST(RestUtilTest, ServerMetaAndIdentifiers) {
  auto parsed = fhir::parse_json(
      R"({"resourceType":"Patient","meta":{"versionId":"9","lastUpdated":"2020-01-01T00:00:00Z"},
          "identifier":[{"system":"s","value":"v"},{"value":"w"},{"system":"x"}],"active":true})");
  ASSERT_TRUE(parsed.ok());
  fhir::JsonValue p = *parsed;
  auto ids = resource_identifiers(p);
  ASSERT_EQ(ids.size(), 2u);
  EXPECT_EQ(ids[0], (std::pair<std::string, std::string>("s", "v")));
  EXPECT_EQ(ids[1], (std::pair<std::string, std::string>("", "w")));
  strip_server_meta(&p);
  EXPECT_EQ(p.find("meta"), nullptr);  // nothing else was in it
  set_resource_id(&p, "abc");
  fhir::JsonValue out = with_server_meta(p, 3, 1700000000123);
  const std::string prefix = R"({"resourceType":"Patient","id":"abc","meta":{"versionId":"3",)"
                             R"("lastUpdated":"2023-11-14T22:13:20.123Z"},"identifier":)";
  EXPECT_EQ(fhir::write_json(out).rfind(prefix, 0), 0u) << fhir::write_json(out);
}

// REST reads and `gatewayctl records export` write a stored record the same
// way: resourceType, id, then meta with the stored version and time, then the
// stored members (a meta the resource carried keeps its other members).
TEST(RestUtilTest, StoredRecordsTakeTheServersForm) {
  store::StoredRecord rec;
  rec.resource_type = "Patient";
  rec.resource_id = "p1";
  rec.version = 2;
  rec.updated_at_ms = 1700000000123;
  rec.resource_json =
      R"({"active":true,"id":"p1","meta":{"profile":["http://x.org/p"]},"resourceType":"Patient"})";
  std::optional<fhir::JsonValue> r = record_resource(rec);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(fhir::write_json(*r),
            R"({"resourceType":"Patient","id":"p1","meta":{"versionId":"2",)"
            R"("lastUpdated":"2023-11-14T22:13:20.123Z","profile":["http://x.org/p"]},)"
            R"("active":true})");
  rec.resource_json = "not json";
  EXPECT_FALSE(record_resource(rec).has_value());
}

}  // namespace
}  // namespace gw::rest
