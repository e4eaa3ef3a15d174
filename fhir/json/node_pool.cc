#include "fhir/json/node_pool.h"

#include <array>
#include <bit>
#include <cstdint>

#include "fhir/json/json.h"

namespace gw::fhir::node_pool {
namespace {

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kRecycle = false;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kRecycle = false;
#else
constexpr bool kRecycle = true;
#endif
#else
constexpr bool kRecycle = true;
#endif

// Block classes: 1, 2, 4, 8, 16 elements.
constexpr int kClasses = 5;
constexpr size_t kMaxCount = size_t{1} << (kClasses - 1);
// What a thread keeps per class and kind: enough for the arrays and
// objects of a large message, bounded so a thread that only frees (values
// built elsewhere) does not hoard memory.
constexpr size_t kKeepBytes = 64 * 1024;

struct FreeBlock {
  FreeBlock* next;
};

// Trivially destructible, so it can still be used (as "nothing cached")
// while other thread-local objects holding JSON values are destroyed after
// the Flush below.
struct Cache {
  FreeBlock* head[2][kClasses];
  uint32_t count[2][kClasses];
  bool registered;
  bool closed;
};
thread_local Cache cache;

// Returns the cached blocks when the thread ends.
struct Flush {
  bool armed = false;
  ~Flush() {
    for (int k = 0; k < 2; ++k) {
      for (int c = 0; c < kClasses; ++c) {
        for (FreeBlock* b = cache.head[k][c]; b != nullptr;) {
          FreeBlock* next = b->next;
          ::operator delete(b);
          b = next;
        }
        cache.head[k][c] = nullptr;
        cache.count[k][c] = 0;
      }
    }
    cache.closed = true;
  }
};
thread_local Flush flush;

// The class of a block of `count` elements: the smallest power of two that
// holds them.
inline int class_of(size_t count) {
  return count <= 1 ? 0 : static_cast<int>(std::bit_width(count - 1));
}

// Blocks of class c a thread keeps, per kind (kind 1 with the larger
// elements); a table rather than a division on every free.
template <size_t kSize0, size_t kSize1>
constexpr auto keep_limits() {
  std::array<std::array<uint32_t, kClasses>, 2> limit{};
  for (int c = 0; c < kClasses; ++c) {
    limit[0][c] = static_cast<uint32_t>(kKeepBytes / ((size_t{1} << c) * kSize0));
    limit[1][c] = static_cast<uint32_t>(kKeepBytes / ((size_t{1} << c) * kSize1));
  }
  return limit;
}
constexpr auto kKeep = keep_limits<sizeof(JsonValue), sizeof(JsonMember)>();

}  // namespace

void* allocate(int kind, size_t count, size_t size) {
  if (!kRecycle || count > kMaxCount) return ::operator new(count* size);
  const int c = class_of(count);
  if (FreeBlock* b = cache.head[kind][c]) {
    cache.head[kind][c] = b->next;
    --cache.count[kind][c];
    return b;
  }
  return ::operator new((size_t{1} << c) * size);
}

void deallocate(int kind, void* p, size_t count,
                size_t /*size: the class and kind fix it*/) noexcept {
  if (!kRecycle || count > kMaxCount) {
    ::operator delete(p);
    return;
  }
  const int c = class_of(count);
  if (cache.count[kind][c] >= kKeep[kind][c] || cache.closed) {
    ::operator delete(p);
    return;
  }
  if (!cache.registered) {
    cache.registered = true;
    flush.armed = true;  // constructs it, so that its destructor runs at thread exit
  }
  auto* b = static_cast<FreeBlock*>(p);
  b->next = cache.head[kind][c];
  cache.head[kind][c] = b;
  ++cache.count[kind][c];
}

size_t cached_blocks() {
  size_t n = 0;
  for (int k = 0; k < 2; ++k)
    for (int c = 0; c < kClasses; ++c) n += cache.count[k][c];
  return n;
}

}  // namespace gw::fhir::node_pool
