// Solidity ABI types ("uint256", "bytes32[]", "(address,string)[2]") and
// signatures ("transfer(address to, uint256 amount)",
// "Transfer(address indexed from, address indexed to, uint256 value)"),
// parsed from the text that the Contract ABI Specification uses. The
// parser bounds nesting and sizes so a type can never make the codec
// allocate or recurse without limit.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/base/status.h"

namespace gw::ledger {

enum class AbiKind : uint8_t {
  kUint,        // uint<M>
  kInt,         // int<M>
  kAddress,     // address
  kBool,        // bool
  kFixedBytes,  // bytes<N>, 1 <= N <= 32
  kBytes,       // bytes
  kString,      // string
  kArray,       // T[]
  kFixedArray,  // T[k]
  kTuple,       // (T1,...,Tn)
};

// Limits that every parsed type satisfies; types built by hand are checked
// against them by the codec before use.
inline constexpr size_t kAbiMaxTypeDepth = 16;  // nested arrays/tuples
inline constexpr size_t kAbiMaxFixedArrayLength = 1 << 16;
inline constexpr size_t kAbiMaxTupleSize = 256;
inline constexpr size_t kAbiMaxStaticSize = 1 << 20;  // bytes of a static type's encoding

struct AbiType {
  AbiKind kind = AbiKind::kUint;
  // Bits for kUint/kInt, N for kFixedBytes, k for kFixedArray; else unused.
  uint32_t size = 256;
  // The element type (exactly one) for arrays, the members for tuples.
  std::vector<AbiType> components;

  static AbiType uint(uint32_t bits = 256) { return {AbiKind::kUint, bits, {}}; }
  static AbiType int_(uint32_t bits = 256) { return {AbiKind::kInt, bits, {}}; }
  static AbiType address() { return {AbiKind::kAddress, 0, {}}; }
  static AbiType boolean() { return {AbiKind::kBool, 0, {}}; }
  static AbiType fixed_bytes(uint32_t n) { return {AbiKind::kFixedBytes, n, {}}; }
  static AbiType bytes() { return {AbiKind::kBytes, 0, {}}; }
  static AbiType string() { return {AbiKind::kString, 0, {}}; }
  static AbiType array(AbiType element) { return {AbiKind::kArray, 0, {std::move(element)}}; }
  static AbiType fixed_array(AbiType element, uint32_t k) {
    return {AbiKind::kFixedArray, k, {std::move(element)}};
  }
  static AbiType tuple(std::vector<AbiType> members) {
    return {AbiKind::kTuple, 0, std::move(members)};
  }

  // Dynamic types are encoded out of line, behind an offset (bytes, string,
  // T[], and T[k] or tuples containing a dynamic type).
  bool is_dynamic() const;
  // Bytes this type takes in its parent's head: 32 for a dynamic type,
  // otherwise the full static encoding. Precondition: check_abi_type() ok.
  size_t head_size() const;
  // The canonical spelling used in signatures: "uint256", "(uint256,bytes32[])[2]".
  std::string canonical() const;

  friend bool operator==(const AbiType&, const AbiType&) = default;
};

// Checks that a type (perhaps built by hand) is well formed and within the
// limits above: bit sizes multiples of 8 in 8..256, bytes<N> in 1..32,
// arrays with exactly one element type.
Status check_abi_type(const AbiType& type);

// Parses one type. Accepts the aliases "uint"/"int" (= 256 bits), an
// optional "tuple" before "(", and spaces after commas inside tuples.
// Refuses fixed/ufixed and function types, which this client never uses.
Result<AbiType> parse_abi_type(std::string_view text);

// One parameter of a function, error or event signature.
struct AbiParam {
  AbiType type;
  bool indexed = false;  // events only
  std::string name;      // may be empty
};

// A parsed "name(params)" signature.
struct AbiSignature {
  std::string name;
  std::vector<AbiParam> params;

  // "name(type1,type2)", what function selectors and event topics hash.
  std::string canonical() const;
  // The parameter types in order.
  std::vector<AbiType> types() const;
};

// Parses a function or custom error signature; each parameter is a type
// optionally followed by a name: "transfer(address to,uint256)".
Result<AbiSignature> parse_function_signature(std::string_view text);

// Parses an event signature; each parameter may carry "indexed" between its
// type and name. At most 3 indexed parameters (4 for anonymous events, which
// have no signature topic), the limit the EVM's LOG opcodes impose.
Result<AbiSignature> parse_event_signature(std::string_view text, bool anonymous = false);

}  // namespace gw::ledger
