// Every event of the five consortium contracts, decoded from a log's topics
// and data into a typed struct, and the contracts' custom errors for
// decode_revert. Logs come from the network: decode_event checks the topic
// count and the data with abi_decode's bounds before building a struct.
//
// Field widths follow the Solidity declarations; purposes, kinds and actions
// stay raw bytes (uint8_t) because a log may carry a code this build does not
// know (purpose_from_byte, transfer_refusal_name etc. interpret them).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "gateway/base/status.h"
#include "ledger-client/abi/abi_type.h"
#include "ledger-client/abi/abi_value.h"
#include "ledger-client/keccak/keccak.h"
#include "ledger-client/rlp/uint256.h"

namespace gw::ledger::consortium {

// ---- ProviderRegistry
struct MemberAdded {
  static constexpr std::string_view kName = "MemberAdded";
  Address account{};
  Hash256 org_id_hash{};  // keccak256(orgId), indexed
  Uint256 proposal_id;    // 0 for founders
  std::string org_id, name;
  Hash256 encryption_key{}, tls_fingerprint{}, signing_key_hash{};
  std::string accreditation;
  friend bool operator==(const MemberAdded&, const MemberAdded&) = default;
};
struct MemberSuspended {
  static constexpr std::string_view kName = "MemberSuspended";
  Address account{};
  Uint256 proposal_id;
  friend bool operator==(const MemberSuspended&, const MemberSuspended&) = default;
};
struct MemberReinstated {
  static constexpr std::string_view kName = "MemberReinstated";
  Address account{};
  Uint256 proposal_id;
  friend bool operator==(const MemberReinstated&, const MemberReinstated&) = default;
};
struct MemberRekeyed {
  static constexpr std::string_view kName = "MemberRekeyed";
  Address account{};
  Uint256 proposal_id;
  Hash256 encryption_key{}, tls_fingerprint{}, signing_key_hash{};
  friend bool operator==(const MemberRekeyed&, const MemberRekeyed&) = default;
};
struct QuorumChanged {
  static constexpr std::string_view kName = "QuorumChanged";
  uint8_t quorum = 0;
  Uint256 proposal_id;
  friend bool operator==(const QuorumChanged&, const QuorumChanged&) = default;
};
struct PolicyChanged {
  static constexpr std::string_view kName = "PolicyChanged";
  Uint256 policy;
  Uint256 proposal_id;
  friend bool operator==(const PolicyChanged&, const PolicyChanged&) = default;
};
// A quorum decided who holds a patient's custody; ConsentRegistry's
// applyCustodyDecision puts it into effect.
struct CustodyDecided {
  static constexpr std::string_view kName = "CustodyDecided";
  Hash256 patient_token{};
  Address custodian{};
  Uint256 proposal_id;
  friend bool operator==(const CustodyDecided&, const CustodyDecided&) = default;
};
struct ProposalCreated {
  static constexpr std::string_view kName = "ProposalCreated";
  Uint256 proposal_id;
  uint8_t action = 0;  // ProposalAction
  Address target{}, proposer{};
  uint64_t expires_at = 0;
  friend bool operator==(const ProposalCreated&, const ProposalCreated&) = default;
};
struct ProposalApproved {
  static constexpr std::string_view kName = "ProposalApproved";
  Uint256 proposal_id;
  Address approver{};
  Uint256 approvals;
  friend bool operator==(const ProposalApproved&, const ProposalApproved&) = default;
};
struct ProposalExecuted {
  static constexpr std::string_view kName = "ProposalExecuted";
  Uint256 proposal_id;
  uint8_t action = 0;  // ProposalAction
  Address target{};
  friend bool operator==(const ProposalExecuted&, const ProposalExecuted&) = default;
};

// ---- ConsentRegistry
struct PatientRegistered {
  static constexpr std::string_view kName = "PatientRegistered";
  Hash256 patient_token{};
  Address custodian{}, patient_key{};
  friend bool operator==(const PatientRegistered&, const PatientRegistered&) = default;
};
struct CustodyTransferred {
  static constexpr std::string_view kName = "CustodyTransferred";
  Hash256 patient_token{};
  Address from{}, to{};
  friend bool operator==(const CustodyTransferred&, const CustodyTransferred&) = default;
};
// Custody moved by a quorum's decision (CustodyDecided), not by the custodian.
struct CustodyReassigned {
  static constexpr std::string_view kName = "CustodyReassigned";
  Hash256 patient_token{};
  Address from{}, to{};  // from: zero when the decision registered the patient
  Uint256 proposal_id;
  friend bool operator==(const CustodyReassigned&, const CustodyReassigned&) = default;
};
struct PatientKeyChanged {
  static constexpr std::string_view kName = "PatientKeyChanged";
  Hash256 patient_token{};
  Address custodian{}, patient_key{};
  friend bool operator==(const PatientKeyChanged&, const PatientKeyChanged&) = default;
};
struct ConsentGranted {
  static constexpr std::string_view kName = "ConsentGranted";
  Hash256 patient_token{};
  Address grantee{}, custodian{};
  uint8_t purpose = 0;
  uint64_t categories = 0, exclusions = 0;
  uint64_t valid_from = 0, valid_until = 0;
  uint32_t version = 0;
  Hash256 consent_key{}, consent_hash{};
  friend bool operator==(const ConsentGranted&, const ConsentGranted&) = default;
};
struct ConsentRevoked {
  static constexpr std::string_view kName = "ConsentRevoked";
  Hash256 patient_token{};
  Address grantee{}, custodian{};
  uint8_t purpose = 0;
  uint32_t version = 0;
  Hash256 consent_key{}, consent_hash{};
  friend bool operator==(const ConsentRevoked&, const ConsentRevoked&) = default;
};
struct DenyChanged {
  static constexpr std::string_view kName = "DenyChanged";
  Hash256 patient_token{};
  Address grantee{}, custodian{};  // grantee zero: the deny applies to every member
  uint32_t purpose_mask = 0;
  bool denied = false;
  Hash256 consent_hash{};
  friend bool operator==(const DenyChanged&, const DenyChanged&) = default;
};

// ---- TransferLog
struct TransferRecorded {
  static constexpr std::string_view kName = "TransferRecorded";
  Address from{}, to{};
  Hash256 patient_token{};
  Uint256 transfer_id;
  Hash256 commitment{};
  uint8_t purpose = 0, flags = 0;
  Hash256 consent_key{};
  uint32_t consent_version = 0;
  friend bool operator==(const TransferRecorded&, const TransferRecorded&) = default;
};
struct TransferRefused {
  static constexpr std::string_view kName = "TransferRefused";
  Address from{}, to{};
  Hash256 patient_token{};
  Uint256 transfer_id;
  uint8_t reason = 0;  // transfer_refusal_name()
  friend bool operator==(const TransferRefused&, const TransferRefused&) = default;
};

// ---- AuditAnchor
struct Anchored {
  static constexpr std::string_view kName = "Anchored";
  Address member{};
  Hash256 root{};
  uint8_t kind = 0;  // AnchorKind
  uint64_t first_seq = 0, last_seq = 0;
  std::vector<uint8_t> signature;
  friend bool operator==(const Anchored&, const Anchored&) = default;
};

// ---- RecordToken (ERC-721 events keep their standard Solidity names)
struct RecordRootUpdated {
  static constexpr std::string_view kName = "RecordRootUpdated";
  Uint256 token_id;
  Hash256 patient_token{};
  Address custodian{};
  Hash256 root{};
  friend bool operator==(const RecordRootUpdated&, const RecordRootUpdated&) = default;
};
struct TokenTransfer {
  static constexpr std::string_view kName = "Transfer";
  Address from{}, to{};  // from zero: minted
  Uint256 token_id;
  friend bool operator==(const TokenTransfer&, const TokenTransfer&) = default;
};
struct TokenApproval {
  static constexpr std::string_view kName = "Approval";
  Address owner{}, approved{};
  Uint256 token_id;
  friend bool operator==(const TokenApproval&, const TokenApproval&) = default;
};
struct TokenApprovalForAll {
  static constexpr std::string_view kName = "ApprovalForAll";
  Address owner{}, op{};
  bool approved = false;
  friend bool operator==(const TokenApprovalForAll&, const TokenApprovalForAll&) = default;
};

using Event =
    std::variant<MemberAdded, MemberSuspended, MemberReinstated, MemberRekeyed, QuorumChanged,
                 PolicyChanged, CustodyDecided, ProposalCreated, ProposalApproved, ProposalExecuted,
                 PatientRegistered, CustodyTransferred, CustodyReassigned, PatientKeyChanged,
                 ConsentGranted, ConsentRevoked, DenyChanged, TransferRecorded, TransferRefused,
                 Anchored, RecordRootUpdated, TokenTransfer, TokenApproval, TokenApprovalForAll>;

// Decodes one log. nullopt: topics[0] is none of ours (or there are no
// topics): a foreign contract's log, to be ignored. ERC-20's Transfer and
// Approval share their topic with ERC-721's but carry 3 topics, not 4; such
// a log is foreign too. Error: topics[0] is ours but the log is malformed
// (wrong topic count, truncated or invalid data, a dirty indexed word).
// Callers should also check the log's address is the contract they expect:
// any contract can emit a log with our topics.
Result<std::optional<Event>> decode_event(std::span<const Hash256> topics,
                                          std::span<const uint8_t> data);

// The Solidity event name ("TransferRecorded", "Transfer" for TokenTransfer).
std::string_view event_name(const Event& event);

// topics[0] of an event of ours, by Solidity name (nullopt if unknown): for
// eth_getLogs filters. "Transfer" and "Approval" are RecordToken's.
std::optional<Hash256> event_topic0(std::string_view event_name);

// Every custom error of the five contracts, each once (NotActiveMember is
// declared by several), parsed once; pass to ledger::decode_revert.
std::span<const AbiSignature> custom_errors();

}  // namespace gw::ledger::consortium
