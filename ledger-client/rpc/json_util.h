// Internal to ledger-client/rpc: RapidJSON parsing of untrusted node replies
// and the strict readers of Ethereum's JSON-RPC encodings (QUANTITY, DATA,
// addresses, hashes). Not a public header: RapidJSON types stay inside rpc/.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ledger-client/keccak/keccak.h"
#include "ledger-client/rlp/uint256.h"
#include "ledger-client/rpc/rapidjson.h"
#include "ledger-client/rpc/rpc_result.h"

namespace gw::ledger::rpc_internal {

using Json = rapidjson::Value;
using JsonDoc = rapidjson::Document;
using Address20 = std::array<uint8_t, 20>;

// Nesting deeper than this is refused before RapidJSON sees the text: no
// Ethereum reply nests more than ~6 levels, and RapidJSON's DOM is destroyed
// recursively, so a deep document could exhaust the stack on destruction.
inline constexpr int kMaxJsonDepth = 64;

// Parses `text` (iteratively, UTF-8 validated, no trailing data) into `doc`.
// nullopt on success, else why it is not acceptable JSON.
std::optional<std::string> parse_json(std::string_view text, JsonDoc& doc);

// Compact JSON text of `v` (the "raw result" handed to typed parsers).
std::string to_json_text(const Json& v);

// JSON string literal for `s` (quotes and escapes added).
std::string json_quote(std::string_view s);

// The member `key` of object `obj`, or nullptr when absent.
const Json* member(const Json& obj, const char* key);

// Strict readers: each returns nullopt when `v` is not of the expected shape.
// QUANTITY: "0x" + 1..64 hex digits (leading zeros tolerated).
std::optional<Uint256> read_u256(const Json& v);
std::optional<uint64_t> read_u64(const Json& v);
// DATA: "0x" + an even number of hex digits.
std::optional<std::vector<uint8_t>> read_data(const Json& v);
std::optional<Address20> read_address(const Json& v);
std::optional<Hash256> read_hash(const Json& v);

// "0x" + lowercase hex of `bytes` (DATA form, "0x" for empty).
std::string data_hex(std::span<const uint8_t> bytes);
// "0x" + minimal hex ("0x0" for zero), the QUANTITY form.
std::string quantity_hex(uint64_t v);

// A kBadResponse failure naming `field`.
RpcFailure bad_field(std::string_view field, std::string_view problem);

}  // namespace gw::ledger::rpc_internal
