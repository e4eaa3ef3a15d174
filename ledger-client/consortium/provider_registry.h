// ProviderRegistry: the consortium's members and their governance
// (contracts/README.md, "ProviderRegistry"). Encoders return transaction or
// eth_call data; decoders read eth_call's return bytes, which are untrusted.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "gateway/base/status.h"
#include "ledger-client/abi/abi_value.h"
#include "ledger-client/keccak/keccak.h"
#include "ledger-client/rlp/uint256.h"

namespace gw::ledger::consortium {

// A member's public description (Solidity struct MemberInfo).
struct MemberInfo {
  Address account{};
  std::string org_id, name;
  Hash256 encryption_key{};    // X25519 public key payloads are encrypted to
  Hash256 tls_fingerprint{};   // SHA-256 of the gateway's TLS certificate (DER)
  Hash256 signing_key_hash{};  // SHA-256 of the TPM batch-signing public key (DER SPKI)
  std::string accreditation;

  friend bool operator==(const MemberInfo&, const MemberInfo&) = default;
};

// The contract's limits on MemberInfo, checked before encoding so that a bad
// entry fails here with a field name instead of as a reverted transaction.
inline constexpr size_t kMaxOrgIdLength = 64;
inline constexpr size_t kMaxMemberNameLength = 128;
inline constexpr size_t kMaxAccreditationLength = 128;
// The field the contract would refuse (InvalidMember(field)), or ok: account
// non-zero; orgId 1..64 bytes; name 1..128; accreditation <= 128; keys non-zero.
Status validate_member(const MemberInfo& info);

enum class MemberStatus : uint8_t { kNone = 0, kActive = 1, kSuspended = 2 };
enum class ProposalAction : uint8_t {
  kAdd = 0,
  kSuspend = 1,
  kReinstate = 2,
  kRekey = 3,
  kSetQuorum = 4,
  kSetPolicy = 5,
  kCustody = 6,  // a patient's custodian decided by the quorum (CustodyDecided)
};
// Policy bit 0 (POLICY_EMERGENCY_ACCESS): ETREAT transfers may proceed without consent, flagged.
inline constexpr uint64_t kPolicyEmergencyAccess = 1;

// Creation transaction data: bytecode + ABI-encoded constructor arguments.
// Refuses no founders, an invalid founder (validate_member), a zero TTL, and
// a quorum the contract would refuse (0, above the founder count, or 1 with
// two or more founders).
Result<std::vector<uint8_t>> deploy_provider_registry(std::span<const MemberInfo> founders,
                                                      uint8_t quorum,
                                                      uint64_t proposal_ttl_seconds);

// Governance calls; each returns the new proposal id on chain. The proposer's
// approval counts at once.
Result<std::vector<uint8_t>> propose_add(const MemberInfo& info);  // validate_member first
std::vector<uint8_t> propose_suspend(const Address& account);
std::vector<uint8_t> propose_reinstate(const Address& account);
std::vector<uint8_t> propose_rekey(const Address& account, const Hash256& encryption_key,
                                   const Hash256& tls_fingerprint, const Hash256& signing_key_hash);
std::vector<uint8_t> propose_quorum(uint8_t quorum);
std::vector<uint8_t> propose_policy(const Uint256& policy);
// Who holds a patient's custody (and writes its consent), decided by the
// quorum when the first registrant is disputed; once executed, anyone applies
// it with ConsentRegistry's apply_custody_decision.
std::vector<uint8_t> propose_custody(const Hash256& patient_token, const Address& new_custodian);
std::vector<uint8_t> approve(const Uint256& proposal_id);  // returns bool executed

// Views (eth_call data). Result decoder in brackets.
std::vector<uint8_t> is_active(const Address& account);         // decode_bool
std::vector<uint8_t> emergency_access_enabled();                // decode_bool
std::vector<uint8_t> get_member(const Address& account);        // decode_member
std::vector<uint8_t> account_of(const std::string& org_id);     // decode_address
std::vector<uint8_t> member_count();                            // decode_uint256
std::vector<uint8_t> member_at(const Uint256& index);           // decode_address
std::vector<uint8_t> quorum();                                  // decode_uint256
std::vector<uint8_t> active_count();                            // decode_uint256
std::vector<uint8_t> required_approvals();                      // decode_uint256
std::vector<uint8_t> policy();                                  // decode_uint256
std::vector<uint8_t> proposal_ttl();                            // decode_uint256
std::vector<uint8_t> proposal_count();                          // decode_uint256
std::vector<uint8_t> get_proposal(const Uint256& proposal_id);  // decode_proposal
std::vector<uint8_t> has_approved(const Uint256& proposal_id,
                                  const Address& account);  // decode_bool

// One-word results of any view, from eth_call's return bytes. Refuse data
// shorter than a word or a word that is not a valid value of the type (a bool
// other than 0/1, an address with high bytes set).
Result<bool> decode_bool(std::span<const uint8_t> data);
Result<Address> decode_address(std::span<const uint8_t> data);
Result<Uint256> decode_uint256(std::span<const uint8_t> data);
Result<Hash256> decode_bytes32(std::span<const uint8_t> data);

// getMember's result. An account that never was a member comes back with
// status kNone and empty fields.
struct Member {
  MemberInfo info;
  MemberStatus status = MemberStatus::kNone;
  uint64_t joined_at = 0;   // Unix seconds
  uint64_t changed_at = 0;  // Unix seconds, last status or key change
};
// Refuses a status outside the enum.
Result<Member> decode_member(std::span<const uint8_t> data);

// getProposal's result.
struct Proposal {
  ProposalAction action = ProposalAction::kAdd;
  Address target{}, proposer{};
  uint64_t expires_at = 0;
  bool executed = false;
  Uint256 approvals;
  std::vector<uint8_t> payload;  // the action's ABI-encoded arguments
};
// Refuses an action outside the enum.
Result<Proposal> decode_proposal(std::span<const uint8_t> data);

}  // namespace gw::ledger::consortium
