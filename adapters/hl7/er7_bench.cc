// Parse throughput on the mixed sample corpus (tests/corpus/hl7), one core.
//
//   er7_bench                       all benchmarks
//   er7_bench --benchmark_filter=Parse/
//
// BM_Parse:           structural parse (segment and field index, limits,
//                     charset validation, header decode, escape check).
// BM_ParseDecodeAll:  parse, then decode every leaf of every field to UTF-8
//                     (what a mapper touching everything would pay).
// BM_ParseLargeOru:   one 200-OBX result message (~40 KB).
// BM_BuildAck:        an AE with two ERR segments.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <string>
#include <vector>

#include "adapters/hl7/ack.h"
#include "adapters/hl7/batch.h"
#include "adapters/hl7/er7.h"
#include "adapters/hl7/test_util.h"

namespace gw::hl7 {
namespace {

struct Corpus {
  std::vector<std::string> messages;
  size_t bytes = 0;
};

const Corpus& MixedCorpus() {
  static const Corpus* corpus = [] {
    auto* c = new Corpus;
    for (const auto& p : testing::Hl7Files(testing::CorpusDir())) {
      std::string text = testing::ReadFile(p);
      BatchFile f = split_batch(text);
      for (const Batch& b : f.batches) {
        for (std::string_view m : b.messages) c->messages.emplace_back(m);
      }
    }
    for (const std::string& m : c->messages) c->bytes += m.size();
    if (c->messages.empty())
      std::fprintf(stderr, "no corpus found at %s\n", testing::CorpusDir().c_str());
    return c;
  }();
  return *corpus;
}

void BM_Parse(benchmark::State& state) {
  const Corpus& c = MixedCorpus();
  for (auto _ : state) {
    for (const std::string& m : c.messages) {
      ParseResult r = parse(m);
      benchmark::DoNotOptimize(r);
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * c.bytes));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * c.messages.size()));
  state.counters["corpus_msgs"] = static_cast<double>(c.messages.size());
  state.counters["corpus_bytes"] = static_cast<double>(c.bytes);
}
BENCHMARK(BM_Parse);

size_t DecodeAll(const Message& m) {
  size_t n = 0;
  for (size_t i = 0; i < m.segment_count(); ++i) {
    SegmentView s = m.segment(i);
    for (int f = 1; f <= s.field_count(); ++f) {
      for (Element rep : s.field(f).children()) {
        for (Element comp : rep.children()) {
          for (Element sub : comp.children()) n += sub.text_or_empty().size();
        }
      }
    }
  }
  return n;
}

void BM_ParseDecodeAll(benchmark::State& state) {
  const Corpus& c = MixedCorpus();
  for (auto _ : state) {
    for (const std::string& m : c.messages) {
      ParseResult r = parse(m);
      if (r.message) benchmark::DoNotOptimize(DecodeAll(*r.message));
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * c.bytes));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * c.messages.size()));
}
BENCHMARK(BM_ParseDecodeAll);

void BM_ParseLargeOru(benchmark::State& state) {
  std::string m =
      "MSH|^~\\&|LAB|CITYLAB|GW|GWF|20240315141233||ORU^R01^ORU_R01|BIG-1|P|2.5.1\r"
      "PID|1||400004^^^CITYLAB^MR||MUSTERFRAU^ERIKA||19640812|F\r"
      "OBR|1|ORD1|LAB1|58410-2^CBC panel^LN|||20240315080000\r";
  for (int i = 1; i <= 200; ++i) {
    m += "OBX|" + std::to_string(i) +
         "|NM|6690-2^Leukocytes [#/volume] in Blood by Automated count^LN||7.20|10*3/uL^10*3/"
         "uL^UCUM|4.0-11.0|N|||F|||20240315080000+0100\r"
         "NTE|1|L|Result verified by repeat analysis \\T\\ reviewed.\r";
  }
  for (auto _ : state) {
    ParseResult r = parse(m);
    benchmark::DoNotOptimize(r);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * m.size()));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_ParseLargeOru);

void BM_BuildAck(benchmark::State& state) {
  std::string text = testing::ReadFile(testing::CorpusDir() / "adt_a01.hl7");
  ParseResult r = parse(text);
  Header h = r.header ? *r.header : Header();
  AckParams p;
  p.control_id = "GW-000001";
  p.timestamp = "20240315103006+0100";
  Error e{ErrorCode::kDataType, {}, "invalid UTF-8 sequence"};
  e.where.segment_id = "PID";
  e.where.segment_sequence = 1;
  e.where.field = 5;
  p.errors = {e, e};
  for (auto _ : state) {
    std::string ack = build_ack(h, AckCode::kAE, p);
    benchmark::DoNotOptimize(ack);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_BuildAck);

}  // namespace
}  // namespace gw::hl7

BENCHMARK_MAIN();
