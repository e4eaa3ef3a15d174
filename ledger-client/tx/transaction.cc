#include "ledger-client/tx/transaction.h"

#include <algorithm>
#include <cstdio>
#include <string>

#include "ledger-client/rlp/rlp.h"

namespace gw::ledger {
namespace {

constexpr uint8_t kEip1559Type = 0x02;

RlpItem to_item(const std::optional<Address>& to) {
  return to ? RlpItem::bytes(std::span<const uint8_t>(*to)) : RlpItem();
}

RlpItem access_list_item(const std::vector<AccessListEntry>& list) {
  RlpItem out = RlpItem::list();
  out.items().reserve(list.size());
  for (const AccessListEntry& e : list) {
    RlpItem keys = RlpItem::list();
    for (const Hash256& k : e.storage_keys) keys.items().push_back(RlpItem::bytes(k));
    out.items().push_back(RlpItem::list({RlpItem::bytes(e.address), std::move(keys)}));
  }
  return out;
}

std::vector<RlpItem> fields(const Eip1559Tx& tx) {
  return {RlpItem::uint(tx.chain_id),
          RlpItem::uint(tx.nonce),
          RlpItem::uint(tx.max_priority_fee_per_gas),
          RlpItem::uint(tx.max_fee_per_gas),
          RlpItem::uint(tx.gas_limit),
          to_item(tx.to),
          RlpItem::uint(tx.value),
          RlpItem::bytes(tx.data),
          access_list_item(tx.access_list)};
}

std::vector<RlpItem> fields(const LegacyTx& tx) {
  return {RlpItem::uint(tx.nonce), RlpItem::uint(tx.gas_price), RlpItem::uint(tx.gas_limit),
          to_item(tx.to),          RlpItem::uint(tx.value),     RlpItem::bytes(tx.data)};
}

void append_signature(std::vector<RlpItem>& f, const Uint256& v, const Signature& sig) {
  f.push_back(RlpItem::uint(v));
  f.push_back(RlpItem::uint(Uint256(sig.r)));
  f.push_back(RlpItem::uint(Uint256(sig.s)));
}

// v for a legacy transaction, computed in 128 bits so that no chain id overflows.
Uint256 legacy_v(const std::optional<uint64_t>& chain_id, uint8_t y_parity) {
  if (!chain_id) return Uint256::from_u64(27u + y_parity);
  unsigned __int128 v = static_cast<unsigned __int128>(*chain_id) * 2 + 35 + y_parity;
  std::array<uint8_t, 32> be{};
  for (int i = 0; i < 16; ++i) be[31 - i] = static_cast<uint8_t>(v >> (8 * i));
  return Uint256(be);
}

// ---- decoding ----

Status field_error(const std::string& what) {
  return invalid_argument_error("transaction: " + what);
}

Result<std::optional<Address>> decode_to(const RlpItem& item) {
  if (item.is_list()) return field_error("'to' must be a byte string");
  if (item.bytes().empty()) return std::optional<Address>();
  if (item.bytes().size() != 20) return field_error("'to' must be empty or 20 bytes");
  Address a;
  std::copy(item.bytes().begin(), item.bytes().end(), a.begin());
  return std::optional<Address>(a);
}

Result<std::vector<uint8_t>> decode_data(const RlpItem& item) {
  if (item.is_list()) return field_error("'data' must be a byte string");
  return item.bytes();
}

Result<Hash256> decode_scalar(const RlpItem& item, const char* what) {
  auto v = item.as_uint256(what);
  if (!v) return v.error().with_context("transaction");
  return v->bytes();
}

Result<std::vector<AccessListEntry>> decode_access_list(const RlpItem& item) {
  if (!item.is_list()) return field_error("access list must be a list");
  std::vector<AccessListEntry> out;
  for (const RlpItem& e : item.items()) {
    if (!e.is_list() || e.items().size() != 2 || e.items()[0].is_list() ||
        e.items()[0].bytes().size() != 20 || !e.items()[1].is_list())
      return field_error("access list entry must be [20-byte address, [storage keys]]");
    AccessListEntry entry;
    std::copy(e.items()[0].bytes().begin(), e.items()[0].bytes().end(), entry.address.begin());
    for (const RlpItem& k : e.items()[1].items()) {
      if (k.is_list() || k.bytes().size() != 32)
        return field_error("access list storage key must be 32 bytes");
      Hash256 key;
      std::copy(k.bytes().begin(), k.bytes().end(), key.begin());
      entry.storage_keys.push_back(key);
    }
    out.push_back(std::move(entry));
  }
  return out;
}

// Reads r and s (items[i], items[i + 1]) into `sig`.
Status decode_rs(const std::vector<RlpItem>& items, size_t i, Signature& sig) {
  auto r = decode_scalar(items[i], "signature r");
  if (!r) return r.error();
  auto s = decode_scalar(items[i + 1], "signature s");
  if (!s) return s.error();
  sig.r = *r;
  sig.s = *s;
  return ok_status();
}

// Unwraps a Result into `out`, or returns its error from the enclosing function.
#define GW_TX_TRY(out, expr)        \
  do {                              \
    auto tmp_ = (expr);             \
    if (!tmp_) return tmp_.error(); \
    out = std::move(*tmp_);         \
  } while (0)

Result<DecodedTransaction> decode_eip1559(std::span<const uint8_t> body) {
  auto rlp = rlp_decode(body);
  if (!rlp) return rlp.error().with_context("type 2 transaction");
  const auto& it = rlp->items();
  if (!rlp->is_list() || it.size() != 12)
    return field_error("type 2 payload must be a list of 12 fields");
  Eip1559Tx tx;
  GW_TX_TRY(tx.chain_id, it[0].as_u64("chain id"));
  GW_TX_TRY(tx.nonce, it[1].as_u64("nonce"));
  GW_TX_TRY(tx.max_priority_fee_per_gas, it[2].as_uint256("max priority fee per gas"));
  GW_TX_TRY(tx.max_fee_per_gas, it[3].as_uint256("max fee per gas"));
  GW_TX_TRY(tx.gas_limit, it[4].as_u64("gas limit"));
  GW_TX_TRY(tx.to, decode_to(it[5]));
  GW_TX_TRY(tx.value, it[6].as_uint256("value"));
  GW_TX_TRY(tx.data, decode_data(it[7]));
  GW_TX_TRY(tx.access_list, decode_access_list(it[8]));
  DecodedTransaction out;
  uint64_t parity = 0;
  GW_TX_TRY(parity, it[9].as_u64("y parity"));
  if (parity > 1) return field_error("y parity must be 0 or 1");
  out.signature.y_parity = static_cast<uint8_t>(parity);
  GW_RETURN_IF_ERROR(decode_rs(it, 10, out.signature));
  out.signing_hash = signing_hash(tx);
  out.tx = std::move(tx);
  return out;
}

Result<DecodedTransaction> decode_legacy(std::span<const uint8_t> raw) {
  auto rlp = rlp_decode(raw);
  if (!rlp) return rlp.error().with_context("legacy transaction");
  const auto& it = rlp->items();
  if (!rlp->is_list() || it.size() != 9)
    return field_error("legacy transaction must be a list of 9 fields");
  LegacyTx tx;
  GW_TX_TRY(tx.nonce, it[0].as_u64("nonce"));
  GW_TX_TRY(tx.gas_price, it[1].as_uint256("gas price"));
  GW_TX_TRY(tx.gas_limit, it[2].as_u64("gas limit"));
  GW_TX_TRY(tx.to, decode_to(it[3]));
  GW_TX_TRY(tx.value, it[4].as_uint256("value"));
  GW_TX_TRY(tx.data, decode_data(it[5]));
  Uint256 v;
  GW_TX_TRY(v, it[6].as_uint256("v"));
  DecodedTransaction out;
  if (v == Uint256::from_u64(27) || v == Uint256::from_u64(28)) {
    out.signature.y_parity = static_cast<uint8_t>(*v.to_u64() - 27);
  } else {
    // v = chain_id * 2 + 35 + parity, so chain_id = (v - 35) / 2.
    auto rest = checked_sub(v, Uint256::from_u64(35));
    if (!rest || rest->bit_length() > 65)
      return field_error("v must be 27, 28 or chain_id * 2 + 35/36 with a 64-bit chain id");
    const auto& b = rest->bytes();
    unsigned __int128 low = 0;  // rest < 2^65 lives in the last 16 bytes
    for (int i = 16; i < 32; ++i) low = (low << 8) | b[i];
    out.signature.y_parity = static_cast<uint8_t>(low & 1);
    const uint64_t chain = static_cast<uint64_t>(low >> 1);
    tx.chain_id = chain;
  }
  GW_RETURN_IF_ERROR(decode_rs(it, 7, out.signature));
  out.signing_hash = signing_hash(tx);
  out.tx = std::move(tx);
  return out;
}

#undef GW_TX_TRY

}  // namespace

std::vector<uint8_t> signing_payload(const Eip1559Tx& tx) {
  std::vector<uint8_t> out = {kEip1559Type};
  rlp_append(RlpItem::list(fields(tx)), out);
  return out;
}

std::vector<uint8_t> signing_payload(const LegacyTx& tx) {
  std::vector<RlpItem> f = fields(tx);
  if (tx.chain_id) {
    f.push_back(RlpItem::uint(*tx.chain_id));
    f.push_back(RlpItem());
    f.push_back(RlpItem());
  }
  return rlp_encode(RlpItem::list(std::move(f)));
}

Hash256 signing_hash(const Eip1559Tx& tx) { return keccak256(signing_payload(tx)); }
Hash256 signing_hash(const LegacyTx& tx) { return keccak256(signing_payload(tx)); }

std::vector<uint8_t> encode_signed(const Eip1559Tx& tx, const Signature& sig) {
  std::vector<RlpItem> f = fields(tx);
  append_signature(f, Uint256::from_u64(sig.y_parity), sig);
  std::vector<uint8_t> out = {kEip1559Type};
  rlp_append(RlpItem::list(std::move(f)), out);
  return out;
}

std::vector<uint8_t> encode_signed(const LegacyTx& tx, const Signature& sig) {
  std::vector<RlpItem> f = fields(tx);
  append_signature(f, legacy_v(tx.chain_id, sig.y_parity), sig);
  return rlp_encode(RlpItem::list(std::move(f)));
}

Result<std::vector<uint8_t>> sign(const Eip1559Tx& tx, std::span<const uint8_t, 32> private_key) {
  if (tx.max_priority_fee_per_gas > tx.max_fee_per_gas)
    return invalid_argument_error(
        "transaction: max priority fee per gas exceeds max fee per gas; raise the max "
        "fee or lower the tip");
  auto sig = sign_hash(signing_hash(tx), private_key);
  if (!sig) return sig.error();
  return encode_signed(tx, *sig);
}

Result<std::vector<uint8_t>> sign(const LegacyTx& tx, std::span<const uint8_t, 32> private_key) {
  if (!tx.chain_id)
    return invalid_argument_error(
        "transaction: refusing to sign a legacy transaction without a chain id "
        "(it could be replayed on any chain; set chain_id, EIP-155)");
  auto sig = sign_hash(signing_hash(tx), private_key);
  if (!sig) return sig.error();
  return encode_signed(tx, *sig);
}

Hash256 transaction_hash(std::span<const uint8_t> raw) { return keccak256(raw); }

Result<DecodedTransaction> decode_raw(std::span<const uint8_t> raw) {
  if (raw.empty()) return field_error("empty input");
  const uint8_t first = raw[0];
  if (first < 0x80 && first != kEip1559Type) {
    char type[8];
    std::snprintf(type, sizeof type, "0x%02x", first);
    return field_error(std::string("type ") + type +
                       " is not supported (only type 2 and legacy transactions)");
  }
  if (first >= 0x80 && first < 0xc0)
    return field_error("not a transaction: starts with an RLP byte string");
  Result<DecodedTransaction> out =
      first == kEip1559Type ? decode_eip1559(raw.subspan(1)) : decode_legacy(raw);
  if (out) out->hash = transaction_hash(raw);
  return out;
}

Result<Address> recover_sender(std::span<const uint8_t> raw) {
  auto decoded = decode_raw(raw);
  if (!decoded) return decoded.error();
  return recover_address(decoded->signing_hash, decoded->signature);
}

}  // namespace gw::ledger
