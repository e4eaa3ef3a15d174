// Where each key store keeps its payload-key generations (not part of
// gateway/keys' public interface): one file per generation,
// <keys_dir>/<prefix><N><suffix>, N = 1, 2, ... in decimal, and a high-water
// mark file holding the newest generation ever created.
//
// The generations on disk must be exactly 1..N with N at least the mark: a
// missing generation (in the middle, or the newest one deleted) is an error
// naming the file, never silently skipped, because the registry may list the
// missing key and peers would seal transfers nobody can open. The mark is
// written after the new generation's file, so a crash between the two leaves
// N = mark + 1, which is accepted (the key exists; it just was not announced).
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "gateway/base/status.h"
#include "gateway/keys/payload_keys.h"

namespace gw::keys {

// A key store keeps at most this many generations (a rotation a day for
// years); more is refused rather than loading an unbounded set at start.
inline constexpr uint32_t kMaxPayloadGenerations = 4096;

class PayloadKeyFiles {
 public:
  // e.g. ("<state>/keys", "payload-key-", ".blob").
  PayloadKeyFiles(std::string keys_dir, std::string prefix, std::string suffix)
      : dir_(std::move(keys_dir)), prefix_(std::move(prefix)), suffix_(std::move(suffix)) {}

  std::string name(uint32_t generation) const;
  std::string path(uint32_t generation) const { return dir_ + "/" + name(generation); }

  // N, the newest generation (0: none yet), after checking that exactly
  // 1..N are there and that N is not below the mark. The error names the
  // missing or unexpected file.
  Result<uint32_t> newest_generation() const;

  // Writes `bytes` as generation `generation`'s file (0600, atomically),
  // refusing to replace an existing one (already-exists), then raises the
  // mark to `generation`.
  Status create(uint32_t generation, std::span<const uint8_t> bytes) const;

 private:
  std::string mark_path() const;

  std::string dir_, prefix_, suffix_;
};

// A fresh X25519 key pair from libsodium (crypto_box_keypair); only the
// private half is returned (the public one is always derived from it). The
// caller wipes it once sealed or stored.
void generate_payload_private_key(std::span<uint8_t, kPayloadKeyBytes> private_key);

}  // namespace gw::keys
