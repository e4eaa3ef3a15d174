// Helpers and mappers of the ADT family (seg_patient.cc, seg_encounter.cc,
// seg_adt_clinical.cc, seg_adt_iam.cc, seg_adt_update.cc), after the
// V2-to-FHIR IG segment maps.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "adapters/v2fhir/context.h"
#include "adapters/v2fhir/messages.h"
#include "fhir/json/json.h"

namespace gw::v2fhir {

void map_iam(MappingContext& ctx, const Seg& seg);  // AllergyIntolerance (A60)

// PL -> Location hierarchy, after the IG's PL[Location] map: one Location per
// level sent (facility si, building bu, floor lvl, point of care wa, room ro,
// bed bd), each partOf the level above, keyed by the path from the facility
// down, so the same room named by two messages is one resource. Returns the
// most specific level; PL-5 (bed/location status) becomes its
// operationalStatus and PL-9 its description. kNoEntry when the field is empty.
EntryRef location_hierarchy_from_pl(MappingContext& ctx, const Seg& seg, int field);

// HD (EVN-7 event facility) -> a site Location, the same entry as the
// facility level of a PL naming that facility.
EntryRef location_from_hd(MappingContext& ctx, const Seg& seg, int field);

// v2-0127 allergen type (AL1-2, IAM-2) -> AllergyIntolerance.category
// (medication, food, environment) and .type (allergy for the "... allergy"
// codes); nullptr when the code says nothing about it. `known`: the code is in
// table 0127.
struct AllergenType {
  const char* category = nullptr;
  const char* type = nullptr;
  bool known = false;
};
AllergenType allergen_type(std::string_view code);

// Update rules (seg_adt_update.cc): mark the entry's PartialUpdate so that a
// later message changes only what it sends. An element whose PID (PV1)
// fields are all empty is keep_stored; one whose field holds the explicit
// null "" is not, so the new version drops it. Called once per new entry by
// the PID, MRG and PV1 mappers; the PD1 and PV2 mappers then release what
// their fields send.
void mark_patient_update(MappingContext& ctx, const Seg& pid, EntryRef patient);
void mark_patient_pd1(MappingContext& ctx, const Seg& pd1, EntryRef patient);
void mark_retired_patient(MappingContext& ctx, const Seg& mrg, EntryRef patient);
void mark_encounter_update(MappingContext& ctx, const Seg& pv1, EntryRef encounter);
void mark_encounter_pv2(MappingContext& ctx, const Seg& pv2, EntryRef encounter);

// The message profile of the message being converted, or the family default
// of an unlisted ADT event (never null while a message is converted).
const MessageProfile* current_profile(const MappingContext& ctx);

// Appends each value to obj[key] (creating the array); nothing when empty.
void append_all(fhir::JsonValue& obj, const char* key, std::vector<fhir::JsonValue> values);
void append(fhir::JsonValue& obj, const char* key, fhir::JsonValue value);
// {"url": url, <value_key>: value}
fhir::JsonValue make_extension(std::string_view url, const char* value_key, fhir::JsonValue value);
// An element holding only the data-absent-reason extension (IG: a required
// element the message did not send), e.g. {"extension":[{...unknown}]}.
fhir::JsonValue data_absent(std::string_view reason);

}  // namespace gw::v2fhir
