// Per-channel settings of the HL7 v2 -> FHIR R4 mapping (adapters/v2fhir).
//
// A MappingConfig is plain data, usually read from the channel configuration;
// check it once with check_mapping_config() before converting messages.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "gateway/base/status.h"

namespace gw::v2fhir {

struct CodeTranslation {    // local code -> standard code
  std::string from_system;  // v2 coding system name as sent in CWE-3 (e.g. "99LAB", "L")
  std::string from_code;
  std::string to_system;  // FHIR system URI, e.g. "http://loinc.org"
  std::string to_code;
  std::string to_display;  // may be empty
};

struct ZSegmentRule {    // maps one Z-segment field to an extension
  std::string segment;   // "ZPI"
  int field = 0;         // 1-based field number
  std::string resource;  // resource type that receives the extension: "Patient", "Encounter", ...
  std::string extension_url;  // absolute URL
  std::string value_type;  // "string" | "code" | "boolean" | "integer" | "decimal" | "dateTime" |
                           // "CodeableConcept"
};

enum class ZSegmentPolicy {
  kIgnore,
  kMapByRules
};  // unmatched Z fields are always ignored (a warning lists them)

struct MappingConfig {
  std::string time_zone = "UTC";  // IANA zone name ("Europe/Berlin") or fixed offset "+01:00";
                                  // applied to timestamps sent without offset
  std::map<std::string, std::string> identifier_systems;  // assigning authority (CX-4.1, or CX-4.2
                                                          // OID, or HD namespace) -> system URI
  std::map<std::string, std::string> coding_systems;  // extra/override v2 coding system name -> URI
  std::vector<CodeTranslation> code_translations;
  ZSegmentPolicy z_segments = ZSegmentPolicy::kIgnore;
  std::vector<ZSegmentRule> z_rules;
  // The v2-0074 diagnostic service section ("LAB", "RAD", ...) of results
  // whose OBR-24 is empty: a lab interface's results are all lab results,
  // but many feeds never send OBR-24. Empty: none assumed. Results of a lab
  // or imaging section also get Observation.category (laboratory / imaging),
  // which consents and transfers select records by.
  std::string default_result_section;
};

// Checks a config (known value types, absolute URLs, resolvable time zone...).
// kInvalidArgument with a message naming the offending entry (configuration
// is not patient data, so the message may quote it).
gw::Status check_mapping_config(const MappingConfig&);

}  // namespace gw::v2fhir
