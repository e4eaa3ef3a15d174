#include "ledger-client/outbox/outbox_store.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>

#include "gateway/base/clock.h"
#include "gateway/base/sqlite.h"

namespace gw::ledger {
namespace {

constexpr int kSchemaVersion = 1;

// What the caller can do about a SQLite failure: wait for the lock or the
// disk, or stop, because the file is damaged.
StatusCode sqlite_code(int rc) {
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
      return StatusCode::kUnavailable;
    case SQLITE_FULL:
      return StatusCode::kResourceExhausted;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return StatusCode::kDataLoss;
    default:
      return StatusCode::kInternal;
  }
}

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS items(
  seq INTEGER PRIMARY KEY,
  kind INTEGER NOT NULL,
  body BLOB NOT NULL,
  key BLOB,
  state INTEGER NOT NULL DEFAULT 0,
  tx_id INTEGER,
  outcome TEXT NOT NULL DEFAULT '',
  attempts INTEGER NOT NULL DEFAULT 0,
  created_ms INTEGER NOT NULL,
  done_ms INTEGER,
  block_number INTEGER,
  tx_hash BLOB,
  contract_address BLOB);
CREATE UNIQUE INDEX IF NOT EXISTS items_by_key ON items(kind, key) WHERE key IS NOT NULL;
CREATE INDEX IF NOT EXISTS items_by_state ON items(state, kind, seq);
CREATE INDEX IF NOT EXISTS items_by_tx ON items(tx_id) WHERE tx_id IS NOT NULL;
CREATE TABLE IF NOT EXISTS txs(
  id INTEGER PRIMARY KEY,
  nonce INTEGER NOT NULL,
  kind INTEGER NOT NULL,
  raw BLOB NOT NULL,
  hash BLOB NOT NULL,
  max_fee TEXT NOT NULL,
  priority_fee TEXT NOT NULL,
  gas_limit INTEGER NOT NULL,
  state INTEGER NOT NULL DEFAULT 0,
  sent_ms INTEGER NOT NULL DEFAULT 0,
  signed_ms INTEGER NOT NULL,
  block_number INTEGER,
  block_hash BLOB,
  mined_hash BLOB,
  success INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS txs_by_state ON txs(state, nonce);
CREATE TABLE IF NOT EXISTS tx_hashes(hash BLOB PRIMARY KEY, tx_id INTEGER NOT NULL);
)sql";

using sqlite::Statement;

// A blob column of exactly N bytes; nullopt if NULL or of another length.
template <size_t N>
std::optional<std::array<uint8_t, N>> fixed(Statement& s, int c) {
  if (s.column_is_null(c)) return std::nullopt;
  const std::string_view b = s.column_blob_view(c);
  if (b.size() != N) return std::nullopt;
  std::array<uint8_t, N> out;
  std::memcpy(out.data(), b.data(), N);
  return out;
}

constexpr const char* kItemColumns =
    "seq, kind, body, key, state, tx_id, outcome, attempts, block_number, tx_hash, "
    "contract_address";

OutboxItem read_item(Statement& s) {
  OutboxItem it;
  it.seq = s.column_int64(0);
  it.kind = static_cast<ItemKind>(s.column_int64(1));
  it.body = s.column_bytes(2);
  it.key = s.column_bytes(3);
  it.state = static_cast<ItemState>(s.column_int64(4));
  if (!s.column_is_null(5)) it.tx_id = s.column_int64(5);
  it.outcome = s.column_text(6);
  it.attempts = static_cast<int>(s.column_int64(7));
  if (!s.column_is_null(8)) it.block_number = static_cast<uint64_t>(s.column_int64(8));
  it.tx_hash = fixed<32>(s, 9);
  it.contract_address = fixed<20>(s, 10);
  return it;
}

constexpr const char* kTxColumns =
    "id, nonce, kind, raw, hash, max_fee, priority_fee, gas_limit, state, sent_ms, signed_ms, "
    "block_number, block_hash, mined_hash, success";

OutboxTx read_tx(Statement& s) {
  OutboxTx t;
  t.id = s.column_int64(0);
  t.nonce = static_cast<uint64_t>(s.column_int64(1));
  t.kind = static_cast<ItemKind>(s.column_int64(2));
  t.raw = s.column_bytes(3);
  t.hash = fixed<32>(s, 4).value_or(Hash256{});
  t.max_fee = s.column_text(5);
  t.priority_fee = s.column_text(6);
  t.gas_limit = static_cast<uint64_t>(s.column_int64(7));
  t.state = static_cast<TxState>(s.column_int64(8));
  t.sent_ms = s.column_int64(9);
  t.signed_ms = s.column_int64(10);
  if (!s.column_is_null(11)) t.block_number = static_cast<uint64_t>(s.column_int64(11));
  t.block_hash = fixed<32>(s, 12);
  t.mined_hash = fixed<32>(s, 13);
  t.success = s.column_int64(14) != 0;
  return t;
}

}  // namespace

