// Internal to gateway/audit: the audit file's schema, the derivations and
// the row readers the writer (audit_log*.cc) and the verifier
// (audit_verify.cc) must agree on.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "gateway/audit/audit_log.h"
#include "gateway/base/sqlite.h"
#include "gateway/crypto/sha256.h"

namespace gw::audit::internal {

inline constexpr int kSchemaVersion = 1;
inline constexpr int kApplicationId = 0x484C4155;  // "HLAU"

// entries: one row per entry; the clear columns are only what searches need
// (the patient as a blind index); `envelope` holds the whole entry.
// meta 'start': the seq and chain hash verification starts from (0 and h_0
// until a prune); meta 'head': the last seq written and its chain hash.
inline constexpr const char* kSchema = R"sql(
CREATE TABLE entries (
  seq           INTEGER PRIMARY KEY,
  time_ms       INTEGER NOT NULL,
  action        TEXT    NOT NULL,
  actor         TEXT    NOT NULL,
  resource_type TEXT    NOT NULL,
  outcome       TEXT    NOT NULL,
  patient_index BLOB    CHECK (patient_index IS NULL OR length(patient_index) = 32),
  envelope      BLOB    NOT NULL,
  chain_hash    BLOB    NOT NULL CHECK (length(chain_hash) = 32)
);
CREATE INDEX entries_time ON entries (time_ms);
CREATE INDEX entries_patient ON entries (patient_index, seq) WHERE patient_index IS NOT NULL;
CREATE INDEX entries_actor ON entries (actor, seq);
CREATE TABLE batches (
  id          INTEGER PRIMARY KEY,
  first_seq   INTEGER NOT NULL,
  last_seq    INTEGER NOT NULL,
  root        BLOB    NOT NULL CHECK (length(root) = 32),
  created_ms  INTEGER NOT NULL,
  signature   BLOB,
  signer      TEXT    NOT NULL DEFAULT '',
  anchor_tx   TEXT    NOT NULL DEFAULT '',
  anchored_ms INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX batches_first ON batches (first_seq);
CREATE TABLE meta (
  name TEXT PRIMARY KEY,
  seq  INTEGER NOT NULL,
  hash BLOB    NOT NULL CHECK (length(hash) = 32)
);
)sql";

// h_0: a fixed, domain-separated start of the chain.
inline crypto::Sha256Digest chain_start() { return crypto::sha256("gateway-audit|chain-start|v1"); }

// h_n = SHA-256(h_{n-1} || SHA-256(canonical entry)).
inline crypto::Sha256Digest chain_next(const crypto::Sha256Digest& prev,
                                       const crypto::Sha256Digest& entry_hash) {
  std::string buf(reinterpret_cast<const char*>(prev.data()), prev.size());
  buf.append(reinterpret_cast<const char*>(entry_hash.data()), entry_hash.size());
  return crypto::sha256(buf);
}

// The associated data of an entry's envelope: binds it to its seq, so a row
// moved, copied or reordered does not open where it lands.
inline std::string entry_associated_data(int64_t seq) {
  return "gw-audit|entry|" + std::to_string(seq);
}

inline std::string_view as_view(const crypto::Sha256Digest& d) {
  return {reinterpret_cast<const char*>(d.data()), d.size()};
}

inline std::array<uint8_t, 32> to_array(std::string_view b) {
  std::array<uint8_t, 32> out{};
  if (b.size() == out.size()) std::memcpy(out.data(), b.data(), out.size());
  return out;
}

inline constexpr const char* kBatchColumns =
    "id, first_seq, last_seq, root, created_ms, signature, signer, anchor_tx, anchored_ms";

inline AuditBatch read_batch(sqlite::Statement& s) {
  AuditBatch b;
  b.id = s.column_int64(0);
  b.first_seq = s.column_int64(1);
  b.last_seq = s.column_int64(2);
  b.root = to_array(s.column_blob_view(3));
  b.created_ms = s.column_int64(4);
  b.signature = s.column_bytes(5);
  b.signer = s.column_text(6);
  b.anchor_tx = s.column_text(7);
  b.anchored_ms = s.column_int64(8);
  return b;
}

}  // namespace gw::audit::internal
