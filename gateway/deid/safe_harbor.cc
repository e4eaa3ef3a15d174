#include "gateway/deid/safe_harbor.h"

#include <algorithm>
#include <array>
#include <optional>
#include <unordered_map>
#include <utility>

#include "fhir/defs/definitions.h"
#include "fhir/json/canonical.h"
#include "fhir/json/json.h"
#include "fhir/validate/validator.h"
#include "gateway/deid/rules.h"
#include "gateway/deid/study_keys.h"
#include "gateway/deid/walker.h"

namespace gw::deid {
namespace {

using fhir::JsonValue;
using internal::WalkOutcome;

constexpr std::array<std::string_view, 17> kRestrictedZip3 = {
    "036", "059", "063", "102", "203", "556", "692", "790", "821",
    "823", "830", "831", "878", "879", "884", "890", "893"};

// Clinical resources about the patient. Everything else is dropped whole:
// people other than the patient (RelatedPerson, Person, Practitioner,
// PractitionerRole, CareTeam), organizations and places (an employer, a
// Location's address and position), payment (Coverage, Account, Claim,
// ExplanationOfBenefit: plan and account numbers), documents and messages
// (DocumentReference, Media, Binary, Communication, Composition,
// QuestionnaireResponse: free text), and trails (Provenance, AuditEvent,
// MessageHeader, Consent).
constexpr std::array<std::string_view, 28> kAllowedTypes = {"AllergyIntolerance",
                                                            "BodyStructure",
                                                            "CarePlan",
                                                            "ClinicalImpression",
                                                            "Condition",
                                                            "Device",
                                                            "DeviceRequest",
                                                            "DeviceUseStatement",
                                                            "DiagnosticReport",
                                                            "Encounter",
                                                            "EpisodeOfCare",
                                                            "FamilyMemberHistory",
                                                            "Goal",
                                                            "ImagingStudy",
                                                            "Immunization",
                                                            "Medication",
                                                            "MedicationAdministration",
                                                            "MedicationDispense",
                                                            "MedicationRequest",
                                                            "MedicationStatement",
                                                            "NutritionOrder",
                                                            "Observation",
                                                            "Patient",
                                                            "Procedure",
                                                            "RiskAssessment",
                                                            "ServiceRequest",
                                                            "Specimen",
                                                            "AdverseEvent"};

constexpr std::string_view kPseudonymizedSystem =
    "http://terminology.hl7.org/CodeSystem/v3-ObservationValue";

bool is_study_id(std::string_view s) {
  return !s.empty() && s.size() <= 64 && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '-';
  });
}

bool is_token(std::string_view s) {
  return !s.empty() && s.size() <= 128 && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
  });
}

bool is_fhir_id(std::string_view s) {
  return !s.empty() && s.size() <= 64 && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '-';
  });
}

std::string record_error(size_t index, std::string_view what) {
  return "deid: record " + std::to_string(index) + ": " + std::string(what);
}

struct Parsed {
  const fhir::defs::TypeDef* type = nullptr;
  JsonValue json;
  std::string key;  // "Type/id"
  bool allowed = false;
};

Result<std::vector<Parsed>> parse_records(std::span<const Record> records,
                                          const SafeHarborOptions& options) {
  std::vector<Parsed> parsed(records.size());
  fhir::JsonParseOptions limits;
  limits.max_input_bytes = options.max_record_bytes;
  std::unordered_map<std::string, size_t> seen;
  for (size_t i = 0; i < records.size(); ++i) {
    const Record& r = records[i];
    auto json = fhir::parse_json(r.json, limits);
    if (!json.ok()) {
      return invalid_argument_error(record_error(i, "not JSON: " + json.error().to_string()));
    }
    const JsonValue* rt = json->find("resourceType");
    const JsonValue* id = json->find("id");
    const fhir::defs::TypeDef* type = fhir::defs::definitions().find_type(r.resource_type);
    if (type == nullptr || type->kind != fhir::defs::TypeKind::kResource || type->is_abstract ||
        type->node == fhir::defs::kNone) {
      return invalid_argument_error(record_error(i, "resource type is not an R4 resource type"));
    }
    if (rt == nullptr || !rt->is_string() || rt->text() != r.resource_type) {
      return invalid_argument_error(record_error(i, "resourceType differs from the record's type"));
    }
    if (!is_fhir_id(r.id) || id == nullptr || !id->is_string() || id->text() != r.id) {
      return invalid_argument_error(
          record_error(i, "id is missing, malformed or not the record's"));
    }
    Parsed& p = parsed[i];
    p.type = type;
    p.json = std::move(json).value();
    p.key = r.resource_type + "/" + r.id;
    p.allowed = std::find(kAllowedTypes.begin(), kAllowedTypes.end(), r.resource_type) !=
                kAllowedTypes.end();
    if (!seen.emplace(p.key, i).second) {
      return invalid_argument_error(record_error(i, "the same type and id appear twice"));
    }
  }
  return parsed;
}

