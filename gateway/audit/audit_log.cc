#include "gateway/audit/audit_log.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <mutex>

#include "gateway/audit/audit_schema.h"
#include "gateway/base/clock.h"
#include "gateway/base/sqlite.h"
#include "gateway/crypto/merkle.h"

namespace gw::audit {

using internal::as_view;
using sqlite::Statement;

namespace {

std::array<uint8_t, 32> to_array(std::string_view b) {
  std::array<uint8_t, 32> out{};
  if (b.size() == out.size()) std::memcpy(out.data(), b.data(), out.size());
  return out;
}

constexpr const char* kBatchColumns =
    "id, first_seq, last_seq, root, created_ms, signature, signer, anchor_tx, anchored_ms";

AuditBatch read_batch(Statement& s) {
  AuditBatch b;
  b.id = s.column_int64(0);
  b.first_seq = s.column_int64(1);
  b.last_seq = s.column_int64(2);
  b.root = to_array(s.column_blob_view(3));
  b.created_ms = s.column_int64(4);
  b.signature = s.column_bytes(5);
  b.signer = s.column_text(6);
  b.anchor_tx = s.column_text(7);
  b.anchored_ms = s.column_int64(8);
  return b;
}

}  // namespace

struct AuditLog::Impl {
  std::string path;
  std::shared_ptr<const AuditKeys> keys;
  AuditLogOptions options;
  sqlite3* db = nullptr;
  std::mutex db_mu;  // guards db

  // Group commit: appends queue here; the leader writes them all.
  struct Pending {
    const AuditEntry* entry;
    Result<int64_t> result = internal_error("not written");
    bool done = false;
  };
  std::mutex group_mu;  // guards group_queue, group_leader
  std::condition_variable group_done;
  std::vector<Pending*> group_queue;
  bool group_leader = false;

  ~Impl() { sqlite3_close_v2(db); }

  Status error(std::string_view what) const {
    return sqlite::error_status(db, sqlite3_extended_errcode(db),
                                "audit log " + path + ": " + std::string(what));
  }
  Status exec(const char* sql) {
    if (sqlite3_exec(db, sql, nullptr, nullptr, nullptr) != SQLITE_OK) return error("exec");
    return ok_status();
  }
  Status run(Statement& s, std::string_view what) {
    if (s.step() != SQLITE_DONE) return error(what);
    return ok_status();
  }
  // Runs `body` in one IMMEDIATE transaction; rolls back if it fails.
  template <typename F>
  Status in_transaction(F body) {
    GW_RETURN_IF_ERROR(exec("BEGIN IMMEDIATE"));
    Status s = body();
    if (s.ok()) s = exec("COMMIT");
    if (!s.ok()) (void)exec("ROLLBACK");
    return s;
  }

  Result<std::pair<int64_t, crypto::Sha256Digest>> read_meta(std::string_view name) {
    Statement s(db, "SELECT seq, hash FROM meta WHERE name = ?1");
    s.bind_text(1, name);
    if (s.step() != SQLITE_ROW) return error("read " + std::string(name));
    return std::make_pair(s.column_int64(0), to_array(s.column_blob_view(1)));
  }
  Status write_meta(std::string_view name, int64_t seq, const crypto::Sha256Digest& hash) {
    Statement s(db, "INSERT OR REPLACE INTO meta (name, seq, hash) VALUES (?1, ?2, ?3)");
    s.bind_text(1, name).bind_int64(2, seq).bind_blob(3, std::span<const uint8_t>(hash));
    return run(s, "write " + std::string(name));
  }

