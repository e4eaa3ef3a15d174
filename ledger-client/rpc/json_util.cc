#include "ledger-client/rpc/json_util.h"

#include <algorithm>
#include <cctype>

namespace gw::ledger::rpc_internal {
namespace {

// Maximum container nesting of `text`, counting brackets outside strings;
// stops counting once `limit` is exceeded. Malformed text is left for the
// parser to refuse.
bool nesting_exceeds(std::string_view text, int limit) {
  int depth = 0;
  bool in_string = false;
  bool escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > limit) return true;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return false;
}

std::optional<std::string_view> hex_body(const Json& v) {
  if (!v.IsString()) return std::nullopt;
  std::string_view s(v.GetString(), v.GetStringLength());
  if (s.size() < 2 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X')) return std::nullopt;
  s.remove_prefix(2);
  // Only hex digits: from_hex() would also take a second "0x" prefix.
  for (char c : s) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) return std::nullopt;
  }
  return s;
}

}  // namespace

std::optional<std::string> parse_json(std::string_view text, JsonDoc& doc) {
  if (nesting_exceeds(text, kMaxJsonDepth)) {
    return "JSON nested deeper than " + std::to_string(kMaxJsonDepth) + " levels";
  }
  rapidjson::MemoryStream ms(text.data(), text.size());
  constexpr unsigned kFlags =
      rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag;
  doc.ParseStream<kFlags, rapidjson::UTF8<>>(ms);
  if (doc.HasParseError()) {
    return std::string("not JSON: ") + rapidjson::GetParseError_En(doc.GetParseError()) +
           " at offset " + std::to_string(doc.GetErrorOffset());
  }
  return std::nullopt;
}

std::string to_json_text(const Json& v) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buf);
  v.Accept(writer);
  return std::string(buf.GetString(), buf.GetSize());
}

std::string json_quote(std::string_view s) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buf);
  writer.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
  return std::string(buf.GetString(), buf.GetSize());
}

const Json* member(const Json& obj, const char* key) {
  if (!obj.IsObject()) return nullptr;
  auto it = obj.FindMember(key);
  return it == obj.MemberEnd() ? nullptr : &it->value;
}

std::optional<Uint256> read_u256(const Json& v) {
  auto body = hex_body(v);
  if (!body || body->empty()) return std::nullopt;
  return Uint256::from_hex(*body);
}

std::optional<uint64_t> read_u64(const Json& v) {
  auto u = read_u256(v);
  if (!u) return std::nullopt;
  return u->to_u64();
}

std::optional<std::vector<uint8_t>> read_data(const Json& v) {
  auto body = hex_body(v);
  if (!body || body->size() % 2 != 0) return std::nullopt;
  return from_hex(*body);
}

std::optional<Address20> read_address(const Json& v) {
  auto body = hex_body(v);
  if (!body || body->size() != 40) return std::nullopt;
  auto bytes = from_hex(*body);
  if (!bytes) return std::nullopt;
  Address20 a{};
  std::copy(bytes->begin(), bytes->end(), a.begin());
  return a;
}

std::optional<Hash256> read_hash(const Json& v) {
  auto body = hex_body(v);
  if (!body || body->size() != 64) return std::nullopt;
  auto bytes = from_hex(*body);
  if (!bytes) return std::nullopt;
  Hash256 h{};
  std::copy(bytes->begin(), bytes->end(), h.begin());
  return h;
}

std::string data_hex(std::span<const uint8_t> bytes) { return "0x" + to_hex(bytes); }

std::string quantity_hex(uint64_t v) { return Uint256::from_u64(v).to_hex(); }

RpcFailure bad_field(std::string_view field, std::string_view problem) {
  std::string text(field);
  text += ": ";
  text += problem;
  return RpcFailure::make(RpcFailure::Kind::kBadResponse, text);
}

}  // namespace gw::ledger::rpc_internal
