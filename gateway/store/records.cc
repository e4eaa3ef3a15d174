#include "gateway/store/records.h"

#include <algorithm>
#include <limits>

#include "gateway/crypto/sha256.h"
#include "gateway/store/compartment.h"
#include "gateway/store/index_rows.h"
#include "gateway/store/record_merge.h"

namespace gw::store::internal {
namespace {

constexpr char kHead[] =
    "SELECT version, content_sha256, updated_at_ms, index_rows, seq FROM record_heads "
    "WHERE resource_type = ?1 AND resource_id = ?2";
// By the head's seq: a store created from schema 7 on has no index on
// (type, id, version) (schema.cc).
constexpr char kLatestResource[] = "SELECT resource FROM records WHERE seq = ?1";
// prev_seq: the seq of the version this one follows (NULL for version 1).
constexpr char kInsert[] =
    "INSERT INTO records (resource_type, resource_id, version, message_id, updated_at_ms, "
    "content_sha256, resource, commit_salt, commitment, prev_seq) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";
constexpr char kUpsertHead[] =
    "INSERT INTO record_heads (resource_type, resource_id, version, seq, content_sha256, "
    "updated_at_ms, index_rows) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
    "ON CONFLICT (resource_type, resource_id) DO "
    "UPDATE SET version = excluded.version, seq = excluded.seq, "
    "content_sha256 = excluded.content_sha256, updated_at_ms = excluded.updated_at_ms, "
    "index_rows = excluded.index_rows";
// Index rows are deleted by their primary keys (index_rows.h).
constexpr char kDeleteId[] =
    "DELETE FROM record_identifiers WHERE resource_type = ?1 AND key = ?2 AND resource_id = ?3";
constexpr char kInsertId[] =
    "INSERT OR IGNORE INTO record_identifiers (resource_type, key, resource_id) "
    "VALUES (?1, ?2, ?3)";
constexpr char kDeleteToken[] = "DELETE FROM patient_tokens WHERE token = ?1 AND resource_id = ?2";
constexpr char kInsertToken[] =
    "INSERT OR IGNORE INTO patient_tokens (token, resource_id) VALUES (?1, ?2)";

constexpr char kDeletePatient[] =
    "DELETE FROM record_patients WHERE patient_id = ?1 AND resource_type = ?2 AND "
    "resource_id = ?3";
constexpr char kInsertPatient[] =
    "INSERT OR IGNORE INTO record_patients (patient_id, resource_type, resource_id) "
    "VALUES (?1, ?2, ?3)";

constexpr char kColumns[] =
    "r.seq, r.resource_type, r.resource_id, r.version, r.updated_at_ms, r.message_id, r.resource, "
    "r.commit_salt, r.commitment";
const std::string kLatest = std::string("SELECT ") + kColumns +
                            " FROM record_heads h JOIN records r ON r.seq = h.seq "
                            "WHERE h.resource_type = ?1 AND h.resource_id = ?2";
// An older version is found by walking back from the head through
// prev_seq (kHeadSeq, kStepBack, then kBySeq). Versions written before
// schema 7 have no prev_seq; their stores kept the UNIQUE (type, id,
// version) index, which kVersion uses.
constexpr char kHeadRows[] =
    "SELECT index_rows FROM record_heads WHERE resource_type = ?1 AND resource_id = ?2";
constexpr char kHeadSeq[] =
    "SELECT version, seq FROM record_heads WHERE resource_type = ?1 AND resource_id = ?2";
constexpr char kStepBack[] =
    "SELECT c.prev_seq, p.version, p.resource_type, p.resource_id FROM records c "
    "LEFT JOIN records p ON p.seq = c.prev_seq WHERE c.seq = ?1";
const std::string kBySeq = std::string("SELECT ") + kColumns + " FROM records r WHERE r.seq = ?1";
const std::string kVersion = std::string("SELECT ") + kColumns +
                             " FROM records r WHERE r.resource_type = ?1 AND r.resource_id = ?2 "
                             "AND r.version = ?3";
const std::string kFind =
    std::string("SELECT ") + kColumns +
    " FROM record_identifiers i JOIN record_heads h "
    "ON h.resource_type = i.resource_type AND h.resource_id = i.resource_id "
    "JOIN records r ON r.seq = h.seq "
    "WHERE i.resource_type = ?1 AND i.key IN (?2, ?4) ORDER BY h.resource_id LIMIT ?3";
const std::string kList = std::string("SELECT ") + kColumns +
                          " FROM records r WHERE r.seq > ?1 AND r.updated_at_ms >= ?2 "
                          "AND r.updated_at_ms < ?3 ORDER BY r.seq LIMIT ?4";
const std::string kListByMessage = std::string("SELECT ") + kColumns +
                                   " FROM records r WHERE r.seq > ?1 AND r.updated_at_ms >= ?2 "
                                   "AND r.updated_at_ms < ?3 AND r.message_id = ?5 "
                                   "ORDER BY r.seq LIMIT ?4";
constexpr char kCount[] = "SELECT count(*) FROM records";
constexpr char kTokenPatients[] =
    "SELECT resource_id FROM patient_tokens WHERE token = ?1 ORDER BY resource_id";
const std::string kCompartment = std::string("SELECT ") + kColumns +
                                 " FROM record_patients p JOIN record_heads h "
                                 "ON h.resource_type = p.resource_type AND "
                                 "h.resource_id = p.resource_id "
                                 "JOIN records r ON r.seq = h.seq WHERE p.patient_id = ?1 "
                                 "ORDER BY p.resource_type, p.resource_id LIMIT ?2";

std::string_view as_bytes(const crypto::Sha256Digest& d) {
  return std::string_view(reinterpret_cast<const char*>(d.data()), d.size());
}

// The key of an identifier's system row (schema 6 on): the first bytes of
// its any-system key, then its system key. The two rows of one identifier
// then sort next to each other and share a b-tree leaf: one random leaf
// dirtied per identifier instead of two. It tells nothing the rows did not:
// both already name the same resource. Rows written before schema 6 hold
// the bare system key, and find() looks for both forms (a resource has rows
// of one form only: its next version replaces them).
constexpr size_t kSystemRowPrefixBytes = 8;
std::string system_row_key(std::string_view any_key, std::string_view system_key) {
  std::string key(any_key.substr(0, kSystemRowPrefixBytes));
  key.append(system_key);
  return key;
}

int64_t clamp_limit(size_t limit) {
  return static_cast<int64_t>(
      std::min<uint64_t>(limit, static_cast<uint64_t>(std::numeric_limits<int64_t>::max())));
}

// One read transaction around a read made of several statements, so that
// they all see one snapshot: without it a commit between two of them could
// show a neighbouring version (walking back through prev_seq) or a head
// that no longer holds the identifier (find's self lookup). Statements must
// be reset before it ends (ScopedReset objects declared after it are).
class ReadSnapshot {
 public:
  explicit ReadSnapshot(sqlite3* db)
      : db_(db), open_(sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr) == SQLITE_OK) {}
  ~ReadSnapshot() {
    if (open_) sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr);
  }
  ReadSnapshot(const ReadSnapshot&) = delete;
  ReadSnapshot& operator=(const ReadSnapshot&) = delete;
  bool open() const { return open_; }

