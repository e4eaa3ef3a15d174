// The custodian's entries of the audit trail (transfer_audit.h): emergency
// access when a request is decided, transfer-sent when a delivery is accepted.
#include "gateway/crypto/tokenizer.h"
#include "gateway/log/log.h"
#include "gateway/transfer/sender.h"
#include "gateway/transfer/transfer_audit.h"

namespace gw::transfer {

audit::Actor TransferSender::actor_of(const OutgoingTransfer& t) {
  {
    std::lock_guard lock(asked_mu_);
    auto it = asked_by_.find(t.id);
    if (it != asked_by_.end()) return it->second;
  }
  return member_actor(t.request.requester ? *t.request.requester : t.request.recipient);
}

Status TransferSender::audit_emergency(const TransferAsk& ask, const OutgoingRequest& r,
                                       audit::Outcome outcome, int64_t at) {
  if (!ctx_.audit) return ok_status();
  TransferAuditFacts f;
  f.actor =
      ask.asked_by ? *ask.asked_by : member_actor(ask.requester ? *ask.requester : r.recipient);
  if (ask.patient_id) f.patient_id = *ask.patient_id;
  // The token the decision was taken under (a pull names it; a push's is
  // known once a token of the patient was checked).
  if (r.patient_token != Hash256{}) f.patient = r.patient_token;
  f.purpose = ask.purpose;
  f.purpose_known = true;
  // Never the stated reason: it is the clinician's free text.
  const std::string detail =
      "to " + ledger::to_hex_0x(r.recipient) +
      (ask.emergency_reason.empty() ? "; no reason given" : "; reason given");
  const audit::AuditEntry e =
      transfer_entry(audit::Action::kEmergencyAccess, f, std::move(outcome), detail, at);
  if (Status s = append_audit(ctx_.audit.get(), {&e, 1}); !s.ok()) {
    log::warn("transfer.audit_failed", {{"error", s.message()}});
    return unavailable_error("the audit trail cannot take the emergency access entry now");
  }
  return ok_status();
}

Status TransferSender::audit_pull_refused(const TransferAsk& ask, audit::Outcome outcome,
                                          int64_t at) {
  if (!ctx_.audit || !ask.requester) return ok_status();
  TransferAuditFacts f;
  f.actor = member_actor(*ask.requester);
  // The token the member asked about (whether or not this gateway holds it).
  f.patient = ask.patient_token;
  f.purpose = ask.purpose;
  f.purpose_known = true;
  const audit::AuditEntry e =
      transfer_entry(audit::Action::kTransferRefused, f, std::move(outcome), "pull request", at);
  if (Status s = append_audit(ctx_.audit.get(), {&e, 1}); !s.ok()) {
    log::warn("transfer.audit_failed", {{"error", s.message()}});
    return unavailable_error("the audit trail cannot take the refusal's entry now");
  }
  return ok_status();
}

// The transfer-sent entries of a round's accepted deliveries, in one commit.
Status TransferSender::audit_sent(const std::vector<const OutgoingTransfer*>& delivered) {
  if (!ctx_.audit || delivered.empty()) return ok_status();
  std::vector<audit::AuditEntry> entries;
  const int64_t at = now();
  for (const OutgoingTransfer* t : delivered) {
    TransferAuditFacts f;
    f.actor = actor_of(*t);
    f.patient = t->request.patient_token;
    // The local Patient: the one stored Patient holding the token, if one.
    const auto patients =
        ctx_.store->patients_with_token(crypto::token_text(t->request.patient_token));
    if (patients.size() == 1) f.patient_id = patients.front();
    f.purpose = t->request.purpose;
    f.purpose_known = true;
    f.transfer = ledger::to_hex_0x(ctx_.self) + "/" + std::to_string(t->id);
    entries.push_back(transfer_entry(
        audit::Action::kTransferSent, f, audit::Outcome{audit::OutcomeKind::kSuccess, 0, ""},
        "to " + ledger::to_hex_0x(t->request.recipient) + "; " + std::to_string(t->record_count) +
            " records" + (t->request.emergency ? "; emergency" : ""),
        at));
  }
  Status s = append_audit(ctx_.audit.get(), entries);
  if (!s.ok()) log::warn("transfer.audit_failed", {{"error", s.message()}});
  return s;
}

}  // namespace gw::transfer
