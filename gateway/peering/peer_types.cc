#include "gateway/peering/peer_types.h"

#include "fhir/json/json.h"
#include "fhir/json/write.h"

namespace gw::peering {

std::string to_hex(std::span<const uint8_t> bytes) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (uint8_t b : bytes) {
    out += kDigits[b >> 4];
    out += kDigits[b & 0xf];
  }
  return out;
}

std::string account_text(const Account& account) { return "0x" + to_hex(account); }

bool parse_account(std::string_view text, Account* out) {
  if (text.size() != 2 + 2 * out->size() || !(text.starts_with("0x") || text.starts_with("0X")))
    return false;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  Account a{};
  for (size_t i = 0; i < a.size(); ++i) {
    const int hi = nibble(text[2 + 2 * i]), lo = nibble(text[3 + 2 * i]);
    if (hi < 0 || lo < 0) return false;
    a[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  *out = a;
  return true;
}

PeerResponse peer_error(int status, std::string_view code, std::string_view reason) {
  fhir::JsonValue body = fhir::JsonValue::make_object();
  body.add("error", fhir::JsonValue::make_string(std::string(code)));
  body.add("reason", fhir::JsonValue::make_string(std::string(reason)));
  return PeerResponse{status, fhir::write_json(body)};
}

}  // namespace gw::peering