std::string_view item_kind_name(ItemKind kind) {
  switch (kind) {
    case ItemKind::kTransfer:
      return "transfer";
    case ItemKind::kAnchor:
      return "anchor";
    case ItemKind::kConsentGrant:
      return "grant";
    case ItemKind::kCall:
      return "call";
  }
  return "unknown";
}

std::string_view item_state_name(ItemState state) {
  switch (state) {
    case ItemState::kQueued:
      return "queued";
    case ItemState::kSubmitted:
      return "submitted";
    case ItemState::kDone:
      return "done";
    case ItemState::kRefused:
      return "refused";
    case ItemState::kFailed:
      return "failed";
  }
  return "unknown";
}

class OutboxStore::Impl {
 public:
  ~Impl() { sqlite3_close_v2(db); }
  sqlite3* db = nullptr;
  std::string path;
  std::mutex mu;

  Status sql_error(const char* what) const {
    return Status(sqlite_code(sqlite3_errcode(db)),
                  std::string("outbox ") + path + ": " + what + ": " + sqlite3_errmsg(db));
  }
  Status exec(const char* sql) {
    char* msg = nullptr;
    if (sqlite3_exec(db, sql, nullptr, nullptr, &msg) != SQLITE_OK) {
      std::string m = msg ? msg : "unknown error";
      sqlite3_free(msg);
      return Status(sqlite_code(sqlite3_errcode(db)), "outbox " + path + ": " + m);
    }
    return ok_status();
  }
  // Runs `body` inside BEGIN IMMEDIATE ... COMMIT, rolling back on error.
  template <typename F>
  auto in_tx(F&& body) -> decltype(body()) {
    GW_RETURN_IF_ERROR(exec("BEGIN IMMEDIATE"));
    auto r = body();
    if (!r.ok()) {
      (void)exec("ROLLBACK");
      return r;
    }
    if (auto s = exec("COMMIT"); !s.ok()) {
      (void)exec("ROLLBACK");
      return s;
    }
    return r;
  }
  Status run(Statement& s, const char* what) {
    if (!s.prepared()) return sql_error(what);
    int rc = s.step();
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) return sql_error(what);
    return ok_status();
  }
  Result<std::optional<std::string>> meta(const char* key) {
    Statement s(db, "SELECT value FROM meta WHERE key = ?");
    if (!s.prepared()) return sql_error("read meta");
    s.bind_text(1, key);
    int rc = s.step();
    if (rc == SQLITE_ROW) return std::optional<std::string>(s.column_text(0));
    if (rc == SQLITE_DONE) return std::optional<std::string>();
    return sql_error("read meta");
  }
  Status set_meta(const char* key, const std::string& value) {
    Statement s(db,
                "INSERT INTO meta(key, value) VALUES(?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value");
    s.bind_text(1, key).bind_text(2, value);
    return run(s, "write meta");
  }
  Result<std::vector<OutboxItem>> items_where(const std::string& where, int64_t a, int64_t b,
                                              int64_t limit) {
    std::string sql = std::string("SELECT ") + kItemColumns + " FROM items WHERE " + where;
    Statement s(db, sql.c_str());
    if (!s.prepared()) return sql_error("read items");
    s.bind_int64(1, a).bind_int64(2, b).bind_int64(3, limit);
    std::vector<OutboxItem> out;
    int rc;
    while ((rc = s.step()) == SQLITE_ROW) out.push_back(read_item(s));
    if (rc != SQLITE_DONE) return sql_error("read items");
    return out;
  }
  Result<std::vector<OutboxTx>> txs_where(const char* where, int64_t a) {
    std::string sql = std::string("SELECT ") + kTxColumns + " FROM txs WHERE " + where;
    Statement s(db, sql.c_str());
    if (!s.prepared()) return sql_error("read transactions");
    s.bind_int64(1, a);
    std::vector<OutboxTx> out;
    int rc;
    while ((rc = s.step()) == SQLITE_ROW) out.push_back(read_tx(s));
    if (rc != SQLITE_DONE) return sql_error("read transactions");
    return out;
  }
};

