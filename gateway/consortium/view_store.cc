#include "gateway/consortium/view_store.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>

#include "gateway/base/sqlite.h"

namespace gw::consortium {
namespace {

using sqlite::Statement;
namespace cs = ledger::consortium;

constexpr int64_t kApplicationId = 0x47574356;  // "GWCV"
constexpr int64_t kSchemaVersion = 1;

// Version 1. Blobs are raw bytes (accounts 20, hashes and uint256 32);
// uint64 bitmasks are stored as their int64 bit pattern. Only HMAC patient
// tokens, accounts, codes and hashes: no PHI.
constexpr const char* kSchema = R"sql(
CREATE TABLE meta (
  id               INTEGER PRIMARY KEY CHECK (id = 1),
  chain_id         INTEGER NOT NULL,
  registry         BLOB    NOT NULL,
  consents         BLOB    NOT NULL,
  transfer_log     BLOB    NOT NULL,
  account          BLOB    NOT NULL,
  deployment_block INTEGER NOT NULL,
  cursor_block     INTEGER,            -- NULL: nothing applied yet
  cursor_hash      BLOB,
  policy           BLOB    NOT NULL,
  quorum           INTEGER NOT NULL
);
CREATE TABLE members (
  account          BLOB PRIMARY KEY,
  org_id           TEXT    NOT NULL,
  name             TEXT    NOT NULL,
  encryption_key   BLOB    NOT NULL,
  tls_fingerprint  BLOB    NOT NULL,
  signing_key_hash BLOB    NOT NULL,
  accreditation    TEXT    NOT NULL,
  status           INTEGER NOT NULL,
  changed_block    INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE patients (
  token            BLOB PRIMARY KEY,
  custodian        BLOB    NOT NULL,
  patient_key      BLOB    NOT NULL,
  denied_purposes  INTEGER NOT NULL,
  changed_block    INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE grants (
  consent_key      BLOB PRIMARY KEY,
  token            BLOB    NOT NULL,
  grantee          BLOB    NOT NULL,
  purpose          INTEGER NOT NULL,
  categories       INTEGER NOT NULL,
  exclusions       INTEGER NOT NULL,
  valid_from       INTEGER NOT NULL,
  valid_until      INTEGER NOT NULL,
  version          INTEGER NOT NULL,
  flags            INTEGER NOT NULL,
  consent_hash     BLOB    NOT NULL,
  changed_block    INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE transfers (
  kind             TEXT    NOT NULL CHECK (kind IN ('recorded', 'refused')),
  sender           BLOB    NOT NULL,
  transfer_id      BLOB    NOT NULL,
  recipient        BLOB    NOT NULL,
  token            BLOB    NOT NULL,
  commitment       BLOB    NOT NULL,
  purpose          INTEGER NOT NULL,
  flags            INTEGER NOT NULL,
  consent_key      BLOB    NOT NULL,
  consent_version  INTEGER NOT NULL,
  reason           INTEGER NOT NULL,
  block            INTEGER NOT NULL,
  tx_hash          BLOB    NOT NULL,
  log_index        INTEGER NOT NULL,
  PRIMARY KEY (kind, sender, transfer_id)
) WITHOUT ROWID;
)sql";

template <size_t N>
std::span<const uint8_t> span(const std::array<uint8_t, N>& a) {
  return {a.data(), a.size()};
}
// A fixed-size blob column; a wrong length (a damaged file) is refused.
template <size_t N>
bool read_fixed(Statement& s, int col, std::array<uint8_t, N>& out) {
  std::string_view v = s.column_blob_view(col);
  if (v.size() != N) return false;
  std::copy(v.begin(), v.end(), out.begin());
  return true;
}
bool read_uint256(Statement& s, int col, Uint256& out) {
  std::array<uint8_t, 32> b{};
  if (!read_fixed(s, col, b)) return false;
  out = Uint256(b);
  return true;
}

Result<int64_t> query_int(sqlite3* db, const char* sql) {
  Statement s(db, sql);
  if (!s.prepared() || s.step() != SQLITE_ROW)
    return sqlite::error_status(db, sqlite3_extended_errcode(db), sql);
  return s.column_int64(0);
}

}  // namespace

ViewStore::~ViewStore() { sqlite3_close_v2(db_); }

Status ViewStore::exec(const char* sql, const char* context) {
  if (sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) != SQLITE_OK)
    return sqlite::error_status(db_, sqlite3_extended_errcode(db_), context);
  return ok_status();
}

Result<std::unique_ptr<ViewStore>> ViewStore::open(const std::string& path, const ViewIdentity& id,
                                                   bool* reset) {
  *reset = false;
  // Create with 0600 before SQLite does (it would use the umask).
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return unavailable_error("consortium view: cannot create " + path);
  ::close(fd);
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr);
  std::unique_ptr<ViewStore> store(new ViewStore(db));
  if (rc != SQLITE_OK) return sqlite::error_status(db, rc, "consortium view: opening " + path);
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, 5000);
  GW_RETURN_IF_ERROR(store->exec("PRAGMA journal_mode = WAL", "consortium view: WAL"));
  GW_RETURN_IF_ERROR(store->exec("PRAGMA synchronous = FULL", "consortium view: synchronous"));
  GW_RETURN_IF_ERROR(store->exec("BEGIN IMMEDIATE", "consortium view: schema"));
  auto in_tx = [&]() -> Status {
    GW_ASSIGN_OR_RETURN(int64_t version, query_int(db, "PRAGMA user_version"));
    GW_ASSIGN_OR_RETURN(int64_t app_id, query_int(db, "PRAGMA application_id"));
    GW_ASSIGN_OR_RETURN(int64_t objects, query_int(db, "SELECT count(*) FROM sqlite_schema"));
    if (version > kSchemaVersion)
      return failed_precondition_error("consortium view " + path + ": schema version " +
                                       std::to_string(version) + " is newer than this program's");
    if ((version == 0 && objects > 0) || (version > 0 && app_id != kApplicationId))
      return failed_precondition_error("consortium view " + path + ": not a consortium view file");
    if (version == 0) {
      GW_RETURN_IF_ERROR(store->exec(kSchema, "consortium view: creating the schema"));
      // Pragmas take no bound parameters; both values are our constants.
      const std::string ids = "PRAGMA application_id = " + std::to_string(kApplicationId) +
                              "; PRAGMA user_version = " + std::to_string(kSchemaVersion);
      GW_RETURN_IF_ERROR(store->exec(ids.c_str(), "consortium view: schema version"));
    }
    Statement meta(db,
                   "SELECT chain_id, registry, consents, transfer_log, account, deployment_block "
                   "FROM meta WHERE id = 1");
    int step = meta.prepared() ? meta.step() : SQLITE_ERROR;
    if (step != SQLITE_ROW && step != SQLITE_DONE)
      return sqlite::error_status(db, step, "consortium view: reading meta");
    ViewIdentity stored;
    bool same = step == SQLITE_ROW;
    if (same) {
      stored.chain_id = static_cast<uint64_t>(meta.column_int64(0));
      stored.deployment_block = static_cast<uint64_t>(meta.column_int64(5));
      same = read_fixed(meta, 1, stored.scope.registry) &&
             read_fixed(meta, 2, stored.scope.consents) &&
             read_fixed(meta, 3, stored.scope.transfer_log) &&
             read_fixed(meta, 4, stored.scope.self) && stored == id;
    }
    meta.reset();
    if (same) return ok_status();
    *reset = step == SQLITE_ROW;
    GW_RETURN_IF_ERROR(store->exec(
        "DELETE FROM meta; DELETE FROM members; DELETE FROM patients; DELETE FROM grants; "
        "DELETE FROM transfers",
        "consortium view: clearing"));
    Statement ins(db,
                  "INSERT INTO meta (id, chain_id, registry, consents, transfer_log, account, "
                  "deployment_block, policy, quorum) VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, 0)");
    Uint256 zero;
    ins.bind_int64(1, static_cast<int64_t>(id.chain_id))
        .bind_blob(2, span(id.scope.registry))
        .bind_blob(3, span(id.scope.consents))
        .bind_blob(4, span(id.scope.transfer_log))
        .bind_blob(5, span(id.scope.self))
        .bind_int64(6, static_cast<int64_t>(id.deployment_block))
        .bind_blob(7, span(zero.bytes()));
    if (!ins.prepared() || ins.step() != SQLITE_DONE)
      return sqlite::error_status(db, sqlite3_extended_errcode(db), "consortium view: meta");
    return ok_status();
  };
  if (Status s = in_tx(); !s.ok()) {
    sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
    return s;
  }
  GW_RETURN_IF_ERROR(store->exec("COMMIT", "consortium view: schema"));
  return store;
}

