// Internal to gateway/config/config*.cc: a channel's sender rules
// ([channel.NAME.sender.RULE], config.h SenderRuleConfig) and their checks.
// Not a public header.
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "gateway/base/status.h"
#include "gateway/config/config.h"
#include "gateway/config/config_setters.h"

namespace gw::config::internal {

// Bounds on what a configuration may ask the ingest path to compare per
// message: rules are checked in order for every message on the channel.
inline constexpr size_t kMaxSenderRules = 1000;      // per channel
inline constexpr size_t kMaxSenderRuleItems = 1000;  // per key of a rule
inline constexpr size_t kMaxSenderIdBytes = 256;     // an MSH-3.1 / MSH-4.1 value

// "" if `name` (what follows "sender." in the header) is a rule name,
// [A-Za-z0-9_-]{1,64}; else the reason it is not.
std::string check_sender_rule_name(const std::string& name);

// A [channel.NAME.sender.RULE] table's keys, bound to *r.
std::map<std::string, Setter> sender_rule_schema(SenderRuleConfig* r);

// One rule as parsed, with the channel it belongs to and the line of each
// key it set.
struct ParsedSenderRule {
  ChannelConfig* channel = nullptr;  // owned by the parser's channel list
  std::unique_ptr<SenderRuleConfig> rule;
  std::map<std::string, int> key_lines;
};

// Each rule's checks against its channel: a connection criterion is
// required, and certificate criteria need a channel that asks for client
// certificates (tls with tls_client_ca_file or tls_client_cert_sha256), or
// they could never match. Errors are
// "SOURCE:LINE: channel.NAME.sender.RULE.KEY: why".
gw::Status check_sender_rules(const std::vector<ParsedSenderRule>& rules,
                              const std::string& source);

}  // namespace gw::config::internal