Result<std::unique_ptr<OutboxStore>> OutboxStore::open(const std::string& path) {
  // Create with 0600 before SQLite does (it would use the umask).
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return unavailable_error("outbox " + path + ": cannot open: " + std::strerror(errno));
  ::close(fd);
  std::unique_ptr<OutboxStore> store(new OutboxStore());
  store->impl_ = std::make_unique<Impl>();
  Impl& d = *store->impl_;
  d.path = path;
  if (sqlite3_open_v2(path.c_str(), &d.db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX,
                      nullptr) != SQLITE_OK) {
    return d.sql_error("cannot open");
  }
  sqlite3_busy_timeout(d.db, 5000);
  for (const char* pragma : {"PRAGMA journal_mode = WAL", "PRAGMA synchronous = FULL"}) {
    GW_RETURN_IF_ERROR(d.exec(pragma));
  }
  Statement v(d.db, "PRAGMA user_version");
  if (!v.prepared() || v.step() != SQLITE_ROW) return d.sql_error("read schema version");
  int64_t version = v.column_int64(0);
  if (version != 0 && version != kSchemaVersion) {
    return failed_precondition_error("outbox " + path + ": schema version " +
                                     std::to_string(version) + " is not this build's (" +
                                     std::to_string(kSchemaVersion) +
                                     "); drain it with the build that wrote it");
  }
  if (version == 0) {
    // A non-empty database without our version is someone else's file.
    Statement t(d.db, "SELECT count(*) FROM sqlite_master");
    if (!t.prepared() || t.step() != SQLITE_ROW) return d.sql_error("read schema");
    if (t.column_int64(0) != 0)
      return failed_precondition_error("outbox " + path + ": not a ledger outbox (unknown tables)");
    auto created = d.in_tx([&]() -> Status {
      GW_RETURN_IF_ERROR(d.exec(kSchema));
      return d.exec(("PRAGMA user_version = " + std::to_string(kSchemaVersion)).c_str());
    });
    if (!created.ok()) return created;
  }
  return store;
}

OutboxStore::~OutboxStore() = default;

Result<std::vector<int64_t>> OutboxStore::enqueue(const std::vector<NewItem>& items) {
  std::lock_guard lock(impl_->mu);
  Impl& d = *impl_;
  return d.in_tx([&]() -> Result<std::vector<int64_t>> {
    Statement find(d.db, "SELECT seq FROM items WHERE kind = ? AND key = ?");
    Statement ins(d.db, "INSERT INTO items(kind, body, key, created_ms) VALUES(?, ?, ?, ?)");
    if (!find.prepared() || !ins.prepared()) return d.sql_error("enqueue");
    std::vector<int64_t> seqs;
    seqs.reserve(items.size());
    const int64_t now = now_ms();
    for (const NewItem& it : items) {
      if (!it.key.empty()) {
        find.reset();
        find.bind_int64(1, static_cast<int>(it.kind)).bind_blob(2, it.key);
        if (find.step() == SQLITE_ROW) {
          seqs.push_back(find.column_int64(0));
          continue;
        }
      }
      ins.reset();
      ins.bind_int64(1, static_cast<int>(it.kind)).bind_blob(2, it.body).bind_int64(4, now);
      if (it.key.empty()) {
        ins.bind_null(3);
      } else {
        ins.bind_blob(3, it.key);
      }
      GW_RETURN_IF_ERROR(d.run(ins, "enqueue"));
      seqs.push_back(sqlite3_last_insert_rowid(d.db));
    }
    return seqs;
  });
}

