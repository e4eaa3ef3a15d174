// build_patient_access_report: from a Patient id to the report's PDF, for
// `gatewayctl audit report` and GET /Patient/{id}/$access-report.
#include <algorithm>
#include <map>
#include <string>

#include "fhir/json/json.h"
#include "gateway/auditreport/access_report.h"
#include "gateway/pipeline/tokenize.h"

namespace gw::auditreport {
namespace {

// Enough for a million-entry log in batches of a thousand; a log with more
// batches still gets a report, anchored by the last batch among these.
constexpr size_t kMaxBatchPages = 1000;
constexpr size_t kBatchPage = 1000;

// "Maria Lopez, born 1970-02-03" from the record's first name and birthDate.
std::string patient_display(const store::StoredRecord& patient) {
  auto parsed = fhir::parse_json(patient.resource_json,
                                 fhir::own_document_limits(patient.resource_json.size()));
  if (!parsed.ok()) return "(the patient record could not be read)";
  const fhir::JsonValue& r = parsed.value();
  std::string name;
  if (const fhir::JsonValue* names = r.find("name"); names && !names->items().empty()) {
    const fhir::JsonValue& n = names->items().front();
    if (const fhir::JsonValue* t = n.find("text"); t && t->is_string()) {
      name = t->text();
    } else {
      if (const fhir::JsonValue* given = n.find("given"))
        for (const fhir::JsonValue& g : given->items())
          if (g.is_string()) name += (name.empty() ? "" : " ") + g.text();
      if (const fhir::JsonValue* family = n.find("family"); family && family->is_string())
        name += (name.empty() ? "" : " ") + family->text();
    }
  }
  if (name.empty()) name = "(no name on record)";
  if (const fhir::JsonValue* bd = r.find("birthDate"); bd && bd->is_string())
    name += ", born " + bd->text();
  return name;
}

Result<std::optional<audit::AuditBatch>> last_anchored_batch(audit::AuditLog& log) {
  std::optional<audit::AuditBatch> best;
  int64_t after = 0;
  for (size_t page = 0; page < kMaxBatchPages; ++page) {
    GW_ASSIGN_OR_RETURN(std::vector<audit::AuditBatch> batches, log.batches(after, kBatchPage));
    for (audit::AuditBatch& b : batches) {
      after = b.id;
      if (!b.anchor_tx.empty() && (!best || b.last_seq > best->last_seq)) best = std::move(b);
    }
    if (batches.size() < kBatchPage) break;
  }
  return best;
}

}  // namespace

std::string short_patient_id(std::string_view patient_id) {
  std::string out;
  for (char c : patient_id.substr(0, 3)) out.push_back(c >= 0x21 && c < 0x7F ? c : '?');
  return patient_id.size() <= 3 ? out : out + "...";
}

std::optional<audit::PatientToken> patient_report_token(store::MessageStore& store,
                                                        const crypto::StoreKeys& keys,
                                                        std::string_view patient_id) {
  std::optional<store::StoredRecord> patient = store.read_record("Patient", patient_id);
  if (!patient) return std::nullopt;
  auto tokens = pipeline::stored_patient_tokens(keys, *patient);
  if (tokens.empty()) return std::nullopt;
  return tokens.front();
}

audit::AuditEntry access_report_audit_entry(const audit::Actor& actor, std::string_view patient_id,
                                            std::optional<audit::PatientToken> token,
                                            audit::OutcomeKind outcome, int http_status,
                                            std::string_view reason, int64_t time_ms) {
  audit::AuditEntry e;
  e.time_ms = time_ms;
  e.actor = actor;
  e.action = audit::Action::kExport;
  e.resource_type = "Patient";
  // The entry's bounds: an id past them (not a FHIR id) is cut, not refused,
  // so that the attempt is still recorded.
  e.resource_id = std::string(patient_id.substr(0, audit::kMaxResourceIdBytes));
  for (char& c : e.resource_id)
    if (c < 0x20 || c >= 0x7F) c = '?';
  e.patient = token;
  e.outcome = {outcome, http_status, std::string(reason.substr(0, audit::kMaxReasonBytes))};
  e.detail = "access-report";
  return e;
}

Result<std::string> build_patient_access_report(store::MessageStore& store,
                                                const crypto::StoreKeys& keys, audit::AuditLog& log,
                                                std::string_view patient_id, int64_t from_ms,
                                                int64_t to_ms, const ReportHeader& header) {
  if (to_ms <= from_ms)
    return invalid_argument_error("access report: the period is empty (to must be after from)");
  std::optional<store::StoredRecord> patient = store.read_record("Patient", patient_id);
  if (!patient)
    return not_found_error("access report: no Patient/" + short_patient_id(patient_id) +
                           " in the store");
  const auto tokens = pipeline::stored_patient_tokens(keys, *patient);
  if (tokens.empty())
    return failed_precondition_error(
        "access report: Patient/" + short_patient_id(patient_id) +
        " has no identifier with a system and a value, so no audit entry names them");

  // Each token's entries, every page; an entry names one token, but a map by
  // seq keeps the list ordered and free of repeats whatever the callers did.
  std::map<int64_t, audit::AuditEntry> by_seq;
  for (const audit::PatientToken& token : tokens) {
    audit::AuditQuery q;
    q.patient = token;
    q.from_ms = from_ms;
    q.to_ms = to_ms;
    q.limit = audit::kMaxQueryLimit;
    while (true) {
      GW_ASSIGN_OR_RETURN(audit::AuditPage page, log.query(q));
      for (audit::StoredAuditEntry& e : page.entries) by_seq.emplace(e.seq, std::move(e.entry));
      if (by_seq.size() > kMaxReportRows)
        return resource_exhausted_error("access report: more than " +
                                        std::to_string(kMaxReportRows) +
                                        " entries in the period; ask for a shorter one");
      if (!page.next_after_seq) break;
      q.after_seq = *page.next_after_seq;
    }
  }

  AccessReport report;
  report.organization = header.organization;
  report.generated_ms = header.generated_ms;
  report.patient_display = patient_display(*patient);
  report.from_ms = from_ms;
  report.to_ms = to_ms;
  report.rows.reserve(by_seq.size());
  for (auto& [seq, entry] : by_seq) report.rows.push_back({seq, std::move(entry)});
  GW_ASSIGN_OR_RETURN(report.anchor, last_anchored_batch(log));
  GW_ASSIGN_OR_RETURN(audit::AuditHead head, log.head());
  report.log_last_seq = head.last_seq;
  report.log_pruned_through_seq = head.pruned_through_seq;
  return render_access_report(report);
}

}  // namespace gw::auditreport
