#include "gateway/transfer/transfer_store.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <functional>
#include <mutex>

#include "gateway/base/sqlite.h"

namespace gw::transfer {
namespace {

using sqlite::Statement;

constexpr int kSchemaVersion = 1;
constexpr int kApplicationId = 0x484C5446;  // "HLTF"

// Accounts, tokens and roots are BLOBs of their exact size (CHECKed), so a
// lookup by account cannot miss over hex case.
constexpr const char* kSchema = R"sql(
CREATE TABLE outgoing (
  id                INTEGER PRIMARY KEY AUTOINCREMENT,
  recipient         BLOB    NOT NULL CHECK (length(recipient) = 20),
  patient_token     BLOB    NOT NULL CHECK (length(patient_token) = 32),
  purpose           INTEGER NOT NULL,
  categories        INTEGER NOT NULL,
  exclusions        INTEGER NOT NULL,
  emergency         INTEGER NOT NULL,
  emergency_reason  TEXT    NOT NULL,
  study_id          TEXT    NOT NULL,
  requester         BLOB    CHECK (requester IS NULL OR length(requester) = 20),
  request_id        TEXT,
  state             INTEGER NOT NULL,
  detail            TEXT    NOT NULL DEFAULT '',
  record_count      INTEGER NOT NULL DEFAULT 0,
  root              BLOB,
  envelope          BLOB,
  outbox_seq        INTEGER,
  tx_hash           TEXT    NOT NULL DEFAULT '',
  flagged_emergency INTEGER NOT NULL DEFAULT 0,
  attempts          INTEGER NOT NULL DEFAULT 0,
  next_attempt_ms   INTEGER NOT NULL DEFAULT 0,
  created_ms        INTEGER NOT NULL,
  updated_ms        INTEGER NOT NULL
);
CREATE UNIQUE INDEX outgoing_request ON outgoing (requester, request_id)
  WHERE requester IS NOT NULL;
CREATE INDEX outgoing_open ON outgoing (next_attempt_ms) WHERE state < 4;
CREATE INDEX outgoing_patient ON outgoing (patient_token, id);
CREATE TABLE incoming (
  sender        BLOB    NOT NULL CHECK (length(sender) = 20),
  transfer_id   INTEGER NOT NULL,
  state         INTEGER NOT NULL,
  detail        TEXT    NOT NULL,
  patient_token BLOB    NOT NULL,
  purpose       INTEGER NOT NULL,
  record_count  INTEGER NOT NULL,
  message_id    INTEGER NOT NULL,
  tx_hash       TEXT    NOT NULL,
  emergency     INTEGER NOT NULL,
  request_id    INTEGER,
  received_ms   INTEGER NOT NULL,
  PRIMARY KEY (sender, transfer_id)
);
CREATE INDEX incoming_received ON incoming (received_ms);
CREATE TABLE requests (
  id               INTEGER PRIMARY KEY AUTOINCREMENT,
  custodian        BLOB    NOT NULL CHECK (length(custodian) = 20),
  patient_token    BLOB    NOT NULL CHECK (length(patient_token) = 32),
  purpose          INTEGER NOT NULL,
  categories       INTEGER NOT NULL,
  emergency_reason TEXT    NOT NULL,
  study_id         TEXT    NOT NULL,
  state            INTEGER NOT NULL,
  transfer_id      INTEGER,
  detail           TEXT    NOT NULL DEFAULT '',
  attempts         INTEGER NOT NULL DEFAULT 0,
  next_attempt_ms  INTEGER NOT NULL DEFAULT 0,
  created_ms       INTEGER NOT NULL,
  updated_ms       INTEGER NOT NULL
);
CREATE INDEX requests_transfer ON requests (custodian, transfer_id);
)sql";

constexpr const char* kOutgoingColumns =
    "id, recipient, patient_token, purpose, categories, emergency, emergency_reason, study_id, "
    "requester, request_id, state, detail, record_count, root, outbox_seq, tx_hash, "
    "flagged_emergency, attempts, next_attempt_ms, created_ms, updated_ms, exclusions";
constexpr const char* kRequestColumns =
    "id, custodian, patient_token, purpose, categories, emergency_reason, study_id, state, "
    "transfer_id, detail, attempts, next_attempt_ms, created_ms, updated_ms";
constexpr const char* kIncomingColumns =
    "sender, transfer_id, state, detail, patient_token, purpose, record_count, message_id, "
    "tx_hash, emergency, request_id, received_ms";

template <size_t N>
std::array<uint8_t, N> column_array(Statement& s, int index) {
  std::array<uint8_t, N> out{};
  const std::string_view b = s.column_blob_view(index);
  if (b.size() == N) std::memcpy(out.data(), b.data(), N);
  return out;
}

OutgoingTransfer read_outgoing(Statement& s) {
  OutgoingTransfer t;
  t.id = s.column_int64(0);
  t.request.recipient = column_array<20>(s, 1);
  t.request.patient_token = column_array<32>(s, 2);
  t.request.purpose = static_cast<uint8_t>(s.column_int64(3));
  t.request.categories = static_cast<uint64_t>(s.column_int64(4));
  t.request.emergency = s.column_int64(5) != 0;
  t.request.emergency_reason = s.column_text(6);
  t.request.study_id = s.column_text(7);
  if (!s.column_is_null(8)) t.request.requester = column_array<20>(s, 8);
  t.request.request_id = s.column_text(9);
  t.state = static_cast<OutgoingState>(s.column_int64(10));
  t.detail = s.column_text(11);
  t.record_count = s.column_int64(12);
  if (!s.column_is_null(13)) t.root = column_array<32>(s, 13);
  if (!s.column_is_null(14)) t.outbox_seq = s.column_int64(14);
  t.tx_hash = s.column_text(15);
  t.flagged_emergency = s.column_int64(16) != 0;
  t.attempts = static_cast<int>(s.column_int64(17));
  t.next_attempt_ms = s.column_int64(18);
  t.created_ms = s.column_int64(19);
  t.updated_ms = s.column_int64(20);
  t.request.exclusions = static_cast<uint64_t>(s.column_int64(21));
  return t;
}

PullRequest read_request(Statement& s) {
  PullRequest r;
  r.id = s.column_int64(0);
  r.custodian = column_array<20>(s, 1);
  r.patient_token = column_array<32>(s, 2);
  r.purpose = static_cast<uint8_t>(s.column_int64(3));
  r.categories = static_cast<uint64_t>(s.column_int64(4));
  r.emergency_reason = s.column_text(5);
  r.study_id = s.column_text(6);
  r.state = static_cast<RequestState>(s.column_int64(7));
  if (!s.column_is_null(8)) r.transfer_id = static_cast<uint64_t>(s.column_int64(8));
  r.detail = s.column_text(9);
  r.attempts = static_cast<int>(s.column_int64(10));
  r.next_attempt_ms = s.column_int64(11);
  r.created_ms = s.column_int64(12);
  r.updated_ms = s.column_int64(13);
  return r;
}

IncomingTransfer read_incoming(Statement& s) {
  IncomingTransfer t;
  t.sender = column_array<20>(s, 0);
  t.transfer_id = static_cast<uint64_t>(s.column_int64(1));
  t.state = static_cast<IncomingState>(s.column_int64(2));
  t.detail = s.column_text(3);
  t.patient_token = column_array<32>(s, 4);
  t.purpose = static_cast<uint8_t>(s.column_int64(5));
  t.record_count = s.column_int64(6);
  t.message_id = s.column_int64(7);
  t.tx_hash = s.column_text(8);
  t.emergency = s.column_int64(9) != 0;
  if (!s.column_is_null(10)) t.request_id = s.column_int64(10);
  t.received_ms = s.column_int64(11);
  return t;
}

}  // namespace