JsonValue pseudonym_identifier(const std::string& study_id, const std::string& pseudonym) {
  JsonValue identifier = JsonValue::make_object();
  identifier.add("system", JsonValue::make_string("urn:gateway:study:" + study_id + ":pseudonym"));
  identifier.add("value", JsonValue::make_string(pseudonym));
  JsonValue list = JsonValue::make_array();
  list.push(std::move(identifier));
  return list;
}

// Adds resourceType, the new id and the PSEUDED label (v3 ObservationValue:
// "... Custodian may retain a key to relink data necessary to reidentify").
void finish(JsonValue& res, std::string_view type, const std::string& id) {
  res.add("resourceType", JsonValue::make_string(std::string(type)));
  res.add("id", JsonValue::make_string(id));
  JsonValue* meta = res.find_mutable("meta");
  if (meta == nullptr) meta = &res.add("meta", JsonValue::make_object());
  JsonValue* security = meta->find_mutable("security");
  if (security == nullptr) security = &meta->add("security", JsonValue::make_array());
  for (const JsonValue& c : security->items()) {
    const JsonValue* s = c.find("system");
    const JsonValue* code = c.find("code");
    if (s != nullptr && s->text() == kPseudonymizedSystem && code != nullptr &&
        code->text() == "PSEUDED")
      return;
  }
  JsonValue coding = JsonValue::make_object();
  coding.add("system", JsonValue::make_string(std::string(kPseudonymizedSystem)));
  coding.add("code", JsonValue::make_string("PSEUDED"));
  coding.add("display", JsonValue::make_string("pseudonymized"));
  security->push(std::move(coding));
}

}  // namespace

std::span<const std::string_view> default_restricted_zip3() { return kRestrictedZip3; }

std::string_view drop_reason_name(DropReason reason) {
  switch (reason) {
    case DropReason::kResourceType:
      return "resource-type";
    case DropReason::kUnsafeModifier:
      return "unsafe-modifier";
    case DropReason::kNothingSafeLeft:
      return "nothing-safe-left";
    case DropReason::kInvalidAfterDeid:
      return "invalid-after-deid";
  }
  return "unknown";
}

