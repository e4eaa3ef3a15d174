#include "fhir/json/canonical.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <new>
#include <system_error>
#include <vector>

namespace gw::fhir {
namespace {

// RFC 8785 §3.2.3 orders member names by their UTF-16 code units. For valid
// UTF-8 (JsonValue guarantees it for keys), byte order equals code point
// order, and code point order equals UTF-16 order except between U+E000..U+FFFF
// (UTF-8 lead byte EE/EF) and U+10000.. (lead F0..F4, UTF-16 surrogates
// D800..DFFF, which sort below E000). At the first differing byte both strings
// are at the same character boundary, so only that byte pair needs the fix.
bool utf16_key_less(std::string_view a, std::string_view b) {
  const size_t n = std::min(a.size(), b.size());
  size_t i = 0;
  while (i < n && a[i] == b[i]) ++i;
  if (i == n) return a.size() < b.size();
  const auto ca = static_cast<unsigned char>(a[i]);
  const auto cb = static_cast<unsigned char>(b[i]);
  const bool a_astral = ca >= 0xF0, b_astral = cb >= 0xF0;
  const bool a_high_bmp = ca == 0xEE || ca == 0xEF, b_high_bmp = cb == 0xEE || cb == 0xEF;
  if (a_astral && b_high_bmp) return true;
  if (b_astral && a_high_bmp) return false;
  return ca < cb;
}

// True for bytes RFC 8785 §3.2.2.2 writes escaped.
inline bool needs_escape(unsigned char c) { return c < 0x20 || c == '"' || c == '\\'; }

// True if any of the eight bytes in `w` may need an escape (exact: the
// classic "has a byte less than n" and "has a zero byte" tests of
// Bit Twiddling Hacks, which have no false negatives and no false positives
// when only asked whether any byte matches).
inline bool word_needs_escape(uint64_t w) {
  constexpr uint64_t kOnes = 0x0101010101010101ull, kHighs = 0x8080808080808080ull;
  auto has_zero = [](uint64_t x) { return ((x - kOnes) & ~x & kHighs) != 0; };
  const bool below_space = ((w - kOnes * 0x20) & ~w & kHighs) != 0;
  return below_space || has_zero(w ^ (kOnes * '"')) || has_zero(w ^ (kOnes * '\\'));
}

}  // namespace

namespace {

// The canonical text is written into one buffer whose size grows
// geometrically; each write checks the room once and copies, instead of
// going through std::string's append for every token and character.
class Out {
 public:
  explicit Out(size_t initial) { s_.resize(initial); }
  char* room(size_t k) {
    if (k > s_.size() - n_) s_.resize(std::max(s_.size() * 2, n_ + k));
    return s_.data() + n_;
  }
  void put(char c) {
    *room(1) = c;
    ++n_;
  }
  void put(const char* p, size_t k) {
    std::memcpy(room(k), p, k);
    n_ += k;
  }
  void put(std::string_view v) { put(v.data(), v.size()); }
  // After writing k bytes at room(k).
  void advance(size_t k) { n_ += k; }
  std::string finish() {
    s_.resize(n_);
    return std::move(s_);
  }

