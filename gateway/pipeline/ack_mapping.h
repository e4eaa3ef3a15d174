// What an HL7 v2 sender is told when the store decides a submission: the one
// mapping from the store's verdict (store::CommitResult::Kind) to an
// acknowledgement outcome (AA/AE/AR, or CA/CE/CR in enhanced mode, chosen by
// hl7::decide_ack from the outcome) and the HL7 table 0357 code of its ERR
// segment. Its HTTP counterpart is gateway/rest/http_mapping.h.
//
// It lives in the pipeline, not in gateway/base, because ACK codes are HL7
// (adapters/hl7) and the base depends on nothing; REST does not depend on
// HL7, so each protocol keeps its own single mapping, side by side with the
// code that answers in it.
#pragma once

#include <string_view>

#include "adapters/hl7/ack.h"
#include "adapters/hl7/error.h"
#include "gateway/store/message_store.h"

namespace gw::pipeline {

struct AckMapping {
  // kAccept: answered as decided before the commit (the ACK stored with the
  // message, or for a duplicate the original's). kReject (AR/CR): the
  // message was not stored and the sender should keep it and resend later.
  hl7::Outcome outcome = hl7::Outcome::kAccept;
  hl7::ErrorCode code = hl7::ErrorCode::kMessageAccepted;  // for the ERR segment when not accepted
  std::string_view detail;                                 // ERR-8 text when not accepted (no PHI)
};

AckMapping ack_for_commit(store::CommitResult::Kind kind);

}  // namespace gw::pipeline
