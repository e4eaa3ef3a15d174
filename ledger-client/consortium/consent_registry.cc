#include "ledger-client/consortium/consent_registry.h"

#include <algorithm>
#include <array>

#include "ledger-client/consortium/contracts.h"
#include "ledger-client/consortium/internal.h"

namespace gw::ledger::consortium {
namespace {

using internal::addr;
using internal::b32;
using internal::encode_call;
using internal::function;
using internal::ParsedFunction;
using internal::u256;
using internal::u64;

constexpr ContractKind kKind = ContractKind::kConsentRegistry;

constexpr std::array<std::string_view, kPurposeCount> kPurposeCodes = {
    "TREAT", "ETREAT",  "HPAYMT",  "HOPERAT", "HRESCH",  "PUBHLTH", "PATRQT",
    "COC",   "POPHLTH", "CLINTRL", "FAMRQT",  "PWATRNY", "HLEGAL",  "HMARKT"};

constexpr std::array<std::string_view, 9> kDecisionNames = {
    "PERMIT",  "NO_CONSENT",   "DENIED",         "NOT_YET_VALID",  "EXPIRED",
    "REVOKED", "OUT_OF_SCOPE", "EXCLUDED_LABEL", "INVALID_PURPOSE"};

AbiValue purpose_value(Purpose p) { return u64(static_cast<uint8_t>(p)); }

AbiValue grant_value(const GrantInput& g) {
  return AbiValue::list({b32(g.patient_token), addr(g.grantee), purpose_value(g.purpose),
                         u64(g.categories), u64(g.exclusions),
                         u64(std::min(g.valid_from, kOpenEnded)),
                         u64(std::min(g.valid_until, kOpenEnded)), b32(g.consent_hash)});
}

std::vector<uint8_t> token_grantee_purpose(const ParsedFunction& f, const Hash256& token,
                                           const Address& grantee, Purpose purpose) {
  const AbiValue args[] = {b32(token), addr(grantee), purpose_value(purpose)};
  return encode_call(f, args);
}

std::vector<uint8_t> token_address(const ParsedFunction& f, const Hash256& token,
                                   const Address& a) {
  const AbiValue args[] = {b32(token), addr(a)};
  return encode_call(f, args);
}

}  // namespace

std::vector<uint8_t> deploy_consent_registry(const Address& registry) {
  static const ParsedFunction& ctor = function(kKind, "constructor");
  const AbiValue args[] = {addr(registry)};
  return internal::encode_with_head(creation_bytecode(kKind), ctor, args);
}

std::optional<Purpose> purpose_from_code(std::string_view v3_code) {
  for (size_t i = 0; i < kPurposeCodes.size(); ++i)
    if (kPurposeCodes[i] == v3_code) return static_cast<Purpose>(i);
  return std::nullopt;
}

std::string_view purpose_code(Purpose purpose) {
  auto i = static_cast<size_t>(purpose);
  return i < kPurposeCodes.size() ? kPurposeCodes[i] : std::string_view("UNKNOWN");
}

std::optional<Purpose> purpose_from_byte(uint8_t code) {
  if (code >= kPurposeCount) return std::nullopt;
  return static_cast<Purpose>(code);
}

std::string_view decision_name(Decision decision) {
  auto i = static_cast<size_t>(decision);
  return i < kDecisionNames.size() ? kDecisionNames[i] : std::string_view("UNKNOWN");
}

std::vector<uint8_t> register_patient(const Hash256& patient_token, const Address& patient_key) {
  static const ParsedFunction& f = function(kKind, "registerPatient");
  return token_address(f, patient_token, patient_key);
}

std::vector<uint8_t> transfer_custody(const Hash256& patient_token, const Address& new_custodian) {
  static const ParsedFunction& f = function(kKind, "transferCustody");
  return token_address(f, patient_token, new_custodian);
}

std::vector<uint8_t> set_patient_key(const Hash256& patient_token, const Address& patient_key) {
  static const ParsedFunction& f = function(kKind, "setPatientKey");
  return token_address(f, patient_token, patient_key);
}

std::vector<uint8_t> apply_custody_decision(const Uint256& proposal_id) {
  static const ParsedFunction& f = function(kKind, "applyCustodyDecision");
  const AbiValue args[] = {u256(proposal_id)};
  return encode_call(f, args);
}

std::vector<uint8_t> custody_decision_of(const Hash256& patient_token) {
  static const ParsedFunction& f = function(kKind, "custodyDecisionOf");
  const AbiValue args[] = {b32(patient_token)};
  return encode_call(f, args);
}

std::vector<uint8_t> grant(const GrantInput& g) {
  static const ParsedFunction& f = function(kKind, "grant");
  const AbiValue args[] = {grant_value(g)};
  return encode_call(f, args);
}

std::vector<uint8_t> grant_batch(std::span<const GrantInput> grants) {
  static const ParsedFunction& f = function(kKind, "grantBatch");
  AbiValue::List list;
  list.reserve(grants.size());
  for (const GrantInput& g : grants) list.push_back(grant_value(g));
  const AbiValue args[] = {AbiValue::list(std::move(list))};
  return encode_call(f, args);
}

std::vector<uint8_t> revoke(const Hash256& patient_token, const Address& grantee, Purpose purpose,
                            const Hash256& consent_hash) {
  static const ParsedFunction& f = function(kKind, "revoke");
  const AbiValue args[] = {b32(patient_token), addr(grantee), purpose_value(purpose),
                           b32(consent_hash)};
  return encode_call(f, args);
}

std::vector<uint8_t> set_deny(const Hash256& patient_token, const Address& grantee,
                              uint32_t purpose_mask, bool denied, const Hash256& consent_hash) {
  static const ParsedFunction& f = function(kKind, "setDeny");
  const AbiValue args[] = {b32(patient_token), addr(grantee), u64(purpose_mask),
                           AbiValue::boolean(denied), b32(consent_hash)};
  return encode_call(f, args);
}

std::vector<uint8_t> check(const Hash256& patient_token, const Address& grantee, Purpose purpose,
                           uint64_t categories, uint64_t labels) {
  static const ParsedFunction& f = function(kKind, "check");
  const AbiValue args[] = {b32(patient_token), addr(grantee), purpose_value(purpose),
                           u64(categories), u64(labels)};
  return encode_call(f, args);
}

Result<ConsentCheck> decode_check(std::span<const uint8_t> data) {
  static const ParsedFunction& f = function(kKind, "check");
  auto v = internal::decode_return(f, data);
  if (!v) return v.error();
  uint64_t decision = internal::get_u64((*v)[0]);
  if (decision >= kDecisionNames.size())
    return invalid_argument_error("check result: unknown decision code " +
                                  std::to_string(decision));
  ConsentCheck c;
  c.decision = static_cast<Decision>(decision);
  c.consent_key = internal::get_hash((*v)[1]);
  c.version = static_cast<uint32_t>(internal::get_u64((*v)[2]));
  return c;
}

Hash256 consent_key(const Hash256& patient_token, const Address& grantee, Purpose purpose) {
  // abi.encode(bytes32, address, uint8): three words, the address and the
  // purpose right-aligned.
  std::array<uint8_t, 96> words{};
  std::copy(patient_token.begin(), patient_token.end(), words.begin());
  std::copy(grantee.begin(), grantee.end(), words.begin() + 64 - grantee.size());
  words[95] = static_cast<uint8_t>(purpose);
  return keccak256(words);
}

std::vector<uint8_t> consent_key_call(const Hash256& patient_token, const Address& grantee,
                                      Purpose purpose) {
  static const ParsedFunction& f = function(kKind, "consentKey");
  return token_grantee_purpose(f, patient_token, grantee, purpose);
}

std::vector<uint8_t> get_grant(const Hash256& patient_token, const Address& grantee,
                               Purpose purpose) {
  static const ParsedFunction& f = function(kKind, "getGrant");
  return token_grantee_purpose(f, patient_token, grantee, purpose);
}

Result<GrantState> decode_grant(std::span<const uint8_t> data) {
  static const ParsedFunction& f = function(kKind, "getGrant");
  auto v = internal::decode_return(f, data);
  if (!v) return v.error();
  const AbiValue::List& g = internal::get_list((*v)[0]);
  if (g.size() != 6) return invalid_argument_error("getGrant result: malformed grant");
  GrantState s;
  s.valid_from = internal::get_u64(g[0]);
  s.valid_until = internal::get_u64(g[1]);
  s.categories = internal::get_u64(g[2]);
  s.exclusions = internal::get_u64(g[3]);
  s.version = static_cast<uint32_t>(internal::get_u64(g[4]));
  s.granted = internal::get_bool((*v)[1]);
  s.revoked = internal::get_bool((*v)[2]);
  s.denied = internal::get_bool((*v)[3]);
  s.consent_hash = internal::get_hash((*v)[4]);
  return s;
}

std::vector<uint8_t> get_patient(const Hash256& patient_token) {
  static const ParsedFunction& f = function(kKind, "getPatient");
  const AbiValue args[] = {b32(patient_token)};
  return encode_call(f, args);
}

Result<PatientState> decode_patient(std::span<const uint8_t> data) {
  static const ParsedFunction& f = function(kKind, "getPatient");
  auto v = internal::decode_return(f, data);
  if (!v) return v.error();
  PatientState p;
  p.custodian = internal::get_address((*v)[0]);
  p.patient_key = internal::get_address((*v)[1]);
  p.denied_purposes = static_cast<uint32_t>(internal::get_u64((*v)[2]));
  return p;
}

}  // namespace gw::ledger::consortium
