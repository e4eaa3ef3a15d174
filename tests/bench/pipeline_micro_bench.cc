// One-core figures of the whole-pipeline table (tests/bench.sh pipeline), on
// messages of the seeded corpus generator: ER7 parse, parse + normalize (map,
// validate, canonicalize: gw::pipeline::normalize_v2, what the MLLP pipeline
// runs) of ADT^A01, ORU^R01 with 20 OBX and the mixed corpus, and the crypto
// the store adds per message (a token per Patient identifier, a salted
// commitment and an envelope per record, the raw message's envelope).
//
//   pipeline_micro_bench [--seed S] [--min-seconds T]
// Prints one flat JSON object; rates are per CPU second of the one thread.
// Run it pinned to one core (bench.sh does).
#include <time.h>

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "adapters/hl7/er7.h"
#include "gateway/crypto/commitment.h"
#include "gateway/crypto/store_keys.h"
#include "gateway/pipeline/normalize.h"
#include "tests/support/corpus_generator.h"

namespace {

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// Calls `one(i)` for i = 0, 1, ... until min_seconds of this thread's CPU
// time have passed (at least once per item); returns calls per CPU second.
// CPU time, not wall time, so that other work on a shared machine (the
// figure is "one core") does not lower it; like Google Benchmark's default.
double rate(size_t items, double min_seconds, const std::function<bool(size_t)>& one) {
  uint64_t calls = 0;
  const double start = thread_cpu_seconds();
  double elapsed = 0;
  while (elapsed < min_seconds || calls < items) {
    for (size_t i = 0; i < items; ++i, ++calls)
      if (!one(i)) return -1;
    elapsed = thread_cpu_seconds() - start;
  }
  return static_cast<double>(calls) / elapsed;
}

bool normalize_ok(const std::string& raw, const gw::v2fhir::MappingConfig& config,
                  gw::pipeline::Normalized* out = nullptr) {
  gw::hl7::ParseResult r = gw::hl7::parse(raw);
  if (!r.message) return false;
  gw::pipeline::Normalized n = gw::pipeline::normalize_v2(*r.message, config);
  if (!n.ok()) {
    std::fprintf(stderr, "normalize failed: %s\n", gw::pipeline::summarize(n.errors).c_str());
    return false;
  }
  if (out != nullptr) *out = std::move(n);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  uint64_t seed = 1;
  double min_seconds = 2;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--seed") {
      seed = std::strtoull(argv[i + 1], nullptr, 10);
    } else if (a == "--min-seconds") {
      min_seconds = std::atof(argv[i + 1]);
    } else {
      std::fprintf(stderr, "usage: pipeline_micro_bench [--seed S] [--min-seconds T]\n");
      return 2;
    }
  }
  const gw::testing::CorpusGenerator gen({.seed = seed});
  const gw::v2fhir::MappingConfig config;
  std::vector<std::string> mixed, adt, oru;
  size_t mixed_bytes = 0;
  for (uint64_t i = 0; i < 2000; ++i) {
    mixed.push_back(gen.message(i));
    mixed_bytes += mixed.back().size();
  }
  for (uint64_t i = 0; i < 200; ++i) {
    adt.push_back(gen.adt_a01(i));
    oru.push_back(gen.oru_r01(i, 20));
  }
  const double parse = rate(mixed.size(), min_seconds,
                            [&](size_t i) { return gw::hl7::parse(mixed[i]).message.has_value(); });
  const double norm_adt =
      rate(adt.size(), min_seconds, [&](size_t i) { return normalize_ok(adt[i], config); });
  const double norm_oru =
      rate(oru.size(), min_seconds, [&](size_t i) { return normalize_ok(oru[i], config); });
  const double norm_mixed =
      rate(mixed.size(), min_seconds, [&](size_t i) { return normalize_ok(mixed[i], config); });

  // Crypto over the mixed corpus's records, as the store's committer does it.
  std::vector<gw::pipeline::Normalized> normalized(500);
  size_t records = 0;
  for (size_t i = 0; i < normalized.size(); ++i) {
    if (!normalize_ok(mixed[i], config, &normalized[i])) return 1;
    records += normalized[i].records.size();
  }
  auto keys = gw::crypto::StoreKeys::random_for_tests();
  const double crypto = rate(normalized.size(), min_seconds, [&](size_t i) {
    for (const auto& rec : normalized[i].records) {
      auto c = gw::crypto::commit(rec.resource_json);
      auto sealed = keys->seal(rec.resource_json, gw::crypto::record_associated_data(
                                                      rec.resource_type, rec.resource_id, 1));
      if (sealed.empty()) return false;
      if (rec.resource_type == "Patient")
        for (const auto& [system, value] : rec.identifiers)
          if (keys->patient_token(system, value).empty()) return false;
      (void)c;
    }
    return !keys->seal(mixed[i], "raw").empty();
  });

  std::printf(
      "{\"seed\": %llu, \"parse_mixed_msgs_per_s\": %.0f, \"mixed_mean_bytes\": %.0f,"
      " \"normalize_adt_a01_msgs_per_s\": %.0f, \"normalize_oru_r01_20_msgs_per_s\": %.0f,"
      " \"normalize_mixed_msgs_per_s\": %.0f, \"crypto_us_per_msg\": %.2f,"
      " \"records_per_msg\": %.2f}\n",
      static_cast<unsigned long long>(seed), parse,
      static_cast<double>(mixed_bytes) / static_cast<double>(mixed.size()), norm_adt, norm_oru,
      norm_mixed, crypto > 0 ? 1e6 / crypto : -1,
      static_cast<double>(records) / static_cast<double>(normalized.size()));
  return parse > 0 && norm_adt > 0 && norm_oru > 0 && norm_mixed > 0 && crypto > 0 ? 0 : 1;
}
