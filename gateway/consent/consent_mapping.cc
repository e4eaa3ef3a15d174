// FHIR R4 Consent -> ConsentPlan: the Consent's own elements (status, scope,
// policyRule, patient); the provision is read in consent_provision.cc, the
// data types in consent_fhir_read.cc. README.md in this folder is the
// specification.
#include "gateway/consent/consent_mapping.h"

#include <algorithm>
#include <utility>

#include "gateway/consent/consent_fhir_read.h"
#include "gateway/consent/consent_provision.h"

namespace gw::consent {
namespace {

using namespace internal;  // NOLINT: this file is the module's implementation

constexpr std::string_view kConsentScope = "http://terminology.hl7.org/CodeSystem/consentscope";
constexpr std::string_view kActCode = "http://terminology.hl7.org/CodeSystem/v3-ActCode";

Check check_status(const JsonValue& consent, ConsentStatus* out) {
  const JsonValue* v = consent.find("status");
  if (v == nullptr) return invalid("Consent", "status is required");
  GW_ASSIGN_OR_RETURN(std::string_view s, read_string(*v, "Consent.status", 64));
  if (s == "active")
    *out = ConsentStatus::kActive;
  else if (s == "inactive")
    *out = ConsentStatus::kInactive;
  else if (s == "entered-in-error")
    *out = ConsentStatus::kEnteredInError;
  else if (s == "draft" || s == "proposed" || s == "rejected") {
    return not_expressible("Consent.status",
                           "a draft, proposed or rejected Consent has no ledger meaning; send it "
                           "when it is active");
  } else {
    return invalid("Consent.status", "not a Consent status code");
  }
  return std::nullopt;
}

Check check_scope(const JsonValue& consent) {
  const JsonValue* v = consent.find("scope");
  if (v == nullptr) return invalid("Consent", "scope is required");
  GW_ASSIGN_OR_RETURN(std::vector<CodingView> codings, read_concept(*v, "Consent.scope"));
  bool privacy = false, other = false;
  for (const CodingView& c : codings) {
    if (c.system == kConsentScope) (c.code == "patient-privacy" ? privacy : other) = true;
  }
  if (!privacy || other) {
    return not_expressible("Consent.scope",
                           "the ledger holds privacy consents only: scope patient-privacy of "
                           "http://terminology.hl7.org/CodeSystem/consentscope");
  }
  return std::nullopt;
}

// The consortium's base rule is opt-in (no grant means deny); a Consent made
// under any other base rule means something the provisions alone do not say.
Check check_policy_rule(const JsonValue& consent) {
  const JsonValue* v = consent.find("policyRule");
  if (v == nullptr) return std::nullopt;
  GW_ASSIGN_OR_RETURN(std::vector<CodingView> codings, read_concept(*v, "Consent.policyRule"));
  for (const CodingView& c : codings) {
    if (c.system == kActCode && c.code == "OPTIN") return std::nullopt;
  }
  return not_expressible("Consent.policyRule",
                         "the consortium's base rule is opt-in (no grant means deny): policyRule "
                         "may only be OPTIN of v3-ActCode");
}

bool is_fhir_id(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.';
  });
}

ConsentResult<PatientRef> read_patient(const JsonValue& consent) {
  const JsonValue* v = consent.find("patient");
  if (v == nullptr) {
    return not_expressible("Consent",
                           "the ledger records consent per patient: patient is required");
  }
  const std::string path = "Consent.patient";
  GW_ASSIGN_OR_RETURN(ReferenceView r, read_reference(*v, path));
  if (!r.type.empty() && r.type != "Patient") {
    return invalid(child(path, "type"), "Consent.patient refers to a Patient");
  }
  if (!r.reference.empty() && r.identifier) {
    return not_expressible(path,
                           "give either reference or identifier, not both (they could "
                           "disagree)");
  }
  PatientRef out;
  if (r.identifier) {
    if (r.identifier->system.empty()) {
      return not_expressible(child(path, "identifier"),
                             "a patient identifier needs a system to be resolved");
    }
    out.identifier_system = r.identifier->system;
    out.identifier_value = r.identifier->value;
    return out;
  }
  constexpr std::string_view kPrefix = "Patient/";
  if (r.reference.substr(0, kPrefix.size()) != kPrefix ||
      !is_fhir_id(r.reference.substr(kPrefix.size()))) {
    return not_expressible(child(path, "reference"),
                           "give a stored patient as Patient/{id} (no URL, version or contained "
                           "resource) or give its identifier");
  }
  out.id = r.reference.substr(kPrefix.size());
  return out;
}

}  // namespace

std::string ConsentError::to_string() const { return path + ": " + reason; }

ConsentResult<ConsentPlan> map_consent(const fhir::JsonValue& consent,
                                       const MemberResolver& resolve_member, uint64_t now) {
  GW_CONSENT_CHECK(
      check_object(consent, "Consent", {"resourceType",    "id",           "meta",
                                        "implicitRules",   "language",     "text",
                                        "contained",       "extension",    "modifierExtension",
                                        "identifier",      "status",       "scope",
                                        "category",        "patient",      "dateTime",
                                        "performer",       "organization", "sourceAttachment",
                                        "sourceReference", "policy",       "policyRule",
                                        "verification",    "provision"}));
  const JsonValue* type = consent.find("resourceType");
  if (type == nullptr || !type->is_string() || type->text() != "Consent") {
    return invalid("Consent", "resourceType must be Consent");
  }
  if (consent.find("implicitRules") != nullptr) {
    return not_expressible("Consent.implicitRules",
                           "implicit rules may change the meaning; the gateway does not know them");
  }
  ConsentPlan plan;
  GW_CONSENT_CHECK(check_status(consent, &plan.status));
  GW_CONSENT_CHECK(check_scope(consent));
  GW_CONSENT_CHECK(check_policy_rule(consent));
  GW_ASSIGN_OR_RETURN(plan.patient, read_patient(consent));
  // An inactive or entered-in-error Consent takes back what the previous
  // version put on the chain, whatever its provision says now.
  if (!plan.in_force()) return plan;

  const JsonValue* provision = consent.find("provision");
  if (provision == nullptr) {
    return not_expressible("Consent",
                           "an active Consent without provision grants or denies "
                           "nothing");
  }
  GW_CONSENT_CHECK(map_provision(*provision, "Consent.provision", resolve_member, now, &plan));
  return plan;
}

fhir::JsonParseOptions consent_json_limits() {
  fhir::JsonParseOptions o;
  o.max_input_bytes = 1u << 20;
  o.max_depth = 32;
  o.max_object_members = 256;
  o.max_array_items = 4096;
  o.max_string_bytes = 512u << 10;  // the narrative may be long
  o.max_values = 100'000;
  return o;
}

ConsentResult<ConsentPlan> map_consent_json(std::string_view json,
                                            const MemberResolver& resolve_member, uint64_t now) {
  fhir::JsonResult<fhir::JsonValue> parsed = fhir::parse_json(json, consent_json_limits());
  if (!parsed.ok()) {
    return invalid("Consent", "not acceptable JSON: " + parsed.error().to_string());
  }
  return map_consent(*parsed, resolve_member, now);
}

}  // namespace gw::consent
