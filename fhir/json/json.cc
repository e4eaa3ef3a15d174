#include "fhir/json/json.h"

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <limits>
#include <new>
#include <optional>
#include <set>

#include "fhir/json/rapidjson.h"

namespace gw::fhir {

const char* json_error_code_name(JsonErrorCode code) {
  switch (code) {
    case JsonErrorCode::kSyntax:
      return "syntax";
    case JsonErrorCode::kInvalidEncoding:
      return "invalid-encoding";
    case JsonErrorCode::kDuplicateKey:
      return "duplicate-key";
    case JsonErrorCode::kTrailingData:
      return "trailing-data";
    case JsonErrorCode::kByteOrderMark:
      return "byte-order-mark";
    case JsonErrorCode::kNumberOutOfRange:
      return "number-out-of-range";
    case JsonErrorCode::kInputTooLarge:
      return "input-too-large";
    case JsonErrorCode::kTooDeep:
      return "too-deep";
    case JsonErrorCode::kTooManyMembers:
      return "too-many-members";
    case JsonErrorCode::kArrayTooLong:
      return "array-too-long";
    case JsonErrorCode::kStringTooLong:
      return "string-too-long";
    case JsonErrorCode::kTooManyValues:
      return "too-many-values";
    case JsonErrorCode::kInternal:
      return "internal";
  }
  return "unknown";
}

bool is_limit_error(JsonErrorCode code) {
  switch (code) {
    case JsonErrorCode::kInputTooLarge:
    case JsonErrorCode::kTooDeep:
    case JsonErrorCode::kTooManyMembers:
    case JsonErrorCode::kArrayTooLong:
    case JsonErrorCode::kStringTooLong:
    case JsonErrorCode::kTooManyValues:
      return true;
    default:
      return false;
  }
}

std::string JsonError::to_string() const {
  std::string s = json_error_code_name(code);
  s += " at byte ";
  s += std::to_string(offset);
  s += " (";
  s += path.empty() ? "root" : path;
  s += "): ";
  s += detail;
  return s;
}

const JsonValue* JsonValue::find(std::string_view key) const {
  if (!is_object()) return nullptr;
  for (const JsonMember& m : u_.members) {
    if (m.key == key) return &m.value;
  }
  return nullptr;
}

// Strict UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing above
// U+10FFFF. RapidJSON validates raw input bytes, but a "\udc00" escape without
// a preceding high surrogate is decoded into the (invalid) UTF-8 form of a lone
// surrogate; checking every decoded string here catches that and anything else
// the reader might let through.
bool is_valid_utf8(const char* data, size_t size) {
  const auto* p = reinterpret_cast<const unsigned char*>(data);
  const auto* end = p + size;
  while (p < end) {
    // ASCII fast path, eight bytes at a time (most FHIR text is ASCII).
    while (end - p >= 8) {
      uint64_t word;
      std::memcpy(&word, p, 8);
      if ((word & 0x8080808080808080ull) != 0) break;
      p += 8;
    }
    if (p == end) break;
    unsigned c = *p;
    if (c < 0x80) {
      ++p;
      continue;
    }
    size_t n;
    unsigned lo = 0x80, hi = 0xBF;  // allowed range of the second byte
    if (c >= 0xC2 && c <= 0xDF) {
      n = 1;
    } else if (c >= 0xE0 && c <= 0xEF) {
      n = 2;
      if (c == 0xE0) lo = 0xA0;  // overlong
      if (c == 0xED) hi = 0x9F;  // surrogates U+D800..U+DFFF
    } else if (c >= 0xF0 && c <= 0xF4) {
      n = 3;
      if (c == 0xF0) lo = 0x90;  // overlong
      if (c == 0xF4) hi = 0x8F;  // > U+10FFFF
    } else {
      return false;
    }
    if (static_cast<size_t>(end - p) <= n) return false;
    if (p[1] < lo || p[1] > hi) return false;
    for (size_t i = 2; i <= n; ++i) {
      if (p[i] < 0x80 || p[i] > 0xBF) return false;
    }
    p += n + 1;
  }
  return true;
}

bool is_reportable_json_key(std::string_view key) {
  size_t i = 0;
  if (i < key.size() && key[i] == '_') ++i;
  if (i >= key.size() || key.size() - i > 64) return false;
  auto alpha = [](char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); };
  if (!alpha(key[i])) return false;
  for (++i; i < key.size(); ++i) {
    if (!alpha(key[i]) && !(key[i] >= '0' && key[i] <= '9')) return false;
  }
  return true;
}

