// How outbox items are stored and turned into transactions, and how their
// outcomes are read back from receipts. Bodies are the ABI encoding of each
// item's contract tuple (stable, self-describing, and what the batch
// functions take), so a stored outbox survives upgrades of this code.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "gateway/base/status.h"
#include "ledger-client/abi/abi_event.h"
#include "ledger-client/consortium/audit_anchor.h"
#include "ledger-client/consortium/consent_registry.h"
#include "ledger-client/consortium/transfer_log.h"
#include "ledger-client/outbox/outbox_store.h"
#include "ledger-client/rpc/eth_client.h"

namespace gw::ledger {

Result<std::vector<uint8_t>> encode_transfer_body(const consortium::TransferInput& t);
Result<std::vector<uint8_t>> encode_anchor_body(const consortium::AnchorInput& a);
Result<std::vector<uint8_t>> encode_grant_body(const consortium::GrantInput& g);
std::vector<uint8_t> encode_call_body(const std::optional<Address>& to,
                                      const std::vector<uint8_t>& data);
Result<consortium::TransferInput> decode_transfer_body(std::span<const uint8_t> body);
Result<consortium::AnchorInput> decode_anchor_body(std::span<const uint8_t> body);
Result<consortium::GrantInput> decode_grant_body(std::span<const uint8_t> body);

// Idempotency keys: a transfer by its id (per sender in the contract), an
// anchor by its root (the contract ignores a root anchored twice).
std::vector<uint8_t> transfer_key(const consortium::TransferInput& t);
std::vector<uint8_t> anchor_key(const consortium::AnchorInput& a);

struct BatchCall {
  std::optional<Address> to;  // nullopt: contract creation
  std::vector<uint8_t> data;
};
// The one transaction that carries `items` (all of `kind`; a call kind takes
// exactly one item). `target` is the contract of batched kinds.
Result<BatchCall> batch_call(ItemKind kind, const std::vector<OutboxItem>& items,
                             const std::optional<Address>& target);

struct ItemOutcome {
  ItemState state = ItemState::kDone;
  std::string note;
};
// What a successful transaction's logs say about its items.
struct ItemOutcomes {
  ItemKind kind = ItemKind::kCall;
  std::map<std::vector<uint8_t>, ItemOutcome> by_key;  // transfer id / anchor root
};
ItemOutcomes read_outcomes(ItemKind kind, const Receipt& receipt, const Address& sender,
                           const std::optional<Address>& target);
ItemOutcome outcome_for(const OutboxItem& item, const ItemOutcomes& outcomes);

// A revert reason with a custom error's arguments spelled out
// ("InvalidAnchor(1, \"signature\")"): words in decimal, addresses and bytes in
// hex, strings quoted with control characters escaped, each cut at 80 bytes.
// Our contracts' errors carry only ids, addresses, codes and field names.
std::string revert_text(const RevertReason& reason);

}  // namespace gw::ledger
