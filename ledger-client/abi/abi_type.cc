#include "ledger-client/abi/abi_type.h"

#include <optional>

namespace gw::ledger {
namespace {

Status type_error(std::string_view what) {
  return invalid_argument_error("ABI type: " + std::string(what));
}

// Static encoded size of `t`, or nullopt when it exceeds kAbiMaxStaticSize.
// Precondition: structurally valid (components present where needed).
std::optional<size_t> static_size(const AbiType& t) {
  switch (t.kind) {
    case AbiKind::kFixedArray: {
      auto elem = static_size(t.components[0]);
      if (!elem) return std::nullopt;
      if (*elem != 0 && t.size > kAbiMaxStaticSize / *elem) return std::nullopt;
      return *elem * t.size;
    }
    case AbiKind::kTuple: {
      size_t total = 0;
      for (const AbiType& c : t.components) {
        auto s = static_size(c);
        if (!s || *s > kAbiMaxStaticSize - total) return std::nullopt;
        total += *s;
      }
      return total;
    }
    default:
      return 32;
  }
}

Status check(const AbiType& t, size_t depth) {
  if (depth > kAbiMaxTypeDepth)
    return type_error("nested deeper than " + std::to_string(kAbiMaxTypeDepth) + " levels");
  switch (t.kind) {
    case AbiKind::kUint:
    case AbiKind::kInt:
      if (t.size < 8 || t.size > 256 || t.size % 8 != 0)
        return type_error("integer width must be a multiple of 8 from 8 to 256");
      break;
    case AbiKind::kFixedBytes:
      if (t.size < 1 || t.size > 32) return type_error("bytes<N> needs N from 1 to 32");
      break;
    case AbiKind::kArray:
    case AbiKind::kFixedArray:
      if (t.components.size() != 1) return type_error("an array needs exactly one element type");
      if (t.kind == AbiKind::kFixedArray && t.size > kAbiMaxFixedArrayLength)
        return type_error("fixed array longer than " + std::to_string(kAbiMaxFixedArrayLength));
      return check(t.components[0], depth + 1);
    case AbiKind::kTuple:
      if (t.components.size() > kAbiMaxTupleSize)
        return type_error("tuple with more than " + std::to_string(kAbiMaxTupleSize) + " members");
      for (const AbiType& c : t.components) GW_RETURN_IF_ERROR(check(c, depth + 1));
      break;
    default:
      break;
  }
  return ok_status();
}

bool is_ident_char(char c, bool first) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '$') return true;
  return !first && c >= '0' && c <= '9';
}

// Parses a decimal without sign or leading zeros, up to `max`.
std::optional<uint32_t> parse_small(std::string_view digits, uint32_t max) {
  if (digits.empty() || (digits.size() > 1 && digits[0] == '0') || digits.size() > 9)
    return std::nullopt;
  uint32_t v = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<uint32_t>(c - '0');
  }
  if (v > max) return std::nullopt;
  return v;
}

class Parser {
 public:
  explicit Parser(std::string_view s) : s_(s) {}

  bool at_end() const { return pos_ >= s_.size(); }
  char peek() const { return at_end() ? '\0' : s_[pos_]; }
  bool eat(char c) {
    if (peek() != c) return false;
    ++pos_;
    return true;
  }
  void skip_spaces() {
    while (peek() == ' ') ++pos_;
  }
  std::string_view identifier() {
    size_t start = pos_;
    while (!at_end() && is_ident_char(s_[pos_], pos_ == start)) ++pos_;
    return s_.substr(start, pos_ - start);
  }
  size_t pos() const { return pos_; }

