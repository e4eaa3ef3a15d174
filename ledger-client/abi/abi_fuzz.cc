// Fuzz target for the ABI decoders: abi_decode, decode_log and decode_revert
// on hostile bytes. Input: byte 0 picks the types (< 0xc0: one of kTypes;
// otherwise the next byte gives the length of a type string to parse from
// the input), byte 1 holds flags, the rest is the data. Beyond memory safety
// it checks that whatever decodes re-encodes, decodes again to the same
// values, and (in strict mode) re-encodes to exactly the input.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string_view>
#include <vector>

#include "ledger-client/abi/abi_codec.h"
#include "ledger-client/abi/abi_event.h"

namespace {

using namespace gw::ledger;

constexpr std::string_view kTypes[] = {
    "(uint256)",
    "(string)",
    "(bytes)",
    "(uint8,int16,bool,address,bytes3)",
    "(uint256[])",
    "(uint256[][])",
    "(string[])",
    "(bytes32[2][])",
    "((uint256,bytes32[],string))",
    "((address,(bool,bytes2)[2],string[],int16)[])",
    "(uint256,uint32[],bytes10,bytes)",
    "(string[2],(bytes,uint8)[3])",
    "(uint8[0][],())",
    "(uint256[][],string[])",
};

void check(bool ok) {
  if (!ok) std::abort();
}

void round_trip(const std::vector<AbiType>& types, std::span<const uint8_t> data, bool strict) {
  auto values = abi_decode(types, data, {.strict = strict, .max_values = 1 << 16});
  if (!values) return;
  auto again = abi_encode(types, *values);
  check(again.ok());
  auto values2 = abi_decode(types, *again, {.strict = true, .max_values = 1 << 20});
  check(values2.ok() && *values2 == *values);
  if (strict) check(std::equal(again->begin(), again->end(), data.begin(), data.end()));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  std::span<const uint8_t> rest(data + 2, size - 2);
  std::string_view type_text;
  if (data[0] < 0xc0) {
    type_text = kTypes[data[0] % std::size(kTypes)];
  } else {
    size_t n = std::min<size_t>(data[1], rest.size());
    type_text = std::string_view(reinterpret_cast<const char*>(rest.data()), n);
    rest = rest.subspan(n);
  }
  auto tuple = parse_abi_type(type_text);
  if (tuple && tuple->kind == AbiKind::kTuple) round_trip(tuple->components, rest, data[1] & 1);

  // The same bytes as revert data (with one custom error) and as a log.
  auto custom = parse_function_signature("Failed(uint256 code, string why)");
  check(custom.ok());
  RevertReason reason = decode_revert(rest, std::span(&*custom, 1));
  check(!reason.describe().empty());
  auto ev = parse_event_signature("Stored(bytes32 indexed id, address indexed by, string note)");
  check(ev.ok());
  if (rest.size() >= 96) {
    std::vector<Hash256> topics(3);
    for (size_t i = 0; i < 3; ++i) std::copy_n(rest.begin() + 32 * i, 32, topics[i].begin());
    (void)decode_log(*ev, topics, rest.subspan(96));
  }
  return 0;
}