Result<DeidResult> deidentify(std::span<const Record> records, const crypto::SecretBytes& study_key,
                              std::string_view patient_token, const SafeHarborOptions& options) {
  if (study_key.size() < 32)
    return invalid_argument_error("deid: the study key is shorter than 32 bytes");
  if (!is_token(patient_token))
    return invalid_argument_error("deid: the patient token is malformed");
  if (!is_study_id(options.study_id)) {
    return invalid_argument_error("deid: the study id must match [A-Za-z0-9.-]{1,64}");
  }
  if (!options.reference_date.ok())
    return invalid_argument_error("deid: the reference date is not a date");
  std::vector<std::string> restricted;
  for (const std::string& z : options.restricted_zip3) restricted.push_back(z);
  if (restricted.empty()) {
    for (std::string_view z : kRestrictedZip3) restricted.emplace_back(z);
  }
  for (const std::string& z : restricted) {
    if (z.size() != 3 ||
        !std::all_of(z.begin(), z.end(), [](char c) { return c >= '0' && c <= '9'; }))
      return invalid_argument_error("deid: a restricted ZIP prefix is not three digits");
  }
  if (records.size() > options.max_records) {
    return resource_exhausted_error("deid: more records than max_records");
  }
  size_t total = 0;
  for (const Record& r : records) total += r.json.size();
  if (total > options.max_total_bytes) {
    return resource_exhausted_error("deid: records larger in total than max_total_bytes");
  }
  GW_ASSIGN_OR_RETURN(std::vector<Parsed> parsed, parse_records(records, options));
  if (std::none_of(parsed.begin(), parsed.end(),
                   [](const Parsed& p) { return p.type->name == "Patient"; })) {
    return invalid_argument_error("deid: the records hold no Patient resource");
  }

  internal::StudyKeys keys(study_key);
  DeidResult result;
  std::optional<std::string> pseudonym = keys.pseudonym(patient_token);
  if (!pseudonym) return internal_error("deid: HMAC of the study key failed");
  result.pseudonym = *pseudonym;

  internal::PhiWords phi;
  for (const Parsed& p : parsed) internal::harvest_phi(p.json, phi);

  std::unordered_map<std::string, std::string> ids;
  std::vector<std::optional<DropReason>> dropped(parsed.size());
  for (size_t i = 0; i < parsed.size(); ++i) {
    if (!parsed[i].allowed) {
      dropped[i] = DropReason::kResourceType;
      continue;
    }
    std::optional<std::string> id =
        keys.resource_id(parsed[i].type->name, parsed[i].json.find("id")->text());
    if (!id) return internal_error("deid: HMAC of the study key failed");
    ids.emplace(parsed[i].key, std::move(*id));
  }

  internal::WalkContext ctx{&ids, &phi, options.reference_date, restricted};
  std::vector<JsonValue> out(parsed.size());
  // Who references whom ("Type/id" -> record indexes), so that dropping a
  // record re-walks the records that pointed at it: in rounds, each record
  // at most once per round. Real cascades end in a round or two (a
  // DeviceUseStatement after its Device); the work budget stops input built
  // to make a large record be re-walked round after round.
  std::unordered_map<std::string, std::vector<size_t>> referrers;
  std::vector<size_t> dropped_now;
  size_t budget = options.max_walk_bytes != 0 ? options.max_walk_bytes : 8 * total + (1u << 20);
  fhir::ValidationOptions validation;
  validation.allow_missing_id = false;
  auto process = [&](size_t i) {
    const Parsed& p = parsed[i];
    WalkOutcome w = internal::walk_resource(p.json, *p.type, ctx);
    for (const std::string& t : w.targets) referrers[t].push_back(i);
    bool patient = p.type->name == "Patient";
    if (patient && w.verdict == WalkOutcome::Verdict::kNothingSafeLeft) {
      // The patient always stays: its pseudonym is the study's linkage. (A
      // Patient has no required element: meta and the 90+ marker are kept.)
      w.verdict = WalkOutcome::Verdict::kKept;
      if (!w.resource.is_object()) w.resource = JsonValue::make_object();
    }
    if (w.verdict == WalkOutcome::Verdict::kKept) {
      if (patient) w.resource.add("identifier", pseudonym_identifier(options.study_id, *pseudonym));
      finish(w.resource, p.type->name, ids.at(p.key));
      if (fhir::validate_resource(w.resource, validation).ok()) {
        out[i] = std::move(w.resource);
        return;
      }
      dropped[i] = DropReason::kInvalidAfterDeid;
    } else {
      dropped[i] = w.verdict == WalkOutcome::Verdict::kUnsafeModifier
                       ? DropReason::kUnsafeModifier
                       : DropReason::kNothingSafeLeft;
    }
    out[i] = JsonValue();
    ids.erase(p.key);
    dropped_now.push_back(i);
  };
  std::vector<size_t> round;
  for (size_t i = 0; i < parsed.size(); ++i) {
    if (!dropped[i]) round.push_back(i);
  }
  while (!round.empty()) {
    for (size_t i : round) {
      if (dropped[i]) continue;
      if (records[i].json.size() > budget) {
        return resource_exhausted_error("deid: references cascade beyond the work limit");
      }
      budget -= records[i].json.size();
      process(i);
    }
    round.clear();
    for (size_t gone : dropped_now) {
      auto it = referrers.find(parsed[gone].key);
      if (it == referrers.end()) continue;
      round.insert(round.end(), it->second.begin(), it->second.end());
      referrers.erase(it);
    }
    dropped_now.clear();
    std::sort(round.begin(), round.end());
    round.erase(std::unique(round.begin(), round.end()), round.end());
  }

  for (size_t i = 0; i < parsed.size(); ++i) {
    if (dropped[i]) {
      ++result.dropped_by_type[std::string(parsed[i].type->name)];
      ++result.dropped_by_reason[*dropped[i]];
      continue;
    }
    auto canonical = fhir::canonicalize(out[i]);
    if (!canonical.ok()) return internal_error("deid: canonical form failed");
    result.records.push_back(Record{std::string(parsed[i].type->name), out[i].find("id")->text(),
                                    std::move(canonical).value()});
    result.source_index.push_back(i);
  }
  if (std::none_of(result.records.begin(), result.records.end(),
                   [](const Record& r) { return r.resource_type == "Patient"; })) {
    return failed_precondition_error(
        "deid: no Patient record could be de-identified (modifier extensions or invalid)");
  }
  return result;
}

}  // namespace gw::deid
