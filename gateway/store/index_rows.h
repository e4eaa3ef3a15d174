// The index rows a record's latest version owns: its identifier index keys
// (record_identifiers), the patients whose compartment it is in
// (record_patients) and, for a Patient, its consortium tokens
// (patient_tokens). They are kept, encoded, in the version's record_heads
// row, so the next version deletes exactly those rows by their primary keys.
// That replaces three secondary indexes on (type, id) that served only those
// deletes and cost a random b-tree leaf each per record version (schema
// version 6, see schema.cc).
//
// An identifier whose value is the resource's own id (what the v2 mapper
// mints for a resource without a business identifier) has no
// record_identifiers rows: the head row is already keyed by that value, so
// it is kept here as a "self" key (StoreKeys::index_key(system, value)),
// and find() looks at the head named by the searched value (records.cc).
// That saves a random index leaf per such record version.
//
// Encoding: entries back to back, each a kind byte ('k' identifier key, 'p'
// patient id, 't' token, 's' self key), a big-endian uint16 length and that
// many bytes. Rows written before self keys existed have no 's' entries and
// decode as they did.
// The bytes come from the database file, so decode() checks every length
// against what is there and refuses anything else (index_rows_fuzz.cc).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace gw::store::internal {

struct IndexRows {
  std::vector<std::string> identifier_keys;  // StoreKeys::index_key values
  std::vector<std::string> patients;         // compartment patient ids
  std::vector<std::string> tokens;           // Patient only
  std::vector<std::string> self_keys;        // identifiers whose value is the resource id

  bool operator==(const IndexRows&) const = default;
};

// Longest entry encode() accepts (the uint16 length).
inline constexpr size_t kMaxIndexRowBytes = 0xffff;

// False (and *out untouched) when an entry is longer than kMaxIndexRowBytes.
bool encode_index_rows(const IndexRows& rows, std::string* out);
// False on any malformed input: unknown kind, a length past the end.
bool decode_index_rows(std::string_view bytes, IndexRows* out);

}  // namespace gw::store::internal
