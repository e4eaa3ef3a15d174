#include "fhir/validate/primitives.h"

#include <cstdint>
#include <cstring>

namespace gw::fhir::validation {
namespace {

using defs::PrimitiveKind;

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

// Reads exactly `n` digits at `pos` into `value`.
bool digits(std::string_view s, size_t& pos, int n, int& value) {
  if (pos + n > s.size()) return false;
  value = 0;
  for (int i = 0; i < n; ++i) {
    char c = s[pos + i];
    if (!is_digit(c)) return false;
    value = value * 10 + (c - '0');
  }
  pos += n;
  return true;
}

bool expect(std::string_view s, size_t& pos, char c) {
  if (pos >= s.size() || s[pos] != c) return false;
  ++pos;
  return true;
}

bool is_leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int days_in_month(int y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : kDays[m - 1];
}

// YYYY, YYYY-MM or YYYY-MM-DD; `parts` = 1, 2 or 3. Year 0000 is not allowed.
const char* parse_date(std::string_view s, size_t& pos, int& parts) {
  int y = 0, m = 0, d = 0;
  if (!digits(s, pos, 4, y)) return "year must be four digits";
  if (y == 0) return "year 0000 is not allowed";
  parts = 1;
  if (pos == s.size() || s[pos] != '-') return nullptr;
  ++pos;
  if (!digits(s, pos, 2, m) || m < 1 || m > 12) return "month must be 01 to 12";
  parts = 2;
  if (pos == s.size() || s[pos] != '-') return nullptr;
  ++pos;
  if (!digits(s, pos, 2, d) || d < 1) return "day must be two digits from 01";
  if (d > days_in_month(y, m)) return "day does not exist in that month";
  parts = 3;
  return nullptr;
}

// hh:mm:ss(.f+)?
const char* parse_time(std::string_view s, size_t& pos) {
  int h = 0, mi = 0, se = 0;
  if (!digits(s, pos, 2, h) || h > 23) return "hour must be 00 to 23";
  if (!expect(s, pos, ':') || !digits(s, pos, 2, mi) || mi > 59) return "minutes must be 00 to 59";
  if (!expect(s, pos, ':') || !digits(s, pos, 2, se) || se > 60)
    return "seconds are required and must be 00 to 60";
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    size_t start = pos;
    while (pos < s.size() && is_digit(s[pos])) ++pos;
    if (pos == start) return "fraction of a second needs digits";
  }
  return nullptr;
}

// Z | (+|-)hh:mm with hh 00-13 (any minutes) or 14:00.
const char* parse_zone(std::string_view s, size_t& pos) {
  if (pos >= s.size()) return "time zone is required when a time is given";
  if (s[pos] == 'Z') {
    ++pos;
    return nullptr;
  }
  if (s[pos] != '+' && s[pos] != '-') return "time zone must be Z or +hh:mm / -hh:mm";
  ++pos;
  int h = 0, m = 0;
  if (!digits(s, pos, 2, h) || !expect(s, pos, ':') || !digits(s, pos, 2, m) || m > 59 || h > 14 ||
      (h == 14 && m != 0))
    return "time zone offset must be between -14:00 and +14:00";
  return nullptr;
}

const char* check_date(std::string_view s) {
  size_t pos = 0;
  int parts = 0;
  if (const char* e = parse_date(s, pos, parts)) return e;
  return pos == s.size() ? nullptr : "not a date (YYYY, YYYY-MM or YYYY-MM-DD)";
}

const char* check_date_time(std::string_view s, bool instant) {
  size_t pos = 0;
  int parts = 0;
  if (const char* e = parse_date(s, pos, parts)) return e;
  if (pos == s.size()) return instant ? "instant needs date, time and time zone" : nullptr;
  if (parts != 3 || s[pos] != 'T') return "not a dateTime (date, then optional Thh:mm:ss and zone)";
  ++pos;
  if (const char* e = parse_time(s, pos)) return e;
  if (const char* e = parse_zone(s, pos)) return e;
  return pos == s.size() ? nullptr : "unexpected characters after the time zone";
}

const char* check_time(std::string_view s) {
  size_t pos = 0;
  if (const char* e = parse_time(s, pos)) return e;
  return pos == s.size() ? nullptr : "not a time (hh:mm:ss, no time zone)";
}

// -?[0-9]+ within [lo, hi].
const char* check_integer(std::string_view s, int64_t lo, int64_t hi) {
  size_t pos = 0;
  bool neg = !s.empty() && s[0] == '-';
  if (neg) ++pos;
  if (pos == s.size()) return "not an integer";
  int64_t v = 0;
  for (; pos < s.size(); ++pos) {
    if (!is_digit(s[pos])) return "not an integer (no fraction or exponent allowed)";
    v = v * 10 + (s[pos] - '0');
    if (v > int64_t{1} << 32) return "integer out of range";
  }
  if (neg) v = -v;
  if (v < lo || v > hi)
    return lo > 0    ? "must be a positive integer within 32 bits"
           : lo == 0 ? "must be a non-negative integer within 32 bits"
                     : "integer out of 32-bit range";
  return nullptr;
}

// True if no byte of `s` is below 0x21. Only for text that passed
// find_control_character: then its only bytes below 0x21 are whitespace
// (space, tab, CR, LF), and "none" means "no whitespace". Eight bytes at a
// time ("has a byte less than n", Bit Twiddling Hacks): URIs and codes are
// checked for every element.
bool has_no_space(std::string_view s) {
  constexpr uint64_t kOnes = 0x0101010101010101ull, kHighs = 0x8080808080808080ull;
  size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, s.data() + i, 8);
    if (((w - kOnes * 0x21) & ~w & kHighs) != 0) return false;
  }
  for (; i < s.size(); ++i)
    if (static_cast<unsigned char>(s[i]) < 0x21) return false;
  return true;
}

