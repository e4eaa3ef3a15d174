// ER7 delimiters and escape sequences.
//
// Decoding turns the raw text of one element (a field, repetition, component
// or subcomponent, already split on delimiters) into UTF-8:
//
//   \F\ \S\ \T\ \R\ \E\   the field, component, subcomponent, repetition and
//                         escape characters
//   \P\                   the truncation character (v2.7+; only when MSH-2
//                         declares one, otherwise unrecognized)
//   \Xhhhh...\            the bytes hh.., interpreted in the message charset
//   \.br\                 "\n"
//   \.sp n\               n line breaks (n defaults to 1, rendered at most 8)
//   \.ce\                 "\n" (centering is not representable in text)
//   \.sk n\               n spaces (default 1, rendered at most 16)
//   \.fi\ \.nf\ \.in n\ \.ti n\ \H\ \N\ (all dropped)
//                         fill mode, indentation and highlighting have no
//                         plain-text rendering
//   \Zxxx\                locally defined; kept verbatim, escape chars included
//   \Cxxyy\ \Mxxyyzz\     ISO 2022 shifts: not supported; kept verbatim and
//                         flagged kUnsupportedEscape so callers can refuse
//                         the value instead of mapping mangled text
//
// An unterminated sequence (no closing escape char in the element), an empty
// one, an unknown one and a malformed \X sequence (a non-hex digit, an odd
// number of digits) are kept as literal text, escape characters included, and
// flagged kMalformedEscape, as common engines do: the text still reaches the
// FHIR record (a backslash is text), nothing is lost, and the gateway's ACK
// says where with an ERR segment of severity W (code 102, ERR-2 the element;
// never the text). Rendered amounts are capped so that output size stays
// a small constant multiple of input size.
#pragma once

#include <string>
#include <string_view>

#include "adapters/hl7/charset.h"

namespace gw::hl7 {

struct Delimiters {
  char field = '|';
  char component = '^';
  char repetition = '~';
  char escape = '\\';
  char subcomponent = '&';
  char truncation = 0;  // 0 when MSH-2 has only four characters (before v2.7)

  // MSH-2 as it should be written: "^~\&" or "^~\&#".
  std::string encoding_characters() const;
};

// Reads MSH-1 and MSH-2 (or FHS/BHS-1 and -2) from the start of a header
// segment: "MSH" + field separator + 4 or 5 encoding characters + field
// separator (or the end of the segment). All delimiters must be distinct
// printable ASCII, not letters or digits (which excludes CR, LF and space).
// On success sets *d and *msh2_end (offset just past MSH-2 in `segment`).
bool read_delimiters(std::string_view segment, Delimiters* d, size_t* msh2_end);

enum EscapeIssue : unsigned {
  kEscapeOk = 0,
  kMalformedEscape = 1u << 0,    // kept as literal text
  kUnsupportedEscape = 1u << 1,  // ISO 2022 \C \M kept verbatim
  kInvalidBytes = 1u << 2,       // bytes invalid in the charset, replaced by U+FFFD
  // \X bytes that decode to a control character (see find_control_character
  // in charset.h: \X00\, \X07\, \X7F\, C1; not \X09\, \X0A\, \X0D\). Decoded
  // as written; the parser refuses the message (data type error) whatever
  // ParseOptions::strict_escapes says.
  kControlChar = 1u << 3,
};

// Appends the UTF-8 decoding of `raw` to *out. Returns a mask of EscapeIssue.
unsigned decode_text(std::string_view raw, const Delimiters& d, Charset charset, std::string* out);

// Like decode_text but only reports the EscapeIssue mask, without output.
// Does not check charset validity (kInvalidBytes is only reported for \X).
unsigned check_escapes(std::string_view raw, const Delimiters& d, Charset charset);

// Appends `text` to *out escaped for ER7 with delimiters `d`: delimiter
// characters become \F\ \S\ \T\ \R\ \E\ (\P\), and control characters
// (including CR and LF) become \Xhh\, so the result can never split a segment
// or break MLLP framing. Bytes >= 0x80 are copied unchanged.
void append_escaped(std::string_view text, const Delimiters& d, std::string* out);
std::string escape_text(std::string_view text, const Delimiters& d);

}  // namespace gw::hl7
