// Shared by gateway/audit's tests and bench: sample entries and raw SQL on a
// log file (to tamper with it as an attacker with file access would).
#pragma once

#include <sqlite3.h>

#include <string>

#include "gateway/audit/audit_entry.h"

namespace gw::audit::testing {

// A read of Observation/obs-<i> by client "ehr" for patient token (i % 3),
// at 1'700'000'000'000 + i * 1000 ms.
inline AuditEntry sample_entry(int i) {
  AuditEntry e;
  e.time_ms = 1'700'000'000'000 + int64_t{i} * 1000;
  e.actor = {ActorKind::kClient, "ehr"};
  e.source = "10.0.0.5:51234";
  e.action = Action::kRead;
  e.resource_type = "Observation";
  e.resource_id = "obs-" + std::to_string(i);
  e.patient.emplace();
  e.patient->fill(static_cast<uint8_t>(0xA0 + i % 3));
  e.purpose = "TREAT";
  e.outcome = {OutcomeKind::kSuccess, 200, ""};
  return e;
}

// Runs `sql` on the file through its own connection; "" or SQLite's message.
inline std::string exec_sql(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  std::string err;
  if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) {
    err = "cannot open";
  } else {
    char* msg = nullptr;
    if (sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &msg) != SQLITE_OK) {
      err = msg != nullptr ? msg : "failed";
      sqlite3_free(msg);
    }
  }
  sqlite3_close(db);
  return err;
}

}  // namespace gw::audit::testing
