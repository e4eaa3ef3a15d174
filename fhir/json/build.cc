// Building and editing JsonValue trees (see json.h, "Building values").
#include <new>
#include <string>
#include <string_view>
#include <utility>

#include "fhir/json/json.h"

namespace gw::fhir {
namespace {

// Copies `in`, replacing each maximal invalid UTF-8 sequence by U+FFFD.
std::string repair_utf8(const std::string& in) {
  std::string out;
  out.reserve(in.size() + 8);
  size_t i = 0;
  while (i < in.size()) {
    // Longest valid prefix of 1..4 bytes starting at i.
    size_t n = 0;
    for (size_t len = 1; len <= 4 && i + len <= in.size(); ++len) {
      if (is_valid_utf8(in.data() + i, len)) {
        n = len;
        break;
      }
    }
    if (n == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
    } else {
      out.append(in, i, n);
      i += n;
    }
  }
  return out;
}

// Member names are nearly always short ASCII literals: checked inline
// before the general UTF-8 validation.
bool is_ascii(const std::string& s) {
  unsigned char any = 0;
  for (char c : s) any |= static_cast<unsigned char>(c);
  return any < 0x80;
}

}  // namespace

bool is_json_number_text(std::string_view t) {
  size_t i = 0;
  auto digit = [&](size_t k) { return k < t.size() && t[k] >= '0' && t[k] <= '9'; };
  if (i < t.size() && t[i] == '-') ++i;
  if (!digit(i)) return false;
  if (t[i] == '0') {
    ++i;
  } else {
    while (digit(i)) ++i;
  }
  if (i < t.size() && t[i] == '.') {
    ++i;
    if (!digit(i)) return false;
    while (digit(i)) ++i;
  }
  if (i < t.size() && (t[i] == 'e' || t[i] == 'E')) {
    ++i;
    if (i < t.size() && (t[i] == '+' || t[i] == '-')) ++i;
    if (!digit(i)) return false;
    while (digit(i)) ++i;
  }
  return i == t.size();
}

// ---- Storage (json.h, "Representation") -----------------------------------

void JsonValue::init(JsonType type) {
  switch (type) {
    case JsonType::kNumber:
    case JsonType::kString:
      new (&u_.text) std::string();
      break;
    case JsonType::kArray:
      new (&u_.items) std::vector<JsonValue>();
      break;
    case JsonType::kObject:
      new (&u_.members) std::vector<JsonMember>();
      break;
    default:
      break;
  }
  type_ = type;
}

JsonValue::JsonValue(const JsonValue& other) {
  switch (other.type_) {
    case JsonType::kNumber:
    case JsonType::kString:
      new (&u_.text) std::string(other.u_.text);
      break;
    case JsonType::kArray:
      new (&u_.items) std::vector<JsonValue>(other.u_.items);
      break;
    case JsonType::kObject:
      new (&u_.members) std::vector<JsonMember>(other.u_.members);
      break;
    default:
      break;
  }
  type_ = other.type_;
  bool_ = other.bool_;
}

JsonValue& JsonValue::operator=(const JsonValue& other) {
  if (this != &other) {
    JsonValue copy(other);  // first, so that a failed copy leaves this intact
    *this = std::move(copy);
  }
  return *this;
}

JsonValue& JsonValue::operator=(JsonValue&& other) noexcept {
  if (this != &other) {
    // `other` may live inside this value (v = std::move(v.items()[0])): move
    // it out before this value's payload is destroyed.
    JsonValue moved;
    moved.take(other);
    reset();
    take(moved);
  }
  return *this;
}

const std::string& JsonValue::empty_text() {
  static const std::string empty;
  return empty;
}

const std::vector<JsonValue>& JsonValue::empty_items() {
  static const std::vector<JsonValue> empty;
  return empty;
}

const std::vector<JsonMember>& JsonValue::empty_members() {
  static const std::vector<JsonMember> empty;
  return empty;
}

std::vector<JsonValue>& JsonValue::mutable_items() {
  if (is_array()) return u_.items;
  thread_local std::vector<JsonValue> detached;
  detached.clear();
  return detached;
}

JsonValue JsonValue::make_string(std::string text) {
  JsonValue v;
  v.init(JsonType::kString);
  if (is_valid_utf8(text.data(), text.size())) {
    v.u_.text = std::move(text);
  } else {
    v.u_.text = repair_utf8(text);
  }
  return v;
}

JsonValue JsonValue::make_number(std::string text) {
  JsonValue v;
  if (!is_json_number_text(text)) return v;
  v.init(JsonType::kNumber);
  v.u_.text = std::move(text);
  return v;
}

JsonValue JsonValue::make_bool(bool value) {
  JsonValue v;
  v.type_ = JsonType::kBool;
  v.bool_ = value;
  return v;
}

JsonValue JsonValue::make_object() {
  JsonValue v;
  v.init(JsonType::kObject);
  return v;
}

JsonValue JsonValue::make_array() {
  JsonValue v;
  v.init(JsonType::kArray);
  return v;
}

JsonValue& JsonValue::add(std::string key, JsonValue value) {
  if (type_ != JsonType::kObject) *this = make_object();
  std::vector<JsonMember>& members = u_.members;
  for (JsonMember& m : members) {
    if (m.key == key) {
      m.value = std::move(value);
      return m.value;
    }
  }
  if (!is_ascii(key) && !is_valid_utf8(key.data(), key.size())) key = repair_utf8(key);
  // Built objects are small (a Coding, a Reference, an Identifier have one
  // to four members); starting at 4 avoids the 1-2-4 regrowth, each step of
  // which moves every member.
  if (members.capacity() == 0) members.reserve(4);
  // Built in place: one move of `value` instead of two.
  JsonMember& m = members.emplace_back();
  m.key = std::move(key);
  m.value.take(value);
  return m.value;
}

JsonValue& JsonValue::push(JsonValue value) {
  if (type_ != JsonType::kArray) *this = make_array();
  std::vector<JsonValue>& items = u_.items;
  if (items.capacity() == 0) items.reserve(4);
  items.push_back(std::move(value));
  return items.back();
}

bool JsonValue::remove(std::string_view key) {
  if (!is_object()) return false;
  std::vector<JsonMember>& members = u_.members;
  for (auto it = members.begin(); it != members.end(); ++it) {
    if (it->key == key) {
      members.erase(it);
      return true;
    }
  }
  return false;
}

JsonValue* JsonValue::find_mutable(std::string_view key) {
  if (!is_object()) return nullptr;
  for (JsonMember& m : u_.members) {
    if (m.key == key) return &m.value;
  }
  return nullptr;
}

bool JsonValue::empty() const {
  switch (type_) {
    case JsonType::kNull:
      return true;
    case JsonType::kObject:
      return u_.members.empty();
    case JsonType::kArray:
      return u_.items.empty();
    default:
      return false;
  }
}

}  // namespace gw::fhir
