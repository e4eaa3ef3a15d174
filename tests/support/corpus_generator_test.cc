// The seeded corpus generator (corpus_generator.h): every message it makes is
// accepted by the real parser and mapper (gw::pipeline::normalize_v2, as the
// MLLP pipeline runs it), the mix is what the header promises, and the output
// depends on the seed and nothing else.
#include "tests/support/corpus_generator.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>

#include "adapters/hl7/er7.h"
#include "gateway/pipeline/normalize.h"

namespace gw::testing {
namespace {

// MSH-n (n >= 3) of a generated message ('|' fields, '\r' segments).
std::string msh_field(const std::string& m, int n) {
  const std::string msh = m.substr(0, m.find('\r'));
  size_t pos = 0;
  for (int i = 1; i < n; ++i) {
    pos = msh.find('|', pos);
    if (pos == std::string::npos) return "";
    ++pos;
  }
  return msh.substr(pos, msh.find('|', pos) - pos);
}

int count_segments(const std::string& m, const std::string& id) {
  int n = 0;
  for (size_t at = 0; (at = m.find("\r" + id + "|", at)) != std::string::npos; ++at) ++n;
  return n;
}

TEST(CorpusGeneratorTest, EveryMessageNormalizesWithoutErrors) {
  const CorpusGenerator gen({.seed = 7, .patients = 200000});
  const v2fhir::MappingConfig config;
  std::map<std::string, int> types;
  std::set<std::string> control_ids, patients;
  int oru_obx_min = 1000, oru_obx_max = 0;
  constexpr int kMessages = 3000;
  for (uint64_t i = 0; i < kMessages; ++i) {
    const std::string m = gen.message(i);
    hl7::ParseResult parsed = hl7::parse(m);
    ASSERT_TRUE(parsed.message) << "index " << i << " (" << gen.type(i) << ") did not parse";
    pipeline::Normalized n = pipeline::normalize_v2(*parsed.message, config);
    ASSERT_TRUE(n.ok()) << "index " << i << " (" << gen.type(i)
                        << "): " << pipeline::summarize(n.errors) << "\n"
                        << m;
    EXPECT_FALSE(n.records.empty()) << "index " << i;
    const std::string type = msh_field(m, 9);
    EXPECT_EQ(type.substr(0, 7), gen.type(i)) << "index " << i;
    ++types[type.substr(0, 3)];
    // Original-mode acknowledgement: MSH-15 and MSH-16 empty.
    EXPECT_EQ(msh_field(m, 15), "");
    EXPECT_EQ(msh_field(m, 16), "");
    EXPECT_TRUE(control_ids.insert(msh_field(m, 10)).second) << "MSH-10 repeated at " << i;
    const size_t pid = m.find("\rPID|");
    ASSERT_NE(pid, std::string::npos);
    patients.insert(m.substr(pid, m.find('^', pid) - pid));
    if (type.rfind("ORU", 0) == 0) {
      oru_obx_min = std::min(oru_obx_min, count_segments(m, "OBX"));
      oru_obx_max = std::max(oru_obx_max, count_segments(m, "OBX"));
    }
  }
  // ~60% ADT, ~30% ORU, ~10% others (binomial spread over 3000 draws is ~1%).
  EXPECT_NEAR(types["ADT"], kMessages * 0.60, kMessages * 0.05);
  EXPECT_NEAR(types["ORU"], kMessages * 0.30, kMessages * 0.05);
  EXPECT_NEAR(types["ORM"] + types["VXU"] + types["SIU"] + types["MDM"], kMessages * 0.10,
              kMessages * 0.04);
  EXPECT_GT(types["ORM"], 0);
  EXPECT_GT(types["VXU"], 0);
  EXPECT_GT(types["SIU"], 0);
  EXPECT_GT(types["MDM"], 0);
  EXPECT_GE(oru_obx_min, 5);
  EXPECT_LE(oru_obx_max, 30);
  EXPECT_GT(oru_obx_max, 20);  // the whole range is used
  // Episodes of four messages share a patient; episodes draw from 200,000.
  EXPECT_GT(patients.size(), kMessages / 4 * 9 / 10);
  EXPECT_LT(patients.size(), kMessages / 2);
}

TEST(CorpusGeneratorTest, FixedShapesNormalize) {
  const CorpusGenerator gen({.seed = 3});
  const v2fhir::MappingConfig config;
  for (uint64_t i = 0; i < 50; ++i) {
    for (const std::string& m : {gen.adt_a01(i), gen.oru_r01(i, 20)}) {
      hl7::ParseResult parsed = hl7::parse(m);
      ASSERT_TRUE(parsed.message) << m;
      pipeline::Normalized n = pipeline::normalize_v2(*parsed.message, config);
      EXPECT_TRUE(n.ok()) << pipeline::summarize(n.errors) << "\n" << m;
    }
    EXPECT_EQ(count_segments(gen.oru_r01(i, 20), "OBX"), 20);
    EXPECT_EQ(msh_field(gen.adt_a01(i), 9), "ADT^A01^ADT_A01");
  }
}

TEST(CorpusGeneratorTest, SameSeedSameBytesOtherSeedOtherBytes) {
  const CorpusGenerator a({.seed = 42}), b({.seed = 42}), c({.seed = 43});
  int differing = 0;
  for (uint64_t i = 0; i < 500; ++i) {
    ASSERT_EQ(a.message(i), b.message(i)) << "index " << i;
    if (a.message(i) != c.message(i)) ++differing;
  }
  EXPECT_EQ(differing, 500);
  // A message does not depend on which were made before it.
  EXPECT_EQ(CorpusGenerator({.seed = 42}).message(377), a.message(377));
}

TEST(CorpusGeneratorTest, APatientKeepsTheSameDemographics) {
  const CorpusGenerator gen({.seed = 9, .patients = 1});  // one patient only
  const auto name_and_birth = [](const std::string& m) {
    const size_t pid = m.find("\rPID|");
    size_t f5 = pid;
    for (int i = 0; i < 5; ++i) f5 = m.find('|', f5) + 1;
    size_t f9 = f5;
    for (int i = 0; i < 3; ++i) f9 = m.find('|', f9) + 1;
    return m.substr(f5, f9 - f5);  // PID-5 .. PID-8
  };
  const std::string first = name_and_birth(gen.message(0));
  for (uint64_t i = 1; i < 100; ++i) EXPECT_EQ(name_and_birth(gen.message(i)), first) << i;
}

}  // namespace
}  // namespace gw::testing
