// Conversion cost of the ADT family: every testdata/adt_*.hl7 message, parse +
// convert, reported per message and per segment (the yardstick: new
// families must not be slower per segment than ADT).
//   ninja v2fhir_adt_bench && ./adapters/v2fhir_adt_bench
// us_per_msg / us_per_segment are CPU microseconds (google-benchmark prints
// inverted rates with an "s" suffix).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "adapters/hl7/er7.h"
#include "adapters/v2fhir/convert.h"
#include "adapters/v2fhir/test_util.h"

namespace gw::v2fhir {
namespace {

std::vector<std::string> AdtMessages() {
  std::vector<std::string> out;
  std::vector<std::filesystem::path> paths;
  for (const auto& e : std::filesystem::directory_iterator(testing::TestDataDir())) {
    std::string name = e.path().filename().string();
    if (name.starts_with("adt_") && name.ends_with(".hl7")) paths.push_back(e.path());
  }
  std::sort(paths.begin(), paths.end());
  for (const auto& p : paths) out.push_back(testing::ReadFile(p));
  return out;
}

void BM_AdtFamily(benchmark::State& state) {
  const std::vector<std::string> messages = AdtMessages();
  MappingConfig config = testing::GoldenConfig();
  size_t segments = 0;
  for (const std::string& m : messages) segments += std::count(m.begin(), m.end(), '\r');
  for (auto _ : state) {
    for (const std::string& m : messages) {
      hl7::ParseResult p = hl7::parse(m);
      ConversionResult r = convert_message(*p.message, config);
      if (!r.ok()) {
        state.SkipWithError("conversion failed");
        return;
      }
      benchmark::DoNotOptimize(r);
    }
  }
  double runs = static_cast<double>(state.iterations());
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(messages.size()));
  state.counters["messages"] = static_cast<double>(messages.size());
  state.counters["us_per_msg"] =
      benchmark::Counter(runs * static_cast<double>(messages.size()) / 1e6,
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["us_per_segment"] =
      benchmark::Counter(runs * static_cast<double>(segments) / 1e6,
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_AdtFamily);

}  // namespace
}  // namespace gw::v2fhir

BENCHMARK_MAIN();
