// The report's plain words: times, actors, actions, purposes, outcomes, the
// emergency mark, and UTF-8 to WinAnsi.
#include "gateway/auditreport/report_words.h"

#include <gtest/gtest.h>

#include <string>

namespace gw::auditreport {
namespace {

using audit::Action;
using audit::ActorKind;
using audit::OutcomeKind;

TEST(ReportWordsTest, TimesAreUtcIso8601Seconds) {
  EXPECT_EQ(utc_time(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(utc_time(1'793'520'000'999), "2026-11-01T08:00:00Z");
  EXPECT_EQ(utc_time(951'782'400'000), "2000-02-29T00:00:00Z");
  EXPECT_EQ(utc_time(-1), "1969-12-31T23:59:59Z");
  EXPECT_EQ(utc_time(253'402'300'799'000), "9999-12-31T23:59:59Z");
  EXPECT_FALSE(utc_time(INT64_MIN).empty());  // nonsense in, some text out
  EXPECT_FALSE(utc_time(INT64_MAX).empty());
}

TEST(ReportWordsTest, ActorsActionsPurposesAndOutcomesInPlainWords) {
  EXPECT_EQ(actor_words({ActorKind::kClient, "lab-interface"}), "client lab-interface");
  EXPECT_EQ(actor_words({ActorKind::kOperator, ""}), "operator (gatewayctl)");
  EXPECT_EQ(actor_words({ActorKind::kMember, "0xab"}), "member 0xab");
  EXPECT_EQ(actor_words({ActorKind::kAnonymous, ""}), "anonymous");

  EXPECT_EQ(action_words(Action::kRead, "Observation"), "read a record (Observation)");
  EXPECT_EQ(action_words(Action::kRead, ""), "read a record");
  EXPECT_EQ(action_words(Action::kTransferSent, "Patient"), "sent a transfer");
  EXPECT_EQ(action_words(Action::kEmergencyAccess, ""), "emergency access");
  EXPECT_EQ(action_words(Action::kExport, "Patient"), "exported records (Patient)");
  for (uint8_t a = 1; a <= audit::kMaxAction; ++a)
    EXPECT_NE(action_words(static_cast<Action>(a), ""), "unknown action") << int{a};

  EXPECT_EQ(purpose_words("TREAT"), "treatment");
  EXPECT_EQ(purpose_words("ETREAT"), "emergency treatment");
  EXPECT_EQ(purpose_words("HPAYMT"), "payment");
  EXPECT_EQ(purpose_words("HOPERAT"), "healthcare operations");
  EXPECT_EQ(purpose_words("HRESCH"), "research");
  EXPECT_EQ(purpose_words("PUBHLTH"), "public health");
  EXPECT_EQ(purpose_words("PATRQT"), "your own request");
  EXPECT_EQ(purpose_words("SOMETHING"), "SOMETHING");
  EXPECT_EQ(purpose_words(""), "not stated");

  EXPECT_EQ(outcome_words({OutcomeKind::kSuccess, 200, ""}), "allowed (200)");
  EXPECT_EQ(outcome_words({OutcomeKind::kRefused, 403, "scope"}), "refused (403)");
  EXPECT_EQ(outcome_words({OutcomeKind::kFailed, 0, ""}), "failed");
}

TEST(ReportWordsTest, EmergencyIsTheActionOrTheEmergencyPurpose) {
  audit::AuditEntry e;
  e.action = Action::kRead;
  e.purpose = "TREAT";
  EXPECT_FALSE(is_emergency(e));
  e.purpose = "ETREAT";
  EXPECT_TRUE(is_emergency(e));
  e.purpose = "";
  e.action = Action::kEmergencyAccess;
  EXPECT_TRUE(is_emergency(e));
}

TEST(ReportWordsTest, WinAnsiKeepsLatin1AndCp1252AndReplacesTheRest) {
  EXPECT_EQ(to_winansi("plain ASCII ~"), "plain ASCII ~");
  EXPECT_EQ(to_winansi("Jos\xC3\xA9 M\xC3\xBCller"), "Jos\xE9 M\xFCller");
  EXPECT_EQ(to_winansi("\xE2\x82\xAC \xE2\x80\x93 \xE2\x80\x9C\xE2\x80\x9D \xC5\x92"),
            "\x80 \x96 \x93\x94 \x8C");
  EXPECT_EQ(to_winansi("\xE7\x8E\x8B\xF0\x9F\x98\x80"), "??");  // CJK, emoji
  EXPECT_EQ(to_winansi("a\tb\nc\x7F"), "a?b?c?");               // controls
  EXPECT_EQ(to_winansi("\xFF\xC3"), "??");                      // invalid, truncated
  EXPECT_EQ(to_winansi("\xC0\xAF"), "??");                      // overlong '/'
  EXPECT_EQ(to_winansi("\xED\xA0\x80"), "???");                 // a surrogate
  EXPECT_EQ(to_winansi("\xC2\x81"), "?");                       // C1 control
}

}  // namespace
}  // namespace gw::auditreport
