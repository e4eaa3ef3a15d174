// Segment mappers of the financial (BAR^P01/P02/P12, DFT^P03/P11), problem
// (PPR^PC1-PC3) and referral (REF^I12/I14) messages. They plug into the
// segment table like the mappers of segments.h and clinical.h.
//
// The IG (hl7.org/fhir/uv/v2mappings) has no message maps for these
// families; the segment maps it has are followed (PID[Account], ROL[...],
// DG1, PR1, IN1) and the FHIR R4 resources' own v2 mappings for the rest
// (ChargeItem: FT1; Account: PID-18 / GT1; Condition: PRB; ServiceRequest:
// RF1 / PRD). Deviations are listed in README.md.
//
// Five shared segments need a message-specific part, so their table entries
// point at a routed mapper that delegates to the shared one first:
//  - PID in BAR/DFT makes sure of the Account (PID-18: status, P02 purge,
//    focus; the PID mapper makes it); in REF it completes the
//    referral the RF1 before it opened (the patient comes after RF1/PRD);
//  - IN1 in BAR/DFT adds the Coverage to Account.coverage;
//  - DG1 in BAR/DFT is linked as Encounter.diagnosis (when the shared mapper
//    did not), in REF it is the referral's reasonReference;
//  - PR1 after an FT1 (DFT) is the charge's service (ChargeItem.service);
//  - OBX after a PRB (PPR) becomes the problem's evidence.
#pragma once

#include "adapters/v2fhir/context.h"

namespace gw::v2fhir {

void map_pid_finance(MappingContext& ctx, const Seg& seg);  // PID + Account / referral subject
void map_in1_finance(MappingContext& ctx, const Seg& seg);  // IN1 + Account.coverage
void map_dg1_finance(MappingContext& ctx, const Seg& seg);  // DG1 + diagnosis / referral reason
void map_pr1_finance(MappingContext& ctx, const Seg& seg);  // PR1 + ChargeItem.service (DFT)
void map_obx_problem(MappingContext& ctx, const Seg& seg);  // OBX + Condition.evidence (PPR)

void map_gt1(MappingContext& ctx, const Seg& seg);  // Account.guarantor (+ RelatedPerson/Org)
void map_ft1(MappingContext& ctx, const Seg& seg);  // ChargeItem
void map_prb(MappingContext& ctx, const Seg& seg);  // Condition (problem-list-item)
void map_rol(MappingContext& ctx, const Seg& seg);  // participant of what it follows / CareTeam
void map_rf1(MappingContext& ctx, const Seg& seg);  // ServiceRequest (referral)
void map_prd(MappingContext& ctx, const Seg& seg);  // Practitioner/Organization + PractitionerRole
void map_ctd(MappingContext& ctx, const Seg& seg);  // contact of the PRD before it

// Runs `mapper` (one of this family's own segment mappers) so that an error
// a datatype function raises for one malformed field (an invalid timestamp,
// name or code) becomes a warning at the same location: the field is left
// out, the message is kept.
void map_leniently(MappingContext& ctx, const Seg& seg,
                   void (*mapper)(MappingContext&, const Seg&));

// Referral part of the PID route (seg_referral.cc): the pending RF1
// ServiceRequest gets its subject and becomes an entry.
void complete_referral(MappingContext& ctx, fhir::JsonValue pending, const std::string& key);
// True for BAR and DFT messages.
bool is_finance_message(const MappingContext& ctx);

}  // namespace gw::v2fhir
