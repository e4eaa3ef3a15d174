// Whether this binary (and so the gatewayd of the same build) runs under
// AddressSanitizer. Its allocator keeps freed memory in a quarantine and maps
// shadow memory, so a process's RSS there says nothing about how much input
// gatewayd buffers: memory bounds are checked in the normal build only, and
// the behaviour around them in both.
#pragma once

namespace gw::testing {

#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool kAddressSanitizer = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
inline constexpr bool kAddressSanitizer = true;
#else
inline constexpr bool kAddressSanitizer = false;
#endif
#else
inline constexpr bool kAddressSanitizer = false;
#endif

}  // namespace gw::testing
