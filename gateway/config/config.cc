#include "gateway/config/config.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <set>
#include <sstream>

#include "gateway/config/config_clients.h"
#include "gateway/config/config_senders.h"
#include "gateway/config/config_setters.h"
#include "gateway/config/config_syntax.h"

namespace gw::config {

using namespace internal;  // NOLINT(google-build-using-namespace): this file's own helpers

std::string HostPort::to_string() const {
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
  return host + ":" + std::to_string(port);
}

std::string GatewayConfig::message_store_path() const {
  return (std::filesystem::path(state_dir) / "messages.db").string();
}

std::string GatewayConfig::outbound_queue_path() const {
  return (std::filesystem::path(state_dir) / "outbound.db").string();
}

std::string GatewayConfig::transfers_path() const {
  return (std::filesystem::path(state_dir) / "transfers.db").string();
}

std::string GatewayConfig::audit_path() const {
  return (std::filesystem::path(state_dir) / "audit.db").string();
}

std::string GatewayConfig::auth_path() const {
  return (std::filesystem::path(state_dir) / "auth.db").string();
}

namespace {

using Fail = std::function<gw::Status(const std::string& key, const std::string& why)>;

// The checks between a FHIR destination's keys, a channel's or [peering]'s
// (`table`, e.g. "channel.adt"): its companions need forward_fhir, a client
// certificate needs its key.
template <typename C>
gw::Status check_fhir_forwarding(const C& c, const std::string& table,
                                 const std::map<std::string, int>& lines, const Fail& fail) {
  if (c.forward_fhir.empty()) {
    for (const char* key :
         {"forward_fhir_ca_file", "forward_fhir_client_cert_file", "forward_fhir_client_key_file",
          "forward_fhir_bearer_token_file", "forward_fhir_requests"})
      if (lines.count(key) != 0) return fail(key, "needs " + table + ".forward_fhir");
  }
  if (c.forward_fhir_client_cert_file.empty() != c.forward_fhir_client_key_file.empty())
    return fail(c.forward_fhir_client_cert_file.empty() ? "forward_fhir_client_key_file"
                                                        : "forward_fhir_client_cert_file",
                "forward_fhir_client_cert_file and forward_fhir_client_key_file go together");
  return ok_status();
}

// The forwarding timing's own check, after the keys' presence is checked.
template <typename C>
gw::Status check_retry_order(const C& c, const Fail& fail) {
  if (c.forward_retry_initial > c.forward_retry_max)
    return fail("forward_retry_initial_ms", "must not exceed forward_retry_max_ms");
  return ok_status();
}

// [peering]'s forwarding of received transfers: the channel checks, and its
// timing keys need forward_fhir (there is no other destination there).
gw::Status check_peering_forwarding(const PeeringConfig& p, const std::map<std::string, int>& lines,
                                    const std::string& source) {
  const Fail fail = [&](const std::string& key, const std::string& why) {
    auto at = lines.find(key);
    return invalid_argument_error(source + ":" +
                                  std::to_string(at != lines.end() ? at->second : 0) +
                                  ": peering." + key + ": " + why);
  };
  GW_RETURN_IF_ERROR(check_fhir_forwarding(p, "peering", lines, fail));
  if (p.forward_fhir.empty()) {
    for (const char* key :
         {"forward_timeout_ms", "forward_retry_initial_ms", "forward_retry_max_ms"})
      if (lines.count(key) != 0) return fail(key, "needs peering.forward_fhir");
  }
  return check_retry_order(p, fail);
}

// The checks between a channel's forwarding keys (each alone is checked by
// its setter). `lines` holds the line of every key the channel set; the
// error names the key at fault and its line.
gw::Status check_forwarding(const ChannelConfig& c, const std::map<std::string, int>& lines,
                            const std::vector<std::unique_ptr<ChannelConfig>>& all,
                            const std::string& source) {
  const Fail fail = [&](const std::string& key, const std::string& why) {
    auto at = lines.find(key);
    return invalid_argument_error(source + ":" +
                                  std::to_string(at != lines.end() ? at->second : 0) +
                                  ": channel." + c.name + "." + key + ": " + why);
  };
  GW_RETURN_IF_ERROR(check_fhir_forwarding(c, "channel." + c.name, lines, fail));
  if (c.forward_mllp.port == 0 && lines.count("forward_mllp_tls") != 0)
    return fail("forward_mllp_tls", "needs channel." + c.name + ".forward_mllp");
  if (!c.forward_mllp_tls) {
    for (const char* key :
         {"forward_mllp_ca_file", "forward_mllp_client_cert_file", "forward_mllp_client_key_file"})
      if (lines.count(key) != 0) return fail(key, "needs forward_mllp_tls = true");
  }
  if (c.forward_mllp_client_cert_file.empty() != c.forward_mllp_client_key_file.empty())
    return fail(c.forward_mllp_client_cert_file.empty() ? "forward_mllp_client_key_file"
                                                        : "forward_mllp_client_cert_file",
                "forward_mllp_client_cert_file and forward_mllp_client_key_file go together");
  if (!c.forwards()) {
    for (const char* key :
         {"forward_timeout_ms", "forward_retry_initial_ms", "forward_retry_max_ms"})
      if (lines.count(key) != 0)
        return fail(key, "needs channel." + c.name + ".forward_fhir or .forward_mllp");
  }
  GW_RETURN_IF_ERROR(check_retry_order(c, fail));
  if (c.forward_mllp.port != 0) {
    const bool to_loopback = c.forward_mllp.host == "127.0.0.1" ||
                             c.forward_mllp.host == "localhost" || c.forward_mllp.host == "::1";
    for (const auto& other : all) {
      const bool any_address = other->listen.host == "0.0.0.0" || other->listen.host == "::";
      if (other->listen.port == c.forward_mllp.port &&
          (other->listen.host == c.forward_mllp.host || (any_address && to_loopback)))
        return fail("forward_mllp",
                    "is channel." + other->name + "'s own listen address: messages would loop");
    }
  }
  return ok_status();
}

}  // namespace

gw::Result<GatewayConfig> parse_config(const std::string& text, const std::string& source) {
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
  std::vector<std::map<std::string, int>> channel_key_lines;  // per channel: key -> its line
  // Per channel: the line of its tls key (else its header) and of its first tls_* key.
  std::vector<int> channel_tls_lines, channel_tls_key_lines;
  std::vector<std::string> channel_tls_first_key;
  MapSetter map_table;                         // set while in a [channel.NAME.SUB] mapping table
  std::vector<ParsedClient> clients;           // kept as parsed (their setters hold pointers)
  std::vector<ParsedSenderRule> sender_rules;  // likewise; moved into their channels at the end
  bool in_sender_rule = false;                 // the current table is sender_rules.back()

  const std::map<std::string, std::map<std::string, Setter>> schemas = table_schemas(&cfg);
  int https_line = 0;
  int peering_line = 0;
  int max_buffered_line = 0;                     // of gateway.max_buffered_bytes
  std::map<std::string, int> peering_key_lines;  // key -> its line
  LedgerConfig& ledger = cfg.ledger;

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
        return invalid_argument_error(
            err("arrays of tables are not supported; use [channel.NAME]"));
      }
      if (close == std::string_view::npos || !only_comment_left(line, close + 1)) {
        return invalid_argument_error(err("malformed table header"));
      }
      std::string name(trim(line.substr(1, close - 1)));
      map_table = nullptr;
      in_sender_rule = false;
      for (char c : name)
        if (!is_bare_key_char(c) && c != '.') {
          return invalid_argument_error(
              err("table name \"" + name + "\" may only use letters, digits, '_', '-' and '.'"));
        }
      if (!seen_tables.insert(name).second) {
        return invalid_argument_error(err("table [" + name + "] defined twice"));
      }
      seen_keys.clear();
      table_name = name;
      in_table = true;
      if (auto schema = schemas.find(name); schema != schemas.end()) {
        table = schema->second;
        if (name == "https") https_line = line_no;
        if (name == "keys") cfg.keys_line = line_no;
        if (name == "ledger") cfg.ledger_line = line_no;
        if (name == "peering") peering_line = line_no;
      } else if (name.starts_with("channel.") && name.size() > 8 &&
                 name.find('.', 8) == std::string::npos) {
        channels.push_back(std::make_unique<ChannelConfig>());
        channels.back()->name = name.substr(8);
        channel_lines.push_back(line_no);
        channel_header_lines.push_back(line_no);
        channel_key_lines.emplace_back();
        channel_tls_lines.push_back(line_no);
        channel_tls_key_lines.push_back(0);
        channel_tls_first_key.emplace_back();
        table = channel_schema(channels.back().get());
      } else if (name.starts_with("channel.") && name.find('.', 8) != std::string::npos) {
        const size_t dot = name.find('.', 8);
        const std::string channel = name.substr(8, dot - 8), sub = name.substr(dot + 1);
        ChannelConfig* owner = nullptr;
        for (auto& c : channels)
          if (c->name == channel) owner = c.get();
        if (owner == nullptr) {
          return invalid_argument_error(
              err("[" + name + "] must come after its channel's table [channel." + channel + "]"));
        }
        table.clear();
        const std::map<std::string, MapSetter> mapping_tables = mapping_schemas(owner);
        if (sub.starts_with("sender.")) {
          const std::string rule = sub.substr(7);
          if (std::string bad = check_sender_rule_name(rule); !bad.empty())
            return invalid_argument_error(err("[" + name + "]: " + bad));
          size_t owned = 0;
          for (const ParsedSenderRule& r : sender_rules) owned += r.channel == owner ? 1 : 0;
          if (owned == kMaxSenderRules)
            return invalid_argument_error(err("[" + name + "]: more than " +
                                              std::to_string(kMaxSenderRules) +
                                              " sender rules on channel." + channel));
          sender_rules.push_back({owner, std::make_unique<SenderRuleConfig>(), {}});
          sender_rules.back().rule->name = rule;
          sender_rules.back().rule->line = line_no;
          table = sender_rule_schema(sender_rules.back().rule.get());
          in_sender_rule = true;
        } else if (auto m = mapping_tables.find(sub); m != mapping_tables.end()) {
          map_table = m->second;
        } else {
          return invalid_argument_error(
              err("unknown table [" + name +
                  "] (a channel's sub-tables are identifier_systems, coding_systems, "
                  "code_map, z_rules and sender.RULE)"));
        }
      } else if (name.starts_with("client.")) {
        const std::string client = name.substr(7);
        if (std::string bad = check_client_name(client); !bad.empty())
          return invalid_argument_error(err("[" + name + "]: " + bad));
        if (clients.size() == kMaxClients)
          return invalid_argument_error(
              err("more than " + std::to_string(kMaxClients) + " [client.NAME] tables"));
        clients.push_back({std::make_unique<ClientConfig>(), {}});
        clients.back().config->name = client;
        clients.back().config->line = line_no;
        table = client_schema(clients.back().config.get());
      } else if (name == "client") {
        return invalid_argument_error(err("a client needs a name: [client.NAME]"));
      } else if (name == "peers") {
        table.clear();
        map_table = peer_urls(&cfg.peers);
      } else if (name == "channel") {
        return invalid_argument_error(err("a channel needs a name: [channel.NAME]"));
      } else {
        return invalid_argument_error(
            err("unknown table [" + name +
                "] (expected [gateway], [https], [store], [keys], [tpm], [ledger], [labels], "
                "[peering], [peers], [audit], [channel.NAME] or [client.NAME])"));
      }
      continue;
    }
    // The key: bare, or a quoted "basic string" (mapping tables use quoted
    // keys for authority names and codes with dots or bars).
    std::string key;
    size_t eq;
    if (line[0] == '"') {
      size_t pos = 0;
      auto quoted = parse_string(line, &pos);
      if (!quoted.ok()) {
        return invalid_argument_error(err("malformed quoted key: " + quoted.error().message()));
      }
      key = std::move(quoted).value();
      while (pos < line.size() && (line[pos] == ' ' || line[pos] == '\t')) ++pos;
      if (pos >= line.size() || line[pos] != '=') {
        return invalid_argument_error(err("expected '=' after the quoted key"));
      }
      eq = pos;
    } else {
      eq = line.find('=');
      if (eq == std::string_view::npos) {
        return invalid_argument_error(err("expected 'key = value' or a [table] header"));
      }
      key = std::string(trim(line.substr(0, eq)));
      if (key.empty() || !std::all_of(key.begin(), key.end(), is_bare_key_char)) {
        return invalid_argument_error(err("malformed key \"" + key + "\""));
      }
    }
    std::string qualified = in_table ? table_name + ".\"" + key + "\"" : key;
    if (!in_table) {
      return invalid_argument_error(
          err("key '" + key + "' must be inside a table such as [gateway]"));
    }
    if (map_table) {
      if (!seen_keys.insert(key).second) {
        return invalid_argument_error(err("key '" + qualified + "' set twice"));
      }
      auto v = parse_value(trim(line.substr(eq + 1)));
      if (!v.ok()) return invalid_argument_error(err(qualified + ": " + v.error().message()));
      if (std::string bad = map_table(key, *v); !bad.empty()) {
        return invalid_argument_error(err(qualified + ": " + bad));
      }
      continue;
    }
    qualified = table_name + "." + key;
    auto it = table.find(key);
    if (it == table.end()) {
      std::string known;
      for (const auto& [k, _] : table) known += (known.empty() ? "" : ", ") + k;
      return invalid_argument_error(err("unknown key '" + qualified + "' (known keys in [" +
                                        table_name + "]: " + known + ")"));
    }
    if (!seen_keys.insert(key).second) {
      return invalid_argument_error(err("key '" + qualified + "' set twice"));
    }
    auto v = parse_value(trim(line.substr(eq + 1)));
    if (!v.ok()) return invalid_argument_error(err(qualified + ": " + v.error().message()));
    if (std::string bad = it->second(*v); !bad.empty()) {
      return invalid_argument_error(err(qualified + ": " + bad));
    }
    if (in_sender_rule) {
      sender_rules.back().key_lines[key] = line_no;
      continue;
    }
    if (key == "listen" && table_name.starts_with("channel.")) channel_lines.back() = line_no;
    if (table_name.starts_with("channel.")) channel_key_lines.back()[key] = line_no;
    if (table_name == "peering") peering_key_lines[key] = line_no;
    if (table_name == "gateway" && key == "max_buffered_bytes") max_buffered_line = line_no;
    if (table_name.starts_with("client.")) clients.back().key_lines[key] = line_no;
    if (key == "tls" && table_name.starts_with("channel.")) channel_tls_lines.back() = line_no;
    if (key.starts_with("tls_") && table_name.starts_with("channel.") &&
        channel_tls_key_lines.back() == 0) {
      channel_tls_key_lines.back() = line_no;
      channel_tls_first_key.back() = key;
    }
  }
  if (channels.empty()) {
    return invalid_argument_error(
        source + ": no channel configured; add a [channel.NAME] table with listen = \"HOST:PORT\"");
  }
  // Two channels on one address would fail at bind time with a less helpful
  // message; the default listen address makes this easy to do by accident.
  for (size_t i = 0; i < channels.size(); ++i)
    for (size_t j = 0; j < i; ++j)
      if (channels[i]->listen.port != 0 &&
          channels[i]->listen.to_string() == channels[j]->listen.to_string()) {
        return invalid_argument_error(
            source + ":" + std::to_string(channel_lines[i]) + ": channel." + channels[i]->name +
            ".listen: address " + channels[i]->listen.to_string() + " is already used by channel." +
            channels[j]->name + " (line " + std::to_string(channel_lines[j]) + ")");
      }
  // The input budget must let the largest frame complete (its buffer may
  // reach twice its size); a smaller one would pause it for good.
  for (size_t i = 0; i < channels.size(); ++i) {
    const ChannelConfig& c = *channels[i];
    if (cfg.max_buffered_bytes / 2 >= c.max_frame_bytes) continue;
    const auto key_line = channel_key_lines[i].find("max_frame_bytes");
    const int line = max_buffered_line != 0                   ? max_buffered_line
                     : key_line != channel_key_lines[i].end() ? key_line->second
                                                              : channel_header_lines[i];
    return invalid_argument_error(
        source + ":" + std::to_string(line) + ": gateway.max_buffered_bytes: " +
        std::to_string(cfg.max_buffered_bytes) + " is less than twice channel." + c.name +
        ".max_frame_bytes (" + std::to_string(c.max_frame_bytes) + ")");
  }
  for (size_t i = 0; i < channels.size(); ++i) {
    const ChannelConfig& c = *channels[i];
    const std::string where =
        source + ":" + std::to_string(channel_tls_lines[i]) + ": channel." + c.name + ".";
    if (c.tls && c.tls_cert_file.empty()) {
      return invalid_argument_error(where +
                                    "tls_cert_file: required when tls = true (the channel's PEM "
                                    "server certificate, optionally followed by its chain)");
    }
    if (c.tls && c.tls_key_file.empty()) {
      return invalid_argument_error(
          where + "tls_key_file: required when tls = true (the PEM private key of tls_cert_file)");
    }
    // A TLS setting on a plaintext channel is a mistake that would leave the
    // operator believing the feed is encrypted.
    if (!c.tls && channel_tls_key_lines[i] != 0) {
      return invalid_argument_error(source + ":" + std::to_string(channel_tls_key_lines[i]) +
                                    ": channel." + c.name + "." + channel_tls_first_key[i] +
                                    ": only used when tls = true (this channel is plain TCP)");
    }
  }
  if (cfg.https.enabled && (cfg.https.cert_file.empty() || cfg.https.key_file.empty())) {
    return invalid_argument_error(
        source + ":" + std::to_string(https_line) +
        ": https.enabled: the FHIR REST endpoint needs https.cert_file and https.key_file "
        "(PEM certificate chain and private key)");
  }
  // The peering certificate is the gateway's registered one: by default the
  // [https] pair, all or nothing (a key from one pair with the other's
  // certificate would fail at start with a less helpful message).
  PeeringConfig& peering = cfg.peering;
  if (peering.cert_file.empty() != peering.key_file.empty()) {
    return invalid_argument_error(
        source + ":" + std::to_string(peering_line) + ": peering." +
        (peering.cert_file.empty() ? "cert_file" : "key_file") +
        ": peering.cert_file and peering.key_file go together (default: the [https] pair)");
  }
  if (peering.cert_file.empty()) {
    peering.cert_file = cfg.https.cert_file;
    peering.key_file = cfg.https.key_file;
  }
  if (peering.enabled && (peering.cert_file.empty() || peering.key_file.empty())) {
    return invalid_argument_error(
        source + ":" + std::to_string(peering_line) +
        ": peering.enabled: the member-to-member API needs a certificate: set "
        "peering.cert_file and peering.key_file, or https.cert_file and https.key_file");
  }
  if (peering.enabled && cfg.https.enabled && peering.listen.port == cfg.https.listen.port &&
      (peering.listen.host == cfg.https.listen.host || peering.listen.host == "0.0.0.0" ||
       cfg.https.listen.host == "0.0.0.0")) {
    return invalid_argument_error(source + ":" + std::to_string(peering_line) +
                                  ": peering.listen: address " + peering.listen.to_string() +
                                  " overlaps https.listen " + cfg.https.listen.to_string());
  }
  if (ledger.enabled && ledger.rpc_url.empty()) {
    return invalid_argument_error(
        source + ":" + std::to_string(cfg.ledger_line) +
        ": ledger.rpc_url: required when ledger.enabled = true (the consortium node's "
        "JSON-RPC URL, \"http://HOST:PORT\" or \"https://...\")");
  }
  // Defaults that depend on state_dir, which may come after [ledger].
  const std::filesystem::path ledger_dir = std::filesystem::path(cfg.state_dir) / "ledger";
  if (ledger.deployment.empty()) ledger.deployment = (ledger_dir / "consortium.json").string();
  if (ledger.outbox.empty()) ledger.outbox = (ledger_dir / "outbox.db").string();
  for (size_t i = 0; i < channels.size(); ++i) {
    if (gw::Status bad = v2fhir::check_mapping_config(channels[i]->mapping); !bad.ok()) {
      return invalid_argument_error(source + ":" + std::to_string(channel_header_lines[i]) +
                                    ": channel." + channels[i]->name + ": " + bad.message());
    }
  }
  for (size_t i = 0; i < channels.size(); ++i)
    GW_RETURN_IF_ERROR(check_forwarding(*channels[i], channel_key_lines[i], channels, source));
  GW_RETURN_IF_ERROR(check_peering_forwarding(cfg.peering, peering_key_lines, source));
  // Received transfers are stored under channel "peer" (transfer/receiver.h)
  // and their destination is "peer/fhir": a channel of that name would share both.
  for (size_t i = 0; i < channels.size(); ++i) {
    if (!cfg.peering.forward_fhir.empty() && channels[i]->name == "peer")
      return invalid_argument_error(
          source + ":" + std::to_string(channel_header_lines[i]) +
          ": channel.peer: the name of received transfers in the store; with "
          "peering.forward_fhir, give this channel another name");
  }
  GW_RETURN_IF_ERROR(check_clients(clients, cfg.https, source));
  GW_RETURN_IF_ERROR(check_sender_rules(sender_rules, source));
  for (ParsedSenderRule& r : sender_rules) r.channel->senders.push_back(std::move(*r.rule));
  for (auto& c : channels) cfg.channels.push_back(std::move(*c));
  for (auto& c : clients) cfg.clients.push_back(std::move(*c.config));
  return cfg;
}

gw::Result<GatewayConfig> load_config(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return not_found_error(path + ": cannot open configuration file");
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_config(ss.str(), path);
}

std::vector<std::string> known_keys() {
  GatewayConfig cfg;
  ChannelConfig channel;
  std::vector<std::string> keys;
  for (const auto& [table, schema] : table_schemas(&cfg))
    for (const auto& [key, _] : schema) keys.push_back(table + "." + key);
  for (const auto& [key, _] : channel_schema(&channel)) keys.push_back("channel.NAME." + key);
  for (const auto& [sub, _] : mapping_schemas(&channel)) keys.push_back("channel.NAME." + sub);
  SenderRuleConfig rule;
  for (const auto& [key, _] : sender_rule_schema(&rule))
    keys.push_back("channel.NAME.sender.RULE." + key);
  ClientConfig client;
  for (const auto& [key, _] : client_schema(&client)) keys.push_back("client.NAME." + key);
  keys.push_back("peers");  // a mapping table: its keys are member accounts
  return keys;
}

}  // namespace gw::config