namespace {

// RapidJSON's own messages (rapidjson/error/en.h) are fixed strings and never
// quote the input, so they are safe to pass on as detail.
JsonErrorCode map_reader_error(rapidjson::ParseErrorCode code) {
  switch (code) {
    case rapidjson::kParseErrorStringUnicodeSurrogateInvalid:
    case rapidjson::kParseErrorStringInvalidEncoding:
      return JsonErrorCode::kInvalidEncoding;
    case rapidjson::kParseErrorNumberTooBig:
      return JsonErrorCode::kNumberOutOfRange;
    case rapidjson::kParseErrorNone:
    case rapidjson::kParseErrorTermination:
    case rapidjson::kParseErrorUnspecificSyntaxError:
      return JsonErrorCode::kInternal;
    default:
      return JsonErrorCode::kSyntax;
  }
}

}  // namespace

// SAX handler that builds JsonValues on an explicit stack of open containers,
// so neither the reader (kParseIterativeFlag) nor this handler recurses on the
// depth of the input. Every callback enforces the limits before allocating for
// the new value. A callback that returns false stops the reader; the reason is
// in error().
class JsonBuilder {
 public:
  JsonBuilder(const JsonParseOptions& options, const rapidjson::MemoryStream& stream,
              size_t base_offset)
      : options_(options),
        max_depth_(std::min(options.max_depth, kMaxDepthCeiling)),
        stream_(stream),
        base_offset_(base_offset) {}

  bool Null() { return begin_value() && add(JsonValue()); }
  bool Bool(bool b) {
    if (!begin_value()) return false;
    JsonValue v;
    v.type_ = JsonType::kBool;
    v.bool_ = b;
    return add(std::move(v));
  }
  // kParseNumbersAsStringsFlag routes every number here; the typed callbacks
  // below exist only because the reader's template names them.
  bool RawNumber(const char* str, rapidjson::SizeType len, bool /*copy*/) {
    if (!begin_value()) return false;
    if (len > options_.max_string_bytes) {
      return fail(JsonErrorCode::kStringTooLong, "number text longer than the configured limit");
    }
    JsonValue v;
    v.init(JsonType::kNumber);
    v.u_.text.assign(str, len);
    return add(std::move(v));
  }
  bool Int(int) { return unexpected_number(); }
  bool Uint(unsigned) { return unexpected_number(); }
  bool Int64(int64_t) { return unexpected_number(); }
  bool Uint64(uint64_t) { return unexpected_number(); }
  bool Double(double) { return unexpected_number(); }

  bool String(const char* str, rapidjson::SizeType len, bool /*copy*/) {
    if (!begin_value()) return false;
    if (!check_text(str, len, "string")) return false;
    JsonValue v;
    v.init(JsonType::kString);
    v.u_.text.assign(str, len);
    return add(std::move(v));
  }

  bool StartObject() { return start_container(JsonType::kObject); }
  bool Key(const char* str, rapidjson::SizeType len, bool /*copy*/) {
    Frame& f = stack_.back();
    f.key.assign(str, len);
    f.has_key = true;
    if (!check_text(str, len, "member name")) return false;
    if (f.value.u_.members.size() >= options_.max_object_members) {
      return fail(JsonErrorCode::kTooManyMembers,
                  "object has more members than the configured limit");
    }
    // std::set rather than a hash set: worst-case O(log n) per key, so
    // crafted colliding keys cannot turn duplicate detection quadratic.
    if (!f.keys.insert(f.key).second) {
      return fail(JsonErrorCode::kDuplicateKey, "duplicate object member name");
    }
    return true;
  }
  bool EndObject(rapidjson::SizeType) { return end_container(); }
  bool StartArray() { return start_container(JsonType::kArray); }
  bool EndArray(rapidjson::SizeType) { return end_container(); }

  const std::optional<JsonError>& error() const { return error_; }
  std::optional<JsonValue>& root() { return root_; }

  // The location of the value currently being parsed, for errors raised by the
  // reader itself.
  std::string current_path() const {
    std::string path;
    for (const Frame& f : stack_) {
      if (f.value.type_ == JsonType::kArray) {
        path += '/';
        path += std::to_string(f.value.u_.items.size());
      } else if (f.has_key) {
        path += '/';
        path += is_reportable_json_key(f.key) ? std::string_view(f.key) : std::string_view("*");
      }
    }
    return path;
  }

 private:
  struct Frame {
    JsonValue value;
    std::string key;  // name of the member whose value is being parsed
    bool has_key = false;
    std::set<std::string, std::less<>> keys;
  };

  bool fail(JsonErrorCode code, const char* detail) {
    if (!error_) {
      error_ = JsonError{code, base_offset_ + stream_.Tell(), current_path(), detail};
    }
    return false;
  }

  bool unexpected_number() {
    return fail(JsonErrorCode::kInternal, "reader produced a typed number");
  }

  bool check_text(const char* str, size_t len, const char* what) {
    if (len > options_.max_string_bytes) {
      return fail(JsonErrorCode::kStringTooLong,
                  what[0] == 's' ? "string longer than the configured limit"
                                 : "member name longer than the configured limit");
    }
    if (!is_valid_utf8(str, len)) {
      return fail(JsonErrorCode::kInvalidEncoding,
                  "string is not valid UTF-8 or contains a lone surrogate escape");
    }
    return true;
  }

