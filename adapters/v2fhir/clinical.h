// Segment mappers of the order, immunization, scheduling and document
// messages (ORM^O01, OML^O21, VXU^V04, SIU^S12, MDM^T02), after the V2-to-FHIR
// IG segment maps. They plug into the segment table (segment_table.cc) like
// the ADT/ORU mappers of segments.h and reuse its datatype functions.
//
// Three segments mean different things in these messages, so their table
// entries point at a "routed" mapper that adds the message-specific part and
// delegates the rest to the shared mapper:
//  - OBX after an RXA (VXU) fills the Immunization (funding, VIS) or becomes
//    an Observation partOf it; OBX after a TXA (MDM) is the document content
//    (consumed by map_txa), never an Observation;
//  - ORC derives ServiceRequest.status from the order control code (ORC-1)
//    when ORC-5 gives none, and timing/priority from ORC-7 (v2.3-style TQ);
//  - DG1 inside an order becomes the order's reasonReference.
#pragma once

#include <string>
#include <string_view>

#include "adapters/v2fhir/context.h"
#include "fhir/json/json.h"

namespace gw::v2fhir {

void map_rxa(MappingContext& ctx,
             const Seg& seg);  // Immunization (+ ORC identifiers, ordering provider)
void map_rxr(MappingContext& ctx, const Seg& seg);  // Immunization.route / site
void map_sch(MappingContext& ctx, const Seg& seg);  // Appointment
void map_rgs(MappingContext& ctx, const Seg& seg);  // resource group: adds the patient participant
void map_ais(MappingContext& ctx, const Seg& seg);  // Appointment.serviceType
void map_aig(MappingContext& ctx, const Seg& seg);  // participant: Device
void map_ail(MappingContext& ctx, const Seg& seg);  // participant: Location
void map_aip(MappingContext& ctx, const Seg& seg);  // participant: Practitioner
void map_txa(MappingContext& ctx,
             const Seg& seg);  // DocumentReference (+ the OBX content that follows)
void map_spm(MappingContext& ctx, const Seg& seg);  // Specimen of the current order
void map_tq1(MappingContext& ctx,
             const Seg& seg);  // timing/priority of the current order or appointment

void map_obx_routed(MappingContext& ctx, const Seg& seg);
// An OBX after an RXA: into the current Immunization or an Observation partOf it.
void immunization_obx(MappingContext& ctx, const Seg& seg);
void map_orc_routed(MappingContext& ctx, const Seg& seg);
void map_dg1_routed(MappingContext& ctx, const Seg& seg);

// ---- Helpers shared by the files above (seg_clinical_util.cc) --------------

// "VXU^V04" style type of the message being converted.
bool message_is(const MappingContext& ctx, std::string_view code);
// The last entry of `type` (kNoEntry if none).
EntryRef last_of_type(MappingContext& ctx, std::string_view type);
// PL -> Location entry, keyed like PV1-3 locations so both name one resource.
EntryRef location_from_pl_field(MappingContext& ctx, const Seg& seg, int field);
// CWE naming an organization (RXA-17 manufacturer) -> Organization entry:
// name CWE-2, identifier CWE-1 in the system of CWE-3 (IG CWE[Organization]).
EntryRef organization_from_cwe(MappingContext& ctx, const Seg& seg, int field);
// A FHIR dateTime/instant with seconds and offset ("2024-03-25T09:30:00-05:00")
// plus `minutes`, written with the same offset; "" if `start` is not of that
// form or minutes is out of range (0..525600).
std::string add_minutes(std::string_view start, long minutes);
// Duration in minutes from a number and a units code ("30", "MIN"/"min"/"H"/
// "h"/"D"/"d"); -1 when absent or not convertible.
long duration_minutes(std::string_view number, std::string_view units);
// ED (source ^ type ^ subtype ^ encoding ^ data) -> Attachment with data and
// a MIME type from ED-2/ED-3; data that cannot be decoded as its encoding says
// is kept as the received text (warning). Null when there is no data.
fhir::JsonValue attachment_from_ed(MappingContext& ctx, const hl7::Element& ed,
                                   const IssueLocation& loc);
// RP (pointer ^ application ^ type ^ subtype) -> Attachment with url.
fhir::JsonValue attachment_from_rp(MappingContext& ctx, const hl7::Element& rp,
                                   const IssueLocation& loc);
// Standard base64 (RFC 4648, with padding).
std::string base64_encode(std::string_view bytes);
// True if `s` is non-empty standard base64 (whitespace not allowed).
bool is_base64(std::string_view s);

}  // namespace gw::v2fhir
