// Seeded, deterministic generator of realistic mixed HL7 v2 traffic, for the
// whole-pipeline benchmark (tests/bench/pipeline_bench.cc), its tests and the
// corpus_gen CLI.
//
// Message `index` of a stream is a pure function of (seed, index): any
// message can be made on its own, in any order, on any thread, and the same
// seed gives byte-identical output everywhere. So a benchmark can send 5 M
// messages without holding them, and never sends the same content twice.
//
// The mix (per message, drawn from the index's own random stream):
//   ~60% ADT: A01 18, A04 12, A08 18, A03 8, A02 2, A11 2 (percent)
//   ~30% ORU^R01 with 5-30 OBX in 1-3 ORC/OBR groups (numeric results with
//        UCUM units, reference ranges and flags; coded CWE; some text; NTE)
//   ~10% other: ORM^O01 3, VXU^V04 2, SIU^S12 3, MDM^T02 2
// Patients come from a pool (200,000 by default): consecutive indexes share a
// patient in episodes of four messages (admit, labs, updates, discharge seen
// close together, as in a hospital's feed), episodes pick patients at random.
// A patient's name, birth date, sex, address and MRN derive from the patient
// number alone, so every message about them agrees. A few sending facilities,
// ~60 practitioners and a set of wards and rooms repeat across messages.
// Every message has a unique MSH-10 and original-mode acknowledgement (MSH-15
// and MSH-16 empty), so every message is answered.
//
// Everything is fiction built from small word lists; no real person's data.
#pragma once

#include <cstdint>
#include <string>

namespace gw::testing {

struct CorpusOptions {
  uint64_t seed = 1;
  uint32_t patients = 200000;  // size of the patient pool (at least 1)
};

class CorpusGenerator {
 public:
  explicit CorpusGenerator(CorpusOptions options);

  // Message number `index` of the stream, segments ended by '\r'.
  std::string message(uint64_t index) const;
  // Its MSH-9 message type and trigger ("ADT^A01"), without making it.
  std::string type(uint64_t index) const;

  // Fixed shapes for one-core figures, still with the index's patient:
  std::string adt_a01(uint64_t index) const;
  std::string oru_r01(uint64_t index, int obx_count) const;

  const CorpusOptions& options() const { return options_; }

 private:
  CorpusOptions options_;
};

}  // namespace gw::testing
