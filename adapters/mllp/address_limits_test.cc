#include "adapters/mllp/address_limits.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>

#include <memory>

namespace gw::mllp {
namespace {

sockaddr_storage v4(const char* ip, uint16_t port) {
  sockaddr_storage ss{};
  auto* in = reinterpret_cast<sockaddr_in*>(&ss);
  in->sin_family = AF_INET;
  in->sin_port = htons(port);
  inet_pton(AF_INET, ip, &in->sin_addr);
  return ss;
}

sockaddr_storage v6(const char* ip, uint16_t port) {
  sockaddr_storage ss{};
  auto* in6 = reinterpret_cast<sockaddr_in6*>(&ss);
  in6->sin6_family = AF_INET6;
  in6->sin6_port = htons(port);
  inet_pton(AF_INET6, ip, &in6->sin6_addr);
  return ss;
}

TEST(AddressLimitsTest, KeyIsTheAddressWithoutItsPort) {
  EXPECT_EQ(AddressLimits::key_of(v4("10.1.2.3", 5000)), "10.1.2.3");
  EXPECT_EQ(AddressLimits::key_of(v4("10.1.2.3", 5001)), "10.1.2.3");
  EXPECT_EQ(AddressLimits::key_of(v6("2001:db8::1", 5000)), "2001:db8::1");
  EXPECT_NE(AddressLimits::key_of(v6("2001:db8::1", 1)),
            AddressLimits::key_of(v6("2001:db8::2", 1)));
  // A dual-stack listener sees IPv4 peers as IPv4-mapped addresses.
  EXPECT_EQ(AddressLimits::key_of(v6("::ffff:10.1.2.3", 5000)), "10.1.2.3");
  sockaddr_storage unix_ss{};
  unix_ss.ss_family = AF_UNIX;
  EXPECT_EQ(AddressLimits::key_of(unix_ss), "");
}

TEST(AddressLimitsTest, RefusesOverTheCapPerAddressAndFreesOnRelease) {
  auto limits = std::make_shared<AddressLimits>(2);
  AddressLimits::Lease a1, a2, a3, b1;
  EXPECT_TRUE(limits->try_acquire("10.0.0.1", &a1));
  EXPECT_TRUE(limits->try_acquire("10.0.0.1", &a2));
  EXPECT_FALSE(limits->try_acquire("10.0.0.1", &a3));
  EXPECT_TRUE(limits->try_acquire("10.0.0.2", &b1));  // another address is not affected
  EXPECT_EQ(limits->count("10.0.0.1"), 2u);
  a1.reset();
  EXPECT_EQ(limits->count("10.0.0.1"), 1u);
  EXPECT_TRUE(limits->try_acquire("10.0.0.1", &a3));
}

TEST(AddressLimitsTest, LeasesReleaseOnceWhenMovedAndDestroyed) {
  auto limits = std::make_shared<AddressLimits>(1);
  {
    AddressLimits::Lease outer;
    {
      AddressLimits::Lease inner;
      ASSERT_TRUE(limits->try_acquire("10.0.0.1", &inner));
      outer = std::move(inner);
    }  // the moved-from lease releases nothing
    EXPECT_EQ(limits->count("10.0.0.1"), 1u);
    AddressLimits::Lease moved(std::move(outer));
    EXPECT_EQ(limits->count("10.0.0.1"), 1u);
  }
  EXPECT_EQ(limits->count("10.0.0.1"), 0u);
  EXPECT_EQ(limits->addresses(), 0u);  // no zero entries kept
}

TEST(AddressLimitsTest, ARefusedAddressLeavesNoEntry) {
  auto limits = std::make_shared<AddressLimits>(1);
  AddressLimits::Lease a, b;
  ASSERT_TRUE(limits->try_acquire("10.0.0.1", &a));
  EXPECT_FALSE(limits->try_acquire("10.0.0.1", &b));
  a.reset();
  EXPECT_EQ(limits->addresses(), 0u);
}

}  // namespace
}  // namespace gw::mllp
