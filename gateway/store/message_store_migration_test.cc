// Schema version 6 (index rows kept in record_heads, schema.cc): a version-5
// store is migrated on open, every record reads back, and later versions
// replace the index rows the migration recorded; a damaged index_rows value
// fails the write instead of leaving stale index rows. Schema version 7
// (prev_seq): new stores have no UNIQUE (type, id, version) index, older
// ones keep it, and every version reads back on both.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <string>
#include <vector>

#include "gateway/crypto/commitment.h"
#include "gateway/store/index_rows.h"
#include "gateway/store/message_store.h"
#include "gateway/store/schema.h"
#include "gateway/store/store_test_util.h"

namespace gw::store {
namespace {

using testing::make_message;
using testing::open_or_die;
using testing::TempDir;

RecordWrite record(std::string type, std::string id, std::string json,
                   std::vector<std::pair<std::string, std::string>> identifiers = {}) {
  RecordWrite r;
  r.resource_type = std::move(type);
  r.resource_id = std::move(id);
  r.resource_json = std::move(json);
  r.identifiers = std::move(identifiers);
  return r;
}

InboundMessage with_records(std::string control_id, std::vector<RecordWrite> records) {
  InboundMessage m = make_message("LAB|HOSP", std::move(control_id), "MSH|...");
  m.records = std::move(records);
  return m;
}

std::vector<std::string> ids_of(const std::vector<StoredRecord>& records) {
  std::vector<std::string> out;
  for (const StoredRecord& r : records) out.push_back(r.resource_type + "/" + r.resource_id);
  return out;
}

int64_t query_int(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  int64_t out = -1;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW) {
      out = sqlite3_column_int64(s, 0);
    }
    sqlite3_finalize(s);
  }
  sqlite3_close(db);
  return out;
}

void exec_or_fail(const std::string& path, const char* sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* error = nullptr;
  EXPECT_EQ(sqlite3_exec(db, sql, nullptr, nullptr, &error), SQLITE_OK) << (error ? error : "");
  sqlite3_free(error);
  sqlite3_close(db);
}

class MigrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    options_.path = dir_.file("store.db");
    options_.keys = testing::test_keys();
  }
  TempDir dir_;
  StoreOptions options_;
};

