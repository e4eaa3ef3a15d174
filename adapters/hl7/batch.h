// HL7 v2 batch files:
//
//   [FHS] { [BHS] { MSH ... } [BTS] } [FTS]
//
// split_batch() finds the message boundaries (every MSH starts a message that
// runs until the next MSH/BHS/BTS/FHS/FTS) and reads the batch envelope. A
// file of plain concatenated messages (no FHS/BHS) is one implicit batch.
// Messages are returned as views into the input (same lifetime rule as
// parse()); parse each one with parse(), or use parse_batch(). A UTF-8
// byte-order mark before a line and MLLP frame bytes (VT, FS) around
// messages, as in a capture of an MLLP stream, are skipped and noted.
//
// Envelope problems are reported but do not hide the messages found:
//   - BTS-1 (batch message count) or FTS-1 (file batch count) that is not a
//     number or differs from what the file holds: kDataType at BTS-1/FTS-1.
//     With no BHS at all, FTS-1 may be 0 or 1.
//   - FHS not first, BHS/BTS/FTS out of order, a missing BTS or FTS, or
//     segments outside any message: kSegmentSequence.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/hl7/er7.h"

namespace gw::hl7 {

// FHS or BHS. Strings are decoded except the four raw application/facility
// fields, kept as ER7 text like Header's.
struct BatchHeader {
  std::string segment_id;  // "FHS" or "BHS"
  Delimiters delimiters;
  std::string sending_application, sending_facility;      // -3, -4 (raw ER7)
  std::string receiving_application, receiving_facility;  // -5, -6 (raw ER7)
  std::string creation_time;                              // -7
  std::string security;                                   // -8
  std::string name_id_type;                               // -9  file/batch name, id, type
  std::string comment;                                    // -10
  std::string control_id;                                 // -11
  std::string reference_control_id;                       // -12
};

// BTS or FTS.
struct BatchTrailer {
  std::string segment_id;     // "BTS" or "FTS"
  std::optional<long> count;  // BTS-1 / FTS-1 when valued and numeric
  std::string comment;        // -2
};

struct Batch {
  std::optional<BatchHeader> header;    // BHS, if any
  std::optional<BatchTrailer> trailer;  // BTS, if any
  std::vector<std::string_view> messages;
};

struct BatchFile {
  std::optional<BatchHeader> file_header;    // FHS
  std::optional<BatchTrailer> file_trailer;  // FTS
  std::vector<Batch> batches;
  std::vector<Error> errors;  // envelope problems; locations index lines of the file
  std::vector<Error> notes;   // information (a byte-order mark skipped); same locations

  size_t message_count() const;
};

// Bounded by limits.max_batch_bytes, max_batch_messages and max_errors
// (exceeding the first two is an error and stops the split).
BatchFile split_batch(std::string_view data, const Limits& limits = {}) noexcept;

struct ParsedBatch {
  BatchFile file;
  std::vector<ParseResult> messages;  // one per message, in file order
};
ParsedBatch parse_batch(std::string_view data, const ParseOptions& options = {}) noexcept;

}  // namespace gw::hl7
