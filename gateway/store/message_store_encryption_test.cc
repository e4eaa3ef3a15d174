// Encryption at rest: the SQLite file (and its WAL) holds no readable patient
// data, rows cannot be swapped, the wrong keys are refused, and stores written
// before encryption at rest are refused rather than mixed.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <array>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "gateway/crypto/commitment.h"
#include "gateway/store/message_store.h"
#include "gateway/store/store_test_util.h"

namespace gw::store {
namespace {

using testing::make_message;
using testing::open_or_die;
using testing::TempDir;

// Patient data a test looks for in the files afterwards.
constexpr char kName[] = "QUILLFEATHER^OPHELIA";
constexpr char kMrn[] = "MRN-7734219";
constexpr char kBirth[] = "19711111";
constexpr char kJsonName[] = "Quillfeather";

std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

InboundMessage phi_message(const std::string& control_id) {
  InboundMessage m =
      make_message("LAB|HOSP", control_id,
                   std::string("MSH|^~\\&|LAB|HOSP|||20240101||ADT^A01|") + control_id +
                       "|P|2.5\rPID|1||" + kMrn + "^^^HOSP^MR||" + kName + "||" + kBirth + "|F\r");
  RecordWrite r;
  r.resource_type = "Patient";
  r.resource_id = "p-" + control_id;
  r.resource_json =
      std::string(R"({"birthDate":"1971-11-11","identifier":[{"system":"urn:mrn","value":")") +
      kMrn + R"("}],"name":[{"family":")" + kJsonName + R"("}],"resourceType":"Patient"})";
  r.identifiers.emplace_back("urn:mrn", kMrn);
  r.patient_tokens.push_back(testing::test_keys()->patient_token("urn:mrn", kMrn));
  m.records.push_back(r);
  return m;
}

int64_t query_int(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  int64_t v = -1;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
      v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
  }
  sqlite3_close(db);
  return v;
}

TEST(StoreEncryption, NoPatientDataInTheFilesAndEverythingReadsBack) {
  TempDir dir;
  StoreOptions o;
  o.path = dir.store_file();
  o.keys = testing::test_keys();
  InboundMessage sent = phi_message("C1");
  {
    auto store = open_or_die(o);
    CommitResult r = store->submit_sync(sent);
    ASSERT_EQ(r.kind, CommitResult::Kind::kStored) << r.error;
    // Read back through the store: plaintext again.
    EXPECT_EQ(store->raw_message(r.id), sent.raw);
    auto rec = store->read_record("Patient", "p-C1");
    ASSERT_TRUE(rec);
    EXPECT_EQ(rec->resource_json, sent.records[0].resource_json);
    auto found = store->find_records("Patient", std::string("urn:mrn"), kMrn, 10);
    ASSERT_EQ(found.size(), 1u);
    EXPECT_EQ(found[0].resource_id, "p-C1");
    // A resend gets the original acknowledgement, decrypted.
    CommitResult dup = store->submit_sync(phi_message("C1"));
    EXPECT_EQ(dup.kind, CommitResult::Kind::kDuplicate);
    EXPECT_EQ(dup.ack, sent.ack);
    auto listed = store->list(0, 10);
    ASSERT_EQ(listed.size(), 1u);
    EXPECT_EQ(listed[0].raw_bytes, static_cast<int64_t>(sent.raw.size()));
  }
  // The database, WAL and shared-memory files: none holds the patient's name,
  // identifier or birth date, in the message or the record.
  for (const char* suffix : {"", "-wal", "-shm"}) {
    const std::string bytes = file_bytes(o.path + suffix);
    for (const char* phi : {kName, "QUILLFEATHER", kMrn, kBirth, kJsonName, "1971-11-11"})
      EXPECT_EQ(bytes.find(phi), std::string::npos) << phi << " found in messages.db" << suffix;
  }
  // One commitment (salt and digest) per record version; one token per
  // Patient identifier.
  EXPECT_EQ(query_int(o.path,
                      "SELECT count(*) FROM records WHERE length(commit_salt) = 32 AND "
                      "length(commitment) = 32"),
            1);
  EXPECT_EQ(query_int(o.path, "SELECT count(*) FROM patient_tokens WHERE length(token) = 43"), 1);
}

TEST(StoreEncryption, CommitmentVerifiesAgainstTheCanonicalJson) {
  TempDir dir;
  StoreOptions o;
  o.path = dir.store_file();
  o.keys = testing::test_keys();
  InboundMessage sent = phi_message("C2");
  { open_or_die(o)->submit_sync(sent); }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2(o.path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT commit_salt, commitment FROM records", -1, &st, nullptr),
            SQLITE_OK);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  std::array<uint8_t, 32> salt{}, digest{};
  std::memcpy(salt.data(), sqlite3_column_blob(st, 0), 32);
  std::memcpy(digest.data(), sqlite3_column_blob(st, 1), 32);
  sqlite3_finalize(st);
  sqlite3_close(db);
  EXPECT_EQ(crypto::commitment_digest(salt, sent.records[0].resource_json), digest);
  EXPECT_NE(crypto::commitment_digest(salt, sent.records[0].resource_json + " "), digest);
}

TEST(StoreEncryption, OtherKeysAreRefused) {
  TempDir dir;
  StoreOptions o;
  o.path = dir.store_file();
  o.keys = testing::test_keys();
  { open_or_die(o)->submit_sync(phi_message("C3")); }
  o.keys = crypto::StoreKeys::random_for_tests();
  std::string error;
  error = testing::open_error(o);
  EXPECT_NE(error.find("different record key"), std::string::npos) << error;
  o.keys = nullptr;
  error = testing::open_error(o);
  EXPECT_NE(error.find("no keys"), std::string::npos) << error;
}

TEST(StoreEncryption, SwappedRowsDoNotDecrypt) {
  TempDir dir;
  StoreOptions o;
  o.path = dir.store_file();
  o.keys = testing::test_keys();
  int64_t a = 0, b = 0;
  {
    auto store = open_or_die(o);
    a = store->submit_sync(phi_message("C4")).id;
    b = store->submit_sync(phi_message("C5")).id;
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(o.path.c_str(), &db), SQLITE_OK);
  const std::string sql =
      "UPDATE messages SET raw = (SELECT raw FROM messages WHERE id = " + std::to_string(b) +
      ") WHERE id = " + std::to_string(a);
  ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         "UPDATE records SET resource = (SELECT resource FROM records WHERE "
                         "resource_id = 'p-C5') WHERE resource_id = 'p-C4'",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  auto store = open_or_die(o);
  EXPECT_FALSE(store->raw_message(a).has_value());
  EXPECT_TRUE(store->raw_message(b).has_value());
  EXPECT_FALSE(store->read_record("Patient", "p-C4").has_value());
  EXPECT_TRUE(store->read_record("Patient", "p-C5").has_value());
}

TEST(StoreEncryption, PlaintextStoresFromEarlierVersionsAreRefused) {
  TempDir dir;
  const std::string path = dir.store_file();
  // A schema-2 store with one message, as development builds wrote it.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         "CREATE TABLE messages (id INTEGER PRIMARY KEY, raw BLOB);"
                         "INSERT INTO messages (raw) VALUES ('MSH|...');"
                         "PRAGMA application_id = 1212954438; PRAGMA user_version = 2;",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  StoreOptions o;
  o.path = path;
  o.keys = testing::test_keys();
  std::string error;
  error = testing::open_error(o);
  EXPECT_NE(error.find("before encryption at rest"), std::string::npos) << error;
}

}  // namespace
}  // namespace gw::store
