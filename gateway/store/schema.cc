#include "gateway/store/schema.h"

#include "gateway/store/compartment.h"
#include "gateway/store/index_rows.h"
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
    // Version 3: encryption at rest. Payload columns (messages.raw and .ack,
    // records.resource) hold XChaCha20-Poly1305 envelopes; content_sha256
    // columns and record_identifiers.key hold keyed MACs; each record version
    // has a salted commitment; Patient identifiers are kept as consortium
    // tokens; store_keys holds, per record key id, an envelope sealed with that
    // key, so opening with the wrong key is refused instead of misread;
    // record_batches: signed Merkle roots over contiguous ranges of record
    // versions (by seq), leaves being the versions' commitments.
    {3, R"sql(
ALTER TABLE records ADD COLUMN commit_salt BLOB;
ALTER TABLE records ADD COLUMN commitment BLOB;
CREATE TABLE patient_tokens (
  token       TEXT NOT NULL,
  resource_id TEXT NOT NULL,
  PRIMARY KEY (token, resource_id)
) WITHOUT ROWID;
CREATE INDEX patient_tokens_resource ON patient_tokens (resource_id);
CREATE TABLE store_keys (
  key_id         INTEGER PRIMARY KEY,
  check_envelope BLOB NOT NULL
);
CREATE TABLE record_batches (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  first_seq     INTEGER NOT NULL,
  last_seq      INTEGER NOT NULL CHECK (last_seq >= first_seq),
  record_count  INTEGER NOT NULL CHECK (record_count >= 1),
  root          BLOB    NOT NULL CHECK (length(root) = 32),
  signature     BLOB    NOT NULL,
  signer        TEXT    NOT NULL,
  created_at_ms INTEGER NOT NULL,
  anchored_tx   TEXT
);
CREATE UNIQUE INDEX record_batches_last_seq ON record_batches (last_seq);
)sql"},
    // Version 4: the patient compartment of each resource's latest version
    // (compartment.h), so a patient's records are found without decrypting
    // the store. Rows of stores written before are filled in by
    // backfill_compartments() in the same transaction.
    {4, R"sql(
CREATE TABLE record_patients (
  patient_id    TEXT NOT NULL,
  resource_type TEXT NOT NULL,
  resource_id   TEXT NOT NULL,
  PRIMARY KEY (patient_id, resource_type, resource_id)
) WITHOUT ROWID;
CREATE INDEX record_patients_resource ON record_patients (resource_type, resource_id);
)sql"},
    // Version 5: duplicate conflicts (message_store.h). A rejected message that
    // reused an accepted message's key with other content names that message
    // in conflict_of; its resends are found by (conflict_of, content_sha256).
    {5, R"sql(
ALTER TABLE messages ADD COLUMN conflict_of INTEGER REFERENCES messages (id);
CREATE INDEX messages_conflict_of ON messages (conflict_of, content_sha256)
  WHERE conflict_of IS NOT NULL;
)sql"},
    // Version 6: each head keeps the index rows its version owns
    // (index_rows.h), so the next version deletes them by primary key, and
    // the three indexes on (type, id) that only served those deletes go
    // (kDropResourceIndexes, after backfill_index_rows()). Each cost a
    // random b-tree leaf, i.e. a 4 KiB WAL frame, per record version.
    {6, R"sql(
ALTER TABLE record_heads ADD COLUMN index_rows BLOB NOT NULL DEFAULT x'';
)sql"},
    // Version 7: each record version names the one before it (prev_seq; NULL
    // for version 1 and for versions written before schema 7), so an older
    // version is read by walking back from the head, and the UNIQUE
    // (resource_type, resource_id, version) index, which served only those
    // reads and cost a random b-tree leaf per version, can go. Dropping it
    // means rebuilding `records` (SQLite cannot drop a table constraint):
    // done only while the table is empty (kRebuildRecords), i.e. for every
    // store created from now on. A store that already holds records keeps
    // the index: copying a large table inside open() would stall the
    // appliance for minutes. Its readers fall back to that index for
    // versions written before (records.cc).
    {7, R"sql(
ALTER TABLE records ADD COLUMN prev_seq INTEGER;
)sql"},
};

