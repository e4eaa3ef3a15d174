// Extensions: rooms that answer a resource type or an operation themselves
// see the routed request first; what they do not claim is handled as usual.
#include <gtest/gtest.h>

#include "gateway/rest/fhir_api.h"
#include "gateway/store/store_test_util.h"

namespace gw::rest {
namespace {

TEST(RestExtensionTest, ClaimedRequestsAreAnsweredByTheExtensionOthersFallThrough) {
  store::testing::TempDir dir;
  store::StoreOptions so;
  so.path = dir.file("store.db");
  so.keys = store::testing::test_keys();
  auto store = store::testing::open_or_die(so);
  ApiOptions options;
  options.base_url = "https://gw.example";
  std::vector<std::string> seen;
  bool saw_body = false;
  options.extensions.push_back([&](const ExtensionRequest& r) -> std::optional<ApiResult> {
    std::string path;
    for (const std::string& s : r.segments) path += "/" + s;
    seen.push_back(r.http.method + " " + path);
    if (r.segments[0] != "Consent" && (r.segments.size() < 3 || r.segments[2] != "$transfer")) {
      return std::nullopt;
    }
    saw_body = r.body != nullptr && r.body->is_object();
    return error_result(422, "business-rule", "claimed");
  });
  FhirApi api(store.get(), options);
  RestRequest consent;
  consent.method = "POST";
  consent.target = "/Consent";
  consent.content_type = "application/fhir+json";
  consent.body = R"({"resourceType":"Consent"})";
  EXPECT_EQ(api.handle(consent).status, 422);
  EXPECT_TRUE(saw_body);

  RestRequest transfer = consent;
  transfer.target = "/Patient/p1/$transfer";
  transfer.body = "not json";
  EXPECT_EQ(api.handle(transfer).status, 422);
  EXPECT_FALSE(saw_body);

  RestRequest read;
  read.method = "GET";
  read.target = "/Patient/p1";
  EXPECT_EQ(api.handle(read).status, 404);  // generic read: not stored
  RestRequest metadata;
  metadata.method = "GET";
  metadata.target = "/metadata";
  EXPECT_EQ(api.handle(metadata).status, 200);
  EXPECT_EQ(seen, (std::vector<std::string>{"POST /Consent", "POST /Patient/p1/$transfer",
                                            "GET /Patient/p1"}));
}

}  // namespace
}  // namespace gw::rest
