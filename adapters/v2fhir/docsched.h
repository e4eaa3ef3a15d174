// Helpers of the document (seg_document.cc) and scheduling (seg_schedule.cc)
// mappers that other files use: map_nte, and each other.
#pragma once

#include <string>

#include "adapters/v2fhir/context.h"
#include "adapters/v2fhir/datatypes.h"
#include "fhir/json/json.h"

namespace gw::v2fhir {

// Appends an NTE's text to Appointment.comment or Slot.comment (R4 has one
// comment string: the IG's SIU_S12 map joins the NTEs with line feeds).
void append_comment(fhir::JsonValue& appointment_or_slot, std::string text);

// Adds an NTE's text as a content attachment of DocumentReference entry
// `document` (IG NTE[DocumentReference]: NTE-3 -> content.attachment.data; R4
// has no note). On a document whose content the message does not carry, the
// note replaces the placeholder and joins the stored content (Entry::partial).
void append_document_note(MappingContext& ctx, EntryRef document, std::string text);

// A TS/DTM field (repetition `rep`, component `component`; 0 = whole) as a
// FHIR time, "" when absent. Unlike time_field, a value that cannot be read
// or represented is a warning at its location, never a refusal: one bad
// timestamp must not lose a document or an appointment.
std::string lenient_time(MappingContext& ctx, const Seg& seg, int field, TimeKind kind,
                         int component = 0, int rep = 1);

}  // namespace gw::v2fhir
