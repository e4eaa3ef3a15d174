#include "gateway/store/batches.h"

#include <cstring>
#include <limits>

#include "gateway/store/sqlite_util.h"

namespace gw::store {

using internal::Connection;
using internal::ScopedReset;
using internal::Statement;

namespace {

constexpr char kLastSeq[] = "SELECT coalesce(max(last_seq), 0) FROM record_batches";
constexpr char kPending[] =
    "SELECT seq, commitment FROM records WHERE seq > ?1 ORDER BY seq LIMIT ?2";
constexpr char kPendingCount[] = "SELECT count(*) FROM records WHERE seq > ?1";
constexpr char kInsert[] =
    "INSERT INTO record_batches (first_seq, last_seq, record_count, root, signature, signer, "
    "created_at_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
constexpr char kList[] =
    "SELECT id, first_seq, last_seq, record_count, root, signature, signer, created_at_ms, "
    "anchored_tx FROM record_batches WHERE id > ?1 ORDER BY id LIMIT ?2";
constexpr char kUnanchored[] =
    "SELECT id, first_seq, last_seq, record_count, root, signature, signer, created_at_ms, "
    "anchored_tx FROM record_batches WHERE id > ?1 AND anchored_tx IS NULL ORDER BY id LIMIT ?2";
constexpr char kCommitments[] =
    "SELECT seq, commitment FROM records WHERE seq BETWEEN ?1 AND ?2 ORDER BY seq";
constexpr char kSetAnchored[] = "UPDATE record_batches SET anchored_tx = ?2 WHERE id = ?1";

std::string_view bytes(const void* p, size_t n) {
  return std::string_view(static_cast<const char*>(p), n);
}

// One row of kList / kUnanchored. False if the root is not 32 bytes: the
// schema guarantees it (CHECK), but a file edited behind our back must not
// yield a zero root that would then be anchored or reported as verified.
bool read_batch(Statement& s, SignedBatch* b) {
  b->id = s.column_int64(0);
  b->first_seq = s.column_int64(1);
  b->last_seq = s.column_int64(2);
  b->record_count = s.column_int64(3);
  std::string_view root = s.column_blob_view(4);
  if (root.size() != 32) return false;
  std::memcpy(b->root.data(), root.data(), 32);
  std::string_view sig = s.column_blob_view(5);
  b->signature.assign(sig.begin(), sig.end());
  b->signer = s.column_text(6);
  b->created_at_ms = s.column_int64(7);
  b->anchored_tx = s.column_text(8);
  return true;
}

}  // namespace

struct BatchStore::Impl {
  Connection db;
  Statement last_seq, pending, pending_count, insert, list, unanchored, set_anchored, commitments;

  Result<int64_t> last() {
    ScopedReset reset(last_seq);
    if (last_seq.step() != SQLITE_ROW) {
      return sqlite::error_status(db.get(), sqlite3_errcode(db.get()), "reading batches");
    }
    return last_seq.column_int64(0);
  }

