// AuditAnchor: Merkle roots of audit and record batches, with the TPM
// signature over each (contracts/README.md, "AuditAnchor"). The signature is
// carried in the Anchored event only and verified off chain.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "gateway/base/status.h"
#include "ledger-client/abi/abi_value.h"
#include "ledger-client/keccak/keccak.h"

namespace gw::ledger::consortium {

enum class AnchorKind : uint8_t { kAudit = 1, kRecordBatch = 2 };
// MAX_SIGNATURE_LENGTH: longer signatures revert InvalidAnchor(index, "signature").
inline constexpr size_t kMaxAnchorSignatureLength = 512;

struct AnchorInput {
  AnchorKind kind = AnchorKind::kAudit;
  Hash256 root{};                        // non-zero
  uint64_t first_seq = 0, last_seq = 0;  // last_seq >= first_seq
  std::vector<uint8_t> signature;        // e.g. DER ECDSA P-256 from the TPM
};

// Creation transaction data: bytecode + constructor(registry).
std::vector<uint8_t> deploy_audit_anchor(const Address& registry);

// anchor(a) returns false (no event) when the sender already anchored `root`;
// anchorBatch(as) returns the count anchored. The contract refuses a bad kind,
// zero root, last_seq < first_seq or an over-long signature; these encoders
// do not (callers build anchors from their own batches).
std::vector<uint8_t> anchor(const AnchorInput& a);
std::vector<uint8_t> anchor_batch(std::span<const AnchorInput> anchors);

// anchorOf(member, root): eth_call data.
std::vector<uint8_t> anchor_of(const Address& member, const Hash256& root);
struct AnchorRecord {
  uint64_t anchored_at = 0;  // Unix seconds; 0: never anchored
  uint8_t kind = 0;          // AnchorKind, or 0 when never anchored
  uint64_t block_number = 0;
};
Result<AnchorRecord> decode_anchor_of(std::span<const uint8_t> data);

}  // namespace gw::ledger::consortium
