// SIU^S12..S24, S26: SCH, TQ1, NTE, RGS, AIS, AIG, AIL, AIP -> Appointment
// (IG segment maps SCH[Appointment], AIS/AIG/AIL/AIP[Appointment],
// NTE[Appointment-Comment]; the IG maps only SIU^S12, the other events
// follow its S12 map plus the event rules below).
//
// Status: SCH-25 (IG FillerStatusCodes[Appointment]), else the event's:
// S12 new, S13 reschedule, S14 modification and S18..S22 service/resource
// changes -> booked; S15 cancellation and S16 discontinuation -> cancelled,
// S17 deletion -> entered-in-error, S26 no-show -> noshow (these four win
// over a contradicting SCH-25, with a warning). Resources named by S20..S22
// (cancel, discontinue, delete a service/resource), or with segment action
// code D (table 0206), are participants with status "declined" unless their
// own filler status says otherwise: a conditional update replaces the whole
// Appointment, so dropping them would also drop what the sender said. The
// gateway's store merges an S20..S22 Appointment with the stored one
// (Entry::partial): participants by actor, and the status and timing the
// message only defaults or marks absent are kept from the stored version.
//
// Timing: TQ1-7/TQ1-8 (start/end), TQ1-6 duration; SCH-11 (TQ, v2.5 and
// earlier) only as a fallback; SCH-9/10 duration. An end missing from both is
// start + duration. Appointment start/end are instants and must be given
// together unless the status is proposed, cancelled or waitlist (app-3):
// without them they carry a data-absent-reason and a warning.
//
// SCH-7 appointment reason -> reasonCode; when coded in HL70277 (the
// appointment type table) -> appointmentType, and SCH-8 appointment type ->
// appointmentType, as the IG's SCH map says (the FHIR element is bound to
// v2-0276, the IG's note explains the v2 tables are swapped).
//
// SCH comes before PID in SIU, so the patient joins the participants at the
// resource group (RGS) or the first resource segment. The contacts (SCH-12
// placer, SCH-16 filler, SCH-20 entered by) are participants too, marked
// information-only; their phone and address go to their Practitioner.
// SCH-6 event reason and SCH-20 enterer also describe the message's
// Provenance (IG SCH[Provenance]); SCH-6 is also the cancelationReason of a
// cancelled or no-show appointment (app-4 allows it for those only).
#include <cctype>
#include <string>
#include <utility>

#include "adapters/v2fhir/clinical.h"
#include "adapters/v2fhir/datatypes.h"
#include "adapters/v2fhir/docsched.h"
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

