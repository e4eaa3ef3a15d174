// Laboratory messages (OML^O21, OMG^O19, OUL^R22/R23/R24, ORU^R01 with
// microbiology), after the V2-to-FHIR IG message and segment maps.
//
// The shared ORC/OBR/OBX mappers (seg_order.cc, seg_obx.cc) call the hooks
// below for what only laboratory traffic carries:
//  - specimens: SPM (seg_order_extras.cc) opens a Specimen; the OBX that
//    follow an SPM directly are observations OF the specimen
//    (Observation.specimen, not results of the order); SAC details its
//    container (Specimen.container), or is a Specimen of its own without SPM;
//    OBR-14/15 (before v2.5) describe the specimen of the order;
//  - specimen-first messages (OUL^R22, OUL^R23): the orders after an SPM are
//    done on that specimen (ServiceRequest/DiagnosticReport/Observation
//    .specimen); in OUL the ORC follows its OBR and completes it;
//  - microbiology: a child order names its parent order (OBR-29) and the
//    parent result it was spawned by (OBR-26: OBX-3 + OBX-4 of the organism):
//    the child ServiceRequest is basedOn the parent one, the organism
//    Observation hasMember the child's results (the susceptibilities);
//  - result and order fields: OBX-18 device, OBX-20 body site, OBX-23/24/25
//    performing organization and its medical director (PractitionerRole),
//    OBR-13/27/31/32-35, ORC-4 requisition, ORC-10 enterer (Provenance).
#pragma once

#include <string>

#include "adapters/v2fhir/context.h"
#include "fhir/json/json.h"

namespace gw::v2fhir {

void map_sac(MappingContext& ctx, const Seg& seg);  // container of the current Specimen

// True for messages whose orders follow their specimen (OUL^R22, OUL^R23).
bool specimen_first_message(const MappingContext& ctx);

// ---- OBX --------------------------------------------------------------------
// Key of a specimen observation (an OBX right after its SPM): the specimen's
// key + OBX-3 code + OBX-4 sub-id; "" for any other OBX.
std::string specimen_result_key(MappingContext& ctx, const Seg& seg);
// OBX-18 device, OBX-20 body site, OBX-23/24/25 performers and the specimen
// link, into the Observation being built.
void lab_observation_fields(MappingContext& ctx, const Seg& seg, fhir::JsonValue& obs);
// After the Observation entry is added: membership in the parent result.
void lab_observation_added(MappingContext& ctx, EntryRef obs);

// ---- ORC / OBR ----------------------------------------------------------------
// ORC-4 (requisition), ORC-10 (enterer, kept for the order's Provenance),
// ORC-1 (status when ORC-5 is empty) into the pending ServiceRequest.
void lab_orc_fields(MappingContext& ctx, const Seg& seg, fhir::JsonValue& sr);
// OBR-13, OBR-27, OBR-31 and the parent order (OBR-29) into the
// ServiceRequest; "|parent|<code>|<sub-id>" to add to the order key when
// OBR-26 names a parent result (sibling children differ by it).
std::string lab_order_fields(MappingContext& ctx, const Seg& seg, fhir::JsonValue& sr);
// OBR-16 when ORC-12 already gave the requester.
void lab_ordering_provider(MappingContext& ctx, const Seg& seg);
// OBR-32..35 into the DiagnosticReport.
void lab_report_fields(MappingContext& ctx, const Seg& seg, fhir::JsonValue& dr);
// After the order (and report) entries exist: OBR-14/15 specimen, the
// specimen of a specimen-first message, the parent result (OBR-26) and the
// order's Provenance (ORC-10 enterer).
void lab_order_added(MappingContext& ctx, const Seg& seg, EntryRef order, EntryRef report,
                     const std::string& key);

// The order's Provenance when its ORC named who entered it (ORC-10).
void lab_order_provenance(MappingContext& ctx, EntryRef order, const std::string& key);

// ---- Helpers shared with seg_order_extras.cc and seg_pharmacy_timing.cc ------
// v2-0485 (TQ1-9) / TQ-6 priority -> request-priority; nullptr if not in it.
const char* request_priority(std::string_view p);
void push_unique_reference(fhir::JsonValue& r, const char* element, fhir::JsonValue ref);
void set_request_occurrence(fhir::JsonValue& sr, const std::string& start, const std::string& end);
void set_request_priority(MappingContext& ctx, fhir::JsonValue& sr, const std::string& code,
                          const IssueLocation& loc);

}  // namespace gw::v2fhir
