// References, bindings, contained and entry resources, options, the
// OperationOutcome builder, and the no-PHI-in-issues rule.
#include <gtest/gtest.h>

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

std::string observation_with_subject(const std::string& reference) {
  return R"({"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":")" +
         reference + R"("}})";
}

// ---- references ------------------------------------------------------------------

TEST(ValidateReferences, AcceptedForms) {
  for (const char* ref :
       {"Patient/123", "Patient/a.b-c", "Group/1/_history/2", "Patient?identifier=http://x|1",
        "http://example.org/fhir/Patient/123", "https://h.org/r4/Device/d1/_history/3",
        "http://example.org/some/opaque/thing", "urn:uuid:61ebe359-bfdc-4613-8bf2-c5e300945f0a",
        "urn:oid:1.2.3.4"}) {
    auto r = validate_text(observation_with_subject(ref));
    EXPECT_TRUE(r.ok()) << ref << "\n" << testing::describe(r);
  }
}

TEST(ValidateReferences, MalformedReferences) {
  for (const char* ref :
       {"Patient/", "Patient/a b", "patient/1", "Patient/1/_history/", "Patient/1/x",
        "urn:uuid:61EBE359-BFDC-4613-8BF2-C5E300945F0A", "urn:oid:1.02", "#a b", "Patient?",
        "Patient/"
        "0123456789012345678901234567890123456789012345678901234567890123456789"}) {
    auto r = validate_text(observation_with_subject(ref));
    EXPECT_TRUE(HasOnlyError(r, "value", "Observation.subject.reference")) << ref;
  }
}

TEST(ValidateReferences, TargetTypes) {
  // Observation.subject: Patient | Group | Device | Location.
  EXPECT_TRUE(HasOnlyError(validate_text(observation_with_subject("Practitioner/1")), "structure",
                           "Observation.subject.reference"));
  EXPECT_TRUE(HasOnlyError(validate_text(observation_with_subject("http://h.org/fhir/Encounter/1")),
                           "structure", "Observation.subject.reference"));
  EXPECT_TRUE(HasOnlyError(validate_text(observation_with_subject("Practitioner?name=x")),
                           "structure", "Observation.subject.reference"));
  EXPECT_TRUE(HasOnlyError(validate_text(observation_with_subject("Patientx/1")), "value",
                           "Observation.subject.reference"));
  // Reference.type is checked too, and must agree with the reference.
  auto r = validate_text(
      R"({"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"type":"Organization","identifier":{"value":"1"}}})");
  EXPECT_TRUE(HasOnlyError(r, "structure", "Observation.subject.type"));
  r = validate_text(
      R"({"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"type":"Group","reference":"Patient/1"}})");
  EXPECT_TRUE(HasOnlyError(r, "structure", "Observation.subject.type"));
  // Reference(Any) accepts every type.
  EXPECT_TRUE(
      validate_text(
          R"({"resourceType":"Provenance","target":[{"reference":"Claim/1"}],"recorded":"2020-01-01T00:00:00Z","agent":[{"who":{"reference":"Device/1"}}]})")
          .ok());
}

TEST(ValidateReferences, ContainedReferences) {
  const char* ok = R"({"resourceType":"Observation","status":"final","code":{"text":"x"},
    "contained":[{"resourceType":"Patient","id":"p1"}],"subject":{"reference":"#p1"}})";
  EXPECT_TRUE(validate_text(ok).ok());
  auto r = validate_text(R"({"resourceType":"Observation","status":"final","code":{"text":"x"},
    "contained":[{"resourceType":"Patient","id":"p1"}],"subject":{"reference":"#p2"}})");
  EXPECT_TRUE(HasOnlyError(r, "invariant", "Observation.subject.reference"));
  r = validate_text(R"({"resourceType":"Observation","status":"final","code":{"text":"x"},
    "contained":[{"resourceType":"Practitioner","id":"p1"}],"subject":{"reference":"#p1"}})");
  EXPECT_TRUE(HasOnlyError(r, "structure", "Observation.subject.reference"));
  // Inside a contained resource, "#id" refers to the container's other contained resources.
  EXPECT_TRUE(validate_text(R"({"resourceType":"Observation","status":"final","code":{"text":"x"},
    "contained":[{"resourceType":"Patient","id":"p1","managingOrganization":{"reference":"#o1"}},
                 {"resourceType":"Organization","id":"o1"}]})")
                  .ok());
}

