// Throughput of parse + convert + canonicalize every entry resource.
//   cmake -DCMAKE_BUILD_TYPE=Release ... && ninja v2fhir_convert_bench
//   ./adapters/v2fhir_convert_bench
#include <benchmark/benchmark.h>

#include <string>

#include "adapters/hl7/er7.h"
#include "adapters/v2fhir/convert.h"
#include "adapters/v2fhir/test_util.h"
#include "fhir/json/canonical.h"

namespace gw::v2fhir {
namespace {

std::string Oru20() {
  std::string m =
      "MSH|^~\\&|LABSYS|CITYLAB|GWINBOUND|REGIONAL-GW|20240320101500||ORU^R01^ORU_R01|LAB-1|P|2.5."
      "1\r"
      "PID|1||400004^^^CITYLAB^MR||MUSTERFRAU^ERIKA^^^^^L||19640812|F|||HEIDESTRASSE "
      "17^^KOELN^^51147^DEU^H\r"
      "PV1|1|O|LAB^^^CITYLAB||||||||||||||||VN-88001^^^CITYLAB^VN\r"
      "ORC|RE|ORD5001^PLACER|LAB8800001^CITYLAB||CM||||20240320070000|||3456789012^ORDERER^OLGA^^^"
      "DR^^^NPI\r"
      "OBR|1|ORD5001^PLACER|LAB8800001^CITYLAB|24323-8^Comprehensive metabolic "
      "panel^LN|||20240320073000"
      "|||||||||||||||20240320101000||CH|F\r";
  for (int i = 1; i <= 20; ++i) {
    m += "OBX|" + std::to_string(i) + "|NM|2345-" + std::to_string(i) +
         "^Glucose [Mass/volume] in Serum or Plasma^LN||" + std::to_string(90 + i) +
         ".5|mg/dL^mg/dL^UCUM|70-99|N|||F|||20240320073000\r";
  }
  return m;
}

void Run(benchmark::State& state, const std::string& er7) {
  MappingConfig config = testing::GoldenConfig();
  size_t bytes = 0;
  for (auto _ : state) {
    hl7::ParseResult p = hl7::parse(er7);
    ConversionResult r = convert_message(*p.message, config);
    if (!r.ok()) {
      state.SkipWithError("conversion failed");
      return;
    }
    for (const fhir::JsonValue& e : r.bundle.find("entry")->items()) {
      auto c = fhir::canonicalize(*e.find("resource"));
      bytes += c->size();
      benchmark::DoNotOptimize(c);
    }
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["json_bytes_per_msg"] =
      static_cast<double>(bytes) / static_cast<double>(state.iterations());
}

void BM_AdtA01(benchmark::State& state) {
  Run(state, testing::ReadFile(testing::TestDataDir() / "adt_a01.hl7"));
}
BENCHMARK(BM_AdtA01);

void BM_OruR01_20Obx(benchmark::State& state) { Run(state, Oru20()); }
BENCHMARK(BM_OruR01_20Obx);

// Breakdown of the ADT^A01 figure: each stage alone.
void BM_AdtA01_ParseOnly(benchmark::State& state) {
  std::string er7 = testing::ReadFile(testing::TestDataDir() / "adt_a01.hl7");
  for (auto _ : state) benchmark::DoNotOptimize(hl7::parse(er7));
}
BENCHMARK(BM_AdtA01_ParseOnly);

void BM_AdtA01_ConvertOnly(benchmark::State& state) {
  std::string er7 = testing::ReadFile(testing::TestDataDir() / "adt_a01.hl7");
  hl7::ParseResult p = hl7::parse(er7);
  MappingConfig config = testing::GoldenConfig();
  for (auto _ : state) benchmark::DoNotOptimize(convert_message(*p.message, config));
}
BENCHMARK(BM_AdtA01_ConvertOnly);

void BM_AdtA01_CanonicalizeOnly(benchmark::State& state) {
  std::string er7 = testing::ReadFile(testing::TestDataDir() / "adt_a01.hl7");
  hl7::ParseResult p = hl7::parse(er7);
  ConversionResult r = convert_message(*p.message, testing::GoldenConfig());
  for (auto _ : state) {
    for (const fhir::JsonValue& e : r.bundle.find("entry")->items()) {
      benchmark::DoNotOptimize(fhir::canonicalize(*e.find("resource")));
    }
  }
}
BENCHMARK(BM_AdtA01_CanonicalizeOnly);

// Reference point: building the same JSON tree with fhir_json's own parser
// (the floor for any mapper producing this Bundle as JsonValues).
void BM_AdtA01_JsonTreeReference(benchmark::State& state) {
  std::string er7 = testing::ReadFile(testing::TestDataDir() / "adt_a01.hl7");
  hl7::ParseResult p = hl7::parse(er7);
  ConversionResult r = convert_message(*p.message, testing::GoldenConfig());
  std::string text = *fhir::canonicalize(r.bundle);
  for (auto _ : state) benchmark::DoNotOptimize(fhir::parse_json(text));
}
BENCHMARK(BM_AdtA01_JsonTreeReference);

// Per message and per segment for a testdata message: the document,
// scheduling, pharmacy and immunization families against ADT (the same Run: parse + convert +
// canonicalize). us_per_segment = CPU time per message / segments, in
// microseconds (the library prints it with an "s" suffix).
void BM_PerSegment(benchmark::State& state, const char* name) {
  std::string er7 = testing::ReadFile(testing::TestDataDir() / (std::string(name) + ".hl7"));
  hl7::ParseResult p = hl7::parse(er7);
  if (!p.ok()) {
    state.SkipWithError("testdata does not parse");
    return;
  }
  double segments = static_cast<double>(p.message->segment_count());
  Run(state, er7);
  state.counters["segments"] = segments;
  state.counters["us_per_segment"] =
      benchmark::Counter(segments * static_cast<double>(state.iterations()) * 1e-6,
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK_CAPTURE(BM_PerSegment, adt_a01, "adt_a01");
BENCHMARK_CAPTURE(BM_PerSegment, adt_a04, "adt_a04");
BENCHMARK_CAPTURE(BM_PerSegment, mdm_t02_progress_note, "mdm_t02_progress_note");
BENCHMARK_CAPTURE(BM_PerSegment, mdm_t04_with_content,
                  "mdm_t04_operative_report_legally_authenticated");
BENCHMARK_CAPTURE(BM_PerSegment, mdm_t08_pdf, "mdm_t08_operative_report_revised_pdf");
BENCHMARK_CAPTURE(BM_PerSegment, mdm_t11_cancel, "mdm_t11_discharge_summary_cancelled");
BENCHMARK_CAPTURE(BM_PerSegment, siu_s12_clinic_visit, "siu_s12_clinic_visit");
BENCHMARK_CAPTURE(BM_PerSegment, siu_s14_contacts, "siu_s14_contact_and_instructions_changed");
BENCHMARK_CAPTURE(BM_PerSegment, siu_s15_cancel, "siu_s15_cancelled_by_patient");
BENCHMARK_CAPTURE(BM_PerSegment, siu_s22_group_deleted, "siu_s22_room_group_deleted");
BENCHMARK_CAPTURE(BM_PerSegment, rde_o11_inpatient, "rde_o11_inpatient");
BENCHMARK_CAPTURE(BM_PerSegment, rde_o11_outpatient, "rde_o11_outpatient_prescription");
BENCHMARK_CAPTURE(BM_PerSegment, rde_o25_refill, "rde_o25_refill_request");
BENCHMARK_CAPTURE(BM_PerSegment, rds_o13_dispense, "rds_o13_dispense");
BENCHMARK_CAPTURE(BM_PerSegment, ras_o17_administration, "ras_o17_administration");
BENCHMARK_CAPTURE(BM_PerSegment, vxu_v04_details, "vxu_v04_details");
BENCHMARK_CAPTURE(BM_PerSegment, vxu_v04_three_doses, "vxu_v04_three_doses");

}  // namespace
}  // namespace gw::v2fhir

BENCHMARK_MAIN();
