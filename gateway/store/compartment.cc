#include "gateway/store/compartment.h"

#include <algorithm>
#include <array>

#include "fhir/json/json.h"

namespace gw::store {
namespace {

using fhir::JsonValue;

// Elements (dotted paths through objects and arrays) holding References that
// put a resource in a patient's compartment: the paths of the search
// parameters FHIR R4's CompartmentDefinition "patient" lists per type, for
// the types the gateway writes and serves. Paths through arrays visit every
// item. Types not listed fall back to kDefaultPaths.
struct TypePaths {
  std::string_view type;
  std::array<std::string_view, 4> paths;
};
constexpr TypePaths kTypePaths[] = {
    {"Appointment", {"participant.actor"}},
    {"AppointmentResponse", {"actor"}},
    {"Schedule", {"actor"}},
    {"Coverage", {"beneficiary", "subscriber", "policyHolder"}},
    {"Account", {"subject"}},
    {"CareTeam", {"subject", "participant.member"}},
    {"Group", {"member.entity"}},
    {"ResearchSubject", {"individual"}},
    {"Invoice", {"subject", "recipient"}},
    {"ExplanationOfBenefit", {"patient", "payee.party"}},
    {"Claim", {"patient", "payee.party"}},
    {"Provenance", {"target"}},
    {"AuditEvent", {"entity.what"}},
    {"RelatedPerson", {"patient"}},
    {"Person", {"link.target"}},
};
constexpr std::array<std::string_view, 4> kDefaultPaths = {"subject", "patient"};

constexpr std::string_view kPatientPrefix = "Patient/";

void collect(const JsonValue& v, std::string_view path, const PatientOfReference& patient_of,
             std::vector<std::string>* out) {
  if (v.is_array()) {
    for (const JsonValue& item : v.items()) collect(item, path, patient_of, out);
    return;
  }
  if (!v.is_object()) return;
  if (path.empty()) {
    const JsonValue* ref = v.find("reference");
    if (ref == nullptr || !ref->is_string()) return;
    std::string_view text = ref->text();
    if (text.substr(0, kPatientPrefix.size()) != kPatientPrefix) {
      if (!patient_of) return;
      const std::string_view id = patient_of(text);
      if (!id.empty()) out->emplace_back(id);
      return;
    }
    text.remove_prefix(kPatientPrefix.size());
    // "Patient/<id>" or "Patient/<id>/_history/<n>"; ids are [A-Za-z0-9-.]{1,64}.
    text = text.substr(0, text.find('/'));
    if (text.empty() || text.size() > 64) return;
    out->emplace_back(text);
    return;
  }
  const size_t dot = path.find('.');
  const JsonValue* next = v.find(path.substr(0, dot));
  if (next == nullptr) return;
  collect(*next, dot == std::string_view::npos ? std::string_view() : path.substr(dot + 1),
          patient_of, out);
}

}  // namespace

std::vector<std::string> patient_compartment_ids(std::string_view resource_type,
                                                 std::string_view resource_id,
                                                 std::string_view resource_json) {
  std::vector<std::string> out;
  if (resource_type == "Patient") {
    if (!resource_id.empty()) out.emplace_back(resource_id);
    return out;
  }
  auto parsed = fhir::parse_json(resource_json, fhir::own_document_limits(resource_json.size()));
  if (!parsed.ok()) return out;
  return patient_compartment_ids(resource_type, resource_id, parsed.value());
}

std::vector<std::string> patient_compartment_ids(std::string_view resource_type,
                                                 std::string_view resource_id,
                                                 const JsonValue& resource,
                                                 const PatientOfReference& patient_of) {
  std::vector<std::string> out;
  if (resource_type == "Patient") {
    if (!resource_id.empty()) out.emplace_back(resource_id);
    return out;
  }
  const std::array<std::string_view, 4>* paths = &kDefaultPaths;
  for (const TypePaths& t : kTypePaths) {
    if (t.type == resource_type) {
      paths = &t.paths;
      break;
    }
  }
  for (std::string_view path : *paths) {
    if (!path.empty()) collect(resource, path, patient_of, &out);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace gw::store
