// FHIR REST interactions over real HTTPS (loopback) against a real store.
#include <set>

#include "fhir/validate/validator.h"
#include "gateway/rest/rest_test_util.h"

namespace gw::rest::testing {
namespace {

const char* kPatient = R"({"resourceType":"Patient",
  "identifier":[{"system":"urn:oid:1.2.36.1","value":"MRN-1001"}],
  "name":[{"family":"Hamilton","given":["Ada"]}],"gender":"female","birthDate":"1980-01-02"})";

std::string patient_with(const std::string& system, const std::string& value,
                         const std::string& family, const std::string& id = "") {
  std::string s = R"({"resourceType":"Patient",)";
  if (!id.empty()) s += R"("id":")" + id + R"(",)";
  s += R"("identifier":[{)";
  if (!system.empty()) s += R"("system":")" + system + R"(",)";
  s += R"("value":")" + value + R"("}],"name":[{"family":")" + family + R"("}]})";
  return s;
}

class RestApiTest : public RestFixture {
 protected:
  void SetUp() override {
    RestFixture::SetUp();
    RestOptions o = options();
    o.max_body_bytes = 64 * 1024;
    start(o);
  }
  std::string base() const { return server_->base_url(); }
};

TEST_F(RestApiTest, MetadataListsExactlyTheImplementedInteractions) {
  Reply r = call("GET", "/metadata");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.header("Content-Type"), "application/fhir+json; charset=utf-8");
  fhir::JsonValue cs = r.json();
  EXPECT_EQ(text_at(cs, {"resourceType"}), "CapabilityStatement");
  EXPECT_EQ(text_at(cs, {"status"}), "active");
  EXPECT_EQ(text_at(cs, {"kind"}), "instance");
  EXPECT_EQ(text_at(cs, {"fhirVersion"}), "4.0.1");
  EXPECT_EQ(text_at(cs, {"format", "0"}), "json");
  EXPECT_EQ(text_at(cs, {"rest", "0", "mode"}), "server");
  // The security services are listed, and the whole statement is valid R4.
  EXPECT_EQ(text_at(cs, {"rest", "0", "security", "service", "0", "coding", "0", "code"}),
            "SMART-on-FHIR");
  EXPECT_EQ(text_at(cs, {"rest", "0", "security", "extension", "0", "extension", "0", "valueUri"}),
            "https://127.0.0.1:" + std::to_string(server_->port()) + "/auth/token");
  const fhir::ValidationResult valid = fhir::validate_resource(cs);
  EXPECT_TRUE(valid.ok()) << (valid.issues.empty()
                                  ? ""
                                  : valid.issues[0].path + ": " + valid.issues[0].message);
  std::set<std::string> system;
  for (const auto& i : cs.find("rest")->items()[0].find("interaction")->items()) {
    system.insert(i.find("code")->text());
  }
  EXPECT_EQ(system, (std::set<std::string>{"transaction", "batch"}));
  const auto& resources = cs.find("rest")->items()[0].find("resource")->items();
  EXPECT_GT(resources.size(), 140u);  // R4 has 145 concrete resource types
  bool saw_patient = false;
  for (const auto& res : resources) {
    std::set<std::string> codes;
    for (const auto& i : res.find("interaction")->items()) codes.insert(i.find("code")->text());
    EXPECT_EQ(codes, (std::set<std::string>{"read", "vread", "update", "create", "search-type"}));
    ASSERT_EQ(res.find("searchParam")->items().size(), 1u);
    EXPECT_EQ(text_at(res, {"searchParam", "0", "name"}), "identifier");
    if (text_at(res, {"type"}) == "Patient") saw_patient = true;
    // Every listed type is really served.
  }
  EXPECT_TRUE(saw_patient);
  EXPECT_EQ(call("GET", "/Observation?identifier=x").status, 200);
}

