// SIU^S12: SCH, TQ1, RGS, AIS, AIG, AIL, AIP -> Appointment (IG segment maps
// SCH[Appointment], AIS/AIG/AIL/AIP[Appointment]).
//
// SCH comes before PID in SIU, so the patient joins the participants at the
// resource group (RGS, required in S12) or the first resource segment.
// Appointment.start/end are instants and must be given together, and only
// proposed, cancelled or waitlisted appointments may lack them (app-2, app-3):
// start/end come from SCH-11 (TQ, v2.5 and earlier) or the first TQ1 after
// SCH, an end missing from both is start + duration (SCH-9/10 or TQ1-6).
// Not mapped: SCH-6 event reason, SCH-12/16/20 contact persons (the IG's
// participant types for them are not codes of any code system), NTE after
// SCH (Appointment.comment), AIS timing (AIS is no participant).
#include <cctype>
#include <utility>

#include "adapters/v2fhir/clinical.h"
#include "adapters/v2fhir/datatypes.h"
#include "adapters/v2fhir/ids.h"

namespace gw::v2fhir {

using fhir::JsonValue;

namespace {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  }
  return true;
}

// v2-0278 filler status -> appointmentstatus.
const char* appointment_status(std::string_view s) {
  struct Map {
    std::string_view v2;
    const char* fhir;
  };
  static constexpr Map kMap[] = {
      {"Pending", "pending"},     {"Waitlist", "waitlist"}, {"Booked", "booked"},
      {"Overbook", "booked"},     {"Started", "arrived"},   {"Complete", "fulfilled"},
      {"Cancelled", "cancelled"}, {"Dc", "cancelled"},      {"Deleted", "entered-in-error"},
      {"Noshow", "noshow"},
  };
  for (const Map& m : kMap) {
    if (iequals(m.v2, s)) return m.fhir;
  }
  return nullptr;
}

// v2-0278 filler status of a resource -> participationstatus.
const char* participant_status(std::string_view s) {
  if (s.empty()) return "accepted";
  for (std::string_view a : {"Booked", "Started", "Complete", "Overbook"}) {
    if (iequals(a, s)) return "accepted";
  }
  for (std::string_view t : {"Pending", "Waitlist"}) {
    if (iequals(t, s)) return "tentative";
  }
  for (std::string_view d : {"Cancelled", "Dc", "Deleted", "Noshow", "Blocked"}) {
    if (iequals(d, s)) return "declined";
  }
  return nullptr;
}

bool has_actor(const JsonValue& appt, const JsonValue& ref) {
  const JsonValue* parts = appt.find("participant");
  if (parts == nullptr) return false;
  for (const JsonValue& p : parts->items()) {
    const JsonValue* a = p.find("actor");
    if (a != nullptr && a->find("reference") != nullptr &&
        a->find("reference")->text() == ref.find("reference")->text()) {
      return true;
    }
  }
  return false;
}

void push_participant(JsonValue& appt, JsonValue participant) {
  JsonValue* arr = appt.find_mutable("participant");
  if (arr == nullptr) arr = &appt.add("participant", JsonValue::make_array());
  arr->push(std::move(participant));
}

// The current appointment, with the current patient as a participant.
EntryRef appointment_with_patient(MappingContext& ctx) {
  EntryRef appt = last_of_type(ctx, "Appointment");
  if (appt == kNoEntry || ctx.cursor.patient == kNoEntry) return appt;
  JsonValue ref = ctx.reference(ctx.cursor.patient);
  JsonValue& a = ctx.resource(appt);
  if (!has_actor(a, ref)) {
    JsonValue p = JsonValue::make_object();
    p.add("actor", std::move(ref));
    p.add("required", JsonValue::make_string("required"));
    p.add("status", JsonValue::make_string("accepted"));
    push_participant(a, std::move(p));
  }
  return appt;
}

// Seg for a segment found by look-ahead (issue locations need its occurrence).
Seg seg_at(MappingContext& ctx, size_t index) { return ctx.segment(index); }

