// The consortium as this gateway last saw it on chain: members, the
// emergency-access policy and quorum, patients' custodians and all-member
// denies, grants, and the transfers that involve this gateway. Plain data and
// hash indexes, no locks and no I/O: ConsortiumView guards one instance with
// its lock, and ViewStore persists it.
//
// Events are applied in two steps so that memory never runs ahead of the
// SQLite file: apply_log() writes what a log changes into a ViewDelta (a copy
// of each touched entry, read through to the base state), the delta is
// committed with the cursor in one SQLite transaction, and only then merged
// into the state (merge()). A failed commit just drops the delta.
#pragma once

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <unordered_map>

#include "gateway/base/status.h"
#include "ledger-client/consortium/consent_registry.h"
#include "ledger-client/consortium/provider_registry.h"
#include "ledger-client/rpc/eth_types.h"

namespace gw::consortium {

using ledger::Address;
using ledger::Hash256;
using ledger::Uint256;

// Hash of a key whose leading bytes are already uniformly spread (tokens are
// HMACs, accounts and keys are hashes' outputs).
struct BytesHash {
  template <size_t N>
  size_t operator()(const std::array<uint8_t, N>& a) const {
    static_assert(N >= sizeof(size_t));
    size_t h;
    std::memcpy(&h, a.data(), sizeof h);
    return h;
  }
};

struct MemberEntry {
  ledger::consortium::MemberInfo info;
  ledger::consortium::MemberStatus status = ledger::consortium::MemberStatus::kNone;
  uint64_t changed_block = 0;  // block of the last MemberAdded/Suspended/Reinstated/Rekeyed
};

struct PatientEntry {
  Address custodian{};
  Address patient_key{};
  uint32_t denied_purposes = 0;  // all-member denies, bit n = purpose n
  uint64_t changed_block = 0;
};

// ConsentRegistry's grant flags (FLAG_GRANTED, FLAG_REVOKED, FLAG_DENIED).
inline constexpr uint8_t kGrantGranted = 1, kGrantRevoked = 2, kGrantDenied = 4;

// One (token, grantee, purpose) slot, as the contract stores it: a
// per-member deny lives here too, with or without a grant.
struct GrantEntry {
  Hash256 patient_token{};
  Address grantee{};
  uint8_t purpose = 0;
  Hash256 consent_key{};
  uint64_t categories = 0, exclusions = 0;
  uint64_t valid_from = 0, valid_until = 0;  // unix seconds; until is exclusive
  uint32_t version = 0;
  uint8_t flags = 0;       // kGrant*
  Hash256 consent_hash{};  // of the FHIR Consent behind the last grant
  uint64_t changed_block = 0;
};

struct GrantId {
  Hash256 patient_token{};
  Address grantee{};
  uint8_t purpose = 0;
  friend bool operator==(const GrantId&, const GrantId&) = default;
};
struct GrantIdHash {
  size_t operator()(const GrantId& g) const {
    return BytesHash{}(g.patient_token) ^ BytesHash {}(g.grantee) * 31 ^ g.purpose;
  }
};

// A TransferRecorded or TransferRefused event (reason is 0 for recorded).
struct TransferEntry {
  Address from{}, to{};
  Hash256 patient_token{};
  Uint256 transfer_id;
  Hash256 commitment{};  // zero for a refusal (not in that event)
  uint8_t purpose = 0, flags = 0;
  Hash256 consent_key{};
  uint32_t consent_version = 0;
  uint8_t reason = 0;
  uint64_t block = 0;
  Hash256 tx_hash{};
  uint64_t log_index = 0;
};

struct TransferKey {
  Address from{};
  Uint256 id;
  friend bool operator==(const TransferKey&, const TransferKey&) = default;
};
struct TransferKeyHash {
  size_t operator()(const TransferKey& k) const {
    size_t h;
    std::memcpy(&h, k.id.bytes().data() + 24, sizeof h);
    return BytesHash{}(k.from) ^ h * 1000003;
  }
};

// The contracts whose logs the view applies, and the account whose transfers
// it keeps.
struct ViewScope {
  Address registry{}, consents{}, transfer_log{};
  Address self{};
};

struct ViewState {
  std::unordered_map<Address, MemberEntry, BytesHash> members;
  std::unordered_map<std::string, Address> by_org_id;
  std::unordered_map<Hash256, Address, BytesHash> by_tls_fingerprint;
  std::unordered_map<Hash256, PatientEntry, BytesHash> patients;
  std::unordered_map<GrantId, GrantEntry, GrantIdHash> grants;
  std::unordered_map<TransferKey, TransferEntry, TransferKeyHash> recorded, refused;
  Uint256 policy;
  uint8_t quorum = 0;
};

// What a run of logs changes: whole entries, each as it is after the run.
struct ViewDelta {
  std::unordered_map<Address, MemberEntry, BytesHash> members;
  std::unordered_map<Hash256, PatientEntry, BytesHash> patients;
  std::unordered_map<GrantId, GrantEntry, GrantIdHash> grants;
  std::unordered_map<TransferKey, TransferEntry, TransferKeyHash> recorded, refused;
  std::optional<Uint256> policy;
  std::optional<uint8_t> quorum;
  size_t events = 0;  // logs that changed something
  bool empty() const { return events == 0; }
};

// Applies one log (in chain order) on top of `base` + `delta`. Logs of other
// contracts, events the view does not keep and transfers between other
// members are ignored. An event of ours that does not decode, or comes from
// another contract than the one that declares it, is an error naming the
// block and log index: the caller stops there rather than skip chain state.
Status apply_log(const ViewState& base, const ViewScope& scope, const ledger::Log& log,
                 ViewDelta& delta);

// Puts a committed delta into `state`, keeping the org-id and TLS indexes.
void merge(ViewState& state, ViewDelta&& delta);

// ConsentRegistry.check(token, grantee, purpose, 0, 0) at a block whose
// timestamp is `now_s`, with what the caller needs beyond the decision.
struct CheckResult {
  ledger::consortium::Decision decision = ledger::consortium::Decision::kNoConsent;
  Hash256 consent_key{};  // zero for INVALID_PURPOSE, as the contract
  uint32_t version = 0;
  // The grant's scope (zero without a grant): the sender filters by these.
  uint64_t categories = 0, exclusions = 0;
  uint64_t valid_until = 0;
  bool grantee_active = false;
  // TransferLog would record an ETREAT transfer without a permit under the
  // emergency policy (flagged FLAG_EMERGENCY): policy on, purpose ETREAT, and
  // the decision is neither DENIED nor INVALID_PURPOSE (nor PERMIT).
  bool emergency = false;
};
CheckResult check_consent(const ViewState& state, const Hash256& patient_token,
                          const Address& grantee, uint8_t purpose, uint64_t now_s);

bool emergency_access_enabled(const ViewState& state);

}  // namespace gw::consortium
