// Files of <state_dir>/keys: created 0700 / 0600, written atomically (a
// temporary file, fsync, rename, fsync of the folder), so a crash during
// provisioning leaves either the old file or the new one, never half of it.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace gw::keys {

// <state_dir>/keys, created 0700 if missing. False + *error if it cannot be.
bool ensure_keys_dir(const std::string& state_dir, std::string* keys_dir, std::string* error);

bool file_exists(const std::string& path);

// Writes `bytes` to `path` (mode 0600) atomically.
bool write_file_atomically(const std::string& path, std::span<const uint8_t> bytes,
                           std::string* error);

// Whole file; nullopt + *error ("...: no such file") if it cannot be read.
// Refuses files larger than max_bytes.
std::optional<std::vector<uint8_t>> read_small_file(const std::string& path, size_t max_bytes,
                                                    std::string* error);

}  // namespace gw::keys
