// What one client may do: its SMART scopes (scope.h) and its roles. The
// roles are issue 17's two duties that scopes do not express:
//   admin    metrics, attestation, configuration state (/admin/...)
//   auditor  the audit trail: the AuditEvent view, verification, the
//            patient access report
// Roles and scopes do not imply one another (separation of duties): an admin
// reads no records through its role, and system/*.cruds reads no audit trail.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "gateway/auth/scope.h"
#include "gateway/base/status.h"

namespace gw::auth {

enum class Role : uint8_t { kAdmin, kAuditor };

// "admin" or "auditor".
Result<Role> parse_role(std::string_view name);
std::string_view role_name(Role role);

struct ClientGrant {
  ScopeSet scopes;
  bool admin = false;
  bool auditor = false;

  bool has(Role role) const { return role == Role::kAdmin ? admin : auditor; }
};

// A client's grant from its configured scope and role lists. Errors name the
// bad scope or role (operator text); a client granted nothing at all is
// refused too, since it could only ever be denied.
Result<ClientGrant> make_client_grant(const std::vector<std::string>& scopes,
                                      const std::vector<std::string>& roles);

}  // namespace gw::auth
