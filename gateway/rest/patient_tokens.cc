#include "gateway/rest/patient_tokens.h"

#include "gateway/pipeline/tokenize.h"

namespace gw::rest {

std::optional<audit::PatientToken> PatientTokens::token_of(std::string_view patient_id) {
  {
    std::lock_guard lock(mu_);
    if (auto it = cache_.find(std::string(patient_id)); it != cache_.end()) return it->second;
  }
  std::optional<audit::PatientToken> token;
  if (std::optional<store::StoredRecord> rec = store_->read_record("Patient", patient_id, 0)) {
    auto tokens = pipeline::stored_patient_tokens(store_->keys(), *rec);
    if (!tokens.empty()) token = tokens.front();
  }
  // A Patient not stored yet is not cached: it may be written next.
  if (token) {
    std::lock_guard lock(mu_);
    if (cache_.size() >= max_cached_) cache_.clear();
    cache_.emplace(std::string(patient_id), token);
  }
  return token;
}

}  // namespace gw::rest
