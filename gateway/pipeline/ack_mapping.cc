#include "gateway/pipeline/ack_mapping.h"

namespace gw::pipeline {

AckMapping ack_for_commit(store::CommitResult::Kind kind) {
  switch (kind) {
    case store::CommitResult::Kind::kStored:
    case store::CommitResult::Kind::kDuplicate:
    // Stored in the error queue; answered with the conflict's acknowledgement
    // (AE/CE 205), decided before the commit like any other answer.
    case store::CommitResult::Kind::kDuplicateConflict:
      return {};
    // v2 records carry no expected version, so a conflict should not happen;
    // should it, nothing was stored, as for a failure.
    case store::CommitResult::Kind::kConflict:
    case store::CommitResult::Kind::kFailed:
      return {hl7::Outcome::kReject, hl7::ErrorCode::kApplicationInternalError,
              "message could not be stored; resend later"};
  }
  return {hl7::Outcome::kReject, hl7::ErrorCode::kApplicationInternalError,
          "message could not be stored; resend later"};
}

}  // namespace gw::pipeline
