// Throughput of parse + convert + canonicalize every entry resource.
//   cmake -DCMAKE_BUILD_TYPE=Release ... && ninja v2fhir_convert_bench
//   ./adapters/v2fhir_convert_bench
// Besides the fixed cases below, every testdata/*.hl7 message is one case
// ("Testdata/<name>"), so each message family has its figure; the counter
// "us_per_segment" compares families whatever their message sizes; and every
// family (file name prefix: adt, oru, mdm, ...) is one case "Family/<name>"
// over all its messages. Counters named us_* are microseconds (the library
// prints inverted rates with an "s" suffix).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

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
  int segments = 0;
  if (hl7::ParseResult p = hl7::parse(er7); p.ok())
    segments = static_cast<int>(p.message->segment_count());
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
  state.counters["segments"] = segments;
  // Seconds per segment, printed in µs by the console reporter's scaling.
  state.counters["us_per_segment"] = benchmark::Counter(
      static_cast<double>(segments) * 1e-6,
      benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
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

// One message family (every testdata/<family>_*.hl7), parse + convert +
// canonicalize each message once per iteration: the family's cost per message
// and per segment, the yardstick for "no slower per segment than ADT".
void RunFamily(benchmark::State& state, const std::vector<std::string>& messages) {
  MappingConfig config = testing::GoldenConfig();
  double segments = 0;
  for (const std::string& er7 : messages) {
    hl7::ParseResult p = hl7::parse(er7);
    if (p.ok()) segments += static_cast<double>(p.message->segment_count());
  }
  for (auto _ : state) {
    for (const std::string& er7 : messages) {
      hl7::ParseResult p = hl7::parse(er7);
      ConversionResult r = convert_message(*p.message, config);
      for (const fhir::JsonValue& e : r.bundle.find("entry")->items())
        benchmark::DoNotOptimize(fhir::canonicalize(*e.find("resource")));
    }
  }
  const double n = static_cast<double>(messages.size());
  state.counters["messages"] = n;
  state.counters["us_per_msg"] = benchmark::Counter(
      n * 1e-6, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
  state.counters["us_per_segment"] = benchmark::Counter(
      segments * 1e-6, benchmark::Counter::kIsIterationInvariantRate | benchmark::Counter::kInvert);
}

}  // namespace
}  // namespace gw::v2fhir

int main(int argc, char** argv) {
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(gw::v2fhir::testing::TestDataDir()))
    if (e.path().extension() == ".hl7") names.push_back(e.path().stem().string());
  std::sort(names.begin(), names.end());
  std::map<std::string, std::vector<std::string>> families;  // "adt" -> messages
  for (const std::string& name : names) {
    std::string er7 =
        gw::v2fhir::testing::ReadFile(gw::v2fhir::testing::TestDataDir() / (name + ".hl7"));
    if (!gw::v2fhir::testing::TypeSupported(er7)) continue;
    families[name.substr(0, name.find('_'))].push_back(er7);
    benchmark::RegisterBenchmark(("Testdata/" + name).c_str(),
                                 [er7](benchmark::State& state) { gw::v2fhir::Run(state, er7); });
  }
  for (const auto& [family, messages] : families) {
    benchmark::RegisterBenchmark(("Family/" + family).c_str(), [messages](benchmark::State& state) {
      gw::v2fhir::RunFamily(state, messages);
    });
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
