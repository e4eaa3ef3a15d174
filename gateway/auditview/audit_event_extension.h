// The FHIR AuditEvent view of the audit trail, as a REST extension
// (gateway/rest/fhir_api.h ExtensionHandler):
//   GET /AuditEvent?patient=..&date=..&agent=..&_count=..   a searchset Bundle,
//       oldest entry first (by seq), a page at a time (audit_search.h lists
//       the parameters)
//   GET /AuditEvent/{seq}                                    one entry
// Anything else on AuditEvent is 405 (nobody writes the audit trail through
// FHIR); GET on other sub-paths (_history, operations) is 404. Other
// resource types are not claimed (nullopt).
//
// AUTHORIZATION IS NOT CHECKED HERE. Only clients with the `auditor` role
// may reach this handler: the integrator's authorization step, which runs
// before extensions, must refuse everyone else. The view itself trusts its
// caller and shows every entry it is asked for.
//
// Paging is by seq (_after=SEQ in the next link): seqs only grow, so entries
// appended while an auditor pages appear on a later page (if they match) and
// never shift or repeat earlier ones. Bundle.total is omitted (counting
// would decrypt every match).
//
// Thread-safe: the handler holds the log (thread-safe) and copies of the
// options; the resolver is called from the request's thread.
#pragma once

#include <memory>

#include "gateway/audit/audit_log.h"
#include "gateway/auditview/audit_event.h"
#include "gateway/auditview/audit_search.h"
#include "gateway/rest/fhir_api.h"

namespace gw::auditview {

struct AuditEventViewOptions {
  // "https://host:8443", no trailing slash: fullUrl, the links, and the
  // destination agent's address (context.base_url, when that is empty).
  std::string base_url;
  AuditEventContext context;
  // `patient=Patient/ID`: the id's consortium token. Without one, such a
  // search is answered 501 (patient.identifier=<token> still works).
  PatientResolver resolve_patient;
  size_t default_count = 50;
  size_t max_count = audit::kMaxQueryLimit;
};

rest::ExtensionHandler make_audit_event_extension(std::shared_ptr<audit::AuditLog> log,
                                                  AuditEventViewOptions options);

}  // namespace gw::auditview
