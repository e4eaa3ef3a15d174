#include "gateway/labels/record_scope.h"

#include <string_view>

#include "gateway/labels/label_rules.h"
#include "ledger-client/consortium/scope.h"

namespace gw::labels {

namespace {

using fhir::JsonValue;
namespace consortium = ledger::consortium;

constexpr std::string_view kObservationCategory =
    "http://terminology.hl7.org/CodeSystem/observation-category";
constexpr std::string_view kDiagnosticServiceSection =
    "http://terminology.hl7.org/CodeSystem/v2-0074";

std::string_view string_member(const JsonValue& v, std::string_view key) {
  const JsonValue* m = v.find(key);
  return m != nullptr && m->is_string() ? std::string_view(m->text()) : std::string_view();
}

}  // namespace

uint64_t record_label_bits(const JsonValue& resource) {
  const JsonValue* meta = resource.find("meta");
  const JsonValue* security = meta != nullptr ? meta->find("security") : nullptr;
  if (security == nullptr) return 0;
  uint64_t bits = 0;
  for (const JsonValue& coding : security->items()) {
    const std::string_view system = string_member(coding, "system");
    const std::string_view code = string_member(coding, "code");
    std::optional<consortium::Label> label = consortium::label_from_code(code);
    if (!label) continue;
    // ActCode holds the sensitivity codes, Confidentiality holds R and V; a
    // code under the other system is some other cc.
    const bool confidentiality =
        *label == consortium::Label::kRestricted || *label == consortium::Label::kVeryRestricted;
    if (system == (confidentiality ? kConfidentialitySystem : kActCodeSystem))
      bits |= consortium::label_bit(*label);
  }
  return bits;
}

uint64_t record_category_bits(const JsonValue& resource) {
  const std::string_view type = string_member(resource, "resourceType");
  if (type.empty()) return 0;
  const bool observation = type == "Observation";
  if (!observation && type != "DiagnosticReport") {
    std::optional<consortium::Category> c = consortium::category_of(type);
    return c ? consortium::category_bit(*c) : 0;
  }
  const std::string_view system = observation ? kObservationCategory : kDiagnosticServiceSection;
  const JsonValue* categories = resource.find("category");
  if (categories == nullptr || categories->items().empty()) return 0;
  uint64_t bits = 0;
  for (const JsonValue& cc : categories->items()) {
    uint64_t this_one = 0;
    if (const JsonValue* codings = cc.find("coding"); codings != nullptr)
      for (const JsonValue& coding : codings->items())
        if (string_member(coding, "system") == system)
          if (auto c = consortium::category_of(type, string_member(coding, "code")))
            this_one |= consortium::category_bit(*c);
    if (this_one == 0) return 0;  // a category we cannot place: outside every grant
    bits |= this_one;
  }
  return bits;
}

}  // namespace gw::labels
