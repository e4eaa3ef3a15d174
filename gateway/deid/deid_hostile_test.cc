// Hostile and malformed input: refused with a clear error that holds no
// patient data, or de-identified without a crash into valid R4.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "fhir/validate/validator.h"
#include "gateway/deid/deid_test_support.h"
#include "gateway/deid/safe_harbor.h"

namespace gw::deid {
namespace {

using namespace test_support;

const std::string kPatientJson = R"({"resourceType":"Patient","id":"p1","gender":"male"})";

class DeidHostileTest : public ::testing::Test {
 protected:
  Result<DeidResult> run(std::vector<Record> records, std::string_view token = kToken) {
    return deidentify(records, key_, token, opts_);
  }
  static Record patient() { return Record{"Patient", "p1", kPatientJson}; }
  void expect_refused(const Result<DeidResult>& r, StatusCode code, const std::string& phi = "") {
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code(), code) << r.error().to_string();
    if (!phi.empty()) {
      EXPECT_EQ(r.error().message().find(phi), std::string::npos);
    }
  }
  void expect_valid(const DeidResult& r) {
    fhir::ValidationOptions strict;
    strict.allow_missing_id = false;
    for (const Record& rec : r.records) {
      EXPECT_TRUE(fhir::validate_resource(parse(rec), strict).ok()) << rec.resource_type;
    }
  }
  crypto::SecretBytes key_ = study_key(0x33);
  SafeHarborOptions opts_ = options();
};

TEST_F(DeidHostileTest, BadArgumentsAreRefused) {
  crypto::SecretBytes short_key =
      std::move(*crypto::SecretBytes::copy_of(std::vector<uint8_t>(16, 1)));
  std::vector<Record> one{patient()};
  expect_refused(deidentify(one, short_key, kToken, opts_), StatusCode::kInvalidArgument);
  expect_refused(run(one, ""), StatusCode::kInvalidArgument);
  expect_refused(run(one, "has space"), StatusCode::kInvalidArgument);
  expect_refused(run(one, std::string(200, 'a')), StatusCode::kInvalidArgument);
  opts_.study_id = "study one";
  expect_refused(run(one), StatusCode::kInvalidArgument);
  opts_ = options();
  opts_.restricted_zip3 = {"36"};
  expect_refused(run(one), StatusCode::kInvalidArgument);
  opts_ = options();
  opts_.reference_date = std::chrono::year_month_day{};
  expect_refused(run(one), StatusCode::kInvalidArgument);
}

TEST_F(DeidHostileTest, RecordsThatAreNotWhatTheySayAreRefusedByIndex) {
  auto r = run({patient(), Record{"Observation", "o1", "{not json"}});
  expect_refused(r, StatusCode::kInvalidArgument);
  EXPECT_NE(r.error().message().find("record 1"), std::string::npos);
  // The type and the id must be the record's, and the type a resource type.
  expect_refused(run({patient(), Record{"Observation", "o1", kPatientJson}}),
                 StatusCode::kInvalidArgument, "Patient");
  expect_refused(run({Record{"Patient", "p2", kPatientJson}}), StatusCode::kInvalidArgument);
  expect_refused(run({Record{"Zwolinski", "p1", R"({"resourceType":"Zwolinski","id":"p1"})"}}),
                 StatusCode::kInvalidArgument, "Zwolinski");
  expect_refused(
      run({Record{"Patient", "bad id!", R"({"resourceType":"Patient","id":"bad id!"})"}}),
      StatusCode::kInvalidArgument, "bad id");
  expect_refused(run({patient(), patient()}), StatusCode::kInvalidArgument);
  expect_refused(run({Record{"Patient", "p1", "[1,2]"}}), StatusCode::kInvalidArgument);
  // No Patient: nothing to link the study to.
  expect_refused(run({Record{"Observation", "o1",
                             R"({"resourceType":"Observation","id":"o1","status":"final",
                                 "code":{"text":"x"}})"}}),
                 StatusCode::kInvalidArgument);
}

TEST_F(DeidHostileTest, LimitsAreEnforced) {
  opts_.max_records = 2;
  expect_refused(run({patient(), patient(), patient()}), StatusCode::kResourceExhausted);
  opts_ = options();
  opts_.max_total_bytes = 10;
  expect_refused(run({patient()}), StatusCode::kResourceExhausted);
  opts_ = options();
  opts_.max_record_bytes = 1000;
  std::string big = R"({"resourceType":"Patient","id":"p1","gender":"male","name":[{"family":")" +
                    std::string(2000, 'x') + R"("}]})";
  expect_refused(run({Record{"Patient", "p1", big}}), StatusCode::kInvalidArgument, "xxxx");
}

