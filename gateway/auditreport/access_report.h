// The patient access report: every audit entry that names a patient in a
// period, in plain words (who, when, what, why, how it ended, whether it was
// emergency access), with the ledger anchor that proves the list complete up
// to its last anchored batch, as a PDF a records clerk hands to the patient.
//
// The PDF goes to the patient, so it may hold their name and birth date (the
// caller's `patient_display`); nothing else in it is PHI: rows name resource
// types, never record ids or contents, and audit entries hold no PHI.
//
// Two layers: render_access_report() lays out an AccessReport (pure: same
// input, same bytes), and build_patient_access_report() fills one from the
// message store and the audit log for `gatewayctl audit report` and
// `GET /Patient/{id}/$access-report`. Neither appends the audit entry of the
// report itself: the caller does (its actor differs), with
// access_report_audit_entry().
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/audit/audit_entry.h"
#include "gateway/audit/audit_log.h"
#include "gateway/base/status.h"
#include "gateway/crypto/store_keys.h"
#include "gateway/store/message_store.h"

namespace gw::auditreport {

// A report longer than this is refused (resource-exhausted: ask for a
// shorter period): ~36 rows a page, so about 280 pages.
inline constexpr size_t kMaxReportRows = 10'000;

struct AccessReport {
  std::string organization;     // the gateway's organization, as configured (UTF-8)
  std::string patient_display;  // e.g. "Maria Lopez, born 1970-02-03" (UTF-8)
  int64_t from_ms = 0;          // the period: from_ms <= time < to_ms
  int64_t to_ms = 0;
  int64_t generated_ms = 0;  // also the PDF's creation date
  // Ascending by seq; at most kMaxReportRows.
  std::vector<audit::StoredAuditEntry> rows;
  // The anchored batch with the highest last_seq, if any: its root commits to
  // every entry up to last_seq. Rows after it are "not yet anchored".
  std::optional<audit::AuditBatch> anchor;
  int64_t log_last_seq = 0;  // the log's head when the report was made
  // Entries up to here were deleted at the end of the retention period
  // (AuditLog::prune_before): the report cannot list them.
  int64_t log_pruned_through_seq = 0;
};

// The PDF (A4 landscape, Helvetica/Courier with WinAnsi encoding: text outside
// it is replaced by '?', values too long for their column end in "...").
// Deterministic for the same input. invalid-argument for a period that is
// empty or rows past kMaxReportRows; internal if libharu fails.
Result<std::string> render_access_report(const AccessReport& report);

// What the report's header says that the store does not.
struct ReportHeader {
  std::string organization;
  int64_t generated_ms = 0;
};

// The access report of Patient/`patient_id` for [from_ms, to_ms): resolves
// the patient in `store` to its consortium tokens, queries `log` by each
// (every page), takes the last anchored batch, and renders. The display is
// the record's first name and birthDate. Errors:
//  - not-found: no such Patient (the message names at most a short form of
//    the id);
//  - failed-precondition: the Patient has no identifier with a system and a
//    value, so no audit entry can name them (an empty report would lie);
//  - resource-exhausted: more than kMaxReportRows entries;
//  - the audit log's own errors (data-loss: run verify).
Result<std::string> build_patient_access_report(store::MessageStore& store,
                                                const crypto::StoreKeys& keys, audit::AuditLog& log,
                                                std::string_view patient_id, int64_t from_ms,
                                                int64_t to_ms, const ReportHeader& header);

// The patient's first consortium token (the one the gateway registers them
// under), for the report's own audit entry; nullopt when the Patient is
// missing or has none.
std::optional<audit::PatientToken> patient_report_token(store::MessageStore& store,
                                                        const crypto::StoreKeys& keys,
                                                        std::string_view patient_id);

// The audit entry of making a report: action export of Patient/`patient_id`
// (ids over 64 bytes are cut), detail "access-report". `http_status` 0 for
// the CLI.
audit::AuditEntry access_report_audit_entry(const audit::Actor& actor, std::string_view patient_id,
                                            std::optional<audit::PatientToken> token,
                                            audit::OutcomeKind outcome, int http_status,
                                            std::string_view reason, int64_t time_ms);

// "ab1..." (at most the first 3 characters): how errors name a patient id.
std::string short_patient_id(std::string_view patient_id);

}  // namespace gw::auditreport
