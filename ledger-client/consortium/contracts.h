// The five consortium contracts as compiled into this binary: their creation
// bytecode (to deploy them) and runtime bytecode (to check, with eth_getCode,
// that an address holds exactly the contract this gateway was built against).
// The bytes come from ledger-client/contracts/artifacts/*.json, embedded at
// configure time; see contracts/README.md for what each contract does.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace gw::ledger::consortium {

enum class ContractKind : uint8_t {
  kProviderRegistry,
  kConsentRegistry,
  kTransferLog,
  kAuditAnchor,
  kRecordToken,
};

inline constexpr ContractKind kAllContracts[] = {
    ContractKind::kProviderRegistry, ContractKind::kConsentRegistry, ContractKind::kTransferLog,
    ContractKind::kAuditAnchor, ContractKind::kRecordToken};

// "ProviderRegistry", ...: the Solidity contract name (and artifact file stem).
std::string_view contract_name(ContractKind kind);

// Hex SHA-256 of the .sol source the embedded artifact was compiled from, to
// name the exact contract version in logs and deployment records.
std::string_view source_sha256(ContractKind kind);

// The init code of a deployment, without constructor arguments (the deploy_*
// functions append those). Static storage; valid for the program's life.
std::span<const uint8_t> creation_bytecode(ContractKind kind);

// The code a deployment leaves at its address, as compiled: the bytes at
// immutable_references() are zeros as compiled; the constructor writes the values there.
std::span<const uint8_t> runtime_bytecode(ContractKind kind);

// Byte ranges of runtime_bytecode() that hold immutable variables (the
// addresses of the other contracts, set by the constructor).
struct ImmutableRange {
  uint32_t start = 0;
  uint32_t length = 0;
};
std::span<const ImmutableRange> immutable_references(ContractKind kind);

// True iff `onchain_code` (eth_getCode's result) is this contract's runtime
// code: same length, same bytes everywhere outside the immutable ranges. It
// does not check the immutable values themselves (which contract addresses
// the deployment was wired to); read those with the contracts' views.
bool runtime_code_matches(ContractKind kind, std::span<const uint8_t> onchain_code);

}  // namespace gw::ledger::consortium
