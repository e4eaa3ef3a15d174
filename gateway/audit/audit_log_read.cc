// AuditLog's reads and the updates that are not appends: batch signatures
// and anchors, queries, retention, the head.
#include <sqlite3.h>

#include <algorithm>

#include "gateway/audit/audit_log.h"
#include "gateway/audit/audit_log_impl.h"

namespace gw::audit {

using internal::kBatchColumns;
using internal::read_batch;
using internal::to_array;
using sqlite::Statement;

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
