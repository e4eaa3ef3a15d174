// Files of <state_dir>/keys: created 0700 / 0600, written atomically (a
// temporary file, fsync, rename, fsync of the folder), so a crash during
// provisioning leaves either the old file or the new one, never half of it.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "gateway/base/status.h"

namespace gw::keys {

// <state_dir>/keys, created 0700 if missing; returns its path.
Result<std::string> ensure_keys_dir(const std::string& state_dir);

bool file_exists(const std::string& path);

// Writes `bytes` to `path` (mode 0600) atomically.
Status write_file_atomically(const std::string& path, std::span<const uint8_t> bytes);

// The same, but never replaces: if `path` exists (even when another process
// creates it meanwhile) the result is already-exists and nothing changes.
Status create_file_atomically(const std::string& path, std::span<const uint8_t> bytes);

// Whole file; the error says why it cannot be read ("<path>: no such file",
// not-found). Refuses files larger than max_bytes.
Result<std::vector<uint8_t>> read_small_file(const std::string& path, size_t max_bytes);

}  // namespace gw::keys