// `records` without the UNIQUE (type, id, version) constraint, run only on
// an empty table. Its sqlite_sequence row (the highest seq ever used, which
// record_batches ranges refer to) is renamed along with the table rather
// than dropped with it, so seq never goes back even if retention emptied
// the table.
constexpr char kRebuildRecords[] = R"sql(
CREATE TABLE records_new (
  seq            INTEGER PRIMARY KEY AUTOINCREMENT,
  resource_type  TEXT    NOT NULL,
  resource_id    TEXT    NOT NULL,
  version        INTEGER NOT NULL CHECK (version >= 1),
  message_id     INTEGER NOT NULL REFERENCES messages (id),
  updated_at_ms  INTEGER NOT NULL,
  content_sha256 BLOB    NOT NULL CHECK (length(content_sha256) = 32),
  resource       BLOB    NOT NULL,
  commit_salt    BLOB,
  commitment     BLOB,
  prev_seq       INTEGER
);
UPDATE sqlite_sequence SET name = 'records_new' WHERE name = 'records';
DROP TABLE records;
ALTER TABLE records_new RENAME TO records;
CREATE INDEX records_message ON records (message_id);
CREATE INDEX records_updated_at ON records (updated_at_ms);
)sql";

constexpr char kDropResourceIndexes[] = R"sql(
DROP INDEX record_identifiers_resource;
DROP INDEX record_patients_resource;
DROP INDEX patient_tokens_resource;
)sql";

static_assert(sizeof(kMigrations) / sizeof(kMigrations[0]) == kSchemaVersion,
              "one migration per schema version");

constexpr char kKeyCheckPlaintext[] = "gateway message store key check";

std::string key_check_ad(uint32_t key_id) { return "gw-store-key-check|" + std::to_string(key_id); }

// The current record key must open the check envelope of its id (written the
// first time the key is used), so a store is never read or extended with
// another appliance's keys.
Status check_store_key(sqlite3* db, const crypto::StoreKeys& keys) {
  Statement select, insert;
  const uint32_t id = keys.record_key_id();
  if (select.prepare(db, "SELECT check_envelope FROM store_keys WHERE key_id = ?1") != SQLITE_OK ||
      insert.prepare(db, "INSERT INTO store_keys (key_id, check_envelope) VALUES (?1, ?2)") !=
          SQLITE_OK) {
    return sqlite::error_status(db, sqlite3_extended_errcode(db), "reading the store's key check");
  }
  const int rc = select.bind_int64(1, id).step();
  if (rc == SQLITE_ROW) {
    auto plain = keys.open(select.column_blob_view(0), key_check_ad(id));
    if (!plain.ok() || *plain != kKeyCheckPlaintext) {
      return failed_precondition_error(
          "this store was encrypted with a different record key (key id " + std::to_string(id) +
          "): the key store does not belong to this state directory (another TPM, or keys "
          "provisioned again); restore the original keys");
    }
    return ok_status();
  }
  if (rc != SQLITE_DONE || insert.bind_int64(1, id)
                                   .bind_blob(2, keys.seal(kKeyCheckPlaintext, key_check_ad(id)))
                                   .step() != SQLITE_DONE) {
    return sqlite::error_status(db, sqlite3_extended_errcode(db), "writing the store's key check");
  }
  return ok_status();
}

