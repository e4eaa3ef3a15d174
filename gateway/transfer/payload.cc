#include "gateway/transfer/payload.h"

#include <sodium.h>

#include <algorithm>
#include <charconv>

#include "fhir/json/json.h"
#include "fhir/json/write.h"
#include "gateway/crypto/base64.h"
#include "gateway/crypto/commitment.h"
#include "gateway/crypto/merkle.h"
#include "gateway/transfer/payload_internal.h"

namespace gw::transfer {
namespace {

using fhir::JsonValue;

constexpr std::string_view kPayloadFormat = "gw-transfer/1";
constexpr std::string_view kEnvelopeFormat = "gw-sealed-transfer/1";

JsonValue str(std::string s) { return JsonValue::make_string(std::move(s)); }
JsonValue hex(std::span<const uint8_t> bytes) { return str(ledger::to_hex_0x(bytes)); }

template <size_t N>
bool read_hex(const JsonValue& object, std::string_view key, std::array<uint8_t, N>* out) {
  const JsonValue* v = object.find(key);
  if (v == nullptr || !v->is_string()) return false;
  auto bytes = ledger::from_hex(v->text());
  if (!bytes || bytes->size() != N) return false;
  std::copy(bytes->begin(), bytes->end(), out->begin());
  return true;
}

bool read_uint(const JsonValue& object, std::string_view key, uint64_t max, uint64_t* out) {
  const JsonValue* v = object.find(key);
  if (v == nullptr || !v->is_string()) return false;  // decimal text: ids exceed 2^53
  const std::string& t = v->text();
  if (t.empty() || t.size() > 20 || (t.size() > 1 && t[0] == '0')) return false;
  auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), *out);
  return ec == std::errc() && end == t.data() + t.size() && *out <= max;
}

const std::string* read_string(const JsonValue& object, std::string_view key) {
  const JsonValue* v = object.find(key);
  return v != nullptr && v->is_string() ? &v->text() : nullptr;
}

void add_clear_fields(JsonValue* doc, const TransferRef& t) {
  doc->add("from", hex(t.from));
  doc->add("to", hex(t.to));
  doc->add("id", str(std::to_string(t.id)));
}

bool read_clear_fields(const JsonValue& doc, TransferRef* t) {
  return read_hex(doc, "from", &t->from) && read_hex(doc, "to", &t->to) &&
         read_uint(doc, "id", UINT64_MAX, &t->id);
}

std::string base64(std::span<const uint8_t> bytes) {
  std::string out(sodium_base64_ENCODED_LEN(bytes.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), bytes.data(), bytes.size(),
                    sodium_base64_VARIANT_ORIGINAL);
  out.pop_back();  // the terminating NUL
  return out;
}

std::optional<std::vector<uint8_t>> unbase64(std::string_view text) {
  return crypto::base64_decode(text, crypto::Base64::kStandard);
}

fhir::JsonParseOptions parse_limits(size_t bytes, const PayloadLimits& limits) {
  fhir::JsonParseOptions o;
  o.max_input_bytes = limits.max_envelope_bytes;
  o.max_string_bytes = std::max(bytes, size_t{1});
  o.max_depth = 8;
  o.max_object_members = 16;
  o.max_array_items = limits.max_records;
  o.max_values = limits.max_records * 8 + 64;
  return o;
}

std::string encode_payload(const Payload& p) {
  JsonValue doc = JsonValue::make_object();
  doc.add("format", str(std::string(kPayloadFormat)));
  add_clear_fields(&doc, p.transfer);
  doc.add("patient_token", hex(p.transfer.patient_token));
  doc.add("purpose", str(std::to_string(p.transfer.purpose)));
  doc.add("root", hex(p.root));
  if (!p.emergency_reason.empty()) doc.add("emergency_reason", str(p.emergency_reason));
  JsonValue& records = doc.add("records", JsonValue::make_array());
  for (const PayloadRecord& r : p.records) {
    JsonValue& item = records.push(JsonValue::make_object());
    item.add("type", str(r.resource_type));
    item.add("id", str(r.resource_id));
    item.add("salt", hex(r.salt));
    item.add("commitment", hex(r.commitment));
    item.add("resource", str(r.resource_json));
  }
  return fhir::write_json(doc);
}

}  // namespace

