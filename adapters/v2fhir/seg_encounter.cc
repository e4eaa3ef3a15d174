// PV1, PV2 -> Encounter, Location, Practitioner, Organization (V2-to-FHIR IG
// segment maps PV1[Encounter], PV2[Encounter] and the PL[Location] datatype map).
#include <utility>

#include "adapters/v2fhir/adt.h"
#include "adapters/v2fhir/datatypes.h"
#include "adapters/v2fhir/segments.h"

namespace gw::v2fhir {

using fhir::JsonValue;

namespace {

constexpr char kActCode[] = "http://terminology.hl7.org/CodeSystem/v3-ActCode";
constexpr char kParticipationType[] = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType";
constexpr char kPhysicalType[] = "http://terminology.hl7.org/CodeSystem/location-physical-type";

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

void add_participants(MappingContext& ctx, const Seg& seg, int field, const char* type,
                      JsonValue& participants) {
  for (EntryRef pr : practitioner_entries(ctx, seg, field)) {
    JsonValue p = JsonValue::make_object();
    p.add("type", JsonValue::make_array()).push(make_concept(kParticipationType, type));
    p.add("individual", ctx.reference(pr));
    participants.push(std::move(p));
  }
}

// Adds {location, status} to Encounter.location unless that Location is listed.
void add_location(MappingContext& ctx, JsonValue& enc, EntryRef loc, const char* status) {
  if (loc == kNoEntry) return;
  JsonValue ref = ctx.reference(loc);
  if (const JsonValue* list = enc.find("location")) {
    for (const JsonValue& l : list->items()) {
      const JsonValue* r = l.find("location");
      if (r != nullptr && r->find("reference")->text() == ref.find("reference")->text()) return;
    }
  }
  JsonValue l = JsonValue::make_object();
  l.add("location", std::move(ref));
  l.add("status", JsonValue::make_string(status));
  append(enc, "location", std::move(l));
}

// PV1-37 DLD (location CWE ^ effective date) -> a Location for
// hospitalization.destination (IG DLD[Location-Discharge]).
EntryRef discharge_location(MappingContext& ctx, const Seg& seg) {
  std::string code = seg.text(37, 1, 1), text = seg.text(37, 1, 2);
  if (code.empty() && text.empty()) return kNoEntry;
  if (seg.field(37).has_value() && !seg.text(37, 2).empty()) {
    ctx.warning(MappingContext::location(seg, 37, 2),
                "discharge location effective date not mapped");
  }
  JsonValue loc = JsonValue::make_object();
  loc.add("resourceType", JsonValue::make_string("Location"));
  if (!code.empty()) {  // the sender's code for the place: its identifier
    JsonValue id = JsonValue::make_object();
    id.add("system", JsonValue::make_string(ctx.sender_urn() + ":discharge-location"));
    id.add("value", JsonValue::make_string(code));
    append(loc, "identifier", std::move(id));
  }
  loc.add("name", JsonValue::make_string(!text.empty() ? text : code));
  loc.add("mode", JsonValue::make_string("kind"));
  return ctx.add("Location", "DLD|" + code + "|" + text, std::move(loc));
}

}  // namespace

EntryRef location_hierarchy_from_pl(MappingContext& ctx, const Seg& seg, int field) {
  hl7::Element pl = seg.at(field, 1);
  if (!pl.has_value()) return kNoEntry;
  std::string facility = trim(pl.part(4).part(1).text_or_empty());
  if (facility.empty()) facility = trim(pl.part(4).part(2).text_or_empty());
  // General to specific, in the order of the key tuple (facility, building,
  // floor, point of care, room, bed) that seg_clinical_util.cc also uses for
  // a flat Location: the most specific level of both is one entry.
  struct Level {
    std::string name;
    const char* physical;
  } levels[] = {
      {facility, "si"},
      {trim(pl.part(7).text_or_empty()), "bu"},
      {trim(pl.part(8).text_or_empty()), "lvl"},
      {trim(pl.part(1).text_or_empty()), "wa"},
      {trim(pl.part(2).text_or_empty()), "ro"},
      {trim(pl.part(3).text_or_empty()), "bd"},
  };
  EntryRef parent = kNoEntry;
  std::string key;
  for (int i = 0; i < 6; ++i) {
    if (levels[i].name.empty()) continue;
    key.clear();
    for (int j = 0; j < 6; ++j) {
      if (j > 0) key += "|";
      if (j <= i) key += levels[j].name;
    }
    JsonValue loc = JsonValue::make_object();
    loc.add("resourceType", JsonValue::make_string("Location"));
    loc.add("name", JsonValue::make_string(levels[i].name));
    loc.add("mode", JsonValue::make_string("instance"));
    loc.add("physicalType", make_concept(kPhysicalType, levels[i].physical));
    if (parent != kNoEntry) loc.add("partOf", ctx.reference(parent));
    parent = ctx.add("Location", key, std::move(loc));
  }
  std::string description = trim(pl.part(9).text_or_empty());
  if (parent == kNoEntry) {
    if (description.empty()) return kNoEntry;
    JsonValue loc = JsonValue::make_object();
    loc.add("resourceType", JsonValue::make_string("Location"));
    loc.add("name", JsonValue::make_string(description));
    loc.add("mode", JsonValue::make_string("instance"));
    return ctx.add("Location", "PL-9|" + description, std::move(loc));
  }
  JsonValue& most_specific = ctx.resource(parent);
  if (!description.empty() && most_specific.find("description") == nullptr)
    most_specific.add("description", JsonValue::make_string(description));
  std::string status = trim(pl.part(5).text_or_empty());  // PL-5 bed status (table 0116)
  if (!status.empty() && most_specific.find("operationalStatus") == nullptr) {
    most_specific.add("operationalStatus",
                      make_coding("http://terminology.hl7.org/CodeSystem/v2-0116", status));
  }
  std::string type = trim(pl.part(6).text_or_empty());  // PL-6 person location type (0305)
  if (!type.empty() && most_specific.find("type") == nullptr) {
    append(most_specific, "type",
           make_concept("http://terminology.hl7.org/CodeSystem/v2-0305", type));
  }
  return parent;
}

EntryRef location_from_hd(MappingContext& ctx, const Seg& seg, int field) {
  std::string ns = seg.text(field, 1), uid = seg.text(field, 2), uid_type = seg.text(field, 3);
  if (ns.empty() && uid.empty()) return kNoEntry;
  std::string name = !ns.empty() ? ns : uid;
  JsonValue loc = JsonValue::make_object();
  loc.add("resourceType", JsonValue::make_string("Location"));
  if (!uid.empty()) {
    JsonValue id = JsonValue::make_object();
    id.add("system", JsonValue::make_string(uid_type == "ISO" ? "urn:ietf:rfc:3986"
                                                              : ctx.sender_urn() + ":HD"));
    id.add("value", JsonValue::make_string(uid_type == "ISO" ? "urn:oid:" + uid : uid));
    append(loc, "identifier", std::move(id));
  }
  loc.add("name", JsonValue::make_string(name));
  loc.add("mode", JsonValue::make_string("instance"));
  loc.add("physicalType", make_concept(kPhysicalType, "si"));
  return ctx.add("Location", name + "|||||", std::move(loc));  // PL facility-level key
}

void map_pv1(MappingContext& ctx, const Seg& seg) {
  if (!has_patient(ctx, seg)) return;
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
    append_all(enc, "identifier", std::move(visit));
  } else if (!start.empty()) {
    key = ctx.cursor.patient_key + "|start|" + start;
  } else {
    key =
        ctx.cursor.patient_key + "|visit|" + patient_class + "|" + std::string(seg.field(3).raw());
  }
  append_all(enc, "identifier", identifiers_field(ctx, seg, 50));  // alternate visit id
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
  append(enc, "type", codeable_concept_field(ctx, seg, 4, 1, "0007"));
  // PV1-18 patient type: user-defined; the IG leaves its target to the
  // implementer: a second Encounter.type.
  append(enc, "type", codeable_concept_field(ctx, seg, 18, 1, "0018"));
  JsonValue service = codeable_concept_field(ctx, seg, 10, 1, "0069");
  if (!service.empty()) enc.add("serviceType", std::move(service));
  enc.add("subject", ctx.reference(ctx.cursor.patient));
  JsonValue participants = JsonValue::make_array();
  add_participants(ctx, seg, 7, "ATND", participants);
  add_participants(ctx, seg, 8, "REF", participants);
  add_participants(ctx, seg, 9, "CON", participants);
  add_participants(ctx, seg, 17, "ADM", participants);
  add_participants(ctx, seg, 52, "PART", participants);
  if (!participants.empty()) enc.add("participant", std::move(participants));
  if (JsonValue period = period_of(start, end); !period.empty())
    enc.add("period", std::move(period));
  if (ctx.cursor.account != kNoEntry) append(enc, "account", ctx.reference(ctx.cursor.account));

