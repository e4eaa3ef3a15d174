// Transactions, batches and error statuses of the FHIR REST endpoint over
// real HTTPS against a real store.
#include "gateway/rest/rest_test_util.h"

namespace gw::rest::testing {
namespace {

const char* kTransaction = R"({"resourceType":"Bundle","type":"transaction","entry":[
 {"fullUrl":"urn:uuid:61ebe359-bfdc-4613-8bf2-c5e300945f0a",
  "resource":{"resourceType":"Patient","identifier":[{"system":"urn:sys","value":"T-1"}],
              "name":[{"family":"Knuth"}]},
  "request":{"method":"POST","url":"Patient"}},
 {"fullUrl":"urn:uuid:88f151c0-a954-468a-88ab-ad4ba4ac7a2b",
  "resource":{"resourceType":"Observation","status":"final",
              "code":{"text":"heart rate"},
              "subject":{"reference":"urn:uuid:61ebe359-bfdc-4613-8bf2-c5e300945f0a"}},
  "request":{"method":"POST","url":"Observation"}},
 {"resource":{"resourceType":"Patient","id":"fixed-1","name":[{"family":"Lovelace"}]},
  "request":{"method":"PUT","url":"Patient/fixed-1"}}]})";

class RestBundleTest : public RestFixture {
 protected:
  void SetUp() override {
    RestFixture::SetUp();
    RestOptions o = options();
    o.max_body_bytes = 64 * 1024;
    start(o);
  }
};

TEST_F(RestBundleTest, TransactionRewritesUrnReferencesAndCommitsTogether) {
  Reply r = call("POST", "/", kTransaction);
  ASSERT_EQ(r.status, 200) << r.body;
  fhir::JsonValue b = r.json();
  EXPECT_EQ(text_at(b, {"type"}), "transaction-response");
  ASSERT_EQ(b.find("entry")->items().size(), 3u);
  EXPECT_EQ(text_at(b, {"entry", "0", "response", "status"}), "201 Created");
  EXPECT_EQ(text_at(b, {"entry", "1", "response", "status"}), "201 Created");
  EXPECT_EQ(text_at(b, {"entry", "2", "response", "status"}), "201 Created");
  EXPECT_EQ(text_at(b, {"entry", "0", "response", "etag"}), "W/\"1\"");
  const std::string patient_loc = text_at(b, {"entry", "0", "response", "location"});
  const std::string obs_loc = text_at(b, {"entry", "1", "response", "location"});
  ASSERT_EQ(patient_loc.rfind("Patient/", 0), 0u) << patient_loc;
  const std::string patient_id = patient_loc.substr(8, patient_loc.find('/', 8) - 8);
  const std::string obs_id = obs_loc.substr(12, obs_loc.find('/', 12) - 12);

  Reply obs = call("GET", "/Observation/" + obs_id);
  ASSERT_EQ(obs.status, 200) << obs.body;
  EXPECT_EQ(text_at(obs.json(), {"subject", "reference"}), "Patient/" + patient_id);
  EXPECT_EQ(call("GET", "/Patient/fixed-1").status, 200);
  // One message for the whole transaction, three records.
  EXPECT_EQ(store_->count(std::nullopt), 1);
  EXPECT_EQ(store_->count_records(), 3);
  EXPECT_EQ(store_->list(0, 10)[0].message_type, "FHIR transaction");
}

