// Fuzz target: parse JSON, validate it as a resource, build the
// OperationOutcome. Must never crash, hang or leak values into issues.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "fhir/json/json.h"
#include "fhir/validate/validator.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  auto parsed = gw::fhir::parse_json(input);
  if (!parsed.ok()) return 0;
  gw::fhir::ValidationOptions options;
  options.max_issues = 50;
  auto result = gw::fhir::validate_resource(*parsed, options);
  // Bounded: at most max_issues plus the one "too-costly" issue.
  if (result.issues.size() > options.max_issues + 1) std::abort();
  for (const auto& issue : result.issues) {
    if (issue.code.empty() || issue.message.empty()) std::abort();
  }
  auto outcome = gw::fhir::operation_outcome(result.issues);
  if (!gw::fhir::validate_resource(outcome).ok()) std::abort();
  return 0;
}