const char* check_code(std::string_view s) {
  if (has_no_space(s)) return nullptr;
  if (is_space(s.front()) || is_space(s.back()))
    return "code must not start or end with whitespace";
  for (size_t i = 1; i < s.size(); ++i)
    if (is_space(s[i]) && is_space(s[i - 1])) return "code must not contain repeated whitespace";
  return nullptr;
}

const char* check_uri(std::string_view s) {
  if (has_no_space(s)) return nullptr;
  for (char c : s)
    if (is_space(c)) return "URI must not contain whitespace";
  return nullptr;
}

const char* check_base64(std::string_view s) {
  size_t count = 0, pad = 0;
  for (char c : s) {
    if (is_space(c)) continue;
    bool alpha =
        (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || is_digit(c) || c == '+' || c == '/';
    if (c == '=') {
      ++pad;
    } else if (!alpha || pad > 0) {
      return alpha ? "base64 padding only at the end" : "not base64";
    }
    ++count;
  }
  if (count == 0 || count % 4 != 0 || pad > 2) return "base64 length must be a multiple of 4";
  return nullptr;
}

const char* check_xhtml(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && is_space(s[b])) ++b;
  while (e > b && is_space(s[e - 1])) --e;
  s = s.substr(b, e - b);
  if (s.size() < 6 || s.substr(0, 4) != "<div" || (s[4] != ' ' && s[4] != '>' && s[4] != '/') ||
      s.back() != '>')
    return "narrative must be a single xhtml div element";
  return nullptr;
}

}  // namespace

JsonType json_type_of(PrimitiveKind kind) {
  switch (kind) {
    case PrimitiveKind::kBoolean:
      return JsonType::kBool;
    case PrimitiveKind::kInteger:
    case PrimitiveKind::kUnsignedInt:
    case PrimitiveKind::kPositiveInt:
    case PrimitiveKind::kDecimal:
      return JsonType::kNumber;
    default:
      return JsonType::kString;
  }
}

bool is_fhir_id(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s)
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || is_digit(c) || c == '-' || c == '.'))
      return false;
  return true;
}

bool is_uuid_urn(std::string_view s) {
  constexpr std::string_view kPrefix = "urn:uuid:";
  if (s.size() != kPrefix.size() + 36 || s.substr(0, kPrefix.size()) != kPrefix) return false;
  s.remove_prefix(kPrefix.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!(is_digit(c) || (c >= 'a' && c <= 'f'))) {
      return false;
    }
  }
  return true;
}

