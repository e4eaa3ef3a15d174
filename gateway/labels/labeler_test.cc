#include "gateway/labels/labeler.h"

#include <gtest/gtest.h>

#include "fhir/json/canonical.h"
#include "gateway/labels/record_scope.h"

namespace gw::labels {
namespace {

using ledger::consortium::Label;
using ledger::consortium::label_bit;

store::RecordWrite write(const std::string& type, const std::string& id, const std::string& json) {
  store::RecordWrite w;
  w.resource_type = type;
  w.resource_id = id;
  auto canonical = fhir::canonicalize_json(json);
  EXPECT_TRUE(canonical.ok()) << json;
  w.resource_json = canonical.ok() ? *canonical : json;
  return w;
}

fhir::JsonValue parsed(const std::string& json) {
  auto v = fhir::parse_json(json);
  EXPECT_TRUE(v.ok());
  return v.ok() ? std::move(v).value() : fhir::JsonValue();
}

uint64_t labels_of(const store::RecordWrite& w) {
  return record_label_bits(parsed(w.resource_json));
}

// Labels one record with the defaults and returns its bits.
uint64_t label_one(const std::string& type, const std::string& json) {
  std::vector<store::RecordWrite> batch{write(type, "x", json)};
  EXPECT_TRUE(label_records(*default_rules(), &batch).ok());
  return labels_of(batch[0]);
}

std::string condition(const std::string& system, const std::string& code) {
  return R"({"resourceType":"Condition","id":"x","subject":{"reference":"Patient/p"},)"
         R"("code":{"coding":[{"system":")" +
         system + R"(","code":")" + code + R"(","display":"d"}]}})";
}

std::string observation(const std::string& code, const std::string& value_concept = "") {
  std::string o =
      R"({"resourceType":"Observation","id":"x","status":"final","subject":{"reference":"Patient/p"},)"
      R"("category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"laboratory"}]}],)"
      R"("code":{"coding":[{"system":"http://loinc.org","code":")" +
      code + R"("}]})";
  if (!value_concept.empty()) o += R"(,"valueCodeableConcept":)" + value_concept;
  return o + "}";
}

constexpr const char* kIcd10 = "http://hl7.org/fhir/sid/icd-10";
constexpr const char* kIcd10Cm = "http://hl7.org/fhir/sid/icd-10-cm";

TEST(LabelerTest, EachDefaultLabelOnARealisticResource) {
  EXPECT_EQ(label_one("Condition", condition(kIcd10Cm, "F10.20")), label_bit(Label::kEth));
  EXPECT_EQ(label_one("Condition", condition(kIcd10, "F20.0")), label_bit(Label::kPsy));
  EXPECT_EQ(label_one("Condition", condition(kIcd10Cm, "B20")), label_bit(Label::kHiv));
  EXPECT_EQ(label_one("Condition", condition(kIcd10Cm, "Z21")), label_bit(Label::kHiv));
  EXPECT_EQ(label_one("Condition", condition(kIcd10, "A53.9")), label_bit(Label::kStd));
  EXPECT_EQ(label_one("Condition", condition(kIcd10Cm, "T74.21XA")), label_bit(Label::kSdv));
  EXPECT_EQ(label_one("Condition", condition(kIcd10, "O04.9")), label_bit(Label::kSex));
  EXPECT_EQ(label_one("Condition", condition(kIcd10, "Q90.9")), label_bit(Label::kGdis));
  EXPECT_EQ(label_one("Condition", condition(kIcd10Cm, "D57.1")), label_bit(Label::kSickle));
  EXPECT_EQ(label_one("Condition", condition("http://snomed.info/sct", "58214004")),
            label_bit(Label::kPsy));
  EXPECT_EQ(label_one("Observation", observation("75622-1")), label_bit(Label::kHiv));
  EXPECT_EQ(label_one("Observation", observation("51969-4")), label_bit(Label::kGdis));
  // A coded result: HIV positive (SNOMED) as the value of an unlabeled test code.
  EXPECT_EQ(label_one("Observation",
                      observation("99999-9", R"({"coding":[{"system":"http://snomed.info/sct",)"
                                             R"("code":"165816005"}]})")),
            label_bit(Label::kHiv));
  EXPECT_EQ(label_one("MedicationRequest",
                      R"({"resourceType":"MedicationRequest","id":"x","status":"active",)"
                      R"("intent":"order","subject":{"reference":"Patient/p"},)"
                      R"("medicationCodeableConcept":{"text":"methadone"},)"
                      R"("reasonCode":[{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10-cm",)"
                      R"("code":"F11.20"}]}]})"),
            label_bit(Label::kEth));
  // Unlabeled: ordinary codes, and elements that are not matched.
  EXPECT_EQ(label_one("Condition", condition(kIcd10, "F09")), 0u);
  EXPECT_EQ(label_one("Condition", condition(kIcd10, "I10")), 0u);
  EXPECT_EQ(label_one("Observation", observation("2345-7")), 0u);
  EXPECT_EQ(
      label_one(
          "Patient",
          R"({"resourceType":"Patient","id":"x","note":[{"text":"F20"}],)"
          R"("extension":[{"url":"u","valueCoding":{"system":"http://hl7.org/fhir/sid/icd-10","code":"F20"}}]})"),
      0u);
}

