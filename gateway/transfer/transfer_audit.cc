#include "gateway/transfer/transfer_audit.h"

#include "ledger-client/consortium/consent_registry.h"

namespace gw::transfer {
namespace {

// What an entry's text fields accept (audit_entry.h): anything else is left
// out rather than failing the entry.
bool fits(const std::string& s, size_t max) {
  if (s.size() > max) return false;
  for (char c : s) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

}  // namespace

audit::Actor member_actor(const Address& member) {
  return audit::Actor{audit::ActorKind::kMember, ledger::to_hex_0x(member)};
}

audit::Actor rest_caller_actor(const rest::RestRequest& http) {
  if (http.client_authenticated) {
    if (auto a = audit::Actor::parse("client:" + http.sender); a.ok()) return *a;
  }
  return audit::Actor{audit::ActorKind::kAnonymous, ""};
}

std::string purpose_text(uint8_t purpose) {
  auto p = ledger::consortium::purpose_from_byte(purpose);
  return p ? std::string(ledger::consortium::purpose_code(*p)) : std::string();
}

audit::AuditEntry transfer_entry(audit::Action action, const TransferAuditFacts& facts,
                                 audit::Outcome outcome, std::string detail, int64_t now_ms) {
  audit::AuditEntry e;
  e.time_ms = now_ms;
  e.actor = facts.actor;
  // A field out of bounds (a received id is the sender's text) is left out
  // rather than failing the entry.
  if (fits(facts.source, audit::kMaxSourceBytes)) e.source = facts.source;
  e.action = action;
  e.resource_type = "Patient";
  if (fits(facts.patient_id, audit::kMaxResourceIdBytes)) e.resource_id = facts.patient_id;
  if (facts.patient) e.patient = *facts.patient;
  if (facts.purpose_known) e.purpose = purpose_text(facts.purpose);
  e.outcome = std::move(outcome);
  if (!fits(e.outcome.reason, audit::kMaxReasonBytes)) e.outcome.reason.clear();
  if (!facts.transfer.empty())
    detail = "transfer " + facts.transfer + (detail.empty() ? "" : "; " + detail);
  if (detail.size() > audit::kMaxDetailBytes) detail.resize(audit::kMaxDetailBytes);
  if (fits(detail, audit::kMaxDetailBytes)) e.detail = std::move(detail);
  return e;
}

Status append_audit(audit::AuditLog* log, std::span<const audit::AuditEntry> entries) {
  if (log == nullptr || entries.empty()) return ok_status();
  auto written = log->append_all(entries);
  if (!written.ok()) return written.error();
  return ok_status();
}

}  // namespace gw::transfer
