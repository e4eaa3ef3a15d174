// A small immutable JSON value type and a defensive parser for FHIR R4 JSON.
//
// The input is hostile (it arrives from the network) and carries patient data:
//  - Every size the peer controls is bounded by JsonParseOptions.
//  - Parsing never recurses on input depth (RapidJSON's iterative reader plus an
//    explicit stack of open containers here).
//  - Errors are values; JsonError text is built only from fixed strings, numbers
//    and object keys shaped like FHIR element names (see JsonError::path). It
//    never contains string values, numbers or other bytes of the document.
//  - Numbers are kept as their exact lexical text: in FHIR the precision of a
//    decimal is meaning ("1.50" is not "1.5").
//
// RapidJSON is an implementation detail; no RapidJSON type appears here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fhir/json/node_pool.h"
#include "gateway/base/status.h"

namespace gw::fhir {

// Chosen by what the caller does next: every code except kInternal means "the
// document is unacceptable" (HTTP 400 / OperationOutcome "invalid" or
// "too-costly"); kInternal means our code failed.
enum class JsonErrorCode : int {
  kSyntax = 1,        // not JSON (RFC 8259 grammar)
  kInvalidEncoding,   // invalid UTF-8 or a lone surrogate escape (raw controls: kSyntax)
  kDuplicateKey,      // FHIR JSON forbids repeated member names
  kTrailingData,      // non-whitespace after the root value
  kByteOrderMark,     // leading U+FEFF while JsonParseOptions::skip_byte_order_mark is false
  kNumberOutOfRange,  // magnitude beyond IEEE double (rejected by the reader)
  kInputTooLarge,     // > max_input_bytes
  kTooDeep,           // > max_depth
  kTooManyMembers,    // object with > max_object_members
  kArrayTooLong,      // array with > max_array_items
  kStringTooLong,     // string, key or number text > max_string_bytes
  kTooManyValues,     // > max_values in the document
  kInternal,          // a bug or resource failure in the parser
};

// Stable short name, e.g. "duplicate-key". Never null.
const char* json_error_code_name(JsonErrorCode code);

// True for codes that mean "a configured limit was exceeded" (the document may
// be valid JSON, but too costly to accept).
bool is_limit_error(JsonErrorCode code);

struct JsonError {
  JsonErrorCode code = JsonErrorCode::kInternal;
  // Byte offset in the input where the problem was detected.
  size_t offset = 0;
  // JSON-pointer-style location of the value being parsed ("/entry/0/resource").
  // Object keys are copied only if shaped like FHIR element names
  // (`_?[A-Za-z][A-Za-z0-9]{0,63}`), which are structure, not data; any other
  // key is shown as "*" so that keys from non-FHIR documents cannot leak
  // content into logs. "~" and "/" never occur in reported keys, so no RFC 6901
  // escaping is needed. Empty for the root.
  std::string path;
  // Fixed description of the problem; never document content.
  std::string detail;

  // "duplicate-key at byte 42 (/name/0): duplicate object member name". Safe to log.
  std::string to_string() const;
};

// True if `key` may be copied into error text: shaped like a FHIR element
// name, `_?[A-Za-z][A-Za-z0-9]{0,63}`. Such names are structure, not data.
bool is_reportable_json_key(std::string_view key);

// A value or a JsonError: the shared gw::Result with the JSON payload (offset
// and path) in the error slot.
template <typename T>
using JsonResult = gw::Result<T, JsonError>;

enum class JsonType : uint8_t { kNull, kBool, kNumber, kString, kArray, kObject };

struct JsonMember;

// An immutable JSON value. Only the parser creates non-null values, so every
// value satisfies the parser's invariants: strings and keys are valid UTF-8
// without surrogates, object keys are unique, numbers are RFC 8259 number text,
// and nesting is at most kMaxDepthCeiling (the implicit destructor recurses on
// nesting; that bound keeps it safe).
//
// Representation: a type tag and one payload slot that holds the text, the
// items or the members, whichever the type has: 40 bytes a node instead of
// 96 with all three side by side (a mapped message builds a few thousand
// nodes; each is moved several times on its way into the Bundle).
class JsonValue {
 public:
  JsonValue() noexcept {}  // null
  JsonValue(const JsonValue& other);
  JsonValue(JsonValue&& other) noexcept { take(other); }
  JsonValue& operator=(const JsonValue& other);
  JsonValue& operator=(JsonValue&& other) noexcept;
  ~JsonValue() { reset(); }

  JsonType type() const { return type_; }
  bool is_null() const { return type_ == JsonType::kNull; }
  bool is_bool() const { return type_ == JsonType::kBool; }
  bool is_number() const { return type_ == JsonType::kNumber; }
  bool is_string() const { return type_ == JsonType::kString; }
  bool is_array() const { return type_ == JsonType::kArray; }
  bool is_object() const { return type_ == JsonType::kObject; }

  // Valid for kBool; false otherwise.
  bool as_bool() const { return bool_; }
  // kString: the decoded UTF-8 text. kNumber: the exact lexical text as in the
  // input ("1.50", "-0", "1E2"). Empty for other types.
  const std::string& text() const { return has_text() ? u_.text : empty_text(); }
  // kArray: the elements. Empty for other types.
  const std::vector<JsonValue>& items() const { return is_array() ? u_.items : empty_items(); }
  // kObject: the members in input order. Empty for other types.
  const std::vector<JsonMember>& members() const {
    return is_object() ? u_.members : empty_members();
  }
  // kObject: the member named `key`, or nullptr. Linear in the member count.
  // The pointer is valid as long as this value is alive and not moved from.
  const JsonValue* find(std::string_view key) const;

