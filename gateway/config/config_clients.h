// Internal to gateway/config/config*.cc: the [client.NAME] tables (clients of
// the FHIR REST API, config.h ClientConfig) and the checks between them. Not
// a public header.
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "gateway/base/status.h"
#include "gateway/config/config.h"
#include "gateway/config/config_setters.h"

namespace gw::config::internal {

inline constexpr size_t kMaxClients = 1000;
inline constexpr size_t kMaxClientNameBytes = 64;
inline constexpr size_t kMaxCertSubjectBytes = 512;
// Enough for a certificate and its successor during rotation, with room to spare.
inline constexpr size_t kMaxClientFingerprints = 16;

// "" if `name` (what follows "client." in the header) is a client name,
// [A-Za-z0-9._-]{1,64}; else the reason it is not.
std::string check_client_name(const std::string& name);

// A certificate subject as `openssl x509 -noout -subject -nameopt RFC2253`
// prints it (shape checked only); shared with the channels' sender rules.
std::string check_cert_subject(const std::string& subject);

// A [client.NAME] table's keys, bound to *c.
std::map<std::string, Setter> client_schema(ClientConfig* c);

// One client as parsed: its configuration (c->line is its header's line) and
// the line of each key it set.
struct ParsedClient {
  std::unique_ptr<ClientConfig> config;
  std::map<std::string, int> key_lines;
};

// Each client's own checks (a way in, client_ca_file for certificates, its
// scopes and roles through auth::make_client_grant), then the checks between
// clients (names that differ only in case, a certificate that two clients
// would match). Errors are "SOURCE:LINE: client.NAME.KEY: why".
gw::Status check_clients(const std::vector<ParsedClient>& clients, const HttpsConfig& https,
                         const std::string& source);

}  // namespace gw::config::internal
