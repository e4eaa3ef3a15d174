// Wall-clock time as stored rows, ledger items and FHIR meta carry it.
// Header-only (part of gw_base), so every module reads the clock the same way.
#pragma once

#include <chrono>
#include <cstdint>

namespace gw {

// Milliseconds since the Unix epoch (UTC), from the system clock: a time to
// record, not to measure intervals with (use std::chrono::steady_clock).
inline int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace gw
