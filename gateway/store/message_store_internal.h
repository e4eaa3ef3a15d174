// Test hooks into the SQLite message store. Not for production code.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "gateway/store/message_store.h"

namespace gw::store::internal {

// What the write connection reported right after the store configured it.
struct WriteConnectionSettings {
  std::string journal_mode;     // PRAGMA journal_mode, e.g. "wal"
  int64_t synchronous = -1;     // PRAGMA synchronous: 1 = NORMAL, 2 = FULL
  int64_t schema_version = -1;  // PRAGMA user_version
  int64_t foreign_keys = -1;    // PRAGMA foreign_keys
  int64_t max_page_count = -1;  // PRAGMA max_page_count
  // PRAGMA wal_autocheckpoint: 0, since checkpoints run on the checkpointer's
  // own connection and never inside a commit.
  int64_t wal_autocheckpoint = -1;
  // PRAGMA cache_size: negative = KiB (message_store.cc, kWriterCacheKib).
  int64_t cache_size = 0;
};

// nullopt if `store` is not the SQLite implementation.
std::optional<WriteConnectionSettings> write_connection_settings(const MessageStore& store);

}  // namespace gw::store::internal
