// Fuzz target for raw transaction decoding (bytes from the network or our
// outbox). Beyond memory safety: whatever decodes re-encodes to the input,
// and sender recovery either fails cleanly or yields an address.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <variant>
#include <vector>

#include "ledger-client/tx/transaction.h"

namespace {
void check(bool ok) {
  if (!ok) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> raw(data, size);
  auto decoded = gw::ledger::decode_raw(raw);
  if (!decoded) return 0;
  std::vector<uint8_t> again =
      std::visit([&](const auto& tx) { return gw::ledger::encode_signed(tx, decoded->signature); },
                 decoded->tx);
  check(again.size() == size && std::equal(again.begin(), again.end(), data));
  check(decoded->hash == gw::ledger::transaction_hash(raw));
  (void)gw::ledger::recover_sender(raw);
  return 0;
}