  JsonValue hosp = JsonValue::make_object();
  std::vector<JsonValue> preadmit = identifiers_field(ctx, seg, 5);
  if (!preadmit.empty()) hosp.add("preAdmissionIdentifier", std::move(preadmit.front()));
  JsonValue admit_source = codeable_concept_field(ctx, seg, 14, 1, "0023");
  if (!admit_source.empty()) hosp.add("admitSource", std::move(admit_source));
  JsonValue readmission = codeable_concept_field(ctx, seg, 13, 1, "0092");
  if (!readmission.empty()) hosp.add("reAdmission", std::move(readmission));
  append(hosp, "dietPreference", codeable_concept_field(ctx, seg, 38, 1, "0114"));
  append(hosp, "specialCourtesy", codeable_concept_field(ctx, seg, 16, 1, "0099"));
  if (EntryRef dest = discharge_location(ctx, seg); dest != kNoEntry)
    hosp.add("destination", ctx.reference(dest));
  JsonValue disposition = codeable_concept_field(ctx, seg, 36, 1, "0112");
  if (!disposition.empty()) hosp.add("dischargeDisposition", std::move(disposition));
  if (!hosp.empty()) enc.add("hospitalization", std::move(hosp));

  // PV1-39 servicing facility (IS before v2.7, then CWE): the Organization
  // responsible for the encounter.
  std::string facility = seg.text(39, 2);
  if (facility.empty()) facility = seg.text(39, 1);
  if (EntryRef org = organization_from_name(ctx, facility); org != kNoEntry)
    enc.add("serviceProvider", ctx.reference(org));

