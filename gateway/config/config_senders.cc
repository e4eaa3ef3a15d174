#include "gateway/config/config_senders.h"

#include <cctype>

#include "gateway/config/config_clients.h"

namespace gw::config::internal {
namespace {

std::string item(size_t i) { return "item " + std::to_string(i + 1); }

// An array of 1..kMaxSenderRuleItems strings, each checked by `check`
// ("" or the reason), stored as `normalize` returns it; repeats refused.
template <typename Check, typename Normalize>
std::string string_items(const Value& v, std::vector<std::string>* out, Check check,
                         Normalize normalize) {
  if (v.kind != Value::Kind::kStringArray)
    return std::string("expected an array of strings, got ") + kind_name(v.kind);
  if (v.array.empty()) return "must name at least one (leave the key out to allow any)";
  if (v.array.size() > kMaxSenderRuleItems)
    return "more than " + std::to_string(kMaxSenderRuleItems) + " items";
  std::vector<std::string> values;
  for (size_t i = 0; i < v.array.size(); ++i) {
    if (std::string bad = check(v.array[i]); !bad.empty()) return item(i) + ": " + bad;
    std::string n = normalize(v.array[i]);
    for (size_t j = 0; j < values.size(); ++j)
      if (values[j] == n) return item(i) + " repeats " + item(j);
    values.push_back(std::move(n));
  }
  *out = std::move(values);
  return "";
}

std::string same(const std::string& s) { return s; }

// MSH-3.1 / MSH-4.1 values (HD namespace ids) as the message carries them,
// escapes resolved: compared exactly, case included.
std::string check_sender_id(const std::string& s) {
  if (s.empty()) return "must not be empty";
  if (s.size() > kMaxSenderIdBytes)
    return "longer than " + std::to_string(kMaxSenderIdBytes) + " bytes";
  for (unsigned char c : s)
    if (c < 0x20 || c == 0x7f) return "must not contain control characters";
  return "";
}

Setter sender_ids(std::vector<std::string>* out) {
  return [=](const Value& v) { return string_items(v, out, check_sender_id, same); };
}

Setter addresses(SenderRuleConfig* r) {
  return [=](const Value& v) -> std::string {
    std::vector<std::string> texts;
    std::vector<Cidr> blocks;
    const auto check = [&](const std::string& s) {
      Cidr c;
      std::string bad = parse_cidr(s, &c);
      if (bad.empty()) blocks.push_back(c);
      return bad;
    };
    if (std::string bad = string_items(v, &texts, check, same); !bad.empty()) return bad;
    r->addresses = std::move(blocks);
    r->address_texts = std::move(texts);
    return "";
  };
}

// As `openssl x509 -noout -fingerprint -sha256` prints them (colons and
// case optional), kept as the 64 lower-case hex digits PeerInfo carries.
Setter fingerprints(std::vector<std::string>* out) {
  return [=](const Value& v) -> std::string {
    std::vector<std::string> checked;
    if (std::string bad = sha256_fingerprints(&checked)(v); !bad.empty()) return bad;
    const auto normalize = [](const std::string& f) {
      std::string hex;
      for (char c : f)
        if (c != ':') hex += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      return hex;
    };
    return string_items(
        v, out, [](const std::string&) { return std::string(); }, normalize);
  };
}

Setter subjects(std::vector<std::string>* out) {
  return [=](const Value& v) { return string_items(v, out, check_cert_subject, same); };
}

}  // namespace

std::string check_sender_rule_name(const std::string& name) {
  if (name.empty() || name.size() > 64)
    return "a sender rule needs a name of 1-64 characters: [channel.NAME.sender.RULE]";
  for (char c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-')
      return "a sender rule's name may only use letters, digits, '_' and '-'";
  return "";
}

std::map<std::string, Setter> sender_rule_schema(SenderRuleConfig* r) {
  return {
      {"applications", sender_ids(&r->applications)},
      {"facilities", sender_ids(&r->facilities)},
      {"addresses", addresses(r)},
      {"cert_sha256", fingerprints(&r->cert_sha256)},
      {"cert_subjects", subjects(&r->cert_subjects)},
  };
}

gw::Status check_sender_rules(const std::vector<ParsedSenderRule>& rules,
                              const std::string& source) {
  for (const ParsedSenderRule& p : rules) {
    const SenderRuleConfig& r = *p.rule;
    const ChannelConfig& c = *p.channel;
    const auto fail = [&](const std::string& key, const std::string& why) {
      auto at = p.key_lines.find(key);
      return invalid_argument_error(source + ":" +
                                    std::to_string(at != p.key_lines.end() ? at->second : r.line) +
                                    ": channel." + c.name + ".sender." + r.name +
                                    (key.empty() ? "" : "." + key) + ": " + why);
    };
    if (r.addresses.empty() && r.cert_sha256.empty() && r.cert_subjects.empty())
      return fail("",
                  "names no connection: set addresses (client addresses, CIDR) and/or "
                  "cert_sha256 or cert_subjects (TLS client certificates); a rule that any "
                  "connection meets would let anyone send as these senders");
    const bool asks_for_certificates =
        c.tls && (!c.tls_client_ca_file.empty() || !c.tls_client_cert_sha256.empty());
    for (const char* key : {"cert_sha256", "cert_subjects"})
      if (p.key_lines.count(key) != 0 && !asks_for_certificates)
        return fail(key, "needs channel." + c.name +
                             ".tls = true with tls_client_ca_file or tls_client_cert_sha256 "
                             "(otherwise no client presents a certificate and the rule never "
                             "matches)");
  }
  return ok_status();
}

}  // namespace gw::config::internal
