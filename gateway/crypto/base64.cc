#include "gateway/crypto/base64.h"

#include <sodium.h>

namespace gw::crypto {
namespace {

bool in_alphabet(char c, Base64 variant) {
  if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) return true;
  if (variant == Base64::kStandard) return c == '+' || c == '/' || c == '=';
  return c == '-' || c == '_';
}

}  // namespace

std::optional<std::vector<uint8_t>> base64_decode(std::string_view text, Base64 variant) {
  for (char c : text) {
    if (!in_alphabet(c, variant)) return std::nullopt;
  }
  const int sodium_variant = variant == Base64::kStandard
                                 ? sodium_base64_VARIANT_ORIGINAL
                                 : sodium_base64_VARIANT_URLSAFE_NO_PADDING;
  std::vector<uint8_t> out(text.size() / 4 * 3 + 3);
  size_t len = 0;
  const char* end = nullptr;
  if (sodium_base642bin(out.data(), out.size(), text.data(), text.size(), nullptr, &len, &end,
                        sodium_variant) != 0 ||
      end != text.data() + text.size()) {
    return std::nullopt;
  }
  out.resize(len);
  return out;
}

}  // namespace gw::crypto
