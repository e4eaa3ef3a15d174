// ConsentRegistry: patients (as tokens), their custodians, grants and denies
// per (member, purpose), and the O(1) consent check every transfer relies on
// (contracts/README.md, "ConsentRegistry"). Encoders return transaction or
// eth_call data; decoders read eth_call's return bytes, which are untrusted.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "gateway/base/status.h"
#include "ledger-client/abi/abi_value.h"
#include "ledger-client/keccak/keccak.h"

namespace gw::ledger::consortium {

// HL7 v3 PurposeOfUse, with the contract's codes (README "Encodings"; 0..7
// are also ConsentRegistry's PURPOSE_* constants). Bit n of a purpose mask is
// purpose n. The contract accepts any n < 32; 14..31 are reserved.
enum class Purpose : uint8_t {
  kTreat = 0,     // TREAT: treatment
  kEtreat = 1,    // ETREAT: emergency treatment (the emergency-access policy)
  kHpaymt = 2,    // HPAYMT: payment
  kHoperat = 3,   // HOPERAT: healthcare operations
  kHresch = 4,    // HRESCH: research
  kPubhlth = 5,   // PUBHLTH: public health
  kPatrqt = 6,    // PATRQT: patient requested
  kCoc = 7,       // COC: coordination of care
  kPophlth = 8,   // POPHLTH: population health
  kClintrl = 9,   // CLINTRL: clinical trial
  kFamrqt = 10,   // FAMRQT: family requested
  kPwatrny = 11,  // PWATRNY: power of attorney
  kHlegal = 12,   // HLEGAL: legal
  kHmarkt = 13,   // HMARKT: marketing
};
inline constexpr uint8_t kPurposeCount = 14;  // codes 0..13 are assigned

// "TREAT" -> kTreat (exact, upper case, as in the v3 code system); nullopt
// for anything else.
std::optional<Purpose> purpose_from_code(std::string_view v3_code);
// kTreat -> "TREAT".
std::string_view purpose_code(Purpose purpose);
// An on-chain purpose byte (events, grants) if it is an assigned code.
std::optional<Purpose> purpose_from_byte(uint8_t code);
// The bit of `purpose` in a purposeMask (setDeny, getPatient's deniedPurposes).
inline constexpr uint32_t purpose_bit(Purpose p) { return uint32_t{1} << static_cast<uint8_t>(p); }

// The decisions of `check` (and the first reason codes of TransferLog).
enum class Decision : uint8_t {
  kPermit = 0,
  kNoConsent = 1,
  kDenied = 2,
  kNotYetValid = 3,
  kExpired = 4,
  kRevoked = 5,
  kOutOfScope = 6,
  kExcludedLabel = 7,
  kInvalidPurpose = 8,
};
// "PERMIT", "NO_CONSENT", ... (the contract's constant names).
std::string_view decision_name(Decision decision);

// `validUntil` meaning "no end" (2^40 - 1; times are uint40 Unix seconds).
inline constexpr uint64_t kOpenEnded = (uint64_t{1} << 40) - 1;

struct GrantInput {
  Hash256 patient_token{};
  Address grantee{};
  Purpose purpose = Purpose::kTreat;
  uint64_t categories = 0;  // resource categories granted (scope.h), non-zero
  uint64_t exclusions = 0;  // security labels excluded (scope.h)
  // Unix seconds; valid_until is exclusive. Values above kOpenEnded are
  // encoded as kOpenEnded (uint40 on chain), which is year 36812.
  uint64_t valid_from = 0;
  uint64_t valid_until = kOpenEnded;
  Hash256 consent_hash{};  // SHA-256 of the FHIR Consent resource, non-zero
};

// Creation transaction data: bytecode + constructor(registry).
std::vector<uint8_t> deploy_consent_registry(const Address& registry);

// Custody and patient key (the caller becomes custodian on registration).
std::vector<uint8_t> register_patient(const Hash256& patient_token, const Address& patient_key);
std::vector<uint8_t> transfer_custody(const Hash256& patient_token, const Address& new_custodian);
std::vector<uint8_t> set_patient_key(const Hash256& patient_token, const Address& patient_key);
// Puts an executed custody decision of the ProviderRegistry (propose_custody,
// approved by the quorum) into effect; anyone may send it. The patient key is
// cleared; grants the previous custodian wrote stay until revoked.
std::vector<uint8_t> apply_custody_decision(const Uint256& proposal_id);
// custodyDecisionOf(token): the last applied decision's proposal id, 0 if none [decode_uint256].
std::vector<uint8_t> custody_decision_of(const Hash256& patient_token);

// Grants (grant returns the new uint32 version; grantBatch is all or nothing).
std::vector<uint8_t> grant(const GrantInput& g);
std::vector<uint8_t> grant_batch(std::span<const GrantInput> grants);
std::vector<uint8_t> revoke(const Hash256& patient_token, const Address& grantee, Purpose purpose,
                            const Hash256& consent_hash);
// purpose_mask: purpose_bit()s; a zero mask is refused by the contract.
std::vector<uint8_t> set_deny(const Hash256& patient_token, const Address& grantee,
                              uint32_t purpose_mask, bool denied, const Hash256& consent_hash);

// check(token, grantee, purpose, categories, labels): eth_call data.
std::vector<uint8_t> check(const Hash256& patient_token, const Address& grantee, Purpose purpose,
                           uint64_t categories, uint64_t labels);
struct ConsentCheck {
  Decision decision = Decision::kNoConsent;
  Hash256 consent_key{};  // the grant consulted
  uint32_t version = 0;   // its version, 0 if none
};
// Refuses a decision code outside Decision.
Result<ConsentCheck> decode_check(std::span<const uint8_t> data);

// keccak256(abi.encode(token, grantee, purpose)): the grant's key, computed
// locally (the contract's pure consentKey gives the same; see consent_key_call).
Hash256 consent_key(const Hash256& patient_token, const Address& grantee, Purpose purpose);
std::vector<uint8_t> consent_key_call(const Hash256& patient_token, const Address& grantee,
                                      Purpose purpose);  // decode_bytes32

// getGrant(token, grantee, purpose).
std::vector<uint8_t> get_grant(const Hash256& patient_token, const Address& grantee,
                               Purpose purpose);
struct GrantState {
  uint64_t valid_from = 0, valid_until = 0;
  uint64_t categories = 0, exclusions = 0;
  uint32_t version = 0;
  bool granted = false, revoked = false, denied = false;
  Hash256 consent_hash{};
};
Result<GrantState> decode_grant(std::span<const uint8_t> data);

// getPatient(token).
std::vector<uint8_t> get_patient(const Hash256& patient_token);
struct PatientState {
  Address custodian{};  // zero: not registered
  Address patient_key{};
  uint32_t denied_purposes = 0;  // all-member denies, purpose_bit()s
};
Result<PatientState> decode_patient(std::span<const uint8_t> data);

}  // namespace gw::ledger::consortium
