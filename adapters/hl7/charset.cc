#include "adapters/hl7/charset.h"

#include <cstdint>
#include <cstring>

namespace gw::hl7 {
namespace {

bool EqualsNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'a' && x <= 'z') x = static_cast<char>(x - 'a' + 'A');
    if (y >= 'a' && y <= 'z') y = static_cast<char>(y - 'a' + 'A');
    if (x != y) return false;
  }
  return true;
}

// Length of the well-formed UTF-8 sequence starting at p[0] (p < end), or 0 if
// it is ill-formed (RFC 3629 table 3-7).
size_t Utf8SequenceLength(const unsigned char* p, const unsigned char* end) {
  unsigned char c = p[0];
  if (c < 0x80) return 1;
  size_t avail = static_cast<size_t>(end - p);
  auto cont = [](unsigned char b) { return (b & 0xC0) == 0x80; };
  if (c >= 0xC2 && c <= 0xDF) return avail >= 2 && cont(p[1]) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    if (avail < 3 || !cont(p[1]) || !cont(p[2])) return 0;
    if (c == 0xE0 && p[1] < 0xA0) return 0;  // overlong
    if (c == 0xED && p[1] > 0x9F) return 0;  // surrogate
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (avail < 4 || !cont(p[1]) || !cont(p[2]) || !cont(p[3])) return 0;
    if (c == 0xF0 && p[1] < 0x90) return 0;  // overlong
    if (c == 0xF4 && p[1] > 0x8F) return 0;  // above U+10FFFF
    return 4;
  }
  return 0;
}

// Skips ASCII eight bytes at a time; returns the first byte >= 0x80 or end.
const unsigned char* SkipAscii(const unsigned char* p, const unsigned char* end) {
  while (end - p >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    if (w & 0x8080808080808080ull) break;
    p += 8;
  }
  while (p < end && *p < 0x80) ++p;
  return p;
}

void AppendCodePoint(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// ISO 8859-15 differs from 8859-1 in eight positions: {byte, code point}.
struct Latin9Diff {
  unsigned char byte;
  uint32_t code_point;
};
constexpr Latin9Diff kLatin9Diffs[] = {
    {0xA4, 0x20AC},  // EURO SIGN
    {0xA6, 0x0160}, {0xA8, 0x0161}, {0xB4, 0x017D}, {0xB8, 0x017E},
    {0xBC, 0x0152}, {0xBD, 0x0153}, {0xBE, 0x0178},
};

uint32_t Latin9ToCodePoint(unsigned char c) {
  for (const Latin9Diff& d : kLatin9Diffs) {
    if (d.byte == c) return d.code_point;
  }
  return c;
}

// Windows-1252 0x80-0x9F; 0 = undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D).
constexpr uint16_t kCp1252High[32] = {
    0x20AC, 0,      0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0,      0x017D, 0,      0,      0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0,      0x017E, 0x0178,
};

// The code point of a Windows-1252 byte >= 0x80, or 0 if undefined.
uint32_t Cp1252ToCodePoint(unsigned char c) { return c >= 0xA0 ? c : kCp1252High[c - 0x80]; }

// The byte for `cp` in an 8-bit charset, or -1 if it has none.
int CodePointToByte(uint32_t cp, Charset cs) {
  if (cp < 0x80) return static_cast<int>(cp);
  if (cs == Charset::kWindows1252) {
    if (cp >= 0xA0 && cp <= 0xFF) return static_cast<int>(cp);
    for (int i = 0; i < 32; ++i)
      if (kCp1252High[i] != 0 && kCp1252High[i] == cp) return 0x80 + i;
    return -1;
  }
  if (cs == Charset::kLatin1) return cp <= 0xFF ? static_cast<int>(cp) : -1;
  if (cs == Charset::kLatin9) {
    for (const Latin9Diff& d : kLatin9Diffs) {
      if (d.code_point == cp) return d.byte;
      if (d.byte == cp) return -1;  // replaced in 8859-15
    }
    return cp <= 0xFF ? static_cast<int>(cp) : -1;
  }
  return -1;  // ASCII
}

constexpr char kReplacement[] = "\xEF\xBF\xBD";  // U+FFFD

}  // namespace

bool lookup_charset(std::string_view name, Charset* out) {
  while (!name.empty() && name.front() == ' ') name.remove_prefix(1);
  while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
  struct Entry {
    std::string_view name;
    Charset charset;
  };
  static constexpr Entry kNames[] = {
      {"ASCII", Charset::kAscii},        {"US-ASCII", Charset::kAscii},
      {"8859/1", Charset::kLatin1},      {"ISO-8859-1", Charset::kLatin1},
      {"ISO_IR 100", Charset::kLatin1},  {"8859/15", Charset::kLatin9},
      {"ISO-8859-15", Charset::kLatin9}, {"UNICODE UTF-8", Charset::kUtf8},
      {"UTF-8", Charset::kUtf8},         {"UTF8", Charset::kUtf8},
      {"CP1252", Charset::kWindows1252}, {"WINDOWS-1252", Charset::kWindows1252},
  };
  for (const Entry& e : kNames) {
    if (EqualsNoCase(name, e.name)) {
      *out = e.charset;
      return true;
    }
  }
  return false;
}

