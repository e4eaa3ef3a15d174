// The figures of the whole-pipeline bench (pipeline_bench.cc) and how they
// are printed: one JSON document, and one table with each figure beside its
// aim (issue 19).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "tests/bench/mllp_load.h"

namespace gw::bench {

struct PipelineRun {
  LoadResult load;
  double cpu_us_per_msg = 0;  // the server's CPU (gatewayd's, or the responder's loop)
};

struct PipelineRow {
  int connections = 0;
  PipelineRun gateway, responder;
};

struct SyscallCounts {
  std::string error;  // empty when counted
  uint64_t messages = 0, not_accepted = 0;
  std::map<std::string, uint64_t> calls;  // syscall -> count over gatewayd's life
};

struct GrowthPoint {
  uint64_t stored = 0;             // messages stored before the measurement
  uint64_t messages_in_store = 0;  // ... and after it (sizes are at this count)
  uint64_t prefill_not_accepted = 0;
  PipelineRun run;  // 16 connections
  uint64_t db_bytes = 0, wal_bytes = 0, state_bytes = 0;
  std::vector<std::pair<std::string, uint64_t>> btrees;  // dbstat: name -> bytes
};

struct Report {
  uint64_t seed = 0, patients = 0;
  double seconds = 0;
  std::string micro_json;  // pipeline_micro_bench's flat JSON object, or empty
  std::vector<PipelineRow> rows;
  long gateway_peak_rss_kib = -1;
  SyscallCounts syscalls;
  std::vector<GrowthPoint> growth;

  std::string json() const;
  std::string table() const;
};

}  // namespace gw::bench
