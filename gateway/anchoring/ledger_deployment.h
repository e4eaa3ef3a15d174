// The consortium deployment file, and the founders file `gatewayctl ledger
// deploy` reads.
//
// The deployment file names the chain and the five contracts that make up the
// consortium. The founding gateway writes it (gatewayctl ledger deploy); every
// other member's operator copies it into their gateway's state directory, so
// it is read as untrusted input: every field must be present and well formed,
// unknown fields are refused (a typo must not silently drop a contract), and
// the file is small and bounded.
//
//   {"chain_id": 31337,
//    "contracts": {"ProviderRegistry": "0x…", "ConsentRegistry": "0x…",
//                  "TransferLog": "0x…", "AuditAnchor": "0x…", "RecordToken": "0x…"},
//    "deployed_by": "0x…", "block": 12}
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "fhir/json/json.h"
#include "gateway/base/status.h"
#include "ledger-client/consortium/provider_registry.h"
#include "ledger-client/outbox/submitter.h"

namespace gw::anchoring {

struct LedgerDeployment {
  uint64_t chain_id = 0;
  ledger::ContractAddresses contracts;
  ledger::Address deployed_by{};  // the founding gateway's ledger account
  uint64_t block = 0;             // the block of the first contract (scan logs from here)
};
bool same_deployment(const LedgerDeployment& a, const LedgerDeployment& b);

inline constexpr size_t kMaxDeploymentFileBytes = 64 * 1024;
inline constexpr size_t kMaxFoundersFileBytes = 1024 * 1024;
inline constexpr size_t kMaxFounders = 255;  // the contract's quorum is a uint8

// Errors name the field ("contracts.AuditAnchor: …") and never echo values.
gw::Result<LedgerDeployment> parse_deployment(std::string_view json);
// Pretty JSON with EIP-55 checksummed addresses and a final newline.
std::string format_deployment(const LedgerDeployment& deployment);
gw::Result<LedgerDeployment> read_deployment(const std::string& path);
// Atomic (temporary file, fsync, rename, fsync of the folder) and mode 0644:
// the file is public and meant to be copied to the other members. Creates
// the parent folder (0700) if missing.
gw::Status write_deployment(const std::string& path, const LedgerDeployment& deployment);

// A JSON array of founders:
//   [{"account": "0x…", "org_id": "…", "name": "…", "encryption_key": "<64 hex>",
//     "tls_fingerprint": "<64 hex>", "signing_key_hash": "<64 hex>",
//     "accreditation": "…"}]
// Keys may carry a 0x prefix; accreditation may be omitted. Each founder is
// checked as the contract would (consortium::validate_member); accounts and
// org ids must be unique.
gw::Result<std::vector<ledger::consortium::MemberInfo>> parse_founders(std::string_view json);
gw::Result<std::vector<ledger::consortium::MemberInfo>> read_founders(const std::string& path);
// The founders format for `members` (pretty JSON, checksummed accounts, keys
// as 64 hex digits, a final newline): parse_founders reads it back unchanged.
std::string format_members(std::span<const ledger::consortium::MemberInfo> members);
// One member in that format, to build larger documents from.
fhir::JsonValue member_json(const ledger::consortium::MemberInfo& member);

// Creates `dir` and its missing parents, each mode 0700: they sit in the
// state directory, next to patient data. Existing folders are left as they are.
gw::Status make_private_dirs(const std::string& dir);

// "0x" + 40 hex digits; mixed case must be a valid EIP-55 checksum.
gw::Result<ledger::Address> parse_address(std::string_view text);

}  // namespace gw::anchoring
