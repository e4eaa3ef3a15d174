#include "gateway/audit/audit_verify.h"

#include <sqlite3.h>

#include <optional>
#include <vector>

#include "gateway/audit/audit_schema.h"
#include "gateway/base/sqlite.h"
#include "gateway/crypto/merkle.h"

namespace gw::audit {
namespace {

using internal::as_view;
using sqlite::Statement;

// How far from its own seq a row that does not open is looked for: rows
// swapped, shifted by an insertion or a deletion land near where they were.
constexpr int64_t kProbeDistance = 16;

struct Db {
  sqlite3* db = nullptr;
  std::string path;
  ~Db() { sqlite3_close_v2(db); }
  Status error(std::string_view what) const {
    return sqlite::error_status(db, sqlite3_extended_errcode(db),
                                "audit log " + path + ": " + std::string(what));
  }
};

class Verifier {
 public:
  Verifier(Db& db, const AuditKeys& keys, const BatchCheck& check)
      : d_(db), keys_(keys), check_(check) {}

  Result<AuditVerifyReport> run();

 private:
  // Records the first fault; returns false so callers can `return fail(...)`.
  bool fail(AuditFault fault, int64_t seq, std::string what) {
    r_.fault = fault;
    r_.first_bad_seq = seq;
    r_.what = std::move(what);
    return false;
  }
  Status load_batches();
  bool check_batch(const AuditBatch& b);
  bool entry(Statement& s);
  bool explain_unopened(int64_t seq, std::string_view envelope);

