#include "ledger-client/consortium/transfer_log.h"

#include "ledger-client/consortium/contracts.h"
#include "ledger-client/consortium/internal.h"

namespace gw::ledger::consortium {
namespace {

using internal::addr;
using internal::b32;
using internal::function;
using internal::ParsedFunction;
using internal::u256;
using internal::u64;

constexpr ContractKind kKind = ContractKind::kTransferLog;

AbiValue transfer_value(const TransferInput& t) {
  return AbiValue::list({u256(t.id), addr(t.to), b32(t.patient_token), b32(t.commitment),
                         u64(static_cast<uint8_t>(t.purpose)), u64(t.flags)});
}

}  // namespace

std::vector<uint8_t> deploy_transfer_log(const Address& registry, const Address& consents) {
  static const ParsedFunction& ctor = function(kKind, "constructor");
  const AbiValue args[] = {addr(registry), addr(consents)};
  return internal::encode_with_head(creation_bytecode(kKind), ctor, args);
}

std::vector<uint8_t> record_transfer(const TransferInput& t) {
  static const ParsedFunction& f = function(kKind, "recordTransfer");
  const AbiValue args[] = {transfer_value(t)};
  return internal::encode_call(f, args);
}

std::vector<uint8_t> record_transfers(std::span<const TransferInput> transfers) {
  static const ParsedFunction& f = function(kKind, "recordTransfers");
  AbiValue::List list;
  list.reserve(transfers.size());
  for (const TransferInput& t : transfers) list.push_back(transfer_value(t));
  const AbiValue args[] = {AbiValue::list(std::move(list))};
  return internal::encode_call(f, args);
}

std::vector<uint8_t> is_recorded(const Address& from, const Uint256& transfer_id) {
  static const ParsedFunction& f = function(kKind, "isRecorded");
  const AbiValue args[] = {addr(from), u256(transfer_id)};
  return internal::encode_call(f, args);
}

std::string_view transfer_refusal_name(uint8_t reason) {
  if (reason <= static_cast<uint8_t>(Decision::kInvalidPurpose))
    return decision_name(static_cast<Decision>(reason));
  switch (reason) {
    case kRefusalRecipientNotActive:
      return "RECIPIENT_NOT_ACTIVE";
    case kRefusalSelfTransfer:
      return "SELF_TRANSFER";
    case kRefusalInvalidFlags:
      return "INVALID_FLAGS";
    default:
      return "UNKNOWN";
  }
}

}  // namespace gw::ledger::consortium
