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

// Pharmacy and immunization families: the same pipeline per golden message;
// "segments" lets the figure be compared per segment with BM_AdtA01.
void RunGolden(benchmark::State& state, const char* name) {
  std::string er7 = testing::ReadFile(testing::TestDataDir() / name);
  Run(state, er7);
  hl7::ParseResult p = hl7::parse(er7);
  state.counters["segments"] = static_cast<double>(p.message->segments().size());
}
void BM_RdeO11Inpatient(benchmark::State& s) { RunGolden(s, "rde_o11_inpatient.hl7"); }
BENCHMARK(BM_RdeO11Inpatient);
void BM_RdeO11Outpatient(benchmark::State& s) {
  RunGolden(s, "rde_o11_outpatient_prescription.hl7");
}
BENCHMARK(BM_RdeO11Outpatient);
void BM_RdeO25Refill(benchmark::State& s) { RunGolden(s, "rde_o25_refill_request.hl7"); }
BENCHMARK(BM_RdeO25Refill);
void BM_RdsO13Dispense(benchmark::State& s) { RunGolden(s, "rds_o13_dispense.hl7"); }
BENCHMARK(BM_RdsO13Dispense);
void BM_RasO17Administration(benchmark::State& s) { RunGolden(s, "ras_o17_administration.hl7"); }
BENCHMARK(BM_RasO17Administration);
void BM_VxuV04Details(benchmark::State& s) { RunGolden(s, "vxu_v04_details.hl7"); }
BENCHMARK(BM_VxuV04Details);
void BM_VxuV04ThreeDoses(benchmark::State& s) { RunGolden(s, "vxu_v04_three_doses.hl7"); }
BENCHMARK(BM_VxuV04ThreeDoses);
void BM_AdtA01Segments(benchmark::State& s) { RunGolden(s, "adt_a01.hl7"); }
BENCHMARK(BM_AdtA01Segments);

}  // namespace
}  // namespace gw::v2fhir

BENCHMARK_MAIN();
