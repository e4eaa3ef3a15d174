// The v2-0074 diagnostic service sections by which category_of() (scope.h)
// puts a DiagnosticReport into Category::kLaboratory and Category::kImaging.
// Listed so that a test can check that the v2 mapping, which keeps its own
// copy (adapters/v2fhir/result_sections.h), agrees.
#pragma once

#include <span>
#include <string_view>

namespace gw::ledger::consortium {

std::span<const std::string_view> laboratory_sections();
std::span<const std::string_view> imaging_sections();

}  // namespace gw::ledger::consortium
