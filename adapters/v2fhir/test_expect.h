// Helpers of this folder's GoogleTest tests that report failures themselves
// (test_util.h has the rest and is also used by the benchmark, which does not
// link GoogleTest). Not part of the library.
#pragma once

#include <gtest/gtest.h>

#include <initializer_list>
#include <string>

#include "adapters/v2fhir/test_util.h"

namespace gw::v2fhir::testing {

// Converts with GoldenConfig(); a message that does not parse fails the test
// (the caller goes on and sees an empty result).
inline void Convert(const std::string& er7, Converted* out) {
  ConvertText(er7, GoldenConfig(), out);
  if (!out->parsed.ok()) ADD_FAILURE() << "test message does not parse";
}

// No issue carries message content: none of `values` appears in the location
// or text of any error or warning.
inline void ExpectNoContent(const ConversionResult& r, std::initializer_list<std::string> values) {
  for (const auto* list : {&r.errors, &r.warnings}) {
    for (const MappingIssue& i : *list) {
      for (const std::string& v : values) {
        EXPECT_EQ(i.location.to_string().find(v), std::string::npos) << i.location.to_string();
        EXPECT_EQ(i.text.find(v), std::string::npos) << i.text;
      }
    }
  }
}

}  // namespace gw::v2fhir::testing