TEST_F(RestApiTest, CreateReadVreadUpdate) {
  Reply c = call("POST", "/Patient", kPatient);
  ASSERT_EQ(c.status, 201) << c.body;
  fhir::JsonValue created = c.json();
  const std::string id = text_at(created, {"id"});
  ASSERT_FALSE(id.empty());
  EXPECT_EQ(c.header("Location"), base() + "/Patient/" + id + "/_history/1");
  EXPECT_EQ(c.header("ETag"), "W/\"1\"");
  EXPECT_NE(c.header("Last-Modified").find("GMT"), std::string::npos);
  EXPECT_EQ(text_at(created, {"meta", "versionId"}), "1");
  EXPECT_FALSE(text_at(created, {"meta", "lastUpdated"}).empty());
  EXPECT_EQ(text_at(created, {"name", "0", "family"}), "Hamilton");

  Reply read = call("GET", "/Patient/" + id);
  ASSERT_EQ(read.status, 200) << read.body;
  EXPECT_EQ(text_at(read.json(), {"id"}), id);
  EXPECT_EQ(text_at(read.json(), {"meta", "versionId"}), "1");
  EXPECT_EQ(read.header("ETag"), "W/\"1\"");

  std::string changed = patient_with("urn:oid:1.2.36.1", "MRN-1001", "Byron", id);
  Reply u = call("PUT", "/Patient/" + id, changed);
  ASSERT_EQ(u.status, 200) << u.body;
  EXPECT_EQ(u.header("ETag"), "W/\"2\"");
  EXPECT_EQ(text_at(u.json(), {"meta", "versionId"}), "2");

  Reply v1 = call("GET", "/Patient/" + id + "/_history/1");
  ASSERT_EQ(v1.status, 200);
  EXPECT_EQ(text_at(v1.json(), {"name", "0", "family"}), "Hamilton");
  Reply v2 = call("GET", "/Patient/" + id + "/_history/2");
  ASSERT_EQ(v2.status, 200);
  EXPECT_EQ(text_at(v2.json(), {"name", "0", "family"}), "Byron");
  Reply v3 = call("GET", "/Patient/" + id + "/_history/3");
  EXPECT_EQ(v3.status, 404);
  EXPECT_TRUE(is_operation_outcome(v3));

  // Same content again: no new version.
  Reply same = call("PUT", "/Patient/" + id, changed);
  EXPECT_EQ(same.status, 200);
  EXPECT_EQ(same.header("ETag"), "W/\"2\"");
}

TEST_F(RestApiTest, CreateIgnoresClientIdAndHonoursPrefer) {
  Reply c = call("POST", "/Patient", patient_with("", "X1", "Doe", "client-chosen"));
  ASSERT_EQ(c.status, 201);
  EXPECT_NE(text_at(c.json(), {"id"}), "client-chosen");
  Reply minimal = call("POST", "/Patient", kPatient, {{"Prefer", "return=minimal"}});
  EXPECT_EQ(minimal.status, 201);
  EXPECT_TRUE(minimal.body.empty());
  EXPECT_FALSE(minimal.header("Location").empty());
  Reply oo = call("POST", "/Patient", kPatient, {{"Prefer", "return=OperationOutcome"}});
  EXPECT_EQ(oo.status, 201);
  EXPECT_TRUE(is_operation_outcome(oo));
}

TEST_F(RestApiTest, UpdateCreatesThenUpdatesAndChecksIds) {
  Reply first = call("PUT", "/Patient/p-1", patient_with("s", "v1", "Ames", "p-1"));
  EXPECT_EQ(first.status, 201) << first.body;
  EXPECT_EQ(first.header("Location"), base() + "/Patient/p-1/_history/1");
  Reply second = call("PUT", "/Patient/p-1", patient_with("s", "v1", "Bates", "p-1"));
  EXPECT_EQ(second.status, 200);
  Reply mismatch = call("PUT", "/Patient/p-1", patient_with("s", "v1", "Ames", "p-2"));
  EXPECT_EQ(mismatch.status, 400);
  EXPECT_TRUE(is_operation_outcome(mismatch));
  Reply no_id = call("PUT", "/Patient/p-1", patient_with("s", "v1", "Ames"));
  EXPECT_EQ(no_id.status, 400);
}