std::string_view outgoing_state_name(OutgoingState s) {
  switch (s) {
    case OutgoingState::kPreparing:
      return "preparing";
    case OutgoingState::kPrepared:
      return "prepared";
    case OutgoingState::kRecording:
      return "recording";
    case OutgoingState::kRecorded:
      return "recorded";
    case OutgoingState::kDelivered:
      return "delivered";
    case OutgoingState::kRefused:
      return "refused";
    case OutgoingState::kFailed:
      return "failed";
  }
  return "unknown";
}

std::optional<OutgoingState> outgoing_state_from_name(std::string_view name) {
  for (int i = 0; i <= static_cast<int>(OutgoingState::kFailed); ++i) {
    if (outgoing_state_name(static_cast<OutgoingState>(i)) == name) {
      return static_cast<OutgoingState>(i);
    }
  }
  return std::nullopt;
}

std::string_view request_state_name(RequestState s) {
  switch (s) {
    case RequestState::kPending:
      return "pending";
    case RequestState::kAccepted:
      return "accepted";
    case RequestState::kRefused:
      return "refused";
    case RequestState::kReceived:
      return "received";
  }
  return "unknown";
}

class TransferStore::Impl {
 public:
  ~Impl() { sqlite3_close_v2(db); }
  sqlite3* db = nullptr;
  std::string path;
  // Recursive: in_one_commit holds it while its body calls the other
  // methods, which take it again.
  std::recursive_mutex mu;

