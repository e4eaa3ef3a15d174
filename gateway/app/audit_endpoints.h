// The audit trail on the FHIR API, for clients with the auditor role (the
// policy checks the role before these run): GET /AuditEvent (the IHE BALP
// view, gateway/auditview) and GET /Patient/{id}/$access-report (the PDF a
// records clerk hands the patient, gateway/auditreport).
#pragma once

#include <memory>
#include <string>

#include "gateway/audit/audit_log.h"
#include "gateway/rest/fhir_api.h"
#include "gateway/store/message_store.h"

namespace gw::app {

// ?from=DATE&to=DATE (FHIR date or dateTime; default: all history): the
// report of the entries in [from, to). Answers application/pdf; its own audit
// entry is an export of the patient's trail.
rest::ExtensionHandler make_access_report_extension(store::MessageStore* store,
                                                    std::shared_ptr<audit::AuditLog> log,
                                                    std::string organization);

rest::CapabilityOperation access_report_operation();

}  // namespace gw::app