TEST_F(RestApiTest, IfMatchIsEnforced) {
  ASSERT_EQ(call("PUT", "/Patient/m1", patient_with("s", "m", "One", "m1")).status, 201);
  ASSERT_EQ(call("PUT", "/Patient/m1", patient_with("s", "m", "Two", "m1")).status, 200);
  const int64_t before = store_->count_records();
  Reply stale =
      call("PUT", "/Patient/m1", patient_with("s", "m", "Three", "m1"), {{"If-Match", "W/\"1\""}});
  EXPECT_EQ(stale.status, 412) << stale.body;
  EXPECT_TRUE(is_operation_outcome(stale));
  EXPECT_EQ(store_->count_records(), before);
  Reply ok =
      call("PUT", "/Patient/m1", patient_with("s", "m", "Three", "m1"), {{"If-Match", "W/\"2\""}});
  EXPECT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(ok.header("ETag"), "W/\"3\"");
  Reply absent =
      call("PUT", "/Patient/nope", patient_with("s", "m", "X", "nope"), {{"If-Match", "W/\"1\""}});
  EXPECT_EQ(absent.status, 412);
}

TEST_F(RestApiTest, ConditionalCreate) {
  const Headers cond = {{"If-None-Exist", "identifier=urn:sys|C-1"}};
  Reply a = call("POST", "/Patient", patient_with("urn:sys", "C-1", "Cole"), cond);
  ASSERT_EQ(a.status, 201) << a.body;
  const std::string id = text_at(a.json(), {"id"});
  const int64_t count = store_->count_records();
  Reply b = call("POST", "/Patient", patient_with("urn:sys", "C-1", "Cole"), cond);
  EXPECT_EQ(b.status, 200) << b.body;
  EXPECT_EQ(text_at(b.json(), {"id"}), id);
  EXPECT_EQ(store_->count_records(), count);
  // Two resources share an identifier: the condition is ambiguous.
  ASSERT_EQ(call("POST", "/Patient", patient_with("urn:sys", "C-2", "Dup")).status, 201);
  ASSERT_EQ(call("POST", "/Patient", patient_with("urn:sys", "C-2", "Dup")).status, 201);
  Reply c = call("POST", "/Patient", patient_with("urn:sys", "C-2", "Dup"),
                 {{"If-None-Exist", "identifier=urn:sys|C-2"}});
  EXPECT_EQ(c.status, 412);
  EXPECT_TRUE(is_operation_outcome(c));
}

TEST_F(RestApiTest, ConditionalUpdate) {
  Reply a = call("PUT", "/Patient?identifier=urn:sys|U-1", patient_with("urn:sys", "U-1", "Ford"));
  ASSERT_EQ(a.status, 201) << a.body;
  const std::string id = text_at(a.json(), {"id"});
  Reply b = call("PUT", "/Patient?identifier=urn:sys|U-1", patient_with("urn:sys", "U-1", "Gray"));
  ASSERT_EQ(b.status, 200) << b.body;
  EXPECT_EQ(text_at(b.json(), {"id"}), id);
  EXPECT_EQ(text_at(b.json(), {"meta", "versionId"}), "2");
  ASSERT_EQ(call("POST", "/Patient", patient_with("urn:sys", "U-2", "H")).status, 201);
  ASSERT_EQ(call("POST", "/Patient", patient_with("urn:sys", "U-2", "H")).status, 201);
  EXPECT_EQ(
      call("PUT", "/Patient?identifier=urn:sys|U-2", patient_with("urn:sys", "U-2", "H")).status,
      412);
}