const char* charset_name(Charset charset) {
  switch (charset) {
    case Charset::kAscii:
      return "ASCII";
    case Charset::kLatin1:
      return "8859/1";
    case Charset::kLatin9:
      return "8859/15";
    case Charset::kUtf8:
      return "UNICODE UTF-8";
    case Charset::kWindows1252:
      return "CP1252";
  }
  return "ASCII";
}

size_t find_invalid_byte(std::string_view bytes, Charset charset) {
  const auto* begin = reinterpret_cast<const unsigned char*>(bytes.data());
  const auto* end = begin + bytes.size();
  switch (charset) {
    case Charset::kLatin1:
    case Charset::kLatin9:
      return std::string_view::npos;
    case Charset::kWindows1252:
      for (const auto* p = SkipAscii(begin, end); p < end; p = SkipAscii(p + 1, end))
        if (Cp1252ToCodePoint(*p) == 0) return static_cast<size_t>(p - begin);
      return std::string_view::npos;
    case Charset::kAscii: {
      const auto* p = SkipAscii(begin, end);
      return p == end ? std::string_view::npos : static_cast<size_t>(p - begin);
    }
    case Charset::kUtf8: {
      const auto* p = begin;
      while (true) {
        p = SkipAscii(p, end);
        if (p == end) return std::string_view::npos;
        size_t n = Utf8SequenceLength(p, end);
        if (n == 0) return static_cast<size_t>(p - begin);
        p += n;
      }
    }
  }
  return 0;
}

size_t find_control_character(std::string_view bytes, Charset charset) {
  const bool c1_bytes = charset == Charset::kLatin1 || charset == Charset::kLatin9;
  const bool c1_utf8 = charset == Charset::kUtf8;
  for (size_t i = 0; i < bytes.size(); ++i) {
    const auto c = static_cast<unsigned char>(bytes[i]);
    if (c < 0x20) {
      if (c != '\t' && c != '\r' && c != '\n') return i;
    } else if (c == 0x7F) {
      return i;
    } else if (c >= 0x80) {
      if (c1_bytes && c <= 0x9F) return i;
      if (c1_utf8 && c == 0xC2 && i + 1 < bytes.size() &&
          static_cast<unsigned char>(bytes[i + 1]) >= 0x80 &&
          static_cast<unsigned char>(bytes[i + 1]) <= 0x9F)
        return i;
    }
  }
  return std::string_view::npos;
}

bool append_as_utf8(std::string_view bytes, Charset charset, std::string* out) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  const auto* end = p + bytes.size();
  bool valid = true;
  while (p < end) {
    const auto* ascii_end = SkipAscii(p, end);
    out->append(reinterpret_cast<const char*>(p), static_cast<size_t>(ascii_end - p));
    p = ascii_end;
    if (p == end) break;
    switch (charset) {
      case Charset::kAscii:
        out->append(kReplacement);
        valid = false;
        ++p;
        break;
      case Charset::kLatin1:
        AppendCodePoint(*p++, out);
        break;
      case Charset::kLatin9:
        AppendCodePoint(Latin9ToCodePoint(*p++), out);
        break;
      case Charset::kWindows1252:
        if (uint32_t cp = Cp1252ToCodePoint(*p++); cp != 0) {
          AppendCodePoint(cp, out);
        } else {
          out->append(kReplacement);
          valid = false;
        }
        break;
      case Charset::kUtf8: {
        size_t n = Utf8SequenceLength(p, end);
        if (n == 0) {
          out->append(kReplacement);
          valid = false;
          ++p;
        } else {
          out->append(reinterpret_cast<const char*>(p), n);
          p += n;
        }
        break;
      }
    }
  }
  return valid;
}

std::string utf8_to_charset(std::string_view utf8, Charset cs) {
  if (cs == Charset::kUtf8) return std::string(utf8);
  std::string out;
  out.reserve(utf8.size());
  const auto* p = reinterpret_cast<const unsigned char*>(utf8.data());
  const auto* end = p + utf8.size();
  while (p < end) {
    size_t n = Utf8SequenceLength(p, end);
    if (n == 0) {  // not UTF-8 after all
      out.push_back('?');
      ++p;
      continue;
    }
    uint32_t cp = n == 1   ? p[0]
                  : n == 2 ? (p[0] & 0x1Fu)
                  : n == 3 ? (p[0] & 0x0Fu)
                           : (p[0] & 0x07u);
    for (size_t k = 1; k < n; ++k) cp = (cp << 6) | (p[k] & 0x3Fu);
    p += n;
    int byte = CodePointToByte(cp, cs);
    out.push_back(byte < 0 ? '?' : static_cast<char>(byte));
  }
  return out;
}

}  // namespace gw::hl7
