#include "gateway/consent/consent_store.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

#include "fhir/json/canonical.h"
#include "fhir/json/json.h"
#include "gateway/base/sqlite.h"

namespace gw::consent {
namespace {

using fhir::JsonValue;
using gw::sqlite::Statement;

constexpr int64_t kSchemaVersion = 1;
constexpr const char* kSchema = R"(
CREATE TABLE consents (
  id TEXT PRIMARY KEY,
  version INTEGER NOT NULL,
  patient_id TEXT NOT NULL,
  token BLOB NOT NULL,
  plan TEXT NOT NULL,
  item_seqs TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  updated_ms INTEGER NOT NULL);
CREATE INDEX consents_patient ON consents(patient_id, id);
CREATE INDEX consents_token ON consents(token, id);
)";

JsonValue number(uint64_t v) { return JsonValue::make_number(std::to_string(v)); }

std::optional<uint64_t> read_number(const JsonValue* v) {
  if (v == nullptr || !v->is_number()) return std::nullopt;
  uint64_t out = 0;
  const std::string& t = v->text();
  auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), out);
  if (ec != std::errc() || end != t.data() + t.size()) return std::nullopt;
  return out;
}

std::optional<Address> read_address(const JsonValue* v) {
  if (v == nullptr || !v->is_string()) return std::nullopt;
  auto bytes = ledger::from_hex(v->text());
  if (!bytes || bytes->size() != 20) return std::nullopt;
  Address a{};
  std::copy(bytes->begin(), bytes->end(), a.begin());
  return a;
}

std::string encode_seqs(const std::vector<int64_t>& seqs) {
  std::string out;
  for (int64_t s : seqs) {
    if (!out.empty()) out += ',';
    out += std::to_string(s);
  }
  return out;
}

std::optional<std::vector<int64_t>> decode_seqs(std::string_view text) {
  std::vector<int64_t> out;
  while (!text.empty()) {
    const size_t comma = text.find(',');
    std::string_view part = text.substr(0, comma);
    int64_t v = 0;
    auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), v);
    if (ec != std::errc() || end != part.data() + part.size()) return std::nullopt;
    out.push_back(v);
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
  }
  return out;
}

Status sql_error(sqlite3* db, int rc, std::string_view what) {
  return gw::sqlite::error_status(db, rc, std::string("consent store: ") + std::string(what));
}

Status exec(sqlite3* db, const char* sql) {
  const int rc = sqlite3_exec(db, sql, nullptr, nullptr, nullptr);
  return rc == SQLITE_OK ? ok_status() : sql_error(db, rc, "statement");
}

}  // namespace

std::string encode_plan(const ConsentPlan& plan) {
  JsonValue out = JsonValue::make_object();
  out.add("status", number(static_cast<uint64_t>(plan.status)));
  JsonValue& grants = out.add("grants", JsonValue::make_array());
  for (const PlannedGrant& g : plan.grants) {
    JsonValue o = JsonValue::make_object();
    o.add("grantee", JsonValue::make_string(ledger::to_hex(g.grantee)));
    o.add("purpose", number(static_cast<uint64_t>(g.purpose)));
    o.add("categories", number(g.categories));
    o.add("exclusions", number(g.exclusions));
    o.add("from", number(g.valid_from));
    o.add("until", number(g.valid_until));
    grants.push(std::move(o));
  }
  JsonValue& denies = out.add("denies", JsonValue::make_array());
  for (const PlannedDeny& d : plan.denies) {
    JsonValue o = JsonValue::make_object();
    o.add("grantee", JsonValue::make_string(ledger::to_hex(d.grantee)));
    o.add("mask", number(d.purpose_mask));
    denies.push(std::move(o));
  }
  auto text = fhir::canonicalize(out);
  return text.ok() ? std::move(text).value() : std::string();
}

