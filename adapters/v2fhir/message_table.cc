// Supported message types. Encounter.status by event follows the V2-to-FHIR
// IG's ADT message maps: admit/transfer in-progress, register arrived,
// pre-admit planned, discharge finished, cancel admit cancelled; updates
// (A08, A28, A31, A40) derive the status from PV1-44/45. The other ADT
// events: class changes (A06/A07), tracking (A09/A10), cancel transfer (A12),
// pending transfer/discharge and their cancels (A15/A16/A25/A26), swap (A17)
// and return from leave (A22) keep the visit in-progress; pending admit (A14)
// is planned and its cancel (A27) cancelled; leave of absence (A21) onleave,
// a deleted visit (A23) entered-in-error; A24 links two
// patients, A29 deactivates one (Patient.active false); A41/A45/A47 merge
// accounts, move visits and change identifiers (MRG); A60 updates allergies.
#include "adapters/v2fhir/messages.h"

namespace gw::v2fhir {

const std::vector<MessageProfile>& message_profiles() {
  static const std::vector<MessageProfile> kProfiles = {
      {"ADT^A01", "PID", "in-progress"},
      {"ADT^A02", "PID", "in-progress"},
      {"ADT^A03", "PID", "finished"},
      {"ADT^A04", "PID", "arrived"},
      {"ADT^A05", "PID", "planned"},
      {"ADT^A06", "PID PV1", "in-progress"},
      {"ADT^A07", "PID PV1", "in-progress"},
      {"ADT^A08", "PID", ""},
      {"ADT^A09", "PID PV1", "in-progress"},
      {"ADT^A10", "PID PV1", "in-progress"},
      {"ADT^A11", "PID", "cancelled"},
      {"ADT^A12", "PID PV1", "in-progress"},
      {"ADT^A13", "PID", "in-progress"},
      {"ADT^A14", "PID PV1", "planned"},
      {"ADT^A15", "PID PV1", "in-progress"},
      {"ADT^A16", "PID PV1", "in-progress"},
      {"ADT^A17", "PID PV1", "in-progress"},
      {"ADT^A21", "PID PV1", "onleave"},
      {"ADT^A22", "PID PV1", "in-progress"},
      {"ADT^A23", "PID PV1", "entered-in-error"},
      {"ADT^A24", "PID", "", false, "link"},
      {"ADT^A25", "PID PV1", "in-progress"},
      {"ADT^A26", "PID PV1", "in-progress"},
      {"ADT^A27", "PID PV1", "cancelled"},
      {"ADT^A28", "PID", ""},
      {"ADT^A29", "PID", "", false, "inactive"},
      {"ADT^A31", "PID", ""},
      {"ADT^A39", "PID MRG", ""},  // merge person: as A40 (IG ADT_A39 structure)
      {"ADT^A40", "PID MRG", ""},
      {"ADT^A41", "PID MRG", "", false, "merge-account"},
      {"ADT^A45", "PID MRG PV1", ""},
      {"ADT^A47", "PID MRG", ""},
      {"ADT^A60", "PID IAM", ""},
      {"ORU^R01", "PID OBR", "", true},
      // Unsolicited point-of-care observation: the R01 structure, the order
      // placed by the device's own ORC.
      {"ORU^R30", "PID OBR", "", true},
      // Orders and laboratory: only the patient is required; an OBR without
      // ORC is still an order (older senders leave ORC out of ORM), results
      // without SPM still results (nothing refused for a missing group).
      {"ORM^O01", "PID", ""},
      {"OML^O21", "PID", ""},
      {"OML^O33", "PID", ""},  // specimen first: SPM, then the orders on it
      {"OMI^O23", "PID", ""},  // imaging order: ORC/OBR as ORM (IPC warned)
      {"OMG^O19", "PID", ""},
      {"OUL^R22", "PID", "", true},
      {"OUL^R23", "PID", "", true},
      {"OUL^R24", "PID", "", true},
      // The ORDER group of VXU_V04 is optional: a registry sends a patient's
      // demographics (and NK1, PD1) without a dose.
      {"VXU^V04", "PID", ""},
      {"RDE^O11", "PID ORC", ""},
      {"RDE^O25", "PID ORC", ""},
      // Pharmacy/treatment order: the order (RXO, RXR, RXC) before any
      // pharmacy encoding.
      {"OMP^O09", "PID ORC", ""},
      {"RDS^O13", "PID ORC RXD", ""},
      {"RAS^O17", "PID ORC RXA", ""},
      {"SIU^S12", "SCH RGS", ""},
      {"MDM^T02", "PID TXA", ""},
      {"MDM^T01", "PID TXA", ""},
      {"MDM^T03", "PID TXA", ""},
      {"MDM^T04", "PID TXA", ""},
      {"MDM^T05", "PID TXA", ""},
      {"MDM^T06", "PID TXA", ""},
      {"MDM^T07", "PID TXA", ""},
      {"MDM^T08", "PID TXA", ""},
      {"MDM^T09", "PID TXA", ""},
      {"MDM^T10", "PID TXA", ""},
      {"MDM^T11", "PID TXA", ""},
      {"SIU^S13", "SCH RGS", ""},
      {"SIU^S14", "SCH RGS", ""},
      {"SIU^S15", "SCH RGS", ""},
      {"SIU^S16", "SCH RGS", ""},
      {"SIU^S17", "SCH RGS", ""},
      {"SIU^S18", "SCH RGS", ""},
      {"SIU^S19", "SCH RGS", ""},
      {"SIU^S20", "SCH RGS", ""},
      {"SIU^S21", "SCH RGS", ""},
      {"SIU^S22", "SCH RGS", ""},
      {"SIU^S23", "SCH RGS", ""},
      {"SIU^S24", "SCH RGS", ""},
      {"SIU^S26", "SCH RGS", ""},
      {"BAR^P01", "PID", ""},
      {"BAR^P02", "PID", ""},
      {"BAR^P12", "PID", ""},
      // Transmit ambulatory payment classification: the visit, diagnoses and
      // procedures as P01; the grouping itself (GP1/GP2) is warned.
      {"BAR^P10", "PID", ""},
      {"DFT^P03", "PID FT1", ""},
      {"DFT^P11", "PID FT1", ""},
      {"PPR^PC1", "PID PRB", ""},
      {"PPR^PC2", "PID PRB", ""},
      {"PPR^PC3", "PID PRB", ""},
      {"REF^I12", "PID", ""},
      {"REF^I14", "PID", ""},
  };
  return kProfiles;
}

// An ADT trigger event the table does not list but HL7 table 0003 defines
// (A01..A62): its segments are mapped one by one with no event semantics (no
// Encounter.status from the event), and a warning says so. Real feeds carry
// rarer events (A18, A30, A34...) whose data must not be lost for want of a
// line here; an event HL7 does not define (A99) stays unsupported.
const MessageProfile* find_family_default(std::string_view code, std::string_view event) {
  static const MessageProfile kAdt{"ADT", "PID", ""};
  if (code != "ADT" || event.size() != 3 || event[0] != 'A') return nullptr;
  if (event[1] < '0' || event[1] > '9' || event[2] < '0' || event[2] > '9') return nullptr;
  const int n = (event[1] - '0') * 10 + (event[2] - '0');
  return n >= 1 && n <= 62 ? &kAdt : nullptr;
}

const MessageProfile* find_message_profile(std::string_view type) {
  for (const MessageProfile& p : message_profiles()) {
    if (p.type == type) return &p;
  }
  return nullptr;
}

}  // namespace gw::v2fhir
