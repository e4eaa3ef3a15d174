#include "gateway/core/config.h"

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <set>
#include <sstream>

namespace gw::config {
namespace {

// A parsed right-hand side. Arrays hold strings only: nothing in the schema
// needs more, and rejecting the rest keeps errors precise.
struct Value {
  enum class Kind { kString, kInteger, kBool, kStringArray } kind;
  std::string str;
  int64_t integer = 0;
  bool boolean = false;
  std::vector<std::string> array;
};

const char* kind_name(Value::Kind k) {
  switch (k) {
    case Value::Kind::kString:
      return "a string";
    case Value::Kind::kInteger:
      return "an integer";
    case Value::Kind::kBool:
      return "true or false";
    case Value::Kind::kStringArray:
      return "an array of strings";
  }
  return "?";
}

class LineError {
 public:
  LineError(std::string source, int line) : source_(std::move(source)), line_(line) {}
  std::string operator()(const std::string& what) const {
    return source_ + ":" + std::to_string(line_) + ": " + what;
  }

 private:
  std::string source_;
  int line_;
};

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

bool is_bare_key_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

// Parses a "basic string" starting at s[*pos] == '"'. Advances *pos past the
// closing quote.
bool parse_string(std::string_view s, size_t* pos, std::string* out, std::string* why) {
  size_t i = *pos + 1;
  out->clear();
  while (i < s.size()) {
    char c = s[i];
    if (c == '"') {
      *pos = i + 1;
      return true;
    }
    if (static_cast<unsigned char>(c) < 0x20 && c != '\t') {
      *why = "control character in string";
      return false;
    }
    if (c == '\\') {
      if (i + 1 >= s.size()) break;
      char e = s[i + 1];
      switch (e) {
        case '"':
          out->push_back('"');
          break;
        case '\\':
          out->push_back('\\');
          break;
        case 'n':
          out->push_back('\n');
          break;
        case 't':
          out->push_back('\t');
          break;
        case 'r':
          out->push_back('\r');
          break;
        default:
          *why = std::string("unsupported escape \\") + e + " in string";
          return false;
      }
      i += 2;
      continue;
    }
    out->push_back(c);
    ++i;
  }
  *why = "unterminated string";
  return false;
}

// Skips spaces, then requires end of line or a comment.
bool only_comment_left(std::string_view s, size_t pos) {
  while (pos < s.size() && (s[pos] == ' ' || s[pos] == '\t')) ++pos;
  return pos >= s.size() || s[pos] == '#';
}

bool parse_value(std::string_view s, Value* v, std::string* why) {
  if (s.empty()) {
    *why = "missing value";
    return false;
  }
  size_t pos = 0;
  if (s[0] == '"') {
    v->kind = Value::Kind::kString;
    if (!parse_string(s, &pos, &v->str, why)) return false;
  } else if (s[0] == '[') {
    v->kind = Value::Kind::kStringArray;
    pos = 1;
    for (;;) {
      while (pos < s.size() && (s[pos] == ' ' || s[pos] == '\t')) ++pos;
      if (pos < s.size() && s[pos] == ']') {
        ++pos;
        break;
      }
      if (pos >= s.size() || s[pos] != '"') {
        *why = "arrays must hold strings and close on the same line";
        return false;
      }
      std::string item;
      if (!parse_string(s, &pos, &item, why)) return false;
      v->array.push_back(std::move(item));
      while (pos < s.size() && (s[pos] == ' ' || s[pos] == '\t')) ++pos;
      if (pos < s.size() && s[pos] == ',') {
        ++pos;
        continue;
      }
      if (pos < s.size() && s[pos] == ']') {
        ++pos;
        break;
      }
      *why = "expected ',' or ']' in array";
      return false;
    }
  } else if (s.starts_with("true") || s.starts_with("false")) {
    v->kind = Value::Kind::kBool;
    v->boolean = s[0] == 't';
    pos = v->boolean ? 4 : 5;
  } else {
    v->kind = Value::Kind::kInteger;
    size_t end = 0;
    while (end < s.size() && s[end] != ' ' && s[end] != '\t' && s[end] != '#') ++end;
    std::string digits;
    for (char c : s.substr(0, end))
      if (c != '_') digits.push_back(c);
    auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v->integer);
    if (ec != std::errc() || p != digits.data() + digits.size() || digits.empty()) {
      *why = "value is not a string, integer, boolean or array (strings need double quotes)";
      return false;
    }
    pos = end;
  }
  if (!only_comment_left(s, pos)) {
    *why = "unexpected text after the value";
    return false;
  }
  return true;
}

std::optional<HostPort> parse_host_port(const std::string& s) {
  HostPort hp;
  size_t colon = s.rfind(':');
  if (colon == std::string::npos || colon == 0) return std::nullopt;
  hp.host = s.substr(0, colon);
  if (hp.host.size() > 2 && hp.host.front() == '[' && hp.host.back() == ']')
    hp.host = hp.host.substr(1, hp.host.size() - 2);
  std::string port = s.substr(colon + 1);
  int p = -1;
  auto [ptr, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
  if (ec != std::errc() || ptr != port.data() + port.size() || p < 0 || p > 65535)
    return std::nullopt;
  hp.port = static_cast<uint16_t>(p);
  return hp;
}

// Per-table schema: key -> setter. A setter returns "" on success or the
// reason the value is wrong.
using Setter = std::function<std::string(const Value&)>;

template <typename T>
Setter integer_in(T* out, int64_t lo, int64_t hi) {
  return [=](const Value& v) -> std::string {
    if (v.kind != Value::Kind::kInteger)
      return std::string("expected an integer, got ") + kind_name(v.kind);
    if (v.integer < lo || v.integer > hi)
      return "must be between " + std::to_string(lo) + " and " + std::to_string(hi);
    *out = static_cast<T>(v.integer);
    return "";
  };
}

Setter millis_in(std::chrono::milliseconds* out, int64_t lo, int64_t hi, int64_t unit_ms) {
  return [=](const Value& v) -> std::string {
    if (v.kind != Value::Kind::kInteger)
      return std::string("expected an integer, got ") + kind_name(v.kind);
    if (v.integer < lo || v.integer > hi)
      return "must be between " + std::to_string(lo) + " and " + std::to_string(hi);
    *out = std::chrono::milliseconds(v.integer * unit_ms);
    return "";
  };
}

Setter string_one_of(std::string* out, std::vector<std::string> allowed) {
  return [=](const Value& v) -> std::string {
    if (v.kind != Value::Kind::kString)
      return std::string("expected a string, got ") + kind_name(v.kind);
    if (!allowed.empty() && std::find(allowed.begin(), allowed.end(), v.str) == allowed.end()) {
      std::string list;
      for (const auto& a : allowed) list += (list.empty() ? "\"" : ", \"") + a + "\"";
      return "must be one of " + list;
    }
    *out = v.str;
    return "";
  };
}

Setter host_port(HostPort* out) {
  return [=](const Value& v) -> std::string {
    if (v.kind != Value::Kind::kString)
      return std::string("expected a string, got ") + kind_name(v.kind);
    auto hp = parse_host_port(v.str);
    if (!hp) return "expected \"HOST:PORT\" (e.g. \"0.0.0.0:2575\")";
    *out = *hp;
    return "";
  };
}

Setter absolute_path(std::string* out) {
  return [=](const Value& v) -> std::string {
    if (v.kind != Value::Kind::kString)
      return std::string("expected a string, got ") + kind_name(v.kind);
    if (v.str.empty()) return "must not be empty";
    *out = v.str;
    return "";
  };
}

Setter https_url(std::string* out) {
  return [=](const Value& v) -> std::string {
    if (v.kind != Value::Kind::kString)
      return std::string("expected a string, got ") + kind_name(v.kind);
    if (!v.str.starts_with("https://") || v.str.size() <= 8 || v.str.back() == '/')
      return "expected \"https://HOST[:PORT][/PATH]\" without a trailing '/'";
    *out = v.str;
    return "";
  };
}

// The ledger node's JSON-RPC URL. The value is never echoed: it may carry a
// password (http://user:password@host).
Setter rpc_url(std::string* out) {
  return [=](const Value& v) -> std::string {
    if (v.kind != Value::Kind::kString)
      return std::string("expected a string, got ") + kind_name(v.kind);
    const char* usage = "expected \"http://HOST:PORT[/PATH]\" or \"https://HOST[:PORT][/PATH]\"";
    std::string_view rest = v.str;
    if (rest.starts_with("http://")) {
      rest.remove_prefix(7);
    } else if (rest.starts_with("https://")) {
      rest.remove_prefix(8);
    } else {
      return usage;
    }
    for (char c : v.str)
      if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return usage;
    std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
    if (size_t at = authority.rfind('@'); at != std::string_view::npos)
      authority.remove_prefix(at + 1);
    if (authority.empty() || authority.front() == ':') return usage;
    *out = v.str;
    return "";
  };
}

Setter any_string(std::string* out) {
  return [=](const Value& v) -> std::string {
    if (v.kind != Value::Kind::kString)
      return std::string("expected a string, got ") + kind_name(v.kind);
    *out = v.str;
    return "";
  };
}

Setter boolean(bool* out) {
  return [=](const Value& v) -> std::string {
    if (v.kind != Value::Kind::kBool)
      return std::string("expected true or false, got ") + kind_name(v.kind);
    *out = v.boolean;
    return "";
  };
}

Setter non_empty_string(std::string* out) {
  return [=](const Value& v) -> std::string {
    if (v.kind != Value::Kind::kString)
      return std::string("expected a string, got ") + kind_name(v.kind);
    if (v.str.empty()) return "must not be empty";
    *out = v.str;
    return "";
  };
}

// "sha256:0,2,4,7" or "none" -> PCR indices (0..23, ascending, unique).
Setter pcr_list(std::vector<int>* out, bool allow_none) {
  return [=](const Value& v) -> std::string {
    if (v.kind != Value::Kind::kString)
      return std::string("expected a string, got ") + kind_name(v.kind);
    const std::string usage = allow_none ? "expected \"none\" or \"sha256:N,N,...\" (PCRs 0-23)"
                                         : "expected \"sha256:N,N,...\" (PCRs 0-23)";
    if (v.str == "none" && allow_none) {
      out->clear();
      return "";
    }
    if (!v.str.starts_with("sha256:")) return usage;
    std::vector<int> pcrs;
    std::string_view rest = std::string_view(v.str).substr(7);
    while (!rest.empty()) {
      size_t comma = rest.find(',');
      std::string_view item = rest.substr(0, comma);
      int n = -1;
      auto [p, ec] = std::from_chars(item.data(), item.data() + item.size(), n);
      if (ec != std::errc() || p != item.data() + item.size() || n < 0 || n > 23) return usage;
      if (!pcrs.empty() && n <= pcrs.back()) return "PCR numbers must be ascending and unique";
      pcrs.push_back(n);
      if (comma == std::string_view::npos) break;
      rest = rest.substr(comma + 1);
      if (rest.empty()) return usage;
    }
    if (pcrs.empty()) return usage;
    *out = std::move(pcrs);
    return "";
  };
}

// A persistent handle, "0x81000001" (0x81000000-0x817FFFFF, TPM 2.0 Part 2 §7).
Setter persistent_handle(uint32_t* out) {
  return [=](const Value& v) -> std::string {
    const char* usage = "expected a persistent handle \"0x81000000\"..\"0x817FFFFF\"";
    if (v.kind != Value::Kind::kString) return usage;
    if (!v.str.starts_with("0x") || v.str.size() != 10) return usage;
    uint32_t h = 0;
    auto [p, ec] = std::from_chars(v.str.data() + 2, v.str.data() + v.str.size(), h, 16);
    if (ec != std::errc() || p != v.str.data() + v.str.size()) return usage;
    if (h < 0x81000000u || h > 0x817FFFFFu) return usage;
    *out = h;
    return "";
  };
}

Setter z_segment_policy(v2fhir::ZSegmentPolicy* out) {
  return [=](const Value& v) -> std::string {
    if (v.kind != Value::Kind::kString)
      return std::string("expected a string, got ") + kind_name(v.kind);
    if (v.str == "ignore") {
      *out = v2fhir::ZSegmentPolicy::kIgnore;
    } else if (v.str == "map") {
      *out = v2fhir::ZSegmentPolicy::kMapByRules;
    } else {
      return "must be \"ignore\" or \"map\" (map applies the [channel.NAME.z_rules] table)";
    }
    return "";
  };
}

Setter processing_ids(std::vector<std::string>* out) {
  return [=](const Value& v) -> std::string {
    if (v.kind != Value::Kind::kStringArray)
      return std::string("expected an array of strings, got ") + kind_name(v.kind);
    if (v.array.empty()) return "must name at least one of \"P\", \"T\", \"D\"";
    for (const auto& id : v.array)
      if (id != "P" && id != "T" && id != "D")
        return "\"" + id + "\" is not a processing id (P, T or D)";
    *out = v.array;
    return "";
  };
}

std::map<std::string, Setter> channel_schema(ChannelConfig* c) {
  return {
      {"protocol", string_one_of(&c->protocol, {"mllp"})},
      {"listen", host_port(&c->listen)},
      {"max_frame_bytes", integer_in(&c->max_frame_bytes, 1024, 64 << 20)},
      {"idle_timeout_s", millis_in(&c->idle_timeout, 1, 7 * 24 * 3600, 1000)},
      {"max_connections", integer_in(&c->max_connections, 1, 1000000)},
      {"max_in_flight_per_connection", integer_in(&c->max_in_flight_per_connection, 1, 4096)},
      {"max_segments", integer_in(&c->max_segments, 1, 1000000)},
      {"max_fields_per_segment", integer_in(&c->max_fields_per_segment, 1, 100000)},
      {"processing_ids", processing_ids(&c->processing_ids)},
      {"default_charset",
       string_one_of(&c->default_charset, {"auto", "ASCII", "8859/1", "UNICODE UTF-8"})},
      {"time_zone", non_empty_string(&c->mapping.time_zone)},
      {"z_segments", z_segment_policy(&c->mapping.z_segments)},
  };
}

// Keys of a channel's mapping sub-tables are data (authority names, local
// codes), so any quoted key is accepted and the value is checked here.
using MapSetter = std::function<std::string(const std::string& key, const Value&)>;

bool looks_like_uri(std::string_view s) {
  const size_t colon = s.find(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  for (size_t i = 0; i < colon; ++i) {
    const char c = s[i];
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    (i > 0 && ((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.'));
    if (!ok) return false;
  }
  return colon + 1 < s.size() && s.find_first_of(" \t|") == std::string_view::npos;
}

std::vector<std::string> split_bar(const std::string& s) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (;;) {
    const size_t bar = s.find('|', start);
    parts.push_back(s.substr(start, bar == std::string::npos ? std::string::npos : bar - start));
    if (bar == std::string::npos) return parts;
    start = bar + 1;
  }
}

MapSetter uri_map(std::map<std::string, std::string>* out) {
  return [=](const std::string& key, const Value& v) -> std::string {
    if (v.kind != Value::Kind::kString)
      return std::string("expected a string, got ") + kind_name(v.kind);
    if (key.empty()) return "the key must not be empty";
    if (!looks_like_uri(v.str))
      return "expected an absolute URI such as \"urn:oid:1.2.3\" or \"http://...\"";
    (*out)[key] = v.str;
    return "";
  };
}

MapSetter code_map(std::vector<v2fhir::CodeTranslation>* out) {
  return [=](const std::string& key, const Value& v) -> std::string {
    if (v.kind != Value::Kind::kString)
      return std::string("expected a string, got ") + kind_name(v.kind);
    const std::vector<std::string> from = split_bar(key);
    if (from.size() != 2 || from[0].empty() || from[1].empty())
      return "the key must be \"V2SYSTEM|CODE\" (e.g. \"99LAB|GLU\")";
    const std::vector<std::string> to = split_bar(v.str);
    if (to.size() < 2 || to.size() > 3 || !looks_like_uri(to[0]) || to[1].empty())
      return "expected \"SYSTEM-URI|CODE\" or \"SYSTEM-URI|CODE|DISPLAY\"";
    out->push_back({from[0], from[1], to[0], to[1], to.size() == 3 ? to[2] : ""});
    return "";
  };
}

MapSetter z_rules(std::vector<v2fhir::ZSegmentRule>* out) {
  return [=](const std::string& key, const Value& v) -> std::string {
    if (v.kind != Value::Kind::kString)
      return std::string("expected a string, got ") + kind_name(v.kind);
    const size_t dash = key.find('-');
    int field = 0;
    if (dash == 3 && key[0] == 'Z') {
      auto [p, ec] = std::from_chars(key.data() + 4, key.data() + key.size(), field);
      if (ec != std::errc() || p != key.data() + key.size()) field = 0;
    }
    if (field < 1 || field > 999) return "the key must name a Z-segment field, e.g. \"ZPI-2\"";
    const std::vector<std::string> parts = split_bar(v.str);
    if (parts.size() != 3 || parts[0].empty() || !looks_like_uri(parts[1]) || parts[2].empty())
      return "expected \"ResourceType|EXTENSION-URL|VALUE-TYPE\" (e.g. "
             "\"Patient|http://example.org/fhir/StructureDefinition/x|string\")";
    out->push_back({key.substr(0, 3), field, parts[0], parts[1], parts[2]});
    return "";
  };
}

}  // namespace

std::string HostPort::to_string() const {
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

std::optional<GatewayConfig> parse_config(const std::string& text, const std::string& source,
                                          std::string* error) {
  GatewayConfig cfg;
  cfg.source = source;
  // Channels are kept in a map while parsing so that settings can come in any
  // order; their order in the file is preserved for the result.
  std::vector<std::unique_ptr<ChannelConfig>> channels;
  std::map<std::string, Setter> table;
  std::string table_name;
  std::set<std::string> seen_tables, seen_keys;
  std::vector<int> channel_lines;  // line of each channel's listen key, or of its header
  std::vector<int> channel_header_lines;
  MapSetter map_table;  // set while in a [channel.NAME.SUB] mapping table

  std::map<std::string, Setter> gateway_schema = {
      {"state_dir", absolute_path(&cfg.state_dir)},
      {"log_level", string_one_of(&cfg.log_level, {"debug", "info", "warn", "error"})},
      {"shutdown_grace_ms", millis_in(&cfg.shutdown_grace, 0, 600000, 1)},
      {"io_threads", integer_in(&cfg.io_threads, 1, 64)},
  };
  std::map<std::string, Setter> https_schema = {
      {"enabled", boolean(&cfg.https.enabled)},
      {"listen", host_port(&cfg.https.listen)},
      {"cert_file", absolute_path(&cfg.https.cert_file)},
      {"key_file", absolute_path(&cfg.https.key_file)},
      {"client_ca_file", absolute_path(&cfg.https.client_ca_file)},
      {"base_url", https_url(&cfg.https.base_url)},
      {"max_body_bytes", integer_in(&cfg.https.max_body_bytes, 1024, int64_t{1} << 30)},
      {"threads", integer_in(&cfg.https.threads, 1, 256)},
      {"admin_subjects",
       [&cfg](const Value& v) -> std::string {
         if (v.kind != Value::Kind::kStringArray)
           return std::string("expected an array of strings, got ") + kind_name(v.kind);
         for (const auto& s : v.array)
           if (s.empty()) return "subjects must not be empty";
         cfg.https.admin_subjects = v.array;
         return "";
       }},
  };
  int https_line = 0;
  std::map<std::string, Setter> keys_schema = {
      {"store", string_one_of(&cfg.keys.store, {"tpm", "software"})},
      {"consortium_id", non_empty_string(&cfg.keys.consortium_id)},
      {"batch_records", integer_in(&cfg.keys.batch_records, 1, 1'000'000)},
      {"batch_interval_ms", millis_in(&cfg.keys.batch_interval, 10, 3'600'000, 1)},
  };
  std::map<std::string, Setter> tpm_schema = {
      {"tcti", non_empty_string(&cfg.tpm.tcti)},
      {"primary_handle", persistent_handle(&cfg.tpm.primary_handle)},
      {"seal_pcrs", pcr_list(&cfg.tpm.seal_pcrs, true)},
      {"quote_pcrs", pcr_list(&cfg.tpm.quote_pcrs, false)},
      {"injected_latency_ms", millis_in(&cfg.tpm.injected_latency, 0, 10'000, 1)},
  };
  LedgerConfig& ledger = cfg.ledger;
  std::map<std::string, Setter> ledger_schema = {
      {"enabled", boolean(&ledger.enabled)},
      {"rpc_url", rpc_url(&ledger.rpc_url)},
      {"chain_id", integer_in(&ledger.chain_id, 0, std::numeric_limits<int64_t>::max())},
      {"deployment", absolute_path(&ledger.deployment)},
      {"outbox", absolute_path(&ledger.outbox)},
      {"confirmations", integer_in(&ledger.confirmations, 1, 1000)},
      {"max_transfers_per_tx", integer_in(&ledger.max_transfers_per_tx, 1, 1000)},
      {"max_in_flight", integer_in(&ledger.max_in_flight, 1, 1024)},
      {"resubmit_after_ms", millis_in(&ledger.resubmit_after, 1000, 86'400'000, 1)},
      {"tx_type", string_one_of(&ledger.tx_type, {"auto", "eip1559", "legacy"})},
      {"max_fee_gwei", integer_in(&ledger.max_fee_gwei, 0, 1'000'000'000)},
      {"min_priority_fee_wei",
       integer_in(&ledger.min_priority_fee_wei, 0, 1'000'000'000'000'000'000)},
      {"request_timeout_ms", millis_in(&ledger.request_timeout, 100, 600'000, 1)},
      {"ca_file", any_string(&ledger.ca_file)},
      {"anchor_record_batches", boolean(&ledger.anchor_record_batches)},
      {"outbox_retention_days", integer_in(&ledger.outbox_retention_days, 1, 36500)},
  };
  std::map<std::string, Setter> store_schema = {
      {"max_batch", integer_in(&cfg.store_max_batch, 1, 100000)},
      {"max_queued_bytes", integer_in(&cfg.store_max_queued_bytes, 1 << 20, int64_t{1} << 40)}};

  std::istringstream in(text);
  std::string line_buf;
  int line_no = 0;
  bool in_table = false;
  while (std::getline(in, line_buf)) {
    ++line_no;
    LineError err(source, line_no);
    std::string_view line = trim(line_buf);
    if (line.empty() || line[0] == '#') continue;
    if (line[0] == '[') {
      size_t close = line.find(']');
      if (line.starts_with("[[")) {
        *error = err("arrays of tables are not supported; use [channel.NAME]");
        return std::nullopt;
      }
      if (close == std::string_view::npos || !only_comment_left(line, close + 1)) {
        *error = err("malformed table header");
        return std::nullopt;
      }
      std::string name(trim(line.substr(1, close - 1)));
      map_table = nullptr;
      for (char c : name)
        if (!is_bare_key_char(c) && c != '.') {
          *error =
              err("table name \"" + name + "\" may only use letters, digits, '_', '-' and '.'");
          return std::nullopt;
        }
      if (!seen_tables.insert(name).second) {
        *error = err("table [" + name + "] defined twice");
        return std::nullopt;
      }
      seen_keys.clear();
      table_name = name;
      in_table = true;
      if (name == "gateway") {
        table = gateway_schema;
      } else if (name == "https") {
        table = https_schema;
        https_line = line_no;
      } else if (name == "store") {
        table = store_schema;
      } else if (name == "keys") {
        table = keys_schema;
        cfg.keys_line = line_no;
      } else if (name == "tpm") {
        table = tpm_schema;
      } else if (name == "ledger") {
        table = ledger_schema;
        cfg.ledger_line = line_no;
      } else if (name.starts_with("channel.") && name.size() > 8 &&
                 name.find('.', 8) == std::string::npos) {
        channels.push_back(std::make_unique<ChannelConfig>());
        channels.back()->name = name.substr(8);
        channel_lines.push_back(line_no);
        channel_header_lines.push_back(line_no);
        table = channel_schema(channels.back().get());
      } else if (name.starts_with("channel.") && name.find('.', 8) != std::string::npos) {
        const size_t dot = name.find('.', 8);
        const std::string channel = name.substr(8, dot - 8), sub = name.substr(dot + 1);
        ChannelConfig* owner = nullptr;
        for (auto& c : channels)
          if (c->name == channel) owner = c.get();
        if (owner == nullptr) {
          *error =
              err("[" + name + "] must come after its channel's table [channel." + channel + "]");
          return std::nullopt;
        }
        table.clear();
        if (sub == "identifier_systems") {
          map_table = uri_map(&owner->mapping.identifier_systems);
        } else if (sub == "coding_systems") {
          map_table = uri_map(&owner->mapping.coding_systems);
        } else if (sub == "code_map") {
          map_table = code_map(&owner->mapping.code_translations);
        } else if (sub == "z_rules") {
          map_table = z_rules(&owner->mapping.z_rules);
        } else {
          *error = err("unknown table [" + name +
                       "] (a channel's mapping tables are identifier_systems, coding_systems, "
                       "code_map and z_rules)");
          return std::nullopt;
        }
      } else if (name == "channel") {
        *error = err("a channel needs a name: [channel.NAME]");
        return std::nullopt;
      } else {
        *error = err(
            "unknown table [" + name +
            "] (expected [gateway], [https], [store], [keys], [tpm], [ledger] or [channel.NAME])");
        return std::nullopt;
      }
      continue;
    }
    // The key: bare, or a quoted "basic string" (mapping tables use quoted
    // keys for authority names and codes with dots or bars).
    std::string key;
    size_t eq;
    if (line[0] == '"') {
      size_t pos = 0;
      std::string why;
      if (!parse_string(line, &pos, &key, &why)) {
        *error = err("malformed quoted key: " + why);
        return std::nullopt;
      }
      while (pos < line.size() && (line[pos] == ' ' || line[pos] == '\t')) ++pos;
      if (pos >= line.size() || line[pos] != '=') {
        *error = err("expected '=' after the quoted key");
        return std::nullopt;
      }
      eq = pos;
    } else {
      eq = line.find('=');
      if (eq == std::string_view::npos) {
        *error = err("expected 'key = value' or a [table] header");
        return std::nullopt;
      }
      key = std::string(trim(line.substr(0, eq)));
      if (key.empty() || !std::all_of(key.begin(), key.end(), is_bare_key_char)) {
        *error = err("malformed key \"" + key + "\"");
        return std::nullopt;
      }
    }
    std::string qualified = in_table ? table_name + ".\"" + key + "\"" : key;
    if (!in_table) {
      *error = err("key '" + key + "' must be inside a table such as [gateway]");
      return std::nullopt;
    }
    if (map_table) {
      if (!seen_keys.insert(key).second) {
        *error = err("key '" + qualified + "' set twice");
        return std::nullopt;
      }
      Value v;
      std::string why;
      if (!parse_value(trim(line.substr(eq + 1)), &v, &why)) {
        *error = err(qualified + ": " + why);
        return std::nullopt;
      }
      if (std::string bad = map_table(key, v); !bad.empty()) {
        *error = err(qualified + ": " + bad);
        return std::nullopt;
      }
      continue;
    }
    qualified = table_name + "." + key;
    auto it = table.find(key);
    if (it == table.end()) {
      std::string known;
      for (const auto& [k, _] : table) known += (known.empty() ? "" : ", ") + k;
      *error = err("unknown key '" + qualified + "' (known keys in [" + table_name + "]: " + known +
                   ")");
      return std::nullopt;
    }
    if (!seen_keys.insert(key).second) {
      *error = err("key '" + qualified + "' set twice");
      return std::nullopt;
    }
    Value v;
    std::string why;
    if (!parse_value(trim(line.substr(eq + 1)), &v, &why)) {
      *error = err(qualified + ": " + why);
      return std::nullopt;
    }
    if (std::string bad = it->second(v); !bad.empty()) {
      *error = err(qualified + ": " + bad);
      return std::nullopt;
    }
    if (key == "listen" && table_name.starts_with("channel.")) channel_lines.back() = line_no;
  }
  if (channels.empty()) {
    *error =
        source + ": no channel configured; add a [channel.NAME] table with listen = \"HOST:PORT\"";
    return std::nullopt;
  }
  // Two channels on one address would fail at bind time with a less helpful
  // message; the default listen address makes this easy to do by accident.
  for (size_t i = 0; i < channels.size(); ++i)
    for (size_t j = 0; j < i; ++j)
      if (channels[i]->listen.port != 0 &&
          channels[i]->listen.to_string() == channels[j]->listen.to_string()) {
        *error = source + ":" + std::to_string(channel_lines[i]) + ": channel." +
                 channels[i]->name + ".listen: address " + channels[i]->listen.to_string() +
                 " is already used by channel." + channels[j]->name + " (line " +
                 std::to_string(channel_lines[j]) + ")";
        return std::nullopt;
      }
  if (cfg.https.enabled && (cfg.https.cert_file.empty() || cfg.https.key_file.empty())) {
    *error = source + ":" + std::to_string(https_line) +
             ": https.enabled: the FHIR REST endpoint needs https.cert_file and https.key_file "
             "(PEM certificate chain and private key)";
    return std::nullopt;
  }
  if (!cfg.https.admin_subjects.empty() && cfg.https.client_ca_file.empty()) {
    *error = source + ":" + std::to_string(https_line) +
             ": https.admin_subjects: the admin API needs https.client_ca_file (clients are "
             "identified by their certificates)";
    return std::nullopt;
  }
  if (ledger.enabled && ledger.rpc_url.empty()) {
    *error = source + ":" + std::to_string(cfg.ledger_line) +
             ": ledger.rpc_url: required when ledger.enabled = true (the consortium node's "
             "JSON-RPC URL, \"http://HOST:PORT\" or \"https://...\")";
    return std::nullopt;
  }
  // Defaults that depend on state_dir, which may come after [ledger].
  const std::filesystem::path ledger_dir = std::filesystem::path(cfg.state_dir) / "ledger";
  if (ledger.deployment.empty()) ledger.deployment = (ledger_dir / "consortium.json").string();
  if (ledger.outbox.empty()) ledger.outbox = (ledger_dir / "outbox.db").string();
  for (size_t i = 0; i < channels.size(); ++i) {
    if (std::string bad = v2fhir::check_mapping_config(channels[i]->mapping); !bad.empty()) {
      *error = source + ":" + std::to_string(channel_header_lines[i]) + ": channel." +
               channels[i]->name + ": " + bad;
      return std::nullopt;
    }
  }
  for (auto& c : channels) cfg.channels.push_back(std::move(*c));
  return cfg;
}

std::optional<GatewayConfig> load_config(const std::string& path, std::string* error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *error = path + ": cannot open configuration file";
    return std::nullopt;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_config(ss.str(), path, error);
}

}  // namespace gw::config