  Result<AbiType> type(size_t depth) {
    if (depth > kAbiMaxTypeDepth)
      return type_error("nested deeper than " + std::to_string(kAbiMaxTypeDepth) + " levels");
    AbiType t;
    if (s_.substr(pos_).starts_with("tuple(")) pos_ += 5;
    if (eat('(')) {
      t = AbiType::tuple({});
      skip_spaces();
      if (!eat(')')) {
        while (true) {
          skip_spaces();
          auto member = type(depth + 1);
          if (!member) return member;
          if (t.components.size() == kAbiMaxTupleSize)
            return type_error("tuple with more than " + std::to_string(kAbiMaxTupleSize) +
                              " members");
          t.components.push_back(std::move(*member));
          skip_spaces();
          if (eat(')')) break;
          if (!eat(',')) return type_error("expected ',' or ')' at column " + std::to_string(pos_));
        }
      }
    } else {
      auto e = elementary(identifier());
      if (!e) return e;
      t = std::move(*e);
    }
    while (eat('[')) {
      size_t start = pos_;
      while (!at_end() && s_[pos_] != ']') ++pos_;
      std::string_view digits = s_.substr(start, pos_ - start);
      if (!eat(']')) return type_error("unterminated '[' at column " + std::to_string(start));
      if (++depth > kAbiMaxTypeDepth)
        return type_error("nested deeper than " + std::to_string(kAbiMaxTypeDepth) + " levels");
      if (digits.empty()) {
        t = AbiType::array(std::move(t));
      } else {
        auto k = parse_small(digits, kAbiMaxFixedArrayLength);
        if (!k)
          return type_error("array length '" + std::string(digits) + "' is not a number up to " +
                            std::to_string(kAbiMaxFixedArrayLength));
        t = AbiType::fixed_array(std::move(t), *k);
      }
    }
    return t;
  }

 private:
  static Result<AbiType> elementary(std::string_view id) {
    if (id.empty()) return type_error("expected a type name");
    if (id == "address") return AbiType::address();
    if (id == "bool") return AbiType::boolean();
    if (id == "string") return AbiType::string();
    if (id == "bytes") return AbiType::bytes();
    if (id == "uint") return AbiType::uint(256);
    if (id == "int") return AbiType::int_(256);
    auto sized = [&](std::string_view prefix, uint32_t max) -> std::optional<uint32_t> {
      if (!id.starts_with(prefix)) return std::nullopt;
      return parse_small(id.substr(prefix.size()), max);
    };
    if (auto n = sized("bytes", 32); n && *n >= 1) return AbiType::fixed_bytes(*n);
    if (auto m = sized("uint", 256); m && *m >= 8 && *m % 8 == 0) return AbiType::uint(*m);
    if (auto m = sized("int", 256); m && *m >= 8 && *m % 8 == 0) return AbiType::int_(*m);
    if (id.starts_with("fixed") || id.starts_with("ufixed") || id == "function")
      return type_error("'" + std::string(id) + "' is not supported by this client");
    return type_error("unknown type '" + std::string(id) + "'");
  }

  std::string_view s_;
  size_t pos_ = 0;
};

bool is_location_keyword(std::string_view w) {
  return w == "memory" || w == "calldata" || w == "storage";
}

Result<AbiSignature> parse_signature(std::string_view text, bool event, bool anonymous) {
  Parser p(text);
  AbiSignature sig;
  p.skip_spaces();
  sig.name = std::string(p.identifier());
  if (sig.name.empty()) return invalid_argument_error("ABI signature: expected a name before '('");
  if (!p.eat('('))
    return invalid_argument_error("ABI signature: expected '(' after '" + sig.name + "'");
  p.skip_spaces();
  size_t indexed = 0;
  if (!p.eat(')')) {
    while (true) {
      p.skip_spaces();
      auto t = p.type(1);
      if (!t) return t.error().with_context("ABI signature '" + sig.name + "'");
      GW_RETURN_IF_ERROR(check_abi_type(*t));
      AbiParam param{std::move(*t), false, ""};
      p.skip_spaces();
      std::string_view word = p.identifier();
      while (!word.empty()) {
        if (word == "indexed" && event && !param.indexed && param.name.empty()) {
          param.indexed = true;
          ++indexed;
        } else if (is_location_keyword(word) && param.name.empty()) {
          // Data locations ("string memory s") do not change the ABI.
        } else if (param.name.empty()) {
          param.name = std::string(word);
        } else {
          return invalid_argument_error("ABI signature '" + sig.name + "': unexpected word '" +
                                        std::string(word) + "' after parameter name '" +
                                        param.name + "'");
        }
        p.skip_spaces();
        word = p.identifier();
      }
      sig.params.push_back(std::move(param));
      if (sig.params.size() > kAbiMaxTupleSize)
        return invalid_argument_error("ABI signature '" + sig.name + "': too many parameters");
      if (p.eat(')')) break;
      if (!p.eat(','))
        return invalid_argument_error("ABI signature '" + sig.name +
                                      "': expected ',' or ')' at column " +
                                      std::to_string(p.pos()));
    }
  }
  p.skip_spaces();
  if (!p.at_end())
    return invalid_argument_error("ABI signature '" + sig.name +
                                  "': unexpected text after ')' at column " +
                                  std::to_string(p.pos()));
  if (indexed > (anonymous ? 4u : 3u))
    return invalid_argument_error("ABI signature '" + sig.name +
                                  "': more indexed parameters than the log has topics");
  return sig;
}

}  // namespace