Status ViewStore::load(ViewState& state, ViewCursor& cursor) {
  state = ViewState{};
  cursor = ViewCursor{};
  auto damaged = [](const char* table) {
    return data_loss_error(std::string("consortium view: a row of ") + table +
                           " is damaged; delete the file to rebuild it from the chain");
  };
  Statement meta(db_, "SELECT cursor_block, cursor_hash, policy, quorum FROM meta WHERE id = 1");
  if (!meta.prepared() || meta.step() != SQLITE_ROW)
    return sqlite::error_status(db_, sqlite3_extended_errcode(db_), "consortium view: meta");
  if (!meta.column_is_null(0)) {
    cursor.started = true;
    cursor.block = static_cast<uint64_t>(meta.column_int64(0));
    if (!read_fixed(meta, 1, cursor.hash)) return damaged("meta");
  }
  if (!read_uint256(meta, 2, state.policy)) return damaged("meta");
  state.quorum = static_cast<uint8_t>(meta.column_int64(3));

  Statement m(db_,
              "SELECT account, org_id, name, encryption_key, tls_fingerprint, signing_key_hash, "
              "accreditation, status, changed_block FROM members");
  int rc;
  ViewDelta all;  // loaded rows go through merge() to build the indexes
  while ((rc = m.step()) == SQLITE_ROW) {
    MemberEntry e;
    if (!read_fixed(m, 0, e.info.account) || !read_fixed(m, 3, e.info.encryption_key) ||
        !read_fixed(m, 4, e.info.tls_fingerprint) || !read_fixed(m, 5, e.info.signing_key_hash))
      return damaged("members");
    e.info.org_id = m.column_text(1);
    e.info.name = m.column_text(2);
    e.info.accreditation = m.column_text(6);
    e.status = static_cast<cs::MemberStatus>(m.column_int64(7));
    e.changed_block = static_cast<uint64_t>(m.column_int64(8));
    all.members[e.info.account] = std::move(e);
  }
  if (rc != SQLITE_DONE) return sqlite::error_status(db_, rc, "consortium view: members");

  Statement p(db_,
              "SELECT token, custodian, patient_key, denied_purposes, changed_block FROM patients");
  while ((rc = p.step()) == SQLITE_ROW) {
    Hash256 token;
    PatientEntry e;
    if (!read_fixed(p, 0, token) || !read_fixed(p, 1, e.custodian) ||
        !read_fixed(p, 2, e.patient_key))
      return damaged("patients");
    e.denied_purposes = static_cast<uint32_t>(p.column_int64(3));
    e.changed_block = static_cast<uint64_t>(p.column_int64(4));
    all.patients[token] = e;
  }
  if (rc != SQLITE_DONE) return sqlite::error_status(db_, rc, "consortium view: patients");

  Statement g(db_,
              "SELECT consent_key, token, grantee, purpose, categories, exclusions, valid_from, "
              "valid_until, version, flags, consent_hash, changed_block FROM grants");
  while ((rc = g.step()) == SQLITE_ROW) {
    GrantEntry e;
    if (!read_fixed(g, 0, e.consent_key) || !read_fixed(g, 1, e.patient_token) ||
        !read_fixed(g, 2, e.grantee) || !read_fixed(g, 10, e.consent_hash))
      return damaged("grants");
    e.purpose = static_cast<uint8_t>(g.column_int64(3));
    e.categories = static_cast<uint64_t>(g.column_int64(4));
    e.exclusions = static_cast<uint64_t>(g.column_int64(5));
    e.valid_from = static_cast<uint64_t>(g.column_int64(6));
    e.valid_until = static_cast<uint64_t>(g.column_int64(7));
    e.version = static_cast<uint32_t>(g.column_int64(8));
    e.flags = static_cast<uint8_t>(g.column_int64(9));
    e.changed_block = static_cast<uint64_t>(g.column_int64(11));
    all.grants[GrantId{e.patient_token, e.grantee, e.purpose}] = e;
  }
  if (rc != SQLITE_DONE) return sqlite::error_status(db_, rc, "consortium view: grants");

  Statement t(db_,
              "SELECT kind, sender, transfer_id, recipient, token, commitment, purpose, flags, "
              "consent_key, consent_version, reason, block, tx_hash, log_index FROM transfers");
  while ((rc = t.step()) == SQLITE_ROW) {
    TransferEntry e;
    if (!read_fixed(t, 1, e.from) || !read_uint256(t, 2, e.transfer_id) ||
        !read_fixed(t, 3, e.to) || !read_fixed(t, 4, e.patient_token) ||
        !read_fixed(t, 5, e.commitment) || !read_fixed(t, 8, e.consent_key) ||
        !read_fixed(t, 12, e.tx_hash))
      return damaged("transfers");
    e.purpose = static_cast<uint8_t>(t.column_int64(6));
    e.flags = static_cast<uint8_t>(t.column_int64(7));
    e.consent_version = static_cast<uint32_t>(t.column_int64(9));
    e.reason = static_cast<uint8_t>(t.column_int64(10));
    e.block = static_cast<uint64_t>(t.column_int64(11));
    e.log_index = static_cast<uint64_t>(t.column_int64(13));
    auto& map = t.column_text(0) == "recorded" ? all.recorded : all.refused;
    map[TransferKey{e.from, e.transfer_id}] = e;
  }
  if (rc != SQLITE_DONE) return sqlite::error_status(db_, rc, "consortium view: transfers");
  merge(state, std::move(all));
  return ok_status();
}

