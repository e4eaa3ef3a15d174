// Base64 decoding with one accepted spelling per byte string. libsodium's
// decoder (1.0.18) maps every byte >= 0x80 to the value of '/' instead of
// refusing it (found by gateway/auth's fuzz target), so a token, a key or a
// sealed box would have many spellings; these check the alphabet first and
// leave the rest (trailing bits, length, padding) to libsodium's checks.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace gw::crypto {

enum class Base64 {
  kStandard,          // RFC 4648 §4, with '=' padding
  kUrlSafeNoPadding,  // RFC 4648 §5, no padding (JOSE, tokens)
};

// The bytes `text` spells, or nullopt when it is not exactly an encoding of
// that variant (another character, a wrong length or padding, non-zero
// trailing bits, anything after the end).
std::optional<std::vector<uint8_t>> base64_decode(std::string_view text, Base64 variant);

}  // namespace gw::crypto
