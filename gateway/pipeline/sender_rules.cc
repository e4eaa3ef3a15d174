#include "gateway/pipeline/sender_rules.h"

#include <algorithm>
#include <optional>

namespace gw::pipeline {
namespace {

// An empty list allows any value.
bool listed_or_any(const std::vector<std::string>& list, const std::string& value) {
  return list.empty() || std::find(list.begin(), list.end(), value) != list.end();
}

bool listed(const std::vector<std::string>& list, const std::string& value) {
  return !value.empty() && std::find(list.begin(), list.end(), value) != list.end();
}

bool connection_matches(const config::SenderRuleConfig& r,
                        const std::optional<config::IpAddress>& ip, const mllp::PeerInfo& peer) {
  if (!r.addresses.empty()) {
    if (!ip) return false;
    if (std::none_of(r.addresses.begin(), r.addresses.end(),
                     [&](const config::Cidr& c) { return c.contains(*ip); }))
      return false;
  }
  if (r.cert_sha256.empty() && r.cert_subjects.empty()) return true;
  // PeerInfo carries a certificate only when it passed the channel's
  // verification (CA and/or pinned fingerprints).
  return listed(r.cert_sha256, peer.cert_sha256) || listed(r.cert_subjects, peer.cert_subject);
}

}  // namespace

const std::string* SenderRules::allowing_rule(const hl7::Header& h,
                                              const mllp::PeerInfo& peer) const {
  if (rules_.empty()) return nullptr;
  const std::optional<config::IpAddress> ip = config::peer_ip(peer.address);
  for (const config::SenderRuleConfig& r : rules_) {
    if (listed_or_any(r.applications, h.sending_application_hd.namespace_id) &&
        listed_or_any(r.facilities, h.sending_facility_hd.namespace_id) &&
        connection_matches(r, ip, peer))
      return &r.name;
  }
  return nullptr;
}

}  // namespace gw::pipeline