// v2-0278 filler status -> appointmentstatus (IG FillerStatusCodes
// [Appointment]; Overbook and Dc have no IG target: booked and cancelled).
const char* appointment_status(std::string_view s) {
  struct Map {
    std::string_view v2;
    const char* fhir;
  };
  static constexpr Map kMap[] = {
      {"Pending", "pending"},          {"Waitlist", "waitlist"},  {"Booked", "booked"},
      {"Overbook", "booked"},          {"Started", "checked-in"}, {"Complete", "fulfilled"},
      {"Cancelled", "cancelled"},      {"Dc", "cancelled"},       {"Discontinued", "cancelled"},
      {"Deleted", "entered-in-error"}, {"Noshow", "noshow"},
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
  for (std::string_view d : {"Cancelled", "Dc", "Discontinued", "Deleted", "Noshow", "Blocked"}) {
    if (iequals(d, s)) return "declined";
  }
  return nullptr;
}

// The SIU event (MSH-9.2, table 0003) as a number (12..26), 0 if unknown.
int siu_event(const MappingContext& ctx) {
  const std::string& e = ctx.trigger_event();
  if (e.size() != 3 || e[0] != 'S' || !std::isdigit(static_cast<unsigned char>(e[1])) ||
      !std::isdigit(static_cast<unsigned char>(e[2])))
    return 0;
  return (e[1] - '0') * 10 + (e[2] - '0');
}

// The status an event sets whatever SCH-25 says; nullptr for events that
// take it from SCH-25.
const char* forced_status(int event) {
  switch (event) {
    case 15:  // cancellation
    case 16:  // discontinuation (R4 has no "discontinued")
      return "cancelled";
    case 17:
      return "entered-in-error";
    case 26:
      return "noshow";
    default:
      return nullptr;
  }
}

// S23/S24 announce a blocked or opened time slot of the resources they
// name, not an appointment: a Slot in a Schedule whose actors they are.
bool slot_event(int event) { return event == 23 || event == 24; }

// S20..S22 cancel, discontinue or delete the services/resources they name.
bool event_removes_resources(int event) { return event >= 20 && event <= 22; }

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

// Segment action code (AIx-2, RGS-2; table 0206): true for D (delete).
// A (add), U (update) and X (no change) say how the segment changes the
// appointment; the conditional update always sends the whole appointment,
// so they need no element.
bool action_deletes(MappingContext& ctx, const Seg& seg, int field) {
  std::string code = seg.text(field, 1);
  if (code.empty() || code == "A" || code == "U" || code == "X") return false;
  if (code == "D") return true;
  ctx.warning(MappingContext::location(seg, field), "segment action code not in table 0206");
  return false;
}

// The RGS of the resource group `index` belongs to deletes the group.
bool group_deleted(MappingContext& ctx, size_t index) {
  const hl7::Message& m = ctx.message();
  for (size_t i = index; i > 0; --i) {
    std::string_view id = m.segment(i - 1).id();
    if (id == "SCH") return false;
    if (id == "RGS") return ctx.segment(i - 1).text(2) == "D";  // RGS-2, read by map_rgs too
  }
  return false;
}

// Start of a resource: its start field, else the appointment start plus the
// offset (start + 1, units start + 2).
std::string resource_start(MappingContext& ctx, const Seg& seg, const JsonValue& appt,
                           int start_field) {
  std::string start = lenient_time(ctx, seg, start_field, TimeKind::kDateTime);
  std::string offset = seg.text(start_field + 1), units = seg.text(start_field + 2, 1);
  if (!start.empty() || offset.empty()) return start;
  long minutes = duration_minutes(offset, units);
  const JsonValue* base = appt.find("start");
  std::string shifted = minutes >= 0 && base != nullptr ? add_minutes(base->text(), minutes) : "";
  if (shifted.empty()) {
    ctx.warning(MappingContext::location(seg, start_field + 1),
                "start offset without an appointment start or in unknown units; not mapped");
  }
  return shifted;
}

// S23/S24: a resource segment names an actor of the slot's Schedule. Its
// type, group, timing and status have no Schedule element (the Slot holds
// the time): warned.
void add_schedule_actor(MappingContext& ctx, const Seg& seg, EntryRef actor, int type_field,
                        int group_field, int start_field, int duration_field,
                        int substitution_field, int status_field) {
  EntryRef schedule = last_of_type(ctx, "Schedule");
  ctx.cursor.note_target = last_of_type(ctx, "Slot");
  ctx.cursor.note_owner = std::string(seg.id());
  action_deletes(ctx, seg, 2);
  if (schedule == kNoEntry || actor == kNoEntry) {
    ctx.warning(MappingContext::location(seg, 3), "resource without a schedule not mapped");
    return;
  }
  for (int f : {type_field, group_field, start_field, start_field + 1, start_field + 2,
                duration_field, duration_field + 1, substitution_field, status_field}) {
    if (f > 0 && seg.field(f).has_value())
      ctx.warning(MappingContext::location(seg, f), "resource detail not mapped for a slot");
  }
  JsonValue& sched = ctx.resource(schedule);
  JsonValue* actors = sched.find_mutable("actor");
  // The placeholder (data-absent-reason) made by map_slot gives way, and the
  // message's actors are united with the stored ones by reference (S23/S24
  // each name the resources of one slot, not every actor of the schedule).
  if (actors->items().size() == 1 && actors->items()[0].find("reference") == nullptr) {
    actors->mutable_items().clear();
    PartialUpdate& partial = ctx.entries()[schedule].partial;
    partial.keep_stored.clear();
    partial.merge_by = {{"actor", "reference"}};
  }
  JsonValue ref = ctx.reference(actor);
  for (const JsonValue& a : actors->items()) {
    if (a.find("reference")->text() == ref.find("reference")->text()) return;
  }
  actors->push(std::move(ref));
}

// Adds a resource participant: actor (may be kNoEntry), type from CWE field
// `type_field` (0 = none), period from start/offset/duration fields, status
// from the filler status field, and warns the fields Appointment has no
// element for (`group_field` resource group, `substitution_field`).
void add_resource(MappingContext& ctx, const Seg& seg, EntryRef actor, int type_field,
                  int group_field, int start_field, int duration_field, int substitution_field,
                  int status_field) {
  if (slot_event(siu_event(ctx))) {
    add_schedule_actor(ctx, seg, actor, type_field, group_field, start_field, duration_field,
                       substitution_field, status_field);
    return;
  }
  EntryRef appt = appointment_with_patient(ctx);
  if (appt == kNoEntry) {
    ctx.warning(MappingContext::location(seg), "resource without an appointment not mapped");
    return;
  }
  ctx.cursor.note_target = appt;
  ctx.cursor.note_owner = std::string(seg.id());
  bool deleted = action_deletes(ctx, seg, 2) || group_deleted(ctx, seg.view.index());
  if (group_field > 0 && seg.field(group_field).has_value())
    ctx.warning(MappingContext::location(seg, group_field), "resource group not mapped");
  if (seg.field(substitution_field).has_value()) {
    ctx.warning(MappingContext::location(seg, substitution_field),
                "allow substitution code not mapped");
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
  if (code.empty() && (deleted || event_removes_resources(siu_event(ctx)))) status = "declined";
  p.add("status", JsonValue::make_string(status));
  std::string start = resource_start(ctx, seg, ctx.resource(appt), start_field);
  long minutes = duration_minutes(seg.text(duration_field), seg.text(duration_field + 1, 1));
  if (minutes < 0 && !seg.text(duration_field).empty()) {
    ctx.warning(MappingContext::location(seg, duration_field + 1),
                "duration units not convertible to minutes; not mapped");
  }
  if (!start.empty()) {
    JsonValue period = JsonValue::make_object();
    period.add("start", JsonValue::make_string(start));
    std::string end = minutes > 0 ? add_minutes(start, minutes) : std::string();
    if (!end.empty()) period.add("end", JsonValue::make_string(end));
    p.add("period", std::move(period));
  } else if (minutes > 0) {
    ctx.warning(MappingContext::location(seg, duration_field),
                "resource duration without a start not mapped");
  }
  JsonValue& a = ctx.resource(appt);
  JsonValue* parts = a.find_mutable("participant");
  if (actor != kNoEntry && parts != nullptr) {
    JsonValue ref = ctx.reference(actor);
    for (JsonValue& q : parts->mutable_items()) {
      const JsonValue* qa = q.find("actor");
      if (qa == nullptr || qa->find("reference")->text() != ref.find("reference")->text()) continue;
      // A contact (SCH-12/16/20) who is also a resource: the resource's
      // participation says more. The same resource named twice: first wins.
      const JsonValue* required = q.find("required");
      if (required != nullptr && required->text() == "information-only") q = std::move(p);
      return;
    }
  }
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
  return ctx.add("Device", key, std::move(device));
}

// Appends `items` to resource[key] (an array), creating it.
void append_all(JsonValue& resource, std::string_view key, std::vector<JsonValue> items) {
  if (items.empty()) return;
  JsonValue* arr = resource.find_mutable(key);
  if (arr == nullptr) arr = &resource.add(std::string(key), JsonValue::make_array());
  for (JsonValue& v : items) arr->push(std::move(v));
}

// SCH contact person `person_field` (XCN) with its phone and address fields
// (0 = none) and location field -> an information-only participant.
void add_contact(MappingContext& ctx, const Seg& seg, JsonValue& appt, int person_field,
                 int phone_field, int address_field, int location_field, JsonValue type) {
  EntryRef who = practitioner_from_xcn(ctx, seg.at(person_field, 1),
                                       MappingContext::location(seg, person_field));
  int extra = 0;
  for (const hl7::Element& e : seg.field(person_field).children()) {
    (void)e;
    ++extra;
  }
  if (extra > 1) {
    ctx.warning(MappingContext::location(seg, person_field, 0, 2),
                "further contact persons not mapped");
  }
  std::vector<JsonValue> phones = contact_points_field(ctx, seg, phone_field, "work");
  std::vector<JsonValue> addresses =
      address_field > 0 ? addresses_field(ctx, seg, address_field) : std::vector<JsonValue>{};
  if (seg.field(location_field).has_value())
    ctx.warning(MappingContext::location(seg, location_field), "contact location not mapped");
  if (who == kNoEntry) {
    if (!phones.empty() || !addresses.empty()) {
      ctx.warning(MappingContext::location(seg, phone_field),
                  "contact details without a contact person not mapped");
    }
    return;
  }
  JsonValue& person = ctx.resource(who);
  if (person.find("telecom") == nullptr) append_all(person, "telecom", std::move(phones));
  if (person.find("address") == nullptr) append_all(person, "address", std::move(addresses));
  JsonValue ref = ctx.reference(who);
  if (has_actor(appt, ref)) return;
  JsonValue p = JsonValue::make_object();
  p.add("type", JsonValue::make_array()).push(std::move(type));
  p.add("actor", std::move(ref));
  p.add("required", JsonValue::make_string("information-only"));
  p.add("status", JsonValue::make_string("accepted"));
  push_participant(appt, std::move(p));
}

JsonValue contact_type(std::string_view system, std::string_view code, std::string_view display,
                       std::string_view text) {
  JsonValue c = make_concept(system, code, display);
  c.add("text", JsonValue::make_string(std::string(text)));
  return c;
}

// Appointment.start/end absent: a data-absent-reason on each (app-3 allows
// absence only for proposed, cancelled and waitlisted appointments).
void absent_timing(JsonValue& appt) {
  for (const char* key : {"_start", "_end"}) appt.add(key, data_absent_element("unknown"));
}

// S23/S24: the SCH mapped as an appointment (`appt`) becomes a Slot
// (busy-unavailable / free) in a Schedule identified by SCH-5, else by the
// slot. Schedule.actor (1..*) is filled by the resource segments; until one
// comes it holds a data-absent-reason.
void map_slot(MappingContext& ctx, const Seg& seg, JsonValue appt, const std::string& key,
              int event) {
  JsonValue schedule = JsonValue::make_object();
  schedule.add("resourceType", JsonValue::make_string("Schedule"));
  std::string schedule_id = seg.text(5, 1), schedule_text = seg.text(5, 2);
  std::string schedule_key = "slot|" + key;
  if (!schedule_id.empty() || !schedule_text.empty()) {
    JsonValue id = JsonValue::make_object();
    id.add("system", JsonValue::make_string(ctx.sender_urn() + ":schedule"));
    id.add("value", JsonValue::make_string(!schedule_id.empty() ? schedule_id : schedule_text));
    schedule_key = identifier_key(id);
    schedule.add("identifier", JsonValue::make_array()).push(std::move(id));
    if (!schedule_text.empty()) schedule.add("comment", JsonValue::make_string(schedule_text));
  }
  schedule.add("active", JsonValue::make_bool(true));
  schedule.add("actor", JsonValue::make_array()).push(data_absent_element("unknown"));
  const size_t entries_before = ctx.entries().size();
  EntryRef schedule_ref = ctx.add("Schedule", schedule_key, std::move(schedule));
  // The actors this message names join the stored ones (add_schedule_actor);
  // until it names one, the placeholder leaves the stored actors as they are.
  if (ctx.entries().size() > entries_before)
    ctx.entries()[schedule_ref].partial.keep_stored.push_back("actor");

  JsonValue slot = JsonValue::make_object();
  slot.add("resourceType", JsonValue::make_string("Slot"));
  if (JsonValue* ids = appt.find_mutable("identifier")) slot.add("identifier", std::move(*ids));
  if (JsonValue* type = appt.find_mutable("appointmentType"))
    slot.add("appointmentType", std::move(*type));
  slot.add("schedule", ctx.reference(schedule_ref));
  slot.add("status", JsonValue::make_string(event == 23 ? "busy-unavailable" : "free"));
  // Slot.start/end are 1..1: absent ones carry the data-absent-reason that
  // map_sch put on the appointment.
  for (const char* k : {"start", "end", "_start", "_end"}) {
    if (JsonValue* v = appt.find_mutable(k)) slot.add(k, std::move(*v));
  }
  if (slot.find("end") == nullptr && slot.find("_end") == nullptr)
    slot.add("_end", data_absent_element("unknown"));
  // What an appointment has and a slot has not.
  if (appt.find("reasonCode") != nullptr)
    ctx.warning(MappingContext::location(seg, 7), "appointment reason not mapped for a slot");
  if (appt.find("basedOn") != nullptr)
    ctx.warning(MappingContext::location(seg, 26), "order numbers not mapped for a slot");
  if (appt.find("patientInstruction") != nullptr)
    ctx.warning(MappingContext::location(seg),
                "patient instruction (TQ1-11) not mapped for a slot");
  EntryRef ref = ctx.add("Slot", key, std::move(slot));
  ctx.add_focus(ref);
  ctx.cursor.note_target = ref;  // NTE after SCH: Slot.comment
  ctx.cursor.note_owner = "SCH";
}

}  // namespace

void append_comment(JsonValue& appointment, std::string text) {
  if (text.empty()) return;
  JsonValue* c = appointment.find_mutable("comment");
  if (c == nullptr) {
    appointment.add("comment", JsonValue::make_string(std::move(text)));
    return;
  }
  std::string joined = c->text() + "\n" + text;
  *c = JsonValue::make_string(std::move(joined));
}

void map_sch(MappingContext& ctx, const Seg& seg) {
  ctx.cursor.note_target = kNoEntry;
  if (!message_is(ctx, "SIU")) {
    ctx.warning(MappingContext::location(seg), "segment not mapped");
    return;
  }
  const hl7::Message& m = ctx.message();
  // Appointment.participant is 1..*: with no patient, resource or contact
  // there is no one the appointment could name without inventing them.
  int event = siu_event(ctx);
  bool slot = slot_event(event);
  if (!slot && !m.find("PID") && !m.find("AIG") && !m.find("AIL") && !m.find("AIP") &&
      !seg.view.field(12).has_value() && !seg.view.field(16).has_value() &&
      !seg.view.field(20).has_value()) {
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
  JsonValue group =
      identifier_from_ei(ctx, read_ei(seg.at(4, 1)), "PGN", MappingContext::location(seg, 4));
  std::string key = !filler.empty()   ? identifier_key(filler)
                    : !placer.empty() ? identifier_key(placer)
                                      : "";
  if (!filler.empty() || !placer.empty()) {
    JsonValue& ids = appt.add("identifier", JsonValue::make_array());
    if (!filler.empty()) ids.push(std::move(filler));
    if (!placer.empty()) ids.push(std::move(placer));
    if (!group.empty()) ids.push(std::move(group));
  } else {
    ctx.warning(MappingContext::location(seg, 2), "appointment without placer or filler ID");
    key = "MSH|" + trim(m.header().control_id) + "|" + std::to_string(seg.occurrence);
    if (!group.empty()) {
      ctx.warning(MappingContext::location(seg, 4),
                  "placer group number without an appointment ID not mapped");
    }
  }
  // Fields Appointment has no element for.
  if (seg.field(3).has_value())
    ctx.warning(MappingContext::location(seg, 3), "occurrence number not mapped");
  if (!slot && seg.field(5).has_value())  // S23/S24: the Schedule's identifier
    ctx.warning(MappingContext::location(seg, 5), "schedule ID not mapped");
  for (int f : {23, 24}) {
    if (seg.field(f).has_value())
      ctx.warning(MappingContext::location(seg, f), "parent appointment ID not mapped");
  }

  // Status: the event's when it forces one, else SCH-25, else booked. A
  // slot's status is the event's (S23 blocked, S24 opened); SCH-25 repeats it.
  std::string filler_status = seg.text(25, 1);
  if (slot && !filler_status.empty() && !iequals(filler_status, "Blocked") && event == 23) {
    ctx.warning(MappingContext::location(seg, 25),
                "filler status contradicts the event; the event's status is used");
  }
  if (slot) filler_status.clear();
  const char* from_sch = filler_status.empty() ? nullptr : appointment_status(filler_status);
  if (!filler_status.empty() && from_sch == nullptr) {
    ctx.warning(MappingContext::location(seg, 25),
                "filler status code has no appointment status; the event's is used");
  }
  const char* status = forced_status(event);
  if (status != nullptr && from_sch != nullptr && std::string_view(from_sch) != status) {
    ctx.warning(MappingContext::location(seg, 25),
                "filler status contradicts the event; the event's status is used");
  }
  if (status == nullptr) status = from_sch != nullptr ? from_sch : "booked";
  appt.add("status", JsonValue::make_string(status));
  // SCH-6 event reason: the reason of the event, i.e. of the message
  // Provenance (SIU has no EVN to give one), and the cancellation reason of
  // the events that cancel.
  JsonValue reason6 = codeable_concept_field(ctx, seg, 6);
  if (!reason6.empty()) {
    if (ctx.event_info.reason.empty()) ctx.event_info.reason = reason6;
    // app-4: only a cancelled or no-show appointment has a cancelationReason.
    if (std::string_view(status) == "cancelled" || std::string_view(status) == "noshow")
      appt.add("cancelationReason", std::move(reason6));
  }

  // SCH-7 / SCH-8 (IG: by the table they are coded in).
  JsonValue reason = codeable_concept_field(ctx, seg, 7);
  if (!reason.empty()) {
    if (seg.text(7, 3) == "HL70277") {
      appt.add("appointmentType", std::move(reason));
    } else {
      appt.add("reasonCode", JsonValue::make_array()).push(std::move(reason));
    }
  }
  JsonValue type = codeable_concept_field(ctx, seg, 8);
  if (!type.empty()) {
    if (appt.find("appointmentType") == nullptr) {
      appt.add("appointmentType", std::move(type));
    } else {
      ctx.warning(MappingContext::location(seg, 8),
                  "appointment type not mapped (SCH-7 already gave one)");
    }
  }

  // Timing: the first TQ1 after SCH, SCH-11 as the fallback.
  bool timing_absent = false;
  std::string start, end;
  long minutes = -1;
  std::string instruction;
  for (size_t i = seg.view.index() + 1; i < m.segment_count(); ++i) {
    std::string_view id = m.segment(i).id();
    if (id == "NTE") continue;
    if (id != "TQ1") break;
    Seg tq1 = ctx.segment(i);
    start = lenient_time(ctx, tq1, 7, TimeKind::kInstant);
    end = lenient_time(ctx, tq1, 8, TimeKind::kInstant);
    minutes = duration_minutes(tq1.text(6, 1), tq1.text(6, 2));
    if (minutes < 0 && !tq1.text(6, 1).empty()) {
      ctx.warning(MappingContext::location(tq1, 6),
                  "duration units not convertible to minutes; not mapped");
    }
    if (!tq1.text(9, 1).empty())
      ctx.warning(MappingContext::location(tq1, 9), "appointment priority not mapped");
    instruction = tq1.text(11);
    break;
  }
  std::string sch_start = lenient_time(ctx, seg, 11, TimeKind::kInstant, 4);
  std::string sch_end = lenient_time(ctx, seg, 11, TimeKind::kInstant, 5);
  if (start.empty()) {
    start = sch_start;
  } else if (!sch_start.empty() && sch_start != start) {
    ctx.warning(MappingContext::location(seg, 11, 4),
                "timing differs from TQ1; the TQ1 start is used");
  }
  if (end.empty()) end = sch_end;
  long sch_minutes = duration_minutes(seg.text(9), seg.text(10, 1));
  if (sch_minutes < 0 && !seg.text(9).empty()) {
    ctx.warning(MappingContext::location(seg, 10),
                "duration units not convertible to minutes; not mapped");
  }
  if (minutes < 0) minutes = sch_minutes;
  if (minutes > 0) appt.add("minutesDuration", JsonValue::make_number(std::to_string(minutes)));
  if (!start.empty() && end.empty() && minutes > 0) end = add_minutes(start, minutes);
  if (!start.empty() && !end.empty()) {
    appt.add("start", JsonValue::make_string(start));
    appt.add("end", JsonValue::make_string(end));
  } else if (std::string_view(status) != "proposed" && std::string_view(status) != "cancelled" &&
             std::string_view(status) != "waitlist") {
    ctx.warning(MappingContext::location(seg, 11),
                "appointment start and end (or duration) missing; marked absent");
    absent_timing(appt);
    timing_absent = true;
  } else if (!start.empty()) {
    // app-2: start and end together or neither; this status may have neither.
    ctx.warning(MappingContext::location(seg, 11),
                "appointment start without end or duration not mapped");
  }
  if (!instruction.empty())
    appt.add("patientInstruction", JsonValue::make_string(std::move(instruction)));

  // SCH-26/27 placer/filler order numbers: the ServiceRequest by identifier.
  JsonValue based_on = JsonValue::make_array();
  for (auto [field, id_type] : {std::pair{26, "PLAC"}, std::pair{27, "FILL"}}) {
    JsonValue id = identifier_from_ei(ctx, read_ei(seg.at(field, 1)), id_type,
                                      MappingContext::location(seg, field));
    if (id.empty()) continue;
    JsonValue ref = JsonValue::make_object();
    ref.add("type", JsonValue::make_string("ServiceRequest"));
    ref.add("identifier", std::move(id));
    based_on.push(std::move(ref));
  }
  if (!based_on.empty()) appt.add("basedOn", std::move(based_on));

  // Contacts (IG: participants typed "placer contact", "filler contact" and
  // enterer; see README Deviations for the codes).
  const char* kV3 = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType";
  if (slot) {
    EntryRef enterer = practitioner_from_xcn(ctx, seg.at(20, 1), MappingContext::location(seg, 20));
    if (enterer != kNoEntry && ctx.event_info.enterer == kNoEntry) ctx.event_info.enterer = enterer;
    for (int f : {12, 13, 14, 15, 16, 17, 18, 19, 21, 22}) {
      if (seg.field(f).has_value())
        ctx.warning(MappingContext::location(seg, f), "contact not mapped for a slot");
    }
    map_slot(ctx, seg, std::move(appt), key, event);
    return;
  }
  add_contact(ctx, seg, appt, 12, 13, 14, 15,
              contact_type(kV3, "CALLBCK", "callback contact", "placer contact"));
  add_contact(ctx, seg, appt, 16, 17, 18, 19,
              contact_type(kV3, "CALLBCK", "callback contact", "filler contact"));
  // SCH-20 is also the enterer of the message Provenance (IG SCH[Provenance]).
  EntryRef enterer = practitioner_from_xcn(ctx, seg.at(20, 1), MappingContext::location(seg, 20));
  if (enterer != kNoEntry && ctx.event_info.enterer == kNoEntry) ctx.event_info.enterer = enterer;
  add_contact(ctx, seg, appt, 20, 21, 0, 22,
              contact_type("http://terminology.hl7.org/CodeSystem/provenance-participant-type",
                           "enterer", "Enterer", "entered by"));

  const size_t entries_before = ctx.entries().size();
  EntryRef ref = ctx.add("Appointment", key, std::move(appt));
  if (event_removes_resources(event) && ctx.entries().size() > entries_before) {
    // S20..S22 change some of the appointment's resources: the participants
    // they name replace the stored ones with the same actor, the others stay;
    // the status they default to and absent timing are no news.
    PartialUpdate& partial = ctx.entries()[ref].partial;
    partial.merge_by = {{"participant", "actor.reference"}};
    // A kept status keeps its reason (app-4: only a cancelled or no-show
    // appointment has one, and this message's default "booked" has none).
    if (from_sch == nullptr)
      partial.keep_stored.insert(partial.keep_stored.end(), {"status", "cancelationReason"});
    if (timing_absent)
      partial.keep_stored.insert(partial.keep_stored.end(), {"start", "end", "minutesDuration"});
  }
  ctx.add_focus(ref);
  ctx.cursor.note_target = ref;  // NTE after SCH: Appointment.comment
  ctx.cursor.note_owner = "SCH";
}

void map_rgs(MappingContext& ctx, const Seg& seg) {
  EntryRef appt =
      slot_event(siu_event(ctx)) ? last_of_type(ctx, "Slot") : appointment_with_patient(ctx);
  action_deletes(ctx, seg, 2);  // a deleted group declines its resources (group_deleted)
  if (seg.field(3).has_value())
    ctx.warning(MappingContext::location(seg, 3), "resource group ID not mapped");
  ctx.cursor.note_target = appt;
  ctx.cursor.note_owner = "RGS";
}

void map_ais(MappingContext& ctx, const Seg& seg) {
  // S23/S24: the service of the slot (Slot.serviceType).
  EntryRef appt =
      slot_event(siu_event(ctx)) ? last_of_type(ctx, "Slot") : appointment_with_patient(ctx);
  if (appt == kNoEntry) {
    ctx.warning(MappingContext::location(seg), "service without an appointment not mapped");
    return;
  }
  ctx.cursor.note_target = appt;
  ctx.cursor.note_owner = "AIS";
  bool deleted = action_deletes(ctx, seg, 2);
  JsonValue service = codeable_concept_field(ctx, seg, 3);
  JsonValue& a = ctx.resource(appt);
  if (!service.empty()) {
    if (event_removes_resources(siu_event(ctx)) && (deleted || seg.text(2).empty())) {
      // A service taken off an appointment that stays: serviceType has no
      // status. (A cancelled or deleted appointment keeps its services.)
      ctx.warning(MappingContext::location(seg, 3), "service removed from the appointment");
    } else {
      JsonValue* arr = a.find_mutable("serviceType");
      if (arr == nullptr) arr = &a.add("serviceType", JsonValue::make_array());
      arr->push(std::move(service));
    }
  }
  // AIS is no participant: its timing and status are checked against the
  // appointment's and warned when they differ.
  std::string start = resource_start(ctx, seg, a, 4);
  const JsonValue* appt_start = a.find("start");
  if (!start.empty() && (appt_start == nullptr || appt_start->text() != start)) {
    ctx.warning(MappingContext::location(seg, 4),
                "service start differs from the appointment start; not mapped");
  }
  long minutes = duration_minutes(seg.text(7), seg.text(8, 1));
  const JsonValue* appt_minutes = a.find("minutesDuration");
  if (!seg.text(7).empty() &&
      (minutes < 0 || appt_minutes == nullptr || appt_minutes->text() != std::to_string(minutes))) {
    ctx.warning(MappingContext::location(seg, 7),
                "service duration differs from the appointment duration; not mapped");
  }
  if (seg.field(9).has_value())
    ctx.warning(MappingContext::location(seg, 9), "allow substitution code not mapped");
  std::string code = seg.text(10, 1);
  const char* status = code.empty() ? nullptr : appointment_status(code);
  if (!code.empty() && (status == nullptr || a.find("status")->text() != status)) {
    ctx.warning(MappingContext::location(seg, 10),
                "service filler status differs from the appointment status; not mapped");
  }
  for (int f : {11, 12}) {
    if (seg.field(f).has_value())
      ctx.warning(MappingContext::location(seg, f), "supplemental service information not mapped");
  }
}

void map_aig(MappingContext& ctx, const Seg& seg) {
  if (seg.field(6).has_value() || seg.field(7).has_value())
    ctx.warning(MappingContext::location(seg, 6), "resource quantity not mapped");
  add_resource(ctx, seg, device_from_cwe(ctx, seg, 3), 4, 5, 8, 11, 13, 14);
}

void map_ail(MappingContext& ctx, const Seg& seg) {
  EntryRef where = location_from_pl_field(ctx, seg, 3);
  // AIL-4 location type: the Location's type (the IG leaves it unmapped).
  JsonValue type = codeable_concept_field(ctx, seg, 4);
  if (!type.empty()) {
    if (where != kNoEntry && ctx.resource(where).find("type") == nullptr) {
      ctx.resource(where).add("type", JsonValue::make_array()).push(std::move(type));
    } else if (where == kNoEntry) {
      ctx.warning(MappingContext::location(seg, 4), "location type without a location not mapped");
    }
  }
  add_resource(ctx, seg, where, 0, 5, 6, 9, 11, 12);
}

void map_aip(MappingContext& ctx, const Seg& seg) {
  EntryRef who = practitioner_from_xcn(ctx, seg.at(3, 1), MappingContext::location(seg, 3));
  add_resource(ctx, seg, who, 4, 5, 6, 9, 11, 12);
}

}  // namespace gw::v2fhir
