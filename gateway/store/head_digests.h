// A bounded memory of the content digests of recently committed record
// heads, by (type, id), so prepare_records() can tell a write that will
// turn out unchanged (the sending facility's Organization, the same
// Practitioner in every message) and prepare only its digest, not the
// commitment, index keys and envelope the committer would throw away.
//
// A hint, never the truth: the committer compares every write with the
// real head inside its transaction and does the missing work itself when a
// write the cache called unchanged is not (records.cc). Entries are keyed
// by a 64-bit hash of (type, id): a collision costs that work, nothing
// else. Bounded by a CLOCK policy (an entry read since the hand last passed
// stays), so the few resources repeated by every message stay while the
// stream of one-off records passes through.
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "gateway/crypto/sha256.h"

namespace gw::store::internal {

class HeadDigests {
 public:
  // About 48 bytes per entry plus the hash map's: ~5 MiB for the default.
  static constexpr size_t kDefaultCapacity = 64 * 1024;

  explicit HeadDigests(size_t capacity = kDefaultCapacity);

  // Whether the head of (type, id) was last committed with `digest`.
  // Thread-safe.
  bool holds(std::string_view type, std::string_view id, const crypto::Sha256Digest& digest);
  // Records the digest the head of (type, id) was committed with. Thread-safe.
  void put(std::string_view type, std::string_view id, const crypto::Sha256Digest& digest);
  size_t size() const;

 private:
  struct Slot {
    uint64_t key = 0;
    crypto::Sha256Digest digest{};
    bool referenced = false;
  };
  static uint64_t key_of(std::string_view type, std::string_view id);

  const size_t capacity_;
  mutable std::mutex mu_;
  std::vector<Slot> slots_;                       // guarded by mu_
  std::unordered_map<uint64_t, uint32_t> index_;  // key -> slot; guarded by mu_
  size_t hand_ = 0;                               // guarded by mu_
};

}  // namespace gw::store::internal