TEST_F(MigrationTest, SchemaFiveStoresAreMigratedAndReadBack) {
  std::vector<StoredRecord> before;
  {
    auto store = open_or_die(options_);
    ASSERT_NE(store, nullptr);
    RecordWrite p1 = record("Patient", "p1", R"({"name":"a"})", {{"urn:mrn", "MRN-1"}});
    p1.patient_tokens = {"tok-1"};
    ASSERT_EQ(store
                  ->submit_sync(with_records(
                      "1", {p1,
                            record("Observation", "o1", R"({"subject":{"reference":"Patient/p1"}})",
                                   {{"urn:filler", "F-1"}}),
                            record("Patient", "p2", R"({"name":"b"})", {{"urn:mrn", "MRN-2"}})}))
                  .kind,
              CommitResult::Kind::kStored);
    p1.resource_json = R"({"name":"a2"})";
    ASSERT_EQ(store->submit_sync(with_records("2", {p1})).kind, CommitResult::Kind::kStored);
    before = store->list_records(RecordQuery{});
    ASSERT_EQ(before.size(), 4u);
  }
  // What version 5 wrote: no index_rows, the (type, id) indexes over the
  // same index tables.
  exec_or_fail(options_.path, testing::kBackToSchemaFive);
  ASSERT_EQ(query_int(options_.path, "PRAGMA user_version"), 5);

  auto store = open_or_die(options_);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(query_int(options_.path, "PRAGMA user_version"), internal::kSchemaVersion);
  EXPECT_EQ(query_int(options_.path,
                      "SELECT count(*) FROM sqlite_schema WHERE name IN "
                      "('record_identifiers_resource', 'record_patients_resource', "
                      "'patient_tokens_resource')"),
            0);
  // Every version reads back as it was, with its commitment.
  const std::vector<StoredRecord> after = store->list_records(RecordQuery{});
  ASSERT_EQ(after.size(), before.size());
  for (size_t i = 0; i < after.size(); ++i) {
    EXPECT_EQ(after[i].resource_json, before[i].resource_json) << i;
    EXPECT_EQ(after[i].version, before[i].version) << i;
    EXPECT_EQ(after[i].commitment, before[i].commitment) << i;
    auto read = store->read_record(after[i].resource_type, after[i].resource_id, after[i].version);
    ASSERT_TRUE(read.has_value()) << i;
    EXPECT_EQ(read->resource_json, before[i].resource_json) << i;
  }
  // Rows in version 5's form are found with and without their system.
  EXPECT_EQ(ids_of(store->find_records("Patient", "urn:mrn", "MRN-1", 10)),
            std::vector<std::string>{"Patient/p1"});
  EXPECT_EQ(ids_of(store->find_records("Patient", std::nullopt, "MRN-1", 10)),
            std::vector<std::string>{"Patient/p1"});
  EXPECT_TRUE(store->find_records("Patient", "urn:other", "MRN-1", 10).empty());
  EXPECT_EQ(store->patients_with_token("tok-1"), std::vector<std::string>{"p1"});

  // New versions replace exactly the rows the migration recorded.
  RecordWrite p1 = record("Patient", "p1", R"({"name":"a3"})", {{"urn:mrn", "MRN-9"}});
  p1.patient_tokens = {"tok-9"};
  ASSERT_EQ(
      store
          ->submit_sync(with_records(
              "3", {p1, record("Observation", "o1", R"({"subject":{"reference":"Patient/p2"}})",
                               {{"urn:filler", "F-1"}})}))
          .kind,
      CommitResult::Kind::kStored);
  EXPECT_TRUE(store->find_records("Patient", "urn:mrn", "MRN-1", 10).empty());
  EXPECT_TRUE(store->find_records("Patient", std::nullopt, "MRN-1", 10).empty());
  EXPECT_EQ(ids_of(store->find_records("Patient", "urn:mrn", "MRN-9", 10)),
            std::vector<std::string>{"Patient/p1"});
  EXPECT_EQ(ids_of(store->find_records("Observation", std::nullopt, "F-1", 10)),
            std::vector<std::string>{"Observation/o1"});
  EXPECT_EQ(ids_of(store->find_records("Observation", "urn:filler", "F-1", 10)),
            std::vector<std::string>{"Observation/o1"});
  // p2 was not written again: its rows keep version 5's form.
  EXPECT_EQ(ids_of(store->find_records("Patient", "urn:mrn", "MRN-2", 10)),
            std::vector<std::string>{"Patient/p2"});
  // p1's new rows: the system row's key begins as the any-system row's does,
  // so the two sort side by side.
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open_v2(options_.path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr),
              SQLITE_OK);
    sqlite3_stmt* s = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db,
                                 "SELECT key FROM record_identifiers WHERE resource_id = 'p1' "
                                 "ORDER BY length(key)",
                                 -1, &s, nullptr),
              SQLITE_OK);
    std::vector<std::string> keys;
    while (sqlite3_step(s) == SQLITE_ROW) {
      keys.emplace_back(static_cast<const char*>(sqlite3_column_blob(s, 0)),
                        sqlite3_column_bytes(s, 0));
    }
    sqlite3_finalize(s);
    sqlite3_close(db);
    ASSERT_EQ(keys.size(), 2u);
    EXPECT_EQ(keys[0].size(), 32u);
    EXPECT_EQ(keys[1].size(), 40u);
    EXPECT_EQ(keys[1].substr(0, 8), keys[0].substr(0, 8));
  }
  EXPECT_TRUE(store->patients_with_token("tok-1").empty());
  EXPECT_EQ(store->patients_with_token("tok-9"), std::vector<std::string>{"p1"});
  EXPECT_EQ(ids_of(store->patient_compartment("p1", 10)), std::vector<std::string>{"Patient/p1"});
  EXPECT_EQ(ids_of(store->patient_compartment("p2", 10)),
            (std::vector<std::string>{"Observation/o1", "Patient/p2"}));
}

TEST_F(MigrationTest, ADamagedIndexRowsValueFailsTheWrite) {
  {
    auto store = open_or_die(options_);
    ASSERT_NE(store, nullptr);
    const CommitResult first = store->submit_sync(
        with_records("1", {record("Patient", "p1", R"({"name":"a"})", {{"urn:mrn", "MRN-1"}})}));
    ASSERT_EQ(first.kind, CommitResult::Kind::kStored) << first.error;
  }
  // A length past the end of the value.
  exec_or_fail(options_.path, "UPDATE record_heads SET index_rows = x'6b00ff00'");
  auto store = open_or_die(options_);
  ASSERT_NE(store, nullptr);
  const CommitResult r = store->submit_sync(
      with_records("2", {record("Patient", "p1", R"({"name":"b"})", {{"urn:mrn", "MRN-2"}})}));
  EXPECT_EQ(r.kind, CommitResult::Kind::kFailed);
  EXPECT_EQ(store->read_record("Patient", "p1")->version, 1);
  EXPECT_EQ(ids_of(store->find_records("Patient", "urn:mrn", "MRN-1", 10)),
            std::vector<std::string>{"Patient/p1"});
}