// An identifier whose value is the resource's own id (as the v2 mapper
// mints them) is kept by the store without index rows of its own; search
// and conditional update find it as any other.
TEST_F(RestApiTest, SelfIdentifierIsSearchedAndConditionallyUpdated) {
  const std::string minted = "urn:gateway:sender:LAB:resource-id";
  ASSERT_EQ(call("PUT", "/Patient/self-1", patient_with(minted, "self-1", "Kim", "self-1")).status,
            201);
  Reply r = call("GET", "/Patient?identifier=" + minted + "%7Cself-1");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(text_at(r.json(), {"total"}), "1");
  EXPECT_EQ(text_at(r.json(), {"entry", "0", "resource", "id"}), "self-1");
  EXPECT_EQ(text_at(call("GET", "/Patient?identifier=self-1").json(), {"total"}), "1");
  EXPECT_EQ(text_at(call("GET", "/Patient?identifier=urn:other%7Cself-1").json(), {"total"}), "0");
  EXPECT_EQ(text_at(call("GET", "/Patient?identifier=%7Cself-1").json(), {"total"}), "0");
  Reply u = call("PUT", "/Patient?identifier=" + minted + "%7Cself-1",
                 patient_with(minted, "self-1", "Lee", "self-1"));
  ASSERT_EQ(u.status, 200) << u.body;
  EXPECT_EQ(text_at(u.json(), {"id"}), "self-1");
  EXPECT_EQ(text_at(u.json(), {"meta", "versionId"}), "2");
  Reply after = call("GET", "/Patient?identifier=self-1");
  EXPECT_EQ(text_at(after.json(), {"entry", "0", "resource", "name", "0", "family"}), "Lee");
}

TEST_F(RestApiTest, SearchByIdentifier) {
  ASSERT_EQ(call("POST", "/Patient", patient_with("urn:sys", "S-1", "Ito")).status, 201);
  ASSERT_EQ(call("POST", "/Patient", patient_with("", "S-2", "Jung")).status, 201);
  Reply r = call("GET", "/Patient?identifier=urn:sys%7CS-1");
  ASSERT_EQ(r.status, 200) << r.body;
  fhir::JsonValue b = r.json();
  EXPECT_EQ(text_at(b, {"type"}), "searchset");
  EXPECT_EQ(text_at(b, {"total"}), "1");
  EXPECT_EQ(text_at(b, {"link", "0", "relation"}), "self");
  EXPECT_EQ(text_at(b, {"entry", "0", "search", "mode"}), "match");
  EXPECT_EQ(text_at(b, {"entry", "0", "fullUrl"}),
            base() + "/Patient/" + text_at(b, {"entry", "0", "resource", "id"}));
  EXPECT_EQ(text_at(b, {"entry", "0", "resource", "name", "0", "family"}), "Ito");

  EXPECT_EQ(text_at(call("GET", "/Patient?identifier=S-1").json(), {"total"}), "1");
  EXPECT_EQ(text_at(call("GET", "/Patient?identifier=%7CS-2").json(), {"total"}), "1");
  EXPECT_EQ(text_at(call("GET", "/Patient?identifier=%7CS-1").json(), {"total"}), "0");
  EXPECT_EQ(text_at(call("GET", "/Patient?identifier=S-1,S-2&_format=json").json(), {"total"}),
            "2");
  Reply none = call("GET", "/Patient?identifier=urn:sys|nothing");
  ASSERT_EQ(none.status, 200);
  EXPECT_EQ(text_at(none.json(), {"total"}), "0");
  EXPECT_EQ(none.json().find("entry"), nullptr);
  EXPECT_EQ(text_at(call("GET", "/Observation?identifier=S-1").json(), {"total"}), "0");

  Reply bad = call("GET", "/Patient?family=SecretFamilyValue");
  EXPECT_EQ(bad.status, 400);
  EXPECT_TRUE(is_operation_outcome(bad));
  EXPECT_EQ(text_at(bad.json(), {"issue", "0", "code"}), "not-supported");
  EXPECT_NE(bad.body.find("family"), std::string::npos);
  EXPECT_EQ(bad.body.find("SecretFamilyValue"), std::string::npos);
  EXPECT_EQ(call("GET", "/Patient").status, 400);
}

}  // namespace
}  // namespace gw::rest::testing