  Db& d_;
  const AuditKeys& keys_;
  const BatchCheck& check_;
  AuditVerifyReport r_;
  std::vector<AuditBatch> batches_;
  size_t next_batch_ = 0;  // first batch whose entries are not all checked
  std::optional<std::pair<int64_t, std::string>> layout_fault_;
  std::vector<crypto::Hash256> leaves_;
  int64_t prev_seq_ = 0;
  crypto::Sha256Digest prev_hash_{};
};

Status Verifier::load_batches() {
  Statement s(
      d_.db, std::string("SELECT ") + internal::kBatchColumns + " FROM batches ORDER BY first_seq");
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) batches_.push_back(internal::read_batch(s));
  if (rc != SQLITE_DONE) return d_.error("read batches");
  // Batches must tile seqs 1.. without gaps or overlaps.
  int64_t expected = 1;
  for (const AuditBatch& b : batches_) {
    if (b.first_seq != expected || b.last_seq < b.first_seq) {
      layout_fault_.emplace(std::min(b.first_seq, expected),
                            "batch " + std::to_string(b.id) + " does not follow the one before");
      break;
    }
    if (b.first_seq <= r_.pruned_through_seq && b.last_seq > r_.pruned_through_seq) {
      layout_fault_.emplace(b.first_seq, "batch " + std::to_string(b.id) + " is pruned in part");
      break;
    }
    expected = b.last_seq + 1;
  }
  return ok_status();
}

bool Verifier::check_batch(const AuditBatch& b) {
  ++r_.batches_checked;
  if (!check_) return true;
  if (Status s = check_(b); !s.ok()) {
    return fail(AuditFault::kBatchCheck, b.first_seq,
                "batch " + std::to_string(b.id) + ": " + s.message());
  }
  return true;
}

bool Verifier::explain_unopened(int64_t seq, std::string_view envelope) {
  for (int64_t m = std::max<int64_t>(1, seq - kProbeDistance); m <= seq + kProbeDistance; ++m) {
    if (m == seq || !keys_.open(envelope, internal::entry_associated_data(m)).ok()) continue;
    Statement other(d_.db, "SELECT envelope FROM entries WHERE seq = ?1");
    other.bind_int64(1, m);
    if (other.step() == SQLITE_ROW && other.column_blob_view(0) == envelope) {
      return fail(AuditFault::kInsertedEntry, seq,
                  "entry " + std::to_string(seq) + " is a copy of entry " + std::to_string(m));
    }
    return fail(
        AuditFault::kReorderedEntry, seq,
        "entry " + std::to_string(seq) + " holds the entry written as " + std::to_string(m));
  }
  return fail(AuditFault::kAlteredCiphertext, seq,
              "entry " + std::to_string(seq) + " does not open: ciphertext altered or foreign");
}

// Columns: seq, time_ms, action, actor, resource_type, outcome, patient_index,
// envelope, chain_hash.
bool Verifier::entry(Statement& s) {
  const int64_t seq = s.column_int64(0);
  if (layout_fault_ && seq >= layout_fault_->first) {
    return fail(AuditFault::kBatchLayout, layout_fault_->first, layout_fault_->second);
  }
  if (seq != prev_seq_ + 1) {
    return fail(AuditFault::kMissingEntry, prev_seq_ + 1,
                "entry " + std::to_string(prev_seq_ + 1) + " is missing");
  }
  const std::string_view envelope = s.column_blob_view(7);
  auto bytes = keys_.open(envelope, internal::entry_associated_data(seq));
  if (!bytes.ok()) return explain_unopened(seq, envelope);
  auto e = decode(*bytes);
  if (!e.ok()) {
    return fail(AuditFault::kMalformedEntry, seq,
                "entry " + std::to_string(seq) + ": " + e.error().message());
  }
  const std::string index = e->patient ? keys_.patient_index(*e->patient) : std::string();
  const char* altered = nullptr;
  if (s.column_int64(1) != e->time_ms) {
    altered = "time";
  } else if (s.column_text(2) != action_name(e->action)) {
    altered = "action";
  } else if (s.column_text(3) != e->actor.to_string()) {
    altered = "actor";
  } else if (s.column_text(4) != e->resource_type) {
    altered = "resource type";
  } else if (s.column_text(5) != outcome_name(e->outcome.kind)) {
    altered = "outcome";
  } else if (s.column_is_null(6) != !e->patient.has_value() || s.column_blob_view(6) != index) {
    altered = "patient index";
  }
  if (altered != nullptr) {
    return fail(AuditFault::kAlteredField, seq,
                "entry " + std::to_string(seq) + ": " + altered + " differs from the entry");
  }
  const auto hash = internal::chain_next(prev_hash_, crypto::sha256(*bytes));
  if (s.column_blob_view(8) != as_view(hash)) {
    return fail(AuditFault::kChainBroken, seq,
                "entry " + std::to_string(seq) + ": chain hash does not follow");
  }
  prev_seq_ = seq;
  prev_hash_ = hash;
  ++r_.entries_checked;
  if (next_batch_ < batches_.size()) {
    const AuditBatch& b = batches_[next_batch_];
    leaves_.push_back(hash);
    if (seq == b.last_seq) {
      const auto tree = crypto::MerkleTree::build(std::move(leaves_));
      leaves_.clear();
      if (tree->root() != b.root) {
        return fail(AuditFault::kBatchRoot, b.first_seq,
                    "batch " + std::to_string(b.id) + ": root is not its entries' root");
      }
      if (!check_batch(b)) return false;
      ++next_batch_;
    }
  }
  return true;
}

Result<AuditVerifyReport> Verifier::run() {
  Statement meta(d_.db, "SELECT name, seq, hash FROM meta WHERE name IN ('start', 'head')");
  std::optional<std::pair<int64_t, crypto::Sha256Digest>> start, head;
  while (meta.step() == SQLITE_ROW) {
    auto v = std::make_pair(meta.column_int64(1), internal::to_array(meta.column_blob_view(2)));
    (meta.column_text(0) == "start" ? start : head) = v;
  }
  if (!start || !head) return data_loss_error("audit log " + d_.path + ": no start or head");
  r_.pruned_through_seq = start->first;
  prev_seq_ = start->first;
  prev_hash_ = start->second;
  GW_RETURN_IF_ERROR(load_batches());
  // Batches whose entries are pruned still have signatures and anchors.
  while (next_batch_ < batches_.size() && batches_[next_batch_].last_seq <= prev_seq_) {
    if (!check_batch(batches_[next_batch_++])) return r_;
  }
  Statement below(d_.db, "SELECT min(seq) FROM entries WHERE seq <= ?1");
  below.bind_int64(1, prev_seq_);
  if (below.step() == SQLITE_ROW && !below.column_is_null(0)) {
    fail(AuditFault::kInsertedEntry, below.column_int64(0), "an entry below the pruned start");
    return r_;
  }
  Statement s(d_.db,
              "SELECT seq, time_ms, action, actor, resource_type, outcome, patient_index, "
              "envelope, chain_hash FROM entries WHERE seq > ?1 ORDER BY seq");
  s.bind_int64(1, prev_seq_);
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) {
    if (!entry(s)) return r_;
  }
  if (rc != SQLITE_DONE) return d_.error("read entries");
  if (layout_fault_) {
    fail(AuditFault::kBatchLayout, layout_fault_->first, layout_fault_->second);
  } else if (next_batch_ < batches_.size() || head->first > prev_seq_) {
    fail(AuditFault::kMissingEntry, prev_seq_ + 1,
         "entry " + std::to_string(prev_seq_ + 1) + " is missing (the log ends early)");
  } else if (head->first < prev_seq_) {
    fail(AuditFault::kInsertedEntry, head->first + 1,
         "entry " + std::to_string(head->first + 1) + " lies past the recorded head");
  } else if (head->second != prev_hash_) {
    fail(AuditFault::kHeadMismatch, prev_seq_, "the head's hash is not the last entry's");
  }
  return r_;
}

}  // namespace

