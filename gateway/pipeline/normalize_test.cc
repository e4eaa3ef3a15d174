// normalize_v2: the records a message becomes, as the store receives them.
#include "gateway/pipeline/normalize.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>

#include "adapters/hl7/er7.h"
#include "fhir/json/json.h"
#include "fhir/json/write.h"
#include "gateway/store/compartment.h"

namespace gw::pipeline {
namespace {

std::string testdata(const std::string& name) {
  std::ifstream in(std::string(GW_SOURCE_DIR) + "/adapters/v2fhir/testdata/" + name,
                   std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Every reference a resource holds (depth-first, document order).
void collect_references(const fhir::JsonValue& v, std::vector<std::string>* out) {
  if (v.is_array()) {
    for (const fhir::JsonValue& item : v.items()) collect_references(item, out);
  } else if (v.is_object()) {
    for (const fhir::JsonMember& m : v.members()) {
      if (m.key == "reference" && m.value.is_string()) out->push_back(m.value.text());
      collect_references(m.value, out);
    }
  }
}

TEST(NormalizeTest, StoredRecordsReferToEachOtherAsTypeAndId) {
  std::string er7 = testdata("oru_r01.hl7");
  for (char& c : er7)
    if (c == '\n') c = '\r';
  hl7::ParseResult parsed = hl7::parse(er7);
  ASSERT_TRUE(parsed.ok());
  Normalized n = normalize_v2(*parsed.message, v2fhir::MappingConfig{});
  ASSERT_TRUE(n.ok()) << summarize(n.errors, 5);
  std::map<std::string, std::string> type_of_id;
  for (const store::RecordWrite& w : n.records) type_of_id[w.resource_id] = w.resource_type;

  size_t local = 0;
  for (const store::RecordWrite& w : n.records) {
    auto parsed_record = fhir::parse_json(w.resource_json);
    ASSERT_TRUE(parsed_record.ok());
    std::vector<std::string> refs;
    collect_references(*parsed_record, &refs);
    for (const std::string& ref : refs) {
      // No Bundle-local urn:uuid survives: each names a record of the message.
      EXPECT_NE(ref.rfind("urn:uuid:", 0), 0u) << w.resource_type << " " << ref;
      const size_t slash = ref.find('/');
      ASSERT_NE(slash, std::string::npos) << ref;
      auto it = type_of_id.find(ref.substr(slash + 1));
      ASSERT_NE(it, type_of_id.end()) << ref;
      EXPECT_EQ(it->second, ref.substr(0, slash));
      ++local;
    }
  }
  EXPECT_GT(local, 5u);
  // The Bundle keeps its fullUrl references (it is sent as a transaction).
  EXPECT_NE(fhir::write_json(n.bundle).find("\"urn:uuid:"), std::string::npos);
}

// The compartment the normalizer gives each record is the one the store
// would work out from the stored (Type/id) form.
TEST(NormalizeTest, RecordsCarryThePatientCompartmentOfTheirStoredForm) {
  std::string er7 = testdata("oru_r01.hl7");
  for (char& c : er7)
    if (c == '\n') c = '\r';
  hl7::ParseResult parsed = hl7::parse(er7);
  ASSERT_TRUE(parsed.ok());
  Normalized n = normalize_v2(*parsed.message, v2fhir::MappingConfig{});
  ASSERT_TRUE(n.ok()) << summarize(n.errors, 5);
  size_t in_compartment = 0;
  for (const store::RecordWrite& w : n.records) {
    ASSERT_TRUE(w.patients.has_value()) << w.resource_type;
    EXPECT_EQ(*w.patients,
              store::patient_compartment_ids(w.resource_type, w.resource_id, w.resource_json))
        << w.resource_type;
    if (w.resource_type == "Observation") {
      EXPECT_EQ(w.patients->size(), 1u);
      ++in_compartment;
    }
  }
  EXPECT_GT(in_compartment, 0u);
}

}  // namespace
}  // namespace gw::pipeline
