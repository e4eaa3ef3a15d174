#include "gateway/config/config_setters.h"

#include <cctype>
#include <charconv>
#include <filesystem>
#include <limits>

namespace gw::config::internal {
namespace {

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

}  // namespace

Setter millis_in(std::chrono::milliseconds* out, int64_t lo, int64_t hi, int64_t unit_ms) {
  return [=](const Value& v) -> std::string {
    int64_t units = 0;
    std::string why = integer_in(&units, lo, hi)(v);
    if (why.empty()) *out = std::chrono::milliseconds(units * unit_ms);
    return why;
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

// A FHIR server's base URL to forward to. The value is never echoed: it may
// carry a password (https://user:password@host/fhir).
Setter forward_fhir_url(std::string* out) {
  return [=](const Value& v) -> std::string {
    if (v.kind != Value::Kind::kString)
      return std::string("expected a string, got ") + kind_name(v.kind);
    const char* usage =
        "expected \"https://HOST[:PORT][/PATH]\" (patient data is forwarded over TLS only)";
    std::string_view rest = v.str;
    if (!rest.starts_with("https://")) return usage;
    rest.remove_prefix(8);
    for (char c : v.str)
      if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return usage;
    std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
    if (size_t at = authority.rfind('@'); at != std::string_view::npos)
      authority.remove_prefix(at + 1);
    if (authority.empty() || authority.front() == ':') return usage;
    if (rest.find_first_of("?#") != std::string_view::npos)
      return "expected a base URL without a query or fragment";
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

Setter sha256_fingerprints(std::vector<std::string>* out) {
  return [=](const Value& v) -> std::string {
    if (v.kind != Value::Kind::kStringArray)
      return std::string("expected an array of strings, got ") + kind_name(v.kind);
    if (v.array.empty()) return "must name at least one fingerprint";
    for (size_t i = 0; i < v.array.size(); ++i) {
      // 32 bytes as hex pairs, optionally separated by colons (as `openssl x509
      // -fingerprint -sha256` prints them).
      const std::string& f = v.array[i];
      size_t digits = 0;
      bool ok = !f.empty() && f.front() != ':' && f.back() != ':';
      for (size_t j = 0; ok && j < f.size(); ++j) {
        if (std::isxdigit(static_cast<unsigned char>(f[j]))) {
          ++digits;
        } else {
          ok = f[j] == ':' && digits % 2 == 0 && f[j - 1] != ':';
        }
      }
      if (!ok || digits != 64)
        return "item " + std::to_string(i + 1) +
               " is not a SHA-256 fingerprint (64 hex digits, colons between bytes allowed)";
    }
    *out = v.array;
    return "";
  };
}

Setter label_patterns(LabelsConfig* out, ledger::consortium::Label label) {
  return [=](const Value& v) -> std::string {
    if (v.kind != Value::Kind::kStringArray)
      return std::string("expected an array of code patterns, got ") + kind_name(v.kind);
    if (out->rules.size() + v.array.size() > labels::kMaxRules)
      return "more than " + std::to_string(labels::kMaxRules) + " label rules";
    for (const std::string& pattern : v.array) {
      auto parsed = labels::parse_code_pattern(pattern);
      if (!parsed.ok()) return parsed.error().message();
    }
    for (const std::string& pattern : v.array) out->rules.push_back({label, pattern});
    return "";
  };
}

// [labels]: defaults, and one key per label code.
static std::map<std::string, Setter> labels_schema(LabelsConfig* out) {
  std::map<std::string, Setter> schema{{"defaults", boolean(&out->defaults)}};
  for (const labels::LabelName& n : labels::rule_label_names())
    schema.emplace(std::string(n.key), label_patterns(out, n.label));
  return schema;
}

std::map<std::string, std::map<std::string, Setter>> table_schemas(GatewayConfig* cfg) {
  LedgerConfig& ledger = cfg->ledger;
  std::map<std::string, std::map<std::string, Setter>> schemas{
      {"labels", labels_schema(&cfg->labels)},
      {"gateway",
       {
           {"state_dir", absolute_path(&cfg->state_dir)},
           {"log_level", string_one_of(&cfg->log_level, {"debug", "info", "warn", "error"})},
           {"shutdown_grace_ms", millis_in(&cfg->shutdown_grace, 0, 600000, 1)},
           {"io_threads", integer_in(&cfg->io_threads, 1, 64)},
           {"pipeline_threads", integer_in(&cfg->pipeline_threads, 0, 256)},
           {"max_buffered_bytes", integer_in(&cfg->max_buffered_bytes, 1 << 20, int64_t{1} << 40)},
       }},
      {"https",
       {
           {"enabled", boolean(&cfg->https.enabled)},
           {"listen", host_port(&cfg->https.listen)},
           {"cert_file", absolute_path(&cfg->https.cert_file)},
           {"key_file", absolute_path(&cfg->https.key_file)},
           {"client_ca_file", absolute_path(&cfg->https.client_ca_file)},
           {"base_url", https_url(&cfg->https.base_url)},
           {"max_body_bytes", integer_in(&cfg->https.max_body_bytes, 1024, int64_t{1} << 30)},
           {"threads", integer_in(&cfg->https.threads, 1, 256)},
           {"header_timeout_s", integer_in(&cfg->https.header_timeout_s, 1, 3600)},
           {"body_timeout_s", integer_in(&cfg->https.body_timeout_s, 1, 3600)},
           {"idle_timeout_s", integer_in(&cfg->https.idle_timeout_s, 1, 86400)},
           {"max_connections", integer_in(&cfg->https.max_connections, 1, 1'000'000)},
           {"max_connections_per_address",
            integer_in(&cfg->https.max_connections_per_address, 0, 1'000'000)},
           // The admin role is a client's now ([client.NAME] roles); a
           // configuration that still names subjects is told where they went
           // rather than silently losing its admin API.
           {"admin_subjects",
            [](const Value&) -> std::string {
              return "replaced by [client.NAME] tables: give the admin's client its certificate "
                     "(cert_subject or cert_sha256) and roles = [\"admin\"]";
            }},
           {"allow_anonymous", boolean(&cfg->https.allow_anonymous)},
           {"token_lifetime_s", integer_in(&cfg->https.token_lifetime_s, 60, 3600)},
           {"assertion_leeway_s", integer_in(&cfg->https.assertion_leeway_s, 0, 300)},
       }},
      {"audit",
       {
           {"retention_days", integer_in(&cfg->audit.retention_days, 1, 36500)},
           {"batch_max_entries", integer_in(&cfg->audit.batch_max_entries, 1, 100000)},
           {"batch_max_age_s", millis_in(&cfg->audit.batch_max_age, 1, 86400, 1000)},
       }},
      {"store",
       {
           {"max_batch", integer_in(&cfg->store_max_batch, 1, 100000)},
           {"max_queued_bytes",
            integer_in(&cfg->store_max_queued_bytes, 1 << 20, int64_t{1} << 40)},
       }},
      {"keys",
       {
           {"store", string_one_of(&cfg->keys.store, {"tpm", "software"})},
           {"consortium_id", non_empty_string(&cfg->keys.consortium_id)},
           {"batch_records", integer_in(&cfg->keys.batch_records, 1, 1'000'000)},
           {"batch_interval_ms", millis_in(&cfg->keys.batch_interval, 10, 3'600'000, 1)},
       }},
      {"tpm",
       {
           {"tcti", non_empty_string(&cfg->tpm.tcti)},
           {"primary_handle", persistent_handle(&cfg->tpm.primary_handle)},
           {"seal_pcrs", pcr_list(&cfg->tpm.seal_pcrs, true)},
           {"quote_pcrs", pcr_list(&cfg->tpm.quote_pcrs, false)},
           {"injected_latency_ms", millis_in(&cfg->tpm.injected_latency, 0, 10'000, 1)},
       }},
      {"ledger",
       {
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
           {"view_poll_ms", millis_in(&ledger.view_poll, 50, 600'000, 1)},
       }},
      {"peering",
       {
           {"enabled", boolean(&cfg->peering.enabled)},
           {"listen", host_port(&cfg->peering.listen)},
           {"max_body_bytes", integer_in(&cfg->peering.max_body_bytes, 1024, int64_t{1} << 30)},
           {"threads", integer_in(&cfg->peering.threads, 1, 256)},
           {"cert_file", absolute_path(&cfg->peering.cert_file)},
           {"key_file", absolute_path(&cfg->peering.key_file)},
       }},
  };
  add_fhir_forward_keys(&schemas["peering"], &cfg->peering);
  return schemas;
}

std::map<std::string, Setter> channel_schema(ChannelConfig* c) {
  std::map<std::string, Setter> schema{
      {"protocol", string_one_of(&c->protocol, {"mllp"})},
      {"listen", host_port(&c->listen)},
      {"tls", boolean(&c->tls)},
      {"tls_cert_file", absolute_path(&c->tls_cert_file)},
      {"tls_key_file", absolute_path(&c->tls_key_file)},
      {"tls_client_ca_file", absolute_path(&c->tls_client_ca_file)},
      {"tls_client_cert_sha256", sha256_fingerprints(&c->tls_client_cert_sha256)},
      {"max_frame_bytes", integer_in(&c->max_frame_bytes, 1024, 64 << 20)},
      {"idle_timeout_s", millis_in(&c->idle_timeout, 1, 7 * 24 * 3600, 1000)},
      {"frame_timeout_s", millis_in(&c->frame_timeout, 1, 24 * 3600, 1000)},
      {"max_connections", integer_in(&c->max_connections, 1, 1000000)},
      {"max_in_flight_per_connection", integer_in(&c->max_in_flight_per_connection, 1, 4096)},
      {"max_connections_per_address", integer_in(&c->max_connections_per_address, 0, 1000000)},
      {"max_segments", integer_in(&c->max_segments, 1, 1000000)},
      {"max_fields_per_segment", integer_in(&c->max_fields_per_segment, 1, 100000)},
      {"processing_ids", processing_ids(&c->processing_ids)},
      {"default_charset",
       string_one_of(&c->default_charset, {"auto", "ASCII", "8859/1", "UNICODE UTF-8"})},
      {"time_zone", non_empty_string(&c->mapping.time_zone)},
      {"result_section",
       string_one_of(&c->mapping.default_result_section,
                     {"LAB", "BG",  "BLB", "CG",  "CH",  "CP",  "HM",  "IMM", "MB",  "MCB",
                      "MYC", "SP",  "SR",  "TX",  "URN", "VR",  "HLA", "OSL", "RAD", "CT",
                      "MR",  "NMR", "NMS", "RUS", "US",  "VUS", "XRC", "CUS", "OUS"})},
      {"z_segments", z_segment_policy(&c->mapping.z_segments)},
      {"unmapped_types", string_one_of(&c->unmapped_types, {"error", "store"})},
      // Forwarding (gateway/outbound); the FHIR keys and the timing are added below.
      {"forward_mllp",
       [c](const Value& v) -> std::string {
         std::string bad = host_port(&c->forward_mllp)(v);
         if (bad.empty() && (c->forward_mllp.port == 0 || c->forward_mllp.host.empty()))
           return "expected the receiver's \"HOST:PORT\" (a port other than 0)";
         return bad;
       }},
      {"forward_mllp_tls", boolean(&c->forward_mllp_tls)},
      {"forward_mllp_ca_file", absolute_path(&c->forward_mllp_ca_file)},
      {"forward_mllp_client_cert_file", absolute_path(&c->forward_mllp_client_cert_file)},
      {"forward_mllp_client_key_file", absolute_path(&c->forward_mllp_client_key_file)},
  };
  add_fhir_forward_keys(&schema, c);
  return schema;
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

MapSetter peer_urls(std::map<std::string, std::string>* out) {
  return [=](const std::string& key, const Value& v) -> std::string {
    const bool hex =
        key.size() == 42 && (key.starts_with("0x") || key.starts_with("0X")) &&
        std::all_of(key.begin() + 2, key.end(), [](char c) {
          return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
        });
    if (!hex) return "the key must be a member account, \"0x\" and 40 hex digits";
    std::string account = "0x";
    for (size_t i = 2; i < key.size(); ++i)
      account += static_cast<char>(key[i] >= 'A' && key[i] <= 'F' ? key[i] - 'A' + 'a' : key[i]);
    if (out->count(account) != 0) return "this account is already mapped (keys ignore case)";
    if (v.kind != Value::Kind::kString)
      return std::string("expected a string, got ") + kind_name(v.kind);
    const char* usage = "expected \"https://HOST[:PORT]\" (the member's peering listener)";
    if (!v.str.starts_with("https://")) return usage;
    const std::string rest = v.str.substr(8);
    if (rest.empty() || rest.find_first_of("/?#@ \t") != std::string::npos) return usage;
    // HOST, [V6], HOST:PORT or [V6]:PORT.
    const size_t host_end = rest.starts_with('[') ? rest.find(']') : 0;
    if (host_end == std::string::npos) return usage;
    if (rest.find(':', host_end) != std::string::npos && !parse_host_port(rest)) return usage;
    (*out)[account] = v.str;
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

std::map<std::string, MapSetter> mapping_schemas(ChannelConfig* c) {
  return {
      {"identifier_systems", uri_map(&c->mapping.identifier_systems)},
      {"coding_systems", uri_map(&c->mapping.coding_systems)},
      {"code_map", code_map(&c->mapping.code_translations)},
      {"z_rules", z_rules(&c->mapping.z_rules)},
  };
}

}  // namespace gw::config::internal