  // Group commit of new transfers: requests arrive on several REST threads
  // at once, and each must be durable (synchronous = FULL) before it is
  // answered. The first caller to find no commit in progress becomes the
  // leader and inserts everything queued so far in one transaction (one
  // fsync); the others wait for it to report their ids.
  struct Create {
    const OutgoingRequest* request;
    OutgoingState state;
    std::string_view detail;
    int64_t now_ms;
    Result<int64_t> result = internal_error("not created");
    bool done = false;
  };
  std::mutex group_mu;
  std::condition_variable group_done;
  std::vector<Create*> group_queue;
  bool group_leader = false;

  Result<int64_t> insert_outgoing(const Create& c);
  Result<int64_t> create(const OutgoingRequest& request, OutgoingState state,
                         std::string_view detail, int64_t now_ms);

  Status error(std::string_view what) const {
    return sqlite::error_status(db, sqlite3_extended_errcode(db),
                                "transfer store " + path + ": " + std::string(what));
  }
  Status exec(const char* sql) {
    if (sqlite3_exec(db, sql, nullptr, nullptr, nullptr) != SQLITE_OK) return error("exec");
    return ok_status();
  }
  Status run(Statement& s, std::string_view what) {
    if (s.step() != SQLITE_DONE) return error(what);
    return ok_status();
  }
  // An UPDATE of one row that must be in one of the states the statement's
  // WHERE names: zero rows changed means the transfer is not there or not in
  // such a state (a step done twice, or out of order).
  Status update_one(Statement& s, std::string_view what, int64_t id) {
    GW_RETURN_IF_ERROR(run(s, what));
    if (sqlite3_changes(db) != 1) {
      return failed_precondition_error("transfer " + std::to_string(id) + ": cannot " +
                                       std::string(what) + " in its current state");
    }
    return ok_status();
  }
  template <typename T, typename Read>
  Result<std::vector<T>> collect(Statement& s, Read read) {
    std::vector<T> out;
    int rc;
    while ((rc = s.step()) == SQLITE_ROW) out.push_back(read(s));
    if (rc != SQLITE_DONE) return error("read");
    return out;
  }
  template <typename T, typename Read>
  Result<std::optional<T>> one(Statement& s, Read read) {
    const int rc = s.step();
    if (rc == SQLITE_DONE) return std::optional<T>();
    if (rc != SQLITE_ROW) return error("read");
    return std::optional<T>(read(s));
  }
};