  // Locations (IG: the most granular level in Encounter.location, the rest
  // chained by partOf).
  EntryRef current = location_hierarchy_from_pl(ctx, seg, 3);
  // IG: active, planned for a pre-admit (class P); also planned for a planned
  // encounter (A05, A14) and completed once the encounter is finished.
  const char* current_status = "active";
  if (patient_class == "P" || status == "planned") current_status = "planned";
  if (status == "finished") current_status = "completed";
  add_location(ctx, enc, current, current_status);
  add_location(ctx, enc, location_hierarchy_from_pl(ctx, seg, 11), "active");     // temporary
  add_location(ctx, enc, location_hierarchy_from_pl(ctx, seg, 42), "reserved");   // pending
  add_location(ctx, enc, location_hierarchy_from_pl(ctx, seg, 6), "completed");   // prior
  add_location(ctx, enc, location_hierarchy_from_pl(ctx, seg, 43), "completed");  // prior temporary
  // PV1-40 bed status: the operational status of the assigned bed or room.
  std::string bed_status = seg.text(40);
  if (!bed_status.empty()) {
    bool room_or_bed = !seg.text(3, 2).empty() || !seg.text(3, 3).empty();
    if (current != kNoEntry && room_or_bed) {
      JsonValue& loc = ctx.resource(current);
      if (loc.find("operationalStatus") == nullptr)
        loc.add("operationalStatus",
                make_coding("http://terminology.hl7.org/CodeSystem/v2-0116", bed_status));
    } else {
      ctx.warning(MappingContext::location(seg, 40), "bed status without an assigned bed or room");
    }
  }
  // No FHIR target in the IG's PV1[Encounter] map.
  static constexpr struct {
    int field;
    const char* text;
  } kUnmapped[] = {
      {12, "preadmit test indicator not mapped"},
      {15, "ambulatory status not mapped"},
      {20, "financial class not mapped"},
      {41, "account status not mapped"},
  };
  for (const auto& u : kUnmapped) {
    if (seg.field(u.field).has_value() || seg.field(u.field).child_count() > 1)
      ctx.warning(MappingContext::location(seg, u.field), u.text);
  }
  const size_t known = ctx.entries().size();
  EntryRef ref = ctx.add("Encounter", key, std::move(enc));
  if (static_cast<size_t>(ref) >= known) mark_encounter_update(ctx, seg, ref);
  ctx.cursor.encounter = ref;
  ctx.cursor.encounter_key = key;
  ctx.add_focus(ref);
}