TEST_F(RestBundleTest, TransactionWithOneInvalidEntryStoresNothing) {
  std::string bad = kTransaction;
  bad.replace(bad.find(R"("status":"final")"), 16, R"("status":"nonsense")");
  Reply r = call("POST", "/", bad);
  EXPECT_EQ(r.status, 422) << r.body;
  EXPECT_TRUE(is_operation_outcome(r));
  EXPECT_NE(r.body.find("Bundle.entry[1]"), std::string::npos) << r.body;
  EXPECT_EQ(store_->count_records(), 0);
  EXPECT_EQ(store_->count(std::nullopt), 0);

  std::string dangling = kTransaction;
  dangling.replace(dangling.find("urn:uuid:61ebe359-bfdc-4613-8bf2-c5e300945f0a\"}"), 45,
                   "urn:uuid:00000000-0000-4000-8000-000000000000");
  Reply d = call("POST", "/", dangling);
  EXPECT_EQ(d.status, 400) << d.body;
  EXPECT_EQ(store_->count_records(), 0);

  // A version conflict in any entry rolls back all of them.
  ASSERT_EQ(
      call("PUT", "/Patient/fixed-1", R"({"resourceType":"Patient","id":"fixed-1","active":true})")
          .status,
      201);
  std::string conflict = kTransaction;
  conflict.replace(conflict.find(R"("url":"Patient/fixed-1")"), 23,
                   R"("url":"Patient/fixed-1","ifMatch":"W/\"7\"")");
  Reply c = call("POST", "/", conflict);
  EXPECT_EQ(c.status, 412) << c.body;
  EXPECT_EQ(store_->count_records(), 1);
}

// What a v2 mapping (or any FHIR client) sends: conditional updates keyed on
// business identifiers and conditional creates, referring to each other by
// urn:uuid. Sent twice, the second transaction updates the same resources.
const char* kConditionalTransaction = R"({"resourceType":"Bundle","type":"transaction","entry":[
 {"fullUrl":"urn:uuid:0b6f7c1e-6a43-4f5b-9d9e-111111111111",
  "resource":{"resourceType":"Patient","identifier":[{"system":"urn:mrn","value":"C-1"}],
              "name":[{"family":"Hopper"}]},
  "request":{"method":"PUT","url":"Patient?identifier=urn:mrn%7CC-1"}},
 {"fullUrl":"urn:uuid:0b6f7c1e-6a43-4f5b-9d9e-222222222222",
  "resource":{"resourceType":"Observation","status":"final","code":{"text":"pulse"},
              "identifier":[{"system":"urn:obs","value":"O-1"}],
              "subject":{"reference":"urn:uuid:0b6f7c1e-6a43-4f5b-9d9e-111111111111"}},
  "request":{"method":"PUT","url":"Observation?identifier=urn:obs|O-1"}},
 {"fullUrl":"urn:uuid:0b6f7c1e-6a43-4f5b-9d9e-333333333333",
  "resource":{"resourceType":"Device","identifier":[{"system":"urn:dev","value":"D-1"}],
              "patient":{"reference":"urn:uuid:0b6f7c1e-6a43-4f5b-9d9e-111111111111"}},
  "request":{"method":"POST","url":"Device","ifNoneExist":"identifier=urn:dev|D-1"}}]})";

std::string id_of(const std::string& location, const std::string& type) {
  const size_t start = type.size() + 1;
  return location.substr(start, location.find('/', start) - start);
}