bool AbiType::is_dynamic() const {
  switch (kind) {
    case AbiKind::kBytes:
    case AbiKind::kString:
    case AbiKind::kArray:
      return true;
    case AbiKind::kFixedArray:
      return components[0].is_dynamic();
    case AbiKind::kTuple:
      for (const AbiType& c : components)
        if (c.is_dynamic()) return true;
      return false;
    default:
      return false;
  }
}

size_t AbiType::head_size() const {
  if (is_dynamic()) return 32;
  return static_size(*this).value_or(0);
}

std::string AbiType::canonical() const {
  switch (kind) {
    case AbiKind::kUint:
      return "uint" + std::to_string(size);
    case AbiKind::kInt:
      return "int" + std::to_string(size);
    case AbiKind::kAddress:
      return "address";
    case AbiKind::kBool:
      return "bool";
    case AbiKind::kFixedBytes:
      return "bytes" + std::to_string(size);
    case AbiKind::kBytes:
      return "bytes";
    case AbiKind::kString:
      return "string";
    case AbiKind::kArray:
      return components[0].canonical() + "[]";
    case AbiKind::kFixedArray:
      return components[0].canonical() + "[" + std::to_string(size) + "]";
    case AbiKind::kTuple: {
      std::string out = "(";
      for (size_t i = 0; i < components.size(); ++i) {
        if (i > 0) out += ",";
        out += components[i].canonical();
      }
      return out + ")";
    }
  }
  return "?";
}

Status check_abi_type(const AbiType& type) {
  GW_RETURN_IF_ERROR(check(type, 0));
  // Every static part, including static members of dynamic types, must stay
  // within kAbiMaxStaticSize.
  std::vector<const AbiType*> stack = {&type};
  while (!stack.empty()) {
    const AbiType* t = stack.back();
    stack.pop_back();
    if (!t->is_dynamic() && !static_size(*t))
      return type_error("static encoding larger than " + std::to_string(kAbiMaxStaticSize) +
                        " bytes");
    if (t->is_dynamic())
      for (const AbiType& c : t->components) stack.push_back(&c);
  }
  return ok_status();
}

Result<AbiType> parse_abi_type(std::string_view text) {
  Parser p(text);
  auto t = p.type(0);
  if (!t) return t;
  if (!p.at_end())
    return type_error("unexpected text at column " + std::to_string(p.pos()) + " of '" +
                      std::string(text) + "'");
  GW_RETURN_IF_ERROR(check_abi_type(*t));
  return t;
}

std::string AbiSignature::canonical() const {
  std::string out = name + "(";
  for (size_t i = 0; i < params.size(); ++i) {
    if (i > 0) out += ",";
    out += params[i].type.canonical();
  }
  return out + ")";
}

std::vector<AbiType> AbiSignature::types() const {
  std::vector<AbiType> out;
  out.reserve(params.size());
  for (const AbiParam& p : params) out.push_back(p.type);
  return out;
}

Result<AbiSignature> parse_function_signature(std::string_view text) {
  return parse_signature(text, /*event=*/false, /*anonymous=*/false);
}

Result<AbiSignature> parse_event_signature(std::string_view text, bool anonymous) {
  return parse_signature(text, /*event=*/true, anonymous);
}

}  // namespace gw::ledger