TEST(LabelerTest, WritesSortedCanonicalActCodesAndKeepsClientLabels) {
  // A REST client's labels (one repeated, one from another system) stay.
  std::vector<store::RecordWrite> batch{write(
      "Condition", "c1",
      R"({"resourceType":"Condition","id":"c1","meta":{"security":[)"
      R"({"system":"http://terminology.hl7.org/CodeSystem/v3-Confidentiality","code":"R"},)"
      R"({"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"SDV"},)"
      R"({"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"SDV"}],"tag":[{"code":"t"}]},)"
      R"("subject":{"reference":"Patient/p"},"code":{"coding":[{"system":"http://hl7.org/fhir/sid/icd-10","code":"F10.2"},)"
      R"({"system":"http://hl7.org/fhir/sid/icd-10","code":"F32.1"}]}})")};
  size_t changed = 0;
  ASSERT_TRUE(label_records(*default_rules(), &batch, nullptr, &changed).ok());
  EXPECT_EQ(changed, 1u);
  const std::string& json = batch[0].resource_json;
  EXPECT_EQ(labels_of(batch[0]), label_bit(Label::kEth) | label_bit(Label::kPsy) |
                                     label_bit(Label::kSdv) | label_bit(Label::kRestricted));
  const std::string expected_security =
      R"("security":[)"
      R"({"code":"ETH","display":"substance abuse information sensitivity","system":"http://terminology.hl7.org/CodeSystem/v3-ActCode"},)"
      R"({"code":"PSY","display":"psychiatry disorder information sensitivity","system":"http://terminology.hl7.org/CodeSystem/v3-ActCode"},)"
      R"({"code":"SDV","system":"http://terminology.hl7.org/CodeSystem/v3-ActCode"},)"
      R"({"code":"R","system":"http://terminology.hl7.org/CodeSystem/v3-Confidentiality"}],)"
      R"("tag":[{"code":"t"}])";
  EXPECT_NE(json.find(expected_security), std::string::npos) << json;
  auto again = fhir::canonicalize_json(json);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, json) << "the labeled record is canonical";

  // Labeling again changes nothing, byte for byte.
  const std::string before = json;
  ASSERT_TRUE(label_records(*default_rules(), &batch, nullptr, &changed).ok());
  EXPECT_EQ(changed, 0u);
  EXPECT_EQ(batch[0].resource_json, before);
}

TEST(LabelerTest, UnlabeledRecordsAreLeftByteForByte) {
  // Not canonical on purpose: an untouched record is not even re-serialized.
  store::RecordWrite w;
  w.resource_type = "Observation";
  w.resource_id = "o";
  w.resource_json =
      R"({"resourceType":"Observation", "code":{"coding":[{"system":"http://loinc.org","code":"2345-7"}]}})";
  std::vector<store::RecordWrite> batch{w};
  ASSERT_TRUE(label_records(*default_rules(), &batch).ok());
  EXPECT_EQ(batch[0].resource_json, w.resource_json);
}

