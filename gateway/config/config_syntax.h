// Internal to gateway/config/config*.cc: the subset of TOML the configuration
// is written in (tables, `key = value`, basic strings, integers, booleans and
// one-line arrays of strings), line by line. Not a public header.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gateway/base/status.h"

namespace gw::config::internal {

// A parsed right-hand side. Arrays hold strings only: nothing in the schema
// needs more, and rejecting the rest keeps errors precise.
struct Value {
  enum class Kind { kString, kInteger, kBool, kStringArray } kind;
  std::string str;
  int64_t integer = 0;
  bool boolean = false;
  std::vector<std::string> array;
};

const char* kind_name(Value::Kind k);  // "a string", "an integer", ...

// Prefixes a message with "source:line: ".
class LineError {
 public:
  LineError(std::string source, int line) : source_(std::move(source)), line_(line) {}
  std::string operator()(const std::string& what) const {
    return source_ + ":" + std::to_string(line_) + ": " + what;
  }

 private:
  std::string source_;
  int line_;
};

std::string_view trim(std::string_view s);  // spaces, tabs and a trailing \r
bool is_bare_key_char(char c);
// Parses a "basic string" starting at s[*pos] == '"'. Advances *pos past the
// closing quote. The error's message is the reason, without file or line.
gw::Result<std::string> parse_string(std::string_view s, size_t* pos);
// Skips spaces, then requires end of line or a comment.
bool only_comment_left(std::string_view s, size_t pos);
// A right-hand side (comment allowed after it); the error's message is the
// reason it is malformed.
gw::Result<Value> parse_value(std::string_view s);

}  // namespace gw::config::internal
