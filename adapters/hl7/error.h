// Error values for the HL7 v2 adapter.
//
// Every problem found in an inbound message is reported as an Error carrying
// an HL7 table 0357 code and the location of the problem (segment, field,
// repetition, component, subcomponent). The detail text is built only from
// fixed strings and numbers chosen by this module: it never contains bytes of
// the message, because errors are logged and echoed in ACKs while message
// content is patient data. Keep it that way when adding new errors.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "gateway/base/status.h"

namespace gw::hl7 {

// HL7 table 0357 (message error condition codes).
enum class ErrorCode : int {
  kMessageAccepted = 0,
  kSegmentSequence = 100,
  kRequiredFieldMissing = 101,
  kDataType = 102,
  kTableValueNotFound = 103,
  kValueTooLong = 104,  // added to table 0357 in v2.7; used here for every configured limit
  kUnsupportedMessageType = 200,
  kUnsupportedEventCode = 201,
  kUnsupportedProcessingId = 202,
  kUnsupportedVersionId = 203,
  kUnknownKeyIdentifier = 204,
  kDuplicateKeyIdentifier = 205,
  kApplicationRecordLocked = 206,
  kApplicationInternalError = 207,
};

// The table 0357 display text, e.g. "Data type error". Never null.
const char* error_code_text(ErrorCode code);

// ERR-4 severity (HL7 table 0516).
enum class Severity : char { kError = 'E', kWarning = 'W', kInformation = 'I' };

// Where a problem is. Zero means "not applicable / unknown" for every number.
// segment_id is only filled for identifiers that cannot be message content: a
// standard HL7 segment id or a Z-segment id. For anything else (e.g. a line of
// free text split off by a stray line break) only segment_index is set.
struct ErrorLocation {
  std::string segment_id;    // "PID"
  int segment_sequence = 0;  // 1-based occurrence of segment_id in the message (ERL-2)
  int segment_index = 0;     // 1-based position of the segment in the message
  int field = 0;
  int repetition = 0;
  int component = 0;
  int subcomponent = 0;

  // "PID(2)-3(1).4.2" style; empty when nothing is known.
  std::string to_string() const;
};

struct Error {
  ErrorCode code = ErrorCode::kApplicationInternalError;
  ErrorLocation where;
  std::string detail;  // generic description; never message content
  Severity severity = Severity::kError;

  // "PID(1)-5: Data type error (102): invalid UTF-8 sequence". Safe to log.
  std::string to_string() const;
};

// Three characters: an uppercase letter, then uppercase letters or digits.
bool is_valid_segment_id(std::string_view id);

// True for ids that are structure, never content: the standard HL7 v2 segment
// ids and Z-segments ("ZPD"). Only such ids are copied into ErrorLocation.
bool is_reportable_segment_id(std::string_view id);

// A value or an Error: the shared gw::Result with the HL7 payload in the
// error slot (the table 0357 code and location ride along to the ACK).
template <typename T>
using Result = gw::Result<T, Error>;

}  // namespace gw::hl7
