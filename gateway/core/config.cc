#include "gateway/core/config.h"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <functional>
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

  std::map<std::string, Setter> gateway_schema = {
      {"state_dir", absolute_path(&cfg.state_dir)},
      {"log_level", string_one_of(&cfg.log_level, {"debug", "info", "warn", "error"})},
      {"shutdown_grace_ms", millis_in(&cfg.shutdown_grace, 0, 600000, 1)},
      {"io_threads", integer_in(&cfg.io_threads, 1, 64)},
  };
  std::map<std::string, Setter> https_schema = {{"listen", host_port(&cfg.https_listen)}};
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
      } else if (name == "store") {
        table = store_schema;
      } else if (name.starts_with("channel.") && name.size() > 8 &&
                 name.find('.', 8) == std::string::npos) {
        channels.push_back(std::make_unique<ChannelConfig>());
        channels.back()->name = name.substr(8);
        channel_lines.push_back(line_no);
        table = channel_schema(channels.back().get());
      } else if (name == "channel") {
        *error = err("a channel needs a name: [channel.NAME]");
        return std::nullopt;
      } else {
        *error = err("unknown table [" + name +
                     "] (expected [gateway], [https], [store] or [channel.NAME])");
        return std::nullopt;
      }
      continue;
    }
    size_t eq = line.find('=');
    if (eq == std::string_view::npos) {
      *error = err("expected 'key = value' or a [table] header");
      return std::nullopt;
    }
    std::string key(trim(line.substr(0, eq)));
    if (key.empty() || !std::all_of(key.begin(), key.end(), is_bare_key_char)) {
      *error = err("malformed key \"" + key + "\"");
      return std::nullopt;
    }
    std::string qualified = in_table ? table_name + "." + key : key;
    if (!in_table) {
      *error = err("key '" + key + "' must be inside a table such as [gateway]");
      return std::nullopt;
    }
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
