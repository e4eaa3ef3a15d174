// A value to encode with, or decoded from, the Solidity ABI. The value does
// not carry its type: the AbiType given to the codec says how to read it
// (a word is a uint or an int; a byte string is bytes<N> or bytes).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "ledger-client/rlp/uint256.h"

namespace gw::ledger {

// The same alias as ledger-client/account/account.h (redeclared here so the
// ABI does not depend on the secp256k1 account code).
using Address = std::array<uint8_t, 20>;

class AbiValue {
 public:
  using List = std::vector<AbiValue>;

  // The uint 0.
  AbiValue() = default;

  // uint<M>.
  static AbiValue uint(const Uint256& v) { return AbiValue(std::in_place_type<Uint256>, v); }
  static AbiValue uint(uint64_t v) { return uint(Uint256::from_u64(v)); }
  // int<M>: the 256-bit two's complement word (Uint256::from_i64 for small values).
  static AbiValue int_word(const Uint256& twos_complement) { return uint(twos_complement); }
  static AbiValue integer(int64_t v) { return uint(Uint256::from_i64(v)); }
  static AbiValue address(const Address& a) { return AbiValue(std::in_place_type<Address>, a); }
  static AbiValue boolean(bool b) { return AbiValue(std::in_place_type<bool>, b); }
  // bytes<N> (exactly N bytes) or bytes.
  static AbiValue bytes(std::vector<uint8_t> b) {
    return AbiValue(std::in_place_type<std::vector<uint8_t>>, std::move(b));
  }
  // string: any bytes; the ABI does not check UTF-8 and neither do we.
  static AbiValue string(std::string s) {
    return AbiValue(std::in_place_type<std::string>, std::move(s));
  }
  // T[], T[k] and tuples: the elements or members in order.
  static AbiValue list(List items) { return AbiValue(std::in_place_type<List>, std::move(items)); }

  // The held value, or nullptr if this value holds something else.
  const Uint256* as_word() const { return std::get_if<Uint256>(&v_); }
  const Address* as_address() const { return std::get_if<Address>(&v_); }
  const bool* as_bool() const { return std::get_if<bool>(&v_); }
  const std::vector<uint8_t>* as_bytes() const { return std::get_if<std::vector<uint8_t>>(&v_); }
  const std::string* as_string() const { return std::get_if<std::string>(&v_); }
  const List* as_list() const { return std::get_if<List>(&v_); }

  friend bool operator==(const AbiValue& a, const AbiValue& b) { return a.v_ == b.v_; }

 private:
  template <typename T, typename A>
  AbiValue(std::in_place_type_t<T> tag, A&& v) : v_(tag, std::forward<A>(v)) {}

  std::variant<Uint256, Address, bool, std::vector<uint8_t>, std::string, List> v_;
};

}  // namespace gw::ledger
