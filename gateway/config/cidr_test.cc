#include "gateway/config/cidr.h"

#include <gtest/gtest.h>

namespace gw::config {
namespace {

Cidr cidr(const std::string& text) {
  Cidr c;
  EXPECT_EQ(parse_cidr(text, &c), "") << text;
  return c;
}

bool in(const std::string& block, const std::string& address) {
  const auto ip = parse_ip(address);
  EXPECT_TRUE(ip.has_value()) << address;
  return ip && cidr(block).contains(*ip);
}

TEST(CidrTest, Ipv4BlocksAndSingleAddresses) {
  EXPECT_TRUE(in("10.20.0.0/24", "10.20.0.1"));
  EXPECT_TRUE(in("10.20.0.0/24", "10.20.0.255"));
  EXPECT_FALSE(in("10.20.0.0/24", "10.20.1.0"));
  EXPECT_TRUE(in("10.20.1.7", "10.20.1.7"));
  EXPECT_FALSE(in("10.20.1.7", "10.20.1.8"));
  EXPECT_TRUE(in("10.16.0.0/12", "10.31.255.255"));
  EXPECT_FALSE(in("10.16.0.0/12", "10.32.0.0"));
  EXPECT_TRUE(in("0.0.0.0/0", "192.0.2.1"));
}

TEST(CidrTest, Ipv6AndMappedIpv4) {
  EXPECT_TRUE(in("2001:db8::/32", "2001:db8:1::5"));
  EXPECT_FALSE(in("2001:db8::/32", "2001:db9::5"));
  EXPECT_TRUE(in("::1", "::1"));
  // A listener on [::] sees IPv4 clients as ::ffff:a.b.c.d.
  EXPECT_TRUE(in("127.0.0.0/8", "::ffff:127.0.0.1"));
  EXPECT_FALSE(in("::/0", "127.0.0.1"));  // families never mix
  EXPECT_FALSE(in("0.0.0.0/0", "::1"));
}

TEST(CidrTest, RefusesWhatIsNotABlock) {
  Cidr c;
  EXPECT_NE(parse_cidr("", &c), "");
  EXPECT_NE(parse_cidr("10.20.0", &c), "");
  EXPECT_NE(parse_cidr("host.example", &c), "");
  EXPECT_NE(parse_cidr("10.20.0.0/33", &c), "");
  EXPECT_NE(parse_cidr("10.20.0.0/", &c), "");
  EXPECT_NE(parse_cidr("10.20.0.0/-1", &c), "");
  EXPECT_NE(parse_cidr("10.20.0.0/24x", &c), "");
  EXPECT_NE(parse_cidr("fe80::1%eth0", &c), "");
  EXPECT_NE(parse_cidr(std::string(100, '1'), &c), "");
  const std::string host_bits = parse_cidr("10.20.0.5/24", &c);
  EXPECT_NE(host_bits.find("bits set after the first 24"), std::string::npos) << host_bits;
  EXPECT_EQ(parse_cidr("2001:db8::/32", &c), "");
  EXPECT_NE(parse_cidr("2001:db8::1/32", &c), "");
}

TEST(CidrTest, PeerAddressesAsTheServerWritesThem) {
  ASSERT_TRUE(peer_ip("127.0.0.1:51234").has_value());
  EXPECT_TRUE(cidr("127.0.0.1").contains(*peer_ip("127.0.0.1:51234")));
  ASSERT_TRUE(peer_ip("[::1]:51234").has_value());
  EXPECT_TRUE(cidr("::1").contains(*peer_ip("[::1]:51234")));
  EXPECT_TRUE(cidr("10.0.0.0/8").contains(*peer_ip("[::ffff:10.1.2.3]:2575")));
  EXPECT_FALSE(peer_ip("unknown").has_value());
  EXPECT_FALSE(peer_ip("[::1:5").has_value());
  EXPECT_FALSE(peer_ip("").has_value());
}

}  // namespace
}  // namespace gw::config
