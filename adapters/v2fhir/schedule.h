// Scheduling helpers shared outside seg_schedule.cc.
#pragma once

#include <string>

#include "fhir/json/json.h"

namespace gw::v2fhir {

// Appends an NTE's text to Appointment.comment (R4 has one comment string:
// the IG's SIU_S12 map joins the NTEs of the message with line feeds).
void append_appointment_comment(fhir::JsonValue& appointment, std::string text);

}  // namespace gw::v2fhir
