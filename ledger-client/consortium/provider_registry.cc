#include "ledger-client/consortium/provider_registry.h"

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

constexpr ContractKind kKind = ContractKind::kProviderRegistry;

bool is_zero(const Hash256& h) {
  for (uint8_t b : h)
    if (b != 0) return false;
  return true;
}

AbiValue member_value(const MemberInfo& m) {
  return AbiValue::list({addr(m.account), AbiValue::string(m.org_id), AbiValue::string(m.name),
                         b32(m.encryption_key), b32(m.tls_fingerprint), b32(m.signing_key_hash),
                         AbiValue::string(m.accreditation)});
}

MemberInfo member_from(const AbiValue& v) {
  const AbiValue::List& f = internal::get_list(v);
  MemberInfo m;
  if (f.size() != 7) return m;
  m.account = internal::get_address(f[0]);
  m.org_id = internal::get_string(f[1]);
  m.name = internal::get_string(f[2]);
  m.encryption_key = internal::get_hash(f[3]);
  m.tls_fingerprint = internal::get_hash(f[4]);
  m.signing_key_hash = internal::get_hash(f[5]);
  m.accreditation = internal::get_string(f[6]);
  return m;
}

std::vector<uint8_t> call0(std::string_view name) { return encode_call(function(kKind, name)); }

template <typename T>
Result<T> decode_word(std::span<const uint8_t> data, const AbiType& type, std::string_view what,
                      T (*get)(const AbiValue&)) {
  auto v = abi_decode(std::span(&type, 1), data);
  if (!v) return v.error().with_context(std::string(what) + " result");
  return get((*v)[0]);
}

}  // namespace

Status validate_member(const MemberInfo& m) {
  auto refuse = [](std::string_view field) {
    return invalid_argument_error("member info: invalid " + std::string(field));
  };
  if (m.account == Address{}) return refuse("account (zero)");
  if (m.org_id.empty() || m.org_id.size() > kMaxOrgIdLength) return refuse("orgId (1..64 bytes)");
  if (m.name.empty() || m.name.size() > kMaxMemberNameLength) return refuse("name (1..128 bytes)");
  if (m.accreditation.size() > kMaxAccreditationLength)
    return refuse("accreditation (<= 128 bytes)");
  if (is_zero(m.encryption_key)) return refuse("encryptionKey (zero)");
  if (is_zero(m.tls_fingerprint)) return refuse("tlsFingerprint (zero)");
  if (is_zero(m.signing_key_hash)) return refuse("signingKeyHash (zero)");
  return ok_status();
}

Result<std::vector<uint8_t>> deploy_provider_registry(std::span<const MemberInfo> founders,
                                                      uint8_t quorum,
                                                      uint64_t proposal_ttl_seconds) {
  if (founders.empty())
    return invalid_argument_error("ProviderRegistry: at least one founder is required");
  if (proposal_ttl_seconds == 0)
    return invalid_argument_error("ProviderRegistry: proposal TTL must be > 0");
  if (quorum == 0 || quorum > founders.size() || (founders.size() >= 2 && quorum < 2))
    return invalid_argument_error("ProviderRegistry: quorum " + std::to_string(quorum) +
                                  " is invalid for " + std::to_string(founders.size()) +
                                  " founders (1..n, at least 2 when n >= 2)");
  AbiValue::List list;
  list.reserve(founders.size());
  for (size_t i = 0; i < founders.size(); ++i) {
    Status s = validate_member(founders[i]);
    if (!s.ok()) return s.with_context("founder " + std::to_string(i));
    for (size_t j = 0; j < i; ++j)
      if (founders[j].account == founders[i].account || founders[j].org_id == founders[i].org_id)
        return invalid_argument_error("founder " + std::to_string(i) +
                                      ": account or orgId repeats founder " + std::to_string(j));
    list.push_back(member_value(founders[i]));
  }
  static const ParsedFunction& ctor = function(kKind, "constructor");
  const AbiValue args[] = {AbiValue::list(std::move(list)), u64(quorum), u64(proposal_ttl_seconds)};
  return internal::encode_with_head(creation_bytecode(kKind), ctor, args);
}

Result<std::vector<uint8_t>> propose_add(const MemberInfo& info) {
  Status s = validate_member(info);
  if (!s.ok()) return s;
  static const ParsedFunction& f = function(kKind, "proposeAdd");
  const AbiValue args[] = {member_value(info)};
  return encode_call(f, args);
}

std::vector<uint8_t> propose_suspend(const Address& account) {
  static const ParsedFunction& f = function(kKind, "proposeSuspend");
  const AbiValue args[] = {addr(account)};
  return encode_call(f, args);
}

std::vector<uint8_t> propose_reinstate(const Address& account) {
  static const ParsedFunction& f = function(kKind, "proposeReinstate");
  const AbiValue args[] = {addr(account)};
  return encode_call(f, args);
}

std::vector<uint8_t> propose_rekey(const Address& account, const Hash256& encryption_key,
                                   const Hash256& tls_fingerprint,
                                   const Hash256& signing_key_hash) {
  static const ParsedFunction& f = function(kKind, "proposeRekey");
  const AbiValue args[] = {addr(account), b32(encryption_key), b32(tls_fingerprint),
                           b32(signing_key_hash)};
  return encode_call(f, args);
}

