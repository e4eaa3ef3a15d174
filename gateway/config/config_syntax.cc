#include "gateway/config/config_syntax.h"

#include <charconv>

namespace gw::config::internal {

const char* kind_name(Value::Kind k) {
  switch (k) {
    case Value::Kind::kString:
      return "a string";
    case Value::Kind::kInteger:
      return "an integer";
    case Value::Kind::kBool:
      return "true or false";
    case Value::Kind::kStringArray:
      return "an array of strings";
  }
  return "?";
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

bool is_bare_key_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

bool parse_string(std::string_view s, size_t* pos, std::string* out, std::string* why) {
  size_t i = *pos + 1;
  out->clear();
  while (i < s.size()) {
    char c = s[i];
    if (c == '"') {
      *pos = i + 1;
      return true;
    }
    if (static_cast<unsigned char>(c) < 0x20 && c != '\t') {
      *why = "control character in string";
      return false;
    }
    if (c == '\\') {
      if (i + 1 >= s.size()) break;
      char e = s[i + 1];
      switch (e) {
        case '"':
          out->push_back('"');
          break;
        case '\\':
          out->push_back('\\');
          break;
        case 'n':
          out->push_back('\n');
          break;
        case 't':
          out->push_back('\t');
          break;
        case 'r':
          out->push_back('\r');
          break;
        default:
          *why = std::string("unsupported escape \\") + e + " in string";
          return false;
      }
      i += 2;
      continue;
    }
    out->push_back(c);
    ++i;
  }
  *why = "unterminated string";
  return false;
}

bool only_comment_left(std::string_view s, size_t pos) {
  while (pos < s.size() && (s[pos] == ' ' || s[pos] == '\t')) ++pos;
  return pos >= s.size() || s[pos] == '#';
}

bool parse_value(std::string_view s, Value* v, std::string* why) {
  if (s.empty()) {
    *why = "missing value";
    return false;
  }
  size_t pos = 0;
  if (s[0] == '"') {
    v->kind = Value::Kind::kString;
    if (!parse_string(s, &pos, &v->str, why)) return false;
  } else if (s[0] == '[') {
    v->kind = Value::Kind::kStringArray;
    pos = 1;
    for (;;) {
      while (pos < s.size() && (s[pos] == ' ' || s[pos] == '\t')) ++pos;
      if (pos < s.size() && s[pos] == ']') {
        ++pos;
        break;
      }
      if (pos >= s.size() || s[pos] != '"') {
        *why = "arrays must hold strings and close on the same line";
        return false;
      }
      std::string item;
      if (!parse_string(s, &pos, &item, why)) return false;
      v->array.push_back(std::move(item));
      while (pos < s.size() && (s[pos] == ' ' || s[pos] == '\t')) ++pos;
      if (pos < s.size() && s[pos] == ',') {
        ++pos;
        continue;
      }
      if (pos < s.size() && s[pos] == ']') {
        ++pos;
        break;
      }
      *why = "expected ',' or ']' in array";
      return false;
    }
  } else if (s.starts_with("true") || s.starts_with("false")) {
    v->kind = Value::Kind::kBool;
    v->boolean = s[0] == 't';
    pos = v->boolean ? 4 : 5;
  } else {
    v->kind = Value::Kind::kInteger;
    size_t end = 0;
    while (end < s.size() && s[end] != ' ' && s[end] != '\t' && s[end] != '#') ++end;
    std::string digits;
    for (char c : s.substr(0, end))
      if (c != '_') digits.push_back(c);
    auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v->integer);
    if (ec != std::errc() || p != digits.data() + digits.size() || digits.empty()) {
      *why = "value is not a string, integer, boolean or array (strings need double quotes)";
      return false;
    }
    pos = end;
  }
  if (!only_comment_left(s, pos)) {
    *why = "unexpected text after the value";
    return false;
  }
  return true;
}

}  // namespace gw::config::internal