  // Called before any value (scalar or container) is created.
  bool begin_value() {
    if (values_ >= options_.max_values) {
      return fail(JsonErrorCode::kTooManyValues,
                  "document has more values than the configured limit");
    }
    ++values_;
    if (!stack_.empty()) {
      const JsonValue& top = stack_.back().value;
      if (top.type_ == JsonType::kArray && top.u_.items.size() >= options_.max_array_items) {
        return fail(JsonErrorCode::kArrayTooLong, "array has more items than the configured limit");
      }
    }
    return true;
  }

  bool start_container(JsonType type) {
    if (!begin_value()) return false;
    if (stack_.size() >= max_depth_) {
      return fail(JsonErrorCode::kTooDeep, "nesting deeper than the configured limit");
    }
    stack_.emplace_back();
    stack_.back().value.init(type);
    return true;
  }

  bool end_container() {
    JsonValue v = std::move(stack_.back().value);
    stack_.pop_back();
    return add(std::move(v));
  }

  // Attaches a finished value to the open container, or makes it the root.
  bool add(JsonValue v) {
    if (stack_.empty()) {
      root_ = std::move(v);
      return true;
    }
    Frame& f = stack_.back();
    if (f.value.type_ == JsonType::kArray) {
      f.value.u_.items.push_back(std::move(v));
    } else {
      f.value.u_.members.push_back(JsonMember{std::move(f.key), std::move(v)});
      f.key.clear();
      f.has_key = false;
    }
    return true;
  }

  const JsonParseOptions& options_;
  const size_t max_depth_;
  const rapidjson::MemoryStream& stream_;
  const size_t base_offset_;
  std::vector<Frame> stack_;
  size_t values_ = 0;
  std::optional<JsonValue> root_;
  std::optional<JsonError> error_;
};

namespace {

JsonResult<JsonValue> parse_json_impl(std::string_view input, const JsonParseOptions& options) {
  // RapidJSON measures strings with a 32-bit SizeType; the input bound keeps
  // every length representable.
  constexpr size_t kHardInputLimit = std::numeric_limits<rapidjson::SizeType>::max() - 1;
  if (input.size() > options.max_input_bytes || input.size() > kHardInputLimit) {
    return JsonError{JsonErrorCode::kInputTooLarge, std::min(input.size(), options.max_input_bytes),
                     "", "input larger than the configured limit"};
  }
  size_t base = 0;
  if (input.substr(0, 3) == "\xEF\xBB\xBF") {
    if (!options.skip_byte_order_mark) {
      return JsonError{JsonErrorCode::kByteOrderMark, 0, "", "input starts with a byte order mark"};
    }
    base = 3;
  }
  // MemoryStream is bounded by its size (Peek() yields '\0' at the end), so the
  // input need not be NUL-terminated and embedded NULs cannot read past it.
  rapidjson::MemoryStream stream(input.data() + base, input.size() - base);
  JsonBuilder builder(options, stream, base);
  rapidjson::Reader reader;
  constexpr unsigned kFlags =
      rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag |
      rapidjson::kParseNumbersAsStringsFlag | rapidjson::kParseStopWhenDoneFlag;
  rapidjson::ParseResult r = reader.Parse<kFlags>(stream, builder);
  if (r.IsError()) {
    if (builder.error()) return *builder.error();
    JsonErrorCode code = map_reader_error(r.Code());
    return JsonError{code, base + r.Offset(), builder.current_path(),
                     rapidjson::GetParseError_En(r.Code())};
  }
  if (!builder.root()) {
    return JsonError{JsonErrorCode::kInternal, base + stream.Tell(), "",
                     "reader produced no value"};
  }
  // kParseStopWhenDoneFlag leaves whatever follows the root to us: only JSON
  // whitespace (RFC 8259 ws) may follow.
  size_t pos = base + stream.Tell();
  while (pos < input.size() &&
         (input[pos] == ' ' || input[pos] == '\t' || input[pos] == '\n' || input[pos] == '\r')) {
    ++pos;
  }
  if (pos != input.size()) {
    return JsonError{JsonErrorCode::kTrailingData, pos, "", "data after the root value"};
  }
  return std::move(*builder.root());
}

}  // namespace

JsonParseOptions own_document_limits(size_t size) {
  JsonParseOptions o;
  o.max_input_bytes = size;
  o.max_depth = kMaxDepthCeiling;
  o.max_object_members = size;
  o.max_array_items = size;
  o.max_string_bytes = size;
  o.max_values = size;
  return o;
}

JsonResult<JsonValue> parse_json(std::string_view input, const JsonParseOptions& options) {
  // The data path does not throw; allocation failure is the one exception the
  // standard library may raise here, and it is turned into a value too.
  try {
    return parse_json_impl(input, options);
  } catch (const std::bad_alloc&) {
    return JsonError{JsonErrorCode::kInternal, 0, "", "out of memory"};
  }
}

}  // namespace gw::fhir
