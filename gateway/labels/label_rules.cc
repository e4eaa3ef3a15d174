#include "gateway/labels/label_rules.h"

#include <algorithm>
#include <array>
#include <map>

namespace gw::labels {

namespace {

using ledger::consortium::Label;
using ledger::consortium::label_bit;

constexpr std::string_view kIcd10 = "http://hl7.org/fhir/sid/icd-10";
constexpr std::string_view kIcd10Cm = "http://hl7.org/fhir/sid/icd-10-cm";
constexpr std::string_view kIcd9Cm = "http://hl7.org/fhir/sid/icd-9-cm";
constexpr std::string_view kIcd9 = "http://hl7.org/fhir/sid/icd-9";

// The system URIs are those the v2 mapper writes (adapters/v2fhir
// datatypes_codes.cc, after the V2-to-FHIR IG) and FHIR R4 names
// (terminologies-systems.html).
struct Alias {
  std::string_view name;
  std::vector<std::string_view> uris;
};
const std::vector<Alias>& aliases() {
  static const std::vector<Alias> kAliases = {
      // Codes in chapter V (F) and the HIV, STD and sickle-cell blocks are the
      // same in WHO ICD-10 and ICD-10-CM, so "icd10" matches both.
      {"icd10", {kIcd10, kIcd10Cm}},
      {"icd10cm", {kIcd10Cm}},
      {"icd10who", {kIcd10}},
      {"icd9cm", {kIcd9Cm}},
      {"snomed", {"http://snomed.info/sct"}},
      {"loinc", {"http://loinc.org"}},
      {"rxnorm", {"http://www.nlm.nih.gov/research/umls/rxnorm"}},
  };
  return kAliases;
}

bool is_hierarchical(std::string_view uri) {
  return uri == kIcd10 || uri == kIcd10Cm || uri == kIcd9Cm || uri == kIcd9;
}

// ICD code text for comparison: upper case, without dots and spaces. Writes
// into `buf`; false when the text has other characters or does not fit (no
// ICD code is longer than 8 characters).
constexpr size_t kMaxIcdCode = 32;
bool icd_key(std::string_view code, std::array<char, kMaxIcdCode>* buf, size_t* len) {
  size_t n = 0;
  for (char c : code) {
    if (c == '.' || c == ' ') continue;
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) return false;
    if (n == kMaxIcdCode) return false;
    (*buf)[n++] = c;
  }
  *len = n;
  return n > 0;
}

bool in_range(std::string_view code, std::string_view low, std::string_view high) {
  return code >= low && code.substr(0, high.size()) <= high;
}

std::string quoted(std::string_view s) { return "\"" + std::string(s) + "\""; }

}  // namespace

const std::vector<LabelName>& rule_label_names() {
  static const std::vector<LabelName> kNames = {
      {"ETH", Label::kEth},       {"SUD", Label::kEth},         {"HIV", Label::kHiv},
      {"PSY", Label::kPsy},       {"MH", Label::kMh},           {"SDV", Label::kSdv},
      {"SEX", Label::kSex},       {"STD", Label::kStd},         {"GDIS", Label::kGdis},
      {"SICKLE", Label::kSickle}, {"PSYTHPN", Label::kPsythpn},
  };
  return kNames;
}

// Displays from the v3 ActCode code system (InformationSensitivityPolicy).
std::string_view label_display(Label label) {
  switch (label) {
    case Label::kEth:
      return "substance abuse information sensitivity";
    case Label::kHiv:
      return "HIV/AIDS information sensitivity";
    case Label::kPsy:
      return "psychiatry disorder information sensitivity";
    case Label::kMh:
      return "mental health information sensitivity";
    case Label::kSdv:
      return "sexual assault, abuse, or domestic violence information sensitivity";
    case Label::kSex:
      return "sexuality and reproductive health information sensitivity";
    case Label::kStd:
      return "sexually transmitted disease information sensitivity";
    case Label::kGdis:
      return "genetic disease information sensitivity";
    case Label::kSickle:
      return "sickle cell anemia information sensitivity";
    case Label::kPsythpn:
      return "psychotherapy note information sensitivity";
    case Label::kRestricted:
      return "restricted";
    case Label::kVeryRestricted:
      return "very restricted";
  }
  return "";
}

