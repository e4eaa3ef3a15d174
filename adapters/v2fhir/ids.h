// Deterministic resource ids and URI pieces for the v2 -> FHIR mapping.
#pragma once

#include <string>
#include <string_view>

namespace gw::v2fhir {

// Lowercase UUID text (8-4-4-4-12) from SHA-256 over `text`: the first 16
// bytes of the digest with the version nibble set to 5 and the RFC 4122
// variant bits, in the manner of a name-based (v5) UUID. Never random, so the
// same message always yields the same ids.
std::string deterministic_uuid(std::string_view text);

// Percent-encodes everything except RFC 3986 unreserved characters, for text
// placed inside a URN we mint ("urn:gateway:sender:<sender>:...").
std::string urn_escape(std::string_view text);

// The query of a conditional request on a token search parameter:
// "identifier=<system>|<value>". Each part first gets FHIR search escaping
// ('\\', '|', ',' and '$' prefixed with a backslash, so a ',' in a value is not
// read as "OR"), then percent-encoding of everything but RFC 3986 unreserved
// characters and ':' '/' (spaces, '&', '#', '%', '+', '=', '?', '\\' and
// non-ASCII are escaped). The separating '|' is kept as-is.
std::string token_query(std::string_view param, std::string_view system, std::string_view value);

}  // namespace gw::v2fhir
