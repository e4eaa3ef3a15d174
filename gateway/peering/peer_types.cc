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

PeerResponse peer_error(int status, std::string_view code, std::string_view reason) {
  fhir::JsonValue body = fhir::JsonValue::make_object();
  body.add("error", fhir::JsonValue::make_string(std::string(code)));
  body.add("reason", fhir::JsonValue::make_string(std::string(reason)));
  return PeerResponse{status, fhir::write_json(body)};
}

}  // namespace gw::peering
