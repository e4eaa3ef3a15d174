#include "adapters/mllp/address_limits.h"

#include <arpa/inet.h>
#include <netinet/in.h>

namespace gw::mllp {

AddressLimits::Lease& AddressLimits::Lease::operator=(Lease&& o) noexcept {
  if (this != &o) {
    reset();
    owner_ = std::move(o.owner_);
    key_ = std::move(o.key_);
  }
  return *this;
}

void AddressLimits::Lease::reset() {
  if (owner_) owner_->release(key_);
  owner_.reset();
  key_.clear();
}

bool AddressLimits::try_acquire(const std::string& key, Lease* lease) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    size_t& n = counts_[key];
    if (n >= max_) return false;  // n > 0 here, so no zero entry is left behind
    ++n;
  }
  *lease = Lease(shared_from_this(), key);
  return true;
}

void AddressLimits::release(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = counts_.find(key);
  if (it == counts_.end()) return;
  if (--it->second == 0) counts_.erase(it);
}

size_t AddressLimits::count(const std::string& key) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = counts_.find(key);
  return it == counts_.end() ? 0 : it->second;
}

size_t AddressLimits::addresses() const {
  std::lock_guard<std::mutex> lock(mu_);
  return counts_.size();
}

std::string AddressLimits::key_of(const sockaddr_storage& ss) {
  char host[INET6_ADDRSTRLEN] = {};
  if (ss.ss_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&ss);
    inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
    return host;
  }
  if (ss.ss_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&ss);
    if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
      inet_ntop(AF_INET, &in6->sin6_addr.s6_addr[12], host, sizeof host);
    } else {
      inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
    }
    return host;
  }
  return {};
}

}  // namespace gw::mllp
