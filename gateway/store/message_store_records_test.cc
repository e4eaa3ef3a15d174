// Normalized records written with messages: versions, unchanged rewrites,
// optimistic concurrency, identifier search, export listing, persistence.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <string>
#include <thread>
#include <vector>

#include "gateway/crypto/commitment.h"
#include "gateway/store/message_store.h"
#include "gateway/store/records.h"
#include "gateway/store/store_test_util.h"

namespace gw::store {
namespace {

using testing::make_message;
using testing::open_or_die;
using testing::ResultCollector;
using testing::TempDir;

RecordWrite patient(std::string id, std::string json, std::string system = "urn:mrn",
                    std::string value = "MRN-1") {
  RecordWrite r;
  r.resource_type = "Patient";
  r.resource_id = std::move(id);
  r.resource_json = std::move(json);
  r.identifiers.emplace_back(std::move(system), std::move(value));
  return r;
}

InboundMessage with_records(std::string control_id, std::vector<RecordWrite> records,
                            int64_t at_ms = 1700000000000) {
  InboundMessage m = make_message("LAB|HOSP", std::move(control_id), "MSH|...");
  m.records = std::move(records);
  m.received_at_ms = at_ms;
  return m;
}

class RecordsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    options_.path = dir_.file("store.db");
    options_.keys = testing::test_keys();
    store_ = open_or_die(options_);
  }
  TempDir dir_;
  StoreOptions options_;
  std::unique_ptr<MessageStore> store_;
};

TEST_F(RecordsTest, VersionsAreMadeOnlyWhenTheContentChanges) {
  CommitResult a = store_->submit_sync(with_records("1", {patient("p1", R"({"a":1})")}));
  ASSERT_EQ(a.kind, CommitResult::Kind::kStored);
  ASSERT_EQ(a.records.size(), 1u);
  EXPECT_EQ(a.records[0].version, 1);
  EXPECT_TRUE(a.records[0].changed);

  CommitResult same = store_->submit_sync(with_records("2", {patient("p1", R"({"a":1})")}));
  ASSERT_EQ(same.kind, CommitResult::Kind::kStored);
  EXPECT_EQ(same.records[0].version, 1);
  EXPECT_FALSE(same.records[0].changed);

  CommitResult b =
      store_->submit_sync(with_records("3", {patient("p1", R"({"a":2})")}, 1700000005000));
  EXPECT_EQ(b.records[0].version, 2);
  EXPECT_EQ(b.records[0].updated_at_ms, 1700000005000);

  auto latest = store_->read_record("Patient", "p1");
  ASSERT_TRUE(latest.has_value());
  EXPECT_EQ(latest->version, 2);
  EXPECT_EQ(latest->resource_json, R"({"a":2})");
  EXPECT_EQ(latest->message_id, b.id);
  auto v1 = store_->read_record("Patient", "p1", 1);
  ASSERT_TRUE(v1.has_value());
  EXPECT_EQ(v1->resource_json, R"({"a":1})");
  EXPECT_FALSE(store_->read_record("Patient", "p1", 3).has_value());
  EXPECT_FALSE(store_->read_record("Observation", "p1").has_value());
  EXPECT_EQ(store_->count_records(), 2);
}

// A write with merge rules becomes the latest version updated with what it
// says (record_merge_test covers the rules themselves); without a stored
// version it is stored as given, and a replay of it changes nothing.
TEST_F(RecordsTest, PartialWritesAreMergedWithTheLatestVersion) {
  RecordWrite partial = patient("p1", R"({"content":"placeholder","status":"new"})");
  partial.merge.keep_stored = {"content"};
  CommitResult first = store_->submit_sync(with_records("1", {partial}));
  ASSERT_EQ(first.kind, CommitResult::Kind::kStored);
  EXPECT_EQ(store_->read_record("Patient", "p1")->resource_json,
            R"({"content":"placeholder","status":"new"})");

  ASSERT_EQ(
      store_
          ->submit_sync(with_records("2", {patient("p1", R"({"content":"text","status":"new"})")}))
          .kind,
      CommitResult::Kind::kStored);
  partial.resource_json = R"({"content":"placeholder","status":"final"})";
  CommitResult merged = store_->submit_sync(with_records("3", {partial}));
  ASSERT_EQ(merged.kind, CommitResult::Kind::kStored);
  EXPECT_EQ(merged.records[0].version, 3);
  auto latest = store_->read_record("Patient", "p1");
  ASSERT_TRUE(latest.has_value());
  EXPECT_EQ(latest->resource_json, R"({"content":"text","status":"final"})");
  // The commitment is over the merged text that was stored, not over the
  // write as submitted (for which submit() prepared one).
  EXPECT_EQ(crypto::commitment_digest(latest->commit_salt, latest->resource_json),
            latest->commitment);
  EXPECT_NE(crypto::commitment_digest(latest->commit_salt, partial.resource_json),
            latest->commitment);
  // Every version, new (sealed as prepared) or later (sealed again in the
  // transaction), opens and carries a commitment to what it holds.
  for (int64_t v = 1; v <= 3; ++v) {
    auto version = store_->read_record("Patient", "p1", v);
    ASSERT_TRUE(version.has_value()) << v;
    EXPECT_EQ(crypto::commitment_digest(version->commit_salt, version->resource_json),
              version->commitment)
        << v;
  }

  CommitResult replay = store_->submit_sync(with_records("4", {partial}));
  EXPECT_EQ(replay.records[0].version, 3);
  EXPECT_FALSE(replay.records[0].changed);
  EXPECT_EQ(store_->count_records(), 3);
}

