#include "gateway/crypto/fast_random.h"

#include <sodium.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>

#include "gateway/crypto/secret.h"

namespace gw::crypto {
namespace {

constexpr uint64_t kCallsPerKey = uint64_t{1} << 20;

struct Generator {
  SecretBytes key;  // crypto_stream_chacha20_ietf_KEYBYTES, locked memory
  uint64_t counter = 0;
  pid_t pid = 0;

  bool ready() const { return !key.empty() && counter < kCallsPerKey && pid == ::getpid(); }
  void rekey() {
    auto k = SecretBytes::allocate(crypto_stream_chacha20_ietf_KEYBYTES);
    if (k) {
      randombytes_buf(k->mutable_data(), k->size());
      key = std::move(*k);
    }
    counter = 0;
    pid = ::getpid();
  }
};

thread_local Generator generator;

}  // namespace

void fast_random(void* buf, size_t n) {
  (void)init_sodium();
  if (!generator.ready()) generator.rekey();
  if (generator.key.empty()) {  // no locked memory: fall back to the kernel
    randombytes_buf(buf, n);
    return;
  }
  unsigned char nonce[crypto_stream_chacha20_ietf_NONCEBYTES] = {0};
  std::memcpy(nonce, &generator.counter, sizeof generator.counter);
  ++generator.counter;
  std::memset(buf, 0, n);
  crypto_stream_chacha20_ietf_xor(static_cast<unsigned char*>(buf),
                                  static_cast<const unsigned char*>(buf), n, nonce,
                                  generator.key.data());
}

}  // namespace gw::crypto