TEST_F(DeidHostileTest, CascadesOfReWalksAreBounded) {
  // The statement is walked first and keeps its device; then the Device
  // drops (modifier), so the statement that needs it is walked again: one
  // walk more than the records' bytes.
  std::vector<Record> records{
      patient(),
      Record{"DeviceUseStatement", "u1", R"({"resourceType":"DeviceUseStatement","id":"u1",
        "status":"active","subject":{"reference":"Patient/p1"},"device":{"reference":"Device/d1"}})"},
      Record{"Device", "d1", R"({"resourceType":"Device","id":"d1",
        "modifierExtension":[{"url":"urn:x","valueBoolean":true}]})"}};
  size_t total = 0;
  for (const Record& r : records) total += r.json.size();
  opts_.max_walk_bytes = total + records[1].json.size();
  auto enough = run(records);
  ASSERT_TRUE(enough.ok()) << enough.error().to_string();
  EXPECT_EQ(enough->records.size(), 1u);
  EXPECT_EQ(enough->dropped_by_reason[DropReason::kNothingSafeLeft], 1u);
  opts_.max_walk_bytes = total + records[1].json.size() - 1;
  expect_refused(run(records), StatusCode::kResourceExhausted);
}

TEST_F(DeidHostileTest, NestingBeyondTheParserLimitIsRefusedAndWithinItHandled) {
  auto nested = [](int depth) {
    std::string s = R"({"url":"urn:x","valueCode":"a"})";
    for (int i = 0; i < depth; ++i) s = R"({"url":"urn:x","extension":[)" + s + "]}";
    return R"({"resourceType":"Patient","id":"p1","extension":[)" + s + "]}";
  };
  expect_refused(run({Record{"Patient", "p1", nested(500)}}), StatusCode::kInvalidArgument);
  auto ok = run({Record{"Patient", "p1", nested(25)}});
  ASSERT_TRUE(ok.ok()) << ok.error().to_string();
  expect_valid(*ok);
  EXPECT_NE(ok->records[0].json.find("\"valueCode\":\"a\""), std::string::npos);
}

TEST_F(DeidHostileTest, WrongJsonTypesAreDroppedNotTrusted) {
  std::string wrong = R"({"resourceType":"Patient","id":"p1","name":"Zwolinski","birthDate":1934,
    "telecom":{"value":"555-0142"},"gender":5,"address":["Portsmouth",{"use":"bogus","type":7,"state":"NH"}],"extension":{"url":"x"},
    "active":"yes","identifier":[null,7],"multipleBirthInteger":"2","contact":[[]],
    "maritalStatus":[{"text":"W"}],"communication":[{"language":{"coding":"pl"}}],
    "unknownElement":{"a":1},"_gender":{"extension":[{"url":"x","valueString":"Zwolinski"}]}})";
  std::string obs = R"({"resourceType":"Observation","id":"o1","status":["final"],
    "code":{"coding":[{"code":"1"}]},"subject":"Patient/p1"})";
  auto r = run({Record{"Patient", "p1", wrong}, Record{"Observation", "o1", obs}});
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  expect_valid(*r);
  ASSERT_EQ(r->records.size(), 1u);  // the Observation lost its required status
  EXPECT_EQ(r->dropped_by_reason[DropReason::kNothingSafeLeft], 1u);
  const std::string& out = r->records[0].json;
  EXPECT_NE(out.find(R"("address":[{"state":"NH"}])"), std::string::npos);
  for (const char* gone : {"Zwolinski", "1934", "555", "Portsmouth", "yes", "unknownElement"}) {
    EXPECT_EQ(out.find(gone), std::string::npos) << gone;
  }
}

