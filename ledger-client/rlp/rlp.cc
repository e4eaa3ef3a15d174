#include "ledger-client/rlp/rlp.h"

#include <string>

namespace gw::ledger {

RlpItem RlpItem::bytes(std::span<const uint8_t> b) {
  RlpItem item;
  item.bytes_.assign(b.begin(), b.end());
  return item;
}

RlpItem RlpItem::bytes(std::vector<uint8_t>&& b) {
  RlpItem item;
  item.bytes_ = std::move(b);
  return item;
}

RlpItem RlpItem::text(std::string_view s) {
  RlpItem item;
  item.bytes_.assign(s.begin(), s.end());
  return item;
}

RlpItem RlpItem::uint(const Uint256& v) { return bytes(v.minimal_bytes()); }

RlpItem RlpItem::uint(uint64_t v) { return uint(Uint256::from_u64(v)); }

RlpItem RlpItem::list(std::vector<RlpItem> items) {
  RlpItem item;
  item.list_ = true;
  item.items_ = std::move(items);
  return item;
}

Result<Uint256> RlpItem::as_uint256(std::string_view what) const {
  if (list_)
    return invalid_argument_error("RLP: " + std::string(what) +
                                  " must be an integer, found a list");
  if (bytes_.size() > 32)
    return invalid_argument_error("RLP: " + std::string(what) + " is " +
                                  std::to_string(bytes_.size()) +
                                  " bytes long; integers are at most 32 bytes");
  if (!bytes_.empty() && bytes_[0] == 0)
    return invalid_argument_error("RLP: " + std::string(what) +
                                  " has a leading zero byte (non-canonical integer encoding)");
  return *Uint256::from_be_bytes(bytes_);
}

Result<uint64_t> RlpItem::as_u64(std::string_view what) const {
  auto v = as_uint256(what);
  if (!v) return v.error();
  auto small = v->to_u64();
  if (!small)
    return invalid_argument_error("RLP: " + std::string(what) + " does not fit in 64 bits");
  return *small;
}

bool operator==(const RlpItem& a, const RlpItem& b) {
  return a.list_ == b.list_ && a.bytes_ == b.bytes_ && a.items_ == b.items_;
}

namespace {

// Appends a length prefix: `short_base` + len for len < 56, otherwise
// `short_base` + 55 + (bytes of len), then len big-endian.
void append_header(size_t len, uint8_t short_base, std::vector<uint8_t>& out) {
  if (len < 56) {
    out.push_back(static_cast<uint8_t>(short_base + len));
    return;
  }
  uint8_t be[8];
  int n = 0;
  for (size_t v = len; v != 0; v >>= 8) be[n++] = static_cast<uint8_t>(v & 0xff);
  out.push_back(static_cast<uint8_t>(short_base + 55 + n));
  while (n > 0) out.push_back(be[--n]);
}

size_t header_size(size_t len) {
  size_t n = 1;
  if (len >= 56)
    for (size_t v = len; v != 0; v >>= 8) ++n;
  return n;
}

// Size of the encoding of `item`, computed without writing it, so that a
// list's header can be written before its items without moving bytes.
size_t encoded_size(const RlpItem& item) {
  if (!item.is_list()) {
    const auto& b = item.bytes();
    if (b.size() == 1 && b[0] < 0x80) return 1;
    return header_size(b.size()) + b.size();
  }
  size_t payload = 0;
  for (const RlpItem& child : item.items()) payload += encoded_size(child);
  return header_size(payload) + payload;
}

void append_with_payload_size(const RlpItem& item, std::vector<uint8_t>& out) {
  if (!item.is_list()) {
    const auto& b = item.bytes();
    if (b.size() == 1 && b[0] < 0x80) {
      out.push_back(b[0]);
    } else {
      append_header(b.size(), 0x80, out);
      out.insert(out.end(), b.begin(), b.end());
    }
    return;
  }
  size_t payload = 0;
  for (const RlpItem& child : item.items()) payload += encoded_size(child);
  append_header(payload, 0xc0, out);
  for (const RlpItem& child : item.items()) append_with_payload_size(child, out);
}

class Decoder {
 public:
  Decoder(std::span<const uint8_t> in, const RlpLimits& limits) : in_(in), limits_(limits) {}

