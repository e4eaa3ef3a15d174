#include "ledger-client/abi/abi_codec.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "ledger-client/keccak/keccak.h"

namespace gw::ledger {
namespace {

// Prefixes an error from element `i` with its position, so the final message
// reads "value [1][3]: uint8 value does not fit in 8 bits".
Status at_index(size_t i, Status s) {
  if (s.ok()) return s;
  const std::string& m = s.message();
  return Status(s.code(), "[" + std::to_string(i) + "]" + (m.starts_with("[") ? "" : ": ") + m);
}

void put_word(std::vector<uint8_t>& out, const uint8_t* word) {
  out.insert(out.end(), word, word + 32);
}

void put_u64(std::vector<uint8_t>& out, uint64_t v) {
  put_word(out, Uint256::from_u64(v).bytes().data());
}

// Checks that `w` is a valid uint<bits>/int<bits> word: for uint, no bits
// above `bits`; for int, the bytes above the value are its sign extension.
Status check_integer(const AbiType& t, const Uint256& w) {
  const auto& b = w.bytes();
  const size_t value_bytes = t.size / 8;
  const size_t pad = 32 - value_bytes;
  uint8_t fill = 0;
  if (t.kind == AbiKind::kInt && (b[pad] & 0x80)) fill = 0xff;
  for (size_t i = 0; i < pad; ++i)
    if (b[i] != fill)
      return invalid_argument_error(t.canonical() + " value out of range (bits set above bit " +
                                    std::to_string(t.size) + ")");
  return ok_status();
}

Status shape_error(const AbiType& t, std::string_view expected) {
  return invalid_argument_error(t.canonical() + " needs " + std::string(expected));
}

Status encode_value(const AbiType& t, const AbiValue& v, std::vector<uint8_t>& out);

// Encodes n values as a tuple: heads in order, then the tails of the dynamic
// ones, each head of a dynamic value holding its tail's offset from `base`.
Status encode_seq(const AbiType* types, bool same_type, const AbiValue* values, size_t n,
                  std::vector<uint8_t>& out) {
  const size_t base = out.size();
  const bool same_dynamic = same_type && n > 0 && types[0].is_dynamic();
  auto dynamic = [&](size_t i) { return same_type ? same_dynamic : types[i].is_dynamic(); };
  std::vector<size_t> offset_slots;
  for (size_t i = 0; i < n; ++i) {
    const AbiType& t = same_type ? types[0] : types[i];
    if (dynamic(i)) {
      offset_slots.push_back(out.size());
      out.resize(out.size() + 32);
    } else if (Status s = at_index(i, encode_value(t, values[i], out)); !s.ok()) {
      return s;
    }
  }
  size_t slot = 0;
  for (size_t i = 0; i < n; ++i) {
    const AbiType& t = same_type ? types[0] : types[i];
    if (!dynamic(i)) continue;
    auto offset = Uint256::from_u64(out.size() - base).bytes();
    std::memcpy(out.data() + offset_slots[slot++], offset.data(), 32);
    GW_RETURN_IF_ERROR(at_index(i, encode_value(t, values[i], out)));
  }
  return ok_status();
}

Status encode_value(const AbiType& t, const AbiValue& v, std::vector<uint8_t>& out) {
  switch (t.kind) {
    case AbiKind::kUint:
    case AbiKind::kInt: {
      const Uint256* w = v.as_word();
      if (w == nullptr) return shape_error(t, "an integer value");
      GW_RETURN_IF_ERROR(check_integer(t, *w));
      put_word(out, w->bytes().data());
      return ok_status();
    }
    case AbiKind::kAddress: {
      const Address* a = v.as_address();
      if (a == nullptr) return shape_error(t, "an address value");
      out.insert(out.end(), 12, 0);
      out.insert(out.end(), a->begin(), a->end());
      return ok_status();
    }
    case AbiKind::kBool: {
      const bool* b = v.as_bool();
      if (b == nullptr) return shape_error(t, "a bool value");
      put_u64(out, *b ? 1 : 0);
      return ok_status();
    }
    case AbiKind::kFixedBytes: {
      const auto* b = v.as_bytes();
      if (b == nullptr || b->size() != t.size)
        return shape_error(t, "exactly " + std::to_string(t.size) + " bytes");
      out.insert(out.end(), b->begin(), b->end());
      out.insert(out.end(), 32 - t.size, 0);
      return ok_status();
    }
    case AbiKind::kBytes:
    case AbiKind::kString: {
      std::span<const uint8_t> content;
      if (t.kind == AbiKind::kBytes && v.as_bytes() != nullptr) {
        content = *v.as_bytes();
      } else if (t.kind == AbiKind::kString && v.as_string() != nullptr) {
        content = std::span(reinterpret_cast<const uint8_t*>(v.as_string()->data()),
                            v.as_string()->size());
      } else {
        return shape_error(t, t.kind == AbiKind::kBytes ? "a byte string" : "a string");
      }
      put_u64(out, content.size());
      out.insert(out.end(), content.begin(), content.end());
      out.insert(out.end(), (32 - content.size() % 32) % 32, 0);
      return ok_status();
    }
    case AbiKind::kArray:
    case AbiKind::kFixedArray: {
      const AbiValue::List* items = v.as_list();
      if (items == nullptr) return shape_error(t, "a list of elements");
      if (t.kind == AbiKind::kFixedArray && items->size() != t.size)
        return shape_error(
            t, std::to_string(t.size) + " elements, got " + std::to_string(items->size()));
      if (t.kind == AbiKind::kArray) put_u64(out, items->size());
      return encode_seq(&t.components[0], true, items->data(), items->size(), out);
    }
    case AbiKind::kTuple: {
      const AbiValue::List* items = v.as_list();
      if (items == nullptr || items->size() != t.components.size())
        return shape_error(t, std::to_string(t.components.size()) + " members");
      return encode_seq(t.components.data(), false, items->data(), items->size(), out);
    }
  }
  return invalid_argument_error("unknown ABI type");
}

class Decoder {
 public:
  Decoder(std::span<const uint8_t> data, size_t budget) : d_(data), budget_(budget) {}