  // Inside a transaction: writes `batch` (each validated) after the head.
  Status write_entries(std::vector<Pending*>& batch) {
    GW_ASSIGN_OR_RETURN(auto head, read_meta("head"));
    auto [seq, hash] = head;
    Statement ins(
        db,
        "INSERT INTO entries (seq, time_ms, action, actor, resource_type, outcome, "
        "patient_index, envelope, chain_hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
    for (Pending* p : batch) {
      const AuditEntry& e = *p->entry;
      const std::string bytes = encode(e);
      ++seq;
      hash = internal::chain_next(hash, crypto::sha256(bytes));
      const std::string envelope = keys->seal(bytes, internal::entry_associated_data(seq));
      const std::string actor = e.actor.to_string();
      const std::string index = e.patient ? keys->patient_index(*e.patient) : std::string();
      ins.reset();
      ins.bind_int64(1, seq).bind_int64(2, e.time_ms).bind_text(3, action_name(e.action));
      ins.bind_text(4, actor)
          .bind_text(5, e.resource_type)
          .bind_text(6, outcome_name(e.outcome.kind));
      if (e.patient) {
        ins.bind_blob(7, index);
      } else {
        ins.bind_null(7);
      }
      ins.bind_blob(8, envelope).bind_blob(9, as_view(hash));
      GW_RETURN_IF_ERROR(run(ins, "append"));
      p->result = seq;
    }
    return write_meta("head", seq, hash);
  }

  // Inside a transaction: closes full batches, and one aged batch when
  // now_ms is set. Returns how many closed.
  Result<int> close_due(std::optional<int64_t> now_ms) {
    int closed = 0;
    for (;;) {
      Statement last(db, "SELECT coalesce(max(last_seq), 0) FROM batches");
      if (last.step() != SQLITE_ROW) return error("read batches");
      const int64_t first = last.column_int64(0) + 1;
      Statement s(db,
                  "SELECT seq, time_ms, chain_hash FROM entries WHERE seq >= ?1 ORDER BY seq "
                  "LIMIT ?2");
      s.bind_int64(1, first).bind_int64(2, static_cast<int64_t>(options.batch_max_entries));
      std::vector<crypto::Hash256> leaves;
      int64_t oldest = INT64_MAX, last_seq = 0;
      int rc;
      while ((rc = s.step()) == SQLITE_ROW) {
        last_seq = s.column_int64(0);
        oldest = std::min(oldest, s.column_int64(1));
        leaves.push_back(to_array(s.column_blob_view(2)));
      }
      if (rc != SQLITE_DONE) return error("read unbatched entries");
      const bool full = leaves.size() >= options.batch_max_entries;
      const bool aged = now_ms && !leaves.empty() && *now_ms - oldest >= options.batch_max_age_ms;
      if (!full && !aged) return closed;
      const auto tree = crypto::MerkleTree::build(std::move(leaves));
      Statement ins(db,
                    "INSERT INTO batches (first_seq, last_seq, root, created_ms) "
                    "VALUES (?1, ?2, ?3, ?4)");
      ins.bind_int64(1, first).bind_int64(2, last_seq);
      ins.bind_blob(3, std::span<const uint8_t>(tree->root())).bind_int64(4, gw::now_ms());
      GW_RETURN_IF_ERROR(run(ins, "record batch"));
      ++closed;
      if (!full) return closed;
    }
  }

  Result<int64_t> append(const AuditEntry& entry) {
    Pending me{&entry};
    std::unique_lock group(group_mu);
    group_queue.push_back(&me);
    while (!me.done) {
      if (group_leader) {
        group_done.wait(group);
        continue;
      }
      group_leader = true;
      std::vector<Pending*> batch;
      batch.swap(group_queue);
      group.unlock();
      {
        std::lock_guard lock(db_mu);
        const int64_t now = gw::now_ms();
        Status s = in_transaction([&]() -> Status {
          GW_RETURN_IF_ERROR(write_entries(batch));
          return close_due(now).status();
        });
        if (!s.ok()) {
          for (Pending* p : batch) p->result = s;
        }
      }
      group.lock();
      for (Pending* p : batch) p->done = true;
      group_leader = false;
      group_done.notify_all();
    }
    return std::move(me.result);
  }
};

AuditLog::AuditLog(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
AuditLog::~AuditLog() = default;

Result<std::unique_ptr<AuditLog>> AuditLog::open(const std::string& path,
                                                 std::shared_ptr<const AuditKeys> keys,
                                                 AuditLogOptions options) {
  if (keys == nullptr) return invalid_argument_error("audit log: no keys");
  if (options.batch_max_entries < 1 || options.batch_max_entries > 1'000'000 ||
      options.batch_max_age_ms < 0) {
    return invalid_argument_error("audit log: batch size is 1..1000000 and age is not negative");
  }
  // Create with 0600 first: SQLite would create it with the umask's mode.
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return unavailable_error("audit log " + path + ": cannot open: " + std::strerror(errno));
  }
  ::close(fd);
  auto d = std::make_unique<Impl>();
  d->path = path;
  d->keys = std::move(keys);
  d->options = options;
  if (sqlite3_open_v2(path.c_str(), &d->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX,
                      nullptr) != SQLITE_OK) {
    return d->error("cannot open");
  }
  sqlite3_busy_timeout(d->db, 5000);
  for (const char* pragma : {"PRAGMA journal_mode = WAL", "PRAGMA synchronous = FULL"}) {
    GW_RETURN_IF_ERROR(d->exec(pragma));
  }
  GW_RETURN_IF_ERROR(d->in_transaction([&]() -> Status {
    Statement v(d->db, "PRAGMA user_version");
    Statement app(d->db, "PRAGMA application_id");
    Statement t(d->db, "SELECT count(*) FROM sqlite_schema");
    if (v.step() != SQLITE_ROW || app.step() != SQLITE_ROW || t.step() != SQLITE_ROW) {
      return d->error("read schema");
    }
    const int64_t version = v.column_int64(0);
    if (version == internal::kSchemaVersion && app.column_int64(0) == internal::kApplicationId) {
      return ok_status();
    }
    if (version != 0 || t.column_int64(0) != 0) {
      return failed_precondition_error("audit log " + path +
                                       ": not an audit log of this build (schema version " +
                                       std::to_string(version) + ")");
    }
    GW_RETURN_IF_ERROR(d->exec(internal::kSchema));
    GW_RETURN_IF_ERROR(d->write_meta("start", 0, internal::chain_start()));
    GW_RETURN_IF_ERROR(d->write_meta("head", 0, internal::chain_start()));
    return d->exec(("PRAGMA application_id = " + std::to_string(internal::kApplicationId) +
                    "; PRAGMA user_version = " + std::to_string(internal::kSchemaVersion))
                       .c_str());
  }));
  return std::unique_ptr<AuditLog>(new AuditLog(std::move(d)));
}

Result<int64_t> AuditLog::append(const AuditEntry& entry) {
  GW_RETURN_IF_ERROR(validate(entry));
  return impl_->append(entry);
}

Result<int> AuditLog::close_batches(int64_t now_ms) {
  std::lock_guard lock(impl_->db_mu);
  int closed = 0;
  GW_RETURN_IF_ERROR(impl_->in_transaction([&]() -> Status {
    GW_ASSIGN_OR_RETURN(closed, impl_->close_due(now_ms));
    return ok_status();
  }));
  return closed;
}

Result<std::vector<AuditBatch>> AuditLog::pending_batches(size_t limit) {
  std::lock_guard lock(impl_->db_mu);
  Statement s(impl_->db, std::string("SELECT ") + kBatchColumns +
                             " FROM batches WHERE signature IS NULL OR anchor_tx = '' "
                             "ORDER BY id LIMIT ?1");
  s.bind_int64(1, static_cast<int64_t>(std::min<size_t>(limit, kMaxQueryLimit)));
  std::vector<AuditBatch> out;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) out.push_back(read_batch(s));
  if (rc != SQLITE_DONE) return impl_->error("read batches");
  return out;
}

Result<std::vector<AuditBatch>> AuditLog::batches(int64_t after_id, size_t limit) {
  std::lock_guard lock(impl_->db_mu);
  Statement s(impl_->db, std::string("SELECT ") + kBatchColumns +
                             " FROM batches WHERE id > ?1 ORDER BY id LIMIT ?2");
  s.bind_int64(1, after_id).bind_int64(2, static_cast<int64_t>(std::min(limit, kMaxQueryLimit)));
  std::vector<AuditBatch> out;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) out.push_back(read_batch(s));
  if (rc != SQLITE_DONE) return impl_->error("read batches");
  return out;
}

