#include "gateway/peering/peer_types.h"

#include <gtest/gtest.h>

#include "fhir/json/json.h"

namespace gw::peering {
namespace {

TEST(PeerTypesTest, AccountsRoundTripThroughText) {
  Account a{};
  ASSERT_TRUE(parse_account("0x00112233445566778899AABBccddeeff00112233", &a));
  EXPECT_EQ(a[0], 0x00);
  EXPECT_EQ(a[5], 0x55);
  EXPECT_EQ(a[19], 0x33);
  EXPECT_EQ(account_text(a), "0x00112233445566778899aabbccddeeff00112233");
  Account b{};
  EXPECT_TRUE(parse_account(account_text(a), &b));
  EXPECT_EQ(a, b);
}

TEST(PeerTypesTest, MalformedAccountsAreRefusedAndLeaveTheOutputAlone) {
  Account a{};
  a.fill(7);
  for (const char* bad :
       {"", "0x", "00112233445566778899aabbccddeeff00112233",
        "0x00112233445566778899aabbccddeeff0011223", "0x00112233445566778899aabbccddeeff001122334",
        "0x00112233445566778899aabbccddeeff0011223g",
        "1x00112233445566778899aabbccddeeff00112233"}) {
    EXPECT_FALSE(parse_account(bad, &a)) << bad;
  }
  EXPECT_EQ(a[0], 7);
}

TEST(PeerTypesTest, ErrorBodiesAreJsonWhateverTheReasonHolds) {
  const PeerResponse r = peer_error(409, "duplicate", "a \"quoted\"\nreason\x01");
  EXPECT_EQ(r.status, 409);
  auto parsed = fhir::parse_json(r.body);
  ASSERT_TRUE(parsed.ok()) << r.body;
  ASSERT_NE(parsed->find("error"), nullptr);
  EXPECT_EQ(parsed->find("error")->text(), "duplicate");
  EXPECT_EQ(parsed->find("reason")->text(), "a \"quoted\"\nreason\x01");
}

}  // namespace
}  // namespace gw::peering
