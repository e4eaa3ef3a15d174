// Supported message types. Encounter.status by event follows the V2-to-FHIR
// IG's ADT message maps: admit/transfer in-progress, register arrived,
// pre-admit planned, discharge finished, cancel admit cancelled; updates
// (A08, A28, A31, A40) derive the status from PV1-44/45.
#include "adapters/v2fhir/messages.h"

namespace gw::v2fhir {

const std::vector<MessageProfile>& message_profiles() {
  static const std::vector<MessageProfile> kProfiles = {
      {"ADT^A01", "PID", "in-progress"},
      {"ADT^A02", "PID", "in-progress"},
      {"ADT^A03", "PID", "finished"},
      {"ADT^A04", "PID", "arrived"},
      {"ADT^A05", "PID", "planned"},
      {"ADT^A08", "PID", ""},
      {"ADT^A11", "PID", "cancelled"},
      {"ADT^A13", "PID", "in-progress"},
      {"ADT^A28", "PID", ""},
      {"ADT^A31", "PID", ""},
      {"ADT^A40", "PID MRG", ""},
      {"ORU^R01", "PID OBR", "", true},
      {"ORM^O01", "PID ORC", ""},
      {"OML^O21", "PID ORC", ""},
      {"VXU^V04", "PID RXA", ""},
      {"RDE^O11", "PID ORC", ""},
      {"RDE^O25", "PID ORC", ""},
      {"RDS^O13", "PID ORC RXD", ""},
      {"RAS^O17", "PID ORC RXA", ""},
      {"SIU^S12", "SCH RGS", ""},
      {"MDM^T02", "PID TXA", ""},
  };
  return kProfiles;
}

const MessageProfile* find_message_profile(std::string_view type) {
  for (const MessageProfile& p : message_profiles()) {
    if (p.type == type) return &p;
  }
  return nullptr;
}

}  // namespace gw::v2fhir
