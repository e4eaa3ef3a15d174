// Validation throughput: resources per second on one core.
//   ninja fhir_validate_bench && ./fhir/fhir_validate_bench
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "fhir/defs/definitions.h"
#include "fhir/validate/validator.h"

namespace gw::fhir::defs::generated {
extern const char kTables[];
extern const unsigned long kTablesSize;
}  // namespace gw::fhir::defs::generated

namespace {

gw::fhir::JsonValue load(const char* name) {
  auto path =
      std::filesystem::path(GW_SOURCE_DIR) / "fhir" / "validate" / "testdata" / "valid" / name;
  std::ifstream in(path, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto parsed = gw::fhir::parse_json(text);
  if (!parsed.ok()) std::abort();
  return std::move(parsed).value();
}

void run(benchmark::State& state, const char* fixture, int resources_per_doc) {
  gw::fhir::JsonValue doc = load(fixture);
  if (!gw::fhir::validate_resource(doc).ok()) {
    state.SkipWithError("fixture is not valid");
    return;
  }
  for (auto _ : state) {
    auto result = gw::fhir::validate_resource(doc);
    benchmark::DoNotOptimize(result);
  }
  // items = resources (a Bundle counts itself and its entries).
  state.SetItemsProcessed(state.iterations() * resources_per_doc);
}

void BM_ValidatePatient(benchmark::State& s) { run(s, "patient.json", 1); }
void BM_ValidateObservation(benchmark::State& s) { run(s, "observation.json", 1); }
void BM_ValidateTransactionBundle(benchmark::State& s) { run(s, "bundle_transaction.json", 11); }

void BM_ParseAndValidatePatient(benchmark::State& state) {
  auto path = std::filesystem::path(GW_SOURCE_DIR) / "fhir" / "validate" / "testdata" / "valid" /
              "patient.json";
  std::ifstream in(path, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  for (auto _ : state) {
    auto parsed = gw::fhir::parse_json(text);
    auto result = gw::fhir::validate_resource(*parsed);
    benchmark::DoNotOptimize(result);
  }
  state.SetItemsProcessed(state.iterations());
}

// Start-up cost: decoding the generated tables into arrays and hash indexes.
void BM_DecodeTables(benchmark::State& state) {
  namespace g = gw::fhir::defs::generated;
  for (auto _ : state) {
    gw::fhir::defs::Definitions defs(std::string_view(g::kTables, g::kTablesSize));
    benchmark::DoNotOptimize(defs.elements().data());
  }
}

BENCHMARK(BM_DecodeTables)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ValidatePatient);
BENCHMARK(BM_ValidateObservation);
BENCHMARK(BM_ValidateTransactionBundle);
BENCHMARK(BM_ParseAndValidatePatient);

}  // namespace

BENCHMARK_MAIN();
