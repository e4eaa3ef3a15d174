// OpenSSL 3.0 marks the SHA256_Init/Update/Final functions deprecated in
// favour of EVP. They are kept here on purpose: a SHA256_CTX is a plain
// struct, so the keyed midstates can live in locked memory and be copied to
// the stack per MAC; EVP keeps its state on the heap (and copying an EVP
// context allocates). Debian 12's OpenSSL has them and uses the same SHA
// extension code for both.
#define OPENSSL_SUPPRESS_DEPRECATED

#include "gateway/crypto/hmac_sha256.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <cstring>

namespace gw::crypto {
namespace {

constexpr size_t kBlock = 64;
constexpr size_t kStates = 2 * sizeof(SHA256_CTX);

static_assert(sizeof(SHA256_CTX) <= 128, "Stream::inner_ must hold a SHA256_CTX");

void keyed_state(const uint8_t* key_block, uint8_t pad, SHA256_CTX* out) {
  uint8_t block[kBlock];
  for (size_t i = 0; i < kBlock; ++i) block[i] = key_block[i] ^ pad;
  SHA256_Init(out);
  SHA256_Update(out, block, kBlock);
  OPENSSL_cleanse(block, sizeof block);
}

}  // namespace

std::optional<HmacSha256> HmacSha256::create(std::span<const uint8_t> key) {
  std::optional<SecretBytes> states = SecretBytes::allocate(kStates);
  if (!states) return std::nullopt;
  uint8_t key_block[kBlock] = {};
  if (key.size() > kBlock) {
    SHA256(key.data(), key.size(), key_block);
  } else if (!key.empty()) {
    std::memcpy(key_block, key.data(), key.size());
  }
  SHA256_CTX inner, outer;
  keyed_state(key_block, 0x36, &inner);
  keyed_state(key_block, 0x5c, &outer);
  std::memcpy(states->mutable_data(), &inner, sizeof inner);
  std::memcpy(states->mutable_data() + sizeof inner, &outer, sizeof outer);
  OPENSSL_cleanse(key_block, sizeof key_block);
  OPENSSL_cleanse(&inner, sizeof inner);
  OPENSSL_cleanse(&outer, sizeof outer);
  states->make_read_only();
  return HmacSha256(std::move(*states));
}

HmacSha256::Stream::Stream(const HmacSha256& key) : key_(key) {
  std::memcpy(inner_, key_.states_.data(), sizeof(SHA256_CTX));
}

HmacSha256::Stream::~Stream() { OPENSSL_cleanse(inner_, sizeof inner_); }

void HmacSha256::Stream::update(std::string_view bytes) {
  if (!bytes.empty())
    SHA256_Update(reinterpret_cast<SHA256_CTX*>(inner_), bytes.data(), bytes.size());
}

Sha256Digest HmacSha256::Stream::final() {
  Sha256Digest inner_hash{};
  Sha256Digest out{};
  if (done_) return out;  // a second final() is a caller bug; never a reused state
  done_ = true;
  SHA256_Final(inner_hash.data(), reinterpret_cast<SHA256_CTX*>(inner_));
  SHA256_CTX outer;
  std::memcpy(&outer, key_.states_.data() + sizeof(SHA256_CTX), sizeof outer);
  SHA256_Update(&outer, inner_hash.data(), inner_hash.size());
  SHA256_Final(out.data(), &outer);
  OPENSSL_cleanse(&outer, sizeof outer);
  OPENSSL_cleanse(inner_hash.data(), inner_hash.size());
  return out;
}

Sha256Digest HmacSha256::mac(std::string_view a, std::string_view b) const {
  Stream s(*this);
  s.update(a);
  s.update(b);
  return s.final();
}

}  // namespace gw::crypto
