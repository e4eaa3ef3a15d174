// Internal to gateway/audit: the AuditLog's state, shared by audit_log.cc
// (opening, appends, batches) and audit_log_read.cc (queries, batch updates,
// retention).
#pragma once

#include <sqlite3.h>

#include <atomic>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "gateway/audit/audit_log.h"
#include "gateway/audit/audit_schema.h"
#include "gateway/base/sqlite.h"

namespace gw::audit {

struct AuditLog::Impl {
  std::string path;
  std::shared_ptr<const AuditKeys> keys;
  AuditLogOptions options;
  sqlite3* db = nullptr;
  std::mutex db_mu;  // guards db

  // Group commit: appends queue here; the leader writes them all.
  // Each append_all call waits on its own condition variable: the leader
  // wakes the callers of the batch it wrote and the next queued caller (who
  // leads the next commit), not every waiting thread (at 64 clients a shared
  // notify_all spent ~40 % of an append's CPU in futex wake-ups).
  struct Pending {
    const AuditEntry* entry = nullptr;
    Result<int64_t> result = internal_error("not written");
    bool done = false;
    std::condition_variable* wake = nullptr;
  };
  std::mutex group_mu;  // guards group_queue, group_leader
  std::vector<Pending*> group_queue;
  bool group_leader = false;
  std::atomic<int64_t> appends{0}, commits{0};  // for stats()

  // The statements every commit runs, prepared once (SQLITE_PREPARE_PERSISTENT):
  // compiling them at each commit was a third of an append's CPU. Guarded by
  // db_mu like the connection. sqlite3_close_v2 lets them finalize after it.
  struct Cached {
    sqlite::Statement begin, commit, rollback, read_meta, write_meta, insert_entry, last_batch,
        entry_time;
  };
  Cached cached;

  ~Impl() { sqlite3_close_v2(db); }

  // `s`, prepared from `sql` on first use; the caller resets it (ScopedReset).
  sqlite::Statement& prepared(sqlite::Statement& s, std::string_view sql) {
    if (!s.prepared()) s.prepare(db, sql);
    return s;
  }
  Status step_once(sqlite::Statement& s, std::string_view what) {
    sqlite::ScopedReset reset(s);
    if (!s.prepared() || s.step() != SQLITE_DONE) return error(what);
    return ok_status();
  }

  Status error(std::string_view what) const {
    return sqlite::error_status(db, sqlite3_extended_errcode(db),
                                "audit log " + path + ": " + std::string(what));
  }
  Status exec(const char* sql) {
    if (sqlite3_exec(db, sql, nullptr, nullptr, nullptr) != SQLITE_OK) return error("exec");
    return ok_status();
  }
  Status run(sqlite::Statement& s, std::string_view what) {
    if (s.step() != SQLITE_DONE) return error(what);
    return ok_status();
  }
  // Runs `body` in one IMMEDIATE transaction; rolls back if it fails.
  template <typename F>
  Status in_transaction(F body) {
    GW_RETURN_IF_ERROR(step_once(prepared(cached.begin, "BEGIN IMMEDIATE"), "begin"));
    Status s = body();
    if (s.ok()) s = step_once(prepared(cached.commit, "COMMIT"), "commit");
    if (!s.ok()) (void)step_once(prepared(cached.rollback, "ROLLBACK"), "rollback");
    return s;
  }

  Result<std::pair<int64_t, crypto::Sha256Digest>> read_meta(std::string_view name) {
    sqlite::Statement& s = prepared(cached.read_meta, "SELECT seq, hash FROM meta WHERE name = ?1");
    sqlite::ScopedReset reset(s);
    s.bind_text(1, name);
    if (!s.prepared() || s.step() != SQLITE_ROW) return error("read " + std::string(name));
    return std::make_pair(s.column_int64(0), internal::to_array(s.column_blob_view(1)));
  }
  Status write_meta(std::string_view name, int64_t seq, const crypto::Sha256Digest& hash) {
    sqlite::Statement& s = prepared(
        cached.write_meta, "INSERT OR REPLACE INTO meta (name, seq, hash) VALUES (?1, ?2, ?3)");
    s.bind_text(1, name).bind_int64(2, seq).bind_blob(3, std::span<const uint8_t>(hash));
    return step_once(s, "write " + std::string(name));
  }

  // Inside a transaction: writes `batch` (each validated) after the head.
  // Inside a transaction: writes `batch` (each validated) after the head.
  Status write_entries(std::vector<Pending*>& batch);
  // Inside a transaction: closes every batch that is full, or aged at
  // now_ms when it is set. Returns how many closed.
  Result<int> close_due(std::optional<int64_t> now_ms);
  // Group commit (see audit_log.h).
  // Appends all of `entries` in one group commit; their seqs in order.
  Result<std::vector<int64_t>> append_all(std::span<const AuditEntry> entries);
};

}  // namespace gw::audit