 private:
  sqlite3* db_;
  bool open_;
};

}  // namespace

int RecordWriter::prepare(sqlite3* db) {
  db_ = db;
  const std::pair<Statement*, const char*> statements[] = {
      {&head_, kHead},
      {&latest_resource_, kLatestResource},
      {&insert_, kInsert},
      {&upsert_head_, kUpsertHead},
      {&delete_id_, kDeleteId},
      {&insert_id_, kInsertId},
      {&delete_token_, kDeleteToken},
      {&insert_token_, kInsertToken},
      {&delete_patient_, kDeletePatient},
      {&insert_patient_, kInsertPatient},
  };
  for (const auto& [stmt, sql] : statements) {
    const int rc = stmt->prepare(db, sql);
    if (rc != SQLITE_OK) return rc;
  }
  return SQLITE_OK;
}

PreparedRecord prepare_record(const crypto::StoreKeys& keys, const RecordWrite& r,
                              HeadDigests* recent) {
  PreparedRecord out;
  out.digest = keys.content_digest(r.resource_json);
  out.resource_type = r.resource_type;
  out.resource_id = r.resource_id;
  out.json_bytes = r.resource_json.size();
  if (recent != nullptr && recent->holds(r.resource_type, r.resource_id, out.digest)) {
    out.digest_only = true;
    return out;
  }
  out.commitment = crypto::commit(r.resource_json);
  for (const auto& [system, value] : r.identifiers) {
    if (value.empty()) continue;
    if (value == r.resource_id) {
      std::string self = keys.index_key(system, value);
      if (std::find(out.self_keys.begin(), out.self_keys.end(), self) == out.self_keys.end()) {
        out.self_keys.push_back(std::move(self));
      }
      continue;
    }
    std::string any = keys.index_key(std::nullopt, value);
    out.identifier_keys.push_back(system_row_key(any, keys.index_key(system, value)));
    out.identifier_keys.push_back(std::move(any));
  }
  out.sealed_first =
      keys.seal(r.resource_json, crypto::record_associated_data(r.resource_type, r.resource_id, 1));
  return out;
}

