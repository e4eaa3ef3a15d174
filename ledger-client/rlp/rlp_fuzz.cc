// Fuzz target for the RLP decoder. Beyond memory safety it checks the
// canonical-form property the transaction code relies on: whatever decodes
// re-encodes to exactly the input bytes, and integer accessors never crash.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <vector>

#include "ledger-client/rlp/rlp.h"

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

void visit(const gw::ledger::RlpItem& item) {
  if (item.is_list()) {
    for (const auto& child : item.items()) visit(child);
    return;
  }
  auto v = item.as_uint256("field");
  if (v) check(gw::ledger::RlpItem::uint(*v) == item);
  (void)item.as_u64("field");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> in(data, size);
  auto item = gw::ledger::rlp_decode(in, gw::ledger::RlpLimits{.max_depth = 16, .max_items = 4096});
  if (!item) return 0;
  std::vector<uint8_t> again = gw::ledger::rlp_encode(*item);
  check(again.size() == size && std::equal(again.begin(), again.end(), data));
  visit(*item);
  return 0;
}
