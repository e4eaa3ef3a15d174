// The transfer entries of the audit trail: what goes in, what is left out
// rather than failing the entry, and who a REST caller is.
#include "gateway/transfer/transfer_audit.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "gateway/store/store_test_util.h"

namespace gw::transfer {
namespace {

TransferAuditFacts facts() {
  TransferAuditFacts f;
  Address member{};
  member.fill(0xB2);
  f.actor = member_actor(member);
  f.patient.emplace();
  f.patient->fill(0x5A);
  f.patient_id = "p-1";
  f.purpose = 1;
  f.purpose_known = true;
  f.transfer = "0x" + std::string(40, 'a') + "/7";
  return f;
}

TEST(TransferAuditTest, AnEntryNamesTheMemberPatientPurposeAndTransfer) {
  const audit::AuditEntry e =
      transfer_entry(audit::Action::kTransferReceived, facts(),
                     audit::Outcome{audit::OutcomeKind::kSuccess, 200, ""}, "3 records", 1000);
  ASSERT_TRUE(audit::validate(e).ok()) << audit::validate(e).message();
  std::string b2;
  for (int i = 0; i < 20; ++i) b2 += "b2";
  EXPECT_EQ(e.actor.to_string(), "member:0x" + b2);
  EXPECT_EQ(e.actor.kind, audit::ActorKind::kMember);
  EXPECT_EQ(e.resource_type, "Patient");
  EXPECT_EQ(e.resource_id, "p-1");
  EXPECT_EQ(e.purpose, "ETREAT");
  EXPECT_EQ(e.detail, "transfer 0x" + std::string(40, 'a') + "/7; 3 records");
}

TEST(TransferAuditTest, WhatBreaksABoundIsLeftOutNotFatal) {
  TransferAuditFacts f = facts();
  f.patient_id = std::string("p\x01", 2);  // the sender's text: not printable
  f.source = std::string(100, '1');
  f.purpose = 200;  // unassigned
  const audit::AuditEntry e =
      transfer_entry(audit::Action::kTransferRefused, f,
                     audit::Outcome{audit::OutcomeKind::kRefused, 422, std::string(100, 'X')},
                     std::string(400, 'd'), 1000);
  EXPECT_TRUE(audit::validate(e).ok()) << audit::validate(e).message();
  EXPECT_EQ(e.resource_id, "");
  EXPECT_EQ(e.source, "");
  EXPECT_EQ(e.purpose, "");
  EXPECT_EQ(e.outcome.reason, "");
  EXPECT_EQ(e.detail.size(), audit::kMaxDetailBytes);
  // Refusals before the ledger event is known: no purpose, no patient.
  TransferAuditFacts early;
  early.actor = f.actor;
  const audit::AuditEntry first =
      transfer_entry(audit::Action::kTransferRefused, early,
                     audit::Outcome{audit::OutcomeKind::kRefused, 400, "MALFORMED"}, "", 1000);
  EXPECT_TRUE(audit::validate(first).ok());
  EXPECT_FALSE(first.patient.has_value());
  EXPECT_EQ(first.purpose, "");
  EXPECT_EQ(first.detail, "");
}

TEST(TransferAuditTest, TheRestCallerIsItsClientOrAnonymous) {
  rest::RestRequest r;
  r.sender = "ehr";
  r.client_authenticated = true;
  EXPECT_EQ(rest_caller_actor(r).to_string(), "client:ehr");
  r.sender = "not a client name";
  EXPECT_EQ(rest_caller_actor(r).to_string(), "anonymous");
  r.sender = "https";
  r.client_authenticated = false;
  EXPECT_EQ(rest_caller_actor(r).to_string(), "anonymous");
}

TEST(TransferAuditTest, AppendsDurablyOrSkipsWithoutALog) {
  const audit::AuditEntry e =
      transfer_entry(audit::Action::kTransferSent, facts(),
                     audit::Outcome{audit::OutcomeKind::kSuccess, 0, ""}, "", 1000);
  EXPECT_TRUE(append_audit(nullptr, {&e, 1}).ok());
  store::testing::TempDir dir;
  auto log = audit::AuditLog::open(dir.file("audit.db"), audit::AuditKeys::random_for_tests());
  ASSERT_TRUE(log.ok()) << log.error().message();
  ASSERT_TRUE(append_audit(log->get(), {&e, 1}).ok());
  auto page = (*log)->query({});
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->entries.size(), 1u);
  EXPECT_EQ(page->entries[0].entry, e);
  // A broken entry writes nothing and says so.
  audit::AuditEntry bad = e;
  bad.time_ms = -1;
  EXPECT_FALSE(append_audit(log->get(), {&bad, 1}).ok());
  EXPECT_EQ((*log)->query({})->entries.size(), 1u);
}

}  // namespace
}  // namespace gw::transfer