// A partial write is never stored over a version the store cannot read
// (here: its envelope swapped with another record's): the submission fails,
// nothing of it is stored and the sender resends. A whole write needs no
// reading and still succeeds.
TEST_F(RecordsTest, PartialWriteOverAnUnreadableVersionFails) {
  ASSERT_EQ(store_
                ->submit_sync(with_records("1", {patient("p1", R"({"content":"text"})"),
                                                 patient("p2", "{}", "urn:mrn", "MRN-2")}))
                .kind,
            CommitResult::Kind::kStored);
  store_->close();
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(options_.path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         "UPDATE records SET resource = (SELECT resource FROM records WHERE "
                         "resource_id = 'p2') WHERE resource_id = 'p1'",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  store_ = open_or_die(options_);

  RecordWrite partial = patient("p1", R"({"content":"placeholder"})");
  partial.merge.keep_stored = {"content"};
  CommitResult failed = store_->submit_sync(with_records("2", {partial}));
  EXPECT_EQ(failed.kind, CommitResult::Kind::kFailed);
  EXPECT_EQ(failed.error.find("placeholder"), std::string::npos) << failed.error;
  EXPECT_EQ(store_->count(std::nullopt), 1);
  EXPECT_EQ(store_->count_records(), 2);

  CommitResult whole =
      store_->submit_sync(with_records("3", {patient("p1", R"({"content":"new"})")}));
  ASSERT_EQ(whole.kind, CommitResult::Kind::kStored);
  EXPECT_EQ(store_->read_record("Patient", "p1")->resource_json, R"({"content":"new"})");
}

TEST_F(RecordsTest, DuplicateMessagesAndRejectedMessagesWriteNoRecords) {
  ASSERT_EQ(store_->submit_sync(with_records("1", {patient("p1", "{}")})).kind,
            CommitResult::Kind::kStored);
  CommitResult dup = store_->submit_sync(with_records("1", {patient("p1", R"({"x":1})")}));
  EXPECT_EQ(dup.kind, CommitResult::Kind::kDuplicate);
  InboundMessage rejected = with_records("2", {patient("p2", "{}")});
  rejected.status = MessageStatus::kRejected;
  EXPECT_EQ(store_->submit_sync(std::move(rejected)).kind, CommitResult::Kind::kStored);
  EXPECT_EQ(store_->count_records(), 1);
  EXPECT_FALSE(store_->read_record("Patient", "p2").has_value());
}

TEST_F(RecordsTest, ExpectedVersionConflictStoresNothingOfThatSubmissionOnly) {
  ASSERT_EQ(store_->submit_sync(with_records("1", {patient("p1", "{}")})).kind,
            CommitResult::Kind::kStored);
  // Two submissions committed in one group: the conflicting one is undone
  // alone (savepoint), the other is stored.
  RecordWrite stale = patient("p1", R"({"v":"stale"})");
  stale.expected_version = 7;
  RecordWrite fresh_create = patient("p2", "{}", "urn:mrn", "MRN-2");
  fresh_create.expected_version = 0;
  ResultCollector results;
  store_->submit(with_records("2", {fresh_create, stale}), results.callback(0));
  store_->submit(with_records("3", {patient("p3", "{}", "urn:mrn", "MRN-3")}), results.callback(1));
  const std::vector<CommitResult> r = results.wait_for(2);
  const CommitResult& conflict = r[0];
  const CommitResult& ok = r[1];
  EXPECT_EQ(conflict.kind, CommitResult::Kind::kConflict);
  EXPECT_NE(conflict.error.find("record 1 (Patient)"), std::string::npos) << conflict.error;
  EXPECT_EQ(ok.kind, CommitResult::Kind::kStored);
  EXPECT_FALSE(store_->read_record("Patient", "p2").has_value());
  EXPECT_TRUE(store_->read_record("Patient", "p3").has_value());
  EXPECT_EQ(store_->read_record("Patient", "p1")->resource_json, "{}");
  EXPECT_EQ(store_->count(std::nullopt), 2);  // message 2 undone with its records

  RecordWrite create_existing = patient("p1", R"({"new":1})");
  create_existing.expected_version = 0;
  EXPECT_EQ(store_->submit_sync(with_records("4", {create_existing})).kind,
            CommitResult::Kind::kConflict);
  RecordWrite if_match = patient("p1", R"({"new":1})");
  if_match.expected_version = 1;
  CommitResult updated = store_->submit_sync(with_records("5", {if_match}));
  ASSERT_EQ(updated.kind, CommitResult::Kind::kStored);
  EXPECT_EQ(updated.records[0].version, 2);
}

TEST_F(RecordsTest, FindsLatestVersionsByIdentifier) {
  store_->submit_sync(
      with_records("1", {patient("p1", "{}", "urn:a", "42"), patient("p2", "{}", "urn:b", "42")}));
  auto by_system = store_->find_records("Patient", std::string("urn:a"), "42", 10);
  ASSERT_EQ(by_system.size(), 1u);
  EXPECT_EQ(by_system[0].resource_id, "p1");
  EXPECT_EQ(store_->find_records("Patient", std::nullopt, "42", 10).size(), 2u);
  EXPECT_EQ(store_->find_records("Patient", std::nullopt, "42", 1).size(), 1u);
  EXPECT_TRUE(store_->find_records("Patient", std::string("urn:a"), "43", 10).empty());
  EXPECT_TRUE(store_->find_records("Observation", std::nullopt, "42", 10).empty());
  // A new version with another identifier replaces the old index entries.
  store_->submit_sync(with_records("2", {patient("p1", R"({"v":2})", "urn:a", "99")}));
  EXPECT_TRUE(store_->find_records("Patient", std::string("urn:a"), "42", 10).empty());
  auto moved = store_->find_records("Patient", std::string("urn:a"), "99", 10);
  ASSERT_EQ(moved.size(), 1u);
  EXPECT_EQ(moved[0].version, 2);
  // An empty system is its own system, distinct from "any".
  RecordWrite no_system = patient("p9", "{}", "", "77");
  store_->submit_sync(with_records("3", {no_system}));
  EXPECT_EQ(store_->find_records("Patient", std::string(""), "77", 10).size(), 1u);
  EXPECT_TRUE(store_->find_records("Patient", std::string("urn:a"), "77", 10).empty());
}

int64_t identifier_rows(const std::string& path, const std::string& id) {
  sqlite3* db = nullptr;
  int64_t n = -1;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db, "SELECT count(*) FROM record_identifiers WHERE resource_id = ?1", -1,
                           &st, nullptr) == SQLITE_OK) {
      sqlite3_bind_text(st, 1, id.c_str(), -1, SQLITE_TRANSIENT);
      if (sqlite3_step(st) == SQLITE_ROW) n = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
  }
  sqlite3_close(db);
  return n;
}

