#include "gateway/store/head_digests.h"

#include <algorithm>
#include <functional>

namespace gw::store::internal {

HeadDigests::HeadDigests(size_t capacity) : capacity_(std::max<size_t>(capacity, 1)) {
  index_.reserve(capacity_);
}

uint64_t HeadDigests::key_of(std::string_view type, std::string_view id) {
  const uint64_t t = std::hash<std::string_view>{}(type);
  const uint64_t i = std::hash<std::string_view>{}(id);
  return t * 0x9e3779b97f4a7c15ULL ^ i;
}

bool HeadDigests::holds(std::string_view type, std::string_view id,
                        const crypto::Sha256Digest& digest) {
  const uint64_t key = key_of(type, id);
  std::lock_guard<std::mutex> lock(mu_);
  const auto it = index_.find(key);
  if (it == index_.end()) return false;
  Slot& slot = slots_[it->second];
  if (slot.digest != digest) return false;
  slot.referenced = true;
  return true;
}

void HeadDigests::put(std::string_view type, std::string_view id,
                      const crypto::Sha256Digest& digest) {
  const uint64_t key = key_of(type, id);
  std::lock_guard<std::mutex> lock(mu_);
  if (const auto it = index_.find(key); it != index_.end()) {
    slots_[it->second].digest = digest;
    return;
  }
  if (slots_.size() < capacity_) {
    index_.emplace(key, static_cast<uint32_t>(slots_.size()));
    slots_.push_back(Slot{key, digest, false});
    return;
  }
  // CLOCK: pass over (and clear) entries read since the hand last came by.
  while (slots_[hand_].referenced) {
    slots_[hand_].referenced = false;
    hand_ = (hand_ + 1) % capacity_;
  }
  index_.erase(slots_[hand_].key);
  slots_[hand_] = Slot{key, digest, false};
  index_.emplace(key, static_cast<uint32_t>(hand_));
  hand_ = (hand_ + 1) % capacity_;
}

size_t HeadDigests::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return slots_.size();
}

}  // namespace gw::store::internal
