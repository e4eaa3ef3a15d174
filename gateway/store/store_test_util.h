// Helpers shared by the message store tests (header-only, test code only).
#pragma once

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <array>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <future>
#include <mutex>
#include <string>
#include <vector>

#include "gateway/store/message_store.h"
#include "gateway/store/store_bench_util.h"

namespace gw::store::testing {

// How long a store test waits for something asynchronous (a callback, a
// blocked committer) before failing. Generous, so a loaded CI machine never
// trips it; it only exists so a deadlock fails with a message instead of
// hanging until ctest kills the test without saying what was awaited.
inline constexpr std::chrono::seconds kTestDeadline{60};

// SQL that turns a current store back into schema version 6: no prev_seq,
// and the UNIQUE (type, id, version) index that version 6 had (a named
// index in place of the constraint's autoindex: the same b-tree).
#define GW_BACK_TO_SCHEMA_SIX                                                    \
  "ALTER TABLE records DROP COLUMN prev_seq; "                                   \
  "CREATE UNIQUE INDEX records_version ON records (resource_type, resource_id, " \
  "version); "
inline constexpr char kBackToSchemaSix[] = GW_BACK_TO_SCHEMA_SIX "PRAGMA user_version = 6;";

// SQL that turns a current store back into schema version 5 (before the
// heads kept their index rows, and when an identifier's system row held the
// bare system key, records.cc): for tests of the migrations from older
// versions, which then take the file further back.
inline constexpr char kBackToSchemaFive[] = GW_BACK_TO_SCHEMA_SIX
    "UPDATE record_identifiers SET key = substr(key, 9) WHERE length(key) = 40; "
    "ALTER TABLE record_heads DROP COLUMN index_rows; "
    "CREATE INDEX record_identifiers_resource ON record_identifiers (resource_type, resource_id); "
    "CREATE INDEX record_patients_resource ON record_patients (resource_type, resource_id); "
    "CREATE INDEX patient_tokens_resource ON patient_tokens (resource_id); "
    "PRAGMA user_version = 5;";

// Waits for `done` until kTestDeadline; on timeout adds a failure naming
// `what` and returns false.
inline bool wait_or_fail(const std::future<void>& done, const std::string& what) {
  if (done.wait_for(kTestDeadline) == std::future_status::ready) return true;
  ADD_FAILURE() << "timed out after " << kTestDeadline.count() << " s waiting for " << what;
  return false;
}

// Fixed store keys for tests, the same in every test process, so a test can
// close and reopen a store file, also from a child process.
inline std::shared_ptr<const crypto::StoreKeys> test_keys() {
  static const std::shared_ptr<const crypto::StoreKeys> keys = [] {
    std::array<uint8_t, 32> record{}, tokenization{};
    for (size_t i = 0; i < 32; ++i) {
      record[i] = static_cast<uint8_t>(i + 1);
      tokenization[i] = static_cast<uint8_t>(0xA0 + i);
    }
    auto r = crypto::SecretBytes::copy_of(record);
    auto t = crypto::SecretBytes::copy_of(tokenization);
    if (!r || !t) {
      ADD_FAILURE() << "test store keys: no locked memory";
      return std::shared_ptr<const crypto::StoreKeys>();
    }
    auto k = crypto::StoreKeys::create(*r, 1, *t);
    if (!k.ok()) {
      ADD_FAILURE() << "test store keys: " << k.error().message();
      return std::shared_ptr<const crypto::StoreKeys>();
    }
    return std::move(k).value();
  }();
  return keys;
}

// A fresh directory under the system temp dir, removed with its contents.
class TempDir {
 public:
  TempDir() {
    path_ = bench::make_temp_dir(std::filesystem::temp_directory_path(), "gw-store-");
    if (path_.empty()) ADD_FAILURE() << "mkdtemp failed";
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::permissions(path_, std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::add, ec);
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  // The message store's file, named as gatewayd names it in its state
  // directory (config::GatewayConfig::message_store_path).
  std::string store_file() const { return file("messages.db"); }

 private:
  std::filesystem::path path_;
};

inline InboundMessage make_message(std::string sender, std::string control_id, std::string raw,
                                   MessageStatus status = MessageStatus::kAccepted) {
  InboundMessage m;
  m.channel = "adt";
  m.sender = std::move(sender);
  m.control_id = std::move(control_id);
  m.message_type = "ADT^A01";
  m.peer = "127.0.0.1:5000";
  m.status = status;
  if (status == MessageStatus::kRejected) m.error = "MSH-9: unsupported";
  m.raw = std::move(raw);
  m.ack = "MSA|AA|" + m.control_id;
  m.received_at_ms = 1700000000000;
  return m;
}

inline std::unique_ptr<MessageStore> open_or_die(const StoreOptions& options) {
  auto store = MessageStore::open(options);
  EXPECT_TRUE(store.ok()) << store.status().message();
  return store.ok() ? std::move(store).value() : nullptr;
}

// The error message of a MessageStore::open that must fail ("" if it opened).
inline std::string open_error(const StoreOptions& options) {
  auto store = MessageStore::open(options);
  EXPECT_FALSE(store.ok());
  return store.ok() ? std::string() : store.error().message();
}

// Holds the committer thread inside a commit callback until released, so the
// submissions made meanwhile are all pending together and form one group.
class CommitterGate {
 public:
  // Submits a message whose callback blocks the committer; returns once the
  // committer is blocked.
  void close_on(MessageStore& store, InboundMessage gate_message) {
    store.submit(std::move(gate_message), [this](CommitResult r) {
      std::unique_lock<std::mutex> lock(mu_);
      gate_result_ = r.kind;
      blocked_ = true;
      cv_.notify_all();
      // Bounded, so a test that never opens the gate releases the committer
      // (and the store can close) instead of hanging.
      if (!cv_.wait_for(lock, kTestDeadline, [this] { return open_; })) {
        ADD_FAILURE() << "committer gate not opened within " << kTestDeadline.count() << " s";
      }
    });
    std::unique_lock<std::mutex> lock(mu_);
    if (!cv_.wait_for(lock, kTestDeadline, [this] { return blocked_; })) {
      ADD_FAILURE() << "committer did not reach the gate within " << kTestDeadline.count() << " s";
    }
  }
  void open() {
    std::lock_guard<std::mutex> lock(mu_);
    open_ = true;
    cv_.notify_all();
  }
  CommitResult::Kind gate_result() {
    std::lock_guard<std::mutex> lock(mu_);
    return gate_result_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool blocked_ = false, open_ = false;
  CommitResult::Kind gate_result_ = CommitResult::Kind::kFailed;
};

// Collects asynchronous results and waits for a given number of them.
class ResultCollector {
 public:
  CommitCallback callback(size_t index) {
    return [this, index](CommitResult r) {
      std::lock_guard<std::mutex> lock(mu_);
      if (results_.size() <= index) {
        results_.resize(index + 1);
        arrived_.resize(index + 1, false);
      }
      results_[index] = std::move(r);
      arrived_[index] = true;
      ++done_;
      cv_.notify_all();
    };
  }
  // On timeout adds a failure and returns at least `n` results, those that
  // never arrived as kFailed with the error "no result within the test
  // deadline", so callers see a failing value, never a stale or default one.
  std::vector<CommitResult> wait_for(size_t n) {
    std::unique_lock<std::mutex> lock(mu_);
    if (cv_.wait_for(lock, kTestDeadline, [&] { return done_ >= n; })) return results_;
    ADD_FAILURE() << "timed out after " << kTestDeadline.count() << " s: " << done_ << " of " << n
                  << " commit results arrived";
    std::vector<CommitResult> out = results_;
    if (out.size() < n) out.resize(n);
    for (size_t i = 0; i < out.size(); ++i) {
      if (i < arrived_.size() && arrived_[i]) continue;
      out[i] = CommitResult{};
      out[i].kind = CommitResult::Kind::kFailed;
      out[i].error = "no result within the test deadline";
    }
    return out;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<CommitResult> results_;
  std::vector<bool> arrived_;
  size_t done_ = 0;
};

// Runs a query on a separate connection and returns the first column of the
// first row as text ("" if none).
inline std::string query_text(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  std::string out;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) == SQLITE_OK) {
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &s, nullptr) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0) != nullptr) {
      out = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
    }
    sqlite3_finalize(s);
  }
  sqlite3_close(db);
  return out;
}

}  // namespace gw::store::testing
