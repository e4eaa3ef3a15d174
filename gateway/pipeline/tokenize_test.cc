// The tokenize step: Patient writes get one consortium token per identifier
// that has a system and a value, the same token StoreKeys computes; other
// resources get none; a write that already had tokens gets them recomputed.
#include "gateway/pipeline/tokenize.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "gateway/crypto/tokenizer.h"

namespace gw::pipeline {
namespace {

store::RecordWrite write(std::string type, std::vector<std::pair<std::string, std::string>> ids) {
  store::RecordWrite w;
  w.resource_type = std::move(type);
  w.resource_id = "id-1";
  w.resource_json = "{}";
  w.identifiers = std::move(ids);
  return w;
}

TEST(TokenizeTest, PatientIdentifiersWithSystemAndValueBecomeTokens) {
  const auto keys = crypto::StoreKeys::random_for_tests();
  ASSERT_TRUE(keys);
  std::vector<store::RecordWrite> writes = {
      write("Patient",
            {{"urn:mrn", "MRN-1"}, {"", "no-system"}, {"urn:ssn", ""}, {"urn:ssn", "123"}}),
      write("Observation", {{"urn:lab", "L-1"}}),
  };
  writes[1].patient_tokens = {"stale"};
  tokenize(*keys, &writes);
  EXPECT_EQ(writes[0].patient_tokens,
            (std::vector<std::string>{keys->patient_token("urn:mrn", "MRN-1"),
                                      keys->patient_token("urn:ssn", "123")}));
  for (const std::string& t : writes[0].patient_tokens) {
    EXPECT_EQ(t.size(), crypto::Tokenizer::kTokenChars);
    EXPECT_EQ(t.find("MRN"), std::string::npos);
  }
  EXPECT_TRUE(writes[1].patient_tokens.empty());
}

// A stored Patient's tokens are the ones tokenize() gave its write: the same
// identifiers count, in order, a repeated identifier once; nothing when the
// record does not parse.
TEST(TokenizeTest, StoredPatientTokensAreTheIngestTokens) {
  const auto keys = crypto::StoreKeys::random_for_tests();
  ASSERT_TRUE(keys);
  store::StoredRecord patient;
  patient.resource_type = "Patient";
  patient.resource_id = "id-1";
  patient.resource_json = R"({"resourceType":"Patient","identifier":[
      {"system":"urn:mrn","value":"MRN-1"},{"value":"no-system"},{"system":"urn:ssn","value":""},
      {"system":"urn:ssn","value":"123"},{"system":"urn:mrn","value":"MRN-1"}]})";
  std::vector<store::RecordWrite> writes = {write(
      "Patient", {{"urn:mrn", "MRN-1"}, {"", "no-system"}, {"urn:ssn", ""}, {"urn:ssn", "123"}})};
  tokenize(*keys, &writes);
  const std::vector<std::array<uint8_t, 32>> tokens = stored_patient_tokens(*keys, patient);
  ASSERT_EQ(tokens.size(), 2u);
  for (size_t i = 0; i < tokens.size(); ++i) {
    EXPECT_EQ(crypto::token_text(tokens[i]), writes[0].patient_tokens[i]) << i;
  }
  patient.resource_json = R"({"resourceType":"Patient","identifier":[)";
  EXPECT_TRUE(stored_patient_tokens(*keys, patient).empty());
  patient.resource_json = R"({"resourceType":"Patient"})";
  EXPECT_TRUE(stored_patient_tokens(*keys, patient).empty());
}

}  // namespace
}  // namespace gw::pipeline