TEST(ValidateReferences, ManyContainedReferences) {
  std::string contained, entries;
  for (int i = 0; i < 2000; ++i) {
    contained += std::string(i ? "," : "") + R"({"resourceType":"Patient","id":"p)" +
                 std::to_string(i) + "\"}";
    entries += std::string(i ? "," : "") + R"({"item":{"reference":"#p)" +
               std::to_string(1999 - i) + "\"}}";
  }
  entries += R"(,{"item":{"reference":"#p2000"}})";
  auto r =
      validate_text(R"({"resourceType":"List","status":"current","mode":"working","contained":[)" +
                    contained + R"(],"entry":[)" + entries + "]}");
  EXPECT_TRUE(HasOnlyError(r, "invariant", "List.entry[2000].item.reference"));
}

// ---- required bindings -------------------------------------------------------------

TEST(ValidateBindings, CodeElements) {
  auto r = validate_text(R"({"resourceType":"Patient","gender":"Male"})");
  EXPECT_TRUE(HasOnlyError(r, "code-invalid", "Patient.gender"));
  r = validate_text(R"({"resourceType":"Observation","status":"done","code":{"text":"x"}})");
  EXPECT_TRUE(HasOnlyError(r, "code-invalid", "Observation.status"));
  // Bindings inside data types: ContactPoint.system, HumanName.use, Quantity.comparator.
  r = validate_text(
      R"({"resourceType":"Patient","telecom":[{"system":"phone"},{"system":"pager2"}]})");
  EXPECT_TRUE(HasOnlyError(r, "code-invalid", "Patient.telecom[1].system"));
  r = validate_text(
      R"({"resourceType":"Observation","status":"final","code":{"text":"x"},"valueQuantity":{"value":1,"comparator":"=<"}})");
  EXPECT_TRUE(HasOnlyError(r, "code-invalid", "Observation.valueQuantity.comparator"));
  // Repeating code elements, inside backbone elements.
  r = validate_text(
      R"({"resourceType":"Location","hoursOfOperation":[{"daysOfWeek":["mon","mo"]}]})");
  EXPECT_TRUE(HasOnlyError(r, "code-invalid", "Location.hoursOfOperation[0].daysOfWeek[1]"));
  // Codes from a whole CodeSystem with nested concepts (resource-types, all-types).
  EXPECT_TRUE(
      validate_text(
          R"({"resourceType":"Questionnaire","status":"draft","subjectType":["Patient","Encounter"]})")
          .ok());
  r = validate_text(
      R"({"resourceType":"Questionnaire","status":"draft","subjectType":["Patient","Patients"]})");
  EXPECT_TRUE(HasOnlyError(r, "code-invalid", "Questionnaire.subjectType[1]"));
}

