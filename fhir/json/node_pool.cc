#include "fhir/json/node_pool.h"

#include <cstdint>

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
  int c = 0;
  while ((size_t{1} << c) < count) ++c;
  return c;
}

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

void deallocate(int kind, void* p, size_t count, size_t size) noexcept {
  if (!kRecycle || count > kMaxCount) {
    ::operator delete(p);
    return;
  }
  const int c = class_of(count);
  if (cache.closed || cache.count[kind][c] >= kKeepBytes / ((size_t{1} << c) * size)) {
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
