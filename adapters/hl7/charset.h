// Character sets named by MSH-18 and their conversion to UTF-8.
//
// Only the standard library is used, so only character sets whose mapping is
// trivially correct are supported: ASCII, ISO 8859-1, ISO 8859-15 and UTF-8.
// Everything else (ISO 2022 shifts, UTF-16, JIS, GB 18030, ...) is rejected
// by name rather than guessed at.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace gw::hl7 {

enum class Charset : unsigned char {
  kAscii,   // MSH-18 "ASCII": bytes >= 0x80 are invalid
  kLatin1,  // "8859/1"
  kLatin9,  // "8859/15"
  kUtf8,    // "UNICODE UTF-8"
  // Windows-1252, not in table 0211 but what many Windows-based senders
  // declare ("CP1252", "WINDOWS-1252"): 8859-1 plus printable characters in
  // 0x80-0x9F; the five bytes it leaves undefined are invalid.
  kWindows1252,
};

// Looks up an MSH-18 value (first repetition, already unescaped). Accepts the
// HL7 table 0211 codes and, case-insensitively, the common IANA aliases some
// senders use ("UTF-8", "ISO-8859-1", "ISO-8859-15", "US-ASCII"). Surrounding
// spaces are ignored. Returns false for an unknown or empty name.
bool lookup_charset(std::string_view msh18, Charset* out);

// The HL7 table 0211 code ("8859/1").
const char* charset_name(Charset charset);

// Offset of the first byte that is not valid in `charset` (for UTF-8, the start
// of the first ill-formed sequence: overlongs, surrogates and code points above
// U+10FFFF are ill-formed), or std::string_view::npos if all bytes are valid.
size_t find_invalid_byte(std::string_view bytes, Charset charset);

// Offset of the first control character in `bytes` read in `charset`, or
// std::string_view::npos. Control characters are the C0 controls except TAB,
// CR and LF (0x00-0x08, 0x0B, 0x0C, 0x0E-0x1F), DEL (0x7F) and the C1
// controls U+0080-U+009F: bytes 0x80-0x9F in ISO 8859-1 and 8859-15, the
// sequences C2 80..C2 9F in UTF-8 (none exist in ASCII, and Windows-1252 has
// printable characters there). None of them is text: FHIR strings may not hold
// them, XML cannot, and a NUL truncates the value in any C-string consumer, so
// the parser refuses them (data type error) wherever they appear. Invalid
// bytes are not controls (find_invalid_byte reports them).
size_t find_control_character(std::string_view bytes, Charset charset);

// Appends `bytes`, encoded in `charset`, to *out as UTF-8. Invalid bytes are
// replaced by U+FFFD. Returns false if any replacement was made.
bool append_as_utf8(std::string_view bytes, Charset charset, std::string* out);

// Re-encodes UTF-8 text into `charset`. Characters the charset cannot hold,
// and ill-formed UTF-8 bytes, become '?'. For writing outbound messages (ACKs)
// in the charset their MSH-18 declares.
std::string utf8_to_charset(std::string_view utf8, Charset charset);

// True if `bytes` is well-formed UTF-8.
inline bool is_valid_utf8(std::string_view bytes) {
  return find_invalid_byte(bytes, Charset::kUtf8) == std::string_view::npos;
}

}  // namespace gw::hl7
