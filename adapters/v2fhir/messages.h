// Message types the converter accepts and their event-specific settings.
// To add a message type: one line in message_table.cc.
#pragma once

#include <string_view>
#include <vector>

namespace gw::v2fhir {

struct MessageProfile {
  std::string_view type;      // "ADT^A01" (MSH-9.1 ^ MSH-9.2)
  std::string_view required;  // segment ids that must be present, space separated ("PID MRG")
  std::string_view encounter_status;  // Encounter.status for this event; "" = from PV1-44/45
  bool obr_creates_report = false;    // results message: each OBR also yields a DiagnosticReport
  // ADT rule of this event, read by the ADT mappers: "inactive" (A29 delete
  // person: Patient.active false), "link" (A24: the second PID's Patient is
  // linked "seealso" to the first and back), "merge-account" (A41: the MRG-3
  // account is closed, status inactive); "" = none.
  std::string_view adt_rule = {};
};

const MessageProfile* find_message_profile(std::string_view type);
// The profile for an unlisted but HL7-defined trigger event of a family
// mapped segment by segment ("ADT", "A18"), or nullptr. Its `type` is the
// message code alone.
const MessageProfile* find_family_default(std::string_view code, std::string_view event);
const std::vector<MessageProfile>& message_profiles();

}  // namespace gw::v2fhir
