#include "gateway/crypto/sha256.h"

#include <openssl/sha.h>

namespace gw::crypto {

// OpenSSL's SHA-256 (with the SHA extensions where the CPU has them).
Sha256Digest sha256(std::string_view data) {
  Sha256Digest out;
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data());
  return out;
}

std::string to_hex(const Sha256Digest& digest) {
  static const char kHex[] = "0123456789abcdef";
  std::string s;
  s.reserve(64);
  for (uint8_t b : digest) {
    s.push_back(kHex[b >> 4]);
    s.push_back(kHex[b & 15]);
  }
  return s;
}

}  // namespace gw::crypto
