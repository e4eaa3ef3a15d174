// Segment id -> mapper. One line per segment; Z-segments are handled by
// convert.cc (map_z_segment) for every id starting with 'Z'.
#include "adapters/v2fhir/adt.h"
#include "adapters/v2fhir/clinical.h"
#include "adapters/v2fhir/lab.h"
#include "adapters/v2fhir/pharmacy.h"
#include "adapters/v2fhir/segments.h"

namespace gw::v2fhir {

namespace {

struct SegmentEntry {
  std::string_view id;
  SegmentMapper map;
};

constexpr SegmentEntry kSegments[] = {
    {"MSH", map_msh},
    {"EVN", map_evn},
    {"PID", map_pid},
    {"PD1", map_pd1},
    {"NK1", map_nk1},
    {"MRG", map_mrg},
    {"PV1", map_pv1},
    {"PV2", map_pv2},
    {"AL1", map_al1},
    {"DG1", map_dg1_routed},
    {"PR1", map_pr1},
    {"IN1", map_in1},
    {"IAM", map_iam},  // ADT^A60 (adt.h)
    {"ORC", map_orc_routed},
    {"OBR", map_obr},
    {"OBX", map_obx_routed},
    {"NTE", map_nte},
    // Order, immunization, scheduling and document messages (clinical.h).
    {"RXA", map_rxa},
    {"RXR", map_rxr},
    {"SCH", map_sch},
    {"RGS", map_rgs},
    {"AIS", map_ais},
    {"AIG", map_aig},
    {"AIL", map_ail},
    {"AIP", map_aip},
    {"TXA", map_txa},
    {"SPM", map_spm},
    {"TQ1", map_tq1_routed},
    {"SAC", map_sac},
    {"RXO", map_rxo},
    {"RXE", map_rxe},
    {"RXC", map_rxc},
    {"RXD", map_rxd},
};

}  // namespace

SegmentMapper find_segment_mapper(std::string_view id) {
  for (const SegmentEntry& e : kSegments) {
    if (e.id == id) return e.map;
  }
  return nullptr;
}

}  // namespace gw::v2fhir
