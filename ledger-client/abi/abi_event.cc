#include "ledger-client/abi/abi_event.h"

#include <algorithm>
#include <cstdio>

namespace gw::ledger {
namespace {

// Types whose indexed value is the topic itself (one word); everything else
// (bytes, string, arrays, tuples) is stored as keccak256 of its encoding.
bool is_value_type(const AbiType& t) {
  switch (t.kind) {
    case AbiKind::kUint:
    case AbiKind::kInt:
    case AbiKind::kAddress:
    case AbiKind::kBool:
    case AbiKind::kFixedBytes:
      return true;
    default:
      return false;
  }
}

// Appends `s` with quotes, backslashes and non-printable bytes escaped, cut
// at `limit` bytes of input, so revert strings cannot forge log lines.
void append_escaped(std::string& out, std::string_view s, size_t limit) {
  size_t n = std::min(s.size(), limit);
  for (size_t i = 0; i < n; ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
    } else if (c < 0x20 || c >= 0x7f) {
      char buf[5];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  if (s.size() > limit) out += "...";
}

std::string selector_hex(const Selector& s) { return "0x" + to_hex(s); }

}  // namespace

Hash256 event_topic(std::string_view canonical_signature) { return keccak256(canonical_signature); }

Result<std::vector<LogField>> decode_log(const AbiSignature& event, std::span<const Hash256> topics,
                                         std::span<const uint8_t> data, bool anonymous) {
  const std::string where = "event " + event.name + ": ";
  size_t indexed = 0;
  std::vector<AbiType> data_types;
  for (const AbiParam& p : event.params) {
    if (p.indexed)
      ++indexed;
    else
      data_types.push_back(p.type);
  }
  const size_t first = anonymous ? 0 : 1;
  if (topics.size() != first + indexed)
    return invalid_argument_error(where + "log has " + std::to_string(topics.size()) +
                                  " topics, expected " + std::to_string(first + indexed));
  if (!anonymous && topics[0] != event_topic(event.canonical()))
    return invalid_argument_error(where +
                                  "topic 0 is not this event's signature hash (a different event)");
  auto values = abi_decode(data_types, data);
  if (!values) return values.error().with_context(where + "data");

  std::vector<LogField> fields;
  fields.reserve(event.params.size());
  size_t next_topic = first;
  size_t next_value = 0;
  for (const AbiParam& p : event.params) {
    LogField f{p.name, AbiValue(), p.indexed, false};
    if (!p.indexed) {
      f.value = std::move((*values)[next_value++]);
    } else {
      const Hash256& topic = topics[next_topic++];
      if (is_value_type(p.type)) {
        AbiType t = p.type;
        auto v = abi_decode(std::span(&t, 1), topic);
        if (!v) return v.error().with_context(where + "indexed '" + p.name + "'");
        f.value = std::move((*v)[0]);
      } else {
        f.hashed = true;
        f.value = AbiValue::bytes(std::vector<uint8_t>(topic.begin(), topic.end()));
      }
    }
    fields.push_back(std::move(f));
  }
  return fields;
}

Result<std::vector<LogField>> decode_log(std::string_view event_signature,
                                         std::span<const Hash256> topics,
                                         std::span<const uint8_t> data, bool anonymous) {
  auto event = parse_event_signature(event_signature, anonymous);
  if (!event) return event.error();
  return decode_log(*event, topics, data, anonymous);
}

std::string_view panic_description(const Uint256& code) {
  auto c = code.to_u64();
  switch (c.value_or(~0ull)) {
    case 0x00:
      return "generic compiler panic";
    case 0x01:
      return "assert failed";
    case 0x11:
      return "arithmetic overflow or underflow";
    case 0x12:
      return "division or modulo by zero";
    case 0x21:
      return "invalid enum value";
    case 0x22:
      return "corrupt storage byte array";
    case 0x31:
      return "pop() on an empty array";
    case 0x32:
      return "array index out of bounds";
    case 0x41:
      return "out of memory (allocation too large)";
    case 0x51:
      return "call to an uninitialized internal function";
    default:
      return "unknown panic code";
  }
}

RevertReason decode_revert(std::span<const uint8_t> data,
                           std::span<const AbiSignature> custom_errors) {
  RevertReason r;
  r.data_size = data.size();
  if (data.empty()) return r;
  r.kind = RevertReason::Kind::kUnknown;
  if (data.size() < 4) return r;
  std::copy_n(data.begin(), 4, r.selector.begin());
  auto body = data.subspan(4);
  if (r.selector == kErrorSelector) {
    AbiType t = AbiType::string();
    if (auto v = abi_decode(std::span(&t, 1), body)) {
      r.kind = RevertReason::Kind::kError;
      r.message = *(*v)[0].as_string();
    }
    return r;
  }
  if (r.selector == kPanicSelector) {
    AbiType t = AbiType::uint(256);
    if (auto v = abi_decode(std::span(&t, 1), body)) {
      r.kind = RevertReason::Kind::kPanic;
      r.panic_code = *(*v)[0].as_word();
    }
    return r;
  }
  for (const AbiSignature& e : custom_errors) {
    std::string canonical = e.canonical();
    if (function_selector(canonical) != r.selector) continue;
    if (auto v = abi_decode(e.types(), body)) {
      r.kind = RevertReason::Kind::kCustom;
      r.error_signature = std::move(canonical);
      r.args = std::move(*v);
    }
    return r;
  }
  return r;
}

std::string RevertReason::describe() const {
  std::string out;
  switch (kind) {
    case Kind::kEmpty:
      return "revert without data";
    case Kind::kError:
      out = "Error(\"";
      append_escaped(out, message, 200);
      return out + "\")";
    case Kind::kPanic:
      return "Panic(" + panic_code.to_hex() + ": " + std::string(panic_description(panic_code)) +
             ")";
    case Kind::kCustom:
      // Argument values may be anything the contract chose; name the error only.
      return error_signature + " with " + std::to_string(args.size()) + " argument(s)";
    case Kind::kUnknown:
      out = "unrecognized revert data (" + std::to_string(data_size) + " bytes";
      if (data_size >= 4) out += ", selector " + selector_hex(selector);
      return out + ")";
  }
  return out;
}

}  // namespace gw::ledger
