#include "gateway/auth/client_grant.h"

#include <utility>

namespace gw::auth {

Result<Role> parse_role(std::string_view name) {
  if (name == "admin") return Role::kAdmin;
  if (name == "auditor") return Role::kAuditor;
  std::string shown;
  for (char ch : name.substr(0, 32)) shown += (ch > 0x20 && ch < 0x7f) ? ch : '?';
  return invalid_argument_error("role \"" + shown + "\": unknown (the roles are admin, auditor)");
}

std::string_view role_name(Role role) { return role == Role::kAdmin ? "admin" : "auditor"; }

Result<ClientGrant> make_client_grant(const std::vector<std::string>& scopes,
                                      const std::vector<std::string>& roles) {
  ClientGrant grant;
  GW_ASSIGN_OR_RETURN(grant.scopes, parse_configured_scopes(scopes));
  for (const std::string& name : roles) {
    GW_ASSIGN_OR_RETURN(Role role, parse_role(name));
    (role == Role::kAdmin ? grant.admin : grant.auditor) = true;
  }
  if (grant.scopes.empty() && !grant.admin && !grant.auditor) {
    return invalid_argument_error("the client is granted no scope and no role");
  }
  return grant;
}

}  // namespace gw::auth
