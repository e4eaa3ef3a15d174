// What the member-to-member API (port 8444) carries, seen by the code on
// either side of it: the request a handler receives with the member account
// its caller's certificate belongs to, and the JSON response it returns. No
// Poco or OpenSSL type appears here; peer_server.h and peer_client.h are the
// transport.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace gw::peering {

// SHA-256 of a certificate's DER encoding: ProviderRegistry's
// MemberInfo.tls_fingerprint.
using Fingerprint = std::array<uint8_t, 32>;
// A member's account on the consortium ledger (ledger-client's Address).
using Account = std::array<uint8_t, 20>;

// Lower-case hex without a prefix. Fingerprints and accounts are not PHI, so
// errors and logs may carry them.
std::string to_hex(std::span<const uint8_t> bytes);
// "0x" + to_hex(account): how logs and errors name a member.
std::string account_text(const Account& account);
// "0x" + 40 hex digits (any case), as [peers] keys are written; false for
// anything else.
bool parse_account(std::string_view text, Account* out);

struct PeerRequest {
  Account peer{};             // the active member whose certificate made the call
  Fingerprint fingerprint{};  // of that certificate
  std::string method;         // "GET", "POST", ...
  std::string path;           // as sent, without the query; percent escapes not decoded
  std::string query;          // after '?', as sent; empty without one
  std::string body;           // at most PeerServerOptions::max_body_bytes
};

struct PeerResponse {
  int status = 200;
  std::string body;  // JSON (sent as application/json); empty: no body
};

// {"error": code, "reason": reason} with `status`. Both strings end up in the
// peer's logs and ours: never put PHI in them.
PeerResponse peer_error(int status, std::string_view code, std::string_view reason);

}  // namespace gw::peering
