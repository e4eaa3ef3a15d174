#include "fhir/validate/validator.h"

#include "fhir/defs/definitions.h"
#include "fhir/validate/walker.h"

namespace gw::fhir {
namespace {

const char* severity_code(IssueSeverity s) {
  switch (s) {
    case IssueSeverity::kFatal:
      return "fatal";
    case IssueSeverity::kError:
      return "error";
    case IssueSeverity::kWarning:
      return "warning";
    case IssueSeverity::kInformation:
      return "information";
  }
  return "error";
}

}  // namespace

bool ValidationResult::ok() const {
  for (const auto& i : issues)
    if (i.severity == IssueSeverity::kFatal || i.severity == IssueSeverity::kError) return false;
  return true;
}

ValidationResult validate_resource(const JsonValue& resource, const ValidationOptions& options) {
  ValidationResult result;
  validation::Walker walker(options, result.issues);
  walker.validate_root(resource);
  return result;
}

JsonValue operation_outcome(const std::vector<ValidationIssue>& issues) {
  JsonValue oo = JsonValue::make_object();
  oo.add("resourceType", JsonValue::make_string("OperationOutcome"));
  JsonValue& list = oo.add("issue", JsonValue::make_array());
  if (issues.empty()) {
    JsonValue& i = list.push(JsonValue::make_object());
    i.add("severity", JsonValue::make_string("information"));
    i.add("code", JsonValue::make_string("informational"));
    i.add("diagnostics", JsonValue::make_string("All OK"));
    return oo;
  }
  for (const auto& issue : issues) {
    JsonValue& i = list.push(JsonValue::make_object());
    i.add("severity", JsonValue::make_string(severity_code(issue.severity)));
    i.add("code", JsonValue::make_string(issue.code.empty() ? "invalid" : issue.code));
    if (!issue.message.empty()) {
      i.add("details", JsonValue::make_object()).add("text", JsonValue::make_string(issue.message));
      i.add("diagnostics", JsonValue::make_string(issue.message));
    }
    if (!issue.path.empty()) {
      i.add("expression", JsonValue::make_array()).push(JsonValue::make_string(issue.path));
    }
  }
  return oo;
}

bool is_resource_type(std::string_view type) {
  const defs::TypeDef* t = defs::definitions().find_type(type);
  return t != nullptr && t->kind == defs::TypeKind::kResource && !t->is_abstract;
}

}  // namespace gw::fhir