std::vector<std::string> ids_of(const std::vector<StoredRecord>& records) {
  std::vector<std::string> out;
  for (const StoredRecord& r : records) out.push_back(r.resource_id);
  return out;
}

// An identifier whose value is the resource's own id (what the v2 mapper
// mints) gets no record_identifiers rows (index_rows.h) and is found exactly
// as one that has them.
TEST_F(RecordsTest, SelfIdentifiersAreFoundWithoutIndexRows) {
  const std::string minted = "urn:gateway:sender:LAB:resource-id";
  RecordWrite o1 = patient("o-1", R"({"v":1})", minted, "o-1");
  o1.resource_type = "Observation";
  o1.identifiers.emplace_back("urn:filler", "F-1");
  // Another resource whose business identifier happens to be that value.
  RecordWrite o0 = patient("o-0", "{}", "urn:filler", "o-1");
  o0.resource_type = "Observation";
  RecordWrite o2 = patient("o-2", "{}", "urn:filler", "o-1");
  o2.resource_type = "Observation";
  ASSERT_EQ(store_->submit_sync(with_records("1", {o0, o1, o2})).kind, CommitResult::Kind::kStored);
  // o-1's filler identifier has its two rows; its minted one none.
  EXPECT_EQ(identifier_rows(options_.path, "o-1"), 2);

  const std::vector<std::string> all = {"o-0", "o-1", "o-2"};
  EXPECT_EQ(ids_of(store_->find_records("Observation", minted, "o-1", 10)),
            std::vector<std::string>{"o-1"});
  EXPECT_EQ(ids_of(store_->find_records("Observation", std::nullopt, "o-1", 10)), all);
  // In id order within the limit, as rows from the index are.
  EXPECT_EQ(ids_of(store_->find_records("Observation", std::nullopt, "o-1", 2)),
            (std::vector<std::string>{"o-0", "o-1"}));
  EXPECT_EQ(ids_of(store_->find_records("Observation", std::nullopt, "o-1", 1)),
            std::vector<std::string>{"o-0"});
  EXPECT_EQ(ids_of(store_->find_records("Observation", std::string("urn:filler"), "o-1", 10)),
            (std::vector<std::string>{"o-0", "o-2"}));
  EXPECT_TRUE(store_->find_records("Observation", std::string("urn:other"), "o-1", 10).empty());
  EXPECT_TRUE(store_->find_records("Observation", std::string(""), "o-1", 10).empty());
  EXPECT_TRUE(store_->find_records("Patient", std::nullopt, "o-1", 10).empty());
  EXPECT_EQ(ids_of(store_->find_records("Observation", minted, "F-1", 10)),
            std::vector<std::string>{});
  EXPECT_EQ(ids_of(store_->find_records("Observation", std::nullopt, "F-1", 10)),
            std::vector<std::string>{"o-1"});

  // A new version without the minted identifier is no longer found by it;
  // found with it again, it is the latest version.
  RecordWrite v2 = patient("o-1", R"({"v":2})", "urn:filler", "F-1");
  v2.resource_type = "Observation";
  ASSERT_EQ(store_->submit_sync(with_records("2", {v2})).kind, CommitResult::Kind::kStored);
  EXPECT_TRUE(store_->find_records("Observation", minted, "o-1", 10).empty());
  EXPECT_EQ(ids_of(store_->find_records("Observation", std::nullopt, "o-1", 10)),
            (std::vector<std::string>{"o-0", "o-2"}));
  o1.resource_json = R"({"v":3})";
  ASSERT_EQ(store_->submit_sync(with_records("3", {o1})).kind, CommitResult::Kind::kStored);
  auto found = store_->find_records("Observation", minted, "o-1", 10);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].version, 3);
  EXPECT_EQ(found[0].resource_json, R"({"v":3})");
  // A minted identifier without a system is found by the empty system only.
  RecordWrite bare = patient("p-7", "{}", "", "p-7");
  ASSERT_EQ(store_->submit_sync(with_records("4", {bare})).kind, CommitResult::Kind::kStored);
  EXPECT_EQ(identifier_rows(options_.path, "p-7"), 0);
  EXPECT_EQ(ids_of(store_->find_records("Patient", std::string(""), "p-7", 10)),
            std::vector<std::string>{"p-7"});
  EXPECT_EQ(ids_of(store_->find_records("Patient", std::nullopt, "p-7", 10)),
            std::vector<std::string>{"p-7"});
  EXPECT_TRUE(store_->find_records("Patient", minted, "p-7", 10).empty());
  EXPECT_EQ(store_->stats().read_errors, 0u);
}

