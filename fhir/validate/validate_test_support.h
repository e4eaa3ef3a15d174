// Helpers shared by the fhir/validate tests.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <string_view>

#include "fhir/json/json.h"
#include "fhir/validate/validator.h"

namespace gw::fhir::testing {

inline std::filesystem::path testdata_dir() {
  return std::filesystem::path(GW_SOURCE_DIR) / "fhir" / "validate" / "testdata";
}

inline JsonValue parse_or_die(std::string_view text) {
  auto parsed = parse_json(text);
  if (!parsed.ok()) {
    ADD_FAILURE() << "test JSON does not parse: " << parsed.error().to_string();
    return JsonValue();
  }
  return std::move(parsed).value();
}

inline JsonValue load_fixture(const std::string& relative) {
  std::ifstream in(testdata_dir() / relative, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (text.empty()) ADD_FAILURE() << "missing fixture " << relative;
  return parse_or_die(text);
}

inline ValidationResult validate_text(std::string_view text,
                                      const ValidationOptions& options = {}) {
  return validate_resource(parse_or_die(text), options);
}

inline std::string describe(const ValidationResult& r) {
  std::ostringstream out;
  for (const auto& i : r.issues)
    out << "  [" << static_cast<int>(i.severity) << "] " << i.code << " @ " << i.path << ": "
        << i.message << "\n";
  return out.str();
}

// Exactly one error-or-worse issue, with this code and path.
inline ::testing::AssertionResult HasOnlyError(const ValidationResult& r, std::string_view code,
                                               std::string_view path) {
  int errors = 0;
  bool match = false;
  for (const auto& i : r.issues) {
    if (i.severity != IssueSeverity::kError && i.severity != IssueSeverity::kFatal) continue;
    ++errors;
    if (i.code == code && i.path == path) match = true;
  }
  if (errors == 1 && match) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "expected exactly one error " << code << " @ " << path << ", got:\n"
         << describe(r);
}

// At least one issue with this code and path.
inline ::testing::AssertionResult HasIssue(const ValidationResult& r, std::string_view code,
                                           std::string_view path) {
  for (const auto& i : r.issues)
    if (i.code == code && i.path == path) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "no issue " << code << " @ " << path << " in:\n"
                                       << describe(r);
}

}  // namespace gw::fhir::testing
