// Working keys in locked memory. The gateway unseals its keys from the TPM
// once at start; from then on they live only in libsodium's guarded
// allocations: mlock'd (never swapped), surrounded by guard pages (an overrun
// faults instead of reading a neighbour), read-only once filled, and zeroed
// when released. Keep key bytes out of std::string and std::vector.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace gw::crypto {

// Runs sodium_init() once per process (thread-safe; later calls return the
// first result). false if libsodium cannot start (e.g. no entropy source):
// the gateway must then refuse to start. Every function of this module calls
// it itself, so callers need it only to fail early with a clear message.
bool init_sodium();

// Secret bytes in sodium_malloc'd memory. Move-only; the moved-from object is
// empty. Not thread-safe to mutate; concurrent reads of a read-only object
// are fine.
class SecretBytes {
 public:
  SecretBytes() = default;  // empty: data() is nullptr, size() is 0

  // `size` zero bytes, writable until make_read_only(). nullopt if libsodium
  // cannot start or the allocation fails (address space or mmap limits).
  // size 0 gives an empty object.
  static std::optional<SecretBytes> allocate(size_t size);
  // A read-only copy of `bytes` (the caller zeroes its own copy).
  static std::optional<SecretBytes> copy_of(std::span<const uint8_t> bytes);

  SecretBytes(SecretBytes&& other) noexcept;
  SecretBytes& operator=(SecretBytes&& other) noexcept;
  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;
  // Zeroes, unlocks and frees the memory (sodium_free).
  ~SecretBytes();

  const uint8_t* data() const { return data_; }
  // Writable pointer while the object is writable; nullptr once
  // make_read_only() has run (read-only is final, so a key cannot be altered
  // by a stray write after start-up) and for an empty object.
  uint8_t* mutable_data() { return read_only_ ? nullptr : data_; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  std::span<const uint8_t> view() const { return {data_, size_}; }
  bool read_only() const { return read_only_; }
  // Makes the pages read-only (sodium_mprotect_readonly): a later write
  // faults instead of silently changing the key.
  void make_read_only();

 private:
  SecretBytes(uint8_t* data, size_t size) : data_(data), size_(size) {}
  void release();

  uint8_t* data_ = nullptr;
  size_t size_ = 0;
  bool read_only_ = false;
};

// HMAC-SHA-256(key, message) written straight into locked, read-only memory:
// how every key derived from another (store subkeys, the tokenization key)
// is made, so the result never sits in ordinary memory. nullopt when locked
// memory cannot be had.
std::optional<SecretBytes> hmac_sha256_secret(std::span<const uint8_t> key,
                                              std::string_view message);

}  // namespace gw::crypto
