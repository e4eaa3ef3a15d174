#include "gateway/auth/policy.h"

#include <string>

#include "fhir/validate/validator.h"

namespace gw::auth {
namespace {

// The audit trail's FHIR view: for auditors, written by the gateway alone.
constexpr std::string_view kAuditType = "AuditEvent";

// What an operation acts on and what it needs. Operations do not map to one
// type's permissions: each is granted by what it reads or does.
enum class Need : uint8_t {
  kReadEveryType,    // it reads (and sends) records of any type
  kCreateEveryType,  // it stores records of any type
  kAuditor,          // it reads the audit trail
};
struct OperationRule {
  std::string_view name;
  std::string_view type;  // the type it acts on; "" for the system level
  Need need;
  std::string_view why;
};
// The operations of this gateway (README.md, "Scopes and the decision").
// An operation missing here is denied to everyone.
constexpr OperationRule kOperations[] = {
    // POST Patient/{id}/$transfer: sends the patient's records of every
    // category the consent grants to another member (gateway/transfer).
    {"transfer", "Patient", Need::kReadEveryType, "$transfer sends records of every type"},
    // POST $request-transfer: the custodian's records arrive and are stored.
    {"request-transfer", "", Need::kCreateEveryType,
     "$request-transfer stores records of every type"},
    // GET Patient/{id}/$everything: not served yet; its rule is ready.
    {"everything", "Patient", Need::kReadEveryType, "$everything returns records of every type"},
    // GET Patient/{id}/$access-report: who accessed the patient's records.
    {"access-report", "Patient", Need::kAuditor, ""},
};

Status needs_role(Role role) {
  return permission_denied_error("needs the " + std::string(role_name(role)) + " role");
}

Status needs_scope(std::string_view type, Permissions missing, std::string_view why) {
  std::string m = "needs system/" + std::string(type) + "." + permission_letters(missing);
  if (!why.empty()) m += " (" + std::string(why) + ")";
  return permission_denied_error(std::move(m));
}

Status check_type(const ClientGrant& grant, std::string_view type, Permissions wanted,
                  std::string_view why = {}) {
  if (type.empty()) return invalid_argument_error("the request names no resource type");
  if (!fhir::is_resource_type(type)) {
    return invalid_argument_error("the request names a type that is not an R4 resource type");
  }
  if (type == kAuditType) {
    if (wanted & (kCreate | kUpdate | kDelete)) {
      return permission_denied_error("AuditEvent is written by the gateway only");
    }
    return grant.auditor ? ok_status() : needs_role(Role::kAuditor);
  }
  const Permissions missing = wanted & ~grant.scopes.on(type);
  return missing == 0 ? ok_status() : needs_scope(type, missing, why);
}

Status check_every_type(const ClientGrant& grant, Permissions wanted, std::string_view why = {}) {
  const Permissions missing = wanted & ~grant.scopes.on_every_type();
  return missing == 0 ? ok_status() : needs_scope("*", missing, why);
}

Status check_types(const ClientGrant& grant, const std::vector<std::string_view>& types,
                   Permissions wanted, std::string_view why = {}) {
  for (std::string_view type : types) GW_RETURN_IF_ERROR(check_type(grant, type, wanted, why));
  return ok_status();
}

Status check_includes(const ClientGrant& grant, const AccessRequest& r) {
  GW_RETURN_IF_ERROR(check_types(grant, r.included_types, kRead, "for _include"));
  return check_types(grant, r.revincluded_types, kSearch, "for _revinclude");
}

// Types listed, or every type when the list is empty.
Status check_system(const ClientGrant& grant, const AccessRequest& r, Permissions wanted) {
  if (r.types.empty()) return check_every_type(grant, wanted, "no _type: every type");
  return check_types(grant, r.types, wanted);
}

Status check_operation(const ClientGrant& grant, const AccessRequest& r) {
  for (const OperationRule& rule : kOperations) {
    if (rule.name != r.operation) continue;
    if (rule.type != r.resource_type) {
      return invalid_argument_error("$" + std::string(rule.name) + " acts on " +
                                    (rule.type.empty() ? "the system" : std::string(rule.type)));
    }
    switch (rule.need) {
      case Need::kReadEveryType:
        return check_every_type(grant, kRead, rule.why);
      case Need::kCreateEveryType:
        return check_every_type(grant, kCreate, rule.why);
      case Need::kAuditor:
        return grant.auditor ? ok_status() : needs_role(Role::kAuditor);
    }
  }
  // Default deny; the name is request text, so it is not repeated.
  return permission_denied_error("no access rule for this operation");
}

Permissions with_criteria(Permissions p, const AccessRequest& r) {
  return static_cast<Permissions>(p | (r.conditional ? kSearch : 0));
}

}  // namespace

bool is_open(Interaction interaction) {
  return interaction == Interaction::kCapabilities ||
         interaction == Interaction::kSmartConfiguration ||
         interaction == Interaction::kTokenRequest;
}

Status authorize(const ClientGrant& grant, const AccessRequest& r) {
  switch (r.interaction) {
    case Interaction::kCapabilities:
    case Interaction::kSmartConfiguration:
    case Interaction::kTokenRequest:
      return ok_status();
    case Interaction::kAdmin:
      return grant.admin ? ok_status() : needs_role(Role::kAdmin);
    case Interaction::kAudit:
      return grant.auditor ? ok_status() : needs_role(Role::kAuditor);
    case Interaction::kBundle:
      // The envelope grants nothing by itself: every entry is decided alone.
      return ok_status();
    case Interaction::kRead:
    case Interaction::kVread:
    case Interaction::kHistoryInstance:
      return check_type(grant, r.resource_type, kRead);
    case Interaction::kHistoryType:
      return check_type(grant, r.resource_type, kRead | kSearch);
    case Interaction::kSearchType:
      GW_RETURN_IF_ERROR(check_type(grant, r.resource_type, kSearch));
      return check_includes(grant, r);
    case Interaction::kSearchSystem:
      GW_RETURN_IF_ERROR(check_system(grant, r, kSearch));
      return check_includes(grant, r);
    case Interaction::kHistorySystem:
      return check_system(grant, r, kRead | kSearch);
    case Interaction::kCreate:
      return check_type(grant, r.resource_type, with_criteria(kCreate, r));
    case Interaction::kUpdate:
    case Interaction::kPatch:
      return check_type(grant, r.resource_type,
                        with_criteria(kUpdate | (r.creates ? kCreate : 0), r));
    case Interaction::kDelete:
      return check_type(grant, r.resource_type, with_criteria(kDelete, r));
    case Interaction::kOperation:
      return check_operation(grant, r);
  }
  return permission_denied_error("unknown interaction");
}

}  // namespace gw::auth
