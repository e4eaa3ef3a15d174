// Normalized FHIR records in the message store's SQLite file (schema v2+):
// the committer-side writer and a reader with its own connection. Private to
// gateway/store; the public API is MessageStore's record methods.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gateway/crypto/store_keys.h"
#include "gateway/store/head_digests.h"
#include "gateway/store/index_rows.h"
#include "gateway/store/message_store.h"
#include "gateway/store/sqlite_util.h"

namespace gw::store::internal {

// What a record write needs from the keys, computed by the submitting thread
// (MessageStore::submit, which the pipeline calls from several workers) so
// that the single committer thread only runs SQL. Valid for the write as
// given: a write that is merged with the stored version (RecordWrite::merge)
// gets digest, commitment and seal again from the merged text inside the
// transaction (its identifiers are the write's either way).
struct PreparedRecord {
  crypto::Sha256Digest digest{};    // keys.content_digest(resource_json)
  crypto::Commitment commitment{};  // crypto::commit(resource_json): fresh salt
  // resource_json sealed for version 1: most writes are of resources the
  // store has not seen yet (new encounters, observations, patients). A write
  // that turns out to be a later version is sealed again for that version
  // (the associated data binds the version, known only in the transaction).
  std::string sealed_first;
  // Index keys of r.identifiers: for each, the system's and the any-system
  // key (StoreKeys::index_key). An identifier whose value is the resource's
  // own id has none: its index_key(system, value) is in self_keys instead
  // (index_rows.h), and it gets no record_identifiers rows.
  std::vector<std::string> identifier_keys;
  std::vector<std::string> self_keys;
  // What it was made for (matches()).
  std::string resource_type, resource_id;
  size_t json_bytes = 0;
  // Only `digest` was computed: the head of the resource was recently
  // committed with the same digest (HeadDigests), so the write will most
  // likely be unchanged and store nothing. When it is not, the committer
  // does the rest of the work itself.
  bool digest_only = false;
};
// With `recent`, a record whose digest it holds for its resource gets only
// its digest (digest_only).
PreparedRecord prepare_record(const crypto::StoreKeys& keys, const RecordWrite& r,
                              HeadDigests* recent);
std::vector<PreparedRecord> prepare_records(const crypto::StoreKeys& keys,
                                            const std::vector<RecordWrite>& records,
                                            HeadDigests* recent = nullptr);
// Whether `prepared` was made for `records` as they are now: same count, and
// the same type, id and resource_json length for each (a cheap guard
// against a caller that changed records after preparing them).
bool matches(const std::vector<PreparedRecord>& prepared, const std::vector<RecordWrite>& records);

}  // namespace gw::store::internal

namespace gw::store {
struct PreparedRecords {
  // The keys it was made with: submit() uses it only with its own (a seal
  // under other keys would store a record nobody can open).
  const crypto::StoreKeys* keys = nullptr;
  std::vector<internal::PreparedRecord> records;  // one per InboundMessage::records
};
}  // namespace gw::store

namespace gw::store::internal {

// Writes records inside the committer's open transaction. Committer thread only.
class RecordWriter {
 public:
  // Returned by apply() when an expected_version does not hold.
  static constexpr int kConflict = -1;

  // `recent` (may be null) learns each head's digest once its transaction
  // has committed (publish_committed()).
  RecordWriter(std::shared_ptr<const crypto::StoreKeys> keys, HeadDigests* recent)
      : keys_(std::move(keys)), recent_(recent) {}
  int prepare(sqlite3* db);  // SQLITE_OK or an error code
  // Writes `records` for message `message_id`; prepared[i] is
  // prepare_records()'s result for records[i]. Returns SQLITE_OK, kConflict
  // (then *conflict_index names the record and the caller rolls back to its
  // savepoint) or an SQLite error code.
  int apply(int64_t message_id, int64_t now_ms, const std::vector<RecordWrite>& records,
            const std::vector<PreparedRecord>& prepared, std::vector<RecordVersion>* versions,
            size_t* conflict_index);
  // After the transaction of the apply() calls since the last of these two
  // calls committed: tells `recent` the heads' digests. After it rolled
  // back: forgets them.
  void publish_committed();
  void discard_uncommitted();

 private:
  int write_one(int64_t message_id, int64_t now_ms, const RecordWrite& r,
                const PreparedRecord& prepared, RecordVersion* out, bool* conflict);
  // r.resource_json merged (r.merge) with version `latest` of the record,
  // into *merged. SQLITE_CORRUPT when that version does not open or parse:
  // the transaction fails and the sender retries, as for an ack that does
  // not open; a partial write is never stored over a version it could not
  // read, which would lose what that version holds.
  int merge_with_latest(const RecordWrite& r, int64_t latest, int64_t latest_seq,
                        std::string* merged);

  // Replaces the previous version's index rows (none for a new resource)
  // with the new version's.
  int replace_index_rows(const RecordWrite& r, const IndexRows& previous, const IndexRows& rows);

  std::shared_ptr<const crypto::StoreKeys> keys_;
  HeadDigests* recent_;
  struct Head {
    std::string type, id;
    crypto::Sha256Digest digest;
  };
  std::vector<Head> uncommitted_;  // heads written (or found unchanged) since the last commit
  sqlite3* db_ = nullptr;          // the committer's write connection
  Statement head_, latest_resource_, insert_, upsert_head_, delete_id_, insert_id_, delete_token_,
      insert_token_, delete_patient_, insert_patient_;
};

// Record reads on a read-only connection of its own, guarded by a mutex.
class RecordReader {
 public:
  explicit RecordReader(std::shared_ptr<const crypto::StoreKeys> keys) : keys_(std::move(keys)) {}
  Status open(const std::string& path, int busy_timeout_ms);
  // Return false on a read error (the caller counts it). read(): version 0
  // is the latest.
  bool read(std::string_view type, std::string_view id, int64_t version,
            std::optional<StoredRecord>* out);
  bool find(std::string_view type, const std::optional<std::string>& system, std::string_view value,
            size_t limit, std::vector<StoredRecord>* out);
  bool list(const RecordQuery& q, std::vector<StoredRecord>* out);
  bool count(int64_t* out);
  bool patients_with_token(std::string_view token, std::vector<std::string>* out);
  bool compartment(std::string_view patient_id, size_t limit, std::vector<StoredRecord>* out);

 private:
  bool collect(Statement& s, std::vector<StoredRecord>* out);
  bool read_row(Statement& s, StoredRecord* r);
  // Steps `s` (bound) for at most one row into *out.
  bool read_one(Statement& s, std::optional<StoredRecord>* out);
  // The latest version of (type, value) when its head holds `self_key`
  // (any self key for nullopt) among its self keys (index_rows.h).
  bool find_self(std::string_view type, std::string_view value,
                 const std::optional<std::string>& self_key, std::optional<StoredRecord>* out);

  std::shared_ptr<const crypto::StoreKeys> keys_;
  std::mutex mu_;
  Connection db_;
  Statement latest_, head_rows_, head_seq_, step_back_, by_seq_, version_, find_, list_,
      list_by_message_, count_, token_patients_, compartment_;
};

}  // namespace gw::store::internal
