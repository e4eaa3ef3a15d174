// PV1, PV2 -> Encounter, Location, Practitioner (V2-to-FHIR IG segment maps).
#include <utility>

#include "adapters/v2fhir/datatypes.h"
#include "adapters/v2fhir/segments.h"

namespace gw::v2fhir {

using fhir::JsonValue;

namespace {

constexpr char kActCode[] = "http://terminology.hl7.org/CodeSystem/v3-ActCode";
constexpr char kParticipationType[] = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType";

// v2-0004 patient class -> v3 ActCode (IG ConceptMap).
JsonValue encounter_class(std::string_view pc) {
  struct Map {
    std::string_view v2, code, display;
  };
  static constexpr Map kMap[] = {
      {"E", "EMER", "emergency"}, {"I", "IMP", "inpatient encounter"},
      {"O", "AMB", "ambulatory"}, {"P", "PRENC", "pre-admission"},
      {"R", "AMB", "ambulatory"}, {"B", "IMP", "inpatient encounter"},
      {"C", "AMB", "ambulatory"},
  };
  for (const Map& m : kMap) {
    if (m.v2 == pc) return make_coding(kActCode, m.code, m.display);
  }
  return {};
}

// PL -> Location entry (one Location for the most specific level sent).
EntryRef location_from_pl(MappingContext& ctx, const Seg& seg, int field) {
  hl7::Element pl = seg.at(field, 1);
  if (!pl.has_value()) return kNoEntry;
  std::string poc = trim(pl.part(1).text_or_empty()), room = trim(pl.part(2).text_or_empty()),
              bed = trim(pl.part(3).text_or_empty()),
              facility = trim(pl.part(4).part(1).text_or_empty()),
              building = trim(pl.part(7).text_or_empty()), floor = trim(pl.part(8).text_or_empty()),
              description = trim(pl.part(9).text_or_empty());
  std::string name = description;
  if (name.empty()) {
    for (const std::string* part : {&facility, &building, &floor, &poc, &room, &bed}) {
      if (part->empty()) continue;
      if (!name.empty()) name += " ";
      name += *part;
    }
  }
  if (name.empty()) return kNoEntry;
  std::string key = facility + "|" + building + "|" + floor + "|" + poc + "|" + room + "|" + bed;
  EntryRef seen = ctx.find("Location", key);
  if (seen != kNoEntry) return seen;
  JsonValue loc = JsonValue::make_object();
  loc.add("resourceType", JsonValue::make_string("Location"));
  loc.add("name", JsonValue::make_string(name));
  loc.add("mode", JsonValue::make_string("instance"));
  const char* physical = !bed.empty() ? "bd" : !room.empty() ? "ro" : !poc.empty() ? "wa" : nullptr;
  if (physical != nullptr) {
    loc.add("physicalType",
            make_concept("http://terminology.hl7.org/CodeSystem/location-physical-type", physical));
  }
  return ctx.add("Location", key, std::move(loc), "PL");
}

void add_participants(MappingContext& ctx, const Seg& seg, int field, const char* type,
                      JsonValue& participants) {
  int rep = 0;
  for (const hl7::Element& e : seg.field(field).children()) {
    ++rep;
    EntryRef pr =
        practitioner_from_xcn(ctx, e, MappingContext::location(seg, field, 0, rep > 1 ? rep : 0));
    if (pr == kNoEntry) continue;
    JsonValue p = JsonValue::make_object();
    p.add("type", JsonValue::make_array()).push(make_concept(kParticipationType, type));
    p.add("individual", ctx.reference(pr));
    participants.push(std::move(p));
  }
}

}  // namespace

void map_pv1(MappingContext& ctx, const Seg& seg) {
  if (ctx.cursor.patient == kNoEntry) {
    ctx.warning(MappingContext::location(seg), "segment without a preceding PID not mapped");
    return;
  }
  std::string patient_class = seg.text(2);
  std::vector<JsonValue> visit = identifiers_field(ctx, seg, 19);
  std::string start = time_field(ctx, seg, 44, TimeKind::kDateTime);
  std::string end = time_field(ctx, seg, 45, TimeKind::kDateTime);
  // A28/A31 and the like send "PV1|1|N": no visit to map.
  if (patient_class == "N" && visit.empty() && start.empty()) return;

  JsonValue enc = JsonValue::make_object();
  enc.add("resourceType", JsonValue::make_string("Encounter"));
  std::string key;
  if (!visit.empty()) {
    if (visit.front().find("type") == nullptr) {
      visit.front().add("type",
                        make_concept("http://terminology.hl7.org/CodeSystem/v2-0203", "VN"));
    }
    key = identifier_key(visit.front());
    JsonValue& arr = enc.add("identifier", JsonValue::make_array());
    for (JsonValue& v : visit) arr.push(std::move(v));
  } else if (!start.empty()) {
    key = ctx.cursor.patient_key + "|start|" + start;
  } else {
    key =
        ctx.cursor.patient_key + "|visit|" + patient_class + "|" + std::string(seg.field(3).raw());
  }
  std::string status = ctx.encounter_status;
  if (status.empty())
    status = !end.empty() ? "finished" : !start.empty() ? "in-progress" : "unknown";
  enc.add("status", JsonValue::make_string(status));
  JsonValue cls = encounter_class(patient_class);
  if (cls.empty()) {
    if (!patient_class.empty())
      ctx.warning(MappingContext::location(seg, 2), "patient class not in table 0004");
    cls = make_coding("http://terminology.hl7.org/CodeSystem/v3-NullFlavor", "UNK", "unknown");
  }
  enc.add("class", std::move(cls));
  JsonValue type = codeable_concept_field(ctx, seg, 4, 1, "0007");
  if (!type.empty()) enc.add("type", JsonValue::make_array()).push(std::move(type));
  JsonValue service = codeable_concept_field(ctx, seg, 10, 1, "0069");
  if (!service.empty()) enc.add("serviceType", std::move(service));
  enc.add("subject", ctx.reference(ctx.cursor.patient));
  JsonValue participants = JsonValue::make_array();
  add_participants(ctx, seg, 7, "ATND", participants);
  add_participants(ctx, seg, 8, "REF", participants);
  add_participants(ctx, seg, 9, "CON", participants);
  add_participants(ctx, seg, 17, "ADM", participants);
  if (!participants.empty()) enc.add("participant", std::move(participants));
  if (!start.empty() || !end.empty()) {
    JsonValue period = JsonValue::make_object();
    if (!start.empty()) period.add("start", JsonValue::make_string(start));
    if (!end.empty()) period.add("end", JsonValue::make_string(end));
    enc.add("period", std::move(period));
  }
  JsonValue hosp = JsonValue::make_object();
  JsonValue admit_source = codeable_concept_field(ctx, seg, 14, 1, "0023");
  if (!admit_source.empty()) hosp.add("admitSource", std::move(admit_source));
  JsonValue readmission = codeable_concept_field(ctx, seg, 13, 1, "0092");
  if (!readmission.empty()) hosp.add("reAdmission", std::move(readmission));
  JsonValue disposition = codeable_concept_field(ctx, seg, 36, 1, "0112");
  if (!disposition.empty()) hosp.add("dischargeDisposition", std::move(disposition));
  if (!hosp.empty()) enc.add("hospitalization", std::move(hosp));
  JsonValue locations = JsonValue::make_array();
  EntryRef current = location_from_pl(ctx, seg, 3);
  if (current != kNoEntry) {
    JsonValue l = JsonValue::make_object();
    l.add("location", ctx.reference(current));
    l.add("status", JsonValue::make_string(status == "finished" ? "completed" : "active"));
    locations.push(std::move(l));
  }
  EntryRef prior = location_from_pl(ctx, seg, 6);  // A02: the location left
  if (prior != kNoEntry && prior != current) {
    JsonValue l = JsonValue::make_object();
    l.add("location", ctx.reference(prior));
    l.add("status", JsonValue::make_string("completed"));
    locations.push(std::move(l));
  }
  if (!locations.empty()) enc.add("location", std::move(locations));
  EntryRef ref = ctx.add("Encounter", key, std::move(enc), "PV1");
  ctx.cursor.encounter = ref;
  ctx.cursor.encounter_key = key;
  ctx.add_focus(ref);
}

void map_pv2(MappingContext& ctx, const Seg& seg) {
  if (ctx.cursor.encounter == kNoEntry) return;
  JsonValue reason = codeable_concept_field(ctx, seg, 3);
  if (reason.empty()) return;
  JsonValue& enc = ctx.resource(ctx.cursor.encounter);
  JsonValue* arr = enc.find_mutable("reasonCode");
  if (arr == nullptr) arr = &enc.add("reasonCode", JsonValue::make_array());
  arr->push(std::move(reason));
}

}  // namespace gw::v2fhir