  // ---- Building values (mappers, REST responses) ----------------------------
  // Built values keep the parser's invariants: make_string replaces invalid
  // UTF-8 sequences with U+FFFD; make_number returns null for text that is not
  // an RFC 8259 number; add() replaces an existing member of the same name.
  // Callers keep nesting shallow (the destructor recurses on depth).
  static JsonValue make_string(std::string text);
  static JsonValue make_number(std::string text);
  static JsonValue make_bool(bool value);
  static JsonValue make_object();
  static JsonValue make_array();
  // kObject: sets member `key` (appending it, or replacing the value of an
  // existing member in place) and returns a reference to the stored value.
  // Any other type is first turned into an empty object.
  JsonValue& add(std::string key, JsonValue value);
  // kArray: appends and returns a reference to the stored value. Any other
  // type is first turned into an empty array.
  JsonValue& push(JsonValue value);
  // kObject: removes member `key`; true if it existed.
  bool remove(std::string_view key);
  // Mutable access to a member, or nullptr.
  JsonValue* find_mutable(std::string_view key);
  // kArray: the elements. Other types: an empty vector that is not part of
  // this value (cleared on every call; what is put into it is lost).
  std::vector<JsonValue>& mutable_items();
  // True for null, and for an object or array with no members or items
  // (FHIR forbids empty objects and arrays; mappers skip them).
  bool empty() const;

 private:
  friend class JsonBuilder;  // the parser's SAX handler (json.cc)

  // Only the member named by type_ is alive: text for kString and kNumber,
  // items for kArray, members for kObject, none otherwise.
  union Payload {
    Payload() noexcept {}
    ~Payload() {}
    std::string text;
    std::vector<JsonValue> items;
    std::vector<JsonMember> members;
  };

  bool has_text() const { return type_ == JsonType::kString || type_ == JsonType::kNumber; }
  // Makes this a value of `type` with an empty payload (after reset()).
  void init(JsonType type);
  // Destroys the payload; leaves null.
  void reset() noexcept {
    if (type_ >= JsonType::kNumber) destroy_payload();
    type_ = JsonType::kNull;
    bool_ = false;
  }
  inline void destroy_payload() noexcept;
  // Moves `other`'s content into this (which holds no payload); leaves
  // `other` null. Inline: a mapped message moves a few thousand nodes, and
  // the call cost more than the move.
  inline void take(JsonValue& other) noexcept;

  static const std::string& empty_text();
  static const std::vector<JsonValue>& empty_items();
  static const std::vector<JsonMember>& empty_members();

  Payload u_;
  JsonType type_ = JsonType::kNull;
  bool bool_ = false;
};

struct JsonMember {
  std::string key;  // decoded UTF-8
  JsonValue value;
};

inline void JsonValue::destroy_payload() noexcept {
  switch (type_) {
    case JsonType::kNumber:
    case JsonType::kString:
      u_.text.~basic_string();
      break;
    case JsonType::kArray:
      u_.items.~vector();
      break;
    case JsonType::kObject:
      u_.members.~vector();
      break;
    default:
      break;
  }
}

inline void JsonValue::take(JsonValue& other) noexcept {
  // The moved-from payload is destroyed here, by its type, without going
  // through reset() (a moved-from string or vector owns nothing).
  switch (other.type_) {
    case JsonType::kNumber:
    case JsonType::kString:
      new (&u_.text) std::string(std::move(other.u_.text));
      other.u_.text.~basic_string();
      break;
    case JsonType::kArray:
      new (&u_.items) std::vector<JsonValue>(std::move(other.u_.items));
      other.u_.items.~vector();
      break;
    case JsonType::kObject:
      new (&u_.members) std::vector<JsonMember>(std::move(other.u_.members));
      other.u_.members.~vector();
      break;
    default:
      break;
  }
  type_ = other.type_;
  bool_ = other.bool_;
  other.type_ = JsonType::kNull;
  other.bool_ = false;
}

// No configured depth may exceed this; it bounds the recursion of JsonValue's
// destructor. Deeper than any real FHIR resource by an order of magnitude.
inline constexpr size_t kMaxDepthCeiling = 512;

struct JsonParseOptions {
  size_t max_input_bytes = 16u << 20;
  // Containers open at once; the root array/object is depth 1. Clamped to
  // kMaxDepthCeiling.
  size_t max_depth = 64;
  size_t max_object_members = 10'000;
  size_t max_array_items = 100'000;
  // Decoded bytes of one string or key, and the length of one number's text.
  size_t max_string_bytes = 4u << 20;
  // Values of any kind in the document, containers included.
  size_t max_values = 1'000'000;
  // RFC 8259 §8.1 forbids sending a BOM and allows ignoring one. We reject it by
  // default (kByteOrderMark) so a non-conforming sender is told; set this to
  // skip a single leading UTF-8 BOM instead.
  bool skip_byte_order_mark = false;
};

// Limits for a document this program wrote itself (a stored record): nothing
// in it can be larger than the document, which may exceed the limits set for
// input from the network (a record with a large attachment); the depth
// ceiling is the parser's own.
JsonParseOptions own_document_limits(size_t size);

// Parses one JSON text (RFC 8259) that must fill `input` apart from
// surrounding whitespace. The result owns all its data; `input` may be freed
// afterwards. Never throws: allocation failure is reported as kInternal.
JsonResult<JsonValue> parse_json(std::string_view input, const JsonParseOptions& options = {});

// True if [data, data+size) is valid UTF-8 without surrogates or overlongs.
bool is_valid_utf8(const char* data, size_t size);

// RFC 8259 number grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
bool is_json_number_text(std::string_view text);

}  // namespace gw::fhir