// Fills record_patients for the latest version of every resource of a store
// written before schema version 4. Runs inside the migration's transaction:
// a record that does not open with the store's key fails the migration (the
// key check after it would refuse that store anyway).
Status backfill_compartments(sqlite3* db, const crypto::StoreKeys& keys) {
  Statement heads, insert;
  int rc = heads.prepare(db,
                         "SELECT r.resource_type, r.resource_id, r.version, r.resource "
                         "FROM record_heads h JOIN records r ON r.seq = h.seq");
  if (rc == SQLITE_OK) {
    rc = insert.prepare(db,
                        "INSERT OR IGNORE INTO record_patients (patient_id, resource_type, "
                        "resource_id) VALUES (?1, ?2, ?3)");
  }
  if (rc != SQLITE_OK) return sqlite::error_status(db, rc, "patient compartment backfill");
  while ((rc = heads.step()) == SQLITE_ROW) {
    const std::string type(heads.column_text(0)), id(heads.column_text(1));
    auto plain = keys.open(heads.column_blob_view(3),
                           crypto::record_associated_data(type, id, heads.column_int64(2)));
    if (!plain.ok()) {
      return failed_precondition_error(
          "patient compartment backfill: a stored record does not open with this store's key");
    }
    for (const std::string& patient : patient_compartment_ids(type, id, plain.value())) {
      ScopedReset reset(insert);
      if (insert.bind_text(1, patient).bind_text(2, type).bind_text(3, id).step() != SQLITE_DONE) {
        return sqlite::error_status(db, sqlite3_extended_errcode(db),
                                    "patient compartment backfill");
      }
    }
  }
  if (rc != SQLITE_DONE) return sqlite::error_status(db, rc, "patient compartment backfill");
  return ok_status();
}

// Fills record_heads.index_rows of a store written before schema version 6
// from the index tables, while their (type, id) indexes still exist.
Status backfill_index_rows(sqlite3* db) {
  Statement heads, ids, patients, tokens, update;
  int rc = heads.prepare(db, "SELECT resource_type, resource_id FROM record_heads");
  if (rc == SQLITE_OK) {
    rc = ids.prepare(db,
                     "SELECT key FROM record_identifiers WHERE resource_type = ?1 AND "
                     "resource_id = ?2");
  }
  if (rc == SQLITE_OK) {
    rc = patients.prepare(db,
                          "SELECT patient_id FROM record_patients WHERE resource_type = ?1 AND "
                          "resource_id = ?2");
  }
  if (rc == SQLITE_OK) {
    rc = tokens.prepare(db, "SELECT token FROM patient_tokens WHERE resource_id = ?1");
  }
  if (rc == SQLITE_OK) {
    rc = update.prepare(db,
                        "UPDATE record_heads SET index_rows = ?3 WHERE resource_type = ?1 AND "
                        "resource_id = ?2");
  }
  if (rc != SQLITE_OK) return sqlite::error_status(db, rc, "index rows backfill");
  const auto collect = [](Statement& s, std::vector<std::string>* out) {
    ScopedReset reset(s);
    int step;
    while ((step = s.step()) == SQLITE_ROW) out->emplace_back(s.column_blob_view(0));
    return step;
  };
  while ((rc = heads.step()) == SQLITE_ROW) {
    const std::string type(heads.column_text(0)), id(heads.column_text(1));
    IndexRows rows;
    ids.bind_text(1, type).bind_text(2, id);
    patients.bind_text(1, type).bind_text(2, id);
    tokens.bind_text(1, id);
    int step = collect(ids, &rows.identifier_keys);
    if (step == SQLITE_DONE) step = collect(patients, &rows.patients);
    // Tokens were only ever written for Patients (records.cc).
    if (step == SQLITE_DONE && type == "Patient") step = collect(tokens, &rows.tokens);
    if (step != SQLITE_DONE) return sqlite::error_status(db, step, "index rows backfill");
    std::string encoded;
    if (!encode_index_rows(rows, &encoded)) {
      return failed_precondition_error("index rows backfill: an index row is too long");
    }
    ScopedReset reset(update);
    if (update.bind_text(1, type).bind_text(2, id).bind_blob(3, encoded).step() != SQLITE_DONE) {
      return sqlite::error_status(db, sqlite3_extended_errcode(db), "index rows backfill");
    }
  }
  if (rc != SQLITE_DONE) return sqlite::error_status(db, rc, "index rows backfill");
  return ok_status();
}

