#include "gateway/store/fingerprint.h"

#include <gtest/gtest.h>

namespace gw::store {
namespace {

TEST(NormalizeSegmentTerminators, EveryRunOfCrAndLfIsOneCr) {
  EXPECT_EQ(normalize_segment_terminators("MSH|a\rPID|b\r"), "MSH|a\rPID|b");
  EXPECT_EQ(normalize_segment_terminators("MSH|a\r\nPID|b\r\n"), "MSH|a\rPID|b");
  EXPECT_EQ(normalize_segment_terminators("MSH|a\nPID|b"), "MSH|a\rPID|b");
  EXPECT_EQ(normalize_segment_terminators("\r\n\rMSH|a\r\r\n\nPID|b\r\r"), "MSH|a\rPID|b");
  EXPECT_EQ(normalize_segment_terminators(""), "");
  EXPECT_EQ(normalize_segment_terminators("\r\n"), "");
}

TEST(NormalizeSegmentTerminators, KeepsEveryOtherByte) {
  // Spaces, tabs and NUL are content: a message that differs by them differs.
  const std::string with_nul("MSH|a \t\0b\rPID", 13);
  EXPECT_EQ(normalize_segment_terminators(with_nul), with_nul);
}

TEST(MessageFingerprint, SameForTerminatorVariantsOnly) {
  const auto keys = crypto::StoreKeys::random_for_tests();
  const auto base = message_fingerprint(*keys, "MSH|^~\\&|LAB|H\rPID|1||42\r");
  EXPECT_EQ(message_fingerprint(*keys, "MSH|^~\\&|LAB|H\r\nPID|1||42\r\n"), base);
  EXPECT_EQ(message_fingerprint(*keys, "MSH|^~\\&|LAB|H\rPID|1||42"), base);
  EXPECT_NE(message_fingerprint(*keys, "MSH|^~\\&|LAB|H\rPID|1||43\r"), base);
  EXPECT_NE(message_fingerprint(*keys, "MSH|^~\\&|LAB|H\rPID|1||42 \r"), base);
  // Keyed: another appliance's keys give another fingerprint.
  EXPECT_NE(
      message_fingerprint(*crypto::StoreKeys::random_for_tests(), "MSH|^~\\&|LAB|H\rPID|1||42\r"),
      base);
}

}  // namespace
}  // namespace gw::store
