// De-identification throughput: patients (the 24-record synthetic patient of
// testdata/) per second on one core, parse to canonical output.
//   ninja deid_bench && taskset -c 0 ./gateway/deid_bench
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "fhir/json/json.h"
#include "fhir/json/write.h"
#include "gateway/deid/safe_harbor.h"

namespace {

std::vector<gw::deid::Record> synthetic_patient() {
  std::ifstream in(std::string(GW_SOURCE_DIR) + "/gateway/deid/testdata/synthetic_patient.json");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto parsed = gw::fhir::parse_json(text);
  if (!parsed.ok()) std::abort();
  std::vector<gw::deid::Record> out;
  for (const auto& r : parsed->items()) {
    out.push_back({r.find("resourceType")->text(), r.find("id")->text(), gw::fhir::write_json(r)});
  }
  return out;
}

void BM_DeidentifyPatient(benchmark::State& state) {
  std::vector<gw::deid::Record> records = synthetic_patient();
  auto key = gw::crypto::SecretBytes::copy_of(std::vector<uint8_t>(32, 7));
  gw::deid::SafeHarborOptions options;
  options.study_id = "bench";
  options.reference_date = std::chrono::year_month_day{std::chrono::year{2026},
                                                       std::chrono::month{12}, std::chrono::day{7}};
  size_t out = 0;
  for (auto _ : state) {
    auto r = gw::deid::deidentify(records, *key, "benchtoken", options);
    if (!r.ok()) {
      state.SkipWithError("deidentify failed");
      return;
    }
    out += r->records.size();
  }
  state.counters["patients/s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["records_in/s"] = benchmark::Counter(
      static_cast<double>(state.iterations() * records.size()), benchmark::Counter::kIsRate);
  state.counters["records_out/s"] =
      benchmark::Counter(static_cast<double>(out), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_DeidentifyPatient)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
