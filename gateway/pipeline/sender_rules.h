// A channel's sender allow-list: which senders (MSH-3 / MSH-4) may arrive on
// which connections (client address, TLS client certificate). Configured as
// [channel.NAME.sender.RULE] tables (gateway/config/config.h,
// SenderRuleConfig, which says what a rule matches).
//
// Threat: anyone who can reach an MLLP port can write any MSH-3/MSH-4. With
// rules, a message is allowed only when some rule matches both its sender
// and its connection, so a forger elsewhere on the hospital network cannot
// send as the EHR (overwrite demographics with an A08, take the EHR's next
// control id). MllpIngest checks before normalization: a refused sender
// costs no mapping and writes no records. No rules: every sender is allowed
// from every connection.
//
// Thread-safety: immutable after construction; allows() may be called from
// any thread.
#pragma once

#include <string>
#include <vector>

#include "adapters/hl7/er7.h"
#include "adapters/mllp/server.h"
#include "gateway/config/config.h"

namespace gw::pipeline {

class SenderRules {
 public:
  SenderRules() = default;
  explicit SenderRules(std::vector<config::SenderRuleConfig> rules) : rules_(std::move(rules)) {}

  bool empty() const { return rules_.empty(); }
  // The name of the first rule that allows a message with header `h` from
  // `peer`, or nullptr if none does (always nullptr when empty()).
  // Senders compare by MSH-3.1 and MSH-4.1 (HD namespace ids, escapes
  // resolved), exactly.
  const std::string* allowing_rule(const hl7::Header& h, const mllp::PeerInfo& peer) const;

 private:
  std::vector<config::SenderRuleConfig> rules_;
};

}  // namespace gw::pipeline
