// Connections per peer address on one Server, across all its loops
// (ServerOptions::max_connections_per_address), so that one client cannot
// take every connection slot of a channel. The address is the peer's IP
// without its port; an IPv4-mapped IPv6 address counts as its IPv4 address
// (a dual-stack listener sees IPv4 peers that way), other IPv6 addresses by
// their full 128 bits.
#pragma once

#include <sys/socket.h>

#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

namespace gw::mllp {

class AddressLimits : public std::enable_shared_from_this<AddressLimits> {
 public:
  // A connection's place in its address's count, returned when it is
  // destroyed. Move-only; a default-constructed Lease holds nothing.
  class Lease {
   public:
    Lease() = default;
    Lease(std::shared_ptr<AddressLimits> owner, std::string key)
        : owner_(std::move(owner)), key_(std::move(key)) {}
    Lease(Lease&& o) noexcept : owner_(std::move(o.owner_)), key_(std::move(o.key_)) {}
    Lease& operator=(Lease&& o) noexcept;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease() { reset(); }
    void reset();

   private:
    std::shared_ptr<AddressLimits> owner_;
    std::string key_;
  };

  // `max_per_address` must be positive.
  explicit AddressLimits(size_t max_per_address) : max_(max_per_address) {}

  // Counts one more connection from `key`; false (nothing counted) when
  // `key` already has max_per_address.
  bool try_acquire(const std::string& key, Lease* lease);
  // Connections counted for `key` now.
  size_t count(const std::string& key) const;
  // Addresses with at least one connection (the map never keeps zeros, so
  // its size is bounded by the open connections).
  size_t addresses() const;

  // The peer IP of an accepted connection as counted here ("10.1.2.3",
  // "fe80::1"); empty for other families.
  static std::string key_of(const sockaddr_storage& peer);

 private:
  void release(const std::string& key);

  const size_t max_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, size_t> counts_;  // guarded by mu_
};

}  // namespace gw::mllp