std::string_view fault_name(AuditFault fault) {
  switch (fault) {
    case AuditFault::kNone:
      return "none";
    case AuditFault::kMissingEntry:
      return "missing entry";
    case AuditFault::kReorderedEntry:
      return "reordered entry";
    case AuditFault::kInsertedEntry:
      return "inserted entry";
    case AuditFault::kAlteredCiphertext:
      return "altered ciphertext";
    case AuditFault::kMalformedEntry:
      return "malformed entry";
    case AuditFault::kAlteredField:
      return "altered field";
    case AuditFault::kChainBroken:
      return "chain broken";
    case AuditFault::kHeadMismatch:
      return "head mismatch";
    case AuditFault::kBatchLayout:
      return "batch layout";
    case AuditFault::kBatchRoot:
      return "batch root mismatch";
    case AuditFault::kBatchCheck:
      return "batch check failed";
  }
  return "unknown";
}

Result<AuditVerifyReport> verify_audit_log(const std::string& path, const AuditKeys& keys,
                                           const BatchCheck& check_batch) {
  Db d;
  d.path = path;
  if (sqlite3_open_v2(path.c_str(), &d.db, SQLITE_OPEN_READONLY | SQLITE_OPEN_FULLMUTEX, nullptr) !=
      SQLITE_OK) {
    return d.error("cannot open");
  }
  sqlite3_busy_timeout(d.db, 5000);
  Statement v(d.db, "PRAGMA user_version");
  Statement app(d.db, "PRAGMA application_id");
  if (v.step() != SQLITE_ROW || app.step() != SQLITE_ROW) return d.error("read schema");
  if (v.column_int64(0) != internal::kSchemaVersion ||
      app.column_int64(0) != internal::kApplicationId) {
    return failed_precondition_error("audit log " + path + ": not an audit log of this build");
  }
  // One read transaction: a consistent snapshot while gatewayd keeps appending.
  if (sqlite3_exec(d.db, "BEGIN", nullptr, nullptr, nullptr) != SQLITE_OK) {
    return d.error("begin");
  }
  Verifier verifier(d, keys, check_batch);
  auto report = verifier.run();
  sqlite3_exec(d.db, "COMMIT", nullptr, nullptr, nullptr);
  return report;
}

}  // namespace gw::audit