TEST_F(RecordsTest, IdentifiersAreNotStoredInClear) {
  store_->submit_sync(with_records("1", {patient("p1", "{}", "urn:mrn", "SECRET-MRN-12345")}));
  store_->close();
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(options_.path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(
      sqlite3_prepare_v2(db, "SELECT count(*) FROM record_identifiers WHERE instr(key, ?1) > 0", -1,
                         &st, nullptr),
      SQLITE_OK);
  sqlite3_bind_text(st, 1, "SECRET-MRN", -1, SQLITE_STATIC);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int64(st, 0), 0);
  sqlite3_finalize(st);
  sqlite3_close(db);
}

TEST_F(RecordsTest, ListsForExportByTimeMessageAndCursor) {
  CommitResult m1 = store_->submit_sync(
      with_records("1", {patient("p1", "{}"), patient("p2", "{}", "u", "2")}, 1000));
  CommitResult m2 = store_->submit_sync(with_records("2", {patient("p3", "{}", "u", "3")}, 2000));
  RecordQuery all;
  auto rows = store_->list_records(all);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_LT(rows[0].seq, rows[1].seq);
  EXPECT_EQ(rows[2].resource_id, "p3");
  RecordQuery by_message;
  by_message.message_id = m1.id;
  EXPECT_EQ(store_->list_records(by_message).size(), 2u);
  RecordQuery window;
  window.since_ms = 1500;
  window.until_ms = 2001;
  auto w = store_->list_records(window);
  ASSERT_EQ(w.size(), 1u);
  EXPECT_EQ(w[0].message_id, m2.id);
  RecordQuery page;
  page.limit = 2;
  auto first = store_->list_records(page);
  ASSERT_EQ(first.size(), 2u);
  page.after_seq = first.back().seq;
  EXPECT_EQ(store_->list_records(page).size(), 1u);
}

