// The patient compartment index and the record commitments a transfer reads:
// which records are about a patient, found by the patient's consortium token.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <string>
#include <vector>

#include "gateway/crypto/commitment.h"
#include "gateway/store/compartment.h"
#include "gateway/store/message_store.h"
#include "gateway/store/store_test_util.h"

namespace gw::store {
namespace {

using testing::make_message;
using testing::open_or_die;
using testing::TempDir;

RecordWrite record(std::string type, std::string id, std::string json) {
  RecordWrite r;
  r.resource_type = std::move(type);
  r.resource_id = std::move(id);
  r.resource_json = std::move(json);
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

TEST(CompartmentTest, FollowsTheElementsOfEachType) {
  using V = std::vector<std::string>;
  EXPECT_EQ(patient_compartment_ids("Patient", "p1", "{}"), V{"p1"});
  EXPECT_EQ(
      patient_compartment_ids("Observation", "o", R"({"subject":{"reference":"Patient/p1"}})"),
      V{"p1"});
  EXPECT_EQ(patient_compartment_ids("AllergyIntolerance", "a",
                                    R"({"patient":{"reference":"Patient/p2/_history/3"}})"),
            V{"p2"});
  EXPECT_EQ(patient_compartment_ids(
                "Appointment", "ap",
                R"({"participant":[{"actor":{"reference":"Practitioner/d"}},)"
                R"({"actor":{"reference":"Patient/p3"}},{"actor":{"reference":"Patient/p1"}}]})"),
            (V{"p1", "p3"}));
  EXPECT_EQ(patient_compartment_ids("Coverage", "c",
                                    R"({"beneficiary":{"reference":"Patient/p1"},)"
                                    R"("subscriber":{"reference":"Patient/p1"}})"),
            V{"p1"});
  // Not in any compartment: other targets, absolute or logical references,
  // unparseable JSON, a reference in an element the type does not list.
  EXPECT_TRUE(patient_compartment_ids("Observation", "o", R"({"subject":{"reference":"Group/g"}})")
                  .empty());
  EXPECT_TRUE(
      patient_compartment_ids("Observation", "o", R"({"subject":{"reference":"urn:uuid:1"}})")
          .empty());
  EXPECT_TRUE(patient_compartment_ids("Observation", "o", "{").empty());
  EXPECT_TRUE(
      patient_compartment_ids("Observation", "o", R"({"focus":[{"reference":"Patient/p1"}]})")
          .empty());
  EXPECT_TRUE(patient_compartment_ids("Observation", "o", R"({"subject":{"reference":"Patient/"}})")
                  .empty());
}

class CompartmentStoreTest : public ::testing::Test {
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

TEST_F(CompartmentStoreTest, FindsAPatientsRecordsByToken) {
  RecordWrite p1 = record("Patient", "p1", R"({"resourceType":"Patient"})");
  p1.patient_tokens = {"tok-a", "tok-b"};
  RecordWrite p2 = record("Patient", "p2", R"({"resourceType":"Patient"})");
  p2.patient_tokens = {"tok-c"};
  ASSERT_EQ(store_
                ->submit_sync(with_records(
                    "1", {p1, p2,
                          record("Observation", "o1", R"({"subject":{"reference":"Patient/p1"}})"),
                          record("Observation", "o2", R"({"subject":{"reference":"Patient/p2"}})"),
                          record("Condition", "c1", R"({"subject":{"reference":"Patient/p1"}})"),
                          record("Organization", "org", R"({"name":"x"})")}))
                .kind,
            CommitResult::Kind::kStored);
  EXPECT_EQ(store_->patients_with_token("tok-b"), std::vector<std::string>{"p1"});
  EXPECT_TRUE(store_->patients_with_token("tok-z").empty());
  EXPECT_EQ(ids_of(store_->patient_compartment("p1", 100)),
            (std::vector<std::string>{"Condition/c1", "Observation/o1", "Patient/p1"}));
  EXPECT_EQ(ids_of(store_->patient_compartment("p1", 2)).size(), 2u);
  EXPECT_TRUE(store_->patient_compartment("nobody", 100).empty());

  // A new version moves the record to its new patient; the compartment
  // serves latest versions with their commitments.
  ASSERT_EQ(
      store_
          ->submit_sync(with_records(
              "2", {record("Observation", "o1", R"({"subject":{"reference":"Patient/p2"}})")}))
          .kind,
      CommitResult::Kind::kStored);
  EXPECT_EQ(ids_of(store_->patient_compartment("p1", 100)),
            (std::vector<std::string>{"Condition/c1", "Patient/p1"}));
  const std::vector<StoredRecord> p2_records = store_->patient_compartment("p2", 100);
  ASSERT_EQ(ids_of(p2_records),
            (std::vector<std::string>{"Observation/o1", "Observation/o2", "Patient/p2"}));
  EXPECT_EQ(p2_records[0].version, 2);
  for (const StoredRecord& r : p2_records) {
    EXPECT_EQ(crypto::commitment_digest(r.commit_salt, r.resource_json), r.commitment)
        << r.resource_id;
  }
}

TEST_F(CompartmentStoreTest, WriterGivenPatientsAreUsed) {
  RecordWrite o = record("Observation", "o1", R"({"subject":{"reference":"Patient/p1"}})");
  o.patients = std::vector<std::string>{"p9"};
  ASSERT_EQ(store_->submit_sync(with_records("1", {o})).kind, CommitResult::Kind::kStored);
  EXPECT_EQ(ids_of(store_->patient_compartment("p9", 10)),
            std::vector<std::string>{"Observation/o1"});
  EXPECT_TRUE(store_->patient_compartment("p1", 10).empty());
}

TEST_F(CompartmentStoreTest, StoresOfSchemaThreeAreBackfilled) {
  ASSERT_EQ(
      store_
          ->submit_sync(with_records(
              "1", {record("Patient", "p1", "{}"),
                    record("Observation", "o1", R"({"subject":{"reference":"Patient/p1"}})")}))
          .kind,
      CommitResult::Kind::kStored);
  store_->close();
  store_.reset();
  // Back to what a schema-3 store looks like (without version 5's column, too).
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(options_.path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, testing::kBackToSchemaFive, nullptr, nullptr, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         "DROP INDEX messages_conflict_of; ALTER TABLE messages DROP COLUMN "
                         "conflict_of; DROP TABLE record_patients; PRAGMA user_version = 3;",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  store_ = open_or_die(options_);
  EXPECT_EQ(ids_of(store_->patient_compartment("p1", 10)),
            (std::vector<std::string>{"Observation/o1", "Patient/p1"}));
}

}  // namespace
}  // namespace gw::store