Result<std::unique_ptr<TransferStore>> TransferStore::open(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return unavailable_error("transfer store " + path + ": cannot open: " + std::strerror(errno));
  }
  ::close(fd);
  std::unique_ptr<TransferStore> store(new TransferStore());
  store->impl_ = std::make_unique<Impl>();
  Impl& d = *store->impl_;
  d.path = path;
  if (sqlite3_open_v2(path.c_str(), &d.db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX,
                      nullptr) != SQLITE_OK) {
    return d.error("cannot open");
  }
  sqlite3_busy_timeout(d.db, 5000);
  for (const char* pragma : {"PRAGMA journal_mode = WAL", "PRAGMA synchronous = FULL"}) {
    GW_RETURN_IF_ERROR(d.exec(pragma));
  }
  GW_RETURN_IF_ERROR(d.exec("BEGIN IMMEDIATE"));
  auto migrate = [&]() -> Status {
    Statement v(d.db, "PRAGMA user_version");
    if (v.step() != SQLITE_ROW) return d.error("read schema version");
    const int64_t version = v.column_int64(0);
    Statement app(d.db, "PRAGMA application_id");
    if (app.step() != SQLITE_ROW) return d.error("read application id");
    if (version == kSchemaVersion && app.column_int64(0) == kApplicationId) return ok_status();
    Statement t(d.db, "SELECT count(*) FROM sqlite_schema");
    if (t.step() != SQLITE_ROW) return d.error("read schema");
    if (version != 0 || t.column_int64(0) != 0) {
      return failed_precondition_error("transfer store " + path +
                                       ": not a transfer store of this build (schema version " +
                                       std::to_string(version) + ")");
    }
    GW_RETURN_IF_ERROR(d.exec(kSchema));
    return d.exec(("PRAGMA application_id = " + std::to_string(kApplicationId) +
                   "; PRAGMA user_version = " + std::to_string(kSchemaVersion))
                      .c_str());
  };
  Status s = migrate();
  if (s.ok()) s = d.exec("COMMIT");
  if (!s.ok()) {
    (void)d.exec("ROLLBACK");
    return s;
  }
  return store;
}

Result<std::unique_ptr<TransferStore>> TransferStore::open_read_only(const std::string& path) {
  if (::access(path.c_str(), F_OK) != 0) {
    return not_found_error("transfer store " + path + ": " + std::strerror(errno));
  }
  std::unique_ptr<TransferStore> store(new TransferStore());
  store->impl_ = std::make_unique<Impl>();
  Impl& d = *store->impl_;
  d.path = path;
  if (sqlite3_open_v2(path.c_str(), &d.db, SQLITE_OPEN_READONLY | SQLITE_OPEN_FULLMUTEX, nullptr) !=
      SQLITE_OK) {
    return d.error("cannot open");
  }
  sqlite3_busy_timeout(d.db, 5000);
  Statement v(d.db, "PRAGMA user_version");
  if (v.step() != SQLITE_ROW) return d.error("read schema version");
  Statement app(d.db, "PRAGMA application_id");
  if (app.step() != SQLITE_ROW) return d.error("read application id");
  if (v.column_int64(0) != kSchemaVersion || app.column_int64(0) != kApplicationId) {
    return failed_precondition_error("transfer store " + path +
                                     ": not a transfer store of this build (schema version " +
                                     std::to_string(v.column_int64(0)) + ")");
  }
  return store;
}

TransferStore::~TransferStore() = default;

namespace {
void bind_request(Statement& s, const OutgoingRequest& r) {
  s.bind_blob(1, r.recipient)
      .bind_blob(2, r.patient_token)
      .bind_int64(3, r.purpose)
      .bind_int64(4, static_cast<int64_t>(r.categories))
      .bind_int64(5, r.emergency ? 1 : 0)
      .bind_text(6, r.emergency_reason)
      .bind_text(7, r.study_id)
      .bind_int64(13, static_cast<int64_t>(r.exclusions));
  if (r.requester) {
    s.bind_blob(8, *r.requester).bind_text(9, r.request_id);
  } else {
    s.bind_null(8).bind_null(9);
  }
}
constexpr const char* kInsertOutgoing =
    "INSERT INTO outgoing (recipient, patient_token, purpose, categories, emergency, "
    "emergency_reason, study_id, requester, request_id, state, detail, created_ms, updated_ms, "
    "exclusions) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?12, ?13)";
}  // namespace

