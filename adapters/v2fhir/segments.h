// Segment mappers: one function per segment id, called in message order by
// convert_message() through the table in segment_table.cc. Each reads its
// segment, adds resources to the context and moves the context's cursor (see
// context.h). To add a segment: implement map_xyz in a new file, declare it
// here, add one line to segment_table.cc.
#pragma once

#include <string_view>

#include "adapters/v2fhir/context.h"

namespace gw::v2fhir {

using SegmentMapper = void (*)(MappingContext&, const Seg&);

// The mapper for a segment id, nullptr when the segment is not mapped.
SegmentMapper find_segment_mapper(std::string_view segment_id);

void map_msh(MappingContext& ctx, const Seg& seg);        // MessageHeader (+ sending Organization)
void map_evn(MappingContext& ctx, const Seg& seg);        // event info for the Provenance
void map_pid(MappingContext& ctx, const Seg& seg);        // Patient
void map_pd1(MappingContext& ctx, const Seg& seg);        // Patient.generalPractitioner
void map_nk1(MappingContext& ctx, const Seg& seg);        // RelatedPerson
void map_mrg(MappingContext& ctx, const Seg& seg);        // merged Patient + links (A40)
void map_pv1(MappingContext& ctx, const Seg& seg);        // Encounter, Location, Practitioners
void map_pv2(MappingContext& ctx, const Seg& seg);        // Encounter.reasonCode
void map_al1(MappingContext& ctx, const Seg& seg);        // AllergyIntolerance
void map_dg1(MappingContext& ctx, const Seg& seg);        // Condition (encounter-diagnosis)
void map_pr1(MappingContext& ctx, const Seg& seg);        // Procedure
void map_in1(MappingContext& ctx, const Seg& seg);        // Coverage + payor Organization
void map_orc(MappingContext& ctx, const Seg& seg);        // ServiceRequest (order control)
void map_obr(MappingContext& ctx, const Seg& seg);        // ServiceRequest + DiagnosticReport (ORU)
void map_obx(MappingContext& ctx, const Seg& seg);        // Observation
void map_nte(MappingContext& ctx, const Seg& seg);        // note of the resource it follows
void map_z_segment(MappingContext& ctx, const Seg& seg);  // extensions by config rules

// True when a PID came before `seg` (its mapper has a Patient to refer to);
// otherwise warns "segment without a preceding PID not mapped" at `seg`.
bool has_patient(MappingContext& ctx, const Seg& seg);

}  // namespace gw::v2fhir
