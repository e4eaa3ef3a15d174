// SMART App Launch v2 resource scopes for a backend-services gateway:
// "system/<Type|*>.<cruds>" (and the v1 ".read" / ".write" / ".*" forms,
// mapped to v2), parsed and checked; a ScopeSet answers "which permissions
// does this client hold on type T" in one map lookup.
//
// What is refused, and why (README.md, "Scopes and the decision"):
//   - patient/ and user/ scopes: they are relative to a launch context (the
//     patient or user in context) that a backend-services gateway never has;
//     granting them as if they were system/ would widen them.
//   - search-parameter restrictions ("system/Observation.rs?category=..."):
//     the gateway cannot yet apply them to reads, writes and searches, and a
//     restriction it does not enforce would grant more than it says.
//   - AuditEvent: the audit trail is granted by the auditor role only
//     (client_grant.h), and a wildcard scope does not reach it (policy.h).
//   - types that are not concrete FHIR R4 resource types, wildcards other
//     than a whole "*" type, empty or repeated or out-of-order permissions,
//     scopes longer than kMaxScopeBytes, lists of more than kMaxScopes.
//
// Messages are safe to log: a configured scope is named in full (it is
// operator text, not PHI); a requested scope (client input of a token
// request) is named only by its position, and by its text up to any '?'
// when that text is short and made of scope-grammar characters only: the
// query part of a restriction may carry identifiers and is never echoed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/base/status.h"

namespace gw::auth {

// The five SMART v2 permissions, as bits. Their letters, in the only order
// a scope may write them: c r u d s.
enum Permission : uint8_t {
  kCreate = 1,
  kRead = 2,
  kUpdate = 4,
  kDelete = 8,
  kSearch = 16,
};
using Permissions = uint8_t;
inline constexpr Permissions kAllPermissions = kCreate | kRead | kUpdate | kDelete | kSearch;

// "cruds" letters of `p`, in order ("" for none).
std::string permission_letters(Permissions p);

inline constexpr size_t kMaxScopeBytes = 128;  // one scope
inline constexpr size_t kMaxScopes = 64;       // one client's list, or one request's

// Who wrote the scope text: decides how much of it an error message repeats.
enum class ScopeSource : uint8_t {
  kConfigured,  // the operator's configuration: named in full
  kRequested,   // a token request's "scope" parameter: client input, sanitized
};

// One parsed resource scope. resource_type is "*" for every type.
struct Scope {
  std::string resource_type;
  Permissions permissions = 0;

  // Canonical v2 text: "system/Observation.rs".
  std::string to_string() const;
  bool operator==(const Scope&) const = default;
};

// Parses one scope. `position` (0-based) only names the scope in messages
// about requested scopes. Errors: kInvalidArgument (malformed, unknown type,
// patient/ or user/ context, not a resource scope), kUnimplemented (search-
// parameter restriction).
Result<Scope> parse_scope(std::string_view text, ScopeSource source = ScopeSource::kConfigured,
                          size_t position = 0);

// What a set of scopes grants, per resource type. Scopes add up: granting
// system/Patient.r and system/Patient.s is granting system/Patient.rs.
class ScopeSet {
 public:
  void add(const Scope& scope);
  // The permissions held on `type` (a concrete type: "*" grants count too).
  Permissions on(std::string_view type) const;
  // The permissions held on every type (only a "*" scope grants these).
  Permissions on_every_type() const { return every_type_; }
  bool empty() const;
  // Canonical, minimal scopes: "system/*.<p>" first, then per type only what
  // the wildcard does not already grant, types in name order.
  std::vector<Scope> scopes() const;
  // scopes() joined by single spaces: the "scope" of a token response.
  std::string to_string() const;
  // Same grants (compared in canonical form).
  bool operator==(const ScopeSet& other) const { return scopes() == other.scopes(); }

 private:
  Permissions every_type_ = 0;
  std::map<std::string, Permissions, std::less<>> by_type_;
};

// A client's configured scopes (at most kMaxScopes). The first bad scope
// fails the whole list, its message naming it.
Result<ScopeSet> parse_configured_scopes(const std::vector<std::string>& scopes);

// A token request's "scope" parameter: scope-tokens separated by single
// spaces (RFC 6749 §3.3), at most kMaxScopes of them. Errors are
// kInvalidArgument (OAuth "invalid_scope") or kUnimplemented, with sanitized
// messages.
Result<ScopeSet> parse_requested_scopes(std::string_view scope_parameter);

// Per type, what both sets grant.
ScopeSet intersect(const ScopeSet& a, const ScopeSet& b);

// The scopes a token carries (SMART: the server may grant fewer than asked):
// the intersection of what the client asks for with what it is configured
// for; an absent or empty "scope" parameter asks for everything configured.
// Errors: the request's parse errors; kPermissionDenied when nothing asked
// for is granted (OAuth "invalid_scope").
Result<ScopeSet> grant_requested_scopes(std::string_view scope_parameter,
                                        const ScopeSet& configured);

}  // namespace gw::auth
