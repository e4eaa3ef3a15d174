#include "gateway/crypto/store_keys.h"

#include <sodium.h>

namespace gw::crypto {
namespace {

// A 32-byte subkey: HMAC-SHA-256(record key, label). Separate keys for
// separate purposes, so an index key can never decrypt and vice versa.
std::optional<crypto::SecretBytes> subkey(const crypto::SecretBytes& key, std::string_view label) {
  return crypto::hmac_sha256_secret(std::span(key.data(), key.size()), label);
}

}  // namespace

Result<std::shared_ptr<const StoreKeys>> StoreKeys::create(
    const crypto::SecretBytes& record_key, uint32_t record_key_id,
    const crypto::SecretBytes& tokenization_key) {
  if (!crypto::init_sodium()) {
    return internal_error("libsodium could not start");
  }
  if (record_key.size() != 32 || tokenization_key.size() != 32) {
    return invalid_argument_error(
        "the store needs a 32-byte record key and a 32-byte tokenization key");
  }
  auto tok_copy = crypto::SecretBytes::copy_of(tokenization_key.view());
  auto cipher_key = crypto::SecretBytes::copy_of(record_key.view());
  auto index = subkey(record_key, "gateway-store|index|v1");
  auto digest = subkey(record_key, "gateway-store|content|v1");
  if (!tok_copy || !cipher_key || !index || !digest) {
    return resource_exhausted_error("cannot allocate locked memory for the store's keys");
  }
  auto tokenizer = crypto::Tokenizer::create(std::move(*tok_copy));
  if (!tokenizer) {
    return internal_error("cannot set up the tokenizer");
  }
  std::shared_ptr<StoreKeys> keys(new StoreKeys(std::move(*tokenizer)));
  if (!keys->cipher_.add_key(record_key_id, std::move(*cipher_key))) {
    return invalid_argument_error("bad record key");
  }
  keys->index_mac_ = HmacSha256::create(index->view());
  keys->digest_mac_ = HmacSha256::create(digest->view());
  if (!keys->index_mac_ || !keys->digest_mac_) {
    return resource_exhausted_error("cannot allocate locked memory for the store's keys");
  }
  return std::shared_ptr<const StoreKeys>(std::move(keys));
}

std::shared_ptr<const StoreKeys> StoreKeys::random_for_tests() {
  if (!crypto::init_sodium()) return nullptr;
  auto a = crypto::SecretBytes::allocate(32);
  auto b = crypto::SecretBytes::allocate(32);
  if (!a || !b) return nullptr;
  randombytes_buf(a->mutable_data(), 32);
  randombytes_buf(b->mutable_data(), 32);
  auto keys = create(*a, 1, *b);
  return keys.ok() ? std::move(keys).value() : nullptr;
}

Sha256Digest StoreKeys::content_digest(std::string_view bytes) const {
  return digest_mac_->mac(bytes);
}

std::string StoreKeys::index_key(const std::optional<std::string>& system,
                                 std::string_view value) const {
  // Tagged as before: "S" system 0x1F value, or "V" value for any system.
  // Fed in parts, so the identifier is not copied to the heap.
  HmacSha256::Stream s(*index_mac_);
  if (system.has_value()) {
    s.update("S");
    s.update(*system);
    s.update("\x1F");
  } else {
    s.update("V");
  }
  s.update(value);
  const Sha256Digest d = s.final();
  return std::string(reinterpret_cast<const char*>(d.data()), d.size());
}

std::string message_associated_data(std::string_view part, std::string_view sender,
                                    std::string_view control_id, int64_t received_at_ms) {
  std::string ad = "gw-message|";
  ad += part;
  ad += '|';
  ad += std::to_string(sender.size());
  ad += ':';
  ad += sender;
  ad += '|';
  ad += std::to_string(control_id.size());
  ad += ':';
  ad += control_id;
  ad += '|';
  ad += std::to_string(received_at_ms);
  return ad;
}

std::string record_associated_data(std::string_view type, std::string_view id, int64_t version) {
  std::string ad = "gw-record|";
  ad += type;
  ad += '/';
  ad += id;
  ad += '|';
  ad += std::to_string(version);
  return ad;
}

}  // namespace gw::crypto
