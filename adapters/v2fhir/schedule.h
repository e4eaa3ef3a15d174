// Scheduling helpers shared outside seg_schedule.cc.
#pragma once

#include <string>

#include "fhir/json/json.h"

namespace gw::v2fhir {

// Appends an NTE's text to Appointment.comment or Slot.comment (R4 has one
// comment string: the IG's SIU_S12 map joins the NTEs with line feeds).
void append_comment(fhir::JsonValue& appointment_or_slot, std::string text);

}  // namespace gw::v2fhir
