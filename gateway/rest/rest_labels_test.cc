// Sensitivity labels on the REST path, over real HTTPS against a real store:
// a written record gets the labels its codes call for, labels the client sent
// are kept, and the response shows what was stored.
#include "gateway/labels/record_scope.h"
#include "gateway/rest/rest_test_util.h"

namespace gw::rest::testing {
namespace {

using ledger::consortium::Label;
using ledger::consortium::label_bit;

const char* kPsychCondition = R"({"resourceType":"Condition",
  "meta":{"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"SDV"}]},
  "subject":{"reference":"Patient/p1"},
  "code":{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10-cm","code":"F31.2"}]}})";

class RestLabelsTest : public RestFixture {
 protected:
  void SetUp() override {
    RestFixture::SetUp();
    start();
  }
  static uint64_t labels_of(const Reply& r) { return labels::record_label_bits(r.json()); }
};

TEST_F(RestLabelsTest, CreateLabelsKeepsClientLabelsAndAnswersWithTheStoredResource) {
  Reply c = call("POST", "/Condition", kPsychCondition);
  ASSERT_EQ(c.status, 201) << c.body;
  const uint64_t expected = label_bit(Label::kPsy) | label_bit(Label::kSdv);
  EXPECT_EQ(labels_of(c), expected) << c.body;
  Reply read = call("GET", "/Condition/" + text_at(c.json(), {"id"}));
  ASSERT_EQ(read.status, 200);
  EXPECT_EQ(labels_of(read), expected) << read.body;
  // Sorted by (system, code): PSY before SDV, the added one with its display.
  EXPECT_EQ(text_at(read.json(), {"meta", "security", "0", "code"}), "PSY");
  EXPECT_EQ(text_at(read.json(), {"meta", "security", "0", "display"}),
            "psychiatry disorder information sensitivity");
  EXPECT_EQ(text_at(read.json(), {"meta", "security", "1", "code"}), "SDV");
}

TEST_F(RestLabelsTest, UpdateWithoutSensitiveCodesKeepsTheClientsLabelsOnly) {
  Reply u = call("PUT", "/Condition/c1", R"({"resourceType":"Condition","id":"c1",
    "meta":{"security":[{"system":"http://terminology.hl7.org/CodeSystem/v3-Confidentiality","code":"R"}]},
    "subject":{"reference":"Patient/p1"},
    "code":{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10-cm","code":"I10"}]}})");
  ASSERT_EQ(u.status, 201) << u.body;
  EXPECT_EQ(labels_of(u), label_bit(Label::kRestricted));
  // A second identical write is still no new version: labeling is deterministic.
  Reply psy = call("PUT", "/Condition/c2", R"({"resourceType":"Condition","id":"c2",
    "subject":{"reference":"Patient/p1"},
    "code":{"coding":[{"system":"http://snomed.info/sct","code":"58214004"}]}})");
  ASSERT_EQ(psy.status, 201) << psy.body;
  EXPECT_EQ(labels_of(psy), label_bit(Label::kPsy));
  Reply again = call("PUT", "/Condition/c2", R"({"resourceType":"Condition","id":"c2",
    "subject":{"reference":"Patient/p1"},
    "code":{"coding":[{"system":"http://snomed.info/sct","code":"58214004"}]}})");
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(again.header("ETag"), "W/\"1\"");
}

TEST_F(RestLabelsTest, ATransactionPropagatesLabelsAlongItsReferences) {
  Reply r = call("POST", "/", R"({"resourceType":"Bundle","type":"transaction","entry":[
 {"fullUrl":"urn:uuid:7d0c2a4e-0000-4000-8000-000000000001",
  "resource":{"resourceType":"Observation","status":"final",
              "code":{"coding":[{"system":"http://loinc.org","code":"56888-1"}]}},
  "request":{"method":"POST","url":"Observation"}},
 {"fullUrl":"urn:uuid:7d0c2a4e-0000-4000-8000-000000000002",
  "resource":{"resourceType":"DiagnosticReport","status":"final","code":{"text":"HIV screen"},
              "result":[{"reference":"urn:uuid:7d0c2a4e-0000-4000-8000-000000000001"}]},
  "request":{"method":"POST","url":"DiagnosticReport"}}]})");
  ASSERT_EQ(r.status, 200) << r.body;
  const std::string report = text_at(r.json(), {"entry", "1", "response", "location"});
  ASSERT_EQ(report.rfind("DiagnosticReport/", 0), 0u) << report;
  Reply read = call("GET", "/" + report.substr(0, report.find("/_history")));
  ASSERT_EQ(read.status, 200) << read.body;
  EXPECT_EQ(labels_of(read), label_bit(Label::kHiv)) << read.body;
}

}  // namespace
}  // namespace gw::rest::testing
