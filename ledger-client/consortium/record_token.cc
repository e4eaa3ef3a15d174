#include "ledger-client/consortium/record_token.h"

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

constexpr ContractKind kKind = ContractKind::kRecordToken;

std::vector<uint8_t> one_token(const ParsedFunction& f, const Uint256& token_id) {
  const AbiValue args[] = {u256(token_id)};
  return encode_call(f, args);
}

}  // namespace

std::vector<uint8_t> deploy_record_token(const Address& registry, const Address& anchors) {
  static const ParsedFunction& ctor = function(kKind, "constructor");
  const AbiValue args[] = {addr(registry), addr(anchors)};
  return internal::encode_with_head(creation_bytecode(kKind), ctor, args);
}

Uint256 record_id(const Hash256& patient_token, const Address& custodian) {
  std::array<uint8_t, 64> words{};
  std::copy(patient_token.begin(), patient_token.end(), words.begin());
  std::copy(custodian.begin(), custodian.end(), words.end() - custodian.size());
  return Uint256(keccak256(words));
}

std::vector<uint8_t> record_id_call(const Hash256& patient_token, const Address& custodian) {
  static const ParsedFunction& f = function(kKind, "recordId");
  const AbiValue args[] = {b32(patient_token), addr(custodian)};
  return encode_call(f, args);
}

std::vector<uint8_t> mint_or_update(std::span<const Hash256> patient_tokens, const Hash256& root) {
  static const ParsedFunction& f = function(kKind, "mintOrUpdate");
  AbiValue::List list;
  list.reserve(patient_tokens.size());
  for (const Hash256& t : patient_tokens) list.push_back(b32(t));
  const AbiValue args[] = {AbiValue::list(std::move(list)), b32(root)};
  return encode_call(f, args);
}

std::vector<uint8_t> update_roots(std::span<const Uint256> token_ids, const Hash256& root) {
  static const ParsedFunction& f = function(kKind, "updateRoots");
  AbiValue::List list;
  list.reserve(token_ids.size());
  for (const Uint256& id : token_ids) list.push_back(u256(id));
  const AbiValue args[] = {AbiValue::list(std::move(list)), b32(root)};
  return encode_call(f, args);
}

std::vector<uint8_t> record_of(const Uint256& token_id) {
  static const ParsedFunction& f = function(kKind, "recordOf");
  return one_token(f, token_id);
}

Result<RecordInfo> decode_record_of(std::span<const uint8_t> data) {
  static const ParsedFunction& f = function(kKind, "recordOf");
  auto v = internal::decode_return(f, data);
  if (!v) return v.error();
  RecordInfo r;
  r.patient_token = internal::get_hash((*v)[0]);
  r.custodian = internal::get_address((*v)[1]);
  r.latest_root = internal::get_hash((*v)[2]);
  r.updated_at = internal::get_u64((*v)[3]);
  return r;
}

std::vector<uint8_t> owner_of(const Uint256& token_id) {
  static const ParsedFunction& f = function(kKind, "ownerOf");
  return one_token(f, token_id);
}

std::vector<uint8_t> balance_of(const Address& owner) {
  static const ParsedFunction& f = function(kKind, "balanceOf");
  const AbiValue args[] = {addr(owner)};
  return encode_call(f, args);
}

std::vector<uint8_t> get_approved(const Uint256& token_id) {
  static const ParsedFunction& f = function(kKind, "getApproved");
  return one_token(f, token_id);
}

std::vector<uint8_t> is_approved_for_all(const Address& owner, const Address& op) {
  static const ParsedFunction& f = function(kKind, "isApprovedForAll");
  const AbiValue args[] = {addr(owner), addr(op)};
  return encode_call(f, args);
}

std::vector<uint8_t> token_transfer_from(const Address& from, const Address& to,
                                         const Uint256& token_id) {
  static const ParsedFunction& f = function(kKind, "transferFrom");
  const AbiValue args[] = {addr(from), addr(to), u256(token_id)};
  return encode_call(f, args);
}

std::vector<uint8_t> token_safe_transfer_from(const Address& from, const Address& to,
                                              const Uint256& token_id,
                                              std::span<const uint8_t> data) {
  static const ParsedFunction& f3 = function(kKind, "safeTransferFrom(address,address,uint256)");
  static const ParsedFunction& f4 =
      function(kKind, "safeTransferFrom(address,address,uint256,bytes)");
  if (data.empty()) {
    const AbiValue args[] = {addr(from), addr(to), u256(token_id)};
    return encode_call(f3, args);
  }
  const AbiValue args[] = {addr(from), addr(to), u256(token_id),
                           AbiValue::bytes({data.begin(), data.end()})};
  return encode_call(f4, args);
}

std::vector<uint8_t> token_approve(const Address& approved, const Uint256& token_id) {
  static const ParsedFunction& f = function(kKind, "approve");
  const AbiValue args[] = {addr(approved), u256(token_id)};
  return encode_call(f, args);
}

std::vector<uint8_t> set_approval_for_all(const Address& op, bool approved) {
  static const ParsedFunction& f = function(kKind, "setApprovalForAll");
  const AbiValue args[] = {addr(op), AbiValue::boolean(approved)};
  return encode_call(f, args);
}

}  // namespace gw::ledger::consortium
