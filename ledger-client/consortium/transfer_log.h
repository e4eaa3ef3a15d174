// TransferLog: the consortium's record of every transfer, refused unless the
// consent registry permits it (contracts/README.md, "TransferLog"). Encoders
// return transaction or eth_call data; the outcome of each transfer is in the
// receipt's logs (events.h: TransferRecorded / TransferRefused).
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "ledger-client/abi/abi_value.h"
#include "ledger-client/consortium/consent_registry.h"
#include "ledger-client/keccak/keccak.h"
#include "ledger-client/rlp/uint256.h"

namespace gw::ledger::consortium {

// Transfer flags. kFlagBatchRoot is input (the commitment is a batch's Merkle
// root); kFlagEmergency is output only (set by the contract on an emergency
// transfer; sending it is refused with INVALID_FLAGS).
inline constexpr uint8_t kFlagBatchRoot = 1, kFlagEmergency = 2;

// TransferLog's own refusal reasons, after the consent decisions (0..8).
inline constexpr uint8_t kRefusalRecipientNotActive = 16;
inline constexpr uint8_t kRefusalSelfTransfer = 17;
inline constexpr uint8_t kRefusalInvalidFlags = 18;

struct TransferInput {
  Uint256 id;  // chosen by the sender, e.g. its outbox sequence; (from, id) is unique
  Address to{};
  Hash256 patient_token{};
  Hash256 commitment{};  // salted commitment to the payload, or a batch root
  Purpose purpose = Purpose::kTreat;
  uint8_t flags = 0;
};

// Creation transaction data: bytecode + constructor(registry, consentRegistry).
std::vector<uint8_t> deploy_transfer_log(const Address& registry, const Address& consents);

// recordTransfer(t): reverts TransferNotPermitted(id, reason) when refused;
// returns false (no event) when (sender, id) was already recorded.
std::vector<uint8_t> record_transfer(const TransferInput& t);
// recordTransfers(ts): records what it can; refused ones emit TransferRefused.
std::vector<uint8_t> record_transfers(std::span<const TransferInput> transfers);
// isRecorded(from, id): eth_call data; decode with decode_bool.
std::vector<uint8_t> is_recorded(const Address& from, const Uint256& transfer_id);

// The name of a reason code of TransferNotPermitted / TransferRefused:
// decision_name() for 0..8, "RECIPIENT_NOT_ACTIVE", "SELF_TRANSFER",
// "INVALID_FLAGS", else "UNKNOWN".
std::string_view transfer_refusal_name(uint8_t reason);

}  // namespace gw::ledger::consortium