 private:
  std::string s_;
  size_t n_ = 0;
};

// Adapter so that one string writer serves both Out and std::string.
struct StringOut {
  std::string& s;
  void put(char c) { s += c; }
  void put(const char* p, size_t k) { s.append(p, k); }
};

// RFC 8785 §3.2.2.2. Runs of bytes that need no escape are written at once.
template <typename Sink>
void write_string(std::string_view s, Sink& out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.put('"');
  const char* p = s.data();
  const char* const end = p + s.size();
  while (p < end) {
    const char* run = p;
    while (end - p >= 8) {
      uint64_t w;
      std::memcpy(&w, p, 8);
      if (word_needs_escape(w)) break;
      p += 8;
    }
    while (p < end && !needs_escape(static_cast<unsigned char>(*p))) ++p;
    out.put(run, static_cast<size_t>(p - run));
    if (p == end) break;
    const auto c = static_cast<unsigned char>(*p++);
    switch (c) {
      case '"':
        out.put("\\\"", 2);
        break;
      case '\\':
        out.put("\\\\", 2);
        break;
      case '\b':
        out.put("\\b", 2);
        break;
      case '\t':
        out.put("\\t", 2);
        break;
      case '\n':
        out.put("\\n", 2);
        break;
      case '\f':
        out.put("\\f", 2);
        break;
      case '\r':
        out.put("\\r", 2);
        break;
      default: {
        const char esc[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xF]};
        out.put(esc, sizeof esc);
      }
    }
  }
  out.put('"');
}

// Most strings need no escape: they are copied while they are scanned, with
// one check for room; the general writer takes over at the first byte that
// needs an escape.
template <>
void write_string<Out>(std::string_view s, Out& out) {
  const size_t n = s.size();
  char* const start = out.room(n + 2);
  char* d = start;
  *d++ = '"';
  const char* p = s.data();
  const char* const end = p + n;
  while (end - p >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    if (word_needs_escape(w)) break;
    std::memcpy(d, &w, 8);
    p += 8;
    d += 8;
  }
  // The last 1..7 bytes: as the final eight bytes of the string (checked
  // and copied again in part) when it has eight; else as two overlapping
  // four-byte words when it has four (keys such as "code", "system").
  const size_t rest = static_cast<size_t>(end - p);
  if (rest > 0 && rest < 8) {
    if (n >= 8) {
      uint64_t w;
      std::memcpy(&w, end - 8, 8);
      if (!word_needs_escape(w)) {
        std::memcpy(d + rest - 8, &w, 8);
        d += rest;
        p = end;
      }
    } else if (rest >= 4) {
      uint32_t head, tail;
      std::memcpy(&head, p, 4);
      std::memcpy(&tail, end - 4, 4);
      if (!word_needs_escape(uint64_t{head} << 32 | tail)) {
        std::memcpy(d, &head, 4);
        std::memcpy(d + rest - 4, &tail, 4);
        d += rest;
        p = end;
      }
    }
  }
  while (p < end && !needs_escape(static_cast<unsigned char>(*p))) *d++ = *p++;
  if (p == end) {
    *d++ = '"';
    out.advance(static_cast<size_t>(d - start));
    return;
  }
  // Rare: nothing was committed (no advance()); the general writer writes
  // the whole string with its escapes.
  struct Generic {
    Out& o;
    void put(char c) { o.put(c); }
    void put(const char* q, size_t k) { o.put(q, k); }
  } generic{out};
  write_string(s, generic);
}

}  // namespace

void write_json_string(std::string_view s, std::string& out) {
  StringOut sink{out};
  write_string(s, sink);
}