Result<std::optional<OutboxItem>> OutboxStore::item(int64_t seq) {
  std::lock_guard lock(impl_->mu);
  auto r = impl_->items_where("seq = ?1 AND ?2 = ?2 LIMIT ?3", seq, 0, 1);
  if (!r) return r.error();
  if (r->empty()) return std::optional<OutboxItem>();
  return std::optional<OutboxItem>(std::move(r->front()));
}

Result<std::optional<OutboxItem>> OutboxStore::item_by_key(ItemKind kind,
                                                           const std::vector<uint8_t>& key) {
  std::lock_guard lock(impl_->mu);
  Impl& d = *impl_;
  std::string sql =
      std::string("SELECT ") + kItemColumns + " FROM items WHERE kind = ? AND key = ?";
  Statement s(d.db, sql.c_str());
  if (!s.prepared()) return d.sql_error("read item");
  s.bind_int64(1, static_cast<int>(kind)).bind_blob(2, key);
  int rc = s.step();
  if (rc == SQLITE_ROW) return std::optional<OutboxItem>(read_item(s));
  if (rc == SQLITE_DONE) return std::optional<OutboxItem>();
  return d.sql_error("read item");
}

Result<std::vector<OutboxItem>> OutboxStore::queued(ItemKind kind, size_t limit) {
  std::lock_guard lock(impl_->mu);
  return impl_->items_where("state = 0 AND kind = ?1 AND ?2 = ?2 ORDER BY seq LIMIT ?3",
                            static_cast<int>(kind), 0, static_cast<int64_t>(limit));
}

Result<std::vector<ItemKind>> OutboxStore::queued_kinds() {
  std::lock_guard lock(impl_->mu);
  Impl& d = *impl_;
  Statement s(d.db,
              "SELECT kind, min(seq) AS first FROM items WHERE state = 0 GROUP BY kind "
              "ORDER BY first");
  if (!s.prepared()) return d.sql_error("read queue");
  std::vector<ItemKind> kinds;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) kinds.push_back(static_cast<ItemKind>(s.column_int64(0)));
  if (rc != SQLITE_DONE) return d.sql_error("read queue");
  return kinds;
}

Result<std::vector<OutboxItem>> OutboxStore::items_of_tx(int64_t tx_id) {
  std::lock_guard lock(impl_->mu);
  return impl_->items_where("tx_id = ?1 AND ?2 = ?2 ORDER BY seq LIMIT ?3", tx_id, 0, INT64_MAX);
}

Result<OutboxCounts> OutboxStore::counts() { return count(/*open_only=*/false); }

Result<OutboxCounts> OutboxStore::open_counts() { return count(/*open_only=*/true); }