// One new row (the caller holds `mu`). A pull request already seen (same
// requester and request id) gives the existing transfer's id.
Result<int64_t> TransferStore::Impl::insert_outgoing(const Create& c) {
  if (c.state == OutgoingState::kPreparing && c.request->requester) {
    Statement q(db, "SELECT id FROM outgoing WHERE requester = ?1 AND request_id = ?2");
    q.bind_blob(1, *c.request->requester).bind_text(2, c.request->request_id);
    const int rc = q.step();
    if (rc == SQLITE_ROW) return q.column_int64(0);
    if (rc != SQLITE_DONE) return error("find request");
  }
  Statement s(db, kInsertOutgoing);
  bind_request(s, *c.request);
  s.bind_int64(10, static_cast<int>(c.state)).bind_text(11, c.detail).bind_int64(12, c.now_ms);
  GW_RETURN_IF_ERROR(
      run(s, c.state == OutgoingState::kRefused ? "record refusal" : "create transfer"));
  return sqlite3_last_insert_rowid(db);
}

Result<int64_t> TransferStore::Impl::create(const OutgoingRequest& request, OutgoingState state,
                                            std::string_view detail, int64_t now_ms) {
  Create me{&request, state, detail, now_ms};
  std::unique_lock group(group_mu);
  group_queue.push_back(&me);
  while (!me.done) {
    if (group_leader) {
      group_done.wait(group);
      continue;
    }
    group_leader = true;
    std::vector<Create*> batch;
    batch.swap(group_queue);
    group.unlock();
    {
      std::lock_guard lock(mu);
      // (Called inside in_one_commit, BEGIN fails: no row is reported
      // created before its own commit.)
      Status begun = exec("BEGIN IMMEDIATE");
      for (Create* c : batch) c->result = begun.ok() ? insert_outgoing(*c) : Result<int64_t>(begun);
      if (begun.ok()) {
        if (Status committed = exec("COMMIT"); !committed.ok()) {
          (void)exec("ROLLBACK");
          for (Create* c : batch) c->result = committed;
        }
      }
    }
    group.lock();
    for (Create* c : batch) c->done = true;
    group_leader = false;
    group_done.notify_all();
  }
  return std::move(me.result);
}

Result<int64_t> TransferStore::create_outgoing(const OutgoingRequest& request, int64_t now_ms) {
  return impl_->create(request, OutgoingState::kPreparing, "", now_ms);
}

Result<int64_t> TransferStore::create_refused(const OutgoingRequest& request,
                                              std::string_view reason, int64_t now_ms) {
  return impl_->create(request, OutgoingState::kRefused, reason, now_ms);
}

Result<std::optional<OutgoingTransfer>> TransferStore::outgoing(int64_t id) {
  std::lock_guard lock(impl_->mu);
  Statement s(impl_->db,
              std::string("SELECT ") + kOutgoingColumns + ", envelope FROM outgoing WHERE id = ?1");
  s.bind_int64(1, id);
  return impl_->one<OutgoingTransfer>(s, [](Statement& st) {
    OutgoingTransfer t = read_outgoing(st);
    t.envelope = st.column_blob(22);
    return t;
  });
}

Result<std::optional<OutgoingTransfer>> TransferStore::outgoing_by_request(
    const Address& requester, std::string_view request_id) {
  std::lock_guard lock(impl_->mu);
  Statement s(impl_->db, std::string("SELECT ") + kOutgoingColumns +
                             " FROM outgoing WHERE requester = ?1 AND request_id = ?2");
  s.bind_blob(1, requester).bind_text(2, request_id);
  return impl_->one<OutgoingTransfer>(s, read_outgoing);
}

