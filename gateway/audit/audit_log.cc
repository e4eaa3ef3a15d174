#include "gateway/audit/audit_log.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "gateway/audit/audit_log_impl.h"
#include "gateway/base/clock.h"
#include "gateway/crypto/merkle.h"

namespace gw::audit {

using internal::as_view;
using internal::to_array;
using sqlite::Statement;

Status AuditLog::Impl::write_entries(std::vector<Pending*>& batch) {
  GW_ASSIGN_OR_RETURN(auto head, read_meta("head"));
  auto [seq, hash] = head;
  Statement& ins =
      prepared(cached.insert_entry,
               "INSERT INTO entries (seq, time_ms, action, actor, resource_type, outcome, "
               "patient_index, envelope, chain_hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)");
  sqlite::ScopedReset reset_ins(ins);
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

Result<int> AuditLog::Impl::close_due(std::optional<int64_t> now_ms) {
  // Runs at every commit, so it decides from the head and one row (seqs are
  // contiguous) and reads the waiting entries only to close a batch.
  GW_ASSIGN_OR_RETURN(const auto head, read_meta("head"));
  int closed = 0;
  for (;;) {
    int64_t first = 1;
    {
      Statement& last = prepared(cached.last_batch,
                                 "SELECT last_seq FROM batches ORDER BY first_seq DESC LIMIT 1");
      sqlite::ScopedReset reset(last);
      const int rc_last = last.step();
      if (rc_last != SQLITE_ROW && rc_last != SQLITE_DONE) return error("read batches");
      first = (rc_last == SQLITE_ROW ? last.column_int64(0) : 0) + 1;
    }
    const int64_t waiting = head.first - first + 1;
    if (waiting <= 0) return closed;
    const bool full = waiting >= static_cast<int64_t>(options.batch_max_entries);
    bool aged = false;
    if (!full && now_ms) {
      // The first waiting entry stands for the oldest: entries are written
      // in arrival order, and times from concurrent callers differ by little.
      Statement& t = prepared(cached.entry_time, "SELECT time_ms FROM entries WHERE seq = ?1");
      sqlite::ScopedReset reset(t);
      t.bind_int64(1, first);
      if (t.step() != SQLITE_ROW) return error("read the first unbatched entry");
      aged = *now_ms - t.column_int64(0) >= options.batch_max_age_ms;
    }
    if (!full && !aged) return closed;
    const int64_t last_seq =
        first + std::min<int64_t>(waiting, static_cast<int64_t>(options.batch_max_entries)) - 1;
    Statement s(db, "SELECT chain_hash FROM entries WHERE seq BETWEEN ?1 AND ?2 ORDER BY seq");
    s.bind_int64(1, first).bind_int64(2, last_seq);
    std::vector<crypto::Hash256> leaves;
    int rc;
    while ((rc = s.step()) == SQLITE_ROW) leaves.push_back(to_array(s.column_blob_view(0)));
    if (rc != SQLITE_DONE) return error("read unbatched entries");
    if (static_cast<int64_t>(leaves.size()) != last_seq - first + 1) {
      return data_loss_error("audit log " + path + ": entries " + std::to_string(first) + ".." +
                             std::to_string(last_seq) + " are not all there (run audit verify)");
    }
    const auto tree = crypto::MerkleTree::build(std::move(leaves));
    Statement ins(db,
                  "INSERT INTO batches (first_seq, last_seq, root, created_ms) "
                  "VALUES (?1, ?2, ?3, ?4)");
    ins.bind_int64(1, first).bind_int64(2, last_seq);
    ins.bind_blob(3, std::span<const uint8_t>(tree->root())).bind_int64(4, gw::now_ms());
    GW_RETURN_IF_ERROR(run(ins, "record batch"));
    ++closed;
  }
}

Result<std::vector<int64_t>> AuditLog::Impl::append_all(std::span<const AuditEntry> entries) {
  // Queued together under one lock, so one leader writes them all in one
  // transaction: they are durable together or not at all.
  std::condition_variable wake;
  std::vector<Pending> mine(entries.size());
  for (size_t i = 0; i < entries.size(); ++i) {
    mine[i].entry = &entries[i];
    mine[i].wake = &wake;
  }
  std::unique_lock group(group_mu);
  for (Pending& p : mine) group_queue.push_back(&p);
  auto all_done = [&] {
    return std::all_of(mine.begin(), mine.end(), [](const Pending& p) { return p.done; });
  };
  while (!all_done()) {
    if (group_leader) {
      wake.wait(group);
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
      if (s.ok()) {
        appends += static_cast<int64_t>(batch.size());
        ++commits;
      } else {
        for (Pending* p : batch) p->result = s;
      }
    }
    group.lock();
    group_leader = false;
    std::condition_variable* last = nullptr;
    for (Pending* p : batch) {
      p->done = true;
      if (p->wake != last && p->wake != &wake) p->wake->notify_one();
      last = p->wake;
    }
    // Whoever queued first while this commit ran leads the next one.
    if (!group_queue.empty()) group_queue.front()->wake->notify_one();
  }
  std::vector<int64_t> seqs;
  for (Pending& p : mine) {
    if (!p.result.ok()) return p.result.status();
    seqs.push_back(*p.result);
  }
  return seqs;
}

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
  GW_ASSIGN_OR_RETURN(std::vector<int64_t> seqs, impl_->append_all(std::span(&entry, 1)));
  return seqs.front();
}

Result<std::vector<int64_t>> AuditLog::append_all(std::span<const AuditEntry> entries) {
  for (const AuditEntry& e : entries) GW_RETURN_IF_ERROR(validate(e));
  if (entries.empty()) return std::vector<int64_t>{};
  return impl_->append_all(entries);
}

AuditLogStats AuditLog::stats() const { return {impl_->appends.load(), impl_->commits.load()}; }

Result<int> AuditLog::close_batches(int64_t now_ms) {
  std::lock_guard lock(impl_->db_mu);
  int closed = 0;
  GW_RETURN_IF_ERROR(impl_->in_transaction([&]() -> Status {
    GW_ASSIGN_OR_RETURN(closed, impl_->close_due(now_ms));
    return ok_status();
  }));
  return closed;
}

}  // namespace gw::audit