Result<Payload> decode_payload(std::string_view text, const PayloadLimits& limits) {
  auto parsed = fhir::parse_json(text, parse_limits(text.size(), limits));
  if (!parsed.ok()) return invalid_argument_error("transfer payload: not a valid document");
  const JsonValue& doc = parsed.value();
  const std::string* format = read_string(doc, "format");
  if (format == nullptr || *format != kPayloadFormat) {
    return invalid_argument_error("transfer payload: unknown format");
  }
  Payload p;
  uint64_t purpose = 0;
  if (!read_clear_fields(doc, &p.transfer) ||
      !read_hex(doc, "patient_token", &p.transfer.patient_token) ||
      !read_uint(doc, "purpose", 255, &purpose) || !read_hex(doc, "root", &p.root)) {
    return invalid_argument_error("transfer payload: a transfer field is missing or malformed");
  }
  p.transfer.purpose = static_cast<uint8_t>(purpose);
  if (const std::string* reason = read_string(doc, "emergency_reason")) {
    p.emergency_reason = *reason;
  }
  const JsonValue* records = doc.find("records");
  if (records == nullptr || !records->is_array() || records->items().empty()) {
    return invalid_argument_error("transfer payload: no records");
  }
  p.records.reserve(records->items().size());
  for (size_t i = 0; i < records->items().size(); ++i) {
    const JsonValue& item = records->items()[i];
    PayloadRecord r;
    const std::string *type = read_string(item, "type"), *id = read_string(item, "id"),
                      *resource = read_string(item, "resource");
    if (type == nullptr || id == nullptr || resource == nullptr || type->empty() ||
        type->size() > 64 || id->empty() || id->size() > 64 || !read_hex(item, "salt", &r.salt) ||
        !read_hex(item, "commitment", &r.commitment)) {
      return invalid_argument_error("transfer payload: record " + std::to_string(i) +
                                    " is malformed");
    }
    r.resource_type = *type;
    r.resource_id = *id;
    r.resource_json = *resource;
    p.records.push_back(std::move(r));
  }
  return p;
}

std::optional<Hash256> commitment_root(std::span<const Hash256> commitments) {
  auto tree =
      crypto::MerkleTree::build(std::vector<Hash256>(commitments.begin(), commitments.end()));
  if (!tree) return std::nullopt;
  return tree->root();
}

Status verify_commitments(const Payload& payload) {
  std::vector<Hash256> commitments;
  commitments.reserve(payload.records.size());
  for (size_t i = 0; i < payload.records.size(); ++i) {
    const PayloadRecord& r = payload.records[i];
    if (crypto::commitment_digest(r.salt, r.resource_json) != r.commitment) {
      return invalid_argument_error("record " + std::to_string(i) +
                                    " does not match its commitment");
    }
    commitments.push_back(r.commitment);
  }
  const std::optional<Hash256> root = commitment_root(commitments);
  if (!root || *root != payload.root) {
    return invalid_argument_error("the records' commitments do not give the payload's root");
  }
  return ok_status();
}

Result<SealedEnvelope> seal(const Payload& payload, const crypto::SecretBytes& sender_secret,
                            const PublicKey& recipient_key) {
  if (sender_secret.size() != crypto_box_SECRETKEYBYTES) {
    return invalid_argument_error("payload key: not an X25519 secret key");
  }
  SealedEnvelope out;
  out.transfer = payload.transfer;
  out.recipient_key = recipient_key;
  crypto_scalarmult_base(out.sender_key.data(), sender_secret.data());
  const std::string plain = encode_payload(payload);
  std::array<uint8_t, crypto_box_NONCEBYTES> nonce;
  randombytes_buf(nonce.data(), nonce.size());
  std::vector<uint8_t> box(plain.size() + crypto_box_MACBYTES);
  if (crypto_box_easy(box.data(), reinterpret_cast<const uint8_t*>(plain.data()), plain.size(),
                      nonce.data(), recipient_key.data(), sender_secret.data()) != 0) {
    return invalid_argument_error("the recipient's payload key is not a usable X25519 key");
  }
  JsonValue doc = JsonValue::make_object();
  doc.add("format", str(std::string(kEnvelopeFormat)));
  add_clear_fields(&doc, payload.transfer);
  doc.add("sender_key", hex(out.sender_key));
  doc.add("recipient_key", hex(out.recipient_key));
  doc.add("nonce", str(base64(nonce)));
  doc.add("box", str(base64(box)));
  out.bytes = fhir::write_json(doc);
  return out;
}

