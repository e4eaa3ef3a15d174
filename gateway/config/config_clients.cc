#include "gateway/config/config_clients.h"

#include <algorithm>
#include <filesystem>
#include <optional>

#include "gateway/auth/client_grant.h"
#include "gateway/auth/scope.h"

namespace gw::config::internal {
namespace {

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](char c) { return lower(c); });
  return s;
}

// The subject as `openssl x509 -noout -subject -nameopt RFC2253` prints it
// (without "subject="): the form the HTTPS server compares with the client
// certificate's. Only the shape is checked (check_cert_subject); a subject
// that parses but never matches is the operator's to see in the refusal's
// audit entry.
Setter cert_subject(std::string* out) {
  return [=](const Value& v) -> std::string {
    if (v.kind != Value::Kind::kString)
      return std::string("expected a string, got ") + kind_name(v.kind);
    if (std::string bad = check_cert_subject(v.str); !bad.empty()) return bad;
    *out = v.str;
    return "";
  };
}

// SHA-256 fingerprints as `openssl x509 -noout -fingerprint -sha256` prints
// them (or without colons, either case), stored as 64 lower-case hex digits:
// the form compared with a presented certificate's digest.
Setter client_fingerprints(std::vector<std::string>* out) {
  return [=](const Value& v) -> std::string {
    std::vector<std::string> raw;
    if (std::string bad = sha256_fingerprints(&raw)(v); !bad.empty()) return bad;
    if (raw.size() > kMaxClientFingerprints)
      return "more than " + std::to_string(kMaxClientFingerprints) + " fingerprints";
    std::vector<std::string> normal;
    for (size_t i = 0; i < raw.size(); ++i) {
      std::string hex;
      for (char c : raw[i])
        if (c != ':') hex += lower(c);
      for (size_t j = 0; j < normal.size(); ++j)
        if (normal[j] == hex)
          return "item " + std::to_string(i + 1) + " repeats item " + std::to_string(j + 1);
      normal.push_back(std::move(hex));
    }
    *out = std::move(normal);
    return "";
  };
}

// Read by the daemon at start-up, whatever its working directory.
Setter jwks_path(std::string* out) {
  return [=](const Value& v) -> std::string {
    std::string path;
    if (std::string bad = absolute_path(&path)(v); !bad.empty()) return bad;
    if (!std::filesystem::path(path).is_absolute())
      return "must be an absolute path (e.g. \"/etc/gatewayd/clients/registry.jwks.json\")";
    *out = std::move(path);
    return "";
  };
}

// Scopes and roles are checked together once the table is read
// (check_clients): a client needs one or the other.
Setter string_list(std::vector<std::string>* out) {
  return [=](const Value& v) -> std::string {
    if (v.kind != Value::Kind::kStringArray)
      return std::string("expected an array of strings, got ") + kind_name(v.kind);
    *out = v.array;
    return "";
  };
}

using KeyLines = std::map<std::string, int>;

// "SOURCE:LINE: client.NAME.KEY: why", at the key's line (its header's when
// the key is absent); `key` empty: "client.NAME: why".
gw::Status client_error(const std::string& source, const ParsedClient& pc, const std::string& key,
                        const std::string& why) {
  auto at = pc.key_lines.find(key);
  const int line = at != pc.key_lines.end() ? at->second : pc.config->line;
  return invalid_argument_error(source + ":" + std::to_string(line) + ": client." +
                                pc.config->name + (key.empty() ? "" : "." + key) + ": " + why);
}

std::string named(const ParsedClient& pc) {
  return "client." + pc.config->name + " (line " + std::to_string(pc.config->line) + ")";
}

gw::Status check_one(const ParsedClient& pc, const HttpsConfig& https, const std::string& source) {
  const ClientConfig& c = *pc.config;
  if (c.cert_subject.empty() && c.cert_sha256.empty() && c.jwks_file.empty())
    return client_error(source, pc, "",
                        "no way in: set cert_subject and/or cert_sha256 (mutual TLS), or "
                        "jwks_file (SMART Backend Services)");
  for (const char* key : {"cert_subject", "cert_sha256"})
    if (pc.key_lines.count(key) != 0 && https.client_ca_file.empty())
      return client_error(source, pc, key,
                          "needs https.client_ca_file (client certificates are asked for, and "
                          "checked, only with mutual TLS)");
  auto grant = auth::make_client_grant(c.scopes, c.roles);
  if (!grant.ok()) {
    // The grant's reason names the bad scope or role; the key is the one at fault.
    const bool scopes_fine = auth::parse_configured_scopes(c.scopes).ok();
    const bool roles_fault = scopes_fine && pc.key_lines.count("roles") != 0 &&
                             std::any_of(c.roles.begin(), c.roles.end(),
                                         [](const auto& r) { return !auth::parse_role(r).ok(); });
    std::string why = grant.status().message();
    if (!roles_fault && scopes_fine) why += " (set scopes and/or roles)";
    return client_error(source, pc, roles_fault ? "roles" : "scopes", why);
  }
  return ok_status();
}

}  // namespace

