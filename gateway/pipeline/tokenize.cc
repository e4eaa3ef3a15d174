#include "gateway/pipeline/tokenize.h"

#include <algorithm>

#include "fhir/json/json.h"
#include "gateway/crypto/tokenizer.h"

namespace gw::pipeline {

void tokenize(const crypto::StoreKeys& keys, std::vector<store::RecordWrite>* records) {
  for (store::RecordWrite& r : *records) {
    r.patient_tokens.clear();
    if (r.resource_type != "Patient") continue;
    for (const auto& [system, value] : r.identifiers) {
      if (value.empty() || system.empty()) continue;
      r.patient_tokens.push_back(keys.patient_token(system, value));
    }
  }
}

std::vector<std::array<uint8_t, 32>> stored_patient_tokens(const crypto::StoreKeys& keys,
                                                           const store::StoredRecord& patient) {
  std::vector<std::array<uint8_t, 32>> out;
  auto parsed = fhir::parse_json(patient.resource_json,
                                 fhir::own_document_limits(patient.resource_json.size()));
  if (!parsed.ok()) return out;
  const fhir::JsonValue* ids = parsed.value().find("identifier");
  if (ids == nullptr || !ids->is_array()) return out;
  for (const fhir::JsonValue& id : ids->items()) {
    const fhir::JsonValue* system = id.find("system");
    const fhir::JsonValue* value = id.find("value");
    if (system == nullptr || value == nullptr || !system->is_string() || !value->is_string() ||
        system->text().empty() || value->text().empty()) {
      continue;
    }
    if (auto bytes = crypto::token_bytes(keys.patient_token(system->text(), value->text()))) {
      if (std::find(out.begin(), out.end(), *bytes) == out.end()) out.push_back(*bytes);
    }
  }
  return out;
}

}  // namespace gw::pipeline
