// RecordToken: an ERC-721 token per patient chart at a custodian, carrying the
// latest anchored record-batch root (contracts/README.md, "RecordToken").
// Encoders return transaction or eth_call data; decoders read eth_call's
// return bytes, which are untrusted.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "gateway/base/status.h"
#include "ledger-client/abi/abi_value.h"
#include "ledger-client/keccak/keccak.h"
#include "ledger-client/rlp/uint256.h"

namespace gw::ledger::consortium {

// Creation transaction data: bytecode + constructor(registry, auditAnchor).
std::vector<uint8_t> deploy_record_token(const Address& registry, const Address& anchors);

// uint256(keccak256(abi.encode(patientToken, custodian))): the token id of a
// chart, computed locally (the contract's pure recordId gives the same).
Uint256 record_id(const Hash256& patient_token, const Address& custodian);
std::vector<uint8_t> record_id_call(const Hash256& patient_token,
                                    const Address& custodian);  // decode_uint256

// Mints the caller's charts for `patient_tokens` that do not exist yet and
// sets every one's root; `root` must be anchored as a record batch by the caller.
std::vector<uint8_t> mint_or_update(std::span<const Hash256> patient_tokens, const Hash256& root);
std::vector<uint8_t> update_roots(std::span<const Uint256> token_ids, const Hash256& root);

// recordOf(tokenId).
std::vector<uint8_t> record_of(const Uint256& token_id);
struct RecordInfo {
  Hash256 patient_token{};
  Address custodian{};
  Hash256 latest_root{};
  uint64_t updated_at = 0;  // Unix seconds
};
Result<RecordInfo> decode_record_of(std::span<const uint8_t> data);

// ERC-721 (decode_address / decode_uint256 / decode_bool from provider_registry.h).
std::vector<uint8_t> owner_of(const Uint256& token_id);                             // address
std::vector<uint8_t> balance_of(const Address& owner);                              // uint256
std::vector<uint8_t> get_approved(const Uint256& token_id);                         // address
std::vector<uint8_t> is_approved_for_all(const Address& owner, const Address& op);  // bool
std::vector<uint8_t> token_transfer_from(const Address& from, const Address& to,
                                         const Uint256& token_id);
std::vector<uint8_t> token_safe_transfer_from(const Address& from, const Address& to,
                                              const Uint256& token_id,
                                              std::span<const uint8_t> data = {});
std::vector<uint8_t> token_approve(const Address& approved, const Uint256& token_id);
std::vector<uint8_t> set_approval_for_all(const Address& op, bool approved);

}  // namespace gw::ledger::consortium
