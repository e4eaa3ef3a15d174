#include "tests/bench/pipeline_report.h"

#include <cstdio>
#include <cstdlib>

namespace gw::bench {
namespace {

std::string fmt(const char* format, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

// 12,345 (thousands separated; readable at a glance in a wide table).
std::string grouped(double v) {
  std::string digits = fmt("%.0f", v), out;
  const bool negative = !digits.empty() && digits[0] == '-';
  if (negative) digits.erase(0, 1);
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return negative ? "-" + out : out;
}

std::string mib(uint64_t bytes) { return fmt("%.1f MiB", static_cast<double>(bytes) / 1048576.0); }

// A number of pipeline_micro_bench's flat object (written by us: "key": n).
double micro(const std::string& json, const std::string& key) {
  const size_t at = json.find("\"" + key + "\":");
  if (at == std::string::npos) return -1;
  return std::strtod(json.c_str() + at + key.size() + 3, nullptr);
}

std::string run_json(const PipelineRun& r) {
  const LoadResult& l = r.load;
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "{\"messages\": %llu, \"seconds\": %.3f, \"msgs_per_s\": %.1f, \"p50_us\": %.0f, "
                "\"p90_us\": %.0f, \"p99_us\": %.0f, \"max_us\": %.0f, \"not_accepted\": %llu, "
                "\"connect_failures\": %llu, \"server_cpu_us_per_msg\": %.1f, "
                "\"client_cpu_us_per_msg\": %.1f}",
                static_cast<unsigned long long>(l.messages), l.seconds, l.msgs_per_s, l.p50_us,
                l.p90_us, l.p99_us, l.max_us, static_cast<unsigned long long>(l.not_accepted),
                static_cast<unsigned long long>(l.connect_failures), r.cpu_us_per_msg,
                l.messages ? l.client_cpu_s / static_cast<double>(l.messages) * 1e6 : 0.0);
  return buf;
}

std::string run_text(const PipelineRun& r) {
  const LoadResult& l = r.load;
  std::string s = grouped(l.msgs_per_s) + " msg/s  p50 " + fmt("%.2f", l.p50_us / 1000) +
                  " ms  p99 " + fmt("%.2f", l.p99_us / 1000) + " ms  " +
                  std::to_string(l.not_accepted + l.connect_failures) + " non-AA  " +
                  fmt("%.0f", r.cpu_us_per_msg) + " us CPU/msg";
  return s;
}

uint64_t calls(const SyscallCounts& c, const char* name) {
  auto it = c.calls.find(name);
  return it == c.calls.end() ? 0 : it->second;
}

class Table {
 public:
  void row(const std::string& figure, const std::string& measured, const std::string& aim) {
    rows_.push_back({figure, measured, aim});
  }
  std::string text() const {
    size_t w0 = 6, w1 = 8;
    for (const auto& r : rows_) {
      w0 = std::max(w0, r[0].size());
      w1 = std::max(w1, r[1].size());
    }
    std::string out;
    auto line = [&](const std::string& a, const std::string& b, const std::string& c) {
      out += a + std::string(w0 - a.size() + 2, ' ') + b + std::string(w1 - b.size() + 2, ' ') + c +
             "\n";
    };
    line("figure", "measured", "aim");
    line(std::string(w0, '-'), std::string(w1, '-'), std::string(3, '-'));
    for (const auto& r : rows_) line(r[0], r[1], r[2]);
    return out;
  }

