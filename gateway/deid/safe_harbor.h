// HIPAA Safe Harbor de-identification (45 CFR §164.514(b)(2)) of one
// patient's FHIR R4 records, for research (HRESCH) transfers. README.md in
// this folder lists what happens to each of the 18 identifier kinds and why
// the study pseudonym satisfies §164.514(c).
//
// The rules are an ALLOW LIST driven by the R4 type of every element (the
// tables of fhir/defs): an element survives only if its type (and, for a few
// coded-safe strings, its place) is on the list; unknown elements, primitive
// extensions ("_name"), contained resources and narrative never do. Resource
// types are on an allow list too: clinical resources about the patient;
// resources that identify in themselves (RelatedPerson, Person, Provenance,
// DocumentReference, Coverage, Practitioner, Organization, ...) are dropped,
// and every reference to a dropped resource is removed, so each output
// resource stays valid R4 (checked with fhir/validate before it is returned).
//
// Errors and the report never hold patient data: they name record indexes,
// resource types and fixed reasons only.
//
// Thread-safety: deidentify() is a pure function of its arguments; calls may
// run concurrently.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "gateway/base/status.h"
#include "gateway/crypto/secret.h"

namespace gw::deid {

// One stored record: type, id and JSON (canonical or not) of a resource.
struct Record {
  std::string resource_type;
  std::string id;
  std::string json;
};

// The 17 three-digit ZIP prefixes of the HHS guidance (2000 Census: 20,000
// people or fewer) that Safe Harbor turns into "000".
std::span<const std::string_view> default_restricted_zip3();

struct SafeHarborOptions {
  // Names the study in the pseudonym's identifier system
  // (urn:gateway:study:<study_id>:pseudonym). [A-Za-z0-9.-]{1,64}.
  std::string study_id;
  // Ages are computed at this date (the date of the transfer): a birth date
  // more than 89 years before it is dropped and marked "90 or older".
  std::chrono::year_month_day reference_date{};
  // Overrides default_restricted_zip3() when not empty (a newer Census
  // list); each entry three digits.
  std::vector<std::string> restricted_zip3;
  // Bounds on hostile or runaway input: records, bytes of one record's JSON
  // and of all records together. JSON depth is the parser's default (64).
  size_t max_records = 20'000;
  size_t max_record_bytes = 8u << 20;
  size_t max_total_bytes = 256u << 20;
  // Bytes of record JSON walked in all, re-walks after a drop included;
  // 0: eight times the input plus 1 MiB.
  size_t max_walk_bytes = 0;
};

// Why an input record is not in the output (counted, never listed by id).
enum class DropReason {
  kResourceType,      // its type is not on the allow list (identifying in itself)
  kUnsafeModifier,    // modifierExtension or implicitRules: meaning cannot be kept
  kNothingSafeLeft,   // a required element was not safe to keep, or nothing remained
  kInvalidAfterDeid,  // fhir/validate refused the de-identified resource
};
std::string_view drop_reason_name(DropReason reason);

struct DeidResult {
  // The de-identified records in input order: new id (HMAC of the old type
  // and id under the study key), canonical JSON (fhir/json canonicalize).
  std::vector<Record> records;
  // For each output record, the index of its input record.
  std::vector<size_t> source_index;
  // The patient's study pseudonym (also Patient.identifier[0].value).
  std::string pseudonym;
  // Dropped records by resource type and reason; safe to log.
  std::map<std::string, size_t> dropped_by_type;
  std::map<DropReason, size_t> dropped_by_reason;
};

// De-identifies `records`, all of one patient (the one `patient_token`
// names; at least one Patient record among them).
//  - study_key: the per-study secret (at least 32 bytes); ids and the
//    pseudonym are HMAC-SHA-256 under it, so the same key gives the same
//    output and another key unlinkable output.
//  - patient_token: the patient's consortium token; only its HMAC leaves.
// Errors: kInvalidArgument for bad arguments or a record that is not a FHIR
// resource of its stated type and id (the message names its index), or with
// no Patient record; kResourceExhausted beyond the options' limits;
// kFailedPrecondition when no Patient can be kept (a modifierExtension on
// it); kInternal if the HMAC or the canonical form fails.
// `options.reference_date` is the date of the transfer decision: ages over
// 89 are judged at it (or at death, when earlier).
Result<DeidResult> deidentify(std::span<const Record> records, const crypto::SecretBytes& study_key,
                              std::string_view patient_token, const SafeHarborOptions& options);

}  // namespace gw::deid
