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
  options.operations = {{"transfer", "urn:test:transfer", "Patient", "push"},
                        {"request-transfer", "urn:test:request", "", "pull"}};
  FhirApi api(store.get(), options);
  RestRequest consent;
  consent.grant =
      std::make_shared<const auth::ClientGrant>(*auth::make_client_grant({"system/*.cruds"}, {}));
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

  RestRequest read = consent;
  read.body.clear();
  read.method = "GET";
  read.target = "/Patient/p1";
  EXPECT_EQ(api.handle(read).status, 404);  // generic read: not stored
  RestRequest metadata;
  metadata.method = "GET";
  metadata.target = "/metadata";
  RestResponse capability = api.handle(metadata);
  EXPECT_EQ(capability.status, 200);
  // Operations are listed where they are served: system level, and under the type.
  EXPECT_NE(capability.body.find(R"("definition":"urn:test:request")"), std::string::npos);
  const size_t patient = capability.body.find(R"("type":"Patient")");
  ASSERT_NE(patient, std::string::npos);
  const size_t push_op = capability.body.find(R"("definition":"urn:test:transfer")");
  ASSERT_NE(push_op, std::string::npos);
  EXPECT_GT(push_op, patient);
  EXPECT_LT(push_op, capability.body.find(R"("type":"PaymentNotice")"));
  EXPECT_EQ(seen, (std::vector<std::string>{"POST /Consent", "POST /Patient/p1/$transfer",
                                            "GET /Patient/p1"}));
}

}  // namespace
}  // namespace gw::rest
