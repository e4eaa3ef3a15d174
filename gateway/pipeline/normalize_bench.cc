// HL7 v2 -> validated canonical FHIR on one core: what the MLLP pipeline does
// per accepted message before it is stored (parse, map to a transaction
// Bundle, validate every resource against the R4 definitions, canonicalize
// every resource). Items/s are messages/s; run pinned to one core
// (tests/bench.sh fhir does).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/hl7/er7.h"
#include "fhir/json/write.h"
#include "gateway/cli/ctl_commands.h"
#include "gateway/crypto/commitment.h"
#include "gateway/crypto/store_keys.h"
#include "gateway/labels/labeler.h"
#include "gateway/pipeline/normalize.h"

// Callgrind's client request, when valgrind's headers are installed (a no-op
// instruction sequence outside valgrind).
#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#define GW_CALLGRIND_TOGGLE() CALLGRIND_TOGGLE_COLLECT
#else
#define GW_CALLGRIND_TOGGLE() ((void)0)
#endif

namespace {

std::string corpus_message(const char* name) {
  std::ifstream in(std::string(GW_CORPUS_DIR) + "/" + name, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  auto messages = gw::cli::split_messages(text.str());
  return messages.empty() ? std::string() : messages[0];
}

// An ORU^R01 with `n` numeric OBX results, units, ranges and flags.
std::string oru_with_results(int n) {
  std::string m =
      "MSH|^~\\&|LABSYS|CITYLAB|GW|REGIONAL|20240706120000-0400||ORU^R01^ORU_R01|LAB-1|P|2.5.1\r"
      "PID|1||P-5550001^^^CITYLAB^MR||QUILLFEATHER^OPHELIA^J||19711111|F|||12 ELM ST^^SPRINGFIELD^"
      "IL^62701^USA\r"
      "PV1|1|O|LAB^^^CITYLAB\r"
      "ORC|RE|PL-1^EHR|FL-1^CITYLAB\r"
      "OBR|1|PL-1^EHR|FL-1^CITYLAB|24323-8^Comprehensive metabolic panel^LN|||"
      "20240706113000-0400|||||||||1234567890^ORDER^OLIVE^^^DR^MD^^^^^^NPI||||||"
      "20240706115500-0400|||F\r";
  for (int i = 1; i <= n; ++i) {
    m += "OBX|" + std::to_string(i) + "|NM|2345-7^Glucose [Mass/volume] in Serum or Plasma^LN||" +
         std::to_string(90 + i) + ".5|mg/dL^mg/dL^UCUM|70-99|" + (i % 3 == 0 ? "H" : "N") +
         "|||F|||20240706113000-0400\r";
  }
  return m;
}

// `labeled`: also the labeling step the pipeline runs after normalization
// (gateway/labels, the default rules), to compare with the same message
// normalized alone.
void normalize_loop(benchmark::State& state, const std::string& raw, bool labeled = false) {
  gw::v2fhir::MappingConfig config;
  const auto rules = gw::labels::default_rules();
  size_t records = 0;
  for (auto _ : state) {
    gw::hl7::ParseResult r = gw::hl7::parse(raw);
    if (!r.message) {
      state.SkipWithError("parse failed");
      return;
    }
    gw::pipeline::Normalized n = gw::pipeline::normalize_v2(*r.message, config);
    if (!n.ok()) {
      state.SkipWithError(("normalize failed: " + gw::pipeline::summarize(n.errors)).c_str());
      return;
    }
    if (labeled && !gw::labels::label_records(*rules, &n.records).ok()) {
      state.SkipWithError("labeling failed");
      return;
    }
    records += n.records.size();
    benchmark::DoNotOptimize(n.records.data());
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * raw.size()));
  state.counters["records_per_message"] =
      static_cast<double>(records) / static_cast<double>(std::max<int64_t>(state.iterations(), 1));
}

void BM_NormalizeAdtA01(benchmark::State& state) {
  normalize_loop(state, corpus_message("adt_a01.hl7"));
}
BENCHMARK(BM_NormalizeAdtA01);

void BM_NormalizeOruR01With20Obx(benchmark::State& state) {
  normalize_loop(state, oru_with_results(20));
}
BENCHMARK(BM_NormalizeOruR01With20Obx);

// adt_a01.hl7 with a psychiatric diagnosis: its Condition and the Encounter
// that names it are labeled PSY (parsed, labeled and re-serialized).
std::string psych_adt() {
  std::string m = corpus_message("adt_a01.hl7");
  const std::string from = "I20.9^Angina pectoris, unspecified^I10";
  if (size_t at = m.find(from); at != std::string::npos)
    m.replace(at, from.size(), "F20.0^Paranoid schizophrenia^I10");
  return m;
}

void BM_NormalizePsychAdt(benchmark::State& state) { normalize_loop(state, psych_adt()); }
BENCHMARK(BM_NormalizePsychAdt);

void BM_NormalizeAndLabelPsychAdt(benchmark::State& state) {
  normalize_loop(state, psych_adt(), true);
}
BENCHMARK(BM_NormalizeAndLabelPsychAdt);

void BM_NormalizeAndLabelAdtA01(benchmark::State& state) {
  normalize_loop(state, corpus_message("adt_a01.hl7"), true);
}
BENCHMARK(BM_NormalizeAndLabelAdtA01);

void BM_NormalizeAndLabelOruR01With20Obx(benchmark::State& state) {
  normalize_loop(state, oru_with_results(20), true);
}
BENCHMARK(BM_NormalizeAndLabelOruR01With20Obx);

// The labeling step alone, on one message's normalized records (a fresh copy
// each iteration, as the pipeline labels each message's records once;
// BM_CopyRecords* is the copy alone).
void label_loop(benchmark::State& state, const std::string& raw, bool label) {
  gw::hl7::ParseResult r = gw::hl7::parse(raw);
  gw::pipeline::Normalized n = gw::pipeline::normalize_v2(*r.message, {});
  if (!n.ok()) {
    state.SkipWithError("normalize failed");
    return;
  }
  const auto rules = gw::labels::default_rules();
  size_t changed = 0;
  for (auto _ : state) {
    std::vector<gw::store::RecordWrite> records = n.records;
    if (label && !gw::labels::label_records(*rules, &records, nullptr, &changed).ok()) {
      state.SkipWithError("labeling failed");
      return;
    }
    benchmark::DoNotOptimize(records.data());
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["relabeled_per_message"] = static_cast<double>(changed);
}
void BM_CopyRecordsAdtA01(benchmark::State& s) {
  label_loop(s, corpus_message("adt_a01.hl7"), false);
}
BENCHMARK(BM_CopyRecordsAdtA01);
void BM_LabelAdtA01(benchmark::State& s) { label_loop(s, corpus_message("adt_a01.hl7"), true); }
BENCHMARK(BM_LabelAdtA01);
void BM_LabelPsychAdt(benchmark::State& s) { label_loop(s, psych_adt(), true); }
BENCHMARK(BM_LabelPsychAdt);
void BM_CopyRecordsOruR01With20Obx(benchmark::State& s) {
  label_loop(s, oru_with_results(20), false);
}
BENCHMARK(BM_CopyRecordsOruR01With20Obx);
void BM_LabelOruR01With20Obx(benchmark::State& s) { label_loop(s, oru_with_results(20), true); }
BENCHMARK(BM_LabelOruR01With20Obx);

// What the pipeline adds per message once it is normalized: a consortium token for
// every Patient identifier, a salted commitment and an encrypted envelope for
// every record version (plus the raw message and its acknowledgement).
void crypto_loop(benchmark::State& state, const std::string& raw) {
  gw::hl7::ParseResult r = gw::hl7::parse(raw);
  gw::v2fhir::MappingConfig config;
  gw::pipeline::Normalized n = gw::pipeline::normalize_v2(*r.message, config);
  if (!n.ok()) {
    state.SkipWithError("normalize failed");
    return;
  }
  auto keys = gw::crypto::StoreKeys::random_for_tests();
  size_t tokens = 0;
  for (auto _ : state) {
    for (const auto& rec : n.records) {
      auto c = gw::crypto::commit(rec.resource_json);
      benchmark::DoNotOptimize(c);
      auto sealed = keys->seal(rec.resource_json, gw::crypto::record_associated_data(
                                                      rec.resource_type, rec.resource_id, 1));
      benchmark::DoNotOptimize(sealed.data());
      if (rec.resource_type == "Patient") {
        for (const auto& [system, value] : rec.identifiers) {
          auto t = keys->patient_token(system, value);
          benchmark::DoNotOptimize(t.data());
          ++tokens;
        }
      }
    }
    auto sealed_raw = keys->seal(raw, "raw");
    benchmark::DoNotOptimize(sealed_raw.data());
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["records_per_message"] = static_cast<double>(n.records.size());
  state.counters["tokens_per_message"] =
      static_cast<double>(tokens) / static_cast<double>(std::max<int64_t>(state.iterations(), 1));
}

void BM_RecordCryptoAdtA01(benchmark::State& state) {
  crypto_loop(state, corpus_message("adt_a01.hl7"));
}
BENCHMARK(BM_RecordCryptoAdtA01);

void BM_RecordCryptoOruR01With20Obx(benchmark::State& state) {
  crypto_loop(state, oru_with_results(20));
}
BENCHMARK(BM_RecordCryptoOruR01With20Obx);

void BM_TokenOnly(benchmark::State& state) {
  auto keys = gw::crypto::StoreKeys::random_for_tests();
  for (auto _ : state) {
    auto t = keys->patient_token("urn:oid:2.16.840.1.113883.3.999.1", "100001");
    benchmark::DoNotOptimize(t.data());
  }
}
BENCHMARK(BM_TokenOnly);

// `normalize_bench --instructions adt|oru [N]`: N normalizations (default
// 20) of one message after three warm-up runs (the first loads the R4
// definitions), with callgrind collecting only those N:
//   valgrind --tool=callgrind --collect-atstart=no \
//     build/gateway/normalize_bench --instructions adt
// "Collected" / N is the repeatable instructions per message; without
// valgrind it prints the wall clock per message.
int count_instructions(int argc, char** argv) {
  const std::string which = argc > 2 ? argv[2] : "adt";
  const int n = argc > 3 ? std::max(1, std::atoi(argv[3])) : 20;
  const std::string raw = which == "oru" ? oru_with_results(20) : corpus_message("adt_a01.hl7");
  gw::hl7::ParseResult r = gw::hl7::parse(raw);
  if (!r.message) return 1;
  gw::v2fhir::MappingConfig config;
  for (int i = 0; i < 3; ++i) gw::pipeline::normalize_v2(*r.message, config);
  size_t records = 0;
  const auto start = std::chrono::steady_clock::now();
  GW_CALLGRIND_TOGGLE();
  for (int i = 0; i < n; ++i) {
    gw::pipeline::Normalized out = gw::pipeline::normalize_v2(*r.message, config);
    if (!out.ok()) return 1;
    records += out.records.size();
  }
  GW_CALLGRIND_TOGGLE();
  const std::chrono::duration<double, std::micro> took = std::chrono::steady_clock::now() - start;
  std::printf("%s: %d messages, %zu records each, %.1f us per message\n", which.c_str(), n,
              records / static_cast<size_t>(n), took.count() / n);
  return 0;
}

// `normalize_bench --dump FILE...`: everything normalize_v2 returns for
// every message of the files (canonical records with their ids,
// identifiers, compartments and merge rules; the Bundle; issues), one field
// per line, so that a change to the mapper, validator or canonical writer
// can be shown to leave the output byte-identical (`cmp` two dumps).
// Test corpora only: the dump holds the messages' content.
int dump(int argc, char** argv) {
  gw::v2fhir::MappingConfig config;
  for (int f = 2; f < argc; ++f) {
    std::ifstream in(argv[f], std::ios::binary);
    if (!in) {
      std::fprintf(stderr, "cannot read %s\n", argv[f]);
      return 2;
    }
    std::stringstream text;
    text << in.rdbuf();
    std::vector<std::string> messages = gw::cli::split_messages(text.str());
    for (size_t i = 0; i < messages.size(); ++i) {
      std::printf("== %s#%zu\n", argv[f], i + 1);
      gw::hl7::ParseResult r = gw::hl7::parse(messages[i]);
      if (!r.message) {
        std::printf("parse failed\n");
        continue;
      }
      gw::pipeline::Normalized n = gw::pipeline::normalize_v2(*r.message, config);
      for (const auto& e : n.errors)
        std::printf("error %s: %s\n", e.location().c_str(), e.text.c_str());
      for (const auto& w : n.warnings)
        std::printf("warning %s: %s\n", w.location().c_str(), w.text.c_str());
      for (const gw::store::RecordWrite& w : n.records) {
        std::printf("record %s/%s\n%s\n", w.resource_type.c_str(), w.resource_id.c_str(),
                    w.resource_json.c_str());
        for (const auto& [system, value] : w.identifiers)
          std::printf(" identifier %s|%s\n", system.c_str(), value.c_str());
        if (w.patients)
          for (const std::string& p : *w.patients) std::printf(" patient %s\n", p.c_str());
        for (const std::string& k : w.merge.keep_stored) std::printf(" keep %s\n", k.c_str());
        for (const auto& b : w.merge.merge_by)
          std::printf(" merge %s by %s\n", b.element.c_str(), b.key_path.c_str());
      }
      if (n.ok()) std::printf("bundle %s\n", gw::fhir::write_json(n.bundle, false).c_str());
    }
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::string_view(argv[1]) == "--instructions")
    return count_instructions(argc, argv);
  if (argc > 1 && std::string_view(argv[1]) == "--dump") return dump(argc, argv);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