namespace {

// For a number text that std::from_chars found out of range: true if the
// value is too small (underflows to zero) rather than too large. Looks at the
// decimal exponent of the first significant digit. Precondition: RFC 8259
// number grammar (the parser checked it).
bool underflows(std::string_view t) {
  size_t i = 0;
  if (i < t.size() && t[i] == '-') ++i;
  int64_t int_digits = 0;
  int64_t first_sig = INT64_MIN;  // decimal exponent of the first non-zero digit, before 'e'
  int64_t pos = 0;                // digits seen
  size_t j = i;
  while (j < t.size() && t[j] >= '0' && t[j] <= '9') ++j, ++int_digits;
  for (size_t k = i; k < t.size() && t[k] != 'e' && t[k] != 'E'; ++k) {
    if (t[k] == '.') continue;
    if (t[k] != '0' && first_sig == INT64_MIN) first_sig = int_digits - 1 - pos;
    ++pos;
  }
  int64_t exp = 0;
  size_t e = t.find_first_of("eE");
  if (e != std::string_view::npos) {
    bool neg = e + 1 < t.size() && t[e + 1] == '-';
    for (size_t k = e + 1; k < t.size(); ++k) {
      if (t[k] >= '0' && t[k] <= '9')
        exp = std::min<int64_t>(exp * 10 + (t[k] - '0'), 1'000'000'000);
    }
    if (neg) exp = -exp;
  }
  return first_sig != INT64_MIN && first_sig + exp < 0;
}

JsonError number_error(std::string path) {
  return JsonError{JsonErrorCode::kNumberOutOfRange, 0, std::move(path),
                   "number is not a finite IEEE double"};
}

}  // namespace

JsonResult<std::string> rfc8785_number(std::string_view text) {
  double d = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), d);
  if (ec == std::errc::result_out_of_range) {
    // ECMAScript reads a too-small literal as zero; a too-large one is
    // Infinity, which RFC 8785 §3.2.2.3 says must be an error.
    if (underflows(text)) return std::string("0");
    return number_error("");
  }
  if (ec != std::errc() || ptr != text.data() + text.size()) {
    return JsonError{JsonErrorCode::kSyntax, 0, "", "not a JSON number"};
  }
  if (!std::isfinite(d)) return number_error("");
  if (d == 0) return std::string("0");  // also -0 (ES6: "0")

  // Shortest round-trip digits, as "-d.ddde+XX".
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof(buf), d, std::chars_format::scientific);
  if (r.ec != std::errc()) return JsonError{JsonErrorCode::kInternal, 0, "", "to_chars failed"};
  std::string_view sci(buf, static_cast<size_t>(r.ptr - buf));
  bool negative = sci.front() == '-';
  if (negative) sci.remove_prefix(1);
  size_t epos = sci.find('e');
  std::string digits;
  for (char c : sci.substr(0, epos)) {
    if (c != '.') digits += c;
  }
  int exp10 = 0;
  std::string_view es = sci.substr(epos + 1);
  bool eneg = es.front() == '-';
  std::from_chars(es.data() + 1, es.data() + es.size(), exp10);
  if (eneg) exp10 = -exp10;

  // ECMA-262 Number::toString: value = digits × 10^(n − k).
  const int k = static_cast<int>(digits.size());
  const int n = exp10 + 1;
  std::string out = negative ? "-" : "";
  if (k <= n && n <= 21) {
    out += digits;
    out.append(static_cast<size_t>(n - k), '0');
  } else if (0 < n && n <= 21) {
    out += digits.substr(0, static_cast<size_t>(n));
    out += '.';
    out += digits.substr(static_cast<size_t>(n));
  } else if (-6 < n && n <= 0) {
    out += "0.";
    out.append(static_cast<size_t>(-n), '0');
    out += digits;
  } else {
    out += digits[0];
    if (k > 1) {
      out += '.';
      out += digits.substr(1);
    }
    out += 'e';
    out += n - 1 >= 0 ? '+' : '-';
    out += std::to_string(std::abs(n - 1));
  }
  return out;
}

JsonResult<std::string> canonicalize(const JsonValue& root, NumberMode mode) {
  return canonicalize(root, mode, nullptr);
}