  // Steps a bound (seq, commitment) query to its end.
  Result<PendingRecords> read_records(Statement& s) {
    PendingRecords out;
    int rc;
    while ((rc = s.step()) == SQLITE_ROW) {
      std::string_view c = s.column_blob_view(1);
      if (c.size() != 32) {
        return data_loss_error("record " + std::to_string(s.column_int64(0)) +
                               " has no commitment");
      }
      out.seqs.push_back(s.column_int64(0));
      std::array<uint8_t, 32> a{};
      std::memcpy(a.data(), c.data(), 32);
      out.commitments.push_back(a);
    }
    if (rc != SQLITE_DONE) return sqlite::error_status(db.get(), rc, "reading records");
    return out;
  }
};

BatchStore::BatchStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
BatchStore::~BatchStore() = default;

Result<std::unique_ptr<BatchStore>> BatchStore::open(const std::string& path) {
  auto impl = std::make_unique<Impl>();
  GW_RETURN_IF_ERROR(
      impl->db.open(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX).with_context("batch store"));
  sqlite3_busy_timeout(impl->db.get(), 5000);
  const std::pair<Statement*, const char*> statements[] = {
      {&impl->last_seq, kLastSeq},
      {&impl->pending, kPending},
      {&impl->pending_count, kPendingCount},
      {&impl->insert, kInsert},
      {&impl->list, kList},
      {&impl->unanchored, kUnanchored},
      {&impl->set_anchored, kSetAnchored},
      {&impl->commitments, kCommitments},
  };
  for (const auto& [stmt, sql] : statements) {
    const int rc = stmt->prepare(impl->db.get(), sql);
    if (rc != SQLITE_OK) return sqlite::error_status(impl->db.get(), rc, "batch store");
  }
  return std::unique_ptr<BatchStore>(new BatchStore(std::move(impl)));
}

Result<PendingRecords> BatchStore::pending(size_t limit) {
  GW_ASSIGN_OR_RETURN(const int64_t after, impl_->last());
  ScopedReset reset(impl_->pending);
  impl_->pending.bind_int64(1, after).bind_int64(
      2, static_cast<int64_t>(std::min<uint64_t>(limit, std::numeric_limits<int64_t>::max())));
  return impl_->read_records(impl_->pending);
}

Result<int64_t> BatchStore::pending_count() {
  GW_ASSIGN_OR_RETURN(const int64_t after, impl_->last());
  ScopedReset reset(impl_->pending_count);
  if (impl_->pending_count.bind_int64(1, after).step() != SQLITE_ROW) {
    return sqlite::error_status(impl_->db.get(), sqlite3_errcode(impl_->db.get()),
                                "counting records");
  }
  return impl_->pending_count.column_int64(0);
}

Status BatchStore::record(SignedBatch* b) {
  GW_RETURN_IF_ERROR(impl_->db.exec("BEGIN IMMEDIATE"));
  const auto insert = [&]() -> Status {
    GW_ASSIGN_OR_RETURN(const int64_t last, impl_->last());
    if (b->first_seq <= last) {
      return failed_precondition_error("batch overlaps the previous batch (first seq " +
                                       std::to_string(b->first_seq) + ", previous last seq " +
                                       std::to_string(last) + ")");
    }
    ScopedReset reset(impl_->insert);
    const int rc = impl_->insert.bind_int64(1, b->first_seq)
                       .bind_int64(2, b->last_seq)
                       .bind_int64(3, b->record_count)
                       .bind_blob(4, bytes(b->root.data(), b->root.size()))
                       .bind_blob(5, bytes(b->signature.data(), b->signature.size()))
                       .bind_text(6, b->signer)
                       .bind_int64(7, b->created_at_ms)
                       .step();
    if (rc != SQLITE_DONE) return sqlite::error_status(impl_->db.get(), rc, "recording batch");
    b->id = sqlite3_last_insert_rowid(impl_->db.get());
    return ok_status();
  };
  if (Status s = insert(); !s.ok()) {
    // The failure being reported matters more than a failed rollback, which
    // SQLite completes when the connection closes anyway.
    impl_->db.exec("ROLLBACK").ignore();
    return s;
  }
  return impl_->db.exec("COMMIT");
}

Result<std::vector<SignedBatch>> BatchStore::list(int64_t after_id, size_t limit) {
  std::vector<SignedBatch> out;
  ScopedReset reset(impl_->list);
  impl_->list.bind_int64(1, after_id)
      .bind_int64(2, static_cast<int64_t>(std::min<uint64_t>(limit, 1u << 30)));
  int rc;
  while ((rc = impl_->list.step()) == SQLITE_ROW) {
    SignedBatch b;
    // A malformed root stays zero here: the listing shows it, and
    // `ledger verify` reports the batch as not matching its records.
    read_batch(impl_->list, &b);
    out.push_back(std::move(b));
  }
  if (rc != SQLITE_DONE) return sqlite::error_status(impl_->db.get(), rc, "listing batches");
  return out;
}

Result<std::vector<SignedBatch>> BatchStore::unanchored(int64_t after_id, size_t limit) {
  std::vector<SignedBatch> out;
  Statement& s = impl_->unanchored;
  ScopedReset reset(s);
  s.bind_int64(1, after_id)
      .bind_int64(2, static_cast<int64_t>(std::min<uint64_t>(limit, 1u << 30)));
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) {
    SignedBatch b;
    if (!read_batch(s, &b)) {
      return data_loss_error("batch " + std::to_string(b.id) + " has a malformed root");
    }
    out.push_back(std::move(b));
  }
  if (rc != SQLITE_DONE) {
    return sqlite::error_status(impl_->db.get(), rc, "listing unanchored batches");
  }
  return out;
}

Result<PendingRecords> BatchStore::records_in(int64_t first_seq, int64_t last_seq) {
  Statement& s = impl_->commitments;
  ScopedReset reset(s);
  s.bind_int64(1, first_seq).bind_int64(2, last_seq);
  return impl_->read_records(s);
}

Status BatchStore::set_anchored(int64_t id, const std::string& tx_hash) {
  Statement& s = impl_->set_anchored;
  ScopedReset reset(s);
  const int rc = s.bind_int64(1, id).bind_text(2, tx_hash).step();
  if (rc != SQLITE_DONE) {
    return sqlite::error_status(impl_->db.get(), rc,
                                "recording the anchor of batch " + std::to_string(id));
  }
  if (sqlite3_changes(impl_->db.get()) == 0)
    return not_found_error("no batch " + std::to_string(id));
  return ok_status();
}

}  // namespace gw::store
