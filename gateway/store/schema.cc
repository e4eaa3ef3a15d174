#include "gateway/store/schema.h"

#include "gateway/store/sqlite_util.h"

namespace gw::store::internal {
namespace {

struct Migration {
  int to_version;
  const char* sql;
};

// Version 1: the message table.
//  - id is AUTOINCREMENT so an id is never reused, even after retention
//    deletes the newest rows: ids appear in logs and operator tools, and
//    list(after_id) paging relies on them only growing.
//  - Duplicate detection is the UNIQUE partial index: at most one *accepted*
//    message per (sender, control_id). Rejected messages (the error queue) and
//    accepted messages without a control id are outside it.
//  - Listing by id uses the rowid itself; received_at and status have indexes
//    for time-range listing and count(status).
constexpr Migration kMigrations[] = {
    {1, R"sql(
CREATE TABLE messages (
  id              INTEGER PRIMARY KEY AUTOINCREMENT,
  channel         TEXT    NOT NULL,
  sender          TEXT    NOT NULL,
  control_id      TEXT    NOT NULL,
  message_type    TEXT    NOT NULL,
  peer            TEXT    NOT NULL,
  status          TEXT    NOT NULL CHECK (status IN ('accepted', 'rejected')),
  error           TEXT    NOT NULL,
  raw             BLOB    NOT NULL,
  ack             BLOB    NOT NULL,
  content_sha256  BLOB    NOT NULL CHECK (length(content_sha256) = 32),
  received_at_ms  INTEGER NOT NULL,
  duplicates_seen INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX messages_accepted_key ON messages (sender, control_id)
  WHERE status = 'accepted' AND control_id <> '';
CREATE INDEX messages_received_at ON messages (received_at_ms);
CREATE INDEX messages_status ON messages (status);
)sql"},
    // Version 2: normalized FHIR records, versioned per resource.
    //  - records holds every version; seq (AUTOINCREMENT) is the store-wide
    //    write order that exports page by.
    //  - record_heads points at each resource's latest version, with its
    //    digest, so an unchanged rewrite is detected without reading the body.
    //  - record_identifiers indexes the latest version's business identifiers
    //    by SHA-256 digest (see records.h), never in clear.
    {2, R"sql(
CREATE TABLE records (
  seq            INTEGER PRIMARY KEY AUTOINCREMENT,
  resource_type  TEXT    NOT NULL,
  resource_id    TEXT    NOT NULL,
  version        INTEGER NOT NULL CHECK (version >= 1),
  message_id     INTEGER NOT NULL REFERENCES messages (id),
  updated_at_ms  INTEGER NOT NULL,
  content_sha256 BLOB    NOT NULL CHECK (length(content_sha256) = 32),
  resource       BLOB    NOT NULL,
  UNIQUE (resource_type, resource_id, version)
);
CREATE INDEX records_message ON records (message_id);
CREATE INDEX records_updated_at ON records (updated_at_ms);
CREATE TABLE record_heads (
  resource_type  TEXT    NOT NULL,
  resource_id    TEXT    NOT NULL,
  version        INTEGER NOT NULL,
  seq            INTEGER NOT NULL REFERENCES records (seq),
  content_sha256 BLOB    NOT NULL,
  updated_at_ms  INTEGER NOT NULL,
  PRIMARY KEY (resource_type, resource_id)
) WITHOUT ROWID;
CREATE TABLE record_identifiers (
  resource_type  TEXT    NOT NULL,
  key            BLOB    NOT NULL,
  resource_id    TEXT    NOT NULL,
  PRIMARY KEY (resource_type, key, resource_id)
) WITHOUT ROWID;
CREATE INDEX record_identifiers_resource ON record_identifiers (resource_type, resource_id);
)sql"},
};

static_assert(sizeof(kMigrations) / sizeof(kMigrations[0]) == kSchemaVersion,
              "one migration per schema version");

bool migrate_in_transaction(sqlite3* db, std::string* error) {
  int64_t version = 0, app_id = 0, objects = 0;
  if (!query_value(db, "PRAGMA user_version", &version, error) ||
      !query_value(db, "PRAGMA application_id", &app_id, error) ||
      !query_value(db, "SELECT count(*) FROM sqlite_schema", &objects, error)) {
    return false;
  }
  if (version > kSchemaVersion) {
    *error = "schema version " + std::to_string(version) +
             " is newer than this program supports (" + std::to_string(kSchemaVersion) + ")";
    return false;
  }
  if (version == 0 && objects > 0) {
    *error = "not a message store: the database has tables but no schema version";
    return false;
  }
  if (version > 0 && app_id != kApplicationId) {
    *error = "not a message store: application_id is " + std::to_string(app_id);
    return false;
  }
  for (const Migration& m : kMigrations) {
    if (m.to_version <= version) continue;
    if (sqlite3_exec(db, m.sql, nullptr, nullptr, nullptr) != SQLITE_OK) {
      *error = "migration to version " + std::to_string(m.to_version) + ": " +
               describe_error(db, sqlite3_extended_errcode(db));
      return false;
    }
  }
  // Pragmas cannot take bound parameters; both values are our constants.
  const std::string set_ids = "PRAGMA application_id = " + std::to_string(kApplicationId) +
                              "; PRAGMA user_version = " + std::to_string(kSchemaVersion) + ";";
  if (version < kSchemaVersion &&
      sqlite3_exec(db, set_ids.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) {
    *error = "setting schema version: " + describe_error(db, sqlite3_extended_errcode(db));
    return false;
  }
  return true;
}

}  // namespace

bool migrate(sqlite3* db, std::string* error) {
  // IMMEDIATE: take the write lock before reading the version, so two
  // processes opening a new file cannot both run the migrations.
  int rc = sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) {
    *error = "starting schema transaction: " + describe_error(db, rc);
    return false;
  }
  if (!migrate_in_transaction(db, error)) {
    sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
    return false;
  }
  rc = sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) {
    *error = "committing schema: " + describe_error(db, rc);
    sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
    return false;
  }
  return true;
}

}  // namespace gw::store::internal