JsonResult<std::string> canonicalize(const JsonValue& root, NumberMode mode,
                                     const ReferenceRewriter* rewriter) {
  // One frame per open container. An object's members, in sorted order, are a
  // range of `order`, which grows and shrinks with the stack: no allocation
  // per object once the buffers have grown.
  struct Frame {
    const JsonValue* value;
    size_t order_begin;  // objects: start of the member order in `order`
    size_t next;         // index of the next child to write
  };
  thread_local std::vector<Frame> stack;
  thread_local std::vector<uint32_t> order;
  thread_local std::string replacement;
  stack.clear();
  order.clear();

  auto path = []() {
    std::string p;
    for (const Frame& f : stack) {
      if (f.next == 0) continue;
      p += '/';
      if (f.value->is_array()) {
        p += std::to_string(f.next - 1);
      } else {
        const std::string& key = f.value->members()[order[f.order_begin + f.next - 1]].key;
        p += is_reportable_json_key(key) ? std::string_view(key) : std::string_view("*");
      }
    }
    return p;
  };

  try {
    // Most records are well under 1 KiB; one growth step covers the rest.
    Out out(1024);

    // Writes a scalar, or opens a container and pushes its frame. Returns false
    // on a number kRfc8785 cannot represent.
    auto emit = [&](const JsonValue& v) -> bool {
      switch (v.type()) {
        case JsonType::kNull:
          out.put("null", 4);
          return true;
        case JsonType::kBool:
          if (v.as_bool()) {
            out.put("true", 4);
          } else {
            out.put("false", 5);
          }
          return true;
        case JsonType::kNumber:
          if (mode == NumberMode::kPreserveLexical) {
            out.put(v.text());
            return true;
          } else {
            JsonResult<std::string> n = rfc8785_number(v.text());
            if (!n.ok()) return false;
            out.put(*n);
            return true;
          }
        case JsonType::kString:
          write_string(v.text(), out);
          return true;
        case JsonType::kArray:
          out.put('[');
          stack.push_back(Frame{&v, order.size(), 0});
          return true;
        case JsonType::kObject: {
          out.put('{');
          const auto& members = v.members();
          const size_t begin = order.size();
          for (size_t i = 0; i < members.size(); ++i) order.push_back(static_cast<uint32_t>(i));
          // Keys are unique (JsonValue guarantees it), so the order is total.
          // Objects are small: insertion sort, which is also linear when the
          // members already arrive sorted.
          auto first = order.begin() + static_cast<std::ptrdiff_t>(begin);
          auto less = [&members](uint32_t a, uint32_t b) {
            return utf16_key_less(members[a].key, members[b].key);
          };
          if (members.size() > 32) {
            std::sort(first, order.end(), less);
          } else {
            for (auto it = first + (first == order.end() ? 0 : 1); it < order.end(); ++it) {
              uint32_t x = *it;
              auto j = it;
              while (j > first && less(x, *(j - 1))) {
                *j = *(j - 1);
                --j;
              }
              *j = x;
            }
          }
          stack.push_back(Frame{&v, begin, 0});
          return true;
        }
      }
      return true;
    };

    if (!emit(root)) return number_error(path());
    while (!stack.empty()) {
      Frame& f = stack.back();
      const JsonValue& v = *f.value;
      const bool is_array = v.is_array();
      size_t size = is_array ? v.items().size() : v.members().size();
      if (f.next == size) {
        out.put(is_array ? ']' : '}');
        if (!is_array) order.resize(f.order_begin);
        stack.pop_back();
        continue;
      }
      if (f.next > 0) out.put(',');
      const size_t i = f.next++;
      // `f` may dangle after emit() pushes; it is not used below.
      if (is_array) {
        if (!emit(v.items()[i])) return number_error(path());
      } else {
        const JsonMember& m = v.members()[order[f.order_begin + i]];
        write_string(m.key, out);
        out.put(':');
        if (rewriter != nullptr && m.value.is_string() && m.key == "reference") {
          replacement.clear();
          if (rewriter->rewrite(m.value.text(), replacement)) {
            write_string(replacement, out);
            continue;
          }
        }
        if (!emit(m.value)) return number_error(path());
      }
    }
    return out.finish();
  } catch (const std::bad_alloc&) {
    stack.clear();
    order.clear();
    return JsonError{JsonErrorCode::kInternal, 0, "", "out of memory"};
  }
}

JsonResult<std::string> canonicalize_json(std::string_view input, const JsonParseOptions& options,
                                          NumberMode mode) {
  GW_ASSIGN_OR_RETURN(JsonValue v, parse_json(input, options));
  return canonicalize(v, mode);
}

}  // namespace gw::fhir
