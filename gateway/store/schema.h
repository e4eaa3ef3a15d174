// Versioned schema of the message store. The version lives in
// PRAGMA user_version; each migration moves the database up by one version,
// and all pending migrations run in one IMMEDIATE transaction so a crash or a
// second process opening the file at the same time never sees half a schema.
//
// To change the schema: append a migration to kMigrations in schema.cc and
// bump kSchemaVersion. Never edit a migration that has shipped.
#pragma once

#include <sqlite3.h>

#include <string>

#include "gateway/base/status.h"
#include "gateway/crypto/store_keys.h"

namespace gw::store::internal {

inline constexpr int kSchemaVersion = 7;
// PRAGMA application_id of a message store ("HL7F"), so that another
// program's SQLite file is refused instead of being migrated.
inline constexpr int kApplicationId = 0x484C3746;

// Brings the database open on `db` to kSchemaVersion. Refuses files that are
// not a message store, files from a newer program, stores written before
// encryption at rest that hold messages, and stores encrypted with another
// record key (checked against store_keys). On failure leaves the file
// unchanged.
Status migrate(sqlite3* db, const crypto::StoreKeys& keys);

}  // namespace gw::store::internal
