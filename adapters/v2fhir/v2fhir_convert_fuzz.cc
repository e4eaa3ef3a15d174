// Fuzz target: parse + convert any bytes. Must never crash, hang or leak,
// and an OK result always has a transaction Bundle. Replayed over
// v2fhir_convert_fuzz_corpus/ in ctest (label "fuzz").
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "adapters/hl7/er7.h"
#include "adapters/v2fhir/convert.h"
#include "fhir/json/canonical.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  gw::hl7::ParseResult parsed = gw::hl7::parse(input);
  if (!parsed.ok()) return 0;
  gw::v2fhir::MappingConfig config;
  config.time_zone = "America/New_York";
  config.z_segments = gw::v2fhir::ZSegmentPolicy::kMapByRules;
  config.z_rules.push_back({"ZPD", 2, "Patient", "http://example.org/x", "CodeableConcept"});
  gw::v2fhir::ConversionResult r = gw::v2fhir::convert_message(*parsed.message, config);
  if (r.ok()) {
    const gw::fhir::JsonValue* type = r.bundle.find("type");
    if (type == nullptr || type->text() != "transaction") std::abort();
    if (!gw::fhir::canonicalize(r.bundle).ok()) std::abort();
    (void)r.records();
  }
  return 0;
}
