// The audit trail's entries for transfers (gateway/audit): sent (the
// custodian, once the recipient stored it), received (the recipient, once
// stored), refused (the recipient's refusals, with the reason code) and
// emergency access (the custodian's break-the-glass decision).
//
// Entries name the patient by consortium token and the other member by
// account; `detail` holds counts and codes only (never an emergency reason,
// which is the requesting clinician's free text).
#pragma once

#include <optional>
#include <span>
#include <string>

#include "gateway/audit/audit_entry.h"
#include "gateway/audit/audit_log.h"
#include "gateway/base/status.h"
#include "gateway/rest/rest_types.h"
#include "gateway/transfer/payload.h"

namespace gw::transfer {

// "member:0x<40 hex>".
audit::Actor member_actor(const Address& member);
// Who made a REST request: "client:NAME" when a configured client did (the
// HTTPS server puts its name in `sender`), else "anonymous".
audit::Actor rest_caller_actor(const rest::RestRequest& http);
// The purpose byte as its v3 code ("TREAT", "ETREAT", ...); "" when unassigned.
std::string purpose_text(uint8_t purpose);

struct TransferAuditFacts {
  audit::Actor actor;
  std::string source;              // the peer's address, when known
  std::optional<Hash256> patient;  // the consortium token the transfer names
  std::string patient_id;          // the local Patient id, when known
  uint8_t purpose = 0;
  bool purpose_known = false;  // refusals before the box opens know none
  std::string transfer;        // "0x<sender>/<id>", for detail
};

audit::AuditEntry transfer_entry(audit::Action action, const TransferAuditFacts& facts,
                                 audit::Outcome outcome, std::string detail, int64_t now_ms);

// Appends durably; ok without writing when `log` is null (tests, older
// constructions that pass no audit trail).
Status append_audit(audit::AuditLog* log, std::span<const audit::AuditEntry> entries);

}  // namespace gw::transfer
