// HL7 v2 acknowledgements: deciding whether and how to acknowledge, building
// ACK messages, and reading ACKs received from a peer.
//
// Acknowledgement modes (HL7 v2.5 ch. 2.9):
//   original mode  - MSH-15 and MSH-16 both empty: always answer, AA/AE/AR.
//   enhanced mode  - either one valued: the accept acknowledgement (CA/CE/CR)
//                    is sent according to MSH-15: AL always, NE never, ER only
//                    on error or reject, SU only on success. Empty or unknown
//                    MSH-15 in enhanced mode is treated as AL (answering is the
//                    safe side: an unanswered sender retransmits forever).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/hl7/er7.h"
#include "gateway/base/status.h"

namespace gw::hl7 {

enum class AckCode : unsigned char { kAA, kAE, kAR, kCA, kCE, kCR };
const char* ack_code_text(AckCode code);  // "AA", "CE", ...
bool parse_ack_code(std::string_view text, AckCode* out);

enum class Outcome : unsigned char {
  kAccept,  // stored / processed
  kError,   // the message is in error (AE / CE): do not resend unchanged
  kReject,  // rejected for a reason not in the message (AR / CR): may resend
};

struct AckDecision {
  bool send = false;
  AckCode code = AckCode::kAA;
};

// The accept-level acknowledgement for a message with this header.
AckDecision decide_ack(const Header& incoming, Outcome outcome) noexcept;
// The application-level acknowledgement per MSH-16 (enhanced mode only; in
// original mode this is the same as decide_ack). Codes AA/AE/AR.
AckDecision decide_application_ack(const Header& incoming, Outcome outcome) noexcept;

struct AckParams {
  std::string control_id;     // MSH-10 of the ACK itself
  std::string timestamp;      // MSH-7, HL7 DTM text, e.g. "20240315103005+0100"
  std::string text;           // MSA-3 (written for versions before 2.7, where it exists)
  std::vector<Error> errors;  // one ERR segment each
  // MSH-3/MSH-4 of the ACK as raw ER7 (in the incoming delimiters). When
  // empty, the incoming MSH-5/MSH-6 are echoed.
  std::string sending_application, sending_facility;
};

// Builds the ACK, segments terminated by '\r':
//   MSH with the incoming delimiters; MSH-3/4 = incoming MSH-5/6 and MSH-5/6 =
//   incoming MSH-3/4 echoed as received; MSH-7 p.timestamp; MSH-9
//   ACK^<incoming trigger>^ACK; MSH-10 p.control_id; MSH-11 and MSH-12 echo
//   the incoming processing and version ids; MSH-18 echoes the charset when
//   this module supports it (an unsupported one, the usual reason for a
//   reject, is left out and the ACK written in UTF-8 so it stays readable).
//   MSA: code, incoming MSH-10 [, text].
//   ERR per error: v2.5+: ERR-2 location (ERL), ERR-3 code^text^HL70357,
//   ERR-4 severity, ERR-8 detail (plus the location when it has no segment
//   id). For versions before 2.5: ERR-1 seg^seq^field^code&text&HL70357,
//   and MSA-3 carries the first error's description when p.text is empty
//   (ELD has no room for it). An empty or unparsable MSH-12 gets the 2.5 form.
// Every text is escaped with the incoming delimiters and written in the
// incoming charset (UTF-8 when MSH-18 is empty or unsupported; characters it cannot
// hold become '?'). Echoed raw fields have control characters and field
// separators escaped so the ACK can never break a segment or MLLP framing;
// an echoed raw field longer than 1024 bytes, with more than 8 component,
// subcomponent or repetition separators (an HD has 3 components), or holding
// bytes invalid in the declared charset, is left empty.
std::string build_ack(const Header& incoming, AckCode code, const AckParams& p) noexcept;

// For frames whose MSH could not be read. Salvages what it safely can from a
// leading MSH (delimiters if valid, MSH-3..6, -9.2, -10, -11, -12, -18);
// otherwise default delimiters and empty fields, with MSA-2 empty.
std::string build_ack_for_unparseable(std::string_view raw, AckCode code,
                                      const AckParams& p) noexcept;

// What a peer's ACK says.
struct AckSummary {
  std::string code;                 // MSA-1 as received ("AA", "CE", ...)
  std::optional<AckCode> ack_code;  // when MSA-1 is a known code
  std::string control_id;           // MSA-2: the acknowledged message's MSH-10
  std::string text;                 // MSA-3
  std::string message_control_id;   // MSH-10 of the ACK itself

  struct Err {
    std::string code;           // ERR-3.1, or ERR-1.4.1 in the old form
    std::string text;           // ERR-3.2 / ERR-1.4.2
    std::string coding_system;  // ERR-3.3 / ERR-1.4.3
    std::string severity;       // ERR-4 (empty in the old form)
    std::string diagnostic;     // ERR-7
    std::string user_message;   // ERR-8
    ErrorLocation where;        // ERR-2 (ERL) / ERR-1.1-3
  };
  std::vector<Err> errors;

  bool accepted() const { return ack_code == AckCode::kAA || ack_code == AckCode::kCA; }
};

// Parses an ACK. Errors (kInvalidArgument) carry a description that never
// contains message content.
gw::Result<AckSummary> read_ack(std::string_view ack, const ParseOptions& options = {}) noexcept;

}  // namespace gw::hl7