TEST_F(RestBundleTest, TransactionTakesConditionalUpdatesAndCreates) {
  Reply first = call("POST", "/", kConditionalTransaction);
  ASSERT_EQ(first.status, 200) << first.body;
  fhir::JsonValue a = first.json();
  for (const char* i : {"0", "1", "2"}) {
    EXPECT_EQ(text_at(a, {"entry", i, "response", "status"}), "201 Created") << i;
  }
  const std::string patient = id_of(text_at(a, {"entry", "0", "response", "location"}), "Patient");
  const std::string obs = id_of(text_at(a, {"entry", "1", "response", "location"}), "Observation");
  const std::string prov = id_of(text_at(a, {"entry", "2", "response", "location"}), "Device");
  EXPECT_EQ(text_at(call("GET", "/Observation/" + obs).json(), {"subject", "reference"}),
            "Patient/" + patient);
  // New resources take the uuids of their fullUrls (free ids).
  EXPECT_EQ(patient, "0b6f7c1e-6a43-4f5b-9d9e-111111111111");
  EXPECT_EQ(prov, "0b6f7c1e-6a43-4f5b-9d9e-333333333333");

  // Again with a change: the Patient and Observation are updated in place
  // (version 2), the Device matched by ifNoneExist is left alone.
  std::string again = kConditionalTransaction;
  again.replace(again.find("Hopper"), 6, "Hopper-Murray");
  Reply second = call("POST", "/", again);
  ASSERT_EQ(second.status, 200) << second.body;
  fhir::JsonValue b = second.json();
  EXPECT_EQ(text_at(b, {"entry", "0", "response", "status"}), "200 OK");
  EXPECT_EQ(text_at(b, {"entry", "0", "response", "location"}),
            "Patient/" + patient + "/_history/2");
  EXPECT_EQ(text_at(b, {"entry", "1", "response", "location"}),
            "Observation/" + obs + "/_history/1");  // unchanged: no new version
  EXPECT_EQ(text_at(b, {"entry", "2", "response", "status"}), "200 OK");
  EXPECT_EQ(text_at(b, {"entry", "2", "response", "location"}),
            "Device/" + prov + "/_history/1");
  EXPECT_EQ(text_at(call("GET", "/Patient/" + patient).json(), {"name", "0", "family"}),
            "Hopper-Murray");
  EXPECT_EQ(store_->count_records(), 4);  // 3 records, the Patient in 2 versions

  // Conditions that cannot be run are refused, naming the entry; nothing is stored.
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"Patient?identifier=urn:mrn%7CC-1", "Patient?name=Hopper"},
      {"Patient?identifier=urn:mrn%7CC-1", "Patient?identifier=%ZZ"},
      {"Patient?identifier=urn:mrn%7CC-1", "Patient/x?identifier=a"},
      {R"("ifNoneExist":"identifier=urn:dev|D-1")", R"("ifNoneExist":7)"},
      {R"("ifNoneExist":"identifier=urn:dev|D-1")", R"("ifNoneExist":"_id=1")"},
  };
  for (const auto& [from, to] : bad) {
    std::string body = again;
    body.replace(body.find(from), from.size(), to);
    Reply r = call("POST", "/", body);
    EXPECT_TRUE(r.status == 400) << to << ": " << r.status << " " << r.body;
    EXPECT_TRUE(is_operation_outcome(r)) << to;
    EXPECT_NE(r.body.find("entry "), std::string::npos) << r.body;
  }
  EXPECT_EQ(store_->count_records(), 4);

  // Two resources matching one condition: 412, as for a single conditional update.
  ASSERT_EQ(call("POST", "/Patient",
                 R"({"resourceType":"Patient","identifier":[{"system":"urn:mrn","value":"C-1"}]})")
                .status,
            201);
  Reply ambiguous = call("POST", "/", again);
  EXPECT_EQ(ambiguous.status, 412) << ambiguous.body;
  EXPECT_EQ(store_->count_records(), 5);
}

TEST_F(RestBundleTest, BatchEntriesSucceedOrFailOnTheirOwn) {
  ASSERT_EQ(call("PUT", "/Patient/b-1", R"({"resourceType":"Patient","id":"b-1"})").status, 201);
  const char* batch = R"({"resourceType":"Bundle","type":"batch","entry":[
   {"resource":{"resourceType":"Patient","name":[{"family":"Noether"}]},
    "request":{"method":"POST","url":"Patient"}},
   {"resource":{"resourceType":"Patient","gender":"not-a-gender"},
    "request":{"method":"POST","url":"Patient"}},
   {"request":{"method":"GET","url":"Patient/b-1"}},
   {"request":{"method":"GET","url":"Patient/missing"}},
   {"request":{"method":"DELETE","url":"Patient/b-1"}}]})";
  Reply r = call("POST", "/", batch);
  ASSERT_EQ(r.status, 200) << r.body;
  fhir::JsonValue b = r.json();
  EXPECT_EQ(text_at(b, {"type"}), "batch-response");
  EXPECT_EQ(text_at(b, {"entry", "0", "response", "status"}), "201 Created");
  EXPECT_EQ(text_at(b, {"entry", "1", "response", "status"}), "422 Unprocessable Entity");
  EXPECT_EQ(text_at(b, {"entry", "1", "response", "outcome", "resourceType"}), "OperationOutcome");
  EXPECT_EQ(text_at(b, {"entry", "2", "response", "status"}), "200 OK");
  EXPECT_EQ(text_at(b, {"entry", "2", "resource", "id"}), "b-1");
  EXPECT_EQ(text_at(b, {"entry", "3", "response", "status"}), "404 Not Found");
  EXPECT_EQ(text_at(b, {"entry", "4", "response", "status"}), "405 Method Not Allowed");
  EXPECT_EQ(store_->count_records(), 2);  // b-1 and the created one
}

