// Internal helpers shared by the encoders and decoders of this folder: the
// parsed signatures of abi_specs.cc and conversions between the typed structs
// and AbiValue. Not part of the public API.
#pragma once

#include <algorithm>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/base/status.h"
#include "ledger-client/abi/abi_codec.h"
#include "ledger-client/abi/abi_type.h"
#include "ledger-client/abi/abi_value.h"
#include "ledger-client/consortium/contracts.h"
#include "ledger-client/keccak/keccak.h"
#include "ledger-client/rlp/uint256.h"

namespace gw::ledger::consortium::internal {

// One function of abi_specs.cc, parsed once at first use.
struct ParsedFunction {
  AbiSignature sig;
  Selector selector{};
  std::vector<AbiType> inputs;
  std::vector<AbiType> outputs;
};

// The function of `kind` whose name (or canonical signature, for overloads)
// is `name`. Aborts if there is none: callers pass literals, and the tests
// call every encoder. Callers keep the reference in a function-local static.
const ParsedFunction& function(ContractKind kind, std::string_view name);

// head + abi_encode(f.inputs, args): head is the selector for a call, the
// creation bytecode for a deployment. Aborts if the values do not fit the
// types (a bug in the calling encoder, not a data error).
std::vector<uint8_t> encode_with_head(std::span<const uint8_t> head, const ParsedFunction& f,
                                      std::span<const AbiValue> args);

inline std::vector<uint8_t> encode_call(const ParsedFunction& f,
                                        std::span<const AbiValue> args = {}) {
  return encode_with_head(f.selector, f, args);
}

// Decodes eth_call's return bytes (untrusted) as f's outputs.
Result<std::vector<AbiValue>> decode_return(const ParsedFunction& f, std::span<const uint8_t> data);

// Typed field -> AbiValue.
inline AbiValue b32(const Hash256& h) { return AbiValue::bytes({h.begin(), h.end()}); }
inline AbiValue addr(const Address& a) { return AbiValue::address(a); }
inline AbiValue u64(uint64_t v) { return AbiValue::uint(v); }
inline AbiValue u256(const Uint256& v) { return AbiValue::uint(v); }

// AbiValue -> typed field. The values come from abi_decode against the
// expected types, which guarantees their shape and range; a mismatch still
// yields a zero value rather than a crash.
inline Hash256 get_hash(const AbiValue& v) {
  Hash256 h{};
  const auto* b = v.as_bytes();
  if (b != nullptr && b->size() == h.size()) std::copy(b->begin(), b->end(), h.begin());
  return h;
}
inline Address get_address(const AbiValue& v) {
  const Address* a = v.as_address();
  return a != nullptr ? *a : Address{};
}
inline Uint256 get_u256(const AbiValue& v) {
  const Uint256* w = v.as_word();
  return w != nullptr ? *w : Uint256{};
}
// For uint<M> with M <= 64.
inline uint64_t get_u64(const AbiValue& v) { return get_u256(v).to_u64().value_or(0); }
inline bool get_bool(const AbiValue& v) {
  const bool* b = v.as_bool();
  return b != nullptr && *b;
}
inline std::string get_string(const AbiValue& v) {
  const std::string* s = v.as_string();
  return s != nullptr ? *s : std::string();
}
inline std::vector<uint8_t> get_bytes(const AbiValue& v) {
  const auto* b = v.as_bytes();
  return b != nullptr ? *b : std::vector<uint8_t>();
}
inline const AbiValue::List& get_list(const AbiValue& v) {
  static const AbiValue::List kEmpty;
  const AbiValue::List* l = v.as_list();
  return l != nullptr ? *l : kEmpty;
}

}  // namespace gw::ledger::consortium::internal
