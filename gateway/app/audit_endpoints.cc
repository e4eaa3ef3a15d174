#include "gateway/app/audit_endpoints.h"

#include "gateway/auditreport/access_report.h"
#include "gateway/auditview/audit_search.h"
#include "gateway/base/clock.h"

namespace gw::app {

namespace {

rest::ApiResult report_error(const Status& st) {
  switch (st.code()) {
    case StatusCode::kNotFound:
      return rest::error_result(404, "not-found", "no such Patient");
    case StatusCode::kFailedPrecondition:
      return rest::error_result(422, "processing",
                                "the Patient has no identifier the audit trail can name");
    case StatusCode::kInvalidArgument:
    case StatusCode::kResourceExhausted:
      return rest::error_result(400, "too-costly", "narrow the period (from, to)");
    default:
      return rest::error_result(500, "exception", "the access report could not be built");
  }
}

}  // namespace

rest::CapabilityOperation access_report_operation() {
  return {"access-report", "urn:gatewayd:operation:access-report", "Patient",
          "GET: the patient's access report (PDF): every access to and transfer of their "
          "records, with the ledger anchor that proves the list complete. Auditor role."};
}

rest::ExtensionHandler make_access_report_extension(store::MessageStore* store,
                                                    std::shared_ptr<audit::AuditLog> log,
                                                    std::string organization) {
  return [store, log,
          organization](const rest::ExtensionRequest& r) -> std::optional<rest::ApiResult> {
    if (r.segments.size() != 3 || r.segments[0] != "Patient" || r.segments[2] != "$access-report") {
      return std::nullopt;
    }
    if (r.http.method != "GET") {
      rest::ApiResult e = rest::error_result(405, "not-supported", "GET only");
      e.headers.emplace_back("Allow", "GET");
      return e;
    }
    int64_t from_ms = 0, to_ms = now_ms() + 1;
    for (const auto& [name, value] : r.params) {
      if (name == "_format") continue;
      if (name != "from" && name != "to") {
        return rest::error_result(400, "not-supported", "parameters are from and to");
      }
      Result<auditview::TimeInterval> t = auditview::parse_date_value(value);
      if (!t.ok()) return rest::error_result(400, "invalid", name + " is not a FHIR date");
      (name == "from" ? from_ms : to_ms) = name == "from" ? t->from_ms : t->to_ms;
    }
    const std::string& id = r.segments[1];
    auditreport::ReportHeader header{organization, now_ms()};
    Result<std::string> pdf = auditreport::build_patient_access_report(*store, store->keys(), *log,
                                                                       id, from_ms, to_ms, header);
    rest::ApiResult out = pdf.ok() ? rest::ApiResult{} : report_error(pdf.status());
    if (pdf.ok()) {
      out.raw_body = std::move(pdf).value();
      out.raw_content_type = "application/pdf";
      out.headers.emplace_back("Cache-Control", "no-store");
    }
    rest::AccessNote n;
    n.action = audit::Action::kExport;
    n.resource_type = "Patient";
    if (rest::is_valid_id(id)) {
      n.resource_id = id;
      n.patient_ids.push_back(id);
    }
    n.status = out.status;
    out.accessed.push_back(std::move(n));
    return out;
  };
}

}  // namespace gw::app
