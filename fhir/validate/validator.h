// Validation of FHIR R4 (4.0.1) JSON resources against the official base
// definitions (fhir/defs, generated at build time from the pinned
// StructureDefinitions and ValueSets).
//
// Checked: resourceType known and concrete; unknown members (wrong choice
// suffixes included); cardinality (min, max, array vs single value); JSON
// type and lexical form of every primitive (hand-written checks of the R4
// regular expressions, plus calendar validity of dates and integer ranges);
// no control characters in any string-typed primitive (C0 other than TAB, CR
// and LF, DEL, C1: an error, see primitives.h);
// primitive extensions "_name" (shape and alignment with value arrays);
// empty objects, arrays and strings (ele-1); at most one choice variant;
// Extension: url present and exactly one of value[x] / nested extensions
// (ext-1); Reference.reference syntax and, where the reference (or
// Reference.type) names the target type, that type against the element's
// allowed targets; "#id" references resolve to a contained resource;
// required value-set bindings on code, Coding and CodeableConcept (a coding
// from the value set) when the value set is enumerable from the bundle;
// contained resources (recursively, no nested contained: dom-2; no
// meta.versionId/lastUpdated: dom-4) and Bundle/Parameters entry resources.
//
// NOT checked: FHIRPath invariants other than ele-1, ext-1, dom-2 and dom-4;
// profiles (meta.profile) and slicing; extensible/preferred bindings; codes
// of value sets not enumerable from the bundle (MIME types, UCUM units,
// currencies and four value sets the bundle lacks: see the generated
// tables' header comment); XHTML content of Narrative.div beyond "is a
// <div> element"; Bundle-level rules (fullUrl uniqueness, reference
// resolution inside the Bundle).
//
// Issues never contain values from the resource: paths are built from
// element names (member names not shaped like FHIR names are shown as "*"),
// indexes and known type names; messages are fixed texts.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "fhir/json/json.h"

namespace gw::fhir {

enum class IssueSeverity { kFatal, kError, kWarning, kInformation };

struct ValidationIssue {
  IssueSeverity severity = IssueSeverity::kError;
  // FHIR IssueType code: "structure", "required", "value", "invariant",
  // "code-invalid", "not-supported", "too-costly", "invalid".
  std::string code;
  // FHIRPath-like location: "Patient.name[0].given[1]",
  // "Bundle.entry[2].resource.ofType(Observation).valueQuantity.value".
  std::string path;
  // Fixed description; never contains values from the resource.
  std::string message;
};

struct ValidationOptions {
  // Stop collecting after this many (then one "too-costly" issue says so).
  size_t max_issues = 100;
  // Resources being created may lack id.
  bool allow_missing_id = true;
};

struct ValidationResult {
  std::vector<ValidationIssue> issues;
  // No issue of severity fatal or error.
  bool ok() const;
};

// Validates one resource (any type; reads resourceType). Validates contained
// resources and Bundle entry resources recursively (bounded depth).
ValidationResult validate_resource(const JsonValue& resource,
                                   const ValidationOptions& options = {});

// Builds an OperationOutcome resource from issues (expression = path,
// diagnostics = message, details.text optional). With no issues: one
// "information" issue "All OK".
JsonValue operation_outcome(const std::vector<ValidationIssue>& issues);

// Is `type` a known (concrete) resource type name (for REST routing)?
bool is_resource_type(std::string_view type);

}  // namespace gw::fhir
