// Every Bundle the golden messages produce is valid FHIR R4 according to
// fhir/validate (structure, cardinality, primitive formats, required
// bindings, references).
#include <gtest/gtest.h>

#include "adapters/v2fhir/test_util.h"
#include "fhir/validate/validator.h"

namespace gw::v2fhir::testing {
namespace {

TEST(ValidationTest, EveryGoldenBundleIsValidR4) {
  int checked = 0;
  for (const auto& e : std::filesystem::directory_iterator(TestDataDir())) {
    if (e.path().extension() != ".hl7") continue;
    std::string er7 = ReadFile(e.path());
    if (!TypeSupported(er7)) continue;  // another helper's type, not registered yet
    Converted c;
    ConvertText(std::move(er7), GoldenConfig(), &c);
    ASSERT_TRUE(c.parsed.ok()) << e.path();
    ASSERT_TRUE(c.result.ok()) << e.path();
    fhir::ValidationResult v = fhir::validate_resource(c.result.bundle);
    for (const auto& issue : v.issues) {
      ADD_FAILURE() << e.path().filename() << ": " << issue.code << " at " << issue.path << ": "
                    << issue.message;
    }
    EXPECT_TRUE(v.ok());
    ++checked;
  }
  EXPECT_GE(checked, 13);
}

// Negative control: the validator does catch a broken mapping of ours (a
// dateTime without seconds, an unknown status), so the test above can fail.
TEST(ValidationTest, ValidatorRejectsBrokenOutput) {
  Converted c;
  ConvertText(ReadFile(TestDataDir() / "oru_r01.hl7"), GoldenConfig(), &c);
  ASSERT_TRUE(c.result.ok());
  fhir::JsonValue bundle = c.result.bundle;
  for (fhir::JsonValue& e : bundle.find_mutable("entry")->mutable_items()) {
    fhir::JsonValue* r = e.find_mutable("resource");
    if (r->find("resourceType")->text() != "Observation") continue;
    r->add("status", fhir::JsonValue::make_string("done"));
    r->add("effectiveDateTime", fhir::JsonValue::make_string("2024-03-15T08:00+01:00"));
    break;
  }
  fhir::ValidationResult v = fhir::validate_resource(bundle);
  EXPECT_FALSE(v.ok());
  EXPECT_GE(v.issues.size(), 2u);
}

}  // namespace
}  // namespace gw::v2fhir::testing