std::vector<PreparedRecord> prepare_records(const crypto::StoreKeys& keys,
                                            const std::vector<RecordWrite>& records,
                                            HeadDigests* recent) {
  std::vector<PreparedRecord> out;
  out.reserve(records.size());
  for (const RecordWrite& r : records) out.push_back(prepare_record(keys, r, recent));
  return out;
}

bool matches(const std::vector<PreparedRecord>& prepared, const std::vector<RecordWrite>& records) {
  if (prepared.size() != records.size()) return false;
  for (size_t i = 0; i < records.size(); ++i) {
    if (prepared[i].resource_type != records[i].resource_type ||
        prepared[i].resource_id != records[i].resource_id ||
        prepared[i].json_bytes != records[i].resource_json.size()) {
      return false;
    }
  }
  return true;
}

int RecordWriter::apply(int64_t message_id, int64_t now_ms, const std::vector<RecordWrite>& records,
                        const std::vector<PreparedRecord>& prepared,
                        std::vector<RecordVersion>* versions, size_t* conflict_index) {
  if (!matches(prepared, records)) return SQLITE_MISUSE;
  versions->assign(records.size(), RecordVersion{});
  // On a conflict the caller rolls this submission back: so are its heads.
  const size_t heads_before = uncommitted_.size();
  for (size_t i = 0; i < records.size(); ++i) {
    bool conflict = false;
    const int rc =
        write_one(message_id, now_ms, records[i], prepared[i], &(*versions)[i], &conflict);
    if (rc != SQLITE_OK) return rc;
    if (conflict) {
      uncommitted_.resize(heads_before);
      *conflict_index = i;
      return kConflict;
    }
  }
  return SQLITE_OK;
}

void RecordWriter::publish_committed() {
  if (recent_ != nullptr) {
    for (const Head& h : uncommitted_) recent_->put(h.type, h.id, h.digest);
  }
  uncommitted_.clear();
}

void RecordWriter::discard_uncommitted() { uncommitted_.clear(); }

int RecordWriter::merge_with_latest(const RecordWrite& r, int64_t latest, int64_t latest_seq,
                                    std::string* merged) {
  ScopedReset reset(latest_resource_);
  const int rc = latest_resource_.bind_int64(1, latest_seq).step();
  if (rc == SQLITE_DONE) return SQLITE_CORRUPT;  // a head without its version
  if (rc != SQLITE_ROW) return rc;
  // Opened as the REST read path opens it (RecordReader::read_row); the
  // associated data binds type, id and version, so a seq naming another row
  // does not open.
  auto stored = keys_->open(latest_resource_.column_blob_view(0),
                            crypto::record_associated_data(r.resource_type, r.resource_id, latest));
  if (!stored.ok()) return SQLITE_CORRUPT;
  auto result = merge_record(stored.value(), r.resource_json, r.merge);
  if (!result.ok()) return SQLITE_CORRUPT;
  *merged = std::move(result).value();
  return SQLITE_OK;
}