Result<OutboxCounts> OutboxStore::count(bool open_only) {
  std::lock_guard lock(impl_->mu);
  Impl& d = *impl_;
  OutboxCounts c;
  // Open only: a range of the items_by_state index, whatever the history.
  Statement s(d.db, open_only
                        ? "SELECT state, count(*) FROM items WHERE state IN (0, 1) GROUP BY state"
                        : "SELECT state, count(*) FROM items GROUP BY state");
  if (!s.prepared()) return d.sql_error("count items");
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) {
    int64_t n = s.column_int64(1);
    switch (static_cast<ItemState>(s.column_int64(0))) {
      case ItemState::kQueued:
        c.queued = n;
        break;
      case ItemState::kSubmitted:
        c.submitted = n;
        break;
      case ItemState::kDone:
        c.done = n;
        break;
      case ItemState::kRefused:
        c.refused = n;
        break;
      case ItemState::kFailed:
        c.failed = n;
        break;
    }
  }
  if (rc != SQLITE_DONE) return d.sql_error("count items");
  Statement t(d.db, "SELECT count(*) FROM txs WHERE state IN (0, 1)");
  if (!t.prepared() || t.step() != SQLITE_ROW) return d.sql_error("count transactions");
  c.pending_txs = t.column_int64(0);
  if (open_only) return c;
  Statement o(d.db, "SELECT coalesce(min(created_ms), 0) FROM items WHERE state IN (0, 1)");
  if (!o.prepared() || o.step() != SQLITE_ROW) return d.sql_error("find the oldest open item");
  c.oldest_open_ms = o.column_int64(0);
  return c;
}

Status OutboxStore::finish_item(int64_t seq, ItemState state, const std::string& outcome,
                                std::optional<uint64_t> block, std::optional<Hash256> tx_hash,
                                std::optional<Address> contract_address) {
  std::lock_guard lock(impl_->mu);
  Impl& d = *impl_;
  Statement s(d.db,
              "UPDATE items SET state = ?, outcome = ?, done_ms = ?, block_number = ?, "
              "tx_hash = ?, contract_address = ? WHERE seq = ?");
  s.bind_int64(1, static_cast<int>(state)).bind_text(2, outcome).bind_int64(3, now_ms());
  block ? s.bind_int64(4, static_cast<int64_t>(*block)) : s.bind_null(4);
  tx_hash ? s.bind_blob(5, *tx_hash) : s.bind_null(5);
  contract_address ? s.bind_blob(6, *contract_address) : s.bind_null(6);
  s.bind_int64(7, seq);
  return d.run(s, "finish item");
}

Status OutboxStore::finalize_tx(int64_t tx_id, const std::vector<ItemFinal>& finals, uint64_t block,
                                const Hash256& tx_hash, std::optional<Address> contract_address) {
  std::lock_guard lock(impl_->mu);
  Impl& d = *impl_;
  return d.in_tx([&]() -> Status {
    Statement s(d.db,
                "UPDATE items SET state = ?, outcome = ?, done_ms = ?, block_number = ?, "
                "tx_hash = ?, contract_address = ? WHERE seq = ?");
    if (!s.prepared()) return d.sql_error("finish items");
    const int64_t now = now_ms();
    for (const ItemFinal& f : finals) {
      s.reset();
      s.bind_int64(1, static_cast<int>(f.state)).bind_text(2, f.outcome).bind_int64(3, now);
      s.bind_int64(4, static_cast<int64_t>(block)).bind_blob(5, tx_hash);
      contract_address ? s.bind_blob(6, *contract_address) : s.bind_null(6);
      s.bind_int64(7, f.seq);
      GW_RETURN_IF_ERROR(d.run(s, "finish item"));
    }
    Statement t(d.db, "UPDATE txs SET state = 2 WHERE id = ?");
    t.bind_int64(1, tx_id);
    return d.run(t, "mark final");
  });
}

