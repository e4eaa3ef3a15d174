// Scheduling and document helpers used outside seg_schedule.cc and
// seg_document.cc (by map_nte).
#pragma once

#include <string>

#include "fhir/json/json.h"

namespace gw::v2fhir {

// Appends an NTE's text to Appointment.comment or Slot.comment (R4 has one
// comment string: the IG's SIU_S12 map joins the NTEs with line feeds).
void append_comment(fhir::JsonValue& appointment_or_slot, std::string text);

// Adds an NTE's text as a content attachment of a DocumentReference (IG
// NTE[DocumentReference]: NTE-3 -> content.attachment.data; R4 has no note).
void append_document_note(fhir::JsonValue& document, std::string text);

}  // namespace gw::v2fhir
