#include "fhir/json/canonical.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <new>
#include <system_error>
#include <vector>

namespace gw::fhir {
namespace {

// Decodes UTF-8 into UTF-16 code units. Precondition: `s` is valid UTF-8,
// which JsonValue guarantees for every key (the parser validated it).
std::u16string to_utf16(std::string_view s) {
  std::u16string out;
  out.reserve(s.size());
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = p + s.size();
  while (p < end) {
    uint32_t c = *p;
    size_t n = c < 0x80 ? 0 : c < 0xE0 ? 1 : c < 0xF0 ? 2 : 3;
    if (n > 0) c &= 0x3Fu >> n;
    if (static_cast<size_t>(end - p) <= n) break;  // unreachable for valid input
    for (size_t i = 1; i <= n; ++i) c = (c << 6) | (p[i] & 0x3Fu);
    p += n + 1;
    if (c >= 0x10000) {
      c -= 0x10000;
      out.push_back(static_cast<char16_t>(0xD800 + (c >> 10)));
      out.push_back(static_cast<char16_t>(0xDC00 + (c & 0x3FF)));
    } else {
      out.push_back(static_cast<char16_t>(c));
    }
  }
  return out;
}

}  // namespace

// RFC 8785 §3.2.2.2.
void write_json_string(std::string_view s, std::string& out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 0xF];
        } else {
          out += ch;
        }
    }
  }
  out += '"';
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
  // One frame per open container: the members' sorted order (objects) and the
  // index of the next child to write.
  struct Frame {
    const JsonValue* value;
    std::vector<size_t> order;
    size_t next = 0;
  };
  std::vector<Frame> stack;
  std::string out;

  auto path = [&stack]() {
    std::string p;
    for (const Frame& f : stack) {
      if (f.next == 0) continue;
      p += '/';
      if (f.value->is_array()) {
        p += std::to_string(f.next - 1);
      } else {
        const std::string& key = f.value->members()[f.order[f.next - 1]].key;
        p += is_reportable_json_key(key) ? std::string_view(key) : std::string_view("*");
      }
    }
    return p;
  };

  // Writes a scalar, or opens a container and pushes its frame. Returns false
  // on a number kRfc8785 cannot represent.
  auto emit = [&](const JsonValue& v) -> bool {
    switch (v.type()) {
      case JsonType::kNull:
        out += "null";
        return true;
      case JsonType::kBool:
        out += v.as_bool() ? "true" : "false";
        return true;
      case JsonType::kNumber:
        if (mode == NumberMode::kPreserveLexical) {
          out += v.text();
          return true;
        } else {
          JsonResult<std::string> n = rfc8785_number(v.text());
          if (!n.ok()) return false;
          out += *n;
          return true;
        }
      case JsonType::kString:
        write_json_string(v.text(), out);
        return true;
      case JsonType::kArray:
        out += '[';
        stack.push_back(Frame{&v, {}, 0});
        return true;
      case JsonType::kObject: {
        out += '{';
        const auto& members = v.members();
        std::vector<std::u16string> keys;
        keys.reserve(members.size());
        for (const JsonMember& m : members) keys.push_back(to_utf16(m.key));
        std::vector<size_t> order(members.size());
        for (size_t i = 0; i < order.size(); ++i) order[i] = i;
        // Keys are unique (the parser rejects duplicates), so the order is total.
        std::sort(order.begin(), order.end(),
                  [&keys](size_t a, size_t b) { return keys[a] < keys[b]; });
        stack.push_back(Frame{&v, std::move(order), 0});
        return true;
      }
    }
    return true;
  };

  try {
    if (!emit(root)) return number_error(path());
    while (!stack.empty()) {
      Frame& f = stack.back();
      const JsonValue& v = *f.value;
      size_t size = v.is_array() ? v.items().size() : v.members().size();
      if (f.next == size) {
        out += v.is_array() ? ']' : '}';
        stack.pop_back();
        continue;
      }
      if (f.next > 0) out += ',';
      const size_t i = f.next++;
      // `f` may dangle after emit() pushes; it is not used below.
      if (v.is_array()) {
        if (!emit(v.items()[i])) return number_error(path());
      } else {
        const JsonMember& m = v.members()[f.order[i]];
        write_json_string(m.key, out);
        out += ':';
        if (!emit(m.value)) return number_error(path());
      }
    }
  } catch (const std::bad_alloc&) {
    return JsonError{JsonErrorCode::kInternal, 0, "", "out of memory"};
  }
  return out;
}

JsonResult<std::string> canonicalize_json(std::string_view input, const JsonParseOptions& options,
                                          NumberMode mode) {
  JsonResult<JsonValue> v = parse_json(input, options);
  if (!v.ok()) return v.error();
  return canonicalize(*v, mode);
}

}  // namespace gw::fhir
