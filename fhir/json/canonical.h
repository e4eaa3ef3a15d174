// Canonical JSON serialization after RFC 8785 (JSON Canonicalization Scheme),
// used to hash and sign FHIR resources: two documents that differ only in
// whitespace or member order canonicalize to the same bytes.
//
// What follows RFC 8785 exactly:
//  - no whitespace between tokens;
//  - object members sorted by their names compared as sequences of UTF-16 code
//    units (§3.2.3); this differs from UTF-8 byte order when one name has a
//    character above U+FFFF (a surrogate, 0xD800..) and the other one in
//    U+E000..U+FFFF at the same place;
//  - strings (§3.2.2.2): only '"', '\\' and U+0000..U+001F are escaped, using
//    \b \t \n \f \r where they exist and \u00xx (lowercase hex) otherwise;
//    everything else, including '/', U+2028/U+2029 and all non-ASCII, is
//    written as raw UTF-8. No Unicode normalization is applied.
//  - array order and literals (true, false, null) are kept.
//
// DELIBERATE DEVIATION — numbers (NumberMode::kPreserveLexical, the default):
// RFC 8785 §3.2.2.3 re-serializes every number as an IEEE double the way
// ECMAScript's Number.prototype.toString does, which turns the FHIR decimal
// "1.50" into "1.5" and "1E2" into "100". In FHIR the written precision of a
// decimal is meaning, and the gateway's requirement is that numbers are kept in
// their original lexical form; so the default mode writes each number's text
// exactly as it was received. The output is therefore canonical with respect
// to whitespace and member order but not to number spelling ("1.0" and "1"
// stay different). NumberMode::kRfc8785 implements the RFC's rule to the
// letter, for interoperability and to check this code against the RFC's test
// vectors.
#pragma once

#include <string>
#include <string_view>

#include "fhir/json/json.h"

namespace gw::fhir {

enum class NumberMode {
  kPreserveLexical,  // default: number text exactly as parsed (see above)
  kRfc8785,          // RFC 8785 §3.2.2.3: shortest round-trip double, ES6 format
};

// Serializes `value` canonically. Iterative: uses an explicit stack, never
// recursion. Fails only in kRfc8785 mode, for a number that is not a finite
// double (RFC 8785 §3.2.2.3 requires an error for those); the error's path
// points at the number, its offset is 0 (there is no input text).
JsonResult<std::string> canonicalize(const JsonValue& value,
                                     NumberMode mode = NumberMode::kPreserveLexical);

// Replaces the string values of members named "reference" while they are
// written (a record's references to resources of the same message, see
// gateway/pipeline/normalize.cc), so the canonical text needs no second pass.
class ReferenceRewriter {
 public:
  virtual ~ReferenceRewriter() = default;
  // Called with each such value; appends the value to write instead (raw
  // text, escaped by the writer) to `replacement` and returns true, or
  // returns false to keep the value.
  virtual bool rewrite(std::string_view reference, std::string& replacement) const = 0;
};

// canonicalize with `rewriter` (may be null) applied to reference values.
// Whatever the rewriter returns, the output is the canonical text of the
// value with those strings replaced.
JsonResult<std::string> canonicalize(const JsonValue& value, NumberMode mode,
                                     const ReferenceRewriter* rewriter);

// parse_json followed by canonicalize.
JsonResult<std::string> canonicalize_json(std::string_view input,
                                          const JsonParseOptions& options = {},
                                          NumberMode mode = NumberMode::kPreserveLexical);

// RFC 8785 §3.2.2.3 number serialization of one RFC 8259 number text, e.g.
// "4.50" -> "4.5", "1e21" -> "1e+21", "-0" -> "0". Exposed for tests.
JsonResult<std::string> rfc8785_number(std::string_view number_text);

// Appends `s` as a JSON string with RFC 8785 escaping (see above).
void write_json_string(std::string_view s, std::string& out);

}  // namespace gw::fhir