int RecordWriter::write_one(int64_t message_id, int64_t now_ms, const RecordWrite& r,
                            const PreparedRecord& prepared, RecordVersion* out, bool* conflict) {
  int64_t latest = 0, latest_seq = 0;
  std::string head_digest, head_rows;
  int64_t head_updated_at_ms = 0;
  {
    ScopedReset reset(head_);
    const int rc = head_.bind_text(1, r.resource_type).bind_text(2, r.resource_id).step();
    if (rc == SQLITE_ROW) {
      latest = head_.column_int64(0);
      head_digest = std::string(head_.column_blob_view(1));
      head_updated_at_ms = head_.column_int64(2);
      head_rows = std::string(head_.column_blob_view(3));
      latest_seq = head_.column_int64(4);
    } else if (rc != SQLITE_DONE) {
      return rc;
    }
  }
  // A partial write becomes the latest version updated with what it says;
  // a write identical to the latest version is that version whatever its
  // rules (a replayed or repeated message: no read, no merge).
  crypto::Sha256Digest digest = prepared.digest;
  std::string merged;
  if (latest > 0 && (!r.merge.empty() || r.merge.keep_stored_labels) &&
      head_digest != as_bytes(digest)) {
    const int rc = merge_with_latest(r, latest, latest_seq, &merged);
    if (rc != SQLITE_OK) return rc;
    if (!merged.empty()) digest = keys_->content_digest(merged);
  }
  const std::string& resource_json = merged.empty() ? r.resource_json : merged;
  if (latest > 0 && head_digest == as_bytes(digest) &&
      (!r.expected_version.has_value() || *r.expected_version == latest)) {
    uncommitted_.push_back(Head{r.resource_type, r.resource_id, digest});
    out->version = latest;
    out->updated_at_ms = head_updated_at_ms;
    out->changed = false;
    return SQLITE_OK;
  }
  if (r.expected_version.has_value() && *r.expected_version != latest) {
    *conflict = true;
    return SQLITE_OK;
  }
  const int64_t version = latest + 1;
  // A write prepared as unchanged that is not (the head changed since, or
  // it was never committed): the work prepare_records() skipped, done here.
  PreparedRecord completed;
  if (prepared.digest_only) completed = prepare_record(*keys_, r, nullptr);
  const PreparedRecord& work = prepared.digest_only ? completed : prepared;
  // What submit() prepared holds for r.resource_json as version 1 only.
  std::string resealed;
  if (!merged.empty() || version != 1) {
    resealed = keys_->seal(resource_json,
                           crypto::record_associated_data(r.resource_type, r.resource_id, version));
  }
  const std::string& sealed = resealed.empty() ? work.sealed_first : resealed;
  const crypto::Commitment commitment =
      merged.empty() ? work.commitment : crypto::commit(resource_json);
  int rc;
  {
    ScopedReset reset(insert_);
    insert_.bind_text(1, r.resource_type)
        .bind_text(2, r.resource_id)
        .bind_int64(3, version)
        .bind_int64(4, message_id)
        .bind_int64(5, now_ms)
        .bind_blob(6, as_bytes(digest))
        .bind_blob(7, sealed)
        .bind_blob(8, std::string_view(reinterpret_cast<const char*>(commitment.salt.data()),
                                       commitment.salt.size()))
        .bind_blob(9, std::string_view(reinterpret_cast<const char*>(commitment.digest.data()),
                                       commitment.digest.size()));
    if (latest > 0) insert_.bind_int64(10, latest_seq);  // else NULL: version 1
    rc = insert_.step();
    if (rc != SQLITE_DONE) return rc;
  }
  const int64_t seq = sqlite3_last_insert_rowid(db_);
  // The rows the new version owns in the indexes. A merged write's
  // compartment is the merged resource's, which the writer could not know
  // (labels alone do not change it). A Patient's tokens are the ones the
  // pipeline's tokenize step computed: how the ledger and the other members
  // name this patient.
  IndexRows rows;
  rows.identifier_keys = work.identifier_keys;
  rows.self_keys = work.self_keys;
  rows.patients = r.patients.has_value() && r.merge.empty()
                      ? *r.patients
                      : patient_compartment_ids(r.resource_type, r.resource_id, resource_json);
  if (r.resource_type == "Patient") rows.tokens = r.patient_tokens;
  std::string encoded_rows;
  if (!encode_index_rows(rows, &encoded_rows)) return SQLITE_TOOBIG;
  {
    ScopedReset reset(upsert_head_);
    rc = upsert_head_.bind_text(1, r.resource_type)
             .bind_text(2, r.resource_id)
             .bind_int64(3, version)
             .bind_int64(4, seq)
             .bind_blob(5, as_bytes(digest))
             .bind_int64(6, now_ms)
             .bind_blob(7, encoded_rows)
             .step();
    if (rc != SQLITE_DONE) return rc;
  }
  IndexRows previous;
  // The previous version's rows: written by this writer (or the schema 6
  // migration), so a blob that does not decode is damage, as is a version
  // that does not open.
  if (latest > 0 && !decode_index_rows(head_rows, &previous)) return SQLITE_CORRUPT;
  rc = replace_index_rows(r, previous, rows);
  if (rc != SQLITE_OK) return rc;
  uncommitted_.push_back(Head{r.resource_type, r.resource_id, digest});
  out->version = version;
  out->updated_at_ms = now_ms;
  out->changed = true;
  return SQLITE_OK;
}

