// Patient id -> consortium token, for the audit trail: an entry names the
// patient by the token this gateway registers them under (the first of
// pipeline::stored_patient_tokens), never by id or name. Cached: reads of one
// patient's records look the Patient up once. Thread-safe.
#pragma once

#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "gateway/audit/audit_entry.h"
#include "gateway/store/message_store.h"

namespace gw::rest {

class PatientTokens {
 public:
  explicit PatientTokens(store::MessageStore* store, size_t max_cached = 100'000)
      : store_(store), max_cached_(max_cached) {}

  // nullopt when no stored Patient has this id or it has no tokenized identifier.
  std::optional<audit::PatientToken> token_of(std::string_view patient_id);

 private:
  store::MessageStore* store_;
  size_t max_cached_;
  std::mutex mu_;
  std::unordered_map<std::string, std::optional<audit::PatientToken>> cache_;
};

}  // namespace gw::rest