Result<ConsentPlan> decode_plan(std::string_view text) {
  auto parsed = fhir::parse_json(text, fhir::own_document_limits(text.size()));
  const Status bad = data_loss_error("consent store: a stored plan does not decode");
  if (!parsed.ok() || !parsed->is_object()) return bad;
  ConsentPlan plan;
  auto status = read_number(parsed->find("status"));
  if (!status || *status > static_cast<uint64_t>(ConsentStatus::kEnteredInError)) return bad;
  plan.status = static_cast<ConsentStatus>(*status);
  const JsonValue* grants = parsed->find("grants");
  const JsonValue* denies = parsed->find("denies");
  if (grants == nullptr || !grants->is_array() || denies == nullptr || !denies->is_array()) {
    return bad;
  }
  for (const JsonValue& o : grants->items()) {
    PlannedGrant g;
    auto grantee = read_address(o.find("grantee"));
    auto purpose = read_number(o.find("purpose"));
    auto categories = read_number(o.find("categories"));
    auto exclusions = read_number(o.find("exclusions"));
    auto from = read_number(o.find("from"));
    auto until = read_number(o.find("until"));
    if (!grantee || !purpose || *purpose > 255 || !categories || !exclusions || !from || !until) {
      return bad;
    }
    g.grantee = *grantee;
    g.purpose = static_cast<Purpose>(*purpose);
    g.categories = *categories;
    g.exclusions = *exclusions;
    g.valid_from = *from;
    g.valid_until = *until;
    plan.grants.push_back(g);
  }
  for (const JsonValue& o : denies->items()) {
    auto grantee = read_address(o.find("grantee"));
    auto mask = read_number(o.find("mask"));
    if (!grantee || !mask || *mask > 0xFFFFFFFFu) return bad;
    plan.denies.push_back(PlannedDeny{*grantee, static_cast<uint32_t>(*mask)});
  }
  return plan;
}

Result<std::unique_ptr<ConsentStore>> ConsentStore::open(const std::string& path) {
  // Create with 0600 before SQLite does (it would use the umask).
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    return unavailable_error("consent store " + path + ": cannot open: " + std::strerror(errno));
  }
  ::close(fd);
  std::unique_ptr<ConsentStore> store(new ConsentStore());
  int rc = sqlite3_open_v2(path.c_str(), &store->db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX,
                           nullptr);
  if (rc != SQLITE_OK) return sql_error(store->db_, rc, "open");
  sqlite3_busy_timeout(store->db_, 5000);
  GW_RETURN_IF_ERROR(exec(store->db_, "PRAGMA journal_mode = WAL"));
  GW_RETURN_IF_ERROR(exec(store->db_, "PRAGMA synchronous = FULL"));
  Statement v(store->db_, "PRAGMA user_version");
  if (!v.prepared() || v.step() != SQLITE_ROW) return sql_error(store->db_, SQLITE_ERROR, "schema");
  const int64_t version = v.column_int64(0);
  if (version != 0 && version != kSchemaVersion) {
    return failed_precondition_error("consent store " + path + ": schema version " +
                                     std::to_string(version) + " is not this build's");
  }
  if (version == 0) {
    Statement t(store->db_, "SELECT count(*) FROM sqlite_master");
    if (!t.prepared() || t.step() != SQLITE_ROW)
      return sql_error(store->db_, SQLITE_ERROR, "schema");
    if (t.column_int64(0) != 0) {
      return failed_precondition_error("consent store " + path + ": not a consent store");
    }
    GW_RETURN_IF_ERROR(exec(store->db_, "BEGIN IMMEDIATE"));
    Status s = exec(store->db_, kSchema);
    if (s.ok()) s = exec(store->db_, "PRAGMA user_version = 1");
    if (!s.ok()) {
      (void)exec(store->db_, "ROLLBACK");
      return s;
    }
    GW_RETURN_IF_ERROR(exec(store->db_, "COMMIT"));
  }
  return store;
}

ConsentStore::~ConsentStore() { sqlite3_close_v2(db_); }

