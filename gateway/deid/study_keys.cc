#include "gateway/deid/study_keys.h"

#include <sodium.h>

namespace gw::deid::internal {
namespace {

void update(crypto_auth_hmacsha256_state* st, std::string_view s) {
  crypto_auth_hmacsha256_update(st, reinterpret_cast<const unsigned char*>(s.data()), s.size());
}

}  // namespace

std::optional<std::string> StudyKeys::mac(std::string_view tag, std::string_view a,
                                          std::string_view b) const {
  if (key_.empty() || !crypto::init_sodium()) return std::nullopt;
  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init(&st, key_.data(), key_.size());
  // The tag ends in NUL and type names hold no '/', so every message parses
  // back uniquely.
  update(&st, tag);
  update(&st, std::string_view("\0", 1));
  update(&st, a);
  if (!b.empty()) {
    update(&st, "/");
    update(&st, b);
  }
  unsigned char out[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_final(&st, out);
  sodium_memzero(&st, sizeof st);
  char hex[2 * sizeof out + 1];
  sodium_bin2hex(hex, sizeof hex, out, sizeof out);
  return std::string(hex, 2 * sizeof out);
}

std::optional<std::string> StudyKeys::pseudonym(std::string_view patient_token) const {
  return mac("gw-deid-pseudonym", patient_token, {});
}

std::optional<std::string> StudyKeys::resource_id(std::string_view type,
                                                  std::string_view id) const {
  return mac("gw-deid-id", type, id);
}

}  // namespace gw::deid::internal
