// IP addresses and address blocks (CIDR) as sender rules name them
// ([channel.NAME.sender.RULE] addresses) and as a connection's peer address
// is compared with them (gateway/pipeline/sender_rules.h).
//
// IPv4-mapped IPv6 addresses (::ffff:10.0.0.1, what a listener on [::] sees
// for an IPv4 client) are read as the IPv4 address, so one rule covers a
// client whichever way the channel listens.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace gw::config {

struct IpAddress {
  bool v6 = false;
  std::array<uint8_t, 16> bytes{};  // IPv4: the first 4
};

struct Cidr {
  IpAddress base;
  int prefix = 0;  // 0-32 (IPv4) or 0-128 (IPv6)
  bool contains(const IpAddress& a) const;
};

// "10.0.0.1", "fe80::1", "::ffff:10.0.0.1" (read as IPv4). No zone ids.
std::optional<IpAddress> parse_ip(std::string_view text);

// "10.20.0.0/24", "2001:db8::/32", or one address ("10.20.1.7" = /32).
// Returns "" and sets *out, or the reason `text` is not one (never echoing
// more than the text itself, which is configuration, not message content).
// Host bits set beyond the prefix ("10.20.0.5/24") are refused: the operator
// meant either the address or the block, and we should not guess which.
std::string parse_cidr(std::string_view text, Cidr* out);

// The address of an MLLP peer as mllp::PeerInfo::address writes it:
// "10.0.0.1:51234" or "[fe80::1]:51234".
std::optional<IpAddress> peer_ip(std::string_view address_with_port);

}  // namespace gw::config
