// SHA-256 (FIPS 180-4), one-shot, and the 32-byte digest type that the keyed
// fingerprints of StoreKeys (HMAC-SHA-256) share. Unkeyed, so never applied to
// patient data (an unkeyed hash of an identifier can be brute-forced): it
// fingerprints public keys and certificates (batch audits).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace gw::crypto {

using Sha256Digest = std::array<uint8_t, 32>;

Sha256Digest sha256(std::string_view data);
// Lower-case hex of the digest (64 characters).
std::string to_hex(const Sha256Digest& digest);

}  // namespace gw::crypto