// Adds a resource participant: actor (may be kNoEntry), type from CWE field
// `type_field` (0 = none), period from start field + duration fields, status
// from the filler status field.
void add_resource(MappingContext& ctx, const Seg& seg, EntryRef actor, int type_field,
                  int start_field, int duration_field, int status_field) {
  EntryRef appt = appointment_with_patient(ctx);
  if (appt == kNoEntry) {
    ctx.warning(MappingContext::location(seg), "resource without an appointment not mapped");
    return;
  }
  JsonValue p = JsonValue::make_object();
  if (type_field > 0) {
    JsonValue type = codeable_concept_field(ctx, seg, type_field);
    if (!type.empty()) p.add("type", JsonValue::make_array()).push(std::move(type));
  }
  if (actor != kNoEntry) p.add("actor", ctx.reference(actor));
  if (p.empty()) {
    ctx.warning(MappingContext::location(seg, 3), "resource without identification not mapped");
    return;
  }
  std::string code = seg.text(status_field, 1);
  const char* status = participant_status(code);
  if (status == nullptr) {
    ctx.warning(MappingContext::location(seg, status_field),
                "filler status code not in table 0278");
    status = "needs-action";
  }
  p.add("status", JsonValue::make_string(status));
  std::string start = time_field(ctx, seg, start_field, TimeKind::kDateTime);
  if (!start.empty()) {
    JsonValue period = JsonValue::make_object();
    period.add("start", JsonValue::make_string(start));
    long minutes = duration_minutes(seg.text(duration_field), seg.text(duration_field + 1, 1));
    std::string end = minutes > 0 ? add_minutes(start, minutes) : std::string();
    if (!end.empty()) period.add("end", JsonValue::make_string(end));
    p.add("period", std::move(period));
  }
  JsonValue& a = ctx.resource(appt);
  if (actor != kNoEntry && has_actor(a, ctx.reference(actor))) return;  // same resource named twice
  push_participant(a, std::move(p));
}

// AIG-3 (CWE) -> Device entry named by the code's text.
EntryRef device_from_cwe(MappingContext& ctx, const Seg& seg, int field) {
  std::string code = seg.text(field, 1), text = seg.text(field, 2),
              system_name = seg.text(field, 3);
  if (code.empty() && text.empty()) return kNoEntry;
  JsonValue device = JsonValue::make_object();
  device.add("resourceType", JsonValue::make_string("Device"));
  std::string key = "name|" + text;
  if (!code.empty()) {
    std::string system = coding_system_uri(ctx, system_name);
    if (system.empty())
      system =
          ctx.sender_urn() + ":resource:" + urn_escape(system_name.empty() ? "AIG" : system_name);
    JsonValue id = JsonValue::make_object();
    id.add("system", JsonValue::make_string(system));
    id.add("value", JsonValue::make_string(code));
    device.add("identifier", JsonValue::make_array()).push(std::move(id));
    key = system + "|" + code;
  }
  JsonValue name = JsonValue::make_object();
  name.add("name", JsonValue::make_string(!text.empty() ? text : code));
  name.add("type", JsonValue::make_string("user-friendly-name"));
  device.add("deviceName", JsonValue::make_array()).push(std::move(name));
  return ctx.add("Device", key, std::move(device), "AIG");
}

}  // namespace