Status TransferStore::set_prepared(int64_t id, const Hash256& root, int64_t record_count,
                                   const std::string& envelope, int64_t now_ms) {
  std::lock_guard lock(impl_->mu);
  Statement s(impl_->db,
              "UPDATE outgoing SET state = 1, root = ?2, record_count = ?3, envelope = ?4, "
              "updated_ms = ?5 WHERE id = ?1 AND state = 0");
  s.bind_int64(1, id).bind_blob(2, root).bind_int64(3, record_count).bind_blob(4, envelope);
  s.bind_int64(5, now_ms);
  return impl_->update_one(s, "record the prepared payload", id);
}

Status TransferStore::set_recording(int64_t id, int64_t outbox_seq, int64_t now_ms) {
  std::lock_guard lock(impl_->mu);
  Statement s(impl_->db,
              "UPDATE outgoing SET state = 2, outbox_seq = ?2, updated_ms = ?3 "
              "WHERE id = ?1 AND state = 1");
  s.bind_int64(1, id).bind_int64(2, outbox_seq).bind_int64(3, now_ms);
  return impl_->update_one(s, "mark as recording", id);
}

Status TransferStore::set_recorded(int64_t id, const std::string& tx_hash, bool emergency,
                                   int64_t now_ms) {
  std::lock_guard lock(impl_->mu);
  Statement s(impl_->db,
              "UPDATE outgoing SET state = 3, tx_hash = ?2, flagged_emergency = ?3, "
              "next_attempt_ms = 0, updated_ms = ?4 WHERE id = ?1 AND state = 2");
  s.bind_int64(1, id).bind_text(2, tx_hash).bind_int64(3, emergency ? 1 : 0).bind_int64(4, now_ms);
  return impl_->update_one(s, "mark as recorded", id);
}

Status TransferStore::replace_envelope(int64_t id, const std::string& envelope, int64_t now_ms) {
  std::lock_guard lock(impl_->mu);
  Statement s(impl_->db,
              "UPDATE outgoing SET envelope = ?2, updated_ms = ?3 WHERE id = ?1 AND state = 3");
  s.bind_int64(1, id).bind_blob(2, envelope).bind_int64(3, now_ms);
  return impl_->update_one(s, "replace the envelope", id);
}

Status TransferStore::finish_outgoing(int64_t id, OutgoingState state, std::string_view detail,
                                      int64_t now_ms) {
  if (!is_final(state)) return invalid_argument_error("finish_outgoing: not a final state");
  std::lock_guard lock(impl_->mu);
  Statement s(impl_->db,
              "UPDATE outgoing SET state = ?2, detail = ?3, updated_ms = ?4 "
              "WHERE id = ?1 AND state < 4");
  s.bind_int64(1, id).bind_int64(2, static_cast<int>(state)).bind_text(3, detail);
  s.bind_int64(4, now_ms);
  return impl_->update_one(s, "finish", id);
}

Status TransferStore::in_one_commit(const std::function<void()>& body) {
  std::lock_guard lock(impl_->mu);
  GW_RETURN_IF_ERROR(impl_->exec("BEGIN IMMEDIATE"));
  body();
  if (Status s = impl_->exec("COMMIT"); !s.ok()) {
    (void)impl_->exec("ROLLBACK");
    return s;
  }
  return ok_status();
}

Status TransferStore::delay_outgoing(int64_t id, std::string_view reason, int64_t next_attempt_ms,
                                     int64_t now_ms) {
  std::lock_guard lock(impl_->mu);
  Statement s(impl_->db,
              "UPDATE outgoing SET attempts = attempts + 1, detail = ?2, next_attempt_ms = ?3, "
              "updated_ms = ?4 WHERE id = ?1 AND state < 4");
  s.bind_int64(1, id).bind_text(2, reason).bind_int64(3, next_attempt_ms).bind_int64(4, now_ms);
  return impl_->update_one(s, "delay", id);
}

Result<std::vector<OutgoingTransfer>> TransferStore::due_outgoing(int64_t now_ms, size_t limit) {
  return due_outgoing(now_ms, limit, OutgoingState::kPreparing, OutgoingState::kRecorded);
}

