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

gw::Result<std::string> parse_string(std::string_view s, size_t* pos) {
  size_t i = *pos + 1;
  std::string out;
  while (i < s.size()) {
    char c = s[i];
    if (c == '"') {
      *pos = i + 1;
      return out;
    }
    if (static_cast<unsigned char>(c) < 0x20 && c != '\t') {
      return invalid_argument_error("control character in string");
    }
    if (c == '\\') {
      if (i + 1 >= s.size()) break;
      char e = s[i + 1];
      switch (e) {
        case '"':
          out.push_back('"');
          break;
        case '\\':
          out.push_back('\\');
          break;
        case 'n':
          out.push_back('\n');
          break;
        case 't':
          out.push_back('\t');
          break;
        case 'r':
          out.push_back('\r');
          break;
        default:
          return invalid_argument_error(std::string("unsupported escape \\") + e + " in string");
      }
      i += 2;
      continue;
    }
    out.push_back(c);
    ++i;
  }
  return invalid_argument_error("unterminated string");
}

bool only_comment_left(std::string_view s, size_t pos) {
  while (pos < s.size() && (s[pos] == ' ' || s[pos] == '\t')) ++pos;
  return pos >= s.size() || s[pos] == '#';
}

gw::Result<Value> parse_value(std::string_view s) {
  if (s.empty()) {
    return invalid_argument_error("missing value");
  }
  Value value;
  size_t pos = 0;
  if (s[0] == '"') {
    value.kind = Value::Kind::kString;
    GW_ASSIGN_OR_RETURN(value.str, parse_string(s, &pos));
  } else if (s[0] == '[') {
    value.kind = Value::Kind::kStringArray;
    pos = 1;
    for (;;) {
      while (pos < s.size() && (s[pos] == ' ' || s[pos] == '\t')) ++pos;
      if (pos < s.size() && s[pos] == ']') {
        ++pos;
        break;
      }
      if (pos >= s.size() || s[pos] != '"') {
        return invalid_argument_error("arrays must hold strings and close on the same line");
      }
      GW_ASSIGN_OR_RETURN(std::string item, parse_string(s, &pos));
      value.array.push_back(std::move(item));
      while (pos < s.size() && (s[pos] == ' ' || s[pos] == '\t')) ++pos;
      if (pos < s.size() && s[pos] == ',') {
        ++pos;
        continue;
      }
      if (pos < s.size() && s[pos] == ']') {
        ++pos;
        break;
      }
      return invalid_argument_error("expected ',' or ']' in array");
    }
  } else if (s.starts_with("true") || s.starts_with("false")) {
    value.kind = Value::Kind::kBool;
    value.boolean = s[0] == 't';
    pos = value.boolean ? 4 : 5;
  } else {
    value.kind = Value::Kind::kInteger;
    size_t end = 0;
    while (end < s.size() && s[end] != ' ' && s[end] != '\t' && s[end] != '#') ++end;
    std::string digits;
    for (char c : s.substr(0, end))
      if (c != '_') digits.push_back(c);
    auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value.integer);
    if (ec != std::errc() || p != digits.data() + digits.size() || digits.empty()) {
      return invalid_argument_error(
          "value is not a string, integer, boolean or array (strings need double quotes)");
    }
    pos = end;
  }
  if (!only_comment_left(s, pos)) {
    return invalid_argument_error("unexpected text after the value");
  }
  return value;
}

}  // namespace gw::config::internal
