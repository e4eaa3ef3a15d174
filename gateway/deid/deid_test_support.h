// Shared by the deid tests: the synthetic patient, keys and lookups.
#pragma once

#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "fhir/json/json.h"
#include "fhir/json/write.h"
#include "gateway/crypto/secret.h"
#include "gateway/deid/safe_harbor.h"

namespace gw::deid::test_support {

inline std::vector<Record> records_from_array(const std::string& text) {
  auto parsed = fhir::parse_json(text);
  EXPECT_TRUE(parsed.ok());
  std::vector<Record> out;
  if (!parsed.ok()) return out;
  for (const fhir::JsonValue& r : parsed->items()) {
    out.push_back(
        Record{r.find("resourceType")->text(), r.find("id")->text(), fhir::write_json(r)});
  }
  return out;
}

// testdata/synthetic_patient.json: one patient (92 years old) with every
// identifier kind of §164.514(b)(2), relatives, an employer and free text.
inline std::vector<Record> synthetic_patient() {
  std::ifstream in(std::string(GW_SOURCE_DIR) + "/gateway/deid/testdata/synthetic_patient.json");
  std::stringstream ss;
  ss << in.rdbuf();
  return records_from_array(ss.str());
}

inline crypto::SecretBytes study_key(uint8_t fill) {
  std::vector<uint8_t> bytes(32, fill);
  return std::move(*crypto::SecretBytes::copy_of(bytes));
}

inline SafeHarborOptions options() {
  SafeHarborOptions o;
  o.study_id = "STUDY-1";
  o.reference_date = std::chrono::year_month_day{std::chrono::year{2026}, std::chrono::month{12},
                                                 std::chrono::day{7}};
  return o;
}

// A token shaped like the consortium's (43 base64url characters).
inline const std::string kToken = "q7Vb1xN0f9Kc2LmZ4pRt8sUw3YhE6jGa5dQi0oXyTnB";

inline fhir::JsonValue parse(const Record& r) {
  auto v = fhir::parse_json(r.json);
  EXPECT_TRUE(v.ok());
  return v.ok() ? std::move(v).value() : fhir::JsonValue();
}

// All output bytes, with the 64-hex-digit ids and pseudonym masked: they are
// HMAC outputs, and a short needle ("1934") could occur in one by chance.
inline std::string output_text(const DeidResult& r) {
  std::string all;
  for (const Record& rec : r.records) all += rec.json + "\n";
  return std::regex_replace(all, std::regex("[0-9a-f]{64}"), "#");
}

inline const Record* find_type(const DeidResult& r, const std::string& type, size_t nth = 0) {
  for (const Record& rec : r.records) {
    if (rec.resource_type == type && nth-- == 0) return &rec;
  }
  return nullptr;
}

// The output of input record `index`, or nullptr if it was dropped.
inline const Record* output_of(const DeidResult& r, size_t index) {
  for (size_t i = 0; i < r.records.size(); ++i) {
    if (r.source_index[i] == index) return &r.records[i];
  }
  return nullptr;
}

}  // namespace gw::deid::test_support
