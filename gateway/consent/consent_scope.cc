#include "gateway/consent/consent_scope.h"

#include <algorithm>
#include <array>
#include <utility>
#include <vector>

#include "fhir/defs/definitions.h"

namespace gw::consent::internal {
namespace {

using ledger::consortium::category_bit;
using ledger::consortium::category_of;
using ledger::consortium::Label;

constexpr std::string_view kResourceTypes = "http://hl7.org/fhir/resource-types";
constexpr std::string_view kActCode = "http://terminology.hl7.org/CodeSystem/v3-ActCode";
constexpr std::string_view kConfidentiality =
    "http://terminology.hl7.org/CodeSystem/v3-Confidentiality";

constexpr std::pair<std::string_view, Category> kCategoryCodes[] = {
    {"demographics", Category::kDemographics},
    {"encounters", Category::kEncounters},
    {"conditions", Category::kConditions},
    {"laboratory", Category::kLaboratory},
    {"vital-signs", Category::kVitalSigns},
    {"medications", Category::kMedications},
    {"allergies", Category::kAllergies},
    {"procedures", Category::kProcedures},
    {"immunizations", Category::kImmunizations},
    {"imaging", Category::kImaging},
    {"documents", Category::kDocuments},
    {"care-plans", Category::kCarePlans},
    {"orders", Category::kOrders},
    {"financial", Category::kFinancial},
    {"social-history", Category::kSocialHistory},
    {"devices", Category::kDevices},
    {"family-history", Category::kFamilyHistory},
};

// Every code of the R4 observation-category code system and of v2-0074 (plus
// HLA, which scope.h maps): the category codes by which scope.h puts an
// Observation or DiagnosticReport into a category. A category reached this
// way cannot be named exactly by resource types.
constexpr std::string_view kObservationCategoryCodes[] = {
    "social-history", "vital-signs", "imaging", "laboratory", "procedure",
    "survey",         "exam",        "therapy", "activity"};
constexpr std::string_view kDiagnosticSections[] = {
    "AU",  "BG",  "BLB", "CG",  "CUS", "CTH", "CT",  "CH",  "CP",  "EC",  "EN",  "GE",
    "HM",  "ICU", "IMM", "LAB", "MB",  "MCB", "MYC", "NMS", "NMR", "NRS", "OUS", "OT",
    "OTH", "OSL", "PAR", "PAT", "PF",  "PHR", "PHY", "PT",  "RAD", "RX",  "RUS", "RC",
    "RT",  "SR",  "SP",  "TX",  "VUS", "VR",  "URN", "XRC", "HLA"};

struct CategoryCover {
  std::vector<std::string_view> types;  // resource types scope.h puts here by type alone
  bool by_category_code = false;        // also Observations / DiagnosticReports
};
using CoverTable = std::array<CategoryCover, 64>;

// Built from scope.h's own category_of over every R4 resource type, so a type
// added to a category there is required here too (never a partial class list
// granting a whole category).
const CoverTable& covers() {
  static const CoverTable table = [] {
    CoverTable t{};
    for (const fhir::defs::TypeDef& type : fhir::defs::definitions().types()) {
      if (type.kind != fhir::defs::TypeKind::kResource || type.is_abstract) continue;
      if (std::optional<Category> c = category_of(type.name)) {
        t[static_cast<uint8_t>(*c)].types.push_back(type.name);
      }
    }
    for (std::string_view code : kObservationCategoryCodes) {
      if (auto c = category_of("Observation", code))
        t[static_cast<uint8_t>(*c)].by_category_code = true;
    }
    for (std::string_view code : kDiagnosticSections) {
      if (auto c = category_of("DiagnosticReport", code)) {
        t[static_cast<uint8_t>(*c)].by_category_code = true;
      }
    }
    return t;
  }();
  return table;
}

bool is_resource_type(std::string_view name) {
  const fhir::defs::TypeDef* t = fhir::defs::definitions().find_type(name);
  return t != nullptr && t->kind == fhir::defs::TypeKind::kResource && !t->is_abstract;
}

std::string join(const std::vector<std::string_view>& names) {
  std::string out;
  for (std::string_view n : names) {
    if (!out.empty()) out += ", ";
    out += n;
  }
  return out;
}

}  // namespace

uint64_t all_categories() {
  uint64_t bits = 0;
  for (const auto& [code, category] : kCategoryCodes) bits |= category_bit(category);
  return bits;
}

ConsentResult<uint64_t> categories_from_classes(const JsonValue& classes, const std::string& path) {
  GW_CONSENT_CHECK(check_array(classes, path, kMaxClassesOrCodes, "classes"));
  std::array<std::vector<std::string_view>, 64> named;  // per category, the types listed
  std::array<size_t, 64> first{};                       // per category, its first class index
  uint64_t bits = 0;
  for (size_t i = 0; i < classes.items().size(); ++i) {
    const std::string ipath = item(path, i);
    GW_ASSIGN_OR_RETURN(CodingView c, read_coding(classes.items()[i], ipath));
    if (c.system != kResourceTypes) {
      return not_expressible(ipath,
                             "class is read only as a FHIR resource type (system "
                             "http://hl7.org/fhir/resource-types); name other scopes with code "
                             "and the record-category codes");
    }
    if (c.code.empty()) return invalid(ipath, "a class without a code names nothing");
    if (!is_resource_type(c.code)) {
      return invalid(child(ipath, "code"), "not a FHIR R4 resource type");
    }
    const std::optional<Category> category = category_of(c.code);
    if (!category) {
      if (c.code == "Observation" || c.code == "DiagnosticReport") {
        return not_expressible(ipath,
                               "these records fall in several record categories by their own "
                               "category; use code with the record-category codes");
      }
      return not_expressible(ipath,
                             "this resource type is in no record category, so no grant can "
                             "cover it");
    }
    const auto n = static_cast<uint8_t>(*category);
    if (covers()[n].by_category_code) {
      return not_expressible(ipath, "record category '" + std::string(category_code(*category)) +
                                        "' also holds Observations or DiagnosticReports, which a "
                                        "resource type cannot single out; use code '" +
                                        std::string(category_code(*category)) + "'");
    }
    if ((bits & category_bit(*category)) == 0) first[n] = i;
    bits |= category_bit(*category);
    named[n].push_back(c.code);
  }
  for (uint8_t n = 0; n < 64; ++n) {
    if ((bits >> n & 1) == 0) continue;
    for (std::string_view type : covers()[n].types) {
      if (std::find(named[n].begin(), named[n].end(), type) != named[n].end()) continue;
      const std::string code(category_code(static_cast<Category>(n)));
      return not_expressible(item(path, first[n]), "covers only part of record category '" + code +
                                                       "' (" + join(covers()[n].types) +
                                                       "); list all of them or use code '" + code +
                                                       "'");
    }
  }
  return bits;
}

ConsentResult<uint64_t> categories_from_codes(const JsonValue& codes, const std::string& path) {
  GW_CONSENT_CHECK(check_array(codes, path, kMaxClassesOrCodes, "codes"));
  uint64_t bits = 0;
  for (size_t i = 0; i < codes.items().size(); ++i) {
    const std::string ipath = item(path, i);
    GW_ASSIGN_OR_RETURN(std::vector<CodingView> codings, read_concept(codes.items()[i], ipath));
    std::optional<Category> found;
    for (size_t j = 0; j < codings.size(); ++j) {
      if (codings[j].system != kRecordCategorySystem) continue;  // a translation
      const std::string cpath = item(child(ipath, "coding"), j);
      const std::optional<Category> c = category_from_code(codings[j].code);
      if (!c) return not_expressible(cpath, "not a code of the record-category code system");
      if (found && *found != *c) {
        return not_expressible(ipath,
                               "one CodeableConcept names two record categories; give "
                               "each its own code entry");
      }
      found = c;
    }
    if (!found) {
      return not_expressible(ipath, "code is read only as a record category (system " +
                                        std::string(kRecordCategorySystem) +
                                        "); other codes do not map to categories exactly");
    }
    bits |= category_bit(*found);
  }
  return bits;
}

ConsentResult<uint64_t> exclusions_from_labels(const JsonValue& labels, const std::string& path) {
  GW_CONSENT_CHECK(check_array(labels, path, kMaxLabels, "security labels"));
  uint64_t bits = 0;
  for (size_t i = 0; i < labels.items().size(); ++i) {
    const std::string ipath = item(path, i);
    GW_ASSIGN_OR_RETURN(CodingView c, read_coding(labels.items()[i], ipath));
    if (c.code.empty()) return invalid(ipath, "a security label without a code names nothing");
    const std::optional<Label> label = ledger::consortium::label_from_code(c.code);
    if (!label) {
      return not_expressible(ipath, "not a security label the consortium has a bit for");
    }
    const bool confidentiality = *label == Label::kRestricted || *label == Label::kVeryRestricted;
    const std::string_view system = confidentiality ? kConfidentiality : kActCode;
    if (c.system != system) {
      return not_expressible(ipath, "this label's code system must be " + std::string(system));
    }
    bits |= ledger::consortium::label_bit(*label);
  }
  return bits;
}

}  // namespace gw::consent::internal

namespace gw::consent {

// Public (consent_mapping.h); defined here beside the table they read.
std::optional<ledger::consortium::Category> category_from_code(std::string_view code) {
  for (const auto& [c, category] : internal::kCategoryCodes)
    if (c == code) return category;
  return std::nullopt;
}

std::string_view category_code(ledger::consortium::Category category) {
  for (const auto& [c, cat] : internal::kCategoryCodes)
    if (cat == category) return c;
  return "unknown";
}

}  // namespace gw::consent
