#include "gateway/pipeline/tokenize.h"

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

}  // namespace gw::pipeline
