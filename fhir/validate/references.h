// Syntax of Reference.reference values (R4 references.html): relative
// "Type/id[/_history/vid]", conditional "Type?query" (transactions), absolute
// URLs, "#id" (contained) and URNs (urn:uuid:, urn:oid:).
#pragma once

#include <string_view>

namespace gw::fhir::validation {

struct ParsedReference {
  enum class Kind { kInvalid, kRelative, kConditional, kAbsolute, kContained, kUrn };
  Kind kind = Kind::kInvalid;
  // The resource type the reference shows (relative, conditional, and absolute
  // URLs ending in Type/id[/_history/vid]); may be a name that is not a
  // resource type: callers check. Empty when not visible.
  std::string_view type;
  std::string_view contained_id;  // kContained: text after '#' (empty: the container)
  const char* problem = nullptr;  // kInvalid: fixed message
};

ParsedReference parse_reference(std::string_view reference);

}  // namespace gw::fhir::validation