Result<int64_t> OutboxStore::prune(int64_t cutoff_ms) {
  std::lock_guard lock(impl_->mu);
  Impl& d = *impl_;
  return d.in_tx([&]() -> Result<int64_t> {
    Statement items(d.db,
                    "DELETE FROM items WHERE state IN (2, 3, 4) AND kind IN (1, 2, 3) "
                    "AND done_ms IS NOT NULL AND done_ms < ?");
    items.bind_int64(1, cutoff_ms);
    GW_RETURN_IF_ERROR(d.run(items, "prune items"));
    const int64_t removed = sqlite3_changes(d.db);
    Statement hashes(d.db,
                     "DELETE FROM tx_hashes WHERE tx_id IN (SELECT id FROM txs WHERE state IN "
                     "(2, 3) AND id < (SELECT max(id) FROM txs) AND NOT EXISTS "
                     "(SELECT 1 FROM items WHERE items.tx_id = txs.id))");
    GW_RETURN_IF_ERROR(d.run(hashes, "prune hashes"));
    // The newest transaction stays: reconcile() reads nonces from what is kept.
    Statement txs(d.db,
                  "DELETE FROM txs WHERE state IN (2, 3) AND id < (SELECT max(id) FROM txs) "
                  "AND NOT EXISTS (SELECT 1 FROM items WHERE items.tx_id = txs.id)");
    GW_RETURN_IF_ERROR(d.run(txs, "prune transactions"));
    return removed;
  });
}

Status OutboxStore::requeue_items_of_tx(int64_t tx_id, bool count_attempt) {
  std::lock_guard lock(impl_->mu);
  Impl& d = *impl_;
  Statement s(d.db,
              "UPDATE items SET state = 0, tx_id = NULL, attempts = attempts + ? "
              "WHERE tx_id = ? AND state = 1");
  s.bind_int64(1, count_attempt ? 1 : 0).bind_int64(2, tx_id);
  return d.run(s, "requeue items");
}

Status OutboxStore::fail_item(int64_t seq, const std::string& outcome) {
  return finish_item(seq, ItemState::kFailed, outcome, std::nullopt, std::nullopt, std::nullopt);
}

Result<int64_t> OutboxStore::requeue_failed(std::optional<int64_t> seq) {
  std::lock_guard lock(impl_->mu);
  Impl& d = *impl_;
  Statement s(
      d.db,
      "UPDATE items SET state = 0, tx_id = NULL, outcome = '', attempts = 0, done_ms = NULL, "
      "block_number = NULL, tx_hash = NULL WHERE state = 4 AND (?1 IS NULL OR seq = ?1)");
  seq ? s.bind_int64(1, *seq) : s.bind_null(1);
  GW_RETURN_IF_ERROR(d.run(s, "requeue failed items"));
  return static_cast<int64_t>(sqlite3_changes(d.db));
}

Result<std::vector<OutboxItem>> OutboxStore::latest(std::optional<ItemState> state,
                                                    std::optional<ItemKind> kind, size_t limit) {
  std::lock_guard lock(impl_->mu);
  return impl_->items_where(
      "(?1 < 0 OR state = ?1) AND (?2 < 0 OR kind = ?2) ORDER BY seq DESC "
      "LIMIT ?3",
      state ? static_cast<int64_t>(*state) : -1, kind ? static_cast<int64_t>(*kind) : -1,
      static_cast<int64_t>(std::min<size_t>(limit, INT64_MAX)));
}

Result<int64_t> OutboxStore::add_tx(const OutboxTx& tx, const std::vector<int64_t>& item_seqs) {
  std::lock_guard lock(impl_->mu);
  Impl& d = *impl_;
  return d.in_tx([&]() -> Result<int64_t> {
    auto stored = d.meta("next_nonce");
    if (!stored) return stored.error();
    uint64_t next = stored->has_value() ? std::stoull(**stored) : 0;
    if (tx.nonce != next) {
      return failed_precondition_error("outbox " + d.path + ": transaction nonce " +
                                       std::to_string(tx.nonce) + " is not the next nonce " +
                                       std::to_string(next));
    }
    Statement s(d.db,
                "INSERT INTO txs(nonce, kind, raw, hash, max_fee, priority_fee, gas_limit, state, "
                "sent_ms, signed_ms) VALUES(?, ?, ?, ?, ?, ?, ?, 0, 0, ?)");
    s.bind_int64(1, static_cast<int64_t>(tx.nonce))
        .bind_int64(2, static_cast<int>(tx.kind))
        .bind_blob(3, tx.raw)
        .bind_blob(4, tx.hash)
        .bind_text(5, tx.max_fee)
        .bind_text(6, tx.priority_fee)
        .bind_int64(7, static_cast<int64_t>(tx.gas_limit))
        .bind_int64(8, tx.signed_ms);
    GW_RETURN_IF_ERROR(d.run(s, "add transaction"));
    int64_t id = sqlite3_last_insert_rowid(d.db);
    Statement h(d.db, "INSERT OR IGNORE INTO tx_hashes(hash, tx_id) VALUES(?, ?)");
    h.bind_blob(1, tx.hash).bind_int64(2, id);
    GW_RETURN_IF_ERROR(d.run(h, "add transaction hash"));
    for (int64_t seq : item_seqs) {
      Statement u(d.db, "UPDATE items SET state = 1, tx_id = ? WHERE seq = ? AND state = 0");
      u.bind_int64(1, id).bind_int64(2, seq);
      GW_RETURN_IF_ERROR(d.run(u, "assign item"));
    }
    GW_RETURN_IF_ERROR(d.set_meta("next_nonce", std::to_string(next + 1)));
    return id;
  });
}