void map_pv2(MappingContext& ctx, const Seg& seg) {
  if (ctx.cursor.encounter == kNoEntry) {
    ctx.warning(MappingContext::location(seg), "segment without a preceding PV1 visit not mapped");
    return;
  }
  // PV2-1 prior pending location (IG: status planned).
  // Entries first (adding entries moves the resource being edited).
  EntryRef prior_pending = location_hierarchy_from_pl(ctx, seg, 1);
  mark_encounter_pv2(ctx, seg, ctx.cursor.encounter);
  JsonValue participants = JsonValue::make_array();
  add_participants(ctx, seg, 13, "REF", participants);
  JsonValue& enc = ctx.resource(ctx.cursor.encounter);
  add_location(ctx, enc, prior_pending, "planned");
  append(enc, "reasonCode", codeable_concept_field(ctx, seg, 3));
  // PV2-8/9 expected admit/discharge (IG: R5 plannedStartDate/EndDate, as the
  // R4 cross-version extensions). A planned encounter without an actual
  // period gets them as its period: the pre-admit period.
  std::string expected_start = time_field(ctx, seg, 8, TimeKind::kDateTime);
  std::string expected_end = time_field(ctx, seg, 9, TimeKind::kDateTime);
  if (!expected_start.empty()) {
    append(enc, "extension",
           make_extension("http://hl7.org/fhir/5.0/StructureDefinition/"
                          "extension-Encounter.plannedStartDate",
                          "valueDateTime", JsonValue::make_string(expected_start)));
  }
  if (!expected_end.empty()) {
    append(enc, "extension",
           make_extension("http://hl7.org/fhir/5.0/StructureDefinition/"
                          "extension-Encounter.plannedEndDate",
                          "valueDateTime", JsonValue::make_string(expected_end)));
  }
  const JsonValue* status = enc.find("status");
  if (status != nullptr && status->text() == "planned" && enc.find("period") == nullptr) {
    if (JsonValue period = period_of(expected_start, expected_end); !period.empty())
      enc.add("period", std::move(period));
  }
  // PV2-11 actual length of inpatient stay, in days.
  std::string length = seg.text(11);
  if (!length.empty()) {
    if (length.find_first_not_of("0123456789") == std::string::npos && length.size() < 6) {
      JsonValue q = JsonValue::make_object();
      q.add("value", JsonValue::make_number(std::to_string(std::stoi(length))));
      q.add("unit", JsonValue::make_string("days"));
      q.add("system", JsonValue::make_string("http://unitsofmeasure.org"));
      q.add("code", JsonValue::make_string("d"));
      enc.add("length", std::move(q));
    } else {
      ctx.warning(MappingContext::location(seg, 11), "length of stay not a number of days");
    }
  }
  for (JsonValue& p : participants.mutable_items()) append(enc, "participant", std::move(p));
  std::string protect = seg.text(22);
  if (protect == "Y") {
    JsonValue* meta = enc.find_mutable("meta");
    if (meta == nullptr) meta = &enc.add("meta", JsonValue::make_object());
    append(
        *meta, "security",
        make_coding("http://terminology.hl7.org/CodeSystem/v3-Confidentiality", "R", "restricted"));
  } else if (!protect.empty() && protect != "N") {
    ctx.warning(MappingContext::location(seg, 22), "visit protection indicator not Y or N");
  }
  JsonValue priority = codeable_concept_field(ctx, seg, 25, 1, "0217");
  if (!priority.empty()) enc.add("priority", std::move(priority));
  JsonValue arrival = codeable_concept_field(ctx, seg, 38, 1, "0430");
  if (!arrival.empty()) {
    // encounter-modeOfArrival takes a Coding: the first one (or text only).
    const JsonValue* codings = arrival.find("coding");
    if (codings != nullptr && !codings->items().empty()) {
      append(enc, "extension",
             make_extension("http://hl7.org/fhir/StructureDefinition/encounter-modeOfArrival",
                            "valueCoding", codings->items().front()));
    } else {
      ctx.warning(MappingContext::location(seg, 38), "mode of arrival without a code not mapped");
    }
  }
}

}  // namespace gw::v2fhir