TEST(ValidateBindings, CodeableConcepts) {
  const char* base =
      R"({"resourceType":"Condition","subject":{"reference":"Patient/1"},"clinicalStatus":)";
  auto r = validate_text(
      std::string(base) +
      R"({"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-clinical","code":"activ"}]}})");
  EXPECT_TRUE(HasOnlyError(r, "code-invalid", "Condition.clinicalStatus"));
  // Right code, wrong system.
  r = validate_text(std::string(base) +
                    R"({"coding":[{"system":"http://snomed.info/sct","code":"active"}]}})");
  EXPECT_TRUE(HasOnlyError(r, "code-invalid", "Condition.clinicalStatus"));
  // Text alone does not satisfy a required binding.
  r = validate_text(std::string(base) + R"({"text":"active"}})");
  EXPECT_TRUE(HasOnlyError(r, "code-invalid", "Condition.clinicalStatus"));
  // One coding from the value set is enough.
  EXPECT_TRUE(
      validate_text(
          std::string(base) +
          R"({"coding":[{"system":"http://snomed.info/sct","code":"55561003"},{"system":"http://terminology.hl7.org/CodeSystem/condition-clinical","code":"remission"}]}})")
          .ok());
}

TEST(ValidateBindings, NotEnumerableValueSetsAreNotChecked) {
  // Attachment.contentType is bound (required) to MIME types: urn:ietf:bcp:13
  // is not in the definitions, so any code passes the binding check.
  EXPECT_TRUE(
      validate_text(R"({"resourceType":"Patient","photo":[{"contentType":"image/x-made-up"}]})")
          .ok());
  // The code's lexical form is still checked.
  auto r = validate_text(R"({"resourceType":"Patient","photo":[{"contentType":"image/png "}]})");
  EXPECT_TRUE(HasOnlyError(r, "value", "Patient.photo[0].contentType"));
}

// ---- contained and entry resources --------------------------------------------------

TEST(ValidateNested, ContainedResources) {
  auto r = validate_text(
      R"({"resourceType":"Patient","contained":[{"resourceType":"Practitioner","id":"a","name":{"family":"x"}}]})");
  EXPECT_TRUE(HasOnlyError(r, "structure", "Patient.contained[0].ofType(Practitioner).name"));
  r = validate_text(
      R"({"resourceType":"Patient","contained":[{"resourceType":"Practitioner","id":"a",
    "contained":[{"resourceType":"Organization","id":"b"}]}]})");
  EXPECT_TRUE(HasOnlyError(r, "invariant", "Patient.contained[0].ofType(Practitioner).contained"));
  r = validate_text(
      R"({"resourceType":"Patient","contained":[{"resourceType":"Practitioner","id":"a","meta":{"versionId":"1"}}]})");
  EXPECT_TRUE(HasOnlyError(r, "invariant", "Patient.contained[0].ofType(Practitioner).meta"));
  r = validate_text(R"({"resourceType":"Patient","contained":[{"resourceType":"Nope","id":"a"}]})");
  EXPECT_TRUE(HasOnlyError(r, "not-supported", "Patient.contained[0].resourceType"));
}

TEST(ValidateNested, BundleEntries) {
  JsonValue bundle = load_fixture("valid/bundle_transaction.json");
  JsonValue* entries = bundle.find_mutable("entry");
  ASSERT_NE(entries, nullptr);
  JsonValue* obs = entries->mutable_items()[2].find_mutable("resource");
  ASSERT_NE(obs, nullptr);
  obs->find_mutable("valueQuantity")->add("value", JsonValue::make_string("6.3"));
  auto r = validate_resource(bundle);
  EXPECT_TRUE(HasOnlyError(r, "structure",
                           "Bundle.entry[2].resource.ofType(Observation).valueQuantity.value"));
  // Entry request.method is a required code.
  entries->mutable_items()[3].find_mutable("request")->add("method",
                                                           JsonValue::make_string("post"));
  r = validate_resource(bundle);
  EXPECT_TRUE(HasIssue(r, "code-invalid", "Bundle.entry[3].request.method"));
  // An unknown resource inside an entry.
  auto r2 = validate_text(
      R"({"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Patient"}},{"resource":{"resourceType":"Foo"}}]})");
  EXPECT_TRUE(HasOnlyError(r2, "not-supported", "Bundle.entry[1].resource.resourceType"));
}

TEST(ValidateNested, RecursiveBackboneElements) {
  auto r = validate_text(
      R"({"resourceType":"Questionnaire","status":"active","item":[{"linkId":"1","type":"group",
    "item":[{"linkId":"1.1","type":"string"},{"linkId":"1.2","type":"group","item":[{"linkId":"1.2.1","type":"strnig"}]}]}]})");
  EXPECT_TRUE(HasOnlyError(r, "code-invalid", "Questionnaire.item[0].item[1].item[0].type"));
  r = validate_text(
      R"({"resourceType":"Parameters","parameter":[{"name":"a","part":[{"name":"b","part":[{"valueString":"x"}]}]}]})");
  EXPECT_TRUE(HasOnlyError(r, "required", "Parameters.parameter[0].part[0].part[0].name"));
}

TEST(ValidateNested, DeepNestingIsBoundedNotFatal) {
  // 300 nested extensions, built directly (the parser would refuse the depth).
  JsonValue inner = JsonValue::make_object();
  inner.add("url", JsonValue::make_string("http://e.org/x"));
  inner.add("valueBoolean", JsonValue::make_bool(true));
  for (int i = 0; i < 150; ++i) {
    JsonValue outer = JsonValue::make_object();
    outer.add("url", JsonValue::make_string("http://e.org/x"));
    outer.add("extension", JsonValue::make_array()).push(std::move(inner));
    inner = std::move(outer);
  }
  JsonValue patient = JsonValue::make_object();
  patient.add("resourceType", JsonValue::make_string("Patient"));
  patient.add("extension", JsonValue::make_array()).push(std::move(inner));
  auto r = validate_resource(patient);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.issues.back().code, "too-costly");
}