TEST_F(RecordsTest, RecordsSurviveReopen) {
  store_->submit_sync(with_records("1", {patient("p1", R"({"keep":true})")}));
  store_.reset();
  store_ = open_or_die(options_);
  auto r = store_->read_record("Patient", "p1");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->resource_json, R"({"keep":true})");
  EXPECT_EQ(store_->find_records("Patient", std::string("urn:mrn"), "MRN-1", 5).size(), 1u);
}

// prepare_records(): the work done ahead is what is stored (same salt), and
// work that no longer matches the records is done again by submit().
TEST_F(RecordsTest, PreparedRecordsAreUsedOnlyWhileTheyMatch) {
  InboundMessage m = with_records("1", {patient("p1", R"({"name":"a"})")});
  prepare_records(store_->keys(), &m);
  ASSERT_NE(m.prepared, nullptr);
  const auto prepared_salt = m.prepared->records.at(0).commitment.salt;
  ASSERT_EQ(store_->submit_sync(m).kind, CommitResult::Kind::kStored);
  auto stored = store_->read_record("Patient", "p1");
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->commit_salt, prepared_salt);
  EXPECT_EQ(crypto::commitment_digest(stored->commit_salt, stored->resource_json),
            stored->commitment);

  // Changed after it was prepared: prepared again, for what is stored.
  InboundMessage changed = with_records("2", {patient("p2", R"({"name":"b"})")});
  prepare_records(store_->keys(), &changed);
  const auto stale_salt = changed.prepared->records.at(0).commitment.salt;
  changed.records[0].resource_json = R"({"name":"longer"})";
  ASSERT_EQ(store_->submit_sync(changed).kind, CommitResult::Kind::kStored);
  stored = store_->read_record("Patient", "p2");
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->resource_json, R"({"name":"longer"})");
  EXPECT_NE(stored->commit_salt, stale_salt);
  EXPECT_EQ(crypto::commitment_digest(stored->commit_salt, stored->resource_json),
            stored->commitment);
  EXPECT_EQ(store_->find_records("Patient", "urn:mrn", "MRN-1", 10).size(), 2u);

  // Prepared with other keys: prepared again with the store's, so the
  // record opens.
  auto other_keys = crypto::StoreKeys::random_for_tests();
  InboundMessage foreign = with_records("3", {patient("p3", R"({"name":"c"})")});
  prepare_records(*other_keys, &foreign);
  ASSERT_EQ(store_->submit_sync(foreign).kind, CommitResult::Kind::kStored);
  stored = store_->read_record("Patient", "p3");
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->resource_json, R"({"name":"c"})");
}

