#include "gateway/crypto/record_cipher.h"

#include <sodium.h>

#include <cstring>
#include <utility>

#include "gateway/crypto/fast_random.h"

namespace gw::crypto {
namespace {

static_assert(crypto_aead_xchacha20poly1305_ietf_KEYBYTES == RecordCipher::kKeyBytes);
static_assert(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES == 24);
static_assert(crypto_aead_xchacha20poly1305_ietf_ABYTES == 16);

constexpr size_t kPrefixBytes = 8;  // magic + key id: the authenticated header

const unsigned char* bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

void put_be32(char* p, uint32_t v) {
  p[0] = static_cast<char>(v >> 24);
  p[1] = static_cast<char>(v >> 16);
  p[2] = static_cast<char>(v >> 8);
  p[3] = static_cast<char>(v);
}

uint32_t get_be32(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return uint32_t{u[0]} << 24 | uint32_t{u[1]} << 16 | uint32_t{u[2]} << 8 | uint32_t{u[3]};
}

// The AEAD's associated data: the envelope's magic and key id, then the
// caller's associated data (the record id; not secret).
std::string full_associated_data(std::string_view envelope_prefix, std::string_view ad) {
  std::string out;
  out.reserve(kPrefixBytes + ad.size());
  out.append(envelope_prefix.substr(0, kPrefixBytes));
  out.append(ad);
  return out;
}

}  // namespace

bool is_envelope(std::string_view bytes) {
  return bytes.size() >= kEnvelopeOverheadBytes && bytes.substr(0, 4) == kEnvelopeMagic;
}

bool RecordCipher::add_key(uint32_t key_id, SecretBytes key) {
  if (key.size() != kKeyBytes || keys_.contains(key_id)) return false;
  key.make_read_only();
  keys_.emplace(key_id, std::move(key));
  if (!has_current_) {
    current_ = key_id;
    has_current_ = true;
  }
  return true;
}

bool RecordCipher::set_current(uint32_t key_id) {
  if (!keys_.contains(key_id)) return false;
  current_ = key_id;
  has_current_ = true;
  return true;
}

std::string RecordCipher::seal(std::string_view plaintext, std::string_view associated_data) const {
  auto current = keys_.find(current_);
  if (!has_current_ || current == keys_.end()) return {};
  const SecretBytes& key = current->second;
  (void)init_sodium();  // randombytes_buf wants it; a failure is caught at start-up
  std::string out(kEnvelopeOverheadBytes + plaintext.size(), '\0');
  std::memcpy(out.data(), kEnvelopeMagic.data(), 4);
  put_be32(out.data() + 4, current_);
  auto* nonce = reinterpret_cast<unsigned char*>(out.data() + kPrefixBytes);
  fast_random(nonce, crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
  const std::string ad = full_associated_data(out, associated_data);
  unsigned long long written = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(
      reinterpret_cast<unsigned char*>(out.data() + kEnvelopeHeaderBytes), &written,
      bytes(plaintext), plaintext.size(), bytes(ad), ad.size(), nullptr, nonce, key.data());
  out.resize(kEnvelopeHeaderBytes + written);  // same size; keeps the invariant explicit
  return out;
}

Result<std::string> RecordCipher::open(std::string_view envelope,
                                       std::string_view associated_data) const {
  if (!is_envelope(envelope)) return data_loss_error("not an envelope");
  const uint32_t key_id = get_be32(envelope.data() + 4);
  auto it = keys_.find(key_id);
  if (it == keys_.end()) {
    return data_loss_error("unknown key id " + std::to_string(key_id) +
                           " (add the key that sealed this record to the key ring)");
  }
  const auto* nonce = bytes(envelope.substr(kPrefixBytes));
  const std::string_view sealed = envelope.substr(kEnvelopeHeaderBytes);
  const std::string ad = full_associated_data(envelope, associated_data);
  std::string plaintext(sealed.size() - crypto_aead_xchacha20poly1305_ietf_ABYTES, '\0');
  unsigned long long written = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          reinterpret_cast<unsigned char*>(plaintext.data()), &written, nullptr, bytes(sealed),
          sealed.size(), bytes(ad), ad.size(), nonce, it->second.data()) != 0) {
    return data_loss_error("authentication failed");
  }
  plaintext.resize(written);
  return plaintext;
}

}  // namespace gw::crypto