void map_sch(MappingContext& ctx, const Seg& seg) {
  ctx.cursor.note_target = kNoEntry;  // Appointment has no note element
  if (!message_is(ctx, "SIU")) {
    ctx.warning(MappingContext::location(seg), "segment not mapped");
    return;
  }
  const hl7::Message& m = ctx.message();
  if (!m.find("PID") && !m.find("AIG") && !m.find("AIL") && !m.find("AIP")) {
    ctx.error(MappingContext::location(seg),
              "appointment without participants (no PID, AIG, AIL or AIP)");
    return;
  }
  JsonValue appt = JsonValue::make_object();
  appt.add("resourceType", JsonValue::make_string("Appointment"));
  JsonValue filler =
      identifier_from_ei(ctx, read_ei(seg.at(2, 1)), "FILL", MappingContext::location(seg, 2));
  JsonValue placer =
      identifier_from_ei(ctx, read_ei(seg.at(1, 1)), "PLAC", MappingContext::location(seg, 1));
  std::string key = !filler.empty()   ? identifier_key(filler)
                    : !placer.empty() ? identifier_key(placer)
                                      : "";
  if (!filler.empty() || !placer.empty()) {
    JsonValue& ids = appt.add("identifier", JsonValue::make_array());
    if (!filler.empty()) ids.push(std::move(filler));
    if (!placer.empty()) ids.push(std::move(placer));
  } else {
    ctx.warning(MappingContext::location(seg, 2), "appointment without placer or filler ID");
    key = "MSH|" + trim(m.header().control_id) + "|" + std::to_string(seg.occurrence);
  }

  std::string filler_status = seg.text(25, 1);
  const char* status =
      filler_status.empty() ? "booked" : appointment_status(filler_status);  // S12: new booking
  if (status == nullptr) {
    ctx.error(MappingContext::location(seg, 25), "filler status code not in table 0278");
    return;
  }
  appt.add("status", JsonValue::make_string(status));

  // SCH-7 holds table 0276 codes (FHIR appointmentType is bound to v2-0276)
  // or a free reason; SCH-8 is table 0277 (Normal/Tentative/Complete), which
  // FHIR has no element for, unless a sender puts 0276 codes there.
  JsonValue reason = codeable_concept_field(ctx, seg, 7);
  if (!reason.empty()) {
    if (seg.text(7, 3) == "HL70276") {
      appt.add("appointmentType", std::move(reason));
    } else {
      appt.add("reasonCode", JsonValue::make_array()).push(std::move(reason));
    }
  }
  if (seg.text(8, 3) == "HL70276" && appt.find("appointmentType") == nullptr) {
    JsonValue type = codeable_concept_field(ctx, seg, 8);
    if (!type.empty()) appt.add("appointmentType", std::move(type));
  }

  // Timing: SCH-11 (TQ), else the first TQ1 that follows.
  std::string start = time_component(ctx, seg, 11, 4, TimeKind::kInstant);
  std::string end = time_component(ctx, seg, 11, 5, TimeKind::kInstant);
  long minutes = duration_minutes(seg.text(9), seg.text(10, 1));
  for (size_t i = seg.view.index() + 1; i < m.segment_count(); ++i) {
    std::string_view id = m.segment(i).id();
    if (id == "NTE") continue;
    if (id != "TQ1") break;
    Seg tq1 = seg_at(ctx, i);
    if (start.empty()) start = time_field(ctx, tq1, 7, TimeKind::kInstant);
    if (end.empty()) end = time_field(ctx, tq1, 8, TimeKind::kInstant);
    if (minutes < 0) minutes = duration_minutes(tq1.text(6, 1), tq1.text(6, 2));
    break;
  }
  if (minutes > 0) appt.add("minutesDuration", JsonValue::make_number(std::to_string(minutes)));
  if (!start.empty() && end.empty() && minutes > 0) end = add_minutes(start, minutes);
  if (!start.empty() && !end.empty()) {
    appt.add("start", JsonValue::make_string(start));
    appt.add("end", JsonValue::make_string(end));
  } else if (std::string_view(status) != "proposed" && std::string_view(status) != "cancelled" &&
             std::string_view(status) != "waitlist") {
    ctx.error(MappingContext::location(seg, 11),
              "appointment start and end (or duration) required");
    return;
  }

  // SCH-26/27 placer/filler order numbers: the ServiceRequest by identifier.
  JsonValue based_on = JsonValue::make_array();
  for (auto [field, type] : {std::pair{26, "PLAC"}, std::pair{27, "FILL"}}) {
    JsonValue id = identifier_from_ei(ctx, read_ei(seg.at(field, 1)), type,
                                      MappingContext::location(seg, field));
    if (id.empty()) continue;
    JsonValue ref = JsonValue::make_object();
    ref.add("type", JsonValue::make_string("ServiceRequest"));
    ref.add("identifier", std::move(id));
    based_on.push(std::move(ref));
  }
  if (!based_on.empty()) appt.add("basedOn", std::move(based_on));
  EntryRef ref = ctx.add("Appointment", key, std::move(appt), "SCH");
  ctx.add_focus(ref);
}

void map_rgs(MappingContext& ctx, const Seg&) { appointment_with_patient(ctx); }

void map_ais(MappingContext& ctx, const Seg& seg) {
  EntryRef appt = appointment_with_patient(ctx);
  if (appt == kNoEntry) {
    ctx.warning(MappingContext::location(seg), "service without an appointment not mapped");
    return;
  }
  JsonValue service = codeable_concept_field(ctx, seg, 3);
  if (service.empty()) return;
  JsonValue& a = ctx.resource(appt);
  JsonValue* arr = a.find_mutable("serviceType");
  if (arr == nullptr) arr = &a.add("serviceType", JsonValue::make_array());
  arr->push(std::move(service));
}

void map_aig(MappingContext& ctx, const Seg& seg) {
  add_resource(ctx, seg, device_from_cwe(ctx, seg, 3), 4, 8, 11, 14);
}

void map_ail(MappingContext& ctx, const Seg& seg) {
  add_resource(ctx, seg, location_from_pl_field(ctx, seg, 3), 0, 6, 9, 12);
}

void map_aip(MappingContext& ctx, const Seg& seg) {
  EntryRef who = practitioner_from_xcn(ctx, seg.at(3, 1), MappingContext::location(seg, 3));
  add_resource(ctx, seg, who, 4, 6, 9, 12);
}

}  // namespace gw::v2fhir
