// Reading what contracts send back besides return values: event logs
// (topics + data, Contract ABI Specification "Events") and revert data
// (Error(string), Panic(uint256), custom errors by selector). All inputs come
// from the network and are decoded with abi_decode's checks.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/base/status.h"
#include "ledger-client/abi/abi_codec.h"
#include "ledger-client/abi/abi_type.h"
#include "ledger-client/abi/abi_value.h"
#include "ledger-client/keccak/keccak.h"

namespace gw::ledger {

// keccak256 of the canonical event signature: topics[0] of its logs.
Hash256 event_topic(std::string_view canonical_signature);

// One parameter of a decoded log, in declaration order.
struct LogField {
  std::string name;
  AbiValue value;
  bool indexed = false;
  // An indexed bytes, string, array or tuple: the log holds only the keccak256
  // of its encoding, so `value` is that 32-byte topic as bytes.
  bool hashed = false;
};

// Decodes a log against an event signature from parse_event_signature().
// Checks topics[0] against the signature's topic (unless `anonymous`), that
// there is one more topic for each indexed parameter, and decodes the rest
// from `data`. Refuses a log of another event or a malformed one.
Result<std::vector<LogField>> decode_log(const AbiSignature& event, std::span<const Hash256> topics,
                                         std::span<const uint8_t> data, bool anonymous = false);
// As above, parsing `event_signature` first
// ("Transfer(address indexed from, address indexed to, uint256 value)").
Result<std::vector<LogField>> decode_log(std::string_view event_signature,
                                         std::span<const Hash256> topics,
                                         std::span<const uint8_t> data, bool anonymous = false);

// Why a call or transaction reverted, from its revert data.
struct RevertReason {
  enum class Kind {
    kEmpty,    // no data: revert() without a reason, or out of gas
    kError,    // Error(string): require(cond, "message") / revert("message")
    kPanic,    // Panic(uint256): assert, overflow, division by zero, ...
    kCustom,   // a custom error from the list given to decode_revert
    kUnknown,  // an unrecognized selector or malformed data
  };
  Kind kind = Kind::kEmpty;
  Selector selector{};          // first 4 bytes, when there are at least 4
  std::string message;          // kError: the reason string
  Uint256 panic_code;           // kPanic: the code (0x11 = arithmetic overflow)
  std::string error_signature;  // kCustom: canonical signature of the matched error
  std::vector<AbiValue> args;   // kCustom: its decoded arguments
  size_t data_size = 0;         // bytes of revert data

  // One line safe to log: "Error(\"Not enough Ether provided.\")",
  // "Panic(0x11: arithmetic overflow or underflow)", "InsufficientBalance(...)".
  // Control characters are escaped and the message is cut at 200 bytes.
  std::string describe() const;
};

// The selector of Error(string), 0x08c379a0.
inline constexpr Selector kErrorSelector = {0x08, 0xc3, 0x79, 0xa0};
// The selector of Panic(uint256), 0x4e487b71.
inline constexpr Selector kPanicSelector = {0x4e, 0x48, 0x7b, 0x71};

// Classifies and decodes revert data. `custom_errors` are error signatures
// (parse_function_signature("InsufficientBalance(uint256,uint256)")) matched
// by selector. Never fails: undecodable data comes back as kUnknown.
RevertReason decode_revert(std::span<const uint8_t> data,
                           std::span<const AbiSignature> custom_errors = {});

// What Solidity's panic codes mean ("arithmetic overflow or underflow"),
// "unknown panic code" for others.
std::string_view panic_description(const Uint256& code);

}  // namespace gw::ledger
