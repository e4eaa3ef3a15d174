#include "gateway/config/cidr.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace gw::config {
namespace {

constexpr uint8_t kV4MappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

}  // namespace

std::optional<IpAddress> parse_ip(std::string_view text) {
  // inet_pton needs a terminated string; no address is longer than this.
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  char buf[INET6_ADDRSTRLEN] = {};
  std::memcpy(buf, text.data(), text.size());
  IpAddress a;
  if (inet_pton(AF_INET, buf, a.bytes.data()) == 1) return a;
  if (inet_pton(AF_INET6, buf, a.bytes.data()) != 1) return std::nullopt;
  if (std::memcmp(a.bytes.data(), kV4MappedPrefix, sizeof kV4MappedPrefix) == 0) {
    std::memmove(a.bytes.data(), a.bytes.data() + 12, 4);
    std::memset(a.bytes.data() + 4, 0, 12);
    return a;
  }
  a.v6 = true;
  return a;
}

bool Cidr::contains(const IpAddress& a) const {
  if (a.v6 != base.v6) return false;
  const int full = prefix / 8, rest = prefix % 8;
  if (std::memcmp(a.bytes.data(), base.bytes.data(), static_cast<size_t>(full)) != 0) return false;
  if (rest == 0) return true;
  const auto mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (a.bytes[full] & mask) == (base.bytes[full] & mask);
}

std::string parse_cidr(std::string_view text, Cidr* out) {
  const size_t slash = text.find('/');
  const std::string_view host = text.substr(0, slash);
  std::optional<IpAddress> ip = parse_ip(host);
  if (!ip) {
    return "\"" + std::string(text) +
           "\" is not an IP address or address block (\"10.20.0.0/24\", \"10.20.1.7\", "
           "\"2001:db8::/32\")";
  }
  const int width = ip->v6 ? 128 : 32;
  int prefix = width;
  if (slash != std::string_view::npos) {
    const std::string_view p = text.substr(slash + 1);
    const auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), prefix);
    if (p.empty() || ec != std::errc() || end != p.data() + p.size() || prefix < 0 ||
        prefix > width)
      return "\"" + std::string(text) + "\": the prefix length must be 0-" + std::to_string(width);
  }
  Cidr c{*ip, prefix};
  // The block's base address: the given one with the host bits cleared.
  Cidr base = c;
  for (int bit = prefix; bit < width; ++bit)
    base.base.bytes[bit / 8] &= static_cast<uint8_t>(~(0x80 >> (bit % 8)));
  if (base.base.bytes != c.base.bytes)
    return "\"" + std::string(text) + "\" has bits set after the first " + std::to_string(prefix) +
           ": write the block's first address, or the one address without a prefix";
  *out = c;
  return "";
}

std::optional<IpAddress> peer_ip(std::string_view address) {
  if (address.starts_with('[')) {
    const size_t close = address.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    return parse_ip(address.substr(1, close - 1));
  }
  const size_t colon = address.rfind(':');
  return parse_ip(address.substr(0, colon));
}

}  // namespace gw::config
