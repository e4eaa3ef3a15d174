// Building and editing JsonValue trees (see json.h, "Building values").
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

JsonValue JsonValue::make_string(std::string text) {
  JsonValue v;
  v.type_ = JsonType::kString;
  if (is_valid_utf8(text.data(), text.size())) {
    v.text_ = std::move(text);
  } else {
    v.text_ = repair_utf8(text);
  }
  return v;
}

JsonValue JsonValue::make_number(std::string text) {
  JsonValue v;
  if (!is_json_number_text(text)) return v;
  v.type_ = JsonType::kNumber;
  v.text_ = std::move(text);
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
  v.type_ = JsonType::kObject;
  return v;
}

JsonValue JsonValue::make_array() {
  JsonValue v;
  v.type_ = JsonType::kArray;
  return v;
}

JsonValue& JsonValue::add(std::string key, JsonValue value) {
  if (type_ != JsonType::kObject) *this = make_object();
  for (JsonMember& m : members_) {
    if (m.key == key) {
      m.value = std::move(value);
      return m.value;
    }
  }
  if (!is_valid_utf8(key.data(), key.size())) key = repair_utf8(key);
  // Built objects are small; starting at 8 avoids the 1-2-4-8 regrowth, each
  // step of which moves every member.
  if (members_.capacity() == 0) members_.reserve(8);
  members_.push_back(JsonMember{std::move(key), std::move(value)});
  return members_.back().value;
}

JsonValue& JsonValue::push(JsonValue value) {
  if (type_ != JsonType::kArray) *this = make_array();
  if (items_.capacity() == 0) items_.reserve(4);
  items_.push_back(std::move(value));
  return items_.back();
}

bool JsonValue::remove(std::string_view key) {
  for (auto it = members_.begin(); it != members_.end(); ++it) {
    if (it->key == key) {
      members_.erase(it);
      return true;
    }
  }
  return false;
}

JsonValue* JsonValue::find_mutable(std::string_view key) {
  for (JsonMember& m : members_) {
    if (m.key == key) return &m.value;
  }
  return nullptr;
}

bool JsonValue::empty() const {
  switch (type_) {
    case JsonType::kNull:
      return true;
    case JsonType::kObject:
      return members_.empty();
    case JsonType::kArray:
      return items_.empty();
    default:
      return false;
  }
}

}  // namespace gw::fhir
