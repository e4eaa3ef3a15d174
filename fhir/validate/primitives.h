// Lexical checks of FHIR R4 primitive values, hand-written from the regular
// expressions in the R4 specification (datatypes.html) for speed.
#pragma once

#include <string_view>

#include "fhir/defs/definitions.h"
#include "fhir/json/json.h"

namespace gw::fhir::validation {

// The JSON type a primitive is written as: boolean -> bool; integer,
// unsignedInt, positiveInt, decimal -> number; everything else -> string.
JsonType json_type_of(defs::PrimitiveKind kind);

// nullptr if `text` (the string value, or the number's exact text) is a valid
// value of `kind`, else a fixed message (never containing `text`).
const char* check_primitive(defs::PrimitiveKind kind, std::string_view text);

// Offset of the first control character in UTF-8 `text`, or npos: C0 controls
// other than TAB, CR and LF (U+0000-U+001F), DEL (U+007F) and the C1 controls
// (U+0080-U+009F, UTF-8 C2 80..C2 9F). R4 says strings "SHOULD not contain
// Unicode character points below 32, except for u0009, u000D and u000A"; the
// gateway refuses them (and DEL and C1, which are never text either) in every
// string-typed primitive, because XML cannot carry them at all, so a stored
// resource holding one could not be served as FHIR XML or re-sent as v2, and
// the v2 parser refuses the same set (adapters/hl7/charset.h).
size_t find_control_character(std::string_view text);

// Pieces reused by the reference checks.
bool is_fhir_id(std::string_view text);   // [A-Za-z0-9\-\.]{1,64}
bool is_uuid_urn(std::string_view text);  // urn:uuid:<lower-case uuid>
bool is_oid_urn(std::string_view text);   // urn:oid:[0-2](\.(0|[1-9][0-9]*))+

inline constexpr size_t kMaxStringBytes = 1024 * 1024;  // R4: strings up to 1 MB

}  // namespace gw::fhir::validation
