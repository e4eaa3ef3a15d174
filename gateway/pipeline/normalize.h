// v2 message -> normalized records: the FHIR transaction Bundle the mapping
// produces (adapters/v2fhir), every entry resource validated against the R4
// definitions (fhir/validate) and canonicalized for the store.
//
// One function shared by the MLLP pipeline and `gatewayctl convert`, so that
// what an integration engineer sees from convert is exactly what gatewayd
// stores.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "adapters/hl7/er7.h"
#include "adapters/hl7/error.h"
#include "adapters/v2fhir/convert.h"
#include "adapters/v2fhir/mapping_config.h"
#include "fhir/json/json.h"
#include "gateway/store/message_store.h"

namespace gw::pipeline {

struct NormalizeIssue {
  enum class Kind {
    kMapping,          // the v2 content could not be mapped
    kUnsupportedType,  // the mapper has no profile for the message type (MSH-9)
    kInvalidFhir,      // the produced FHIR fails validation or canonicalization
  };
  Kind kind = Kind::kMapping;
  // Mapping problems: where in the v2 message.
  v2fhir::IssueLocation v2;
  // Validation problems of the produced FHIR: the element path (or the
  // resource type); `v2` is then empty.
  std::optional<std::string> fhir_path;
  std::string text;  // fixed, never content

  // For people: "PID-7", "OBX[3]-5" for mapping problems, "FHIR " + the path
  // for validation problems.
  std::string location() const;
};

struct Normalized {
  bool ok() const { return errors.empty(); }
  // The message's type is one the mapper does not support; then the only
  // error is the kUnsupportedType issue. Decided here, once, for every caller
  // (the pipeline stores such messages unmapped or answers AE/CE 200).
  bool unsupported_type() const {
    return errors.size() == 1 && errors[0].kind == NormalizeIssue::Kind::kUnsupportedType;
  }
  fhir::JsonValue bundle;                   // the transaction Bundle (when ok())
  // One per Bundle entry, canonical JSON (when ok()); references between
  // them are "Type/<id>" (the Bundle's urn:uuid fullUrls mean nothing alone).
  std::vector<store::RecordWrite> records;
  std::vector<NormalizeIssue> errors, warnings;
};

// Maps, validates and canonicalizes. Never throws; every failure is an issue.
Normalized normalize_v2(const hl7::Message& message, const v2fhir::MappingConfig& config);

// An issue as an HL7 error for an ERR segment: ERR-2 from the v2 location of a
// mapping problem, code 200 for an unsupported message type, else 207
// (application error: the message is valid v2 but could not be normalized).
hl7::Error to_hl7_error(const NormalizeIssue& issue);

// "PID-7: text; OBX[3]-5: text" (at most `max` issues, then "+N more").
std::string summarize(const std::vector<NormalizeIssue>& issues, size_t max = 5);

}  // namespace gw::pipeline
