// apply_log and check_consent without a chain: logs that must not change the
// view (foreign contracts, other members' transfers) or must stop it (ours
// but malformed, from the wrong contract, removed), and check's boundaries.
#include "gateway/consortium/view_state.h"

#include <gtest/gtest.h>

#include "ledger-client/consortium/events.h"

namespace gw::consortium {
namespace {

namespace cs = ledger::consortium;

Address addr(uint8_t b) {
  Address a{};
  a.fill(b);
  return a;
}
Hash256 word(uint64_t v) {
  Hash256 w{};
  for (int i = 0; i < 8; ++i) w[31 - i] = static_cast<uint8_t>(v >> (8 * i));
  return w;
}
Hash256 word(const Address& a) {
  Hash256 w{};
  std::copy(a.begin(), a.end(), w.begin() + 12);
  return w;
}

class ViewStateTest : public ::testing::Test {
 protected:
  ViewScope scope{addr(0x01), addr(0x02), addr(0x03), addr(0x0a)};
  Hash256 token = word(0x7777);

  // ConsentGranted(token, grantee, custodian=0x0b, purpose, categories 0xff,
  // exclusions 0, validFrom, validUntil, version 1, key, hash) from `from`.
  ledger::Log granted(const Address& from, const Address& grantee, uint8_t purpose,
                      uint64_t valid_from, uint64_t valid_until) {
    ledger::Log log;
    log.address = from;
    log.block_number = 5;
    log.topics = {*cs::event_topic0("ConsentGranted"), token, word(grantee), word(addr(0x0b))};
    Hash256 key = cs::consent_key(token, grantee, static_cast<cs::Purpose>(purpose));
    for (const Hash256& w : {word(purpose), word(0xff), word(0), word(valid_from),
                             word(valid_until), word(1), key, word(0xc0ffee)}) {
      log.data.insert(log.data.end(), w.begin(), w.end());
    }
    return log;
  }
  ledger::Log recorded(const Address& from, const Address& to) {
    ledger::Log log;
    log.address = scope.transfer_log;
    log.topics = {*cs::event_topic0("TransferRecorded"), word(from), word(to), token};
    for (const Hash256& w : {word(7), word(0x1234), word(0), word(0), word(0), word(1)})
      log.data.insert(log.data.end(), w.begin(), w.end());
    return log;
  }
  ViewState state;
};

TEST_F(ViewStateTest, AGrantAppliesAndCheckHonoursItsBoundaries) {
  ViewDelta d;
  ASSERT_TRUE(apply_log(state, scope, granted(scope.consents, addr(0x0c), 0, 100, 200), d).ok());
  EXPECT_EQ(d.events, 1u);
  merge(state, std::move(d));
  auto at = [&](uint64_t now) { return check_consent(state, token, addr(0x0c), 0, now).decision; };
  EXPECT_EQ(at(99), cs::Decision::kNotYetValid);
  EXPECT_EQ(at(100), cs::Decision::kPermit) << "validFrom is inclusive";
  EXPECT_EQ(at(199), cs::Decision::kPermit);
  EXPECT_EQ(at(200), cs::Decision::kExpired) << "validUntil is exclusive";
  CheckResult r = check_consent(state, token, addr(0x0c), 0, 150);
  EXPECT_EQ(r.version, 1u);
  EXPECT_EQ(r.categories, 0xffu);
  EXPECT_EQ(r.consent_key, cs::consent_key(token, addr(0x0c), cs::Purpose::kTreat));
  CheckResult invalid = check_consent(state, token, addr(0x0c), 32, 150);
  EXPECT_EQ(invalid.decision, cs::Decision::kInvalidPurpose);
  EXPECT_EQ(invalid.consent_key, Hash256{});
  EXPECT_FALSE(r.emergency) << "emergency access is off";
}

TEST_F(ViewStateTest, LogsOfOtherContractsAndOtherMembersTransfersChangeNothing) {
  ViewDelta d;
  ASSERT_TRUE(apply_log(state, scope, granted(addr(0x99), addr(0x0c), 0, 0, 10), d).ok());
  ASSERT_TRUE(apply_log(state, scope, recorded(addr(0x0b), addr(0x0c)), d).ok());
  EXPECT_TRUE(d.empty());
  ASSERT_TRUE(apply_log(state, scope, recorded(addr(0x0b), scope.self), d).ok());
  EXPECT_EQ(d.recorded.size(), 1u);
}

TEST_F(ViewStateTest, OurEventsMalformedOrMisplacedStopTheView) {
  ViewDelta d;
  // A consent event claimed by the registry's address.
  Status wrong = apply_log(state, scope, granted(scope.registry, addr(0x0c), 0, 0, 10), d);
  EXPECT_EQ(wrong.code(), StatusCode::kDataLoss);
  EXPECT_NE(wrong.message().find("another contract"), std::string::npos) << wrong.message();
  // Truncated data.
  ledger::Log cut = granted(scope.consents, addr(0x0c), 0, 0, 10);
  cut.data.resize(100);
  EXPECT_EQ(apply_log(state, scope, cut, d).code(), StatusCode::kDataLoss);
  // A purpose that does not fit its uint8 word (a dirty high byte).
  ledger::Log dirty = granted(scope.consents, addr(0x0c), 0, 0, 10);
  dirty.data[0] = 1;
  EXPECT_FALSE(apply_log(state, scope, dirty, d).ok());
  ledger::Log removed = granted(scope.consents, addr(0x0c), 0, 0, 10);
  removed.removed = true;
  EXPECT_EQ(apply_log(state, scope, removed, d).code(), StatusCode::kUnavailable);
  EXPECT_TRUE(d.empty());
}

}  // namespace
}  // namespace gw::consortium
