// Plain (non-canonical) JSON output: members in the order they were added or
// parsed, for documents people read (gatewayctl convert, REST responses).
// Hash and sign only canonicalize()'s output, never this.
#pragma once

#include <string>

#include "fhir/json/json.h"

namespace gw::fhir {

// Compact, or indented by two spaces per level when `pretty`. Strings are
// escaped as in canonical form; numbers are written as their text. Iterative.
std::string write_json(const JsonValue& value, bool pretty = false);

}  // namespace gw::fhir