Result<std::vector<OutgoingTransfer>> TransferStore::due_outgoing(int64_t now_ms, size_t limit,
                                                                  OutgoingState first,
                                                                  OutgoingState last) {
  if (is_final(first) || is_final(last) || last < first) {
    return invalid_argument_error("due_outgoing: not a range of open states");
  }
  std::lock_guard lock(impl_->mu);
  Statement s(impl_->db, std::string("SELECT ") + kOutgoingColumns +
                             ", envelope FROM outgoing WHERE state BETWEEN ?3 AND ?4 AND "
                             "next_attempt_ms <= ?1 ORDER BY id LIMIT ?2");
  s.bind_int64(1, now_ms).bind_int64(2, static_cast<int64_t>(limit));
  s.bind_int64(3, static_cast<int>(first)).bind_int64(4, static_cast<int>(last));
  return impl_->collect<OutgoingTransfer>(s, [](Statement& st) {
    OutgoingTransfer t = read_outgoing(st);
    t.envelope = st.column_blob(22);
    return t;
  });
}

Result<std::vector<OutgoingTransfer>> TransferStore::list_outgoing(
    std::optional<Hash256> patient_token, size_t limit) {
  std::lock_guard lock(impl_->mu);
  Statement s(impl_->db, std::string("SELECT ") + kOutgoingColumns + " FROM outgoing " +
                             (patient_token ? "WHERE patient_token = ?2 " : "") +
                             "ORDER BY id DESC LIMIT ?1");
  s.bind_int64(1, static_cast<int64_t>(limit));
  if (patient_token) s.bind_blob(2, *patient_token);
  return impl_->collect<OutgoingTransfer>(s, read_outgoing);
}

Status TransferStore::record_incoming(const IncomingTransfer& t) {
  std::lock_guard lock(impl_->mu);
  Statement s(impl_->db, std::string("INSERT OR IGNORE INTO incoming (") + kIncomingColumns +
                             ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)");
  s.bind_blob(1, t.sender)
      .bind_int64(2, static_cast<int64_t>(t.transfer_id))
      .bind_int64(3, static_cast<int>(t.state))
      .bind_text(4, t.detail)
      .bind_blob(5, t.patient_token)
      .bind_int64(6, t.purpose)
      .bind_int64(7, t.record_count)
      .bind_int64(8, t.message_id)
      .bind_text(9, t.tx_hash)
      .bind_int64(10, t.emergency ? 1 : 0);
  if (t.request_id) {
    s.bind_int64(11, *t.request_id);
  } else {
    s.bind_null(11);
  }
  s.bind_int64(12, t.received_ms);
  GW_RETURN_IF_ERROR(impl_->run(s, "record incoming transfer"));
  if (sqlite3_changes(impl_->db) == 0) {
    return already_exists_error("incoming transfer " + std::to_string(t.transfer_id) +
                                " is already recorded");
  }
  return ok_status();
}

Result<std::optional<IncomingTransfer>> TransferStore::incoming(const Address& sender,
                                                                uint64_t transfer_id) {
  std::lock_guard lock(impl_->mu);
  Statement s(impl_->db, std::string("SELECT ") + kIncomingColumns +
                             " FROM incoming WHERE sender = ?1 AND transfer_id = ?2");
  s.bind_blob(1, sender).bind_int64(2, static_cast<int64_t>(transfer_id));
  return impl_->one<IncomingTransfer>(s, read_incoming);
}

Result<std::vector<IncomingTransfer>> TransferStore::list_incoming(size_t limit) {
  std::lock_guard lock(impl_->mu);
  Statement s(impl_->db, std::string("SELECT ") + kIncomingColumns +
                             " FROM incoming ORDER BY received_ms DESC LIMIT ?1");
  s.bind_int64(1, static_cast<int64_t>(limit));
  return impl_->collect<IncomingTransfer>(s, read_incoming);
}