namespace {

bool contains(const std::vector<std::string>& values, const std::string& v) {
  return std::find(values.begin(), values.end(), v) != values.end();
}

}  // namespace

int RecordWriter::replace_index_rows(const RecordWrite& r, const IndexRows& previous,
                                     const IndexRows& rows) {
  // Rows that stay are neither deleted nor inserted again (INSERT OR IGNORE
  // only reads their leaf): an update that keeps its identifiers and patient
  // dirties no index page for them.
  int rc;
  for (const std::string& key : previous.identifier_keys) {
    if (contains(rows.identifier_keys, key)) continue;
    ScopedReset reset(delete_id_);
    rc = delete_id_.bind_text(1, r.resource_type)
             .bind_blob(2, key)
             .bind_text(3, r.resource_id)
             .step();
    if (rc != SQLITE_DONE) return rc;
  }
  for (const std::string& patient : previous.patients) {
    if (contains(rows.patients, patient)) continue;
    ScopedReset reset(delete_patient_);
    rc = delete_patient_.bind_text(1, patient)
             .bind_text(2, r.resource_type)
             .bind_text(3, r.resource_id)
             .step();
    if (rc != SQLITE_DONE) return rc;
  }
  for (const std::string& token : previous.tokens) {
    if (contains(rows.tokens, token)) continue;
    ScopedReset reset(delete_token_);
    rc = delete_token_.bind_text(1, token).bind_text(2, r.resource_id).step();
    if (rc != SQLITE_DONE) return rc;
  }
  for (const std::string& key : rows.identifier_keys) {
    if (contains(previous.identifier_keys, key)) continue;
    ScopedReset reset(insert_id_);
    rc = insert_id_.bind_text(1, r.resource_type)
             .bind_blob(2, key)
             .bind_text(3, r.resource_id)
             .step();
    if (rc != SQLITE_DONE) return rc;
  }
  for (const std::string& patient : rows.patients) {
    if (contains(previous.patients, patient)) continue;
    ScopedReset reset(insert_patient_);
    rc = insert_patient_.bind_text(1, patient)
             .bind_text(2, r.resource_type)
             .bind_text(3, r.resource_id)
             .step();
    if (rc != SQLITE_DONE) return rc;
  }
  for (const std::string& token : rows.tokens) {
    if (contains(previous.tokens, token)) continue;
    ScopedReset reset(insert_token_);
    rc = insert_token_.bind_text(1, token).bind_text(2, r.resource_id).step();
    if (rc != SQLITE_DONE) return rc;
  }
  return SQLITE_OK;
}

bool RecordReader::read_row(Statement& s, StoredRecord* out) {
  StoredRecord& r = *out;
  r.seq = s.column_int64(0);
  r.resource_type = s.column_text(1);
  r.resource_id = s.column_text(2);
  r.version = s.column_int64(3);
  r.updated_at_ms = s.column_int64(4);
  r.message_id = s.column_int64(5);
  auto plain = keys_->open(s.column_blob_view(6), crypto::record_associated_data(
                                                      r.resource_type, r.resource_id, r.version));
  if (!plain.ok()) return false;  // wrong key or altered row: a read error, never ciphertext
  r.resource_json = std::move(plain).value();
  // Versions written before commitments existed (schema 1-2) have none: zeros.
  const std::string_view salt = s.column_blob_view(7), commitment = s.column_blob_view(8);
  if (salt.size() == r.commit_salt.size())
    std::copy(salt.begin(), salt.end(), r.commit_salt.begin());
  if (commitment.size() == r.commitment.size()) {
    std::copy(commitment.begin(), commitment.end(), r.commitment.begin());
  }
  return true;
}