 private:
  std::vector<std::array<std::string, 3>> rows_;
};

}  // namespace

std::string Report::json() const {
  std::string j = "{\"seed\": " + std::to_string(seed) +
                  ", \"patients\": " + std::to_string(patients) +
                  ", \"seconds\": " + fmt("%.1f", seconds);
  j += ", \"micro\": " + (micro_json.empty() ? std::string("null") : micro_json);
  while (!j.empty() && (j.back() == '\n' || j.back() == ' ')) j.pop_back();
  j += ", \"pipeline\": [";
  for (size_t i = 0; i < rows.size(); ++i) {
    const auto& r = rows[i];
    const double ratio = r.responder.load.msgs_per_s > 0
                             ? r.gateway.load.msgs_per_s / r.responder.load.msgs_per_s
                             : 0;
    j += std::string(i ? ", " : "") + "{\"connections\": " + std::to_string(r.connections) +
         ", \"gatewayd\": " + run_json(r.gateway) + ", \"responder\": " + run_json(r.responder) +
         ", \"ratio\": " + fmt("%.4f", ratio) + "}";
  }
  j += "], \"gatewayd_peak_rss_kib\": " + std::to_string(gateway_peak_rss_kib);
  j += ", \"syscalls\": {\"messages\": " + std::to_string(syscalls.messages) +
       ", \"not_accepted\": " + std::to_string(syscalls.not_accepted) + ", \"error\": \"" +
       syscalls.error + "\", \"calls\": {";
  bool first = true;
  for (const auto& [name, n] : syscalls.calls) {
    j += std::string(first ? "" : ", ") + "\"" + name + "\": " + std::to_string(n);
    first = false;
  }
  j += "}}, \"growth\": [";
  for (size_t i = 0; i < growth.size(); ++i) {
    const auto& g = growth[i];
    j += std::string(i ? ", " : "") + "{\"stored\": " + std::to_string(g.stored) +
         ", \"messages_in_store\": " + std::to_string(g.messages_in_store) +
         ", \"prefill_not_accepted\": " + std::to_string(g.prefill_not_accepted) +
         ", \"run\": " + run_json(g.run) + ", \"db_bytes\": " + std::to_string(g.db_bytes) +
         ", \"wal_bytes\": " + std::to_string(g.wal_bytes) +
         ", \"state_dir_bytes\": " + std::to_string(g.state_bytes) + ", \"btrees\": {";
    for (size_t k = 0; k < g.btrees.size(); ++k)
      j += std::string(k ? ", " : "") + "\"" + g.btrees[k].first +
           "\": " + std::to_string(g.btrees[k].second);
    j += "}}";
  }
  j += "]}";
  return j;
}

std::string Report::table() const {
  Table t;
  if (!micro_json.empty()) {
    t.row("parse (ER7), mixed corpus, 1 core",
          grouped(micro(micro_json, "parse_mixed_msgs_per_s")) + " msg/s", "-");
    t.row("normalize ADT^A01 (parse+map+validate+canonical), 1 core",
          grouped(micro(micro_json, "normalize_adt_a01_msgs_per_s")) + " msg/s", ">= 50,000 msg/s");
    t.row("normalize ORU^R01 with 20 OBX, 1 core",
          grouped(micro(micro_json, "normalize_oru_r01_20_msgs_per_s")) + " msg/s",
          ">= 10,000 msg/s");
    t.row("normalize mixed corpus, 1 core",
          grouped(micro(micro_json, "normalize_mixed_msgs_per_s")) + " msg/s", "-");
    t.row("crypto per message (tokens+commitments+envelopes), mixed",
          fmt("%.1f us", micro(micro_json, "crypto_us_per_msg")) + " (" +
              fmt("%.1f", micro(micro_json, "records_per_msg")) + " records/msg)",
          "-");
  }
  for (const auto& r : rows) {
    const std::string c = std::to_string(r.connections);
    t.row("gatewayd, " + c + " conn", run_text(r.gateway),
          r.connections == 16 ? ">= 10,000 msg/s, p99 <= 10 ms, 0 non-AA" : "0 non-AA");
    t.row("responder, " + c + " conn", run_text(r.responder), "-");
    const double ratio = r.responder.load.msgs_per_s > 0
                             ? r.gateway.load.msgs_per_s / r.responder.load.msgs_per_s
                             : 0;
    t.row("ratio gatewayd/responder, " + c + " conn", fmt("%.3f", ratio), "headline (higher)");
  }
  for (const auto& r : rows)
    if (r.connections == 16)
      t.row("gatewayd CPU per message, 16 conn", fmt("%.0f us", r.gateway.cpu_us_per_msg),
            "<= ~200 us (implied: 2 cores / 10,000 msg/s)");
  if (!syscalls.error.empty()) {
    t.row("pwrite/fsync per message", "not counted: " + syscalls.error, "fewer");
  } else if (syscalls.messages > 0) {
    const double m = static_cast<double>(syscalls.messages);
    const std::string how = " (" + grouped(m) + " msgs, 16 conn, strace -c)";
    t.row("pwrite64+pwritev per message",
          fmt("%.2f",
              static_cast<double>(calls(syscalls, "pwrite64") + calls(syscalls, "pwritev")) / m) +
              how,
          "fewer than before");
    t.row("fsync+fdatasync per message",
          fmt("%.3f",
              static_cast<double>(calls(syscalls, "fsync") + calls(syscalls, "fdatasync")) / m),
          "fewer than before");
    t.row(
        "write+writev per message",
        fmt("%.2f", static_cast<double>(calls(syscalls, "write") + calls(syscalls, "writev")) / m),
        "-");
  }
  const double empty = growth.empty() ? 0 : growth.front().run.load.msgs_per_s;
  for (const auto& g : growth) {
    std::string measured = run_text(g.run);
    if (empty > 0 && g.stored > 0)
      measured += fmt("  (%.0f%% of empty)", 100 * g.run.load.msgs_per_s / empty);
    t.row("16 conn with " + grouped(static_cast<double>(g.stored)) + " stored", measured,
          g.stored > 0 ? "within 20% of empty" : "-");
    const double per = g.messages_in_store ? static_cast<double>(g.db_bytes + g.wal_bytes) /
                                                 static_cast<double>(g.messages_in_store)
                                           : 0;
    t.row("  store bytes/msg at " + grouped(static_cast<double>(g.messages_in_store)),
          grouped(per) + " B (db " + mib(g.db_bytes) + ", wal " + mib(g.wal_bytes) +
              ", state dir " + mib(g.state_bytes) + ")",
          "flat with growth");
    std::string top;
    for (size_t k = 0; k < g.btrees.size() && k < 4; ++k)
      top += (k ? ", " : "") + g.btrees[k].first + " " + mib(g.btrees[k].second);
    if (!top.empty()) t.row("  largest tables/indexes", top, "-");
  }
  t.row("gatewayd peak RSS (VmHWM, main run)",
        gateway_peak_rss_kib >= 0 ? mib(static_cast<uint64_t>(gateway_peak_rss_kib) * 1024) : "?",
        "-");
  return t.text();
}

}  // namespace gw::bench
