#include "adapters/hl7/escape.h"

#include <cstring>

namespace gw::hl7 {
namespace {

constexpr int kMaxLineBreaks = 8;
constexpr int kMaxSpaces = 16;

bool IsDelimiterChar(char c) {
  auto u = static_cast<unsigned char>(c);
  if (u < 0x21 || u > 0x7E) return false;  // control, space, DEL, 8-bit
  return !((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'));
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// Parses the optional count after a formatting command (".sp 2", ".sk3").
// Missing or unparsable counts mean 1; large counts saturate at `cap`.
int FormatCount(std::string_view arg, int cap) {
  while (!arg.empty() && (arg.front() == ' ' || arg.front() == '+')) arg.remove_prefix(1);
  if (arg.empty() || arg.front() < '0' || arg.front() > '9') return 1;
  int n = 0;
  for (char c : arg) {
    if (c < '0' || c > '9') break;
    n = n * 10 + (c - '0');
    if (n >= cap) return cap;
  }
  return n;
}

// The decoding state machine, shared by decode_text (Sink appends) and
// check_escapes (Sink discards). `Emit*` calls go to the sink.
struct NullSink {
  void Literal(std::string_view) {}
  void Char(char) {}
  void Bytes(std::string_view) {}
  void Repeat(char, int) {}
  unsigned issues = 0;
};

struct StringSink {
  StringSink(Charset cs, std::string* o) : charset(cs), out(o) {}
  void Literal(std::string_view s) {
    if (!append_as_utf8(s, charset, out)) issues |= kInvalidBytes;
  }
  void Char(char c) { out->push_back(c); }
  void Bytes(std::string_view s) { Literal(s); }
  void Repeat(char c, int n) { out->append(static_cast<size_t>(n), c); }
  Charset charset;
  std::string* out;
  unsigned issues = 0;
};

// Validates a \X sequence payload; on success appends its bytes to *bytes
// (when non-null).
bool DecodeHex(std::string_view hex, std::string* bytes) {
  if (hex.size() % 2 != 0) return false;
  for (size_t i = 0; i < hex.size(); i += 2) {
    int hi = HexValue(hex[i]), lo = HexValue(hex[i + 1]);
    if (hi < 0 || lo < 0) return false;
    if (bytes) bytes->push_back(static_cast<char>(hi * 16 + lo));
  }
  return true;
}

template <typename Sink>
unsigned Decode(std::string_view raw, const Delimiters& d, Charset charset, Sink& sink) {
  unsigned issues = 0;
  std::string hex_bytes;
  size_t pos = 0;
  while (pos < raw.size()) {
    size_t esc = raw.find(d.escape, pos);
    if (esc == std::string_view::npos) {
      sink.Literal(raw.substr(pos));
      break;
    }
    if (esc > pos) sink.Literal(raw.substr(pos, esc - pos));
    size_t close = raw.find(d.escape, esc + 1);
    if (close == std::string_view::npos) {  // unterminated: the rest is literal
      issues |= kMalformedEscape;
      sink.Literal(raw.substr(esc));
      break;
    }
    std::string_view body = raw.substr(esc + 1, close - esc - 1);
    std::string_view whole = raw.substr(esc, close - esc + 1);
    pos = close + 1;
    if (body.size() == 1) {
      char c = body[0];
      if (c == 'F') {
        sink.Char(d.field);
      } else if (c == 'S') {
        sink.Char(d.component);
      } else if (c == 'T') {
        sink.Char(d.subcomponent);
      } else if (c == 'R') {
        sink.Char(d.repetition);
      } else if (c == 'E') {
        sink.Char(d.escape);
      } else if (c == 'P' && d.truncation != 0) {
        sink.Char(d.truncation);
      } else if (c == 'H' || c == 'N') {
        // Highlighting has no plain-text rendering.
      } else if (c == 'X') {
        // \X\: no bytes.
      } else {
        issues |= kMalformedEscape;
        sink.Literal(whole);
      }
      continue;
    }
    if (body.empty()) {
      issues |= kMalformedEscape;
      sink.Literal(whole);
      continue;
    }
    switch (body[0]) {
      case 'X': {
        hex_bytes.clear();
        if (DecodeHex(body.substr(1), &hex_bytes)) {
          if (find_invalid_byte(hex_bytes, charset) != std::string_view::npos) {
            issues |= kInvalidBytes;
          }
          if (find_control_character(hex_bytes, charset) != std::string_view::npos) {
            issues |= kControlChar;
          }
          sink.Bytes(hex_bytes);
        } else {
          issues |= kMalformedEscape;
          sink.Literal(whole);
        }
        break;
      }
      case 'Z':
        sink.Literal(whole);
        break;
      case 'C':
      case 'M':
        issues |= kUnsupportedEscape;
        sink.Literal(whole);
        break;
      case '.': {
        std::string_view cmd = body.substr(1, 2);
        std::string_view arg = body.substr(cmd.size() + 1);
        if (cmd == "br" && arg.empty()) {
          sink.Char('\n');
        } else if (cmd == "sp") {
          sink.Repeat('\n', FormatCount(arg, kMaxLineBreaks));
        } else if (cmd == "sk") {
          sink.Repeat(' ', FormatCount(arg, kMaxSpaces));
        } else if (cmd == "ce" && arg.empty()) {
          sink.Char('\n');
        } else if ((cmd == "fi" || cmd == "nf") && arg.empty()) {
        } else if (cmd == "in" || cmd == "ti") {
        } else {
          issues |= kMalformedEscape;
          sink.Literal(whole);
        }
        break;
      }
      default:
        issues |= kMalformedEscape;
        sink.Literal(whole);
        break;
    }
  }
  return issues | sink.issues;
}

}  // namespace

std::string Delimiters::encoding_characters() const {
  std::string s{component, repetition, escape, subcomponent};
  if (truncation != 0) s.push_back(truncation);
  return s;
}

bool read_delimiters(std::string_view segment, Delimiters* d, size_t* msh2_end) {
  if (segment.size() < 8) return false;  // "MSH" + sep + 4 encoding chars
  Delimiters r;
  r.field = segment[3];
  size_t end = 4;
  while (end < segment.size() && segment[end] != r.field && segment[end] != '\r' &&
         segment[end] != '\n') {
    ++end;
  }
  size_t n = end - 4;
  if (n != 4 && n != 5) return false;
  r.component = segment[4];
  r.repetition = segment[5];
  r.escape = segment[6];
  r.subcomponent = segment[7];
  if (n == 5) r.truncation = segment[8];
  const char all[] = {r.field, r.component, r.repetition, r.escape, r.subcomponent, r.truncation};
  size_t count = n + 1;
  for (size_t i = 0; i < count; ++i) {
    if (!IsDelimiterChar(all[i])) return false;
    for (size_t j = 0; j < i; ++j) {
      if (all[i] == all[j]) return false;
    }
  }
  *d = r;
  *msh2_end = end;
  return true;
}

unsigned decode_text(std::string_view raw, const Delimiters& d, Charset charset, std::string* out) {
  StringSink sink(charset, out);
  return Decode(raw, d, charset, sink);
}

unsigned check_escapes(std::string_view raw, const Delimiters& d, Charset charset) {
  if (std::memchr(raw.data(), d.escape, raw.size()) == nullptr) return kEscapeOk;
  NullSink sink;
  return Decode(raw, d, charset, sink);
}

void append_escaped(std::string_view text, const Delimiters& d, std::string* out) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if (c == d.field) {
      out->append({d.escape, 'F', d.escape});
    } else if (c == d.component) {
      out->append({d.escape, 'S', d.escape});
    } else if (c == d.subcomponent) {
      out->append({d.escape, 'T', d.escape});
    } else if (c == d.repetition) {
      out->append({d.escape, 'R', d.escape});
    } else if (c == d.escape) {
      out->append({d.escape, 'E', d.escape});
    } else if (d.truncation != 0 && c == d.truncation) {
      out->append({d.escape, 'P', d.escape});
    } else if (u < 0x20 || u == 0x7F) {
      out->append({d.escape, 'X', kHex[u >> 4], kHex[u & 0xF], d.escape});
    } else {
      out->push_back(c);
    }
  }
}

std::string escape_text(std::string_view text, const Delimiters& d) {
  std::string out;
  out.reserve(text.size());
  append_escaped(text, d, &out);
  return out;
}

}  // namespace gw::hl7