bool RecordReader::collect(Statement& s, std::vector<StoredRecord>* out) {
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) {
    StoredRecord r;
    if (!read_row(s, &r)) {
      out->clear();
      return false;
    }
    out->push_back(std::move(r));
  }
  if (rc != SQLITE_DONE) {
    out->clear();
    return false;
  }
  return true;
}

Status RecordReader::open(const std::string& path, int busy_timeout_ms) {
  GW_RETURN_IF_ERROR(db_.open(path, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX)
                         .with_context("record read connection"));
  sqlite3_busy_timeout(db_.get(), busy_timeout_ms);
  const std::pair<Statement*, const std::string*> statements[] = {
      {&latest_, &kLatest},
      {&version_, &kVersion},
      {&by_seq_, &kBySeq},
      {&find_, &kFind},
      {&list_, &kList},
      {&list_by_message_, &kListByMessage},
      {&compartment_, &kCompartment},
  };
  for (const auto& [stmt, sql] : statements) {
    const int rc = stmt->prepare(db_.get(), *sql);
    if (rc != SQLITE_OK) {
      return sqlite::error_status(db_.get(), rc, "record read connection: preparing a query");
    }
  }
  int rc = count_.prepare(db_.get(), kCount);
  if (rc == SQLITE_OK) rc = token_patients_.prepare(db_.get(), kTokenPatients);
  if (rc == SQLITE_OK) rc = head_rows_.prepare(db_.get(), kHeadRows);
  if (rc == SQLITE_OK) rc = head_seq_.prepare(db_.get(), kHeadSeq);
  if (rc == SQLITE_OK) rc = step_back_.prepare(db_.get(), kStepBack);
  if (rc != SQLITE_OK) {
    return sqlite::error_status(db_.get(), rc, "record read connection: preparing a query");
  }
  return ok_status();
}

bool RecordReader::read(std::string_view type, std::string_view id, int64_t version,
                        std::optional<StoredRecord>* out) {
  std::lock_guard<std::mutex> lock(mu_);
  out->reset();
  if (version < 0) return true;
  if (version == 0) {
    ScopedReset reset(latest_);
    return read_one(latest_.bind_text(1, type).bind_text(2, id), out);
  }
  const ReadSnapshot snapshot(db_.get());
  if (!snapshot.open()) return false;
  int64_t seq = 0, at = 0;
  {
    ScopedReset reset(head_seq_);
    const int rc = head_seq_.bind_text(1, type).bind_text(2, id).step();
    if (rc != SQLITE_ROW) return rc == SQLITE_DONE;
    at = head_seq_.column_int64(0);
    seq = head_seq_.column_int64(1);
  }
  while (at > version) {
    ScopedReset reset(step_back_);
    const int rc = step_back_.bind_int64(1, seq).step();
    if (rc != SQLITE_ROW) return false;  // a head naming no row, or a read error
    if (step_back_.column_is_null(0)) {
      // A version written before schema 7: its store has the index.
      ScopedReset reset_version(version_);
      return read_one(version_.bind_text(1, type).bind_text(2, id).bind_int64(3, version), out);
    }
    // The previous version must be an earlier one of the same resource;
    // anything else is damage, refused rather than followed (or looped on).
    const int64_t previous = step_back_.column_int64(1);
    if (step_back_.column_is_null(1) || previous >= at || step_back_.column_text(2) != type ||
        step_back_.column_text(3) != id) {
      return false;
    }
    seq = step_back_.column_int64(0);
    at = previous;
  }
  if (at != version) return true;  // no such version
  ScopedReset reset(by_seq_);
  return read_one(by_seq_.bind_int64(1, seq), out);
}

bool RecordReader::read_one(Statement& s, std::optional<StoredRecord>* out) {
  const int rc = s.step();
  if (rc == SQLITE_ROW) {
    StoredRecord r;
    if (!read_row(s, &r)) return false;
    *out = std::move(r);
    return true;
  }
  return rc == SQLITE_DONE;
}

