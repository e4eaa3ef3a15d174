// Internal to gateway/config/config*.cc: the setters that check one value of
// the configuration and store it. Each table's schema maps its keys to
// setters; an error message is the setter's reason, prefixed with the file,
// line and key by the caller. Not a public header.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "gateway/config/config.h"
#include "gateway/config/config_syntax.h"

namespace gw::config::internal {

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

// The value times unit_ms, in [lo, hi] units.
Setter millis_in(std::chrono::milliseconds* out, int64_t lo, int64_t hi, int64_t unit_ms);
Setter string_one_of(std::string* out, std::vector<std::string> allowed);
Setter host_port(HostPort* out);  // "HOST:PORT", "[v6]:PORT"
Setter absolute_path(std::string* out);
Setter https_url(std::string* out);
// The ledger node's JSON-RPC URL. The value is never echoed: it may carry a
// password (http://user:password@host).
Setter rpc_url(std::string* out);
// A FHIR server's base URL to forward to (https only). Never echoed: it may
// carry a password.
Setter forward_fhir_url(std::string* out);
Setter any_string(std::string* out);
Setter boolean(bool* out);
Setter non_empty_string(std::string* out);
// "sha256:0,2,4,7" or "none" -> PCR indices (0..23, ascending, unique).
Setter pcr_list(std::vector<int>* out, bool allow_none);
// A persistent handle, "0x81000001" (0x81000000-0x817FFFFF, TPM 2.0 Part 2 §7).
Setter persistent_handle(uint32_t* out);
Setter z_segment_policy(v2fhir::ZSegmentPolicy* out);
Setter processing_ids(std::vector<std::string>* out);
// Certificate fingerprints: SHA-256, 64 hex digits, colons between bytes allowed.
Setter sha256_fingerprints(std::vector<std::string>* out);
// A [labels] key: an array of code patterns (gateway/labels/label_rules.h),
// each checked, appended to out->rules with `label`.
Setter label_patterns(LabelsConfig* out, ledger::consortium::Label label);
// A FHIR forwarding destination's keys (forward_fhir and its companions) and
// the forwarding timing, bound to *c: a channel's, and [peering]'s for
// received transfers. Both have the same fields, so the keys and their checks
// are the same.
template <typename C>
void add_fhir_forward_keys(std::map<std::string, Setter>* schema, C* c) {
  schema->insert({
      {"forward_fhir", forward_fhir_url(&c->forward_fhir)},
      {"forward_fhir_ca_file", absolute_path(&c->forward_fhir_ca_file)},
      {"forward_fhir_client_cert_file", absolute_path(&c->forward_fhir_client_cert_file)},
      {"forward_fhir_client_key_file", absolute_path(&c->forward_fhir_client_key_file)},
      {"forward_fhir_bearer_token_file", absolute_path(&c->forward_fhir_bearer_token_file)},
      {"forward_fhir_requests", string_one_of(&c->forward_fhir_requests, {"conditional", "by_id"})},
      {"forward_timeout_ms", millis_in(&c->forward_timeout, 100, 600'000, 1)},
      {"forward_retry_initial_ms", millis_in(&c->forward_retry_initial, 10, 3'600'000, 1)},
      {"forward_retry_max_ms", millis_in(&c->forward_retry_max, 10, 86'400'000, 1)},
  });
}

// The fixed tables ([gateway], [https], [store], [keys], [tpm], [ledger], [labels], [peering],
// [audit]), bound to *cfg: table name -> key -> setter. The parser dispatches on it and
// known_keys() lists it, so the two cannot disagree.
std::map<std::string, std::map<std::string, Setter>> table_schemas(GatewayConfig* cfg);
// A [channel.NAME] table's keys.
std::map<std::string, Setter> channel_schema(ChannelConfig* c);

// Keys of a channel's mapping sub-tables are data (authority names, local
// codes), so any quoted key is accepted and the value is checked here.
using MapSetter = std::function<std::string(const std::string& key, const Value&)>;
// authority -> URI; "SYS|CODE" -> "URI|CODE[|DISPLAY]"; "ZPI-2" -> "Type|URL|value-type".
MapSetter uri_map(std::map<std::string, std::string>* out);
MapSetter code_map(std::vector<v2fhir::CodeTranslation>* out);
MapSetter z_rules(std::vector<v2fhir::ZSegmentRule>* out);
// [peers]: "0xACCOUNT" (40 hex digits, any case; stored lower-case, each
// account once) -> "https://HOST[:PORT]" (no path, user or query).
MapSetter peer_urls(std::map<std::string, std::string>* out);
// A channel's mapping tables ([channel.NAME.SUB]), bound to *c: SUB -> setter.
std::map<std::string, MapSetter> mapping_schemas(ChannelConfig* c);

}  // namespace gw::config::internal
