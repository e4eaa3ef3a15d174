// Nothing a sender writes disappears without a word: for every test message
// (testdata/*.hl7), every non-empty field of every segment either shows up in
// the Bundle or is named by a warning (at that field, or at its whole segment:
// "segment not mapped").
//
// "Shows up" is checked from the outside, without the converter's own read
// tracking: some leaf (subcomponent) text of the field is found among the
// Bundle's values, by the rules of LeafFound below (exact for short codes,
// substring for text, digits for timestamps, numeric value for numbers, base64
// for document content). A field is traced when at least one of its leaves
// is; finer loss inside a field (one component of a name) is not checked here.
//
// Fields whose whole content is a code translated through a table (PID-8 "F"
// becomes "female") cannot be found by their text; kTranslated lists them
// with the table, and each entry must be used by some test message (a stale
// entry fails), so the list cannot quietly grow into a blanket exemption.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "adapters/v2fhir/clinical.h"
#include "adapters/v2fhir/test_util.h"
#include "fhir/json/json.h"

namespace gw::v2fhir::testing {
namespace {

using fhir::JsonValue;

// Fields mapped through a code table: their codes become FHIR codes.
const std::map<std::string, std::string> kTranslated = {
    {"PID-8", "administrative sex (0001 -> AdministrativeGender)"},
    {"PID-24", "multiple birth indicator (Y/N -> boolean)"},
    {"PID-30", "death indicator (Y/N -> boolean)"},
    {"PV1-2", "patient class (0004 -> v3 ActCode)"},
    {"OBX-2", "value type (0125): chooses value[x]"},
    {"OBX-11", "result status (0085 -> observation-status)"},
    {"OBR-25", "result status (0123 -> diagnostic-report-status)"},
    {"ORC-1", "order control (0119): the action, with ORC-5 -> request status"},
    {"ORC-5", "order status (0038 -> request-status)"},
    {"TXA-17", "document completion status (0271 -> composition-status)"},
    {"TXA-19", "document availability status (0273 -> document-reference-status)"},
    {"RXA-20", "completion status (0322 -> immunization status)"},
    {"RXA-21", "action code (0206 -> status)"},
    {"SCH-25", "filler status (0278 -> appointment status)"},
    {"TXA-3",
     "content presentation (0191): TX/FT/TEXT -> text/plain, MIME types kept, others warned"},
    {"SCH-10", "duration units: SCH-9 converted to minutesDuration"},
    {"AIS-8", "duration units: AIS-7 in minutes, compared with minutesDuration"},
    {"AIG-11", "duration: participant.period.end = start + duration"},
    {"AIG-12", "duration units: AIG-11 converted to minutes"},
    {"AIL-10", "duration units: AIL-9 converted to minutes"},
    {"AIP-10", "duration units: AIP-9 converted to minutes"},
    {"AIS-10", "filler status (0278): compared with Appointment.status, warned when it differs"},
    {"AIG-14", "filler status (0278 -> participationstatus)"},
    {"AIL-12", "filler status (0278 -> participationstatus)"},
    {"AIP-12", "filler status (0278 -> participationstatus)"},
    {"RGS-2", "segment action code (0206): D declines the group's participants"},
    {"AIS-2", "segment action code (0206): D takes the service off in S20-S22"},
    {"AIG-2", "segment action code (0206): D -> participant declined"},
    {"AIL-2", "segment action code (0206): D -> participant declined"},
    {"AIP-2", "segment action code (0206): D -> participant declined"},
    {"AL1-4", "allergy severity (0128 -> criticality)"},
    {"AL1-2", "allergen type (0127 -> category)"},
    {"NK1-15", "administrative sex (0001 -> AdministrativeGender)"},
    {"IN1-17", "insured's relationship (0063 -> subscriber-relationship)"},
    {"IN1-43", "insured's sex (0001 -> AdministrativeGender)"},
    {"IAM-2", "allergen type (0127 -> category and type)"},
    {"IAM-4", "allergy severity (0128 -> criticality, reaction.severity)"},
    {"IAM-6", "allergy action code (0206): D -> verificationStatus entered-in-error"},
    {"IAM-15", "reporter relationship (0063): SEL makes the Patient the recorder"},
    {"PD1-12", "protection indicator (Y -> meta.security R, N -> none)"},
    {"SPM-20", "specimen availability (Y/N -> Specimen.status available/unavailable)"},
    {"TQ1-4", "explicit time (HHMM -> Timing.repeat.timeOfDay hh:mm:ss)"},
    {"TQ1-9", "priority (0485 -> request-priority)"},
    {"RXC-1", "component type (0166: A/B -> Medication.ingredient.isActive)"},
    {"GT1-9", "guarantor sex (0001 -> AdministrativeGender)"},
    {"GT1-11", "guarantor relationship (0063): SEL makes the Patient the guarantor"},
    {"GT1-22", "billing hold flag (Y/N -> Account.guarantor.onHold)"},
    {"FT1-6", "transaction type (0017 -> ChargeItem.status)"},
    {"PRB-1", "action code (0287): DE withdraws the problem (entered-in-error)"},
    {"RF1-1", "referral status (0283 -> request-status); REF^I14 revokes"},
    {"RF1-2", "referral priority (0280 -> request-priority)"},
};

// Fields that carry structure, not data: read by the transport, the parser
// or the mapping's identity rules.
const std::map<std::string, std::string> kStructural = {
    {"MSH-15", "accept acknowledgment type: drives the ACK"},
    {"MSH-16", "application acknowledgment type: drives the ACK"},
    {"MSH-18", "character set: the parser decodes with it"},
    {"OBX-4", "observation sub-id: part of the result identity, groups results"},
    {"RXA-1", "give sub-id counter: numbers the administrations of an order (their key)"},
    {"RXA-2", "administration sub-id counter: numbers the administrations (their key)"},
    {"ROL-2", "action code (0287): add/update the role; DE is warned, not applied"},
};

// Values that choose where a field's segment goes instead of being data
// themselves: "FIELD=first component".
const std::map<std::string, std::string> kSelectorValues = {
    {"OBX-3=64994-7", "LOINC code: the OBX fills Immunization.programEligibility"},
    {"OBX-3=30963-3", "LOINC code: the OBX fills Immunization.fundingSource"},
    {"OBX-3=69764-9", "LOINC code: the OBX opens an Immunization.education (VIS)"},
    {"OBX-3=29768-9", "LOINC code: the OBX fills education.publicationDate"},
    {"OBX-3=29769-7", "LOINC code: the OBX fills education.presentationDate"},
    {"RXA-6=999", "CDC: administered amount unknown -> no doseQuantity (IG RXA map)"},
};

std::string Digits(std::string_view s) {
  std::string out;
  for (char c : s)
    if (std::isdigit(static_cast<unsigned char>(c))) out.push_back(c);
  return out;
}

struct BundleValues {
  std::set<std::string> strings;
  std::vector<std::string> texts;   // the same, for substring search
  std::vector<std::string> digits;  // digits of each value (timestamps)
  std::vector<double> numbers;
  std::string decoded_attachments;  // base64 data decoded, for document content

