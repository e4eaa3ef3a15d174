// HL7 v2 -> FHIR R4 conversion (after the HL7 V2-to-FHIR implementation
// guide, build.fhir.org/ig/HL7/v2-to-fhir).
//
//   hl7::ParseResult p = hl7::parse(er7);
//   ConversionResult r = convert_message(*p.message, config);
//   if (!r.ok()) { /* r.errors: located, content-free */ }
//   send(r.bundle);  // a transaction Bundle
//
// Every message becomes one transaction Bundle, byte-for-byte the same for the
// same message and config (deterministic ids, no wall clock, entries in
// segment order). Entry requests:
//  - resources with a business identifier (given or minted by the gateway):
//    PUT <Type>?identifier=<system>|<value>, so replays change nothing;
//  - MessageHeader and Provenance (no identifier element): PUT <Type>/<id>
//    with the deterministic id, in the body too.
// Other resource bodies carry no "id": the deterministic id is the entry's
// fullUrl "urn:uuid:<id>" (and MappedRecord::id). A body id would make a
// conditional update fail (HTTP 400) on servers where the matching resource
// was created with another id. References between entries use the urn:uuid
// fullUrls.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "adapters/hl7/er7.h"
#include "adapters/hl7/error.h"
#include "adapters/v2fhir/mapping_config.h"
#include "fhir/json/json.h"

namespace gw::v2fhir {

// Where a mapping issue is, as structure: the pipeline copies it into the
// ACK's ERR-2 and renders text only for people (logs, convert output).
//  - A position in the message: where.segment_id (a reportable id only, see
//    hl7::is_reportable_segment_id), where.segment_sequence (1-based
//    occurrence among segments with that id), where.field, where.repetition,
//    where.component.
//  - A segment whose id is not reportable: where.segment_index alone.
//  - Nothing set: the problem is in the mapping configuration.
struct IssueLocation {
  hl7::ErrorLocation where;
  // The message has several segments with this id, so the text names the
  // occurrence ("OBX[3]-5").
  bool repeated = false;

  // A position in segment `segment_id` (occurrence 1 unless given).
  static IssueLocation in_segment(std::string_view segment_id, int field = 0, int occurrence = 1,
                                  bool repeated = false);

  // "PID-7", "OBX[3]-5.2", "PID-3(2).4"; "segment 5" for an unreportable
  // segment id; "config" for the mapping configuration.
  std::string to_string() const;
};

// One problem found while mapping: a location and a fixed text, never
// message content.
struct MappingIssue {
  IssueLocation location;
  std::string text;
};

// The parts of a mapped resource that the message carries only partly, for
// a store that keeps the resource's earlier versions (gateway/store
// MergeRules, which the pipeline copies these into; the rules are described
// there). Some events send part of a resource by definition: an MDM status
// change has no document text (the mapper puts a data-absent placeholder in
// DocumentReference.content, 1..*), an SIU S20 names only the resources it
// cancels. The Bundle itself always carries the partial resource (see
// README, Deviations). Element names are top-level names of the resource.
struct PartialUpdate {
  struct MergeBy {
    std::string element;   // "participant"
    std::string key_path;  // "actor.reference"
  };
  // The stored element wins when there is one (the message holds a placeholder).
  std::vector<std::string> keep_stored;
  // Array items merged by the string at key_path ("": by the whole item).
  std::vector<MergeBy> merge_by;
  bool empty() const { return keep_stored.empty() && merge_by.empty(); }
};

// Pointers into ConversionResult::bundle (valid while it is alive and unchanged).
struct MappedRecord {
  std::string resource_type;
  std::string id;
  const fhir::JsonValue* resource;
  size_t entry_index = 0;  // position in the Bundle's "entry" array
  std::vector<std::pair<std::string, std::string>> identifiers;  // (system, value)
  PartialUpdate partial;                                         // empty: the resource is whole
};

struct ConversionResult {
  bool ok() const { return errors.empty(); }
  fhir::JsonValue bundle;  // the transaction Bundle (valid only if ok())
  std::vector<MappingIssue> errors, warnings;
  // Per Bundle entry, in entry order: what of its resource is partial.
  std::vector<PartialUpdate> partial;
  // Every entry resource with its id and business identifiers (system, value).
  std::vector<MappedRecord> records() const;
};

// Converts a parsed message. Unsupported message types are an error at "MSH-9"
// naming the type ("unsupported message type ADT^A99").
ConversionResult convert_message(const hl7::Message& message, const MappingConfig& config);

// "ADT^A01", ..., "ORU^R01" (sorted).
std::vector<std::string> supported_message_types();
// True if convert_message maps messages of this header's type (MSH-9.1^9.2).
bool is_supported_message_type(const hl7::Header& header);

}  // namespace gw::v2fhir