namespace {

constexpr const char* kColumns =
    "id, version, patient_id, token, plan, item_seqs, created_ms, updated_ms";

Result<ConsentRow> read_row(Statement& s) {
  ConsentRow row;
  row.id = s.column_text(0);
  row.version = s.column_int64(1);
  row.patient_id = s.column_text(2);
  const std::string_view token = s.column_blob_view(3);
  if (token.size() != row.token.size()) {
    return data_loss_error("consent store: a stored token is not 32 bytes");
  }
  std::memcpy(row.token.data(), token.data(), token.size());
  GW_ASSIGN_OR_RETURN(row.plan, decode_plan(s.column_text(4)));
  auto seqs = decode_seqs(s.column_text(5));
  if (!seqs) return data_loss_error("consent store: stored item numbers do not decode");
  row.item_seqs = std::move(*seqs);
  row.created_ms = s.column_int64(6);
  row.updated_ms = s.column_int64(7);
  return row;
}

}  // namespace

Result<std::optional<ConsentRow>> ConsentStore::get(const std::string& id) {
  std::lock_guard lock(mu_);
  Statement s(db_, std::string("SELECT ") + kColumns + " FROM consents WHERE id = ?");
  if (!s.prepared()) return sql_error(db_, SQLITE_ERROR, "read");
  s.bind_text(1, id);
  const int rc = s.step();
  if (rc == SQLITE_DONE) return std::optional<ConsentRow>();
  if (rc != SQLITE_ROW) return sql_error(db_, rc, "read");
  GW_ASSIGN_OR_RETURN(ConsentRow row, read_row(s));
  return std::optional<ConsentRow>(std::move(row));
}

Status ConsentStore::put(const ConsentRow& row) {
  std::lock_guard lock(mu_);
  Statement s(db_,
              "INSERT INTO consents(id, version, patient_id, token, plan, item_seqs, created_ms, "
              "updated_ms) VALUES(?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET "
              "version = excluded.version, patient_id = excluded.patient_id, "
              "token = excluded.token, plan = excluded.plan, item_seqs = excluded.item_seqs, "
              "updated_ms = excluded.updated_ms");
  if (!s.prepared()) return sql_error(db_, SQLITE_ERROR, "write");
  const std::string plan = encode_plan(row.plan);
  if (plan.empty()) return internal_error("consent store: the plan does not encode");
  const std::string seqs = encode_seqs(row.item_seqs);
  s.bind_text(1, row.id);
  s.bind_int64(2, row.version);
  s.bind_text(3, row.patient_id);
  s.bind_blob(4, row.token);
  s.bind_text(5, plan);
  s.bind_text(6, seqs);
  s.bind_int64(7, row.created_ms);
  s.bind_int64(8, row.updated_ms);
  const int rc = s.step();
  return rc == SQLITE_DONE ? ok_status() : sql_error(db_, rc, "write");
}

Result<std::vector<ConsentRow>> ConsentStore::select(const char* where, std::string_view key,
                                                     bool key_is_blob, size_t limit) {
  std::lock_guard lock(mu_);
  Statement s(db_, std::string("SELECT ") + kColumns + " FROM consents WHERE " + where +
                       " ORDER BY id LIMIT ?");
  if (!s.prepared()) return sql_error(db_, SQLITE_ERROR, "list");
  // patient_id is TEXT and token a BLOB: a value bound as the other type never matches.
  if (key_is_blob) {
    s.bind_blob(1, key);
  } else {
    s.bind_text(1, key);
  }
  s.bind_int64(2, static_cast<int64_t>(std::min(limit, kMaxConsentsPerPatient)));
  std::vector<ConsentRow> out;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) {
    GW_ASSIGN_OR_RETURN(ConsentRow row, read_row(s));
    out.push_back(std::move(row));
  }
  if (rc != SQLITE_DONE) return sql_error(db_, rc, "list");
  return out;
}

Result<std::vector<ConsentRow>> ConsentStore::by_patient(const std::string& patient_id,
                                                         size_t limit) {
  return select("patient_id = ?", patient_id, false, limit);
}

Result<std::vector<ConsentRow>> ConsentStore::by_token(const ledger::Hash256& token, size_t limit) {
  return select("token = ?",
                std::string_view(reinterpret_cast<const char*>(token.data()), token.size()), true,
                limit);
}

}  // namespace gw::consent