  // Decodes n values laid out as a tuple whose head starts at `base`.
  Status seq(const AbiType* types, bool same_type, size_t n, size_t base, AbiValue::List& out) {
    out.reserve(std::min<size_t>(n, 1024));
    size_t head = base;
    // Arrays repeat one type: work out its layout once.
    const bool same_dynamic = same_type && n > 0 && types[0].is_dynamic();
    const size_t same_head = same_type && n > 0 ? types[0].head_size() : 0;
    for (size_t i = 0; i < n; ++i) {
      const AbiType& t = same_type ? types[0] : types[i];
      const bool dynamic = same_type ? same_dynamic : t.is_dynamic();
      size_t at = head;
      if (dynamic) {
        size_t offset;
        GW_RETURN_IF_ERROR(at_index(i, small_number(head, "offset", offset)));
        if (offset > d_.size() - std::min(base, d_.size()))
          return at_index(i, fail(head, "offset " + std::to_string(offset) +
                                            " points past the end of the data"));
        at = base + offset;
      }
      out.emplace_back();
      GW_RETURN_IF_ERROR(at_index(i, value(t, at, out.back())));
      head += same_type ? same_head : t.head_size();
    }
    return ok_status();
  }

 private:
  Status value(const AbiType& t, size_t pos, AbiValue& out) {
    if (budget_ == 0)
      return fail(pos,
                  "decodes to more values than the limit (an ABI bomb?); "
                  "raise AbiDecodeOptions::max_values if the data is trusted");
    --budget_;
    switch (t.kind) {
      case AbiKind::kUint:
      case AbiKind::kInt: {
        const uint8_t* w = nullptr;
        GW_RETURN_IF_ERROR(word(pos, w));
        Uint256 v(to_array(w));
        if (Status s = check_integer(t, v); !s.ok()) return fail(pos, s.message());
        out = AbiValue::uint(v);
        return ok_status();
      }
      case AbiKind::kAddress:
      case AbiKind::kBool: {
        const uint8_t* w = nullptr;
        GW_RETURN_IF_ERROR(word(pos, w));
        size_t pad = t.kind == AbiKind::kAddress ? 12 : 31;
        if (std::any_of(w, w + pad, [](uint8_t b) { return b != 0; }) ||
            (t.kind == AbiKind::kBool && w[31] > 1))
          return fail(pos, t.canonical() + " word has dirty high bytes");
        if (t.kind == AbiKind::kBool) {
          out = AbiValue::boolean(w[31] == 1);
        } else {
          Address a;
          std::memcpy(a.data(), w + 12, 20);
          out = AbiValue::address(a);
        }
        return ok_status();
      }
      case AbiKind::kFixedBytes: {
        const uint8_t* w = nullptr;
        GW_RETURN_IF_ERROR(word(pos, w));
        if (std::any_of(w + t.size, w + 32, [](uint8_t b) { return b != 0; }))
          return fail(pos, t.canonical() + " has non-zero padding");
        out = AbiValue::bytes(std::vector<uint8_t>(w, w + t.size));
        return ok_status();
      }
      case AbiKind::kBytes:
      case AbiKind::kString: {
        size_t len;
        GW_RETURN_IF_ERROR(small_number(pos, "length", len));
        if (len > d_.size() - pos - 32)
          return fail(pos, "length " + std::to_string(len) + " runs past the end of the data");
        size_t words = len / 32;
        if (words > budget_) return fail(pos, "content exceeds the decoded-size limit");
        budget_ -= words;
        const uint8_t* p = d_.data() + pos + 32;
        if (t.kind == AbiKind::kBytes)
          out = AbiValue::bytes(std::vector<uint8_t>(p, p + len));
        else
          out = AbiValue::string(std::string(reinterpret_cast<const char*>(p), len));
        return ok_status();
      }
      case AbiKind::kArray: {
        size_t len;
        GW_RETURN_IF_ERROR(small_number(pos, "length", len));
        const size_t elem = t.components[0].head_size();
        const size_t room = d_.size() - pos - 32;
        if ((elem > 0 && len > room / elem) || (elem == 0 && len > budget_))
          return fail(pos, "array length " + std::to_string(len) + " exceeds what the data holds");
        AbiValue::List items;
        GW_RETURN_IF_ERROR(seq(&t.components[0], true, len, pos + 32, items));
        out = AbiValue::list(std::move(items));
        return ok_status();
      }
      case AbiKind::kFixedArray:
      case AbiKind::kTuple: {
        AbiValue::List items;
        const bool same = t.kind == AbiKind::kFixedArray;
        const size_t n = same ? t.size : t.components.size();
        GW_RETURN_IF_ERROR(seq(t.components.data(), same, n, pos, items));
        out = AbiValue::list(std::move(items));
        return ok_status();
      }
    }
    return invalid_argument_error("unknown ABI type");
  }