// Writes one more version of Observation/`id` (content `n`) in message `control`.
void write_version(MessageStore& store, const std::string& control, const std::string& id, int n) {
  const CommitResult r = store.submit_sync(
      with_records(control, {record("Observation", id, R"({"n":)" + std::to_string(n) + "}")}));
  ASSERT_EQ(r.kind, CommitResult::Kind::kStored) << r.error;
}

// Every version 1..`versions` of Observation/`id` reads back with its
// content (write_version's `n` = version), and none past it.
void expect_versions(MessageStore& store, const std::string& id, int versions) {
  for (int v = 1; v <= versions; ++v) {
    auto read = store.read_record("Observation", id, v);
    ASSERT_TRUE(read.has_value()) << id << " version " << v;
    EXPECT_EQ(read->version, v);
    EXPECT_EQ(read->resource_json, R"({"n":)" + std::to_string(v) + "}") << id << " version " << v;
  }
  EXPECT_FALSE(store.read_record("Observation", id, versions + 1).has_value()) << id;
  EXPECT_FALSE(store.read_record("Observation", "no-such-id", 1).has_value());
  EXPECT_EQ(store.read_record("Observation", id)->version, versions) << id;
  EXPECT_EQ(store.stats().read_errors, 0u);
}

constexpr char kVersionIndexes[] =
    "SELECT count(*) FROM pragma_index_list('records') WHERE \"unique\" = 1";

TEST_F(MigrationTest, NewStoresHaveNoVersionIndexAndReadEveryVersion) {
  auto store = open_or_die(options_);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(query_int(options_.path, kVersionIndexes), 0);
  EXPECT_EQ(query_int(options_.path,
                      "SELECT count(*) FROM sqlite_schema WHERE name LIKE "
                      "'sqlite_autoindex_records%'"),
            0);
  for (int v = 1; v <= 5; ++v) {
    write_version(*store, "a" + std::to_string(v), "o1", v);
    write_version(*store, "b" + std::to_string(v), "o2", v);  // interleaved seqs
  }
  expect_versions(*store, "o1", 5);
  expect_versions(*store, "o2", 5);
  EXPECT_EQ(query_int(options_.path, "SELECT count(*) FROM records WHERE prev_seq IS NULL"), 2);
}

TEST_F(MigrationTest, SchemaSixStoresKeepTheIndexAndReadVersionsFromBeforeAndAfter) {
  {
    auto store = open_or_die(options_);
    ASSERT_NE(store, nullptr);
    for (int v = 1; v <= 3; ++v) write_version(*store, "a" + std::to_string(v), "o1", v);
    write_version(*store, "b1", "o2", 1);
  }
  exec_or_fail(options_.path, testing::kBackToSchemaSix);
  ASSERT_EQ(query_int(options_.path, "PRAGMA user_version"), 6);

  auto store = open_or_die(options_);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(query_int(options_.path, "PRAGMA user_version"), internal::kSchemaVersion);
  // Not empty: not rebuilt, the index stays and serves the older rows.
  EXPECT_EQ(query_int(options_.path, kVersionIndexes), 1);
  expect_versions(*store, "o1", 3);
  for (int v = 4; v <= 5; ++v) write_version(*store, "a" + std::to_string(v), "o1", v);
  for (int v = 2; v <= 5; ++v) write_version(*store, "b" + std::to_string(v), "o2", v);
  EXPECT_EQ(query_int(options_.path, "SELECT count(*) FROM records WHERE prev_seq IS NULL"), 4);
  expect_versions(*store, "o1", 5);
  expect_versions(*store, "o2", 5);
}

TEST_F(MigrationTest, AnEmptiedSchemaSixStoreIsRebuiltWithoutGoingBackInSeq) {
  int64_t last_seq = 0;
  {
    auto store = open_or_die(options_);
    ASSERT_NE(store, nullptr);
    for (int v = 1; v <= 3; ++v) write_version(*store, "a" + std::to_string(v), "o1", v);
    last_seq = store->read_record("Observation", "o1")->seq;
  }
  // As if retention had removed every record.
  exec_or_fail(options_.path,
               "DELETE FROM record_heads; DELETE FROM record_patients; DELETE FROM records;");
  exec_or_fail(options_.path, testing::kBackToSchemaSix);
  auto store = open_or_die(options_);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(query_int(options_.path, kVersionIndexes), 0);
  write_version(*store, "c1", "o1", 1);
  write_version(*store, "c2", "o1", 2);
  EXPECT_GT(store->read_record("Observation", "o1")->seq, last_seq + 1);
  expect_versions(*store, "o1", 2);
}

