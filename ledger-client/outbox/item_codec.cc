#include "ledger-client/outbox/item_codec.h"

#include <cstdio>

#include "ledger-client/abi/abi_codec.h"
#include "ledger-client/consortium/abi_specs.h"
#include "ledger-client/consortium/events.h"

namespace gw::ledger {
namespace {

// The tuple types of the contracts' batch functions, one element each.
const AbiType& tuple_type(ItemKind kind) {
  static const AbiType transfer = parse_abi_type(consortium::transfer_tuple_type()).value();
  static const AbiType anchor = parse_abi_type(consortium::anchor_tuple_type()).value();
  static const AbiType grant = parse_abi_type(consortium::grant_input_tuple_type()).value();
  switch (kind) {
    case ItemKind::kTransfer:
      return transfer;
    case ItemKind::kAnchor:
      return anchor;
    default:
      return grant;
  }
}

AbiValue b32(const Hash256& h) { return AbiValue::bytes({h.begin(), h.end()}); }

Result<std::vector<uint8_t>> encode_tuple(ItemKind kind, AbiValue::List members) {
  AbiValue v = AbiValue::list(std::move(members));
  return abi_encode(std::span(&tuple_type(kind), 1), std::span(&v, 1));
}

Result<AbiValue::List> decode_tuple(ItemKind kind, std::span<const uint8_t> body) {
  auto r = abi_decode(std::span(&tuple_type(kind), 1), body, AbiDecodeOptions{.strict = true});
  if (!r) return r.error().with_context("outbox item body");
  const AbiValue::List* l = r->front().as_list();
  if (l == nullptr) return invalid_argument_error("outbox item body is not a tuple");
  return *l;
}

Hash256 hash_of(const AbiValue& v) {
  Hash256 h{};
  if (auto* b = v.as_bytes(); b != nullptr && b->size() == 32)
    std::copy(b->begin(), b->end(), h.begin());
  return h;
}
uint64_t u64_of(const AbiValue& v) {
  auto* w = v.as_word();
  return w ? w->to_u64().value_or(0) : 0;
}

std::vector<uint8_t> key_of_word(const Uint256& w) {
  return std::vector<uint8_t>(w.bytes().begin(), w.bytes().end());
}

}  // namespace

Result<std::vector<uint8_t>> encode_transfer_body(const consortium::TransferInput& t) {
  return encode_tuple(
      ItemKind::kTransfer,
      {AbiValue::uint(t.id), AbiValue::address(t.to), b32(t.patient_token), b32(t.commitment),
       AbiValue::uint(static_cast<uint64_t>(t.purpose)), AbiValue::uint(t.flags)});
}

Result<std::vector<uint8_t>> encode_anchor_body(const consortium::AnchorInput& a) {
  return encode_tuple(
      ItemKind::kAnchor,
      {AbiValue::uint(static_cast<uint64_t>(a.kind)), b32(a.root), AbiValue::uint(a.first_seq),
       AbiValue::uint(a.last_seq), AbiValue::bytes(a.signature)});
}

Result<std::vector<uint8_t>> encode_grant_body(const consortium::GrantInput& g) {
  return encode_tuple(
      ItemKind::kConsentGrant,
      {b32(g.patient_token), AbiValue::address(g.grantee),
       AbiValue::uint(static_cast<uint64_t>(g.purpose)), AbiValue::uint(g.categories),
       AbiValue::uint(g.exclusions), AbiValue::uint(std::min(g.valid_from, consortium::kOpenEnded)),
       AbiValue::uint(std::min(g.valid_until, consortium::kOpenEnded)), b32(g.consent_hash)});
}

std::vector<uint8_t> encode_call_body(const std::optional<Address>& to,
                                      const std::vector<uint8_t>& data) {
  // 0x00 || data (contract creation) or 0x01 || to || data.
  std::vector<uint8_t> body;
  body.reserve(21 + data.size());
  body.push_back(to ? 1 : 0);
  if (to) body.insert(body.end(), to->begin(), to->end());
  body.insert(body.end(), data.begin(), data.end());
  return body;
}

Result<consortium::TransferInput> decode_transfer_body(std::span<const uint8_t> body) {
  auto l = decode_tuple(ItemKind::kTransfer, body);
  if (!l) return l.error();
  consortium::TransferInput t;
  t.id = *(*l)[0].as_word();
  t.to = *(*l)[1].as_address();
  t.patient_token = hash_of((*l)[2]);
  t.commitment = hash_of((*l)[3]);
  t.purpose = static_cast<consortium::Purpose>(u64_of((*l)[4]));
  t.flags = static_cast<uint8_t>(u64_of((*l)[5]));
  return t;
}

Result<consortium::AnchorInput> decode_anchor_body(std::span<const uint8_t> body) {
  auto l = decode_tuple(ItemKind::kAnchor, body);
  if (!l) return l.error();
  consortium::AnchorInput a;
  a.kind = static_cast<consortium::AnchorKind>(u64_of((*l)[0]));
  a.root = hash_of((*l)[1]);
  a.first_seq = u64_of((*l)[2]);
  a.last_seq = u64_of((*l)[3]);
  a.signature = *(*l)[4].as_bytes();
  return a;
}

Result<consortium::GrantInput> decode_grant_body(std::span<const uint8_t> body) {
  auto l = decode_tuple(ItemKind::kConsentGrant, body);
  if (!l) return l.error();
  consortium::GrantInput g;
  g.patient_token = hash_of((*l)[0]);
  g.grantee = *(*l)[1].as_address();
  g.purpose = static_cast<consortium::Purpose>(u64_of((*l)[2]));
  g.categories = u64_of((*l)[3]);
  g.exclusions = u64_of((*l)[4]);
  g.valid_from = u64_of((*l)[5]);
  g.valid_until = u64_of((*l)[6]);
  g.consent_hash = hash_of((*l)[7]);
  return g;
}

std::vector<uint8_t> transfer_key(const consortium::TransferInput& t) { return key_of_word(t.id); }
std::vector<uint8_t> anchor_key(const consortium::AnchorInput& a) {
  return std::vector<uint8_t>(a.root.begin(), a.root.end());
}

Result<BatchCall> batch_call(ItemKind kind, const std::vector<OutboxItem>& items,
                             const std::optional<Address>& target) {
  if (items.empty()) return invalid_argument_error("no items to send");
  if (kind == ItemKind::kCall) {
    const std::vector<uint8_t>& body = items.front().body;
    if (body.empty() || body[0] > 1 || (body[0] == 1 && body.size() < 21)) {
      return invalid_argument_error("outbox call item " + std::to_string(items.front().seq) +
                                    " is malformed");
    }
    BatchCall c;
    size_t offset = 1;
    if (body[0] == 1) {
      Address to;
      std::copy(body.begin() + 1, body.begin() + 21, to.begin());
      c.to = to;
      offset = 21;
    }
    c.data.assign(body.begin() + static_cast<ptrdiff_t>(offset), body.end());
    return c;
  }
  if (!target) return invalid_argument_error("no contract address configured for this item kind");
  BatchCall c;
  c.to = target;
  if (kind == ItemKind::kTransfer) {
    std::vector<consortium::TransferInput> ts;
    for (const auto& it : items) {
      auto t = decode_transfer_body(it.body);
      if (!t) return t.error();
      ts.push_back(*t);
    }
    c.data = consortium::record_transfers(ts);
  } else if (kind == ItemKind::kAnchor) {
    std::vector<consortium::AnchorInput> as;
    for (const auto& it : items) {
      auto a = decode_anchor_body(it.body);
      if (!a) return a.error();
      as.push_back(*a);
    }
    c.data = consortium::anchor_batch(as);
  } else {
    std::vector<consortium::GrantInput> gs;
    for (const auto& it : items) {
      auto g = decode_grant_body(it.body);
      if (!g) return g.error();
      gs.push_back(*g);
    }
    c.data = consortium::grant_batch(gs);
  }
  return c;
}

ItemOutcomes read_outcomes(ItemKind kind, const Receipt& receipt, const Address& sender,
                           const std::optional<Address>& target) {
  ItemOutcomes out;
  out.kind = kind;
  for (const Log& log : receipt.logs) {
    if (log.removed || !target || log.address != *target) continue;
    auto ev = consortium::decode_event(log.topics, log.data);
    if (!ev || !ev->has_value()) continue;
    if (auto* r = std::get_if<consortium::TransferRecorded>(&**ev)) {
      if (r->from != sender) continue;
      out.by_key[key_of_word(r->transfer_id)] = {
          ItemState::kDone, (r->flags & consortium::kFlagEmergency) ? "recorded (emergency)" : ""};
    } else if (auto* f = std::get_if<consortium::TransferRefused>(&**ev)) {
      if (f->from != sender) continue;
      out.by_key[key_of_word(f->transfer_id)] = {
          ItemState::kRefused,
          "refused: " + std::string(consortium::transfer_refusal_name(f->reason))};
    } else if (auto* a = std::get_if<consortium::Anchored>(&**ev)) {
      if (a->member != sender) continue;
      out.by_key[std::vector<uint8_t>(a->root.begin(), a->root.end())] = {ItemState::kDone, ""};
    }
  }
  return out;
}

ItemOutcome outcome_for(const OutboxItem& item, const ItemOutcomes& outcomes) {
  switch (item.kind) {
    case ItemKind::kTransfer: {
      auto it = outcomes.by_key.find(item.key);
      // No event: the contract had this id already (a retry), a no-op by design.
      if (it == outcomes.by_key.end()) return {ItemState::kDone, "already recorded"};
      return it->second;
    }
    case ItemKind::kAnchor: {
      auto it = outcomes.by_key.find(item.key);
      if (it == outcomes.by_key.end()) return {ItemState::kDone, "already anchored"};
      return it->second;
    }
    default:
      return {ItemState::kDone, ""};
  }
}

namespace {

std::string arg_text(const AbiValue& v) {
  auto cut = [](std::string s) {
    if (s.size() > 80) s = s.substr(0, 80) + "...";
    return s;
  };
  if (auto* w = v.as_word()) return cut(w->to_decimal());
  if (auto* a = v.as_address()) return to_hex(*a);
  if (auto* b = v.as_bool()) return *b ? "true" : "false";
  if (auto* b = v.as_bytes()) return cut(to_hex(*b));
  if (auto* s = v.as_string()) {
    std::string out = "\"";
    for (char c : s->substr(0, 80)) {
      if (static_cast<unsigned char>(c) < 0x20 || c == '"' || c == '\\' || c == 0x7f) {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned char>(c));
        out += buf;
      } else {
        out += c;
      }
    }
    return out + (s->size() > 80 ? "...\"" : "\"");
  }
  if (auto* l = v.as_list()) {
    std::string out = "[";
    for (size_t i = 0; i < l->size() && i < 8; ++i) out += (i ? ", " : "") + arg_text((*l)[i]);
    return out + (l->size() > 8 ? ", ...]" : "]");
  }
  return "?";
}

}  // namespace

std::string revert_text(const RevertReason& reason) {
  if (reason.kind != RevertReason::Kind::kCustom) return reason.describe();
  std::string name = reason.error_signature.substr(0, reason.error_signature.find('('));
  std::string out = name + "(";
  for (size_t i = 0; i < reason.args.size(); ++i) out += (i ? ", " : "") + arg_text(reason.args[i]);
  return out + ")";
}

}  // namespace gw::ledger