Result<int64_t> TransferStore::create_request(const PullRequest& r, int64_t now_ms) {
  std::lock_guard lock(impl_->mu);
  Statement s(impl_->db,
              "INSERT INTO requests (custodian, patient_token, purpose, categories, "
              "emergency_reason, study_id, state, created_ms, updated_ms) "
              "VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0, ?7, ?7)");
  s.bind_blob(1, r.custodian)
      .bind_blob(2, r.patient_token)
      .bind_int64(3, r.purpose)
      .bind_int64(4, static_cast<int64_t>(r.categories))
      .bind_text(5, r.emergency_reason)
      .bind_text(6, r.study_id)
      .bind_int64(7, now_ms);
  GW_RETURN_IF_ERROR(impl_->run(s, "create request"));
  return sqlite3_last_insert_rowid(impl_->db);
}

Result<std::optional<PullRequest>> TransferStore::request(int64_t id) {
  std::lock_guard lock(impl_->mu);
  Statement s(impl_->db, std::string("SELECT ") + kRequestColumns + " FROM requests WHERE id = ?1");
  s.bind_int64(1, id);
  return impl_->one<PullRequest>(s, read_request);
}

Status TransferStore::update_request(int64_t id, RequestState state,
                                     std::optional<uint64_t> transfer_id, std::string_view detail,
                                     int64_t now_ms) {
  std::lock_guard lock(impl_->mu);
  Statement s(impl_->db,
              "UPDATE requests SET state = ?2, transfer_id = coalesce(?3, transfer_id), "
              "detail = ?4, updated_ms = ?5 WHERE id = ?1");
  s.bind_int64(1, id).bind_int64(2, static_cast<int>(state));
  if (transfer_id) {
    s.bind_int64(3, static_cast<int64_t>(*transfer_id));
  } else {
    s.bind_null(3);
  }
  s.bind_text(4, detail).bind_int64(5, now_ms);
  return impl_->update_one(s, "update request", id);
}

Status TransferStore::delay_request(int64_t id, std::string_view reason, int64_t next_attempt_ms,
                                    int64_t now_ms) {
  std::lock_guard lock(impl_->mu);
  Statement s(impl_->db,
              "UPDATE requests SET attempts = attempts + 1, detail = ?2, next_attempt_ms = ?3, "
              "updated_ms = ?4 WHERE id = ?1 AND state = 0");
  s.bind_int64(1, id).bind_text(2, reason).bind_int64(3, next_attempt_ms).bind_int64(4, now_ms);
  return impl_->update_one(s, "delay request", id);
}

Result<std::vector<PullRequest>> TransferStore::due_requests(int64_t now_ms, size_t limit) {
  std::lock_guard lock(impl_->mu);
  Statement s(impl_->db, std::string("SELECT ") + kRequestColumns +
                             " FROM requests WHERE state = 0 AND next_attempt_ms <= ?1 "
                             "ORDER BY id LIMIT ?2");
  s.bind_int64(1, now_ms).bind_int64(2, static_cast<int64_t>(limit));
  return impl_->collect<PullRequest>(s, read_request);
}

Result<std::optional<PullRequest>> TransferStore::request_for_transfer(const Address& custodian,
                                                                       uint64_t transfer_id) {
  std::lock_guard lock(impl_->mu);
  Statement s(impl_->db, std::string("SELECT ") + kRequestColumns +
                             " FROM requests WHERE custodian = ?1 AND transfer_id = ?2");
  s.bind_blob(1, custodian).bind_int64(2, static_cast<int64_t>(transfer_id));
  return impl_->one<PullRequest>(s, read_request);
}

Result<std::vector<PullRequest>> TransferStore::list_requests(size_t limit) {
  std::lock_guard lock(impl_->mu);
  Statement s(impl_->db, std::string("SELECT ") + kRequestColumns +
                             " FROM requests ORDER BY id DESC LIMIT ?1");
  s.bind_int64(1, static_cast<int64_t>(limit));
  return impl_->collect<PullRequest>(s, read_request);
}

}  // namespace gw::transfer
