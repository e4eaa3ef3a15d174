// The codes this library writes and reads (purposes, decisions, refusal
// reasons, flags, kinds, category and label bits) against the contracts'
// constants (.sol, read at test time) and the tables of contracts/README.md.
#include <gtest/gtest.h>

#include <map>
#include <regex>

#include "ledger-client/consortium/consortium.h"
#include "ledger-client/consortium/test_util.h"

namespace gw::ledger::consortium {
namespace {

using testing::contracts_dir;
using testing::read_text;

// NAME -> value of every "uintN public constant NAME = value;" in a source.
std::map<std::string, uint64_t> sol_constants(const std::string& contract) {
  std::string text = read_text(contracts_dir() + "/" + contract + ".sol");
  EXPECT_FALSE(text.empty()) << contract;
  std::map<std::string, uint64_t> out;
  std::regex re(R"(uint\d+\s+public\s+constant\s+(\w+)\s*=\s*(\d+)\s*;)");
  for (std::sregex_iterator it(text.begin(), text.end(), re), end; it != end; ++it)
    out[(*it)[1]] = std::stoull((*it)[2]);
  return out;
}

// "<number> <CODE>" pairs in the README between two markers.
std::map<uint64_t, std::string> readme_codes(const std::string& from, const std::string& to) {
  std::string text = read_text(contracts_dir() + "/README.md");
  size_t a = text.find(from);
  size_t b = text.find(to, a == std::string::npos ? 0 : a);
  EXPECT_NE(a, std::string::npos) << from;
  EXPECT_NE(b, std::string::npos) << to;
  if (a == std::string::npos || b == std::string::npos) return {};
  std::string section = text.substr(a, b - a);
  std::map<uint64_t, std::string> out;
  std::regex re(R"(\b(\d+)\b[ |]*([A-Z][A-Z_]*)\b)");
  for (std::sregex_iterator it(section.begin(), section.end(), re), end; it != end; ++it)
    out[std::stoull((*it)[1])] = (*it)[2];
  return out;
}

TEST(ConsortiumCodes, PurposesMatchTheContractAndReadme) {
  auto consts = sol_constants("ConsentRegistry");
  size_t seen = 0;
  for (const auto& [name, value] : consts) {
    if (name.rfind("PURPOSE_", 0) != 0) continue;
    ++seen;
    auto p = purpose_from_code(name.substr(8));
    ASSERT_TRUE(p) << name;
    EXPECT_EQ(static_cast<uint64_t>(*p), value) << name;
  }
  EXPECT_EQ(seen, 8u);

  auto readme = readme_codes("Purpose of use", "Resource categories");
  EXPECT_EQ(readme.size(), size_t{kPurposeCount});
  for (const auto& [n, code] : readme) {
    auto p = purpose_from_code(code);
    ASSERT_TRUE(p) << code;
    EXPECT_EQ(static_cast<uint64_t>(*p), n) << code;
  }
  // Round trip over every assigned code, and refusals.
  for (uint8_t i = 0; i < kPurposeCount; ++i) {
    Purpose p = static_cast<Purpose>(i);
    EXPECT_EQ(purpose_from_code(purpose_code(p)), p);
    EXPECT_EQ(purpose_from_byte(i), p);
    EXPECT_EQ(purpose_bit(p), 1u << i);
  }
  EXPECT_FALSE(purpose_from_byte(kPurposeCount));
  EXPECT_FALSE(purpose_from_code("treat"));
  EXPECT_FALSE(purpose_from_code(""));
  EXPECT_FALSE(purpose_from_code("TREAT "));
  EXPECT_EQ(purpose_code(static_cast<Purpose>(200)), "UNKNOWN");
}

TEST(ConsortiumCodes, DecisionsAndRefusalsMatchTheContracts) {
  auto consent = sol_constants("ConsentRegistry");
  auto transfer = sol_constants("TransferLog");
  size_t seen = 0;
  for (uint8_t d = 0; d <= static_cast<uint8_t>(Decision::kInvalidPurpose); ++d) {
    std::string name(decision_name(static_cast<Decision>(d)));
    ASSERT_TRUE(consent.count(name)) << name;
    EXPECT_EQ(consent[name], d) << name;
    EXPECT_EQ(transfer_refusal_name(d), name);
    ++seen;
  }
  EXPECT_EQ(seen, 9u);
  for (const char* name : {"RECIPIENT_NOT_ACTIVE", "SELF_TRANSFER", "INVALID_FLAGS"}) {
    ASSERT_TRUE(transfer.count(name)) << name;
    EXPECT_EQ(transfer_refusal_name(static_cast<uint8_t>(transfer[name])), name);
  }
  EXPECT_EQ(transfer["RECIPIENT_NOT_ACTIVE"], kRefusalRecipientNotActive);
  EXPECT_EQ(transfer["SELF_TRANSFER"], kRefusalSelfTransfer);
  EXPECT_EQ(transfer["INVALID_FLAGS"], kRefusalInvalidFlags);
  EXPECT_EQ(transfer_refusal_name(9), "UNKNOWN");
  EXPECT_EQ(transfer_refusal_name(255), "UNKNOWN");

  // The README's list says the same.
  auto readme = readme_codes("`check` decisions", "Transfer flags");
  EXPECT_EQ(readme.size(), 12u);
  for (const auto& [n, name] : readme)
    EXPECT_EQ(transfer_refusal_name(static_cast<uint8_t>(n)), name) << n;
}

TEST(ConsortiumCodes, FlagsKindsAndPolicyMatchTheContracts) {
  auto transfer = sol_constants("TransferLog");
  EXPECT_EQ(transfer["FLAG_BATCH_ROOT"], kFlagBatchRoot);
  EXPECT_EQ(transfer["FLAG_EMERGENCY"], kFlagEmergency);
  auto anchor = sol_constants("AuditAnchor");
  EXPECT_EQ(anchor["KIND_AUDIT"], static_cast<uint64_t>(AnchorKind::kAudit));
  EXPECT_EQ(anchor["KIND_RECORDS"], static_cast<uint64_t>(AnchorKind::kRecordBatch));
  EXPECT_EQ(anchor["MAX_SIGNATURE_LENGTH"], kMaxAnchorSignatureLength);
  auto registry = sol_constants("ProviderRegistry");
  EXPECT_EQ(registry["POLICY_EMERGENCY_ACCESS"], kPolicyEmergencyAccess);
}

TEST(ConsortiumCodes, LabelsMatchTheReadme) {
  auto readme = readme_codes("Security labels", "`check` decisions");
  EXPECT_EQ(readme.size(), 12u);
  for (const auto& [bit, code] : readme) {
    auto l = label_from_code(code);
    ASSERT_TRUE(l) << code;
    EXPECT_EQ(label_bit(*l), uint64_t{1} << bit) << code;
    EXPECT_EQ(label_code(*l), code);
  }
  EXPECT_FALSE(label_from_code("eth"));
  EXPECT_FALSE(label_from_code("N"));  // Confidentiality "normal": no bit
}

TEST(ConsortiumCodes, CategoriesFollowTheReadme) {
  struct Case {
    const char* type;
    const char* code;
    int bit;  // -1: unmapped
  };
  const Case cases[] = {
      {"Patient", "", 0},
      {"RelatedPerson", "", 0},
      {"Encounter", "", 1},
      {"Condition", "", 2},
      {"Observation", "laboratory", 3},
      {"DiagnosticReport", "LAB", 3},
      {"DiagnosticReport", "HM", 3},
      {"Specimen", "", 3},
      {"Observation", "vital-signs", 4},
      {"MedicationRequest", "", 5},
      {"MedicationStatement", "", 5},
      {"AllergyIntolerance", "", 6},
      {"Procedure", "", 7},
      {"Immunization", "", 8},
      {"ImagingStudy", "", 9},
      {"DiagnosticReport", "RAD", 9},
      {"DocumentReference", "", 10},
      {"Composition", "", 10},
      {"CarePlan", "", 11},
      {"CareTeam", "", 11},
      {"Goal", "", 11},
      {"ServiceRequest", "", 12},
      {"Coverage", "", 13},
      {"Observation", "social-history", 14},
      {"Device", "", 15},
      {"FamilyMemberHistory", "", 16},
      // Fail closed: no category rather than a guess.
      {"Observation", "", -1},
      {"Observation", "survey", -1},
      {"DiagnosticReport", "", -1},
      {"DiagnosticReport", "EC", -1},
      {"Bundle", "", -1},
      {"patient", "", -1},
  };
  for (const Case& c : cases) {
    auto got = category_of(c.type, c.code);
    if (c.bit < 0) {
      EXPECT_FALSE(got) << c.type << " " << c.code;
    } else {
      ASSERT_TRUE(got) << c.type << " " << c.code;
      EXPECT_EQ(category_bit(*got), uint64_t{1} << c.bit) << c.type << " " << c.code;
    }
  }
}

}  // namespace
}  // namespace gw::ledger::consortium