gw::Result<CodePattern> parse_code_pattern(std::string_view text) {
  if (text.size() > kMaxPatternBytes)
    return invalid_argument_error("pattern longer than " + std::to_string(kMaxPatternBytes) +
                                  " bytes");
  const std::string usage =
      " (expected ALIAS:CODE, ALIAS:LOW-HIGH or URI|CODE; aliases: icd10, "
      "icd10cm, icd10who, icd9cm, snomed, loinc, rxnorm)";
  CodePattern p;
  std::string_view codes;
  if (size_t bar = text.find('|'); bar != std::string_view::npos) {
    const std::string_view uri = text.substr(0, bar);
    codes = text.substr(bar + 1);
    if (uri.empty() || uri.find(':') == std::string_view::npos ||
        std::any_of(uri.begin(), uri.end(),
                    [](char c) { return static_cast<unsigned char>(c) <= ' ' || c == '|'; }))
      return invalid_argument_error("pattern " + quoted(text) + ": " + quoted(uri) +
                                    " is not a code system URI" + usage);
    p.systems.emplace_back(uri);
    p.hierarchical = is_hierarchical(uri);
  } else {
    const size_t colon = text.find(':');
    const std::string_view alias =
        colon == std::string_view::npos ? std::string_view() : text.substr(0, colon);
    const Alias* found = nullptr;
    for (const Alias& a : aliases())
      if (a.name == alias) found = &a;
    if (found == nullptr)
      return invalid_argument_error("pattern " + quoted(text) + ": unknown code system" + usage);
    codes = text.substr(colon + 1);
    for (std::string_view u : found->uris) p.systems.emplace_back(u);
    p.hierarchical = is_hierarchical(found->uris.front());
  }
  if (codes.empty()) return invalid_argument_error("pattern " + quoted(text) + ": no code" + usage);
  if (!p.hierarchical) {
    for (char c : codes)
      if (static_cast<unsigned char>(c) <= ' ' || c == '|' || c == 0x7f)
        return invalid_argument_error("pattern " + quoted(text) +
                                      ": a code may not hold spaces, controls or '|'");
    if (codes.back() == '*')
      return invalid_argument_error("pattern " + quoted(text) +
                                    ": prefixes and ranges apply to ICD systems only; name "
                                    "each code of this system exactly");
    p.low = p.high = std::string(codes);
    return p;
  }
  const size_t dash = codes.find('-');
  const std::string_view low = codes.substr(0, dash);
  const std::string_view high = dash == std::string_view::npos ? low : codes.substr(dash + 1);
  std::array<char, kMaxIcdCode> buf{};
  size_t len = 0;
  if (!icd_key(low, &buf, &len))
    return invalid_argument_error("pattern " + quoted(text) + ": " + quoted(low) +
                                  " is not an ICD code (letters, digits and '.')");
  p.low.assign(buf.data(), len);
  if (!icd_key(high, &buf, &len))
    return invalid_argument_error("pattern " + quoted(text) + ": " + quoted(high) +
                                  " is not an ICD code (letters, digits and '.')");
  p.high.assign(buf.data(), len);
  if (p.high < p.low.substr(0, p.high.size()))
    return invalid_argument_error("pattern " + quoted(text) + ": the range starts after its end");
  return p;
}

gw::Result<std::shared_ptr<const LabelRules>> LabelRules::compile(
    bool defaults, const std::vector<RuleSpec>& configured) {
  std::vector<const RuleSpec*> specs;
  if (defaults)
    for (const RuleSpec& s : default_rule_specs()) specs.push_back(&s);
  for (const RuleSpec& s : configured) specs.push_back(&s);
  if (specs.size() > kMaxRules)
    return invalid_argument_error("more than " + std::to_string(kMaxRules) + " label rules");
  std::map<std::string, SystemRules, std::less<>> systems;
  std::map<std::string, std::map<std::string, uint64_t>> exact;  // uri -> code -> bits
  for (const RuleSpec* s : specs) {
    GW_ASSIGN_OR_RETURN(CodePattern p, parse_code_pattern(s->pattern));
    for (const std::string& uri : p.systems) {
      SystemRules& r = systems[uri];
      r.uri = uri;
      r.hierarchical = p.hierarchical;
      if (p.hierarchical) {
        r.ranges.push_back({p.low, p.high, label_bit(s->label)});
      } else {
        exact[uri][p.low] |= label_bit(s->label);
      }
    }
  }
  auto rules = std::make_shared<LabelRules>();
  rules->rule_count_ = specs.size();
  for (auto& [uri, r] : systems) {
    for (auto& [code, bits] : exact[uri]) {
      r.exact.emplace_back(code, bits);
      rules->any_exact_.push_back(code);
    }
    rules->any_range_.insert(rules->any_range_.end(), r.ranges.begin(), r.ranges.end());
    rules->system_uris_.push_back(uri);
    rules->by_system_.push_back(std::move(r));
  }
  std::sort(rules->any_exact_.begin(), rules->any_exact_.end());
  return std::shared_ptr<const LabelRules>(std::move(rules));
}

uint64_t LabelRules::match(std::string_view system, std::string_view code) const {
  auto s = std::lower_bound(by_system_.begin(), by_system_.end(), system,
                            [](const SystemRules& r, std::string_view u) { return r.uri < u; });
  if (s == by_system_.end() || s->uri != system) return 0;
  uint64_t bits = 0;
  if (s->hierarchical) {
    std::array<char, kMaxIcdCode> buf{};
    size_t len = 0;
    if (!icd_key(code, &buf, &len)) return 0;
    const std::string_view key(buf.data(), len);
    for (const Range& r : s->ranges)
      if (in_range(key, r.low, r.high)) bits |= r.bits;
    return bits;
  }
  auto e = std::lower_bound(
      s->exact.begin(), s->exact.end(), code,
      [](const std::pair<std::string, uint64_t>& x, std::string_view c) { return x.first < c; });
  if (e != s->exact.end() && e->first == code) bits |= e->second;
  return bits;
}

bool LabelRules::could_match(std::string_view code) const {
  if (std::binary_search(any_exact_.begin(), any_exact_.end(), code,
                         [](std::string_view a, std::string_view b) { return a < b; }))
    return true;
  if (any_range_.empty()) return false;
  std::array<char, kMaxIcdCode> buf{};
  size_t len = 0;
  if (!icd_key(code, &buf, &len)) return false;
  const std::string_view key(buf.data(), len);
  for (const Range& r : any_range_)
    if (in_range(key, r.low, r.high)) return true;
  return false;
}

std::shared_ptr<const LabelRules> default_rules() {
  static const std::shared_ptr<const LabelRules> kDefaults = [] {
    auto compiled = LabelRules::compile(true, {});
    // The shipped list is tested (label_rules_test); it cannot fail here.
    return compiled.ok() ? std::move(compiled).value() : std::make_shared<LabelRules>();
  }();
  return kDefaults;
}

}  // namespace gw::labels
