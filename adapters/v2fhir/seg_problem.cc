// Problem messages (PPR^PC1/PC2/PC3): PRB -> Condition on the problem list
// (FHIR R4 Condition v2 mappings: identifier PRB-4, code PRB-3, clinical
// status PRB-14, verification status PRB-13, onset PRB-16, abatement PRB-9),
// the OBX of a problem as its evidence, and ROL wherever it follows (IG ROL
// maps: Encounter.participant, Patient.generalPractitioner, CareTeam).
#include <string>
#include <utility>

#include "adapters/v2fhir/adt.h"
#include "adapters/v2fhir/clinical.h"
#include "adapters/v2fhir/datatypes.h"
#include "adapters/v2fhir/finance.h"
#include "adapters/v2fhir/segments.h"

namespace gw::v2fhir {

using fhir::JsonValue;

namespace {

std::string lower(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

// PRB-14 life cycle status (user-defined table) -> condition-clinical: the
// FHIR codes themselves, or the usual one-letter codes.
const char* clinical_status(const std::string& code) {
  static const char* kCodes[] = {"active",   "recurrence", "relapse",
                                 "inactive", "remission",  "resolved"};
  std::string c = lower(code);
  for (const char* k : kCodes) {
    if (c == k) return k;
  }
  if (c == "a") return "active";
  if (c == "i") return "inactive";
  if (c == "r") return "resolved";
  return nullptr;
}

// PRB-13 confirmation status (user-defined table) -> condition-ver-status.
const char* verification_status(const std::string& code) {
  static const char* kCodes[] = {"unconfirmed", "provisional", "differential",
                                 "confirmed",   "refuted",     "entered-in-error"};
  std::string c = lower(code);
  for (const char* k : kCodes) {
    if (c == k) return k;
  }
  if (c == "c") return "confirmed";
  if (c == "p") return "provisional";
  if (c == "d") return "differential";
  if (c == "u") return "unconfirmed";
  if (c == "r") return "refuted";
  return nullptr;
}

// ROL-5/6 role begin and end.
JsonValue period(MappingContext& ctx, const Seg& seg) {
  std::string start = time_field(ctx, seg, 5, TimeKind::kDateTime);
  std::string end = time_field(ctx, seg, 6, TimeKind::kDateTime);
  return period_of(start, end);
}

// The segment a ROL belongs to: the nearest one before it that is not a
// ROL, NTE or other participation/detail segment.
std::string_view rol_anchor(const MappingContext& ctx, const Seg& seg) {
  for (size_t i = seg.view.index(); i > 0; --i) {
    std::string_view id = ctx.message().segment(i - 1).id();
    if (id == "ROL" || id == "NTE" || id == "VAR") continue;
    return id;
  }
  return {};
}

// A CareTeam per problem (reasonReference the Condition) or per patient.
EntryRef care_team(MappingContext& ctx, EntryRef condition) {
  std::string key = "careteam|" + ctx.cursor.patient_key;
  if (condition != kNoEntry) key += "|" + ctx.entry(condition).id;
  EntryRef team = ctx.find("CareTeam", key);
  if (team != kNoEntry) return team;
  JsonValue t = JsonValue::make_object();
  t.add("resourceType", JsonValue::make_string("CareTeam"));
  t.add("status", JsonValue::make_string("active"));
  t.add("subject", ctx.reference(ctx.cursor.patient));
  if (condition != kNoEntry) {
    t.add("reasonReference", JsonValue::make_array()).push(ctx.reference(condition));
  }
  return ctx.add("CareTeam", key, std::move(t));
}

}  // namespace

namespace {
void prb(MappingContext& ctx, const Seg& seg) {
  if (!has_patient(ctx, seg)) return;
  JsonValue c = JsonValue::make_object();
  c.add("resourceType", JsonValue::make_string("Condition"));
  JsonValue identifier =
      identifier_from_ei(ctx, read_ei(seg.at(4, 1)), "", MappingContext::location(seg, 4));
  JsonValue code = codeable_concept_field(ctx, seg, 3);
  std::string onset = time_field(ctx, seg, 16, TimeKind::kDateTime);
  std::string key;
  if (!identifier.empty()) {
    key = identifier_key(identifier);
    c.add("identifier", JsonValue::make_array()).push(std::move(identifier));
  } else {
    ctx.warning(MappingContext::location(seg, 4),
                "no problem instance id: problem identified by patient, code and onset");
    key = ctx.cursor.patient_key + "|problem|" + code_key(code) + "|" + onset;
  }
  // PRB-1 action code DE, or the delete event PC3, withdraws the problem.
  std::string action = seg.text(1);
  bool deleted = action == "DE" || ctx.trigger_event() == "PC3";
  std::string clinical_code = seg.text(14, 1);
  if (!deleted && !clinical_code.empty()) {
    if (const char* s = clinical_status(clinical_code)) {
      c.add("clinicalStatus",
            make_concept("http://terminology.hl7.org/CodeSystem/condition-clinical", s));
    } else {
      ctx.warning(MappingContext::location(seg, 14), "problem life cycle status not mapped");
    }
  } else if (deleted && !seg.field(14).empty()) {
    // con-5: no clinicalStatus on an entered-in-error Condition.
    ctx.warning(MappingContext::location(seg, 14),
                "life cycle status of a deleted problem not mapped");
  }
  std::string verification_code = seg.text(13, 1);
  const char* verification = deleted ? "entered-in-error" : nullptr;
  if (!deleted && !verification_code.empty()) {
    verification = verification_status(verification_code);
    if (verification == nullptr) {
      ctx.warning(MappingContext::location(seg, 13), "problem confirmation status not mapped");
    }
  } else if (deleted && !verification_code.empty()) {
    ctx.warning(MappingContext::location(seg, 13),
                "confirmation status of a deleted problem not mapped");
  }
  if (verification != nullptr) {
    c.add("verificationStatus",
          make_concept("http://terminology.hl7.org/CodeSystem/condition-ver-status", verification));
  }
  JsonValue& categories = c.add("category", JsonValue::make_array());
  categories.push(make_concept("http://terminology.hl7.org/CodeSystem/condition-category",
                               "problem-list-item", "Problem List Item"));
  JsonValue classification = codeable_concept_field(ctx, seg, 10);
  if (!classification.empty()) categories.push(std::move(classification));
  if (!code.empty()) {
    c.add("code", std::move(code));
  } else {
    ctx.warning(MappingContext::location(seg, 3), "problem code missing");
  }
  c.add("subject", ctx.reference(ctx.cursor.patient));
  if (ctx.cursor.encounter != kNoEntry) c.add("encounter", ctx.reference(ctx.cursor.encounter));
  std::string onset_text = seg.text(17);
  if (!onset.empty()) {
    c.add("onsetDateTime", JsonValue::make_string(onset));
    if (!onset_text.empty()) add_note(c, onset_text);
  } else if (!onset_text.empty()) {
    c.add("onsetString", JsonValue::make_string(onset_text));
  }
  std::string resolved = time_field(ctx, seg, 9, TimeKind::kDateTime);
  if (!resolved.empty()) c.add("abatementDateTime", JsonValue::make_string(resolved));
  // Recorded: PRB-7 established, else PRB-2 the action date/time.
  std::string established = time_field(ctx, seg, 7, TimeKind::kDateTime);
  std::string action_time = time_field(ctx, seg, 2, TimeKind::kDateTime);
  if (!established.empty()) {
    c.add("recordedDate", JsonValue::make_string(established));
    if (!action_time.empty()) {
      ctx.warning(MappingContext::location(seg, 2),
                  "action date/time not mapped (PRB-7 gives recordedDate)");
    }
  } else if (!action_time.empty()) {
    c.add("recordedDate", JsonValue::make_string(action_time));
  }
  EntryRef ref = ctx.add("Condition", key, std::move(c));
  ctx.add_focus(ref);
  ctx.cursor.problem = ref;
  ctx.cursor.note_target = ref;
  ctx.cursor.note_owner = "PRB";
}
}  // namespace

void map_prb(MappingContext& ctx, const Seg& seg) { map_leniently(ctx, seg, prb); }

void map_obx_problem(MappingContext& ctx, const Seg& seg) {
  EntryRef problem = message_is(ctx, "PPR") ? ctx.cursor.problem : kNoEntry;
  EntryRef before = ctx.cursor.note_target;
  map_obx_routed(ctx, seg);
  EntryRef obs = ctx.cursor.note_target;
  if (problem == kNoEntry || ctx.cursor.note_owner != "OBX" || obs == before) return;
  JsonValue detail = JsonValue::make_object();
  detail.add("detail", JsonValue::make_array()).push(ctx.reference(obs));
  append(ctx.resource(problem), "evidence", std::move(detail));
}

namespace {
void rol(MappingContext& ctx, const Seg& seg) {
  if (!has_patient(ctx, seg)) return;
  std::string action = seg.text(2);  // v2-0287: AD/CO/UC/UP add or keep; DE removes
  if (action == "DE") {
    ctx.warning(MappingContext::location(seg, 2), "role removal not mapped");
    return;
  }
  JsonValue role = codeable_concept_field(ctx, seg, 3, 1, "0443");
  std::string role_code = seg.text(3, 1);
  JsonValue p = period(ctx, seg);
  std::string_view anchor = rol_anchor(ctx, seg);
  for (EntryRef person : practitioner_entries(ctx, seg, 4)) {
    JsonValue ref = ctx.reference(person);
    if ((anchor == "PV1" || anchor == "PV2") && ctx.cursor.encounter != kNoEntry) {
      // IG ROL[Encounter-PractitionerRole]: Encounter.participant.
      JsonValue part = JsonValue::make_object();
      if (!role.empty()) part.add("type", JsonValue::make_array()).push(role);
      if (!p.empty()) part.add("period", p);
      part.add("individual", std::move(ref));
      append(ctx.resource(ctx.cursor.encounter), "participant", std::move(part));
    } else if (anchor == "PR1" && ctx.cursor.note_owner == "PR1" &&
               ctx.cursor.note_target != kNoEntry) {
      JsonValue perf = JsonValue::make_object();
      if (!role.empty()) perf.add("function", role);
      perf.add("actor", std::move(ref));
      append(ctx.resource(ctx.cursor.note_target), "performer", std::move(perf));
    } else if ((anchor == "PID" || anchor == "PD1") && role_code == "PP") {
      // IG ROL[Patient-GeneralPractitioner]: the primary care provider.
      JsonValue& patient = ctx.resource(ctx.cursor.patient);
      bool known = false;
      if (const JsonValue* gps = patient.find("generalPractitioner")) {
        for (const JsonValue& g : gps->items()) {
          const JsonValue* a = g.find("reference");
          known = known || (a != nullptr && a->text() == ref.find("reference")->text());
        }
      }
      if (!known) append(patient, "generalPractitioner", std::move(ref));
    } else {
      // IG ROL[CareTeam]: the problem's care team after a PRB, else the
      // patient's.
      EntryRef problem = anchor == "PRB" ? ctx.cursor.problem : kNoEntry;
      EntryRef team = care_team(ctx, problem);
      JsonValue part = JsonValue::make_object();
      if (!role.empty()) part.add("role", JsonValue::make_array()).push(role);
      part.add("member", std::move(ref));
      if (!p.empty()) part.add("period", p);
      append(ctx.resource(team), "participant", std::move(part));
    }
  }
  if (seg.field(4).child_count() == 0 || seg.field(4).empty()) {
    ctx.warning(MappingContext::location(seg, 4), "role without a person not mapped");
  }
}
}  // namespace

void map_rol(MappingContext& ctx, const Seg& seg) { map_leniently(ctx, seg, rol); }

}  // namespace gw::v2fhir