Status OutboxStore::replace_tx(int64_t id, const std::vector<uint8_t>& raw, const Hash256& hash,
                               const std::string& max_fee, const std::string& priority_fee,
                               int64_t now) {
  std::lock_guard lock(impl_->mu);
  Impl& d = *impl_;
  return d.in_tx([&]() -> Status {
    Statement s(d.db,
                "UPDATE txs SET raw = ?, hash = ?, max_fee = ?, priority_fee = ?, sent_ms = 0, "
                "signed_ms = ? WHERE id = ?");
    s.bind_blob(1, raw).bind_blob(2, hash).bind_text(3, max_fee).bind_text(4, priority_fee);
    s.bind_int64(5, now).bind_int64(6, id);
    GW_RETURN_IF_ERROR(d.run(s, "replace transaction"));
    Statement h(d.db, "INSERT OR IGNORE INTO tx_hashes(hash, tx_id) VALUES(?, ?)");
    h.bind_blob(1, hash).bind_int64(2, id);
    return d.run(h, "add transaction hash");
  });
}

Status OutboxStore::mark_sent(int64_t id, int64_t now) {
  std::lock_guard lock(impl_->mu);
  Statement s(impl_->db, "UPDATE txs SET sent_ms = ? WHERE id = ?");
  s.bind_int64(1, now).bind_int64(2, id);
  return impl_->run(s, "mark sent");
}

Status OutboxStore::mark_sent(const std::vector<int64_t>& ids, int64_t now) {
  std::lock_guard lock(impl_->mu);
  Impl& d = *impl_;
  return d.in_tx([&]() -> Status {
    Statement s(d.db, "UPDATE txs SET sent_ms = ? WHERE id = ?");
    for (int64_t id : ids) {
      s.reset();
      s.bind_int64(1, now).bind_int64(2, id);
      GW_RETURN_IF_ERROR(d.run(s, "mark sent"));
    }
    return ok_status();
  });
}

Status OutboxStore::mark_mined(int64_t id, const Hash256& mined_hash, uint64_t block,
                               const Hash256& block_hash, bool success) {
  std::lock_guard lock(impl_->mu);
  Statement s(impl_->db,
              "UPDATE txs SET state = 1, mined_hash = ?, block_number = ?, block_hash = ?, "
              "success = ? WHERE id = ?");
  s.bind_blob(1, mined_hash).bind_int64(2, static_cast<int64_t>(block)).bind_blob(3, block_hash);
  s.bind_int64(4, success ? 1 : 0).bind_int64(5, id);
  return impl_->run(s, "mark mined");
}

Status OutboxStore::mark_final(int64_t id) {
  std::lock_guard lock(impl_->mu);
  Statement s(impl_->db, "UPDATE txs SET state = 2 WHERE id = ?");
  s.bind_int64(1, id);
  return impl_->run(s, "mark final");
}

