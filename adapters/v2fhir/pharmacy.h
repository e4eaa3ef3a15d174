// Segment mappers of the pharmacy messages: RDE^O11 / RDE^O25 (encoded
// order, refill authorization) -> MedicationRequest, RDS^O13 (dispense) ->
// MedicationDispense, RAS^O17 (administration) -> MedicationAdministration,
// each with a Medication resource for the product (IG RXO[MedicationRequest]:
// medication(Medication.code)).
//
// An order group is ORC [TQ1] [RXO RXR RXC] [RXE TQ1 RXR RXC] [RXD|RXA RXR].
// The ORC's ServiceRequest waits in ctx.cursor.pending_orc (seg_order.cc);
// the first RX* segment of the group takes it: its identifiers, requester and
// dates go to the MedicationRequest (RXO/RXE), or become the order reference
// of a dispense or administration without one. The group state lives in the
// cursor's rx_* fields. Where the V2-to-FHIR IG has no segment map (RXE, RXD,
// RXA as an administration, RXC) the FHIR R4 resources' own v2 mappings are
// followed; the choices are listed in the README's Deviations.
#pragma once

#include "adapters/v2fhir/context.h"

namespace gw::v2fhir {

// RDE, RDS or RAS: RXA/RXR/TQ1 belong to a medication order group.
bool is_pharmacy_message(const MappingContext& ctx);

void map_rxo(MappingContext& ctx, const Seg& seg);  // MedicationRequest (original order)
void map_rxe(MappingContext& ctx, const Seg& seg);  // MedicationRequest (encoded order)
void map_rxc(MappingContext& ctx, const Seg& seg);  // Medication.ingredient of the group
void map_rxd(MappingContext& ctx, const Seg& seg);  // MedicationDispense
// RXA of a RAS (map_rxa routes here): MedicationAdministration.
void map_rxa_administration(MappingContext& ctx, const Seg& seg);
// RXR of a pharmacy message (map_rxr routes here): dosage route/site/method.
void map_rxr_pharmacy(MappingContext& ctx, const Seg& seg);
// TQ1: dosage timing in pharmacy messages, else the order timing (map_tq1).
void map_tq1_routed(MappingContext& ctx, const Seg& seg);

// Warns "further repetitions not mapped" when field `field` of `seg` has a
// valued repetition after the first (for elements that hold one value).
void warn_extra_repetitions(MappingContext& ctx, const Seg& seg, int field);

// LA2 field (RXA-11 administered-at, RXD-13 dispense-to: a PL whose
// components 9-14 are an address) -> the Location hierarchy of a PL
// (location_hierarchy_from_pl, adt.h), the address on its most specific
// level; returns that level (seg_immunization.cc).
EntryRef location_from_la2(MappingContext& ctx, const Seg& seg, int field);

}  // namespace gw::v2fhir