TEST(LabelerTest, LabelsPropagateToRecordsThatReferToLabeledOnes) {
  std::vector<store::RecordWrite> batch{
      write("Encounter", "e1",
            R"({"resourceType":"Encounter","id":"e1","status":"finished","class":{"code":"IMP"},)"
            R"("diagnosis":[{"condition":{"reference":"Condition/c1"}}]})"),
      write("Condition", "c1", condition(kIcd10, "F20.0")),
      write(
          "DiagnosticReport", "r1",
          R"({"resourceType":"DiagnosticReport","id":"r1","status":"final","code":{"text":"panel"},)"
          R"("result":[{"reference":"Observation/o1"},{"reference":"Observation/o2"}]})"),
      write("Observation", "o1", observation("2345-7")),
      write("Observation", "o2", observation("75622-1")),
      write(
          "Procedure", "pr1",
          R"({"resourceType":"Procedure","id":"pr1","status":"completed","subject":{"reference":"Patient/p"},)"
          R"("reasonReference":[{"reference":"https://gw.example/fhir/Condition/elsewhere/_history/3"}]})"),
      write("Patient", "p", R"({"resourceType":"Patient","id":"p"})"),
  };
  OutsideLabels outside = [](std::string_view t) -> uint64_t {
    return t == "Condition/elsewhere" ? label_bit(Label::kSdv) | label_bit(Label::kRestricted) : 0;
  };
  ASSERT_TRUE(label_records(*default_rules(), &batch, outside).ok());
  EXPECT_EQ(labels_of(batch[0]), label_bit(Label::kPsy)) << "Encounter <- its diagnosis";
  EXPECT_EQ(labels_of(batch[1]), label_bit(Label::kPsy));
  EXPECT_EQ(labels_of(batch[2]), label_bit(Label::kHiv)) << "report <- its results";
  EXPECT_EQ(labels_of(batch[3]), 0u) << "a sibling result stays unlabeled";
  EXPECT_EQ(labels_of(batch[4]), label_bit(Label::kHiv));
  EXPECT_EQ(labels_of(batch[5]), label_bit(Label::kSdv)) << "confidentiality does not travel";
  EXPECT_EQ(labels_of(batch[6]), 0u) << "labels never flow to the Patient";
}

TEST(LabelerTest, ARecordThatDoesNotParseFailsTheBatchAndChangesNothing) {
  std::vector<store::RecordWrite> batch{write("Condition", "c1", condition(kIcd10, "F20.0")),
                                        write("Condition", "c2", condition(kIcd10, "F20.0"))};
  batch[1].resource_json = R"({"resourceType":"Condition","code":"http://hl7.org/fhir/sid/icd-10)";
  const std::string first = batch[0].resource_json;
  gw::Status s = label_records(*default_rules(), &batch);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kInternal);
  EXPECT_EQ(s.message().find("F20"), std::string::npos) << "no content in the error";
  EXPECT_EQ(batch[0].resource_json, first);
}

TEST(RecordScopeTest, LabelBitsComeFromActCodeAndConfidentialityOnly) {
  auto r = parsed(
      R"({"resourceType":"Condition","meta":{"security":[)"
      R"({"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"HIV"},)"
      R"({"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"R"},)"
      R"({"system":"http://example.org/labels","code":"PSY"},)"
      R"({"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"UNKNOWN"},)"
      R"({"system":"http://terminology.hl7.org/CodeSystem/v3-Confidentiality","code":"V"}]}})");
  EXPECT_EQ(record_label_bits(r), label_bit(Label::kHiv) | label_bit(Label::kVeryRestricted));
  EXPECT_EQ(record_label_bits(parsed(R"({"resourceType":"Condition"})")), 0u);
}

TEST(RecordScopeTest, CategoryBitsFailClosed) {
  using ledger::consortium::Category;
  using ledger::consortium::category_bit;
  EXPECT_EQ(record_category_bits(parsed(R"({"resourceType":"Condition"})")),
            category_bit(Category::kConditions));
  EXPECT_EQ(record_category_bits(parsed(R"({"resourceType":"Patient"})")),
            category_bit(Category::kDemographics));
  EXPECT_EQ(record_category_bits(parsed(R"({"resourceType":"Basic"})")), 0u);
  EXPECT_EQ(record_category_bits(parsed(R"({"id":"x"})")), 0u);
  EXPECT_EQ(record_category_bits(parsed(observation("2345-7"))),
            category_bit(Category::kLaboratory));
  EXPECT_EQ(record_category_bits(parsed(R"({"resourceType":"Observation"})")), 0u)
      << "an Observation without a category";
  const std::string obs_cat = "http://terminology.hl7.org/CodeSystem/observation-category";
  EXPECT_EQ(record_category_bits(
                parsed(R"({"resourceType":"Observation","category":[{"coding":[{"system":")" +
                       obs_cat + R"(","code":"vital-signs"}]},{"coding":[{"system":")" + obs_cat +
                       R"(","code":"exam"}]}]})")),
            0u)
      << "one unmapped category makes the record unmapped";
  EXPECT_EQ(
      record_category_bits(parsed(
          R"({"resourceType":"Observation","category":[{"coding":[{"system":"http://other","code":"laboratory"}]}]})")),
      0u)
      << "the code must be of the observation-category system";
  const std::string v2_0074 = "http://terminology.hl7.org/CodeSystem/v2-0074";
  EXPECT_EQ(
      record_category_bits(parsed(
          R"({"resourceType":"DiagnosticReport","category":[{"coding":[{"system":")" + v2_0074 +
          R"(","code":"HM"}]},{"coding":[{"system":")" + v2_0074 + R"(","code":"RAD"}]}]})")),
      category_bit(Category::kLaboratory) | category_bit(Category::kImaging));
  EXPECT_EQ(record_category_bits(
                parsed(R"({"resourceType":"DiagnosticReport","category":[{"coding":[{"system":")" +
                       v2_0074 + R"(","code":"EC"}]}]})")),
            0u);
}

}  // namespace
}  // namespace gw::labels