Status ViewStore::write_rows(const ViewDelta& delta, const ViewCursor& cursor) {
  auto failed = [&](const char* what) {
    return sqlite::error_status(db_, sqlite3_extended_errcode(db_),
                                std::string("consortium view: writing ") + what);
  };
  Statement m(db_, "INSERT OR REPLACE INTO members VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
  for (const auto& [account, e] : delta.members) {
    m.bind_blob(1, span(account))
        .bind_text(2, e.info.org_id)
        .bind_text(3, e.info.name)
        .bind_blob(4, span(e.info.encryption_key))
        .bind_blob(5, span(e.info.tls_fingerprint))
        .bind_blob(6, span(e.info.signing_key_hash))
        .bind_text(7, e.info.accreditation)
        .bind_int64(8, static_cast<int64_t>(e.status))
        .bind_int64(9, static_cast<int64_t>(e.changed_block));
    if (m.step() != SQLITE_DONE) return failed("members");
    m.reset();
  }
  Statement p(db_, "INSERT OR REPLACE INTO patients VALUES (?1, ?2, ?3, ?4, ?5)");
  for (const auto& [token, e] : delta.patients) {
    p.bind_blob(1, span(token))
        .bind_blob(2, span(e.custodian))
        .bind_blob(3, span(e.patient_key))
        .bind_int64(4, e.denied_purposes)
        .bind_int64(5, static_cast<int64_t>(e.changed_block));
    if (p.step() != SQLITE_DONE) return failed("patients");
    p.reset();
  }
  Statement g(db_,
              "INSERT OR REPLACE INTO grants VALUES "
              "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)");
  for (const auto& [id, e] : delta.grants) {
    g.bind_blob(1, span(e.consent_key))
        .bind_blob(2, span(e.patient_token))
        .bind_blob(3, span(e.grantee))
        .bind_int64(4, e.purpose)
        .bind_int64(5, static_cast<int64_t>(e.categories))
        .bind_int64(6, static_cast<int64_t>(e.exclusions))
        .bind_int64(7, static_cast<int64_t>(e.valid_from))
        .bind_int64(8, static_cast<int64_t>(e.valid_until))
        .bind_int64(9, e.version)
        .bind_int64(10, e.flags)
        .bind_blob(11, span(e.consent_hash))
        .bind_int64(12, static_cast<int64_t>(e.changed_block));
    if (g.step() != SQLITE_DONE) return failed("grants");
    g.reset();
  }
  Statement t(db_,
              "INSERT OR REPLACE INTO transfers VALUES "
              "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)");
  for (const auto* map : {&delta.recorded, &delta.refused}) {
    const char* kind = map == &delta.recorded ? "recorded" : "refused";
    for (const auto& [key, e] : *map) {
      t.bind_text(1, kind)
          .bind_blob(2, span(e.from))
          .bind_blob(3, span(e.transfer_id.bytes()))
          .bind_blob(4, span(e.to))
          .bind_blob(5, span(e.patient_token))
          .bind_blob(6, span(e.commitment))
          .bind_int64(7, e.purpose)
          .bind_int64(8, e.flags)
          .bind_blob(9, span(e.consent_key))
          .bind_int64(10, e.consent_version)
          .bind_int64(11, e.reason)
          .bind_int64(12, static_cast<int64_t>(e.block))
          .bind_blob(13, span(e.tx_hash))
          .bind_int64(14, static_cast<int64_t>(e.log_index));
      if (t.step() != SQLITE_DONE) return failed("transfers");
      t.reset();
    }
  }
  Statement c(db_,
              "UPDATE meta SET cursor_block = ?1, cursor_hash = ?2, policy = coalesce(?3, policy), "
              "quorum = coalesce(?4, quorum) WHERE id = 1");
  c.bind_int64(1, static_cast<int64_t>(cursor.block)).bind_blob(2, span(cursor.hash));
  if (delta.policy) c.bind_blob(3, span(delta.policy->bytes()));
  if (delta.quorum) c.bind_int64(4, *delta.quorum);
  if (c.step() != SQLITE_DONE) return failed("the cursor");
  return ok_status();
}

Status ViewStore::commit(const ViewDelta& delta, const ViewCursor& cursor) {
  GW_RETURN_IF_ERROR(exec("BEGIN IMMEDIATE", "consortium view: commit"));
  if (Status s = write_rows(delta, cursor); !s.ok()) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    return s;
  }
  if (Status s = exec("COMMIT", "consortium view: commit"); !s.ok()) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    return s;
  }
  return ok_status();
}

Status ViewStore::clear() {
  GW_RETURN_IF_ERROR(exec("BEGIN IMMEDIATE", "consortium view: clearing"));
  Status s = exec(
      "DELETE FROM members; DELETE FROM patients; DELETE FROM grants; DELETE FROM transfers; "
      "UPDATE meta SET cursor_block = NULL, cursor_hash = NULL, policy = zeroblob(32), "
      "quorum = 0",
      "consortium view: clearing");
  if (s.ok()) s = exec("COMMIT", "consortium view: clearing");
  if (!s.ok()) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  return s;
}

}  // namespace gw::consortium