// A resource whose minted identifier (value = its own id) was indexed in
// record_identifiers, as before self keys existed, is still found by it,
// and its next version replaces those rows with a self key.
TEST_F(MigrationTest, SelfIdentifierRowsWrittenBeforeSelfKeysKeepWorking) {
  const std::string minted = "urn:gateway:sender:LAB:resource-id";
  auto store = open_or_die(options_);
  ASSERT_NE(store, nullptr);
  ASSERT_EQ(store
                ->submit_sync(with_records(
                    "1", {record("Observation", "o1", R"({"v":1})", {{minted, "o1"}})}))
                .kind,
            CommitResult::Kind::kStored);
  EXPECT_EQ(query_int(options_.path, "SELECT count(*) FROM record_identifiers"), 0);
  // What the writer did before: both rows, and their keys in index_rows.
  const auto& keys = *options_.keys;
  const std::string any = keys.index_key(std::nullopt, "o1");
  const std::string system_row = any.substr(0, 8) + keys.index_key(minted, "o1");
  internal::IndexRows rows;
  rows.identifier_keys = {system_row, any};
  std::string encoded;
  ASSERT_TRUE(internal::encode_index_rows(rows, &encoded));
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(options_.path.c_str(), &db), SQLITE_OK);
    sqlite3_stmt* s = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db,
                                 "INSERT INTO record_identifiers (resource_type, key, resource_id) "
                                 "VALUES ('Observation', ?1, 'o1')",
                                 -1, &s, nullptr),
              SQLITE_OK);
    for (const std::string& k : rows.identifier_keys) {
      sqlite3_bind_blob(s, 1, k.data(), static_cast<int>(k.size()), SQLITE_TRANSIENT);
      EXPECT_EQ(sqlite3_step(s), SQLITE_DONE);
      sqlite3_reset(s);
    }
    sqlite3_finalize(s);
    ASSERT_EQ(sqlite3_prepare_v2(db, "UPDATE record_heads SET index_rows = ?1", -1, &s, nullptr),
              SQLITE_OK);
    sqlite3_bind_blob(s, 1, encoded.data(), static_cast<int>(encoded.size()), SQLITE_TRANSIENT);
    EXPECT_EQ(sqlite3_step(s), SQLITE_DONE);
    sqlite3_finalize(s);
    sqlite3_close(db);
  }
  EXPECT_EQ(ids_of(store->find_records("Observation", minted, "o1", 10)),
            std::vector<std::string>{"Observation/o1"});
  EXPECT_EQ(ids_of(store->find_records("Observation", std::nullopt, "o1", 10)),
            std::vector<std::string>{"Observation/o1"});
  ASSERT_EQ(store
                ->submit_sync(with_records(
                    "2", {record("Observation", "o1", R"({"v":2})", {{minted, "o1"}})}))
                .kind,
            CommitResult::Kind::kStored);
  EXPECT_EQ(query_int(options_.path, "SELECT count(*) FROM record_identifiers"), 0);
  auto found = store->find_records("Observation", minted, "o1", 10);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].version, 2);
  EXPECT_EQ(ids_of(store->find_records("Observation", std::nullopt, "o1", 10)),
            std::vector<std::string>{"Observation/o1"});
  EXPECT_EQ(store->stats().read_errors, 0u);
}

TEST(IndexRowsTest, RoundTripsAndRefusesMalformedBytes) {
  using internal::decode_index_rows;
  using internal::encode_index_rows;
  using internal::IndexRows;
  IndexRows rows;
  rows.identifier_keys = {std::string(32, '\0'), std::string(32, '\xff')};
  rows.patients = {"p1"};
  rows.tokens = {"tok"};
  rows.self_keys = {std::string(32, 's')};
  std::string encoded;
  ASSERT_TRUE(encode_index_rows(rows, &encoded));
  IndexRows decoded;
  ASSERT_TRUE(decode_index_rows(encoded, &decoded));
  EXPECT_EQ(decoded, rows);
  EXPECT_TRUE(decode_index_rows("", &decoded));
  EXPECT_EQ(decoded, IndexRows{});
  for (size_t cut = 1; cut < encoded.size(); ++cut) {
    IndexRows partial;
    // Cutting inside an entry is refused; cutting between entries is a
    // shorter list, which is what the bytes say.
    const bool ok = decode_index_rows(std::string_view(encoded).substr(0, cut), &partial);
    if (ok) {
      EXPECT_NE(partial, rows) << cut;
    }
  }
  EXPECT_FALSE(decode_index_rows(std::string("x\0\0", 3), &decoded));  // unknown kind
  EXPECT_FALSE(decode_index_rows("k", &decoded));                      // header cut short
  IndexRows too_long;
  too_long.patients = {std::string(internal::kMaxIndexRowBytes + 1, 'p')};
  EXPECT_FALSE(encode_index_rows(too_long, &encoded));
}

}  // namespace
}  // namespace gw::store