Status AuditLog::set_batch_signature(int64_t batch_id, std::span<const uint8_t> signature,
                                     std::string_view signer) {
  if (signature.empty() || signature.size() > 512 || signer.empty() || signer.size() > 16) {
    return invalid_argument_error("audit batch signature: empty or too long");
  }
  std::lock_guard lock(impl_->db_mu);
  Statement s(impl_->db,
              "UPDATE batches SET signature = ?2, signer = ?3 WHERE id = ?1 AND signature IS NULL");
  s.bind_int64(1, batch_id).bind_blob(2, signature).bind_text(3, signer);
  GW_RETURN_IF_ERROR(impl_->run(s, "sign batch"));
  if (sqlite3_changes(impl_->db) == 1) return ok_status();
  return failed_precondition_error("audit batch " + std::to_string(batch_id) +
                                   ": no such batch, or already signed");
}

Status AuditLog::set_batch_anchor(int64_t batch_id, std::string_view tx_hash, int64_t anchored_ms) {
  if (tx_hash.empty() || tx_hash.size() > 80) {
    return invalid_argument_error("audit batch anchor: empty or too long transaction hash");
  }
  std::lock_guard lock(impl_->db_mu);
  Statement s(impl_->db,
              "UPDATE batches SET anchor_tx = ?2, anchored_ms = ?3 "
              "WHERE id = ?1 AND anchor_tx = '' AND signature IS NOT NULL");
  s.bind_int64(1, batch_id).bind_text(2, tx_hash).bind_int64(3, anchored_ms);
  GW_RETURN_IF_ERROR(impl_->run(s, "anchor batch"));
  if (sqlite3_changes(impl_->db) == 1) return ok_status();
  return failed_precondition_error("audit batch " + std::to_string(batch_id) +
                                   ": no such batch, not signed yet, or already anchored");
}