Status migrate_in_transaction(sqlite3* db, const crypto::StoreKeys& keys) {
  GW_ASSIGN_OR_RETURN(const int64_t version, query_int(db, "PRAGMA user_version"));
  GW_ASSIGN_OR_RETURN(const int64_t app_id, query_int(db, "PRAGMA application_id"));
  GW_ASSIGN_OR_RETURN(const int64_t objects, query_int(db, "SELECT count(*) FROM sqlite_schema"));
  if (version > kSchemaVersion) {
    return failed_precondition_error("schema version " + std::to_string(version) +
                                     " is newer than this program supports (" +
                                     std::to_string(kSchemaVersion) + ")");
  }
  if (version == 0 && objects > 0) {
    return failed_precondition_error(
        "not a message store: the database has tables but no schema version");
  }
  if (version > 0 && app_id != kApplicationId) {
    return failed_precondition_error("not a message store: application_id is " +
                                     std::to_string(app_id));
  }
  if (version > 0 && version < 3) {
    // Versions 1 and 2 (development builds) stored payloads in plaintext.
    // They are not encrypted in place: refuse rather than mix plaintext and
    // envelopes, unless the store is still empty.
    GW_ASSIGN_OR_RETURN(const int64_t messages, query_int(db, "SELECT count(*) FROM messages"));
    if (messages > 0) {
      return failed_precondition_error(
          "this store (schema version " + std::to_string(version) +
          ") was written before encryption at rest and holds plaintext; move it aside "
          "(export its records with the gatewayctl that wrote it) and start with an empty "
          "store");
    }
  }
  for (const Migration& m : kMigrations) {
    if (m.to_version <= version) continue;
    if (sqlite3_exec(db, m.sql, nullptr, nullptr, nullptr) != SQLITE_OK) {
      return sqlite::error_status(db, sqlite3_extended_errcode(db),
                                  "migration to version " + std::to_string(m.to_version));
    }
    if (m.to_version == 4 && version >= 3) GW_RETURN_IF_ERROR(backfill_compartments(db, keys));
    if (m.to_version == 6) {
      if (version >= 2) GW_RETURN_IF_ERROR(backfill_index_rows(db));
      if (sqlite3_exec(db, kDropResourceIndexes, nullptr, nullptr, nullptr) != SQLITE_OK) {
        return sqlite::error_status(db, sqlite3_extended_errcode(db), "migration to version 6");
      }
    }
    if (m.to_version == 7) {
      GW_ASSIGN_OR_RETURN(const int64_t any_record,
                          query_int(db, "SELECT EXISTS (SELECT 1 FROM records)"));
      if (any_record == 0 &&
          sqlite3_exec(db, kRebuildRecords, nullptr, nullptr, nullptr) != SQLITE_OK) {
        return sqlite::error_status(db, sqlite3_extended_errcode(db), "migration to version 7");
      }
    }
  }
  // Pragmas cannot take bound parameters; both values are our constants.
  const std::string set_ids = "PRAGMA application_id = " + std::to_string(kApplicationId) +
                              "; PRAGMA user_version = " + std::to_string(kSchemaVersion) + ";";
  if (version < kSchemaVersion &&
      sqlite3_exec(db, set_ids.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) {
    return sqlite::error_status(db, sqlite3_extended_errcode(db), "setting schema version");
  }
  return check_store_key(db, keys);
}

}  // namespace

Status migrate(sqlite3* db, const crypto::StoreKeys& keys) {
  // IMMEDIATE: take the write lock before reading the version, so two
  // processes opening a new file cannot both run the migrations.
  int rc = sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return sqlite::error_status(db, rc, "starting schema transaction");
  if (Status s = migrate_in_transaction(db, keys); !s.ok()) {
    sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
    return s;
  }
  rc = sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) {
    Status s = sqlite::error_status(db, rc, "committing schema");
    sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
    return s;
  }
  return ok_status();
}

}  // namespace gw::store::internal
