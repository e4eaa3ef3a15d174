#include "ledger-client/consortium/scope.h"

#include <utility>

#include "ledger-client/consortium/diagnostic_sections.h"

namespace gw::ledger::consortium {
namespace {

struct TypeEntry {
  std::string_view type;
  Category category;
};

// Resource types whose category does not depend on a category code.
constexpr TypeEntry kByType[] = {
    {"Patient", Category::kDemographics},
    {"RelatedPerson", Category::kDemographics},
    {"Person", Category::kDemographics},
    {"Encounter", Category::kEncounters},
    {"EpisodeOfCare", Category::kEncounters},
    {"Appointment", Category::kEncounters},
    {"Condition", Category::kConditions},
    {"Specimen", Category::kLaboratory},
    {"Medication", Category::kMedications},
    {"MedicationRequest", Category::kMedications},
    {"MedicationStatement", Category::kMedications},
    {"MedicationAdministration", Category::kMedications},
    {"MedicationDispense", Category::kMedications},
    {"AllergyIntolerance", Category::kAllergies},
    {"Procedure", Category::kProcedures},
    {"Immunization", Category::kImmunizations},
    {"ImmunizationRecommendation", Category::kImmunizations},
    {"ImagingStudy", Category::kImaging},
    {"Media", Category::kImaging},
    {"DocumentReference", Category::kDocuments},
    {"DocumentManifest", Category::kDocuments},
    {"Composition", Category::kDocuments},
    {"CarePlan", Category::kCarePlans},
    {"CareTeam", Category::kCarePlans},
    {"Goal", Category::kCarePlans},
    {"ServiceRequest", Category::kOrders},
    {"Coverage", Category::kFinancial},
    {"Claim", Category::kFinancial},
    {"ClaimResponse", Category::kFinancial},
    {"ExplanationOfBenefit", Category::kFinancial},
    {"Account", Category::kFinancial},
    {"Invoice", Category::kFinancial},
    {"Device", Category::kDevices},
    {"DeviceUseStatement", Category::kDevices},
    {"FamilyMemberHistory", Category::kFamilyHistory},
};

constexpr std::pair<std::string_view, Category> kObservationCategories[] = {
    {"laboratory", Category::kLaboratory},        {"vital-signs", Category::kVitalSigns},
    {"social-history", Category::kSocialHistory}, {"imaging", Category::kImaging},
    {"procedure", Category::kProcedures},
};

// v2-0074 diagnostic service sections: laboratory sections and imaging
// modalities. Others (EC, CTH, PHY, OT, ...) are deliberately unmapped.
constexpr std::string_view kLabSections[] = {"LAB", "BG",  "BLB", "CG",  "CH",  "CP",
                                             "HM",  "IMM", "MB",  "MCB", "MYC", "SP",
                                             "SR",  "TX",  "URN", "VR",  "HLA", "OSL"};
constexpr std::string_view kImagingSections[] = {"RAD", "CT",  "MR",  "NMR", "NMS", "RUS",
                                                 "US",  "VUS", "XRC", "CUS", "OUS"};

constexpr std::pair<std::string_view, Label> kLabels[] = {
    {"ETH", Label::kEth},         {"HIV", Label::kHiv},      {"PSY", Label::kPsy},
    {"MH", Label::kMh},           {"SDV", Label::kSdv},      {"SEX", Label::kSex},
    {"STD", Label::kStd},         {"GDIS", Label::kGdis},    {"SICKLE", Label::kSickle},
    {"PSYTHPN", Label::kPsythpn}, {"R", Label::kRestricted}, {"V", Label::kVeryRestricted},
};

template <size_t N>
bool contains(const std::string_view (&list)[N], std::string_view code) {
  for (std::string_view c : list)
    if (c == code) return true;
  return false;
}

}  // namespace

std::optional<Category> category_of(std::string_view resource_type,
                                    std::string_view category_code) {
  if (resource_type == "Observation") {
    for (const auto& [code, category] : kObservationCategories)
      if (code == category_code) return category;
    return std::nullopt;
  }
  if (resource_type == "DiagnosticReport") {
    if (contains(kLabSections, category_code)) return Category::kLaboratory;
    if (contains(kImagingSections, category_code)) return Category::kImaging;
    return std::nullopt;
  }
  for (const TypeEntry& e : kByType)
    if (e.type == resource_type) return e.category;
  return std::nullopt;
}

std::span<const std::string_view> laboratory_sections() { return kLabSections; }
std::span<const std::string_view> imaging_sections() { return kImagingSections; }

std::optional<Label> label_from_code(std::string_view code) {
  for (const auto& [c, label] : kLabels)
    if (c == code) return label;
  return std::nullopt;
}

std::string_view label_code(Label label) {
  for (const auto& [c, l] : kLabels)
    if (l == label) return c;
  return "UNKNOWN";
}

}  // namespace gw::ledger::consortium
