#include "gateway/crypto/tokenizer.h"

#include <sodium.h>

#include <algorithm>
#include <cstring>
#include <utility>

#include "gateway/crypto/base64.h"

namespace gw::crypto {
namespace {

bool needs_escape(char c) { return c == '\\' || c == '|'; }

void append_escaped(std::string* out, std::string_view s) {
  for (char c : s) {
    if (needs_escape(c)) out->push_back('\\');
    out->push_back(c);
  }
}

// Feeds escape(s) to the MAC without building it: runs of plain characters
// go in whole, each special character goes in with its backslash. Avoids a
// heap copy of the identifier (patient data) per token.
void mac_escaped(HmacSha256::Stream* st, std::string_view s) {
  size_t start = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if (!needs_escape(s[i])) continue;
    st->update(s.substr(start, i - start));
    const char escaped[2] = {'\\', s[i]};
    st->update(std::string_view(escaped, 2));
    start = i + 1;
  }
  st->update(s.substr(start));
}

}  // namespace

std::string canonical_identifier(std::string_view system, std::string_view value) {
  std::string out;
  out.reserve(system.size() + value.size() + 1);
  append_escaped(&out, system);
  out.push_back('|');
  append_escaped(&out, value);
  return out;
}

Tokenizer::Tokenizer(SecretBytes key) {
  if (key.empty()) return;
  mac_ = HmacSha256::create(key.view());
}

std::optional<Tokenizer> Tokenizer::create(SecretBytes key) {
  if (key.size() != kKeyBytes) return std::nullopt;
  Tokenizer t(std::move(key));
  if (!t.valid()) return std::nullopt;
  return t;
}

std::string Tokenizer::token(std::string_view system, std::string_view value) const {
  if (!valid()) return {};
  HmacSha256::Stream st(*mac_);
  mac_escaped(&st, system);
  st.update("|");
  mac_escaped(&st, value);
  const Sha256Digest mac = st.final();

  char b64[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
  sodium_bin2base64(b64, sizeof b64, mac.data(), mac.size(),
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  return std::string(b64);
}

std::optional<std::array<uint8_t, 32>> token_bytes(std::string_view token) {
  if (token.size() != Tokenizer::kTokenChars) return std::nullopt;
  auto bytes = base64_decode(token, Base64::kUrlSafeNoPadding);
  if (!bytes || bytes->size() != 32) return std::nullopt;
  std::array<uint8_t, 32> out;
  std::copy(bytes->begin(), bytes->end(), out.begin());
  return out;
}

std::string token_text(const std::array<uint8_t, 32>& bytes) {
  char b64[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
  sodium_bin2base64(b64, sizeof b64, bytes.data(), bytes.size(),
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  return std::string(b64);
}

}  // namespace gw::crypto