bool is_oid_urn(std::string_view s) {
  constexpr std::string_view kPrefix = "urn:oid:";
  if (s.substr(0, kPrefix.size()) != kPrefix) return false;
  s.remove_prefix(kPrefix.size());
  if (s.size() < 3 || s[0] < '0' || s[0] > '2' || s[1] != '.') return false;
  size_t pos = 1;
  while (pos < s.size()) {
    if (s[pos] != '.') return false;
    ++pos;
    size_t start = pos;
    while (pos < s.size() && is_digit(s[pos])) ++pos;
    if (pos == start || (s[start] == '0' && pos - start > 1)) return false;
  }
  return true;
}

size_t find_control_character(std::string_view text) {
  auto control_at = [&](size_t i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if ((c < 0x20 && c != '\t' && c != '\r' && c != '\n') || c == 0x7F) return true;
    // C2 80..C2 9F (the JSON parser guarantees valid UTF-8).
    return c == 0xC2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) < 0xA0;
  };
  // Words of eight bytes with no byte below 0x20, no 0x7F and no 0xC2 (the
  // lead byte of U+0080-U+00BF) are skipped whole ("has a byte less than n"
  // and "has a zero byte" of Bit Twiddling Hacks): most text has none, and
  // tabs or line breaks only cost a look at their own word.
  constexpr uint64_t kOnes = 0x0101010101010101ull, kHighs = 0x8080808080808080ull;
  auto has_zero = [](uint64_t w) { return ((w - kOnes) & ~w & kHighs) != 0; };
  size_t i = 0;
  for (; i + 8 <= text.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, text.data() + i, 8);
    if (((w - kOnes * 0x20) & ~w & kHighs) == 0 && !has_zero(w ^ (kOnes * 0x7F)) &&
        !has_zero(w ^ (kOnes * 0xC2)))
      continue;
    for (size_t j = i; j < i + 8; ++j)
      if (control_at(j)) return j;
  }
  for (; i < text.size(); ++i)
    if (control_at(i)) return i;
  return std::string_view::npos;
}

const char* check_primitive(PrimitiveKind kind, std::string_view text) {
  if (text.empty()) return "empty value (ele-1: a value or children are required)";
  if (text.size() > kMaxStringBytes) return "value longer than 1 MB";
  if (json_type_of(kind) == JsonType::kString &&
      find_control_character(text) != std::string_view::npos)
    return "control character (only tab, CR and LF are allowed in text)";
  switch (kind) {
    case PrimitiveKind::kBoolean:
    case PrimitiveKind::kDecimal:  // JSON number grammar == R4 decimal regex
    case PrimitiveKind::kString:
    case PrimitiveKind::kMarkdown:
    case PrimitiveKind::kNotPrimitive:
      return nullptr;
    case PrimitiveKind::kInteger:
      return check_integer(text, INT32_MIN, INT32_MAX);
    case PrimitiveKind::kUnsignedInt:
      return check_integer(text, 0, INT32_MAX);
    case PrimitiveKind::kPositiveInt:
      return check_integer(text, 1, INT32_MAX);
    case PrimitiveKind::kCode:
      return check_code(text);
    case PrimitiveKind::kId:
      return is_fhir_id(text) ? nullptr : "id must be 1 to 64 of A-Z a-z 0-9 - .";
    case PrimitiveKind::kUri:
    case PrimitiveKind::kUrl:
    case PrimitiveKind::kCanonical:
      return check_uri(text);
    case PrimitiveKind::kOid:
      return is_oid_urn(text) ? nullptr : "not an OID URN (urn:oid:...)";
    case PrimitiveKind::kUuid:
      return is_uuid_urn(text) ? nullptr : "not a UUID URN (urn:uuid: and lower-case hex)";
    case PrimitiveKind::kBase64Binary:
      return check_base64(text);
    case PrimitiveKind::kInstant:
      return check_date_time(text, true);
    case PrimitiveKind::kDate:
      return check_date(text);
    case PrimitiveKind::kDateTime:
      return check_date_time(text, false);
    case PrimitiveKind::kTime:
      return check_time(text);
    case PrimitiveKind::kXhtml:
      return check_xhtml(text);
  }
  return nullptr;
}

}  // namespace gw::fhir::validation