TEST_F(DeidHostileTest, ReferenceCyclesAndOddReferencesEnd) {
  // a -> b -> a, both also pointing at a dropped Provenance; references of
  // every shape other than "Type/id[/_history/v]" to a kept record go.
  auto obs = [](const char* id, const char* other) {
    return Record{
        "Observation", id,
        std::string(R"({"resourceType":"Observation","id":")") + id +
            R"(","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"1-8"}]},
                      "subject":{"reference":"Patient/p1/_history/3"},
                      "hasMember":[{"reference":"Observation/)" +
            other + R"("},
                        {"reference":"http://elsewhere.example/Observation/x"},{"reference":"#c1"},
                        {"reference":"urn:uuid:0b6e1a5e-3b1f-4b57-9b7e-1b2c3d4e5f60"},
                        {"reference":"Observation/"},{"reference":"Observation/a/_history/"},
                        {"identifier":{"value":"ACC-1"}}],
                      "derivedFrom":[{"reference":"Provenance/pv"}]})"};
  };
  Record prov{"Provenance", "pv",
              R"({"resourceType":"Provenance","id":"pv","target":[{"reference":"Patient/p1"}],
                  "recorded":"2026-01-01T00:00:00Z","agent":[{"who":{"reference":"Patient/p1"}}]})"};
  auto r = run({patient(), obs("a", "b"), obs("b", "a"), prov});
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  expect_valid(*r);
  ASSERT_EQ(r->records.size(), 3u);
  const std::string patient_ref = "Patient/" + r->records[0].id + "\"";
  for (size_t i = 1; i < 3; ++i) {
    const std::string& json = r->records[i].json;
    EXPECT_NE(json.find(patient_ref), std::string::npos);  // history dropped, resolved
    EXPECT_NE(json.find("Observation/" + r->records[3 - i].id), std::string::npos);
    EXPECT_EQ(json.find("elsewhere"), std::string::npos);
    EXPECT_EQ(json.find("urn:uuid"), std::string::npos);
    EXPECT_EQ(json.find("Provenance"), std::string::npos);
    EXPECT_EQ(json.find("ACC-1"), std::string::npos);
  }
}

TEST_F(DeidHostileTest, APatientWithAModifierExtensionStopsTheTransfer) {
  std::string p = R"({"resourceType":"Patient","id":"p1",
    "modifierExtension":[{"url":"urn:x","valueBoolean":true}]})";
  expect_refused(run({Record{"Patient", "p1", p}}), StatusCode::kFailedPrecondition);
}

TEST_F(DeidHostileTest, ANearlyEmptyPatientStillCarriesThePseudonym) {
  auto r = run({Record{"Patient", "p1", R"({"resourceType":"Patient","id":"p1",
    "name":[{"family":"Zwolinski"}],"birthDate":"1930"})"}});
  ASSERT_TRUE(r.ok());
  expect_valid(*r);
  ASSERT_EQ(r->records.size(), 1u);
  EXPECT_NE(r->records[0].json.find(r->pseudonym), std::string::npos);
  EXPECT_EQ(r->records[0].json.find("Zwolinski"), std::string::npos);
  EXPECT_NE(r->records[0].json.find("urn:gateway:deid:age-90-or-older"), std::string::npos);
}

}  // namespace
}  // namespace gw::deid