Status OutboxStore::reopen_tx(int64_t id, bool resend) {
  std::lock_guard lock(impl_->mu);
  Impl& d = *impl_;
  return d.in_tx([&]() -> Status {
    Statement s(d.db, resend ? "UPDATE txs SET state = 0, sent_ms = 0, block_number = NULL, "
                               "block_hash = NULL, mined_hash = NULL, success = 0 WHERE id = ?"
                             : "UPDATE txs SET state = 0, block_number = NULL, block_hash = NULL, "
                               "mined_hash = NULL, success = 0 WHERE id = ?");
    s.bind_int64(1, id);
    GW_RETURN_IF_ERROR(d.run(s, "reopen transaction"));
    // Items it finished are not final any more: the chain no longer has them.
    Statement u(d.db,
                "UPDATE items SET state = 1, outcome = '', done_ms = NULL, block_number = NULL, "
                "tx_hash = NULL, contract_address = NULL WHERE tx_id = ? AND state IN (2, 3)");
    u.bind_int64(1, id);
    return d.run(u, "reopen items");
  });
}

Status OutboxStore::mark_dropped(int64_t id) {
  std::lock_guard lock(impl_->mu);
  Statement s(impl_->db, "UPDATE txs SET state = 3 WHERE id = ?");
  s.bind_int64(1, id);
  return impl_->run(s, "mark dropped");
}

Result<std::vector<OutboxTx>> OutboxStore::open_txs() {
  std::lock_guard lock(impl_->mu);
  return impl_->txs_where("state IN (0, 1) AND ?1 = ?1 ORDER BY nonce", 0);
}

Result<std::vector<OutboxTx>> OutboxStore::txs_from_nonce(uint64_t nonce) {
  std::lock_guard lock(impl_->mu);
  return impl_->txs_where("state != 3 AND nonce >= ?1 ORDER BY nonce", static_cast<int64_t>(nonce));
}

Result<std::vector<Hash256>> OutboxStore::hashes_of_tx(int64_t id) {
  std::lock_guard lock(impl_->mu);
  Impl& d = *impl_;
  Statement s(d.db, "SELECT hash FROM tx_hashes WHERE tx_id = ?");
  if (!s.prepared()) return d.sql_error("read hashes");
  s.bind_int64(1, id);
  std::vector<Hash256> out;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) {
    if (auto h = fixed<32>(s, 0)) out.push_back(*h);
  }
  if (rc != SQLITE_DONE) return d.sql_error("read hashes");
  return out;
}

Result<uint64_t> OutboxStore::next_nonce() {
  std::lock_guard lock(impl_->mu);
  auto v = impl_->meta("next_nonce");
  if (!v) return v.error();
  return v->has_value() ? static_cast<uint64_t>(std::stoull(**v)) : uint64_t{0};
}

Status OutboxStore::set_next_nonce(uint64_t nonce) {
  std::lock_guard lock(impl_->mu);
  return impl_->set_meta("next_nonce", std::to_string(nonce));
}

Status OutboxStore::bind(uint64_t chain_id, const Address& sender) {
  std::lock_guard lock(impl_->mu);
  Impl& d = *impl_;
  std::string sender_hex = to_hex(sender);
  return d.in_tx([&]() -> Status {
    auto chain = d.meta("chain_id");
    auto account = d.meta("sender");
    if (!chain) return chain.error();
    if (!account) return account.error();
    if (chain->has_value() || account->has_value()) {
      if (*chain != std::optional<std::string>(std::to_string(chain_id)) ||
          *account != std::optional<std::string>(sender_hex)) {
        return failed_precondition_error(
            "outbox " + d.path + " belongs to chain " + chain->value_or("?") + " and account " +
            account->value_or("?") + ", not chain " + std::to_string(chain_id) + " and account " +
            sender_hex + ": point [ledger] outbox at another file");
      }
      return ok_status();
    }
    GW_RETURN_IF_ERROR(d.set_meta("chain_id", std::to_string(chain_id)));
    return d.set_meta("sender", sender_hex);
  });
}

}  // namespace gw::ledger
