// Label rules: which coded values make a record sensitive, as v3 ActCode
// sensitivity labels (the bits of ledger-client/consortium/scope.h).
//
// A rule is a label and a code pattern. Pattern syntax (README.md here):
//   ALIAS:CODES       icd10, icd10cm, icd10who, icd9cm, snomed, loinc, rxnorm
//   URI|CODES         any Coding.system, e.g. "http://loinc.org|75622-1"
// CODES in an ICD system (icd-10, icd-10-cm, icd-9-cm, icd-9: classifications
// whose codes nest by prefix) is a code or an inclusive range LOW-HIGH on code
// prefixes: "B20" covers B20 and every code below it (B20.1), "F10-F19"
// covers every code from F10 up to and including every code under F19
// (F19.99), not F09 nor F20. Dots and case are ignored there. In every other
// system CODES is one exact code, compared as written ('-' is part of LOINC
// codes): SNOMED CT and LOINC codes carry no order or nesting to range over.
//
// Compiled rules are immutable and shared by every writer thread; matching
// allocates nothing.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/base/status.h"
#include "ledger-client/consortium/scope.h"

namespace gw::labels {

// A pattern's longest accepted text: patterns come from a file operators edit.
inline constexpr size_t kMaxPatternBytes = 256;
// Rules in one rule set (defaults included).
inline constexpr size_t kMaxRules = 10000;

// The v3 ActCode sensitivity labels a rule may assign: [labels] keys.
// "SUD" (substance use disorder, the name) is accepted as ETH, the
// ActCode the consortium encodes.
struct LabelName {
  std::string_view key;  // "ETH", "SUD", ...
  ledger::consortium::Label label;
};
const std::vector<LabelName>& rule_label_names();
// ActCode display of a label ("psychiatry disorder information sensitivity").
std::string_view label_display(ledger::consortium::Label label);

inline constexpr std::string_view kActCodeSystem =
    "http://terminology.hl7.org/CodeSystem/v3-ActCode";
inline constexpr std::string_view kConfidentialitySystem =
    "http://terminology.hl7.org/CodeSystem/v3-Confidentiality";

struct CodePattern {
  std::vector<std::string> systems;  // Coding.system URIs (an alias may name two)
  bool hierarchical = false;         // ICD: prefix ranges, dots and case ignored
  std::string low, high;             // normalized; an exact code: low == high
};

// Parses one pattern; the error (invalid-argument) says what is wrong with
// it and quotes the pattern (operators' configuration, not patient data).
gw::Result<CodePattern> parse_code_pattern(std::string_view text);

struct RuleSpec {
  ledger::consortium::Label label;
  std::string pattern;
};

class LabelRules {
 public:
  // `defaults`: include default_rule_specs(). Fails on the first bad pattern.
  static gw::Result<std::shared_ptr<const LabelRules>> compile(
      bool defaults, const std::vector<RuleSpec>& configured);

  // Label bits (scope.h label_bit) of one Coding; 0 when nothing matches.
  uint64_t match(std::string_view system, std::string_view code) const;
  // True if some rule names `system`: a record mentioning none of these
  // systems cannot match (the labeler's cheap pre-check).
  const std::vector<std::string>& systems() const { return system_uris_; }
  // True if `code` could match some rule in some system: the labeler's
  // pre-check on the codes of a record's text, before parsing it.
  bool could_match(std::string_view code) const;
  size_t rule_count() const { return rule_count_; }

 private:
  struct Range {
    std::string low, high;
    uint64_t bits;
  };
  struct SystemRules {
    std::string uri;
    bool hierarchical = false;
    std::vector<std::pair<std::string, uint64_t>> exact;  // sorted by code, merged
    std::vector<Range> ranges;                            // hierarchical systems only
  };
  std::vector<SystemRules> by_system_;  // sorted by uri
  std::vector<std::string> system_uris_;
  std::vector<std::string> any_exact_;  // every exact code of every system, sorted
  std::vector<Range> any_range_;        // every ICD range of every system
  size_t rule_count_ = 0;
};

// The shipped default list (default_rules.cc, with the source of each code).
const std::vector<RuleSpec>& default_rule_specs();
// The defaults compiled once; what a writer uses when it is given no rules.
std::shared_ptr<const LabelRules> default_rules();

}  // namespace gw::labels