  void add(const JsonValue& v) {
    if (v.is_string()) {
      strings.insert(v.text());
      texts.push_back(v.text());
      digits.push_back(Digits(v.text()));
    } else if (v.is_number()) {
      strings.insert(v.text());
      numbers.push_back(std::strtod(v.text().c_str(), nullptr));
    }
    if (v.is_object()) {
      for (const auto& m : v.members()) add(m.value);
    } else if (v.is_array()) {
      for (const auto& i : v.items()) add(i);
    }
  }
};

bool LooksNumeric(const std::string& s) {
  if (s.empty()) return false;
  char* end = nullptr;
  std::strtod(s.c_str(), &end);
  return end == s.c_str() + s.size();
}

bool LeafFound(const BundleValues& b, const std::string& leaf) {
  if (b.strings.count(leaf)) return true;
  if (LooksNumeric(leaf)) {
    double v = std::strtod(leaf.c_str(), nullptr);
    for (double n : b.numbers)
      if (n == v) return true;
  }
  if (leaf.size() >= 3) {
    for (const std::string& t : b.texts)
      if (t.find(leaf) != std::string::npos) return true;
    if (b.decoded_attachments.find(leaf) != std::string::npos) return true;
  }
  // Ranges and comparisons ("3.5-5.0", "<10"): every number is found.
  if (leaf.find_first_not_of("0123456789.-<>= ") == std::string::npos &&
      leaf.find_first_of("0123456789") != std::string::npos) {
    bool all = true, any = false;
    for (size_t i = 0; i < leaf.size();) {
      size_t j = leaf.find_first_of("0123456789.", i);
      if (j == std::string::npos) break;
      size_t k = leaf.find_first_not_of("0123456789.", j);
      if (k == std::string::npos) k = leaf.size();
      double v = std::strtod(leaf.substr(j, k - j).c_str(), nullptr);
      bool hit = std::find(b.numbers.begin(), b.numbers.end(), v) != b.numbers.end();
      all &= hit;
      any = true;
      i = k;
    }
    if (any && all) return true;
  }
  // Timestamps: the FHIR value's digits begin with the v2 value's (offsets
  // and zero-filled seconds only add digits). The v2 offset ("-0600") is
  // left out: zero-filled seconds come before the FHIR value's offset.
  const std::string head = leaf.substr(0, leaf.find_first_of("+-", 8));
  std::string d = Digits(head);
  if (d.size() >= 6 && d.size() + 2 >= head.size()) {
    for (const std::string& t : b.digits)
      if (t.rfind(d.substr(0, std::min<size_t>(d.size(), 14)), 0) == 0) return true;
  }
  return false;
}

std::vector<std::string> Leaves(const hl7::Element& field) {
  std::vector<std::string> out;
  for (const hl7::Element& rep : field.children())
    for (const hl7::Element& comp : rep.children())
      for (const hl7::Element& sub : comp.children()) {
        std::string t = trim(sub.text_or_empty());
        if (!t.empty()) out.push_back(std::move(t));
      }
  return out;
}

// Base64 payloads decoded (our own decoder would share code with the mapper;
// this one is deliberately separate and simple).
std::string DecodeBase64(std::string_view in) {
  static const std::string kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  int val = 0, bits = -8;
  for (char c : in) {
    size_t p = kAlphabet.find(c);
    if (p == std::string::npos) break;
    val = (val << 6) + static_cast<int>(p);
    bits += 6;
    if (bits >= 0) {
      out.push_back(static_cast<char>((val >> bits) & 0xFF));
      bits -= 8;
    }
  }
  return out;
}

void CollectAttachments(const JsonValue& v, std::string* out) {
  if (v.is_object()) {
    const JsonValue* data = v.find("data");
    const JsonValue* type = v.find("contentType");
    if (data != nullptr && type != nullptr && data->is_string())
      *out += DecodeBase64(data->text()) + "\n";
    for (const auto& m : v.members()) CollectAttachments(m.value, out);
  } else if (v.is_array()) {
    for (const auto& i : v.items()) CollectAttachments(i, out);
  }
}

std::vector<std::string> Names() {
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(TestDataDir()))
    if (e.path().extension() == ".hl7") names.push_back(e.path().stem().string());
  std::sort(names.begin(), names.end());
  return names;
}

// Checks one test message: returns "SEG[n]-f" of each field neither found nor
// warned, and adds the kTranslated entries it relied on to `translated_used`.
// Per message family: how its test messages' fields were accounted for.
struct TraceCounts {
  int messages = 0, refused = 0;
  int fields = 0;     // non-empty, not set ids
  int in_bundle = 0;  // found among the Bundle's values
  int warned = 0;     // named by a warning (field or whole segment)
  int tabled = 0;     // translated or structural (kTranslated, kStructural)
};

std::vector<std::string> UntracedFields(const std::string& name,
                                        std::set<std::string>* translated_used,
                                        TraceCounts* counts = nullptr) {
  TraceCounts ignored;
  TraceCounts& n = counts != nullptr ? *counts : ignored;
  ++n.messages;
  std::string er7 = ReadFile(TestDataDir() / (name + ".hl7"));
  Converted c;
  ConvertText(std::move(er7), GoldenConfig(), &c);
  if (!c.parsed.ok() || !c.result.ok()) {
    ++n.refused;
    return {"(does not convert)"};
  }
  BundleValues values;
  values.add(c.result.bundle);
  CollectAttachments(c.result.bundle, &values.decoded_attachments);
  // Warned places: "SEG|occurrence|field" (field 0: the whole segment).
  std::set<std::string> warned;
  for (const MappingIssue& w : c.result.warnings) {
    const hl7::ErrorLocation& at = w.location.where;
    warned.insert(at.segment_id + "|" + std::to_string(at.segment_sequence) + "|" +
                  std::to_string(at.field));
  }
  std::vector<std::string> untraced;
  const hl7::Message& m = *c.parsed.message;
  std::map<std::string, int> seen;
  for (size_t i = 0; i < m.segment_count(); ++i) {
    hl7::SegmentView s = m.segment(i);
    std::string id(s.id());
    int occurrence = ++seen[id];
    std::string at = id + "|" + std::to_string(occurrence) + "|";
    const bool segment_warned = warned.count(at + "0") > 0;  // "segment not mapped"
    for (int f = i == 0 ? 3 : 1; f <= s.field_count(); ++f) {
      hl7::Element field = s.field(f);
      if (!field.has_value() || is_set_id_field(id, f)) continue;
      ++n.fields;
      std::vector<std::string> leaves = Leaves(field);
      if (std::any_of(leaves.begin(), leaves.end(),
                      [&](const std::string& l) { return LeafFound(values, l); })) {
        ++n.in_bundle;
        continue;
      }
      std::string field_name = id + "-" + std::to_string(f);
      if (kTranslated.count(field_name) || kStructural.count(field_name)) {
        translated_used->insert(field_name);
        ++n.tabled;
        continue;
      }
      if (!leaves.empty() && kSelectorValues.count(field_name + "=" + leaves[0])) {
        translated_used->insert(field_name + "=" + leaves[0]);
        ++n.tabled;
        continue;
      }
      if (segment_warned || warned.count(at + std::to_string(f))) {
        ++n.warned;
        continue;
      }
      untraced.push_back(id + "[" + std::to_string(occurrence) + "]-" + std::to_string(f));
    }
  }
  return untraced;
}

class FieldTrace : public ::testing::TestWithParam<std::string> {};

TEST_P(FieldTrace, EveryNonEmptyFieldIsMappedOrNamed) {
  if (!TypeSupported(ReadFile(TestDataDir() / (GetParam() + ".hl7"))))
    GTEST_SKIP() << "type not registered (the golden test fails for it)";
  std::set<std::string> used;
  for (const std::string& f : UntracedFields(GetParam(), &used))
    ADD_FAILURE() << GetParam() << ": " << f << " is neither in the Bundle nor named by a warning";
}

INSTANTIATE_TEST_SUITE_P(Testdata, FieldTrace, ::testing::ValuesIn(Names()),
                         [](const auto& info) { return info.param; });

// Also prints, per message family (file name prefix), the figures the
// issue asks for: messages converted / refused, and how their fields were
// accounted for.
TEST(FieldTraceTable, EveryTranslatedEntryIsUsed) {
  std::set<std::string> used;
  std::map<std::string, TraceCounts> families;
  for (const std::string& name : Names()) {
    if (TypeSupported(ReadFile(TestDataDir() / (name + ".hl7"))))
      UntracedFields(name, &used, &families[name.substr(0, name.find('_'))]);
  }
  std::printf("%-8s %8s %8s %7s %10s %7s %8s\n", "family", "messages", "refused", "fields",
              "in bundle", "warned", "tabled");
  for (const auto& [family, n] : families) {
    std::printf("%-8s %8d %8d %7d %10d %7d %8d\n", family.c_str(), n.messages, n.refused, n.fields,
                n.in_bundle, n.warned, n.tabled);
  }
  for (const auto& [value, why] : kSelectorValues)
    EXPECT_TRUE(used.count(value)) << value << " (" << why << ") is used by no test message: "
                                   << "remove it from kSelectorValues";
  for (const auto& [field, why] : kStructural)
    EXPECT_TRUE(used.count(field)) << field << " (" << why << ") is used by no test message: "
                                   << "remove it from kStructural";
  for (const auto& [field, why] : kTranslated)
    EXPECT_TRUE(used.count(field)) << field << " (" << why << ") is used by no test message: "
                                   << "remove it from kTranslated";
}

// The checker itself: a dropped field is caught, a warned one is not.
TEST(FieldTraceSelfCheck, LeafRules) {
  BundleValues b;
  auto parsed = fhir::parse_json(
      R"({"a":"2024-03-15T10:30:00-04:00","b":"Everywoman","c":7.5,"d":"F","e":"X ray"})");
  ASSERT_TRUE(parsed.ok());
  b.add(*parsed);
  EXPECT_TRUE(LeafFound(b, "20240315103000"));
  EXPECT_TRUE(LeafFound(b, "202403151030"));
  EXPECT_TRUE(LeafFound(b, "Everywoman"));
  EXPECT_TRUE(LeafFound(b, "007.50"));
  EXPECT_TRUE(LeafFound(b, "F"));
  EXPECT_FALSE(LeafFound(b, "M"));
  EXPECT_FALSE(LeafFound(b, "Smith"));
  EXPECT_FALSE(LeafFound(b, "20240316"));
  EXPECT_FALSE(LeafFound(b, "X"));  // short values match whole values only
}

}  // namespace
}  // namespace gw::v2fhir::testing
