// MSH, EVN -> MessageHeader (+ sending Organization); event data for the
// Provenance built at the end of the message (convert.cc).
#include <utility>

#include "adapters/v2fhir/adt.h"
#include "adapters/v2fhir/datatypes.h"
#include "adapters/v2fhir/ids.h"
#include "adapters/v2fhir/segments.h"

namespace gw::v2fhir {

using fhir::JsonValue;

namespace {

// An endpoint URI for an application HD (MSH-3/MSH-5) at a facility: the
// universal id when it is an OID or URI, else a gateway URN.
std::string endpoint(const MappingContext& ctx, const hl7::HD& app, const hl7::HD& facility) {
  std::string uid = trim(app.universal_id), type = trim(app.universal_id_type);
  if (!uid.empty() && type == "ISO") return "urn:oid:" + uid;
  if (!uid.empty() && type == "URI") return uid;
  std::string fac = trim(facility.namespace_id);
  if (fac.empty()) fac = trim(facility.universal_id);
  std::string name = trim(app.namespace_id);
  if (name.empty()) name = uid;
  return "urn:gateway:facility:" + urn_escape(fac.empty() ? "unknown" : fac) +
         ":application:" + urn_escape(name.empty() ? "unknown" : name);
}

}  // namespace

void map_msh(MappingContext& ctx, const Seg& seg) {
  const hl7::Header& h = ctx.message().header();
  JsonValue mh = JsonValue::make_object();
  mh.add("resourceType", JsonValue::make_string("MessageHeader"));
  mh.add("eventCoding",
         make_coding("http://terminology.hl7.org/CodeSystem/v2-0003", trim(h.trigger_event)));
  std::string receiver_app = trim(h.receiving_application_hd.namespace_id);
  if (!receiver_app.empty() || !trim(h.receiving_application_hd.universal_id).empty() ||
      !trim(h.receiving_facility_hd.namespace_id).empty()) {
    JsonValue dest = JsonValue::make_object();
    if (!receiver_app.empty()) dest.add("name", JsonValue::make_string(receiver_app));
    dest.add("endpoint", JsonValue::make_string(
                             endpoint(ctx, h.receiving_application_hd, h.receiving_facility_hd)));
    EntryRef receiver =
        organization_from_hd(ctx, h.receiving_facility_hd, MappingContext::location(seg, 6));
    if (receiver != kNoEntry) dest.add("receiver", ctx.reference(receiver));
    mh.add("destination", JsonValue::make_array()).push(std::move(dest));
  }
  EntryRef sender =
      organization_from_hd(ctx, h.sending_facility_hd, MappingContext::location(seg, 4));
  if (sender != kNoEntry) mh.add("sender", ctx.reference(sender));
  JsonValue source = JsonValue::make_object();
  std::string sender_app = trim(h.sending_application_hd.namespace_id);
  if (!sender_app.empty()) source.add("name", JsonValue::make_string(sender_app));
  source.add("endpoint", JsonValue::make_string(
                             endpoint(ctx, h.sending_application_hd, h.sending_facility_hd)));
  mh.add("source", std::move(source));
  ctx.sending_organization = sender;
  // Processing id (test or production data) and v2 version as tags: a
  // receiver must be able to tell test traffic from real patients.
  JsonValue meta = JsonValue::make_object();
  JsonValue tags = JsonValue::make_array();
  std::string processing = seg.text(11);
  if (!processing.empty())
    tags.push(make_coding("http://terminology.hl7.org/CodeSystem/v2-0103", processing));
  std::string version = seg.text(12);
  if (!version.empty())
    tags.push(make_coding("http://terminology.hl7.org/CodeSystem/v2-0104", version));
  if (!tags.items().empty()) meta.add("tag", std::move(tags));
  std::string security = seg.text(8);
  if (!security.empty()) {
    // MSH-8 is free text in most feeds; kept as a security label's display.
    JsonValue label = JsonValue::make_object();
    label.add("display", JsonValue::make_string(security));
    meta.add("security", JsonValue::make_array()).push(std::move(label));
  }
  if (!meta.empty()) mh.add("meta", std::move(meta));
  ctx.message_header = ctx.add_created("MessageHeader", "MSH|" + trim(h.control_id), std::move(mh));
  // Read through the parsed header above (3-7, 9, 10) or by the transport
  // and parser (13 sequence number, 15/16 acknowledgment types, 18 charset).
  for (int f : {3, 4, 5, 6, 7, 9, 10, 13, 15, 16, 18}) seg.touch(f);
}

void map_evn(MappingContext& ctx, const Seg& seg) {
  seg.touch(1);  // EVN-1 repeats MSH-9.2 (deprecated since v2.3)
  ctx.event_info.recorded = time_field(ctx, seg, 2, TimeKind::kDateTime);
  ctx.event_info.occurred = time_field(ctx, seg, 6, TimeKind::kDateTime);
  ctx.event_info.reason = codeable_concept_field(ctx, seg, 4, 1, "0062");
  ctx.event_info.enterer =
      practitioner_from_xcn(ctx, seg.at(5, 1), MappingContext::location(seg, 5));
  ctx.event_info.place = location_from_hd(ctx, seg, 7);  // IG EVN[Provenance]
}

}  // namespace gw::v2fhir
