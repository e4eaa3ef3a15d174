// The store's verdicts as HL7 acknowledgements.
#include "gateway/pipeline/ack_mapping.h"

#include <gtest/gtest.h>

namespace gw::pipeline {
namespace {

using Kind = store::CommitResult::Kind;

TEST(AckMappingTest, StoredAndDuplicateKeepTheAnswerDecidedBeforeTheCommit) {
  for (Kind k : {Kind::kStored, Kind::kDuplicate, Kind::kDuplicateConflict}) {
    const AckMapping m = ack_for_commit(k);
    EXPECT_EQ(m.outcome, hl7::Outcome::kAccept);
    EXPECT_EQ(m.code, hl7::ErrorCode::kMessageAccepted);
  }
}

TEST(AckMappingTest, WhatWasNotStoredIsRefusedWith207SoTheSenderResends) {
  for (Kind k : {Kind::kFailed, Kind::kConflict}) {
    const AckMapping m = ack_for_commit(k);
    EXPECT_EQ(m.outcome, hl7::Outcome::kReject);  // AR / CR: resend later
    EXPECT_EQ(m.code, hl7::ErrorCode::kApplicationInternalError);
    EXPECT_EQ(m.detail, "message could not be stored; resend later");
  }
}

}  // namespace
}  // namespace gw::pipeline