  // Decodes the item starting at `pos`, which must end at or before `end`;
  // advances `pos` past it.
  Status item(size_t& pos, size_t end, size_t depth, RlpItem& out) {
    if (++items_ > limits_.max_items)
      return fail(pos, "more than " + std::to_string(limits_.max_items) + " items");
    if (pos >= end) return fail(pos, "truncated input: an item was expected");
    const uint8_t b = in_[pos];
    if (b < 0x80) {
      out = RlpItem::bytes(in_.subspan(pos, 1));
      ++pos;
      return ok_status();
    }
    const bool is_list = b >= 0xc0;
    const uint8_t base = is_list ? 0xc0 : 0x80;
    size_t start = pos;
    size_t len = 0;
    if (b - base < 56) {
      len = b - base;
      ++pos;
    } else {
      // Long form: (b - base - 55) bytes of big-endian length follow.
      size_t len_bytes = b - base - 55;
      if (end - pos - 1 < len_bytes) return fail(start, "truncated input inside a length");
      if (in_[pos + 1] == 0) return fail(start, "length with a leading zero byte (non-canonical)");
      for (size_t i = 0; i < len_bytes; ++i) {
        if (len > (SIZE_MAX >> 8)) return fail(start, "length does not fit in memory");
        len = (len << 8) | in_[pos + 1 + i];
      }
      if (len < 56) return fail(start, "long-form length below 56 (non-canonical)");
      pos += 1 + len_bytes;
    }
    if (len > end - pos)
      return fail(start, "truncated input: declares " + std::to_string(len) + " bytes but " +
                             std::to_string(end - pos) + " remain");
    if (!is_list) {
      if (len == 1 && in_[pos] < 0x80)
        return fail(start, "single byte below 0x80 wrapped as a string (non-canonical)");
      out = RlpItem::bytes(in_.subspan(pos, len));
      pos += len;
      return ok_status();
    }
    if (depth >= limits_.max_depth)
      return fail(start, "lists nested deeper than " + std::to_string(limits_.max_depth));
    out = RlpItem::list();
    const size_t list_end = pos + len;
    while (pos < list_end) {
      RlpItem child;
      GW_RETURN_IF_ERROR(item(pos, list_end, depth + 1, child));
      out.items().push_back(std::move(child));
    }
    return ok_status();
  }

 private:
  Status fail(size_t offset, const std::string& what) {
    return invalid_argument_error("RLP: invalid input at byte " + std::to_string(offset) + ": " +
                                  what);
  }

  std::span<const uint8_t> in_;
  const RlpLimits& limits_;
  size_t items_ = 0;
};

}  // namespace

void rlp_append(const RlpItem& item, std::vector<uint8_t>& out) {
  out.reserve(out.size() + encoded_size(item));
  append_with_payload_size(item, out);
}

std::vector<uint8_t> rlp_encode(const RlpItem& item) {
  std::vector<uint8_t> out;
  rlp_append(item, out);
  return out;
}

Result<RlpItem> rlp_decode(std::span<const uint8_t> data, const RlpLimits& limits) {
  Decoder decoder(data, limits);
  size_t pos = 0;
  RlpItem out;
  GW_RETURN_IF_ERROR(decoder.item(pos, data.size(), 0, out));
  if (pos != data.size())
    return invalid_argument_error("RLP: invalid input at byte " + std::to_string(pos) + ": " +
                                  std::to_string(data.size() - pos) +
                                  " trailing bytes after the item");
  return out;
}

}  // namespace gw::ledger