Result<AuditPage> AuditLog::query(const AuditQuery& q) {
  if (q.limit < 1 || q.limit > kMaxQueryLimit) {
    return invalid_argument_error("audit query: limit is 1.." + std::to_string(kMaxQueryLimit));
  }
  std::string index, actor;
  std::string sql =
      "SELECT seq, envelope FROM entries WHERE seq > ?1 AND time_ms >= ?2 AND "
      "time_ms < ?3";
  if (q.patient) {
    index = impl_->keys->patient_index(*q.patient);
    sql += " AND patient_index = ?4";
  }
  if (q.actor) {
    actor = q.actor->to_string();
    sql += " AND actor = ?5";
  }
  sql += " ORDER BY seq LIMIT ?6";
  std::lock_guard lock(impl_->db_mu);
  Statement s(impl_->db, sql);
  s.bind_int64(1, q.after_seq).bind_int64(2, q.from_ms).bind_int64(3, q.to_ms);
  if (q.patient) s.bind_blob(4, index);
  if (q.actor) s.bind_text(5, actor);
  // One more than asked tells whether there is a next page.
  s.bind_int64(6, static_cast<int64_t>(q.limit) + 1);
  AuditPage page;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) {
    const int64_t seq = s.column_int64(0);
    if (page.entries.size() == q.limit) {
      page.next_after_seq = page.entries.back().seq;
      break;
    }
    auto bytes = impl_->keys->open(s.column_blob_view(1), internal::entry_associated_data(seq));
    if (!bytes.ok()) {
      return data_loss_error("audit entry " + std::to_string(seq) +
                             " does not open (run audit verify): " + bytes.error().message());
    }
    auto entry = decode(*bytes);
    if (!entry.ok()) {
      return data_loss_error("audit entry " + std::to_string(seq) + ": " + entry.error().message());
    }
    page.entries.push_back({seq, std::move(entry).value()});
  }
  if (rc != SQLITE_DONE && rc != SQLITE_ROW) return impl_->error("query");
  return page;
}

Result<PruneResult> AuditLog::prune_before(int64_t time_ms) {
  std::lock_guard lock(impl_->db_mu);
  Impl& d = *impl_;
  PruneResult result;
  GW_RETURN_IF_ERROR(d.in_transaction([&]() -> Status {
    GW_ASSIGN_OR_RETURN(auto start, d.read_meta("start"));
    result.pruned_through_seq = start.first;
    // Whole batches in order, from the first not yet pruned; stop at the
    // first unanchored one or one holding an entry at or after the cutoff.
    Statement b(d.db,
                "SELECT b.last_seq, b.anchor_tx, (SELECT max(time_ms) FROM entries e WHERE "
                "e.seq BETWEEN b.first_seq AND b.last_seq) FROM batches b WHERE b.first_seq > ?1 "
                "ORDER BY b.first_seq");
    b.bind_int64(1, start.first);
    int64_t through = start.first;
    int rc;
    while ((rc = b.step()) == SQLITE_ROW) {
      if (b.column_text(1).empty() || b.column_is_null(2) || b.column_int64(2) >= time_ms) break;
      through = b.column_int64(0);
    }
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) return d.error("read batches");
    b.reset();
    if (through == start.first) return ok_status();
    Statement h(d.db, "SELECT chain_hash FROM entries WHERE seq = ?1");
    h.bind_int64(1, through);
    if (h.step() != SQLITE_ROW) return d.error("read the last pruned entry");
    const auto hash = to_array(h.column_blob_view(0));
    Statement del(d.db, "DELETE FROM entries WHERE seq > ?1 AND seq <= ?2");
    del.bind_int64(1, start.first).bind_int64(2, through);
    GW_RETURN_IF_ERROR(d.run(del, "prune"));
    result.entries_deleted = sqlite3_changes64(d.db);
    result.pruned_through_seq = through;
    return d.write_meta("start", through, hash);
  }));
  return result;
}

Result<AuditHead> AuditLog::head() {
  std::lock_guard lock(impl_->db_mu);
  GW_ASSIGN_OR_RETURN(auto head, impl_->read_meta("head"));
  GW_ASSIGN_OR_RETURN(auto start, impl_->read_meta("start"));
  AuditHead out;
  out.last_seq = head.first;
  out.last_hash = head.second;
  out.pruned_through_seq = start.first;
  return out;
}

}  // namespace gw::audit