TEST_F(RestBundleTest, ErrorStatusesCarryOperationOutcomes) {
  struct Case {
    const char* name;
    std::string method, target, body;
    Headers headers;
    int status;
  };
  const std::string patient = R"({"resourceType":"Patient","active":true})";
  const std::vector<Case> cases = {
      {"unparseable", "POST", "/Patient", "{\"resourceType\":", {}, 400},
      {"wrong type", "POST", "/Observation", patient, {}, 400},
      {"bad id", "GET", "/Patient/a_b", "", {}, 400},
      {"bad id put", "PUT", "/Patient/a_b", patient, {}, 400},
      {"unsupported param", "GET", "/Patient?name=x", "", {}, 400},
      {"not a bundle", "POST", "/", patient, {}, 400},
      {"unknown type", "GET", "/Foo/1", "", {}, 404},
      {"unknown id", "GET", "/Patient/unknown", "", {}, 404},
      {"unknown path", "GET", "/Patient/1/foo", "", {}, 404},
      {"history", "GET", "/Patient/1/_history", "", {}, 404},
      {"delete", "DELETE", "/Patient/1", "", {}, 405},
      {"patch", "PATCH", "/Patient/1", patient, {}, 405},
      {"put metadata", "PUT", "/metadata", patient, {}, 405},
      {"xml only", "GET", "/metadata", "", {{"Accept", "application/fhir+xml"}}, 406},
      {"format xml", "GET", "/metadata?_format=xml", "", {}, 406},
      {"stale if-match",
       "PUT",
       "/Patient/e1",
       R"({"resourceType":"Patient","id":"e1"})",
       {{"If-Match", "W/\"5\""}},
       412},
      {"too large", "POST", "/Patient", std::string(100 * 1024, ' ') + patient, {}, 413},
      {"text/plain", "POST", "/Patient", patient, {{"Content-Type", "text/plain"}}, 415},
      {"xml body", "POST", "/Patient", patient, {{"Content-Type", "application/fhir+xml"}}, 415},
      {"latin1",
       "POST",
       "/Patient",
       patient,
       {{"Content-Type", "application/fhir+json; charset=iso-8859-1"}},
       415},
      {"invalid", "POST", "/Patient", R"({"resourceType":"Patient","gender":"x"})", {}, 422},
  };
  for (const Case& c : cases) {
    Reply r = call(c.method, c.target, c.body, c.headers);
    EXPECT_EQ(r.status, c.status) << c.name << ": " << r.body;
    EXPECT_TRUE(is_operation_outcome(r)) << c.name << ": " << r.body;
  }
  Reply del = call("DELETE", "/Patient/1");
  EXPECT_EQ(del.header("Allow"), "GET, PUT");
  EXPECT_EQ(call("DELETE", "/Patient").header("Allow"), "GET, POST, PUT");
  // Accepted variants.
  EXPECT_EQ(call("POST", "/Patient", patient,
                 {{"Content-Type", "application/json; charset=UTF-8"}, {"Accept", "*/*"}})
                .status,
            201);
  EXPECT_EQ(
      call("GET", "/metadata", "", {{"Accept", "application/fhir+xml, application/json"}}).status,
      200);
  EXPECT_EQ(store_->count_records(), 1);
}

