#include "gateway/crypto/secret.h"

#include <sodium.h>

#include <cstring>
#include <utility>

namespace gw::crypto {

bool init_sodium() {
  // sodium_init() returns 0 the first time, 1 when already initialised and
  // -1 on failure; a function-local static makes the first call win safely.
  static const bool ok = sodium_init() >= 0;
  return ok;
}

std::optional<SecretBytes> SecretBytes::allocate(size_t size) {
  if (!init_sodium()) return std::nullopt;
  if (size == 0) return SecretBytes();
  void* p = sodium_malloc(size);
  if (p == nullptr) return std::nullopt;
  // sodium_malloc fills with 0xdb to expose use of uninitialised memory; we
  // promise zeros.
  sodium_memzero(p, size);
  return SecretBytes(static_cast<uint8_t*>(p), size);
}

std::optional<SecretBytes> SecretBytes::copy_of(std::span<const uint8_t> bytes) {
  std::optional<SecretBytes> s = allocate(bytes.size());
  if (!s) return std::nullopt;
  if (!bytes.empty()) std::memcpy(s->data_, bytes.data(), bytes.size());
  s->make_read_only();
  return s;
}

SecretBytes::SecretBytes(SecretBytes&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      read_only_(std::exchange(other.read_only_, false)) {}

SecretBytes& SecretBytes::operator=(SecretBytes&& other) noexcept {
  if (this != &other) {
    release();
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
    read_only_ = std::exchange(other.read_only_, false);
  }
  return *this;
}

SecretBytes::~SecretBytes() { release(); }

void SecretBytes::make_read_only() {
  if (data_ == nullptr || read_only_) return;
  // If mprotect fails the bytes stay writable; they are still locked and
  // zeroed on release, so this is a lost hardening, not a lost key.
  if (sodium_mprotect_readonly(data_) == 0) read_only_ = true;
}

void SecretBytes::release() {
  // sodium_free makes the region writable again, checks the canary, zeroes
  // the bytes (sodium_munlock) and unmaps the guard pages.
  if (data_ != nullptr) sodium_free(data_);
  data_ = nullptr;
  size_ = 0;
  read_only_ = false;
}

std::optional<SecretBytes> hmac_sha256_secret(std::span<const uint8_t> key,
                                              std::string_view message) {
  auto out = SecretBytes::allocate(crypto_auth_hmacsha256_BYTES);
  if (!out) return std::nullopt;
  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init(&st, key.data(), key.size());
  crypto_auth_hmacsha256_update(&st, reinterpret_cast<const unsigned char*>(message.data()),
                                message.size());
  crypto_auth_hmacsha256_final(&st, out->mutable_data());
  sodium_memzero(&st, sizeof st);
  out->make_read_only();
  return out;
}

}  // namespace gw::crypto
