// Fuzz target: a JSON array of resources (or one resource) de-identified as
// one patient's records. Must never crash or hang; a success must hold only
// valid R4, in canonical form, linked by the pseudonym and never the token.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "fhir/json/canonical.h"
#include "fhir/json/json.h"
#include "fhir/validate/validator.h"
#include "gateway/deid/safe_harbor.h"

namespace {

constexpr std::string_view kToken = "FuzzTokenFuzzTokenFuzzTokenFuzzTokenFuzzTok";

void add_record(const gw::fhir::JsonValue& v, std::string_view text,
                std::vector<gw::deid::Record>& out) {
  const gw::fhir::JsonValue* rt = v.find("resourceType");
  const gw::fhir::JsonValue* id = v.find("id");
  if (rt == nullptr || id == nullptr || !rt->is_string() || !id->is_string()) return;
  // The stated type and id are the resource's own: records from the store
  // always agree (disagreement is tested separately and refused).
  auto canonical = gw::fhir::canonicalize(v);
  if (!canonical.ok()) return;
  out.push_back(
      gw::deid::Record{rt->text(), id->text(), text.empty() ? *canonical : std::string(text)});
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  auto parsed = gw::fhir::parse_json(input);
  if (!parsed.ok()) return 0;
  std::vector<gw::deid::Record> records;
  if (parsed->is_array()) {
    for (const auto& item : parsed->items()) add_record(item, {}, records);
  } else {
    add_record(*parsed, input, records);
  }
  records.push_back(gw::deid::Record{"Patient", "fuzz-patient",
                                     R"({"resourceType":"Patient","id":"fuzz-patient"})"});
  static const gw::crypto::SecretBytes key =
      std::move(*gw::crypto::SecretBytes::copy_of(std::vector<uint8_t>(32, 0x5a)));
  gw::deid::SafeHarborOptions options;
  options.study_id = "fuzz";
  options.reference_date = std::chrono::year_month_day{std::chrono::year{2026},
                                                       std::chrono::month{12}, std::chrono::day{7}};
  auto result = gw::deid::deidentify(records, key, kToken, options);
  if (!result.ok()) {
    if (result.error().message().empty()) std::abort();
    return 0;
  }
  gw::fhir::ValidationOptions strict;
  strict.allow_missing_id = false;
  bool pseudonym_seen = false;
  for (const auto& r : result->records) {
    auto v = gw::fhir::parse_json(r.json);
    if (!v.ok() || !gw::fhir::validate_resource(*v, strict).ok()) std::abort();
    if (gw::fhir::canonicalize(*v).value() != r.json) std::abort();
    if (r.json.find(kToken) != std::string::npos) std::abort();
    pseudonym_seen = pseudonym_seen || r.json.find(result->pseudonym) != std::string::npos;
  }
  if (!pseudonym_seen) std::abort();
  return 0;
}