// A write identical to its resource's recently committed head is prepared
// as its digest only; stored data never depends on that guess.
TEST_F(RecordsTest, UnchangedWritesArePreparedAsTheirDigestOnly) {
  RecordWrite org = patient("org-1", R"({"name":"Lab"})", "urn:org", "ORG-1");
  org.resource_type = "Organization";
  RecordWrite other = org;
  other.resource_json = R"({"name":"Lab, renamed"})";
  ASSERT_EQ(store_->submit_sync(with_records("1", {org})).kind, CommitResult::Kind::kStored);

  InboundMessage same = with_records("2", {org, patient("p1", "{}")});
  store_->prepare_records(&same);
  ASSERT_NE(same.prepared, nullptr);
  ASSERT_EQ(same.prepared->records.size(), 2u);
  EXPECT_TRUE(same.prepared->records[0].digest_only);
  EXPECT_TRUE(same.prepared->records[0].sealed_first.empty());
  EXPECT_FALSE(same.prepared->records[1].digest_only);
  EXPECT_FALSE(same.prepared->records[1].sealed_first.empty());
  InboundMessage changed = with_records("3", {other});
  store_->prepare_records(&changed);
  EXPECT_FALSE(changed.prepared->records[0].digest_only);
  // Without the store (the free function): everything, always.
  InboundMessage plain = with_records("4", {org});
  prepare_records(store_->keys(), &plain);
  EXPECT_FALSE(plain.prepared->records[0].digest_only);

  // The guess goes stale: another version is committed between prepare and
  // submit. The committer does the skipped work (seal, commitment, index
  // keys) itself, and what it stores reads back whole.
  ASSERT_EQ(store_->submit_sync(changed).kind, CommitResult::Kind::kStored);
  const CommitResult r = store_->submit_sync(same);
  ASSERT_EQ(r.kind, CommitResult::Kind::kStored) << r.error;
  ASSERT_EQ(r.records.size(), 2u);
  EXPECT_TRUE(r.records[0].changed);
  EXPECT_EQ(r.records[0].version, 3);
  auto stored = store_->read_record("Organization", "org-1");
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(stored->version, 3);
  EXPECT_EQ(stored->resource_json, R"({"name":"Lab"})");
  EXPECT_EQ(crypto::commitment_digest(stored->commit_salt, stored->resource_json),
            stored->commitment);
  EXPECT_NE(stored->commitment, decltype(stored->commitment){});
  auto found = store_->find_records("Organization", std::string("urn:org"), "ORG-1", 10);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].version, 3);
  EXPECT_EQ(store_->stats().read_errors, 0u);

  // Learned after that commit: the same content is now a digest only again,
  // and is stored as unchanged.
  InboundMessage again = with_records("5", {org});
  store_->prepare_records(&again);
  EXPECT_TRUE(again.prepared->records[0].digest_only);
  const CommitResult unchanged = store_->submit_sync(again);
  ASSERT_EQ(unchanged.kind, CommitResult::Kind::kStored);
  EXPECT_FALSE(unchanged.records[0].changed);
  EXPECT_EQ(unchanged.records[0].version, 3);
}

// A submission rolled back for a version conflict teaches the cache nothing.
TEST_F(RecordsTest, AConflictedSubmissionIsNotRemembered) {
  RecordWrite org = patient("org-1", R"({"name":"Lab"})", "urn:org", "ORG-1");
  org.resource_type = "Organization";
  RecordWrite stale = patient("p1", "{}");
  stale.expected_version = 7;
  ASSERT_EQ(store_->submit_sync(with_records("1", {org, stale})).kind,
            CommitResult::Kind::kConflict);
  InboundMessage m = with_records("2", {org});
  store_->prepare_records(&m);
  EXPECT_FALSE(m.prepared->records[0].digest_only);
  ASSERT_EQ(store_->submit_sync(m).kind, CommitResult::Kind::kStored);
  EXPECT_EQ(store_->read_record("Organization", "org-1")->version, 1);
}

TEST(HeadDigestsTest, KeepsWhatIsReadAndEvictsTheRest) {
  internal::HeadDigests cache(4);
  crypto::Sha256Digest a{}, b{};
  b[0] = 1;
  cache.put("Organization", "o", a);
  EXPECT_TRUE(cache.holds("Organization", "o", a));
  EXPECT_FALSE(cache.holds("Organization", "o", b));
  EXPECT_FALSE(cache.holds("Practitioner", "o", a));
  cache.put("Organization", "o", b);  // a new head replaces the old digest
  EXPECT_FALSE(cache.holds("Organization", "o", a));
  EXPECT_TRUE(cache.holds("Organization", "o", b));  // read: kept by the clock
  for (int i = 0; i < 3; ++i) cache.put("Observation", std::to_string(i), a);
  EXPECT_EQ(cache.size(), 4u);
  // Full: new entries take the places of those not read since the hand
  // came by; the Organization, read with every message, stays.
  for (int i = 3; i < 10; ++i) {
    EXPECT_TRUE(cache.holds("Organization", "o", b)) << i;
    cache.put("Observation", std::to_string(i), a);
  }
  EXPECT_EQ(cache.size(), 4u);
  EXPECT_TRUE(cache.holds("Organization", "o", b));
  EXPECT_FALSE(cache.holds("Observation", "0", a));
  EXPECT_TRUE(cache.holds("Observation", "9", a));
}

}  // namespace
}  // namespace gw::store
