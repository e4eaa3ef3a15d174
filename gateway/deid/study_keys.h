// The per-study keyed values of a research transfer (internal to gateway/deid).
// Both are HMAC-SHA-256 under the study key with a domain tag in front of the
// message, so an id can never equal a pseudonym, and written as 64 lower-case
// hex digits (a valid FHIR id: [A-Za-z0-9\-\.]{1,64}).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "gateway/crypto/secret.h"

namespace gw::deid::internal {

class StudyKeys {
 public:
  // Borrows `key` (must outlive this object).
  explicit StudyKeys(const crypto::SecretBytes& key) : key_(key) {}

  // HMAC("gw-deid-pseudonym\0" || token).
  std::optional<std::string> pseudonym(std::string_view patient_token) const;
  // HMAC("gw-deid-id\0" || type || "/" || id): the resource's new id.
  std::optional<std::string> resource_id(std::string_view type, std::string_view id) const;

 private:
  std::optional<std::string> mac(std::string_view tag, std::string_view a,
                                 std::string_view b) const;
  const crypto::SecretBytes& key_;
};

}  // namespace gw::deid::internal
