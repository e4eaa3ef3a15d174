// SHA-256 (FIPS 180-4), one-shot. Used for the content fingerprint stored with
// each message (duplicate resends are compared by hash, not by bytes). Not a
// MAC and not used for anything secret; no OpenSSL is linked into the store.
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
