#include "gateway/auditview/audit_event.h"

#include <cctype>
#include <span>
#include <vector>

#include "fhir/validate/validator.h"
#include "gateway/rest/fhir_rest_util.h"
#include "ledger-client/keccak/keccak.h"

namespace gw::auditview {
namespace {

using audit::Action;
using audit::ActorKind;
using audit::AuditEntry;
using audit::OutcomeKind;
using fhir::JsonValue;

constexpr std::string_view kDicom = "http://dicom.nema.org/resources/ontology/DCM";
constexpr std::string_view kEventType = "http://terminology.hl7.org/CodeSystem/audit-event-type";
constexpr std::string_view kRestful = "http://hl7.org/fhir/restful-interaction";
constexpr std::string_view kActReason = "http://terminology.hl7.org/CodeSystem/v3-ActReason";
constexpr std::string_view kSourceType =
    "http://terminology.hl7.org/CodeSystem/security-source-type";
constexpr std::string_view kEntityType = "http://terminology.hl7.org/CodeSystem/audit-entity-type";
constexpr std::string_view kObjectRole = "http://terminology.hl7.org/CodeSystem/object-role";
constexpr std::string_view kBalp = "https://profiles.ihe.net/ITI/BALP/StructureDefinition/";

struct Code {
  std::string_view system, code, display;
};

// How each action reads as an AuditEvent: its type, the standard subtype
// (if any), the AuditEventAction code, and the BALP profile names for a
// successful interaction without and with a patient ("" where none fits).
struct ActionShape {
  Code type;
  Code subtype;  // system "" when there is no standard subtype
  std::string_view action;
  std::string_view profile, patient_profile;
};

constexpr Code kRest{kEventType, "rest", "Restful Operation"};
constexpr Code kAppActivity{kDicom, "110100", "Application Activity"};
constexpr Code kNone{};

ActionShape shape_of(Action action) {
  switch (action) {
    case Action::kRead:
      return {kRest,
              {kRestful, "read", "read"},
              "R",
              "IHE.BasicAudit.Read",
              "IHE.BasicAudit.PatientRead"};
    case Action::kVread:
      return {kRest,
              {kRestful, "vread", "vread"},
              "R",
              "IHE.BasicAudit.Read",
              "IHE.BasicAudit.PatientRead"};
    // BALP Query asks for the raw query (entity[query].query): the audit
    // entry does not keep it (it may name a patient), so no profile.
    case Action::kSearch:
      return {kRest, {kRestful, "search-type", "search type"}, "E", "", ""};
    case Action::kCreate:
      return {kRest,
              {kRestful, "create", "create"},
              "C",
              "IHE.BasicAudit.Create",
              "IHE.BasicAudit.PatientCreate"};
    case Action::kUpdate:
      return {kRest,
              {kRestful, "update", "update"},
              "U",
              "IHE.BasicAudit.Update",
              "IHE.BasicAudit.PatientUpdate"};
    case Action::kDelete:
      return {kRest,
              {kRestful, "delete", "delete"},
              "D",
              "IHE.BasicAudit.Delete",
              "IHE.BasicAudit.PatientDelete"};
    // A POST or PUT entry of a transaction: the entry does not say whether
    // it created or updated, so "U" (a write) and no profile.
    case Action::kTransactionEntry:
      return {kRest, {kRestful, "transaction", "transaction"}, "U", "", ""};
    // DICOM's Export and Import events (records leaving or entering).
    case Action::kExport:
      return {{kDicom, "110106", "Export"}, kNone, "R", "", ""};
    case Action::kTransferSent:
      return {{kDicom, "110106", "Export"}, kNone, "R", "", ""};
    case Action::kTransferReceived:
      return {{kDicom, "110107", "Import"}, kNone, "C", "", ""};
    // Refusals are in either direction (a delivery refused here, or a
    // transfer this gateway would not send): neither Export nor Import.
    case Action::kTransferRefused:
      return {kAppActivity, kNone, "E", "", ""};
    case Action::kConsentChange:
      return {{kDicom, "110110", "Patient Record"}, kNone, "U", "", ""};
    // "Break the glass": DICOM's Security Alert, Emergency Override Started.
    case Action::kEmergencyAccess:
      return {{kDicom, "110113", "Security Alert"},
              {kDicom, "110127", "Emergency Override Started"},
              "E",
              "",
              ""};
    case Action::kAuthFailure:
      return {{kDicom, "110114", "User Authentication"}, {kDicom, "110122", "Login"}, "E", "", ""};
    case Action::kOperation:
      return {kRest, {kRestful, "operation", "operation"}, "E", "", ""};
    case Action::kAdmin:
    case Action::kAttestation:
    case Action::kConfigLoad:
      break;
  }
  return {kAppActivity, kNone, "E", "", ""};
}

bool is_rest(Action action) { return shape_of(action).type.code == kRest.code; }

JsonValue str(std::string_view s) { return JsonValue::make_string(std::string(s)); }

JsonValue coding(const Code& c) {
  JsonValue out = JsonValue::make_object();
  out.add("system", str(c.system));
  out.add("code", str(c.code));
  if (!c.display.empty()) out.add("display", str(c.display));
  return out;
}

JsonValue concept_of(const Code& c) {
  JsonValue out = JsonValue::make_object();
  out.add("coding", JsonValue::make_array()).push(coding(c));
  return out;
}

JsonValue identifier(std::string_view system, std::string_view value) {
  JsonValue out = JsonValue::make_object();
  out.add("system", str(system));
  out.add("value", str(value));
  return out;
}

// FHIR's code grammar: no leading, trailing or doubled whitespace.
bool is_fhir_code(std::string_view s) {
  if (s.empty() || s.front() == ' ' || s.back() == ' ') return false;
  return s.find("  ") == std::string_view::npos;
}

// The peer's address without its port: "10.0.0.5:51234" -> "10.0.0.5",
// "[2001:db8::1]:443" -> "2001:db8::1". An address with several colons
// and no brackets is an IPv6 address without a port and stays whole.
std::string_view host_of(std::string_view source) {
  if (source.starts_with('[')) {
    const size_t close = source.find(']');
    if (close != std::string_view::npos) return source.substr(1, close - 1);
    return source;
  }
  const size_t colon = source.find(':');
  if (colon != std::string_view::npos && source.find(':', colon + 1) == std::string_view::npos) {
    return source.substr(0, colon);
  }
  return source;
}

bool is_ip_literal(std::string_view host) {
  bool colon = false, dot = false;
  for (char c : host) {
    if (c == ':') {
      colon = true;
    } else if (c == '.') {
      dot = true;
    } else if (!std::isxdigit(static_cast<unsigned char>(c)) && c != '%') {
      return false;
    }
  }
  return colon || dot;
}

JsonValue network(std::string_view address, std::string_view type) {
  JsonValue out = JsonValue::make_object();
  out.add("address", str(address));
  out.add("type", str(type));
  return out;
}

// The actor: who asked (requestor). BALP's "client" agent (Source Role ID);
// the gateway's clients are systems (SMART Backend Services), not users.
JsonValue requestor_agent(const AuditEntry& e) {
  JsonValue agent = JsonValue::make_object();
  agent.add("type", concept_of({kDicom, "110153", "Source Role ID"}));
  JsonValue who = JsonValue::make_object();
  if (e.actor.kind == ActorKind::kClient)
    who.add("identifier", identifier(kClientSystem, e.actor.id));
  if (e.actor.kind == ActorKind::kMember)
    who.add("identifier", identifier(kMemberSystem, e.actor.id));
  who.add("display", str(e.actor.to_string()));
  agent.add("who", std::move(who));
  agent.add("requestor", JsonValue::make_bool(true));
  if (!e.source.empty()) {
    const std::string_view host = host_of(e.source);
    if (!host.empty()) agent.add("network", network(host, is_ip_literal(host) ? "2" : "1"));
  }
  return agent;
}

// The gateway as the one a request came to (BALP's "server" agent).
JsonValue destination_agent(const AuditEventContext& ctx) {
  JsonValue agent = JsonValue::make_object();
  agent.add("type", concept_of({kDicom, "110152", "Destination Role ID"}));
  JsonValue who = JsonValue::make_object();
  who.add("display", str(ctx.observer_name.empty() ? "gatewayd" : ctx.observer_name));
  agent.add("who", std::move(who));
  agent.add("requestor", JsonValue::make_bool(false));
  if (!ctx.base_url.empty()) agent.add("network", network(ctx.base_url, "5"));  // URI
  return agent;
}

// The resource acted on: a reference when type and id make one, else the
// type alone (a search) or, for what is not a valid FHIR type or id (a
// refused request may name anything), the text as the entity's name.
JsonValue resource_entity(const AuditEntry& e, bool* referenced) {
  JsonValue entity = JsonValue::make_object();
  const bool known_type = fhir::is_resource_type(e.resource_type);
  *referenced = known_type && rest::is_valid_id(e.resource_id);
  if (*referenced) {
    JsonValue what = JsonValue::make_object();
    what.add("reference", str(e.resource_type + "/" + e.resource_id));
    entity.add("what", std::move(what));
  } else if (known_type && e.resource_id.empty()) {
    JsonValue what = JsonValue::make_object();
    what.add("type", str(e.resource_type));
    entity.add("what", std::move(what));
  }
  entity.add("type", coding({kEntityType, "2", "System Object"}));
  if (e.action == Action::kSearch) {
    entity.add("role", coding({kObjectRole, "24", "Query"}));
  } else {
    entity.add("role", coding({kObjectRole, "4", "Domain Resource"}));
  }
  if (entity.find("what") == nullptr) {
    entity.add("name", str(e.resource_id.empty() ? e.resource_type
                                                 : e.resource_type + "/" + e.resource_id));
  }
  return entity;
}

JsonValue patient_entity(const audit::PatientToken& token) {
  JsonValue entity = JsonValue::make_object();
  JsonValue what = JsonValue::make_object();
  what.add("type", str("Patient"));
  what.add("identifier", identifier(kPatientTokenSystem, patient_token_text(token)));
  entity.add("what", std::move(what));
  entity.add("type", coding({kEntityType, "1", "Person"}));
  entity.add("role", coding({kObjectRole, "1", "Patient"}));
  return entity;
}

std::string_view outcome_code(OutcomeKind kind) {
  switch (kind) {
    case OutcomeKind::kSuccess:
      return "0";
    case OutcomeKind::kRefused:
      return "4";  // minor failure: the request's fault or not allowed (HTTP 4xx)
    case OutcomeKind::kFailed:
      break;
  }
  return "8";  // serious failure: the gateway's (HTTP 5xx)
}

std::string outcome_text(const AuditEntry& e) {
  std::string out(e.outcome.reason);
  const auto append = [&out](std::string_view part) {
    if (part.empty()) return;
    if (!out.empty()) out += "; ";
    out += part;
  };
  if (e.outcome.http_status != 0) append("HTTP " + std::to_string(e.outcome.http_status));
  append(e.detail);
  return out;
}

}  // namespace

std::string patient_token_text(const audit::PatientToken& token) {
  return ledger::to_hex_0x(std::span<const uint8_t>(token.data(), token.size()));
}

JsonValue to_audit_event(const audit::StoredAuditEntry& stored, const AuditEventContext& context) {
  const AuditEntry& e = stored.entry;
  const ActionShape shape = shape_of(e.action);
  // The gateway is the destination of every request that reached it over a
  // network: all but the operator's (gatewayctl on the appliance).
  const bool received = e.actor.kind != ActorKind::kOperator;

  bool referenced = false;
  JsonValue entities = JsonValue::make_array();
  if (!e.resource_type.empty() || !e.resource_id.empty()) {
    entities.push(resource_entity(e, &referenced));
  }
  if (e.patient) entities.push(patient_entity(*e.patient));

  JsonValue event = JsonValue::make_object();
  event.add("resourceType", str("AuditEvent"));
  event.add("id", str(std::to_string(stored.seq)));
  // Claim a BALP profile only where the event has what it asks for: a
  // successful RESTful interaction on a referenced resource, the client's
  // and the server's network addresses.
  const std::string_view profile = e.patient ? shape.patient_profile : shape.profile;
  if (!profile.empty() && is_rest(e.action) && e.outcome.kind == OutcomeKind::kSuccess &&
      referenced && received && !host_of(e.source).empty() && !context.base_url.empty()) {
    JsonValue meta = JsonValue::make_object();
    meta.add("profile", JsonValue::make_array())
        .push(str(std::string(kBalp) + std::string(profile)));
    event.add("meta", std::move(meta));
  }
  event.add("type", coding(shape.type));
  JsonValue subtype = JsonValue::make_array();
  if (!shape.subtype.system.empty()) subtype.push(coding(shape.subtype));
  subtype.push(coding({kAuditActionSystem, audit::action_name(e.action), ""}));
  event.add("subtype", std::move(subtype));
  event.add("action", str(shape.action));
  event.add("recorded", str(rest::format_instant(e.time_ms)));
  event.add("outcome", str(outcome_code(e.outcome.kind)));
  if (std::string desc = outcome_text(e); !desc.empty()) event.add("outcomeDesc", str(desc));
  if (!e.purpose.empty()) {
    JsonValue purpose = JsonValue::make_object();
    if (is_fhir_code(e.purpose)) {
      purpose.add("coding", JsonValue::make_array()).push(coding({kActReason, e.purpose, ""}));
    } else {
      purpose.add("text", str(e.purpose));
    }
    JsonValue purposes = JsonValue::make_array();
    purposes.push(std::move(purpose));
    event.add("purposeOfEvent", std::move(purposes));
  }

  JsonValue agents = JsonValue::make_array();
  agents.push(requestor_agent(e));
  if (received) agents.push(destination_agent(context));
  event.add("agent", std::move(agents));

  JsonValue source = JsonValue::make_object();
  if (!context.site.empty()) source.add("site", str(context.site));
  JsonValue observer = JsonValue::make_object();
  observer.add("display", str(context.observer_name.empty() ? "gatewayd" : context.observer_name));
  source.add("observer", std::move(observer));
  JsonValue source_types = JsonValue::make_array();
  source_types.push(coding({kSourceType, "4", "Application Server"}));
  source.add("type", std::move(source_types));
  event.add("source", std::move(source));
  if (!entities.empty()) event.add("entity", std::move(entities));
  return event;
}

}  // namespace gw::auditview
