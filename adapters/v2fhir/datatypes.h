// HL7 v2 data types -> FHIR R4 data types (V2-to-FHIR IG datatype maps).
//
// Functions come in two layers:
//  - value functions (human_name, address, ...) take a decoded hl7 struct and
//    return a JsonValue, null (JsonValue{}) when nothing is left to map, so
//    callers can skip empty elements (FHIR forbids empty objects);
//  - field functions (*_field) read field `field` of a segment, report
//    malformed values as errors located "SEG[n]-f(r)" and map them.
// Issues never contain values, only locations and fixed texts. Strings are
// trimmed; v2 null ("") maps to nothing.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "adapters/hl7/types.h"
#include "adapters/v2fhir/context.h"
#include "fhir/json/json.h"

namespace gw::v2fhir {

// ---- Codes -----------------------------------------------------------------

// FHIR system URI for a v2 coding system name (CWE-3: "LN", "SCT", "I10",
// "HL70203", ...), config overrides first; "" when unknown or local.
std::string coding_system_uri(const MappingContext& ctx, std::string_view v2_name);
// True for local coding systems: "L", "LOCAL", "99zzz".
bool is_local_coding_system(std::string_view v2_name);

// CWE/CE -> CodeableConcept: primary and alternate triplets as codings (a
// configured translation of a local code is added before it), text from
// CWE-9, else CWE-2. Unknown or untranslated local systems keep their code
// under "<sender_urn>:codesystem:<name>" with a warning at `loc`.
// `default_table` ("0063") gives the system when CWE-3 is empty.
fhir::JsonValue codeable_concept(MappingContext& ctx, const hl7::CWE& cwe, const IssueLocation& loc,
                                 std::string_view default_table = {});
// A coded value the CWE reader refuses: {"text": its text} with a warning.
fhir::JsonValue unreadable_concept(MappingContext& ctx, const hl7::Element& e,
                                   const IssueLocation& loc);
// Reads field (repetition `rep`, 1-based) as CWE and maps it (an unreadable
// value becomes text with a warning, see unreadable_concept).
fhir::JsonValue codeable_concept_field(MappingContext& ctx, const Seg& seg, int field, int rep = 1,
                                       std::string_view default_table = {});
// Every repetition of a CWE field, as codeable concepts.
std::vector<fhir::JsonValue> codeable_concepts_field(MappingContext& ctx, const Seg& seg, int field,
                                                     std::string_view default_table = {});
// {"system": system, "code": code[, "display": display]}.
fhir::JsonValue make_coding(std::string_view system, std::string_view code,
                            std::string_view display = {});
fhir::JsonValue make_concept(std::string_view system, std::string_view code,
                             std::string_view display = {});

// ---- Identifiers -----------------------------------------------------------

// System URI for an assigning authority (HD): config by namespace, then by
// universal id; then "urn:oid:<oid>" for ISO OIDs; a few well-known
// authorities (NPI, SSA); else "<sender_urn>:authority:<name>" with a warning.
// Without any authority: "<sender_urn>:type:<type_code>" (or ":authority:unknown"), warning.
std::string identifier_system(MappingContext& ctx, const hl7::HD& authority,
                              std::string_view type_code, const IssueLocation& loc);
// CX -> Identifier (system, value, type from CX-5 via v2-0203). Null if no id.
fhir::JsonValue identifier_from_cx(MappingContext& ctx, const hl7::CX& cx,
                                   const IssueLocation& loc);
// All repetitions of a CX field.
std::vector<fhir::JsonValue> identifiers_field(MappingContext& ctx, const Seg& seg, int field);

// EI (entity identifier: id ^ namespace ^ universal id ^ type).
struct EI {
  std::string id;
  hl7::HD authority;
};
EI read_ei(const hl7::Element& e);
// EI -> Identifier with type `type_code` (v2-0203, e.g. "PLAC", "FILL"; may be empty).
fhir::JsonValue identifier_from_ei(MappingContext& ctx, const EI& ei, std::string_view type_code,
                                   const IssueLocation& loc);

// "system|value" of an Identifier JSON object ("" if either is missing).
std::string identifier_key(const fhir::JsonValue& identifier);
// "system|code" of a CodeableConcept's first coding, else "text|" + its text
// ("" for an empty concept): what keys a resource identified by its code.
std::string code_key(const fhir::JsonValue& cc);
// v2-0001 administrative sex -> FHIR administrative-gender (IG ConceptMap);
// nullptr for a code not in the table.
const char* administrative_gender(std::string_view sex);

// ---- Names, addresses, telecom ---------------------------------------------

fhir::JsonValue human_name(const hl7::XPN& xpn);  // XPN-7 -> use (v2-0200)
fhir::JsonValue address(const hl7::XAD& xad);     // XAD-7 -> use/type (v2-0190)
// XTN -> ContactPoint. `default_use` ("home"/"work") when XTN-2 does not say.
fhir::JsonValue contact_point(const hl7::XTN& xtn, std::string_view default_use = {});
std::vector<fhir::JsonValue> human_names_field(MappingContext& ctx, const Seg& seg, int field);
std::vector<fhir::JsonValue> addresses_field(MappingContext& ctx, const Seg& seg, int field);
std::vector<fhir::JsonValue> contact_points_field(MappingContext& ctx, const Seg& seg, int field,
                                                  std::string_view default_use = {});

// ---- Time ------------------------------------------------------------------

enum class TimeKind {
  kDateTime,  // date precision kept; a time is completed to seconds (R4 regex) and given an offset
  kInstant,   // same, but a value without a time is not an instant -> none + warning
  kDate,      // the date part only (birth dates)
};
// FHIR text for a timestamp, "" when absent or not representable (then an
// issue at `loc`). Offsets: as sent, else the channel's time zone at that
// local time. Offset 0 is written "Z".
std::string fhir_time(MappingContext& ctx, const hl7::Timestamp& ts, TimeKind kind,
                      const IssueLocation& loc);
// Reads and converts a TS/DTM field (first repetition); "" when absent,
// error when malformed.
std::string time_field(MappingContext& ctx, const Seg& seg, int field, TimeKind kind);
// Same for a component holding a DTM (e.g. DR ranges: component 1 and 2).
std::string time_component(MappingContext& ctx, const Seg& seg, int field, int component,
                           TimeKind kind);
// A Period of FHIR dateTimes (either may be ""); null when both are empty.
fhir::JsonValue period_of(std::string_view start, std::string_view end);

// ---- People and organizations as entries -----------------------------------

// XCN repetition -> Practitioner entry (identifier from XCN-1 + XCN-9
// authority, name from XCN-2..7). kNoEntry when neither id nor name.
EntryRef practitioner_from_xcn(MappingContext& ctx, const hl7::Element& xcn,
                               const IssueLocation& loc);
// The Practitioner entry of each XCN repetition of `field` that names one, in
// order (issues located at the repetition).
std::vector<EntryRef> practitioner_entries(MappingContext& ctx, const Seg& seg, int field);
// XON repetition -> Organization entry (name XON-1, identifier XON-10 or XON-3
// with authority XON-6). kNoEntry when empty.
EntryRef organization_from_xon(MappingContext& ctx, const hl7::Element& xon,
                               const IssueLocation& loc);
// An Organization known only by name (e.g. IN1-4) or HD (MSH-4).
EntryRef organization_from_name(MappingContext& ctx, std::string_view name);
EntryRef organization_from_hd(MappingContext& ctx, const hl7::HD& hd, const IssueLocation& loc);

// ---- Quantities ------------------------------------------------------------

// NM text + CWE unit -> Quantity: value as exact FHIR decimal; UCUM system
// and code when the unit's coding system is UCUM or the unit is a common UCUM
// code, otherwise unit text only. Null when `number` is empty.
fhir::JsonValue quantity(std::string_view fhir_decimal, const hl7::CWE& unit);
bool is_known_ucum_unit(std::string_view unit);

// {"extension": [data-absent-reason = reason]}: stands for a required element
// the message does not have ("unknown", "not-applicable", ...).
fhir::JsonValue data_absent_element(std::string_view reason);

// Appends an Annotation {text} to resource.note.
void add_note(fhir::JsonValue& resource, std::string text);

}  // namespace gw::v2fhir