std::string check_cert_subject(const std::string& s) {
  if (s.empty()) return "must not be empty";
  if (s.size() > kMaxCertSubjectBytes)
    return "longer than " + std::to_string(kMaxCertSubjectBytes) + " bytes";
  for (char c : s)
    if (c < 0x20 || c > 0x7e)
      return "must be printable ASCII, as openssl prints it with -nameopt RFC2253 (other "
             "characters appear there as \\XX escapes)";
  if (lower(s.substr(0, 8)) == "subject=")
    return "write the subject without the \"subject=\" that openssl prints before it";
  if (s.front() == ' ' || (s.back() == ' ' && (s.size() < 2 || s[s.size() - 2] != '\\')))
    return "has a leading or trailing space, which no certificate's RFC 2253 subject has";
  if (s.find('=') == std::string::npos || s.front() == '=')
    return "expected an RFC 2253 distinguished name such as \"CN=lab-interface,O=General "
           "Hospital\"";
  return "";
}

std::string check_client_name(const std::string& name) {
  if (name.empty() || name.size() > kMaxClientNameBytes ||
      !std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '.' || c == '_' || c == '-';
      }))
    return "a client name is 1 to " + std::to_string(kMaxClientNameBytes) +
           " letters, digits, '.', '_' or '-'";
  return "";
}

std::map<std::string, Setter> client_schema(ClientConfig* c) {
  return {
      {"cert_subject", cert_subject(&c->cert_subject)},
      {"cert_sha256", client_fingerprints(&c->cert_sha256)},
      {"jwks_file", jwks_path(&c->jwks_file)},
      {"scopes", string_list(&c->scopes)},
      {"roles", string_list(&c->roles)},
  };
}

gw::Status check_clients(const std::vector<ParsedClient>& clients, const HttpsConfig& https,
                         const std::string& source) {
  for (const ParsedClient& pc : clients) GW_RETURN_IF_ERROR(check_one(pc, https, source));
  // Between clients: a later one is at fault, named with the earlier one.
  // Maps keep this O(n log n) over up to kMaxClients clients.
  std::map<std::string, size_t> by_lower_name, by_fingerprint;
  struct SubjectOwners {
    size_t first;                // the first client with this subject
    std::optional<size_t> bare;  // the first of them without cert_sha256
  };
  std::map<std::string, SubjectOwners> by_subject;
  for (size_t i = 0; i < clients.size(); ++i) {
    const ParsedClient& b = clients[i];
    const ClientConfig& c = *b.config;
    // The audit trail names clients; two that differ only in case would
    // read as one there.
    if (auto [at, fresh] = by_lower_name.emplace(lower(c.name), i); !fresh)
      return client_error(
          source, b, "",
          "differs from " + named(clients[at->second]) + " only in case; give it another name");
    // A certificate must identify one client: a shared fingerprint, or a
    // shared subject that one of them accepts with any fingerprint, would
    // let one certificate be both.
    for (size_t k = 0; k < c.cert_sha256.size(); ++k)
      if (auto [at, fresh] = by_fingerprint.emplace(c.cert_sha256[k], i); !fresh)
        return client_error(source, b, "cert_sha256",
                            "item " + std::to_string(k + 1) + " is also a fingerprint of " +
                                named(clients[at->second]) +
                                ": a certificate must identify one client");
    if (c.cert_subject.empty()) continue;
    const bool bare = c.cert_sha256.empty();
    auto [at, fresh] = by_subject.emplace(c.cert_subject, SubjectOwners{i, std::nullopt});
    SubjectOwners& owners = at->second;
    const std::optional<size_t> other =
        fresh ? std::nullopt : (bare ? std::optional<size_t>(owners.first) : owners.bare);
    if (other)
      return client_error(source, b, "cert_subject",
                          "is also the subject of " + named(clients[*other]) +
                              ", and without cert_sha256 on both a certificate with this "
                              "subject would identify both clients");
    if (bare && !owners.bare) owners.bare = i;
  }
  return ok_status();
}

}  // namespace gw::config::internal
