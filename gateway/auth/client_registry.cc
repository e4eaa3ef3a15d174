#include "gateway/auth/client_registry.h"

#include <algorithm>

namespace gw::auth {

ClientRegistry::ClientRegistry(std::vector<RegisteredClient> clients)
    : clients_(std::move(clients)) {}

const RegisteredClient* ClientRegistry::by_certificate(std::string_view subject_rfc2253,
                                                       std::string_view sha256_hex) const {
  for (const RegisteredClient& c : clients_) {
    if (c.cert_subject.empty() && c.cert_sha256.empty()) continue;
    if (!c.cert_subject.empty() && c.cert_subject != subject_rfc2253) continue;
    if (!c.cert_sha256.empty() &&
        std::find(c.cert_sha256.begin(), c.cert_sha256.end(), sha256_hex) == c.cert_sha256.end()) {
      continue;
    }
    return &c;
  }
  return nullptr;
}

const RegisteredClient* ClientRegistry::by_name(std::string_view name) const {
  for (const RegisteredClient& c : clients_) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

}  // namespace gw::auth
