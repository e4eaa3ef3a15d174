// HMAC-SHA-256 (RFC 2104) under one fixed key, computed with OpenSSL's
// SHA-256, which uses the CPU's SHA extensions where present: on the
// appliance's CPUs about 5-8x libsodium's portable C, and the store computes
// one or more keyed digests per record (content fingerprints, identifier
// index keys, patient tokens).
//
// The key is used only to precompute the two keyed SHA-256 states (after the
// ipad and opad blocks), which are kept in locked, read-only memory
// (SecretBytes) like any other key; each MAC copies them to the stack and
// wipes the copy when done. The output is byte-for-byte HMAC-SHA-256
// (hmac_sha256_test checks RFC 4231's vectors and libsodium's results).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "gateway/crypto/secret.h"
#include "gateway/crypto/sha256.h"

namespace gw::crypto {

class HmacSha256 {
 public:
  // Any key length (keys longer than a block are hashed first, as RFC 2104
  // says). nullopt only when locked memory cannot be had.
  static std::optional<HmacSha256> create(std::span<const uint8_t> key);

  // One MAC fed in parts; the parts are concatenated (no framing added).
  // Keyed state on the stack, wiped by final() or the destructor.
  class Stream {
   public:
    explicit Stream(const HmacSha256& key);
    ~Stream();
    Stream(const Stream&) = delete;
    Stream& operator=(const Stream&) = delete;
    void update(std::string_view bytes);
    Sha256Digest final();

   private:
    const HmacSha256& key_;
    alignas(16) unsigned char inner_[128];  // a SHA256_CTX (opaque here)
    bool done_ = false;
  };

  // False only for a moved-from object (which must not be used for MACs).
  bool valid() const { return !states_.empty(); }

  // HMAC(key, a || b).
  Sha256Digest mac(std::string_view a, std::string_view b = {}) const;

 private:
  explicit HmacSha256(SecretBytes states) : states_(std::move(states)) {}
  // Two SHA256_CTX: keyed inner state, then keyed outer state.
  SecretBytes states_;
};

}  // namespace gw::crypto
