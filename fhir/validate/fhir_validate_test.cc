// Validation of whole resources: valid fixtures of many types, and each kind
// of error with its exact code and path.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "fhir/json/write.h"
#include "fhir/validate/validate_test_support.h"
#include "fhir/validate/validator.h"

namespace gw::fhir {
namespace {

using testing::HasIssue;
using testing::HasOnlyError;
using testing::load_fixture;
using testing::validate_text;

// ---- valid resources of many types ------------------------------------------

class ValidFixture : public ::testing::TestWithParam<std::string> {};

TEST_P(ValidFixture, HasNoIssues) {
  JsonValue resource = load_fixture("valid/" + GetParam());
  ValidationResult r = validate_resource(resource);
  EXPECT_TRUE(r.ok()) << testing::describe(r);
  EXPECT_TRUE(r.issues.empty()) << testing::describe(r);
}

std::vector<std::string> valid_fixtures() {
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(testing::testdata_dir() / "valid"))
    names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

INSTANTIATE_TEST_SUITE_P(AllTypes, ValidFixture, ::testing::ValuesIn(valid_fixtures()),
                         [](const auto& info) {
                           std::string n = info.param.substr(0, info.param.find('.'));
                           return n;
                         });

TEST(ValidFixtures, CoverManyResourceTypes) { EXPECT_GE(valid_fixtures().size(), 24u); }

// Each fixture, broken in one place, yields exactly the expected error.
struct Mutation {
  const char* fixture;
  const char* member;  // top-level member to remove
  const char* code;
  const char* path;
};

class RemoveRequired : public ::testing::TestWithParam<Mutation> {};

TEST_P(RemoveRequired, ReportsMissingElement) {
  const Mutation& m = GetParam();
  JsonValue resource = load_fixture(std::string("valid/") + m.fixture);
  ASSERT_TRUE(resource.remove(m.member)) << m.member;
  EXPECT_TRUE(HasOnlyError(validate_resource(resource), m.code, m.path));
}

INSTANTIATE_TEST_SUITE_P(
    ManyTypes, RemoveRequired,
    ::testing::Values(
        Mutation{"observation.json", "status", "required", "Observation.status"},
        Mutation{"observation.json", "code", "required", "Observation.code"},
        Mutation{"encounter.json", "class", "required", "Encounter.class"},
        Mutation{"messageheader.json", "source", "required", "MessageHeader.source"},
        Mutation{"messageheader.json", "eventCoding", "required", "MessageHeader.event[x]"},
        Mutation{"provenance.json", "recorded", "required", "Provenance.recorded"},
        Mutation{"allergyintolerance.json", "patient", "required", "AllergyIntolerance.patient"},
        Mutation{"condition.json", "subject", "required", "Condition.subject"},
        Mutation{"procedure.json", "status", "required", "Procedure.status"},
        Mutation{"coverage.json", "payor", "required", "Coverage.payor"},
        Mutation{"servicerequest.json", "intent", "required", "ServiceRequest.intent"},
        Mutation{"diagnosticreport.json", "code", "required", "DiagnosticReport.code"},
        Mutation{"immunization.json", "occurrenceDateTime", "required",
                 "Immunization.occurrence[x]"},
        Mutation{"appointment.json", "participant", "required", "Appointment.participant"},
        Mutation{"documentreference.json", "content", "required", "DocumentReference.content"},
        Mutation{"relatedperson.json", "patient", "required", "RelatedPerson.patient"},
        Mutation{"operationoutcome.json", "issue", "required", "OperationOutcome.issue"},
        Mutation{"medicationrequest.json", "subject", "required", "MedicationRequest.subject"},
        Mutation{"bundle_transaction.json", "type", "required", "Bundle.type"}),
    [](const auto& info) {
      std::string f = info.param.fixture;
      return f.substr(0, f.find('.')) + "_" + info.param.member;
    });

// ---- resourceType ---------------------------------------------------------------

TEST(ValidateResourceType, UnknownAndMissingAndAbstract) {
  EXPECT_TRUE(HasOnlyError(validate_text(R"({"resourceType":"Patiens"})"), "not-supported",
                           "resourceType"));
  EXPECT_TRUE(HasOnlyError(validate_text(R"({"resourceType":"DomainResource"})"), "not-supported",
                           "resourceType"));
  EXPECT_TRUE(HasOnlyError(validate_text(R"({"id":"x"})"), "required", "resourceType"));
  EXPECT_TRUE(
      HasOnlyError(validate_text(R"({"resourceType":7})"), "not-supported", "resourceType"));
  EXPECT_TRUE(HasOnlyError(validate_text(R"([1])"), "structure", "Resource"));
  EXPECT_TRUE(validate_text(R"({"resourceType":"Basic","code":{"text":"x"}})").ok());
}

// ---- unknown elements and choice types --------------------------------------

TEST(ValidateStructure, UnknownElements) {
  EXPECT_TRUE(HasOnlyError(validate_text(R"({"resourceType":"Patient","nmae":[{"text":"x"}]})"),
                           "structure", "Patient.nmae"));
  auto r = validate_text(
      R"({"resourceType":"Observation","status":"final","code":{"text":"x"},"valueFoo":"1"})");
  EXPECT_TRUE(HasOnlyError(r, "structure", "Observation.valueFoo"));
  // The bare choice name is not a JSON member name.
  r = validate_text(
      R"({"resourceType":"Observation","status":"final","code":{"text":"x"},"value":1})");
  EXPECT_TRUE(HasOnlyError(r, "structure", "Observation.value"));
  // Nested, inside a data type and a backbone element.
  r = validate_text(
      R"({"resourceType":"Patient","contact":[{"name":{"family":"x","middle":"y"}}]})");
  EXPECT_TRUE(HasOnlyError(r, "structure", "Patient.contact[0].name.middle"));
  // resourceType inside a data type is not an element.
  r = validate_text(R"({"resourceType":"Patient","name":[{"resourceType":"HumanName"}]})");
  EXPECT_TRUE(HasOnlyError(r, "structure", "Patient.name[0].resourceType"));
}

TEST(ValidateStructure, UnreportableKeysAreMasked) {
  auto r = validate_text(R"({"resourceType":"Patient","John Smith 1970":true})");
  EXPECT_TRUE(HasOnlyError(r, "structure", "Patient.*"));
}

TEST(ValidateStructure, AtMostOneChoiceVariant) {
  auto r = validate_text(
      R"({"resourceType":"Patient","deceasedBoolean":true,"deceasedDateTime":"2020-01-01"})");
  EXPECT_TRUE(HasOnlyError(r, "structure", "Patient.deceasedDateTime"));
}

// ---- cardinality and JSON shape ----------------------------------------------

TEST(ValidateStructure, ArraysAndSingleValues) {
  EXPECT_TRUE(HasOnlyError(validate_text(R"({"resourceType":"Patient","name":{"family":"x"}})"),
                           "structure", "Patient.name"));
  EXPECT_TRUE(HasOnlyError(validate_text(R"({"resourceType":"Patient","gender":["male"]})"),
                           "structure", "Patient.gender"));
  EXPECT_TRUE(HasOnlyError(validate_text(R"({"resourceType":"Patient","name":[{"given":"Al"}]})"),
                           "structure", "Patient.name[0].given"));
  EXPECT_TRUE(
      HasOnlyError(validate_text(R"({"resourceType":"Patient","name":[{"given":["a",null]}]})"),
                   "structure", "Patient.name[0].given[1]"));
  // A badly shaped "_name" does not hide problems of the value itself.
  auto r = validate_text(R"({"resourceType":"Patient","gender":"mal","_gender":[{"id":"a"}]})");
  EXPECT_EQ(r.issues.size(), 2u) << testing::describe(r);
  EXPECT_TRUE(HasIssue(r, "structure", "Patient.gender"));
  EXPECT_TRUE(HasIssue(r, "code-invalid", "Patient.gender"));
}

TEST(ValidateStructure, JsonTypeMustMatch) {
  EXPECT_TRUE(HasOnlyError(validate_text(R"({"resourceType":"Patient","active":"true"})"),
                           "structure", "Patient.active"));
  EXPECT_TRUE(HasOnlyError(validate_text(R"({"resourceType":"Patient","birthDate":19700101})"),
                           "structure", "Patient.birthDate"));
  EXPECT_TRUE(
      HasOnlyError(validate_text(R"({"resourceType":"Patient","multipleBirthInteger":"2"})"),
                   "structure", "Patient.multipleBirthInteger"));
  EXPECT_TRUE(HasOnlyError(validate_text(R"({"resourceType":"Patient","maritalStatus":"M"})"),
                           "structure", "Patient.maritalStatus"));
  EXPECT_TRUE(HasOnlyError(validate_text(R"({"resourceType":"Patient","birthDate":null})"),
                           "structure", "Patient.birthDate"));
}

TEST(ValidateStructure, EmptyObjectsArraysAndStrings) {
  EXPECT_TRUE(HasOnlyError(validate_text(R"({"resourceType":"Patient","name":[]})"), "invariant",
                           "Patient.name"));
  EXPECT_TRUE(HasOnlyError(validate_text(R"({"resourceType":"Patient","name":[{}]})"), "invariant",
                           "Patient.name[0]"));
  EXPECT_TRUE(HasOnlyError(validate_text(R"({"resourceType":"Patient","maritalStatus":{}})"),
                           "invariant", "Patient.maritalStatus"));
  EXPECT_TRUE(HasOnlyError(validate_text(R"({"resourceType":"Patient","name":[{"family":""}]})"),
                           "invariant", "Patient.name[0].family"));
}

TEST(ValidateStructure, RequiredInBackboneAndDataTypes) {
  auto r = validate_text(R"({"resourceType":"Patient","link":[{"type":"seealso"}]})");
  EXPECT_TRUE(HasOnlyError(r, "required", "Patient.link[0].other"));
  r = validate_text(R"({"resourceType":"Patient","extension":[{"valueString":"x"}]})");
  EXPECT_TRUE(HasOnlyError(r, "required", "Patient.extension[0].url"));
}

TEST(ValidateStructure, CollectsAllProblems) {
  auto r = validate_text(
      R"({"resourceType":"Patient","foo":1,"gender":"x","birthDate":"1970-13","active":1})");
  EXPECT_EQ(r.issues.size(), 4u) << testing::describe(r);
  EXPECT_TRUE(HasIssue(r, "structure", "Patient.foo"));
  EXPECT_TRUE(HasIssue(r, "code-invalid", "Patient.gender"));
  EXPECT_TRUE(HasIssue(r, "value", "Patient.birthDate"));
  EXPECT_TRUE(HasIssue(r, "structure", "Patient.active"));
}

// ---- primitive extensions ("_name") -------------------------------------------

TEST(ValidatePrimitiveExtensions, ShapesAndAlignment) {
  const char* ext = R"({"extension":[{"url":"http://e.org/x","valueCode":"CL"}]})";
  // Extension without a value is allowed for primitives.
  EXPECT_TRUE(
      validate_text(std::string(R"({"resourceType":"Patient","_birthDate":)") + ext + "}").ok());
  // Aligned arrays with null placeholders.
  EXPECT_TRUE(
      validate_text(
          std::string(R"({"resourceType":"Patient","name":[{"given":["a",null],"_given":[null,)") +
          ext + "]}]}")
          .ok());
  auto r =
      validate_text(R"({"resourceType":"Patient","name":[{"given":["a","b"],"_given":[null]}]})");
  EXPECT_TRUE(HasOnlyError(r, "structure", "Patient.name[0].given"));
  r = validate_text(R"({"resourceType":"Patient","_birthDate":"x"})");
  EXPECT_TRUE(HasOnlyError(r, "structure", "Patient.birthDate"));
  r = validate_text(R"({"resourceType":"Patient","_birthDate":{"extension":[{"url":"u"}]}})");
  EXPECT_TRUE(HasOnlyError(r, "invariant", "Patient.birthDate.extension[0]"));
  r = validate_text(R"({"resourceType":"Patient","_birthDate":{"foo":1}})");
  EXPECT_TRUE(HasOnlyError(r, "structure", "Patient.birthDate.foo"));
  // "_name" exists only for primitive elements.
  r = validate_text(R"({"resourceType":"Patient","_name":[{"id":"a"}]})");
  EXPECT_TRUE(HasOnlyError(r, "structure", "Patient._name"));
  r = validate_text(R"({"resourceType":"Patient","name":[{"_id":{"id":"a"},"family":"x"}]})");
  EXPECT_TRUE(HasOnlyError(r, "structure", "Patient.name[0]._id"));
}

// ---- extensions ----------------------------------------------------------------

TEST(ValidateExtensions, Ext1) {
  auto r = validate_text(
      R"({"resourceType":"Patient","extension":[{"url":"http://e.org/a","valueString":"v","extension":[{"url":"b","valueBoolean":true}]}]})");
  EXPECT_TRUE(HasOnlyError(r, "invariant", "Patient.extension[0]"));
  r = validate_text(R"({"resourceType":"Patient","modifierExtension":[{"url":"http://e.org/a"}]})");
  EXPECT_TRUE(HasOnlyError(r, "invariant", "Patient.modifierExtension[0]"));
  r = validate_text(
      R"({"resourceType":"Patient","extension":[{"url":"http://e.org/a","extension":[{"url":"b","valueQuantity":{"value":"1"}}]}]})");
  EXPECT_TRUE(
      HasOnlyError(r, "structure", "Patient.extension[0].extension[0].valueQuantity.value"));
  r = validate_text(
      R"({"resourceType":"Patient","extension":[{"url":"http://e.org/a","valueStrin":"v"}]})");
  EXPECT_TRUE(HasIssue(r, "structure", "Patient.extension[0].valueStrin"));
}

}  // namespace
}  // namespace gw::fhir
