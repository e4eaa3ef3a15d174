// Fuzz target: parse arbitrary bytes; anything accepted must canonicalize, and
// canonicalization must be idempotent (re-parsing the canonical bytes and
// canonicalizing again yields the same bytes) in both number modes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "fhir/json/canonical.h"
#include "fhir/json/json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  gw::fhir::JsonParseOptions options;
  options.max_input_bytes = 1 << 20;
  options.max_depth = 128;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  gw::fhir::JsonResult<gw::fhir::JsonValue> v = gw::fhir::parse_json(input, options);
  if (!v.ok()) {
    // The error must be describable without crashing.
    (void)v.error().to_string();
    return 0;
  }
  for (auto mode : {gw::fhir::NumberMode::kPreserveLexical, gw::fhir::NumberMode::kRfc8785}) {
    gw::fhir::JsonResult<std::string> c1 = gw::fhir::canonicalize(*v, mode);
    if (!c1.ok()) {
      // Only kRfc8785 may fail, and only on a number.
      if (mode != gw::fhir::NumberMode::kRfc8785 ||
          c1.error().code != gw::fhir::JsonErrorCode::kNumberOutOfRange) {
        std::abort();
      }
      continue;
    }
    gw::fhir::JsonResult<std::string> c2 = gw::fhir::canonicalize_json(*c1, options, mode);
    if (!c2.ok() || *c2 != *c1) std::abort();
  }
  return 0;
}