std::vector<uint8_t> propose_quorum(uint8_t quorum) {
  static const ParsedFunction& f = function(kKind, "proposeQuorum");
  const AbiValue args[] = {u64(quorum)};
  return encode_call(f, args);
}

std::vector<uint8_t> propose_policy(const Uint256& policy) {
  static const ParsedFunction& f = function(kKind, "proposePolicy");
  const AbiValue args[] = {u256(policy)};
  return encode_call(f, args);
}

std::vector<uint8_t> propose_custody(const Hash256& patient_token, const Address& new_custodian) {
  static const ParsedFunction& f = function(kKind, "proposeCustody");
  const AbiValue args[] = {b32(patient_token), addr(new_custodian)};
  return encode_call(f, args);
}

std::vector<uint8_t> approve(const Uint256& proposal_id) {
  static const ParsedFunction& f = function(kKind, "approve");
  const AbiValue args[] = {u256(proposal_id)};
  return encode_call(f, args);
}

std::vector<uint8_t> is_active(const Address& account) {
  static const ParsedFunction& f = function(kKind, "isActive");
  const AbiValue args[] = {addr(account)};
  return encode_call(f, args);
}

std::vector<uint8_t> get_member(const Address& account) {
  static const ParsedFunction& f = function(kKind, "getMember");
  const AbiValue args[] = {addr(account)};
  return encode_call(f, args);
}

std::vector<uint8_t> account_of(const std::string& org_id) {
  static const ParsedFunction& f = function(kKind, "accountOf");
  const AbiValue args[] = {AbiValue::string(org_id)};
  return encode_call(f, args);
}

std::vector<uint8_t> member_at(const Uint256& index) {
  static const ParsedFunction& f = function(kKind, "memberAt");
  const AbiValue args[] = {u256(index)};
  return encode_call(f, args);
}

std::vector<uint8_t> get_proposal(const Uint256& proposal_id) {
  static const ParsedFunction& f = function(kKind, "getProposal");
  const AbiValue args[] = {u256(proposal_id)};
  return encode_call(f, args);
}

std::vector<uint8_t> has_approved(const Uint256& proposal_id, const Address& account) {
  static const ParsedFunction& f = function(kKind, "hasApproved");
  const AbiValue args[] = {u256(proposal_id), addr(account)};
  return encode_call(f, args);
}

std::vector<uint8_t> emergency_access_enabled() { return call0("emergencyAccessEnabled"); }
std::vector<uint8_t> member_count() { return call0("memberCount"); }
std::vector<uint8_t> quorum() { return call0("quorum"); }
std::vector<uint8_t> active_count() { return call0("activeCount"); }
std::vector<uint8_t> required_approvals() { return call0("requiredApprovals"); }
std::vector<uint8_t> policy() { return call0("policy"); }
std::vector<uint8_t> proposal_ttl() { return call0("proposalTtl"); }
std::vector<uint8_t> proposal_count() { return call0("proposalCount"); }

Result<bool> decode_bool(std::span<const uint8_t> data) {
  static const AbiType t = AbiType::boolean();
  return decode_word<bool>(data, t, "bool", internal::get_bool);
}

Result<Address> decode_address(std::span<const uint8_t> data) {
  static const AbiType t = AbiType::address();
  return decode_word<Address>(data, t, "address", internal::get_address);
}

Result<Uint256> decode_uint256(std::span<const uint8_t> data) {
  static const AbiType t = AbiType::uint(256);
  return decode_word<Uint256>(data, t, "uint256", internal::get_u256);
}

Result<Hash256> decode_bytes32(std::span<const uint8_t> data) {
  static const AbiType t = AbiType::fixed_bytes(32);
  return decode_word<Hash256>(data, t, "bytes32", internal::get_hash);
}

Result<Member> decode_member(std::span<const uint8_t> data) {
  static const ParsedFunction& f = function(kKind, "getMember");
  auto v = internal::decode_return(f, data);
  if (!v) return v.error();
  uint64_t status = internal::get_u64((*v)[1]);
  if (status > static_cast<uint64_t>(MemberStatus::kSuspended))
    return invalid_argument_error("getMember result: unknown status " + std::to_string(status));
  Member m;
  m.info = member_from((*v)[0]);
  m.status = static_cast<MemberStatus>(status);
  m.joined_at = internal::get_u64((*v)[2]);
  m.changed_at = internal::get_u64((*v)[3]);
  return m;
}

Result<Proposal> decode_proposal(std::span<const uint8_t> data) {
  static const ParsedFunction& f = function(kKind, "getProposal");
  auto v = internal::decode_return(f, data);
  if (!v) return v.error();
  uint64_t action = internal::get_u64((*v)[0]);
  if (action > static_cast<uint64_t>(ProposalAction::kCustody))
    return invalid_argument_error("getProposal result: unknown action " + std::to_string(action));
  Proposal p;
  p.action = static_cast<ProposalAction>(action);
  p.target = internal::get_address((*v)[1]);
  p.proposer = internal::get_address((*v)[2]);
  p.expires_at = internal::get_u64((*v)[3]);
  p.executed = internal::get_bool((*v)[4]);
  p.approvals = internal::get_u256((*v)[5]);
  p.payload = internal::get_bytes((*v)[6]);
  return p;
}

}  // namespace gw::ledger::consortium
