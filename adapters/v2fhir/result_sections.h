// The v2-0074 diagnostic service sections (OBR-24) whose results the mapping
// files under Observation.category "laboratory" and "imaging" (seg_obx.cc).
// They repeat ledger-client/consortium/scope.cc's on purpose (adapters do not
// depend on ledger-client); a gateway test checks that the two agree
// (gateway/pipeline/result_sections_test.cc).
#pragma once

#include <span>
#include <string_view>

namespace gw::v2fhir {

std::span<const std::string_view> laboratory_sections();
std::span<const std::string_view> imaging_sections();

}  // namespace gw::v2fhir