bool RecordReader::find(std::string_view type, const std::optional<std::string>& system,
                        std::string_view value, size_t limit, std::vector<StoredRecord>* out) {
  out->clear();
  if (limit == 0) return true;
  const std::string key = keys_->index_key(system, value);
  // With a system: the current row form and the pre-schema-6 one.
  const std::string current =
      system.has_value() ? system_row_key(keys_->index_key(std::nullopt, value), key) : key;
  std::lock_guard<std::mutex> lock(mu_);
  const ReadSnapshot snapshot(db_.get());
  if (!snapshot.open()) return false;
  {
    ScopedReset reset(find_);
    find_.bind_text(1, type)
        .bind_blob(2, current)
        .bind_int64(3, clamp_limit(limit))
        .bind_blob(4, key);
    if (!collect(find_, out)) return false;
  }
  // The resource whose own id is `value`, if it holds the identifier as a
  // self key: merged into the id order the query gives, within `limit`.
  // (A resource has rows of one kind only: a version written before self
  // keys existed has record_identifiers rows, and its next version
  // replaces them.)
  std::optional<StoredRecord> self;
  if (!find_self(type, value, system.has_value() ? std::optional<std::string>(key) : std::nullopt,
                 &self)) {
    out->clear();
    return false;
  }
  if (!self.has_value()) return true;
  const auto at = std::lower_bound(
      out->begin(), out->end(), self->resource_id,
      [](const StoredRecord& r, const std::string& id) { return r.resource_id < id; });
  if (at != out->end() && at->resource_id == self->resource_id) return true;
  out->insert(at, std::move(*self));
  if (out->size() > limit) out->pop_back();
  return true;
}

bool RecordReader::find_self(std::string_view type, std::string_view value,
                             const std::optional<std::string>& self_key,
                             std::optional<StoredRecord>* out) {
  IndexRows rows;
  {
    ScopedReset reset(head_rows_);
    const int rc = head_rows_.bind_text(1, type).bind_text(2, value).step();
    if (rc != SQLITE_ROW) return rc == SQLITE_DONE;
    if (!decode_index_rows(head_rows_.column_blob_view(0), &rows)) return false;
  }
  // Without a system any self key matches: each is an identifier whose
  // value is this resource's id, i.e. `value`.
  const bool held = self_key.has_value() ? std::find(rows.self_keys.begin(), rows.self_keys.end(),
                                                     *self_key) != rows.self_keys.end()
                                         : !rows.self_keys.empty();
  if (!held) return true;
  ScopedReset reset(latest_);
  return read_one(latest_.bind_text(1, type).bind_text(2, value), out);
}

bool RecordReader::list(const RecordQuery& q, std::vector<StoredRecord>* out) {
  out->clear();
  if (q.limit == 0) return true;
  std::lock_guard<std::mutex> lock(mu_);
  Statement& s = q.message_id.has_value() ? list_by_message_ : list_;
  ScopedReset reset(s);
  s.bind_int64(1, q.after_seq)
      .bind_int64(2, q.since_ms)
      .bind_int64(3, q.until_ms)
      .bind_int64(4, clamp_limit(q.limit));
  if (q.message_id.has_value()) s.bind_int64(5, *q.message_id);
  return collect(s, out);
}

bool RecordReader::count(int64_t* out) {
  std::lock_guard<std::mutex> lock(mu_);
  ScopedReset reset(count_);
  if (count_.step() != SQLITE_ROW) return false;
  *out = count_.column_int64(0);
  return true;
}

bool RecordReader::patients_with_token(std::string_view token, std::vector<std::string>* out) {
  out->clear();
  std::lock_guard<std::mutex> lock(mu_);
  ScopedReset reset(token_patients_);
  token_patients_.bind_text(1, token);
  int rc;
  while ((rc = token_patients_.step()) == SQLITE_ROW)
    out->emplace_back(token_patients_.column_text(0));
  if (rc != SQLITE_DONE) out->clear();
  return rc == SQLITE_DONE;
}

bool RecordReader::compartment(std::string_view patient_id, size_t limit,
                               std::vector<StoredRecord>* out) {
  out->clear();
  if (limit == 0) return true;
  std::lock_guard<std::mutex> lock(mu_);
  ScopedReset reset(compartment_);
  compartment_.bind_text(1, patient_id).bind_int64(2, clamp_limit(limit));
  return collect(compartment_, out);
}

}  // namespace gw::store::internal
