#include "ledger-client/consortium/audit_anchor.h"

#include "ledger-client/consortium/contracts.h"
#include "ledger-client/consortium/internal.h"

namespace gw::ledger::consortium {
namespace {

using internal::function;
using internal::ParsedFunction;
using internal::u64;

constexpr ContractKind kKind = ContractKind::kAuditAnchor;

AbiValue anchor_value(const AnchorInput& a) {
  return AbiValue::list({u64(static_cast<uint8_t>(a.kind)), internal::b32(a.root), u64(a.first_seq),
                         u64(a.last_seq), AbiValue::bytes(a.signature)});
}

}  // namespace

std::vector<uint8_t> deploy_audit_anchor(const Address& registry) {
  static const ParsedFunction& ctor = function(kKind, "constructor");
  const AbiValue args[] = {internal::addr(registry)};
  return internal::encode_with_head(creation_bytecode(kKind), ctor, args);
}

std::vector<uint8_t> anchor(const AnchorInput& a) {
  static const ParsedFunction& f = function(kKind, "anchor");
  const AbiValue args[] = {anchor_value(a)};
  return internal::encode_call(f, args);
}

std::vector<uint8_t> anchor_batch(std::span<const AnchorInput> anchors) {
  static const ParsedFunction& f = function(kKind, "anchorBatch");
  AbiValue::List list;
  list.reserve(anchors.size());
  for (const AnchorInput& a : anchors) list.push_back(anchor_value(a));
  const AbiValue args[] = {AbiValue::list(std::move(list))};
  return internal::encode_call(f, args);
}

std::vector<uint8_t> anchor_of(const Address& member, const Hash256& root) {
  static const ParsedFunction& f = function(kKind, "anchorOf");
  const AbiValue args[] = {internal::addr(member), internal::b32(root)};
  return internal::encode_call(f, args);
}

Result<AnchorRecord> decode_anchor_of(std::span<const uint8_t> data) {
  static const ParsedFunction& f = function(kKind, "anchorOf");
  auto v = internal::decode_return(f, data);
  if (!v) return v.error();
  AnchorRecord r;
  r.anchored_at = internal::get_u64((*v)[0]);
  r.kind = static_cast<uint8_t>(internal::get_u64((*v)[1]));
  r.block_number = internal::get_u64((*v)[2]);
  return r;
}

}  // namespace gw::ledger::consortium
