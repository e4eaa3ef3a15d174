// The authorization decision: may this client (its ClientGrant) make this
// request? A pure function, default deny; the caller (the HTTPS server)
// describes the request after routing it, and audits the answer.
//
// The rules, with the endpoint x permission table, are in README.md
// ("Scopes and the decision"); in short:
//   read, vread, history of an instance   r on the type
//   search on a type                      s on the type (+ r on _include
//                                         targets, s on _revinclude sources)
//   search / history on the system        s (history: rs) on every type asked
//                                         for; with no _type, on system/*
//   history of a type                     rs on the type
//   create c, update u (+ c when it creates), patch u, delete d;
//   conditional create / update / delete  s on the type as well
//   transaction / batch                   the envelope is open to any
//                                         authenticated client; the caller
//                                         decides each entry on its own
//   operations                            their own table (policy.cc)
//   AuditEvent, $access-report, audit     the auditor role (no scope grants
//                                         the audit trail; nobody writes it)
//   /admin/...                            the admin role
//   /metadata, smart-configuration, token open
//
// Thread-safe: no state.
#pragma once

#include <string_view>
#include <vector>

#include "gateway/auth/client_grant.h"
#include "gateway/base/status.h"

namespace gw::auth {

enum class Interaction : uint8_t {
  kCapabilities,        // GET /metadata
  kSmartConfiguration,  // GET /.well-known/smart-configuration
  kTokenRequest,        // POST /auth/token (its assertion authenticates it)
  kRead,                // GET [type]/[id]
  kVread,               // GET [type]/[id]/_history/[vid]
  kSearchType,          // GET|POST [type]?..., [type]/_search
  kSearchSystem,        // GET [base]?_type=...
  kHistoryInstance,     // GET [type]/[id]/_history
  kHistoryType,         // GET [type]/_history
  kHistorySystem,       // GET [base]/_history
  kCreate,              // POST [type]
  kUpdate,              // PUT [type]/[id], PUT [type]?... (conditional)
  kPatch,               // PATCH [type]/[id]
  kDelete,              // DELETE [type]/[id]
  kBundle,              // POST [base]: a transaction or batch envelope
  kOperation,           // $name on the system, a type or an instance
  kAdmin,               // /admin/...: metrics, attestation, configuration state
  kAudit,               // the audit trail outside FHIR types (verification, ...)
};

struct AccessRequest {
  Interaction interaction = Interaction::kRead;
  // The type acted on (an R4 resource type); empty at the system level.
  std::string_view resource_type;
  // kOperation: the operation's name without '$' ("transfer").
  std::string_view operation;
  // kUpdate / kPatch: the write creates the resource (the id does not exist
  // yet, or a conditional update matched nothing). When the caller cannot
  // tell before acting, it sets this: asking for more is the safe side.
  bool creates = false;
  // kCreate / kUpdate / kDelete with search criteria (If-None-Exist, PUT or
  // DELETE [type]?...): the criteria are a search.
  bool conditional = false;
  // kSearchSystem / kHistorySystem: the _type list; empty means every type.
  std::vector<std::string_view> types;
  // kSearchType / kSearchSystem: the types _include brings in (need r) and
  // the types _revinclude brings in (need s).
  std::vector<std::string_view> included_types;
  std::vector<std::string_view> revincluded_types;
};

// Ok, or kPermissionDenied whose message names what is missing ("needs
// system/Observation.s", "needs the auditor role"), or kInvalidArgument for a
// request the policy cannot describe (a type that is not an R4 resource type,
// an interaction without its type): the caller refuses those too. Messages
// never repeat request text that is not a known type or operation name.
Status authorize(const ClientGrant& grant, const AccessRequest& request);

// Interactions open to anyone, authenticated or not.
bool is_open(Interaction interaction);

}  // namespace gw::auth
