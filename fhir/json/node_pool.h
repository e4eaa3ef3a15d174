// Storage for the items of JSON arrays and the members of JSON objects
// (JsonValue's payload vectors), recycled per thread.
//
// A mapped message builds a few hundred small arrays and objects and frees
// them all together when it is done; glibc's per-thread cache keeps only
// seven free chunks of a size, so most of those blocks went through the
// general allocator's bins both ways (a fifth of the instructions of
// normalizing a message). Here each thread keeps a bounded free list per
// block size (blocks of 1, 2, 4, ... 16 elements; larger ones and anything
// beyond the bound go to operator new/delete): taking and returning a block
// is a few instructions.
//
// std::allocator is specialized for JsonValue and JsonMember (allowed for
// program-defined types), so the payloads stay std::vector<JsonValue> and
// std::vector<JsonMember> for every user of json.h. Under AddressSanitizer
// nothing is recycled, so that use-after-free is still caught.
#pragma once

#include <cstddef>
#include <memory>
#include <new>
#include <type_traits>

namespace gw::fhir {

class JsonValue;
struct JsonMember;

namespace node_pool {

// `kind`: 0 for JsonValue blocks, 1 for JsonMember blocks. `count` elements
// of `size` bytes each; deallocate gets the same arguments as allocate.
void* allocate(int kind, size_t count, size_t size);
void deallocate(int kind, void* p, size_t count, size_t size) noexcept;

// Blocks the calling thread holds for reuse (tests).
size_t cached_blocks();

template <typename T, int Kind>
struct Allocator {
  using value_type = T;
  using size_type = size_t;
  using difference_type = std::ptrdiff_t;
  using propagate_on_container_move_assignment = std::true_type;
  using is_always_equal = std::true_type;

  T* allocate(size_t n) { return static_cast<T*>(node_pool::allocate(Kind, n, sizeof(T))); }
  void deallocate(T* p, size_t n) noexcept { node_pool::deallocate(Kind, p, n, sizeof(T)); }
};

}  // namespace node_pool
}  // namespace gw::fhir

namespace std {

template <>
struct allocator<gw::fhir::JsonValue> : gw::fhir::node_pool::Allocator<gw::fhir::JsonValue, 0> {
  constexpr allocator() noexcept = default;
  template <typename U>
  constexpr allocator(const allocator<U>&) noexcept {}
  template <typename U>
  struct rebind {
    using other = allocator<U>;
  };
};

template <>
struct allocator<gw::fhir::JsonMember> : gw::fhir::node_pool::Allocator<gw::fhir::JsonMember, 1> {
  constexpr allocator() noexcept = default;
  template <typename U>
  constexpr allocator(const allocator<U>&) noexcept {}
  template <typename U>
  struct rebind {
    using other = allocator<U>;
  };
};

template <typename U>
constexpr bool operator==(const allocator<gw::fhir::JsonValue>&, const allocator<U>&) noexcept {
  return std::is_same_v<U, gw::fhir::JsonValue>;
}
template <typename U>
constexpr bool operator==(const allocator<gw::fhir::JsonMember>&, const allocator<U>&) noexcept {
  return std::is_same_v<U, gw::fhir::JsonMember>;
}

}  // namespace std
