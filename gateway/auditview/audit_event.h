// One audit entry (gateway/audit) as a FHIR R4 AuditEvent shaped after the
// IHE Basic Audit Log Patterns (BALP, https://profiles.ihe.net/ITI/BALP/).
//
// The mapping is a pure function of the stored entry and the gateway's own
// identity: nothing is looked up, and nothing is added that the entry does
// not hold. In particular the patient appears only as the consortium token
// the entry carries (an Identifier under kPatientTokenSystem), never as a
// name or a local Patient id: resolving a token back to a person is for
// whoever holds the tokenization key, not for this view.
//
// Which BALP profile an event claims (meta.profile), and why some claim
// none, is in README.md ("The mapping").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "fhir/json/json.h"
#include "gateway/audit/audit_log.h"

namespace gw::auditview {

// The gateway's own code system for its actions: every AuditEvent carries
// one subtype coding from it (the entry's action name: "read",
// "transfer-sent", "auth-failure", ... as gateway/audit/audit_entry.h lists
// them), beside the standard codes where one exists.
inline constexpr std::string_view kAuditActionSystem = "urn:gateway:audit-action";
// Identifier system of consortium patient tokens (32 bytes, written "0x" and
// 64 lowercase hex digits, the form the ledger shows for bytes32).
inline constexpr std::string_view kPatientTokenSystem = "urn:gateway:consortium-patient-token";
// Identifier systems of the actors: configured client names ([client.NAME])
// and consortium member addresses ("0x" + 40 hex).
inline constexpr std::string_view kClientSystem = "urn:gateway:client";
inline constexpr std::string_view kMemberSystem = "urn:gateway:consortium-member";

// The gateway as observer (AuditEvent.source) and, for requests it received,
// as the destination agent.
struct AuditEventContext {
  std::string observer_name = "gatewayd";  // e.g. the member's name or host name
  // The FHIR base URL ("https://host:8443"); the destination agent's network
  // address. May be empty (then no BALP profile is claimed: BALP asks for it).
  std::string base_url;
  std::string site;  // AuditEvent.source.site; may be empty
};

// The AuditEvent of one stored entry; id = the entry's seq in decimal. The
// result passes fhir::validate_resource for every entry that passes
// audit::validate (audit_event_test checks each action).
fhir::JsonValue to_audit_event(const audit::StoredAuditEntry& stored,
                               const AuditEventContext& context);

// "0x" + 64 lowercase hex digits, the Identifier.value of a patient token.
std::string patient_token_text(const audit::PatientToken& token);

}  // namespace gw::auditview