TEST_F(RestBundleTest, ErrorBodiesContainNoPatientData) {
  const std::string bad = R"({"resourceType":"Patient",
    "name":"Quixotelberry","gender":"Zanzibarite","birthDate":"1980-13-45",
    "identifier":[{"system":"urn:sys","value":"SSN-987654321"}],
    "telecom":[{"system":"phone","value":"+1-555-0199"}],"unknownThing":"Vexillum"})";
  Reply r = call("POST", "/Patient", bad);
  ASSERT_EQ(r.status, 422) << r.body;
  EXPECT_TRUE(is_operation_outcome(r));
  for (const char* phi :
       {"Quixotelberry", "Zanzibarite", "1980-13-45", "SSN-987654321", "555-0199", "Vexillum"}) {
    EXPECT_EQ(r.body.find(phi), std::string::npos) << phi << " leaked: " << r.body;
  }
  // Also through a transaction and a batch.
  const std::string tx = R"({"resourceType":"Bundle","type":"transaction","entry":[
    {"resource":)" + bad +
                         R"(,"request":{"method":"POST","url":"Patient"}}]})";
  Reply t = call("POST", "/", tx);
  EXPECT_EQ(t.status, 422);
  EXPECT_EQ(t.body.find("Quixotelberry"), std::string::npos);
  std::string batch = tx;
  batch.replace(batch.find("transaction"), 11, "batch");
  Reply b = call("POST", "/", batch);
  EXPECT_EQ(b.status, 200);
  EXPECT_EQ(b.body.find("Quixotelberry"), std::string::npos);
  EXPECT_EQ(b.body.find("Zanzibarite"), std::string::npos);
  // Unparseable JSON: the parser's error names no content either.
  Reply p = call("POST", "/Patient", R"({"resourceType":"Patient","name":"Quixotelberry",})");
  EXPECT_EQ(p.status, 400);
  EXPECT_EQ(p.body.find("Quixotelberry"), std::string::npos);
  EXPECT_EQ(store_->count_records(), 0);
}

TEST_F(RestBundleTest, StoreFailureIsATransient503AndReadsStillWork) {
  ASSERT_EQ(call("PUT", "/Patient/s1", R"({"resourceType":"Patient","id":"s1"})").status, 201);
  store_->close();  // later submissions fail (kFailed); reads keep working
  Reply r = call("POST", "/Patient", R"({"resourceType":"Patient","active":true})");
  EXPECT_EQ(r.status, 503) << r.body;
  EXPECT_TRUE(is_operation_outcome(r));
  EXPECT_EQ(text_at(r.json(), {"issue", "0", "code"}), "transient");
  EXPECT_FALSE(r.header("Retry-After").empty());
  EXPECT_EQ(call("GET", "/Patient/s1").status, 200);
}

TEST_F(RestBundleTest, HostileShapesAreRefused) {
  // Too many identifier alternatives, a Bundle of the wrong type, a nested
  // Bundle in a batch, and non-object bodies.
  std::string many = "/Patient?identifier=a";
  for (int i = 0; i < 200; ++i) many += ",a";
  EXPECT_EQ(call("GET", many).status, 400);
  EXPECT_EQ(call("POST", "/", R"({"resourceType":"Bundle","type":"collection"})").status, 400);
  Reply nested = call("POST", "/", R"({"resourceType":"Bundle","type":"batch","entry":[
    {"resource":{"resourceType":"Bundle","type":"batch"},"request":{"method":"POST","url":"/"}}]})");
  ASSERT_EQ(nested.status, 200);
  EXPECT_EQ(text_at(nested.json(), {"entry", "0", "response", "status"}), "400 Bad Request");
  EXPECT_EQ(call("POST", "/Patient", "[1,2,3]").status, 400);
  EXPECT_EQ(call("POST", "/Patient", "\"Patient\"").status, 400);
  EXPECT_EQ(call("GET", "/Patient?identifier=%ZZ").status, 400);
  EXPECT_EQ(call("GET", "/Patient?identifier=urn:sys%7C").status, 400);  // system only
  EXPECT_EQ(store_->count_records(), 0);
}

}  // namespace
}  // namespace gw::rest::testing