TEST(ValidateNested, NestedBundlesAreBounded) {
  std::string doc = R"({"resourceType":"Patient"})";
  for (int i = 0; i < 12; ++i)
    doc = R"({"resourceType":"Bundle","type":"collection","entry":[{"resource":)" + doc + "}]}";
  auto r = validate_text(doc);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.issues.size(), 1u) << testing::describe(r);
  EXPECT_EQ(r.issues[0].code, "too-costly");
}

// ---- options -----------------------------------------------------------------------

TEST(ValidateOptions, MaxIssues) {
  std::string doc = R"({"resourceType":"Patient","name":[)";
  for (int i = 0; i < 50; ++i) doc += std::string(i ? "," : "") + R"({"family":1})";
  doc += "]}";
  ValidationOptions options;
  options.max_issues = 10;
  auto r = validate_text(doc, options);
  ASSERT_EQ(r.issues.size(), 11u);
  EXPECT_EQ(r.issues[9].path, "Patient.name[9].family");
  EXPECT_EQ(r.issues[10].code, "too-costly");
  EXPECT_EQ(validate_text(doc).issues.size(), 50u);
}

TEST(ValidateOptions, MissingId) {
  ValidationOptions strict;
  strict.allow_missing_id = false;
  EXPECT_TRUE(validate_text(R"({"resourceType":"Patient"})").ok());
  EXPECT_TRUE(HasOnlyError(validate_text(R"({"resourceType":"Patient"})", strict), "required",
                           "Patient.id"));
  EXPECT_TRUE(validate_text(R"({"resourceType":"Patient","id":"p"})", strict).ok());
}

// ---- OperationOutcome --------------------------------------------------------------

TEST(OperationOutcome, AllOkAndIssues) {
  JsonValue ok = operation_outcome({});
  EXPECT_TRUE(validate_resource(ok).ok());
  EXPECT_EQ(
      write_json(ok, false),
      R"({"resourceType":"OperationOutcome","issue":[{"severity":"information","code":"informational","diagnostics":"All OK"}]})");
  auto r = validate_text(R"({"resourceType":"Patient","gender":"x","name":[{"text":""}]})");
  JsonValue oo = operation_outcome(r.issues);
  EXPECT_TRUE(validate_resource(oo).ok()) << testing::describe(validate_resource(oo));
  const JsonValue* issues = oo.find("issue");
  ASSERT_NE(issues, nullptr);
  ASSERT_EQ(issues->items().size(), 2u);
  const JsonValue& first = issues->items()[0];
  EXPECT_EQ(first.find("severity")->text(), "error");
  EXPECT_EQ(first.find("expression")->items()[0].text(), r.issues[0].path);
  EXPECT_EQ(first.find("diagnostics")->text(), r.issues[0].message);
}

// ---- no PHI in issues ---------------------------------------------------------------

TEST(ValidateNoPhi, IssuesNeverContainValues) {
  // Every value below is both distinctive and wrong somewhere.
  auto r = validate_text(R"({"resourceType":"Patient","id":"Zyx Qwerty",
    "identifier":[{"system":"urn:oid:1.2.Zyxqwerty","value":""}],
    "name":[{"family":"Zyxqwerty","given":"Quentinzor"}],
    "gender":"Zyxgender","birthDate":"1970-02-31","telecom":[{"system":"zyxfax","value":"+1 555 ZYX"}],
    "managingOrganization":{"reference":"Zyxorg/1"},
    "generalPractitioner":[{"reference":"#zyxmissing"}],
    "address":[{"line":"Zyx street"}],"deceasedDateTime":"Zyx-99"})");
  ASSERT_GE(r.issues.size(), 10u) << testing::describe(r);
  std::string all = write_json(operation_outcome(r.issues), false);
  for (const char* value : {"Zyx", "zyx", "Qwerty", "Quentinzor", "555", "1970", "02-31", "-99"}) {
    EXPECT_EQ(all.find(value), std::string::npos) << value << " leaked: " << all;
  }
}

}  // namespace
}  // namespace gw::fhir
