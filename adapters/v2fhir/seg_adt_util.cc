// Small JSON helpers of the ADT mappers (adt.h).
#include <utility>

#include "adapters/v2fhir/adt.h"

namespace gw::v2fhir {

using fhir::JsonValue;

const MessageProfile* current_profile(const MappingContext& ctx) {
  const hl7::Header& h = ctx.message().header();
  const MessageProfile* p =
      find_message_profile(trim(h.message_code) + "^" + trim(h.trigger_event));
  return p != nullptr ? p : find_family_default(trim(h.message_code), trim(h.trigger_event));
}

AllergenType allergen_type(std::string_view code) {
  if (code == "DA") return {"medication", "allergy", true};
  if (code == "MC") return {"medication", nullptr, true};  // contraindication
  if (code == "FA") return {"food", "allergy", true};
  if (code == "EA" || code == "AA" || code == "PA" || code == "LA")
    return {"environment", "allergy", true};
  if (code == "MA") return {nullptr, "allergy", true};  // miscellaneous allergy
  return {};
}

void append(JsonValue& obj, const char* key, JsonValue value) {
  if (value.is_null() || value.empty()) return;
  JsonValue* arr = obj.find_mutable(key);
  if (arr == nullptr) arr = &obj.add(key, JsonValue::make_array());
  arr->push(std::move(value));
}

void append_all(JsonValue& obj, const char* key, std::vector<JsonValue> values) {
  for (JsonValue& v : values) append(obj, key, std::move(v));
}

JsonValue make_extension(std::string_view url, const char* value_key, JsonValue value) {
  JsonValue ext = JsonValue::make_object();
  ext.add("url", JsonValue::make_string(std::string(url)));
  ext.add(value_key, std::move(value));
  return ext;
}

JsonValue data_absent(std::string_view reason) {
  JsonValue element = JsonValue::make_object();
  append(element, "extension",
         make_extension("http://hl7.org/fhir/StructureDefinition/data-absent-reason", "valueCode",
                        JsonValue::make_string(std::string(reason))));
  return element;
}

}  // namespace gw::v2fhir
