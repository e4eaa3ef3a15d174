// Fuzz target for decode_event: arbitrary topics and data, as any contract
// (or a lying RPC node) can put in a log. Input: byte 0 = topic count (mod
// 5); byte 1 = if its high bit is set, topics[0] is our event number
// (byte 1 & 0x7f, mod the event count) so the fuzzer reaches every decoder
// without finding keccak preimages; then 32 bytes per remaining topic; the
// rest is the log data. Beyond memory safety it checks that a decoded event
// is the event topics[0] names, and that custom_errors() decodes the same
// bytes as revert data without failing.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "ledger-client/abi/abi_event.h"
#include "ledger-client/consortium/abi_specs.h"
#include "ledger-client/consortium/events.h"

namespace {

using namespace gw::ledger;
using namespace gw::ledger::consortium;

struct Known {
  Hash256 topic;
  std::string name;
};

const std::vector<Known>& known_events() {
  static const std::vector<Known> all = [] {
    std::vector<Known> out;
    for (ContractKind kind : kAllContracts)
      for (std::string_view spec : event_specs(kind)) {
        auto sig = parse_event_signature(spec);
        if (!sig) std::abort();
        out.push_back({event_topic(sig->canonical()), sig->name});
      }
    return out;
  }();
  return all;
}

void check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const size_t count = data[0] % 5;
  const bool ours = (data[1] & 0x80) != 0;
  std::span<const uint8_t> rest(data + 2, size - 2);
  std::vector<Hash256> topics;
  const Known* chosen = nullptr;
  if (ours && count > 0) {
    chosen = &known_events()[(data[1] & 0x7f) % known_events().size()];
    topics.push_back(chosen->topic);
  }
  while (topics.size() < count && rest.size() >= 32) {
    Hash256 t;
    std::copy_n(rest.begin(), 32, t.begin());
    topics.push_back(t);
    rest = rest.subspan(32);
  }

  auto event = decode_event(topics, rest);
  if (event.ok() && event->has_value()) {
    check(!topics.empty());
    std::string_view name = event_name(**event);
    check(!name.empty());
    if (chosen != nullptr) check(name == chosen->name);
  } else if (!event.ok()) {
    check(!event.error().message().empty());
  }

  RevertReason reason = decode_revert(rest, custom_errors());
  check(!reason.describe().empty());
  return 0;
}