  static std::array<uint8_t, 32> to_array(const uint8_t* w) {
    std::array<uint8_t, 32> a;
    std::memcpy(a.data(), w, 32);
    return a;
  }

  Status word(size_t pos, const uint8_t*& w) {
    if (pos > d_.size() || d_.size() - pos < 32)
      return fail(pos, "data ends before this 32-byte word");
    w = d_.data() + pos;
    return ok_status();
  }

  // Reads a word that must be an offset or length no larger than the data.
  Status small_number(size_t pos, std::string_view what, size_t& out) {
    const uint8_t* w = nullptr;
    GW_RETURN_IF_ERROR(word(pos, w));
    auto v = Uint256(to_array(w)).to_u64();
    if (!v || *v > d_.size())
      return fail(pos, std::string(what) + " is larger than the whole data");
    out = static_cast<size_t>(*v);
    return ok_status();
  }

  static Status fail(size_t pos, const std::string& what) {
    return invalid_argument_error("at byte " + std::to_string(pos) + ": " + what);
  }

  std::span<const uint8_t> d_;
  size_t budget_;
};

Status check_types(std::span<const AbiType> types) {
  if (types.size() > kAbiMaxTupleSize)
    return invalid_argument_error("more than " + std::to_string(kAbiMaxTupleSize) + " values");
  for (const AbiType& t : types) GW_RETURN_IF_ERROR(check_abi_type(t));
  return ok_status();
}

}  // namespace

Result<std::vector<uint8_t>> abi_encode(std::span<const AbiType> types,
                                        std::span<const AbiValue> values) {
  if (Status s = check_types(types); !s.ok()) return s.with_context("ABI encode");
  if (types.size() != values.size())
    return invalid_argument_error("ABI encode: " + std::to_string(types.size()) + " types but " +
                                  std::to_string(values.size()) + " values");
  std::vector<uint8_t> out;
  if (Status s = encode_seq(types.data(), false, values.data(), values.size(), out); !s.ok())
    return Status(s.code(), "ABI encode: value " + s.message());
  return out;
}

Result<std::vector<AbiValue>> abi_decode(std::span<const AbiType> types,
                                         std::span<const uint8_t> data,
                                         const AbiDecodeOptions& options) {
  if (Status s = check_types(types); !s.ok()) return s.with_context("ABI decode");
  size_t budget = options.max_values != 0 ? options.max_values : 4096 + 8 * (data.size() / 32 + 1);
  Decoder decoder(data, budget);
  AbiValue::List values;
  if (Status s = decoder.seq(types.data(), false, types.size(), 0, values); !s.ok())
    return Status(s.code(), "ABI decode: value " + s.message());
  if (options.strict) {
    auto again = abi_encode(types, values);
    if (!again || !std::equal(again->begin(), again->end(), data.begin(), data.end()))
      return invalid_argument_error(
          "ABI decode: data is not in strict encoding (offsets, padding or length "
          "differ from what Solidity's encoder writes)");
  }
  return values;
}

Selector function_selector(std::string_view canonical_signature) {
  Hash256 h = keccak256(canonical_signature);
  return {h[0], h[1], h[2], h[3]};
}

Result<std::vector<uint8_t>> encode_call(const AbiSignature& function,
                                         std::span<const AbiValue> args) {
  std::vector<AbiType> types = function.types();
  auto body = abi_encode(types, args);
  if (!body) return body.error().with_context(function.name);
  Selector sel = function_selector(function.canonical());
  std::vector<uint8_t> out(sel.begin(), sel.end());
  out.insert(out.end(), body->begin(), body->end());
  return out;
}

Result<std::vector<uint8_t>> encode_call(std::string_view signature,
                                         std::span<const AbiValue> args) {
  auto sig = parse_function_signature(signature);
  if (!sig) return sig.error();
  return encode_call(*sig, args);
}

}  // namespace gw::ledger