namespace {

struct ParsedEnvelope {
  SealedEnvelope envelope;
  std::vector<uint8_t> nonce, box;
};

Result<ParsedEnvelope> parse_envelope(std::string_view bytes, const PayloadLimits& limits) {
  if (bytes.size() > limits.max_envelope_bytes) {
    return resource_exhausted_error("transfer envelope larger than " +
                                    std::to_string(limits.max_envelope_bytes) + " bytes");
  }
  auto parsed = fhir::parse_json(bytes, parse_limits(bytes.size(), limits));
  if (!parsed.ok()) return invalid_argument_error("transfer envelope: not a valid document");
  const JsonValue& doc = parsed.value();
  const std::string* format = read_string(doc, "format");
  if (format == nullptr || *format != kEnvelopeFormat) {
    return invalid_argument_error("transfer envelope: unknown format");
  }
  ParsedEnvelope out;
  SealedEnvelope& e = out.envelope;
  const std::string *nonce = read_string(doc, "nonce"), *box = read_string(doc, "box");
  if (!read_clear_fields(doc, &e.transfer) || !read_hex(doc, "sender_key", &e.sender_key) ||
      !read_hex(doc, "recipient_key", &e.recipient_key) || nonce == nullptr || box == nullptr) {
    return invalid_argument_error("transfer envelope: a field is missing or malformed");
  }
  auto nonce_bytes = unbase64(*nonce);
  auto box_bytes = unbase64(*box);
  if (!nonce_bytes || nonce_bytes->size() != crypto_box_NONCEBYTES || !box_bytes ||
      box_bytes->size() < crypto_box_MACBYTES) {
    return invalid_argument_error("transfer envelope: nonce or box malformed");
  }
  out.nonce = std::move(*nonce_bytes);
  out.box = std::move(*box_bytes);
  e.bytes = std::string(bytes);
  return out;
}

// The box opened with the other side's public key and our secret (the same
// shared key either way: recipient with the sender's, sender with the
// recipient's) and its payload decoded; the plaintext is wiped whatever comes
// of it. `unopened` is the error when the box does not open.
Result<Payload> open_box(const ParsedEnvelope& parsed, const PublicKey& their_key,
                         const crypto::SecretBytes& my_secret, const PayloadLimits& limits,
                         Status unopened) {
  std::string plain(parsed.box.size() - crypto_box_MACBYTES, '\0');
  struct Wipe {
    std::string& s;
    ~Wipe() { sodium_memzero(s.data(), s.size()); }
  } wipe{plain};
  if (crypto_box_open_easy(reinterpret_cast<uint8_t*>(plain.data()), parsed.box.data(),
                           parsed.box.size(), parsed.nonce.data(), their_key.data(),
                           my_secret.data()) != 0) {
    return unopened;
  }
  return decode_payload(plain, limits);
}

}  // namespace

bool sealed_with_keys(std::string_view bytes, const PublicKey& sender_key,
                      const PublicKey& recipient_key) {
  // seal() writes each key once, as a JSON string of 0x-prefixed hex; the box
  // and nonce are base64 and cannot hold a quote, so these members can only
  // be the clear fields themselves.
  auto names = [&](std::string_view member, const PublicKey& key) {
    const std::string field = "\"" + std::string(member) + "\":\"" + ledger::to_hex_0x(key) + "\"";
    return bytes.find(field) != std::string_view::npos;
  };
  return names("sender_key", sender_key) && names("recipient_key", recipient_key);
}

Result<SealedEnvelope> read_envelope(std::string_view bytes, const PayloadLimits& limits) {
  GW_ASSIGN_OR_RETURN(ParsedEnvelope parsed, parse_envelope(bytes, limits));
  return std::move(parsed.envelope);
}

Result<Payload> open(const SealedEnvelope& envelope, const crypto::SecretBytes& recipient_secret,
                     const PublicKey& expected_sender_key, const PayloadLimits& limits) {
  if (recipient_secret.size() != crypto_box_SECRETKEYBYTES) {
    return invalid_argument_error("payload key: not an X25519 secret key");
  }
  GW_ASSIGN_OR_RETURN(const ParsedEnvelope parsed, parse_envelope(envelope.bytes, limits));
  if (parsed.envelope.sender_key != expected_sender_key) {
    return permission_denied_error(
        "the payload was sealed with a key that is not the sender's registered payload key");
  }
  GW_ASSIGN_OR_RETURN(
      Payload payload,
      open_box(parsed, expected_sender_key, recipient_secret, limits,
               permission_denied_error(
                   "the payload does not open: altered, truncated, or sealed to another key")));
  const TransferRef& clear = parsed.envelope.transfer;
  if (payload.transfer.from != clear.from || payload.transfer.to != clear.to ||
      payload.transfer.id != clear.id) {
    return invalid_argument_error("the sealed payload names another transfer than its envelope");
  }
  return payload;
}

Result<Payload> open_as_sender(const SealedEnvelope& envelope,
                               const crypto::SecretBytes& sender_secret,
                               const PayloadLimits& limits) {
  if (sender_secret.size() != crypto_box_SECRETKEYBYTES) {
    return invalid_argument_error("payload key: not an X25519 secret key");
  }
  GW_ASSIGN_OR_RETURN(const ParsedEnvelope parsed, parse_envelope(envelope.bytes, limits));
  PublicKey mine{};
  crypto_scalarmult_base(mine.data(), sender_secret.data());
  if (parsed.envelope.sender_key != mine) {
    return invalid_argument_error("the envelope was sealed with another sender key");
  }
  return open_box(parsed, parsed.envelope.recipient_key, sender_secret, limits,
                  data_loss_error("a stored envelope does not open"));
}

}  // namespace gw::transfer
