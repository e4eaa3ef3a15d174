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

  bool last(int64_t* out, std::string* error) {
    ScopedReset reset(last_seq);
    if (last_seq.step() != SQLITE_ROW) {
      *error = "reading batches: " + internal::describe_error(db.get(), sqlite3_errcode(db.get()));
      return false;
    }
    *out = last_seq.column_int64(0);
    return true;
  }

  // Steps a bound (seq, commitment) query to its end into *out.
  bool read_records(Statement& s, PendingRecords* out, std::string* error) {
    int rc;
    while ((rc = s.step()) == SQLITE_ROW) {
      std::string_view c = s.column_blob_view(1);
      if (c.size() != 32) {
        *error = "record " + std::to_string(s.column_int64(0)) + " has no commitment";
        return false;
      }
      out->seqs.push_back(s.column_int64(0));
      std::array<uint8_t, 32> a{};
      std::memcpy(a.data(), c.data(), 32);
      out->commitments.push_back(a);
    }
    if (rc != SQLITE_DONE) {
      *error = "reading records: " + internal::describe_error(db.get(), rc);
      return false;
    }
    return true;
  }
};

BatchStore::BatchStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
BatchStore::~BatchStore() = default;

std::unique_ptr<BatchStore> BatchStore::open(const std::string& path, std::string* error) {
  auto impl = std::make_unique<Impl>();
  if (!impl->db.open(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, error)) {
    *error = "batch store: " + *error;
    return nullptr;
  }
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
    if (rc != SQLITE_OK) {
      *error = "batch store: " + internal::describe_error(impl->db.get(), rc);
      return nullptr;
    }
  }
  return std::unique_ptr<BatchStore>(new BatchStore(std::move(impl)));
}

std::optional<PendingRecords> BatchStore::pending(size_t limit, std::string* error) {
  int64_t after = 0;
  if (!impl_->last(&after, error)) return std::nullopt;
  PendingRecords out;
  ScopedReset reset(impl_->pending);
  impl_->pending.bind_int64(1, after).bind_int64(
      2, static_cast<int64_t>(std::min<uint64_t>(limit, std::numeric_limits<int64_t>::max())));
  if (!impl_->read_records(impl_->pending, &out, error)) return std::nullopt;
  return out;
}

std::optional<int64_t> BatchStore::pending_count(std::string* error) {
  int64_t after = 0;
  if (!impl_->last(&after, error)) return std::nullopt;
  ScopedReset reset(impl_->pending_count);
  if (impl_->pending_count.bind_int64(1, after).step() != SQLITE_ROW) {
    *error = "counting records: " +
             internal::describe_error(impl_->db.get(), sqlite3_errcode(impl_->db.get()));
    return std::nullopt;
  }
  return impl_->pending_count.column_int64(0);
}

bool BatchStore::record(SignedBatch* b, std::string* error) {
  if (impl_->db.exec("BEGIN IMMEDIATE", error) != SQLITE_OK) return false;
  int64_t last = 0;
  bool ok = impl_->last(&last, error);
  if (ok && b->first_seq <= last) {
    *error = "batch overlaps the previous batch (first seq " + std::to_string(b->first_seq) +
             ", previous last seq " + std::to_string(last) + ")";
    ok = false;
  }
  if (ok) {
    ScopedReset reset(impl_->insert);
    const int rc = impl_->insert.bind_int64(1, b->first_seq)
                       .bind_int64(2, b->last_seq)
                       .bind_int64(3, b->record_count)
                       .bind_blob(4, bytes(b->root.data(), b->root.size()))
                       .bind_blob(5, bytes(b->signature.data(), b->signature.size()))
                       .bind_text(6, b->signer)
                       .bind_int64(7, b->created_at_ms)
                       .step();
    if (rc != SQLITE_DONE) {
      *error = "recording batch: " + internal::describe_error(impl_->db.get(), rc);
      ok = false;
    } else {
      b->id = sqlite3_last_insert_rowid(impl_->db.get());
    }
  }
  if (!ok) {
    impl_->db.exec("ROLLBACK", nullptr);
    return false;
  }
  return impl_->db.exec("COMMIT", error) == SQLITE_OK;
}

std::vector<SignedBatch> BatchStore::list(int64_t after_id, size_t limit, std::string* error) {
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
  if (rc != SQLITE_DONE && error != nullptr)
    *error = "listing batches: " + internal::describe_error(impl_->db.get(), rc);
  return out;
}

std::optional<std::vector<SignedBatch>> BatchStore::unanchored(int64_t after_id, size_t limit,
                                                               std::string* error) {
  std::vector<SignedBatch> out;
  Statement& s = impl_->unanchored;
  ScopedReset reset(s);
  s.bind_int64(1, after_id)
      .bind_int64(2, static_cast<int64_t>(std::min<uint64_t>(limit, 1u << 30)));
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) {
    SignedBatch b;
    if (!read_batch(s, &b)) {
      *error = "batch " + std::to_string(b.id) + " has a malformed root";
      return std::nullopt;
    }
    out.push_back(std::move(b));
  }
  if (rc != SQLITE_DONE) {
    *error = "listing unanchored batches: " + internal::describe_error(impl_->db.get(), rc);
    return std::nullopt;
  }
  return out;
}

std::optional<PendingRecords> BatchStore::records_in(int64_t first_seq, int64_t last_seq,
                                                     std::string* error) {
  PendingRecords out;
  Statement& s = impl_->commitments;
  ScopedReset reset(s);
  s.bind_int64(1, first_seq).bind_int64(2, last_seq);
  if (!impl_->read_records(s, &out, error)) return std::nullopt;
  return out;
}

bool BatchStore::set_anchored(int64_t id, const std::string& tx_hash, std::string* error) {
  Statement& s = impl_->set_anchored;
  ScopedReset reset(s);
  const int rc = s.bind_int64(1, id).bind_text(2, tx_hash).step();
  if (rc != SQLITE_DONE) {
    *error = "recording the anchor of batch " + std::to_string(id) + ": " +
             internal::describe_error(impl_->db.get(), rc);
    return false;
  }
  if (sqlite3_changes(impl_->db.get()) == 0) {
    *error = "no batch " + std::to_string(id);
    return false;
  }
  return true;
}

}  // namespace gw::store
