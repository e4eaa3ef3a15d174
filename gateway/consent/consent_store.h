// The gateway's own record of each Consent it put on the ledger: which
// patient (stored Patient id and consortium token), the plan of the version
// whose calls were queued (what the next PUT diffs against, see
// consent_operations.h "Previous = applied"), and the ledger outbox items of
// that version (what GET /Consent/{id} reports as its ledger state).
//
// The Consent resource itself is a record in the MessageStore (encrypted);
// this file holds no identifier values: the plan is kept without its
// PatientRef (which may be an identifier), so nothing here is PHI beyond a
// record id and a keyed token. One SQLite file, mode 0600, synchronous=FULL.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "gateway/base/status.h"
#include "gateway/consent/consent_mapping.h"
#include "ledger-client/keccak/keccak.h"

struct sqlite3;

namespace gw::consent {

struct ConsentRow {
  std::string id;                  // Consent id
  int64_t version = 0;             // record version in the MessageStore
  std::string patient_id;          // the stored Patient the Consent is about
  ledger::Hash256 token{};         // that patient's consortium token (bytes on chain)
  ConsentPlan plan;                // of this version; plan.patient is left empty
  std::vector<int64_t> item_seqs;  // outbox items that carry this version (may be empty)
  int64_t created_ms = 0, updated_ms = 0;
};

// Bounds on what one listing returns (hostile query: ?patient= with many).
inline constexpr size_t kMaxConsentsPerPatient = 1000;

class ConsentStore {
 public:
  // Opens or creates the file (mode 0600). Refuses a file of another schema.
  static Result<std::unique_ptr<ConsentStore>> open(const std::string& path);
  ~ConsentStore();
  ConsentStore(const ConsentStore&) = delete;
  ConsentStore& operator=(const ConsentStore&) = delete;

  Result<std::optional<ConsentRow>> get(const std::string& id);
  // Inserts or replaces the row of `row.id` (created_ms of an existing row is kept).
  Status put(const ConsentRow& row);
  // The Consents of one stored Patient / of one token, ordered by id, at most `limit`.
  Result<std::vector<ConsentRow>> by_patient(const std::string& patient_id, size_t limit);
  Result<std::vector<ConsentRow>> by_token(const ledger::Hash256& token, size_t limit);

 private:
  ConsentStore() = default;
  Result<std::vector<ConsentRow>> select(const char* where, std::string_view key, bool key_is_blob,
                                         size_t limit);
  std::mutex mu_;
  sqlite3* db_ = nullptr;
};

// The plan as stored (JSON; grants and denies, addresses as hex; no PatientRef).
std::string encode_plan(const ConsentPlan& plan);
Result<ConsentPlan> decode_plan(std::string_view text);

}  // namespace gw::consent
