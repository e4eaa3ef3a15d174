// PID, PD1, NK1, MRG -> Patient, Account, RelatedPerson (V2-to-FHIR IG segment maps).
#include <span>
#include <utility>

#include "adapters/v2fhir/adt.h"
#include "adapters/v2fhir/datatypes.h"
#include "adapters/v2fhir/segments.h"

namespace gw::v2fhir {

using fhir::JsonValue;

namespace {

constexpr char kV2_0203[] = "http://terminology.hl7.org/CodeSystem/v2-0203";
constexpr char kCdcRace[] = "urn:oid:2.16.840.1.113883.6.238";
constexpr char kNullFlavor[] = "http://terminology.hl7.org/CodeSystem/v3-NullFlavor";

JsonValue typed_identifier(std::string_view system, std::string_view type, std::string value) {
  JsonValue id = JsonValue::make_object();
  id.add("type", make_concept(kV2_0203, type));
  id.add("system", JsonValue::make_string(std::string(system)));
  id.add("value", JsonValue::make_string(std::move(value)));
  return id;
}

void add_link(JsonValue& patient, JsonValue other, const char* type) {
  JsonValue l = JsonValue::make_object();
  l.add("other", std::move(other));
  l.add("type", JsonValue::make_string(type));
  append(patient, "link", std::move(l));
}

// Appends `id` unless an identifier with the same system|value is there
// (PID-19 is often also sent in PID-3).
void add_unique(std::vector<JsonValue>& ids, JsonValue id) {
  for (const JsonValue& existing : ids)
    if (identifier_key(existing) == identifier_key(id)) return;
  ids.push_back(std::move(id));
}

// PID-20 DLN (license number ^ issuing state ^ expiration date) -> Identifier
// type DL; the issuing state names the system.
JsonValue drivers_license(MappingContext& ctx, const Seg& seg) {
  std::string number = seg.text(20, 1), state = seg.text(20, 2);
  if (number.empty()) return {};
  std::string system = ctx.sender_urn() + ":drivers-license";
  if (!state.empty()) system += ":" + state;
  JsonValue id = typed_identifier(system, "DL", number);
  std::string expires = time_component(ctx, seg, 20, 3, TimeKind::kDateTime);
  if (!expires.empty()) {
    JsonValue period = JsonValue::make_object();
    period.add("end", JsonValue::make_string(expires));
    id.add("period", std::move(period));
  }
  return id;
}

// CDC Race & Ethnicity codes: CDCREC, or tables 0005/0189 whose values are
// the CDC codes in v2.5+ (0189 also has the older H/N/U).
bool is_cdc_system(std::string_view system) {
  return system == "CDCREC" || system == "HL70005" || system == "HL70189" ||
         system == "2.16.840.1.113883.6.238";
}

// PID-10 / PID-22 -> US Core race / ethnicity extension (IG: "use the local
// extension"; this gateway's realm default is US Core). Codes of the CDC code
// system go to ombCategory (the OMB categories, UNK/ASKU) or detailed; other
// systems keep only the text, with a warning.
void add_race_or_ethnicity(MappingContext& ctx, const Seg& seg, int field, JsonValue& patient) {
  const bool race = field == 10;
  static constexpr std::string_view kOmbRace[] = {"1002-5", "2028-9", "2054-5",
                                                  "2076-8", "2106-3", "2131-1"};
  static constexpr std::string_view kOmbEthnicity[] = {"2135-2", "2186-5"};
  JsonValue subs = JsonValue::make_array();
  std::string text;
  int omb = 0;
  int rep = 0;
  for (const hl7::Element& e : seg.field(field).children()) {
    ++rep;
    if (!e.has_value()) continue;
    IssueLocation loc = MappingContext::location(seg, field, 0, rep > 1 ? rep : 0);
    auto cwe = hl7::read_cwe(e);
    if (!cwe.ok()) {
      ctx.warning(loc, "invalid coded value not mapped");
      continue;
    }
    std::string code = trim(cwe->identifier), display = trim(cwe->text),
                system = trim(cwe->coding_system);
    if (!race && (system == "HL70189" || system.empty())) {  // older table 0189 letters
      if (code == "H") code = "2135-2", display = display.empty() ? "Hispanic or Latino" : display;
      if (code == "N")
        code = "2186-5", display = display.empty() ? "Not Hispanic or Latino" : display;
      if (code == "U") code = "UNK", display = display.empty() ? "Unknown" : display;
      if (system.empty() && code != trim(cwe->identifier)) system = "HL70189";
    }
    std::string shown = !display.empty() ? display : code;
    if (!shown.empty()) text += (text.empty() ? "" : ", ") + shown;
    if (code.empty()) continue;
    if (!is_cdc_system(system) && !(system.empty() && code.size() == 6 && code[4] == '-')) {
      ctx.warning(loc,
                  race ? "race code system is not CDC race and ethnicity: kept as text"
                       : "ethnic group code system is not CDC race and ethnicity: kept as text");
      continue;
    }
    bool is_null = code == "UNK" || code == "ASKU";
    bool is_omb = is_null;
    for (std::string_view c : race ? std::span<const std::string_view>(kOmbRace)
                                   : std::span<const std::string_view>(kOmbEthnicity))
      is_omb = is_omb || c == code;
    // US Core: ethnicity has one ombCategory, race at most 5 (2131-1 "Other
    // Race" is not an OMB category in current US Core: detailed).
    if (race && code == "2131-1") is_omb = false;
    if (is_omb && !race && omb >= 1) is_omb = false;
    if (is_omb) ++omb;
    JsonValue coding = make_coding(is_null ? kNullFlavor : kCdcRace, code, display);
    subs.push(
        make_extension(is_omb ? "ombCategory" : "detailed", "valueCoding", std::move(coding)));
  }
  if (text.empty()) return;
  subs.push(make_extension("text", "valueString", JsonValue::make_string(text)));
  JsonValue ext = JsonValue::make_object();
  ext.add("url", JsonValue::make_string(
                     race ? "http://hl7.org/fhir/us/core/StructureDefinition/us-core-race"
                          : "http://hl7.org/fhir/us/core/StructureDefinition/us-core-ethnicity"));
  ext.add("extension", std::move(subs));
  append(patient, "extension", std::move(ext));
}

// PID-18 -> Account (IG PID[Account]): status active, subject the patient.
EntryRef account_from_pid(MappingContext& ctx, const Seg& seg, EntryRef patient) {
  std::vector<JsonValue> ids = identifiers_field(ctx, seg, 18);
  if (ids.empty()) return kNoEntry;
  if (ids.front().find("type") == nullptr) ids.front().add("type", make_concept(kV2_0203, "AN"));
  std::string key = identifier_key(ids.front());
  JsonValue a = JsonValue::make_object();
  a.add("resourceType", JsonValue::make_string("Account"));
  append_all(a, "identifier", std::move(ids));
  a.add("status", JsonValue::make_string("active"));
  append(a, "subject", ctx.reference(patient));
  return ctx.add("Account", key, std::move(a));
}

// Adds a RelatedPerson, or completes the one with the same key (the mother
// named by PID-21 and again by an NK1 with her identifier in NK1-33): members
// it lacks are taken over, relationships appended.
EntryRef add_related_person(MappingContext& ctx, const std::string& key, JsonValue r) {
  EntryRef existing = ctx.find("RelatedPerson", key);
  if (existing == kNoEntry) return ctx.add("RelatedPerson", key, std::move(r));
  JsonValue& into = ctx.resource(existing);
  for (const fhir::JsonMember& m : r.members()) {
    if (m.key == "relationship") {
      for (const JsonValue& rel : m.value.items()) append(into, "relationship", rel);
    } else if (into.find(m.key) == nullptr) {
      into.add(m.key, m.value);
    }
  }
  return existing;
}

// PID-21 -> RelatedPerson (IG CX[RelatedPerson-Mother]): relationship MTH.
void mother_from_pid(MappingContext& ctx, const Seg& seg, EntryRef patient,
                     const std::string& patient_key) {
  std::vector<JsonValue> ids = identifiers_field(ctx, seg, 21);
  if (ids.empty()) return;
  std::string key = patient_key + "|id|" + identifier_key(ids.front());
  JsonValue r = JsonValue::make_object();
  r.add("resourceType", JsonValue::make_string("RelatedPerson"));
  append_all(r, "identifier", std::move(ids));
  r.add("patient", ctx.reference(patient));
  append(r, "relationship",
         make_concept("http://terminology.hl7.org/CodeSystem/v3-RoleCode", "MTH", "mother"));
  add_related_person(ctx, key, std::move(r));
}

}  // namespace

bool has_patient(MappingContext& ctx, const Seg& seg) {
  if (ctx.cursor.patient != kNoEntry) return true;
  ctx.warning(MappingContext::location(seg), "segment without a preceding PID not mapped");
  return false;
}

void map_pid(MappingContext& ctx, const Seg& seg) {
  JsonValue p = JsonValue::make_object();
  p.add("resourceType", JsonValue::make_string("Patient"));
  // Identity: PID-3 first (its first identifier is the business key); when
  // PID-3 is empty, the first of PID-2, PID-4, PID-19 (SSN), PID-20 (driver's
  // licence) that is sent. No identifier at all: the message is refused,
  // since a Patient without identity cannot be matched or updated.
  std::vector<JsonValue> ids = identifiers_field(ctx, seg, 3);
  const bool has_pid3 = !ids.empty();
  for (JsonValue& id : identifiers_field(ctx, seg, 2)) add_unique(ids, std::move(id));
  for (JsonValue& id : identifiers_field(ctx, seg, 4)) add_unique(ids, std::move(id));
  std::string ssn = seg.text(19);
  if (!ssn.empty()) add_unique(ids, typed_identifier("http://hl7.org/fhir/sid/us-ssn", "SS", ssn));
  if (JsonValue dl = drivers_license(ctx, seg); !dl.empty()) add_unique(ids, std::move(dl));
  if (ids.empty()) {
    ctx.error(MappingContext::location(seg, 3), "patient identity required (PID-3, 2, 4, 19, 20)");
    return;
  }
  if (!has_pid3) {
    ctx.warning(MappingContext::location(seg, 3),
                "patient identifier list empty: identity taken from another PID identifier");
  }
  std::string key = identifier_key(ids.front());
  append_all(p, "identifier", std::move(ids));
  append_all(p, "name", human_names_field(ctx, seg, 5));
  append_all(p, "name", human_names_field(ctx, seg, 9));  // alias
  std::string maiden = seg.text(6, 1, 1);
  if (!maiden.empty()) {
    append(p, "extension",
           make_extension("http://hl7.org/fhir/StructureDefinition/patient-mothersMaidenName",
                          "valueString", JsonValue::make_string(maiden)));
  }
  if (seg.field(40).has_value()) {
    // v2.7+: PID-40 carries every telecom with its own use code; the IG maps
    // PID-13/14 only when it is not valued.
    append_all(p, "telecom", contact_points_field(ctx, seg, 40));
    for (int f : {13, 14}) {
      if (seg.field(f).has_value())
        ctx.warning(MappingContext::location(seg, f), "not mapped: PID-40 is valued");
    }
  } else {
    append_all(p, "telecom", contact_points_field(ctx, seg, 13, "home"));
    append_all(p, "telecom", contact_points_field(ctx, seg, 14, "work"));
  }
  if (const char* g = administrative_gender(seg.text(8))) {
    p.add("gender", JsonValue::make_string(g));
  } else if (!seg.text(8).empty()) {
    ctx.warning(MappingContext::location(seg, 8), "administrative sex not in table 0001");
  }
  std::string birth = time_field(ctx, seg, 7, TimeKind::kDate);
  if (!birth.empty()) {
    p.add("birthDate", JsonValue::make_string(birth));
    if (seg.text(7).size() > 8) {  // IG: a time of birth -> patient-birthTime
      std::string when = time_field(ctx, seg, 7, TimeKind::kDateTime);
      if (!when.empty()) {
        JsonValue ext = JsonValue::make_object();
        append(ext, "extension",
               make_extension("http://hl7.org/fhir/StructureDefinition/patient-birthTime",
                              "valueDateTime", JsonValue::make_string(when)));
        p.add("_birthDate", std::move(ext));
      }
    }
  }
  std::string death_time = time_field(ctx, seg, 29, TimeKind::kDateTime);
  std::string death_flag = seg.text(30);
  if (!death_time.empty()) {
    p.add("deceasedDateTime", JsonValue::make_string(death_time));
  } else if (death_flag == "Y") {
    p.add("deceasedBoolean", JsonValue::make_bool(true));
  } else if (death_flag == "N") {
    p.add("deceasedBoolean", JsonValue::make_bool(false));
  }
  std::vector<JsonValue> addresses = addresses_field(ctx, seg, 11);
  // PID-12 county: the district of the (single) home address when it has none.
  std::string county = seg.text(12);
  if (!county.empty()) {
    if (addresses.size() == 1 && addresses.front().find("district") == nullptr) {
      addresses.front().add("district", JsonValue::make_string(county));
    } else {
      JsonValue a = JsonValue::make_object();
      a.add("district", JsonValue::make_string(county));
      addresses.push_back(std::move(a));
    }
  }
  append_all(p, "address", std::move(addresses));
  JsonValue marital = codeable_concept_field(ctx, seg, 16, 1, "0002");
  if (!marital.empty()) p.add("maritalStatus", std::move(marital));
  JsonValue religion = codeable_concept_field(ctx, seg, 17, 1, "0006");
  if (!religion.empty()) {
    append(p, "extension",
           make_extension("http://hl7.org/fhir/StructureDefinition/patient-religion",
                          "valueCodeableConcept", std::move(religion)));
  }
  add_race_or_ethnicity(ctx, seg, 10, p);
  add_race_or_ethnicity(ctx, seg, 22, p);
  std::string birth_place = seg.text(23);
  if (!birth_place.empty()) {
    JsonValue addr = JsonValue::make_object();
    addr.add("text", JsonValue::make_string(birth_place));
    append(p, "extension",
           make_extension("http://hl7.org/fhir/StructureDefinition/patient-birthPlace",
                          "valueAddress", std::move(addr)));
  }
  for (JsonValue& c : codeable_concepts_field(ctx, seg, 26, "0171")) {
    JsonValue ext = JsonValue::make_object();
    append(ext, "extension", make_extension("code", "valueCodeableConcept", std::move(c)));
    ext.add("url",
            JsonValue::make_string("http://hl7.org/fhir/StructureDefinition/patient-citizenship"));
    append(p, "extension", std::move(ext));
  }
  JsonValue nationality = codeable_concept_field(ctx, seg, 28, 1, "0212");
  if (!nationality.empty()) {
    JsonValue ext = JsonValue::make_object();
    append(ext, "extension",
           make_extension("code", "valueCodeableConcept", std::move(nationality)));
    ext.add("url",
            JsonValue::make_string("http://hl7.org/fhir/StructureDefinition/patient-nationality"));
    append(p, "extension", std::move(ext));
  }
  std::string multiple = seg.text(24);
  std::string order = seg.text(25);
  bool order_ok = !order.empty() && order.size() < 4 &&
                  order.find_first_not_of("0123456789") == std::string::npos;
  if (order_ok && multiple != "N") {
    p.add("multipleBirthInteger", JsonValue::make_number(std::to_string(std::stoi(order))));
  } else {
    if (multiple == "Y" || multiple == "N")
      p.add("multipleBirthBoolean", JsonValue::make_bool(multiple == "Y"));
    // A birth order that is not a number, or beside "not a multiple birth".
    if (!order.empty()) ctx.warning(MappingContext::location(seg, 25), "birth order not mapped");
  }
  JsonValue language = codeable_concept_field(ctx, seg, 15);
  if (!language.empty()) {
    JsonValue comm = JsonValue::make_object();
    comm.add("language", std::move(language));
    append(p, "communication", std::move(comm));
  }
  const MessageProfile* profile = current_profile(ctx);
  std::string_view rule = profile != nullptr ? profile->adt_rule : std::string_view{};
  if (rule == "inactive") p.add("active", JsonValue::make_bool(false));  // A29 delete person
  EntryRef previous = ctx.cursor.patient;
  const size_t known = ctx.entries().size();
  EntryRef ref = ctx.add("Patient", key, std::move(p));
  if (static_cast<size_t>(ref) >= known) mark_patient_update(ctx, seg, ref);
  if (rule == "link" && previous != kNoEntry && previous != ref) {  // A24 link patients
    add_link(ctx.resource(previous), ctx.reference(ref), "seealso");
    add_link(ctx.resource(ref), ctx.reference(previous), "seealso");
  }
  ctx.cursor = Cursor{};
  ctx.cursor.patient = ref;
  ctx.cursor.patient_key = key;
  ctx.cursor.note_target = ref;
  ctx.cursor.note_owner = "PID";
  ctx.cursor.account = account_from_pid(ctx, seg, ref);
  ctx.cursor.account_silent = seg.silent(18);
  mother_from_pid(ctx, seg, ref, key);
  ctx.add_focus(ref);
}

void map_pd1(MappingContext& ctx, const Seg& seg) {
  if (!has_patient(ctx, seg)) return;
  std::vector<JsonValue> gps;
  int rep = 0;
  for (const hl7::Element& e : seg.field(3).children()) {
    ++rep;
    EntryRef org =
        organization_from_xon(ctx, e, MappingContext::location(seg, 3, 0, rep > 1 ? rep : 0));
    if (org != kNoEntry) gps.push_back(ctx.reference(org));
  }
  for (EntryRef pr : practitioner_entries(ctx, seg, 4)) gps.push_back(ctx.reference(pr));
  mark_patient_pd1(ctx, seg, ctx.cursor.patient);
  JsonValue& patient = ctx.resource(ctx.cursor.patient);
  append_all(patient, "generalPractitioner", std::move(gps));
  // PD1-12 protection indicator Y: the record is restricted (IG: meta.security
  // from a Yes/No indicator); the effective date (PD1-13) has no place on a
  // security label.
  std::string protect = seg.text(12);
  if (protect == "Y") {
    JsonValue* meta = patient.find_mutable("meta");
    if (meta == nullptr) meta = &patient.add("meta", JsonValue::make_object());
    append(
        *meta, "security",
        make_coding("http://terminology.hl7.org/CodeSystem/v3-Confidentiality", "R", "restricted"));
  } else if (!protect.empty() && protect != "N") {
    ctx.warning(MappingContext::location(seg, 12), "protection indicator not Y or N: not mapped");
  }
  // PD1-6 handicap -> patient-disability; PD1-14 place of worship (XON name)
  // -> patient-congregation (IG).
  JsonValue handicap = codeable_concept_field(ctx, seg, 6, 1, "0295");
  if (!handicap.empty()) {
    append(patient, "extension",
           make_extension("http://hl7.org/fhir/StructureDefinition/patient-disability",
                          "valueCodeableConcept", std::move(handicap)));
  }
  std::string worship = seg.text(14, 1);
  if (!worship.empty()) {
    append(patient, "extension",
           make_extension("http://hl7.org/fhir/StructureDefinition/patient-congregation",
                          "valueString", JsonValue::make_string(worship)));
  }
  // The IG has no FHIR target for these fields; named so that nothing is lost
  // without a word.
  static constexpr struct {
    int field;
    const char* text;
  } kUnmapped[] = {
      {1, "living dependency not mapped"},
      {2, "living arrangement not mapped"},
      {5, "student indicator not mapped"},
      {7, "living will code not mapped"},
      {8, "organ donor code not mapped"},
      {9, "separate bill not mapped"},
      {10, "duplicate patient not mapped"},
      {11, "publicity code not mapped"},
      {13, "protection indicator effective date not mapped"},
      {15, "advance directive code not mapped"},
      {16, "immunization registry status not mapped"},
      {17, "immunization registry status effective date not mapped"},
      {18, "publicity code effective date not mapped"},
  };
  for (const auto& u : kUnmapped) {
    if (seg.field(u.field).has_value() || seg.field(u.field).child_count() > 1)
      ctx.warning(MappingContext::location(seg, u.field), u.text);
  }
}

void map_nk1(MappingContext& ctx, const Seg& seg) {
  if (!has_patient(ctx, seg)) return;
  JsonValue r = JsonValue::make_object();
  r.add("resourceType", JsonValue::make_string("RelatedPerson"));
  r.add("patient", ctx.reference(ctx.cursor.patient));
  std::vector<JsonValue> relationship;
  JsonValue rel = codeable_concept_field(ctx, seg, 3, 1, "0063");
  if (!rel.empty()) relationship.push_back(std::move(rel));
  for (JsonValue& role : codeable_concepts_field(ctx, seg, 7, "0131"))
    relationship.push_back(std::move(role));
  append_all(r, "relationship", std::move(relationship));
  append_all(r, "name", human_names_field(ctx, seg, 2));
  append_all(r, "telecom", contact_points_field(ctx, seg, 5, "home"));
  append_all(r, "telecom", contact_points_field(ctx, seg, 6, "work"));
  append_all(r, "address", addresses_field(ctx, seg, 4));
  if (const char* g = administrative_gender(seg.text(15))) {
    r.add("gender", JsonValue::make_string(g));
  } else if (!seg.text(15).empty()) {
    ctx.warning(MappingContext::location(seg, 15), "administrative sex not in table 0001");
  }
  std::string birth = time_field(ctx, seg, 16, TimeKind::kDate);
  if (!birth.empty()) r.add("birthDate", JsonValue::make_string(birth));
  // NK1-8/9 start and end date of the relationship -> period (IG NK1[RelatedPerson]).
  std::string start = time_field(ctx, seg, 8, TimeKind::kDateTime);
  std::string end = time_field(ctx, seg, 9, TimeKind::kDateTime);
  if (JsonValue period = period_of(start, end); !period.empty()) r.add("period", std::move(period));
  JsonValue language = codeable_concept_field(ctx, seg, 20);
  if (!language.empty()) {
    JsonValue comm = JsonValue::make_object();
    comm.add("language", std::move(language));
    append(r, "communication", std::move(comm));
  }
  std::vector<JsonValue> ids = identifiers_field(ctx, seg, 33);
  // Key: patient + the person's identifier, else patient + relationship + name
  // as sent (hashed only, never shown).
  std::string key = !ids.empty() ? ctx.cursor.patient_key + "|id|" + identifier_key(ids.front())
                                 : ctx.cursor.patient_key + "|" + seg.text(3, 1) + "|" +
                                       std::string(seg.field(2).raw());
  append_all(r, "identifier", std::move(ids));
  add_related_person(ctx, key, std::move(r));
}

// Events whose MRG patient is merged into (or renamed as) the PID patient:
// it is retired (active false, replaced-by). The other events with MRG move
// a visit, an account or identifiers between two patients who both live on
// (A43-A45), or merge or change an account or a visit (A41, A42, A49-A51).
bool retires_prior_patient(std::string_view event) {
  for (std::string_view e : {"A18", "A30", "A34", "A36", "A39", "A40", "A46", "A47", "A48"})
    if (event == e) return true;
  return false;
}

void map_mrg(MappingContext& ctx, const Seg& seg) {
  if (!has_patient(ctx, seg)) return;
  // MRG-3 prior patient account (A40, A41 merge account, A45 move visit):
  // an Account of the surviving patient.
  std::vector<JsonValue> accounts = identifiers_field(ctx, seg, 3);
  const bool has_account = !accounts.empty();
  if (has_account) {
    if (accounts.front().find("type") == nullptr)
      accounts.front().add("type", make_concept(kV2_0203, "AN"));
    std::string account_key = identifier_key(accounts.front());
    EntryRef current = ctx.cursor.account;
    if (current != kNoEntry &&
        account_key == identifier_key(ctx.resource(current).find("identifier")->items().front())) {
      ctx.warning(MappingContext::location(seg, 3),
                  "prior account equals the current account: not mapped");
    } else {
      JsonValue a = JsonValue::make_object();
      a.add("resourceType", JsonValue::make_string("Account"));
      append_all(a, "identifier", std::move(accounts));
      // A41 merges the prior account into the current one: it is closed. In
      // other events (A40 patient merge, A45 visit move) it lives on.
      const MessageProfile* profile = current_profile(ctx);
      bool merged = profile != nullptr && profile->adt_rule == "merge-account";
      a.add("status", JsonValue::make_string(merged ? "inactive" : "active"));
      append(a, "subject", ctx.reference(ctx.cursor.patient));
      ctx.add_focus(ctx.add("Account", account_key, std::move(a)));
    }
  }
  // MRG-5/6 prior visit number / alternate visit id: the visit as it was
  // known before the move (A45); this mapping has no place for it.
  if (seg.field(5).has_value())
    ctx.warning(MappingContext::location(seg, 5), "prior visit number not mapped");
  if (seg.field(6).has_value())
    ctx.warning(MappingContext::location(seg, 6), "prior alternate visit id not mapped");
  std::vector<JsonValue> ids = identifiers_field(ctx, seg, 1);
  for (JsonValue& id : identifiers_field(ctx, seg, 4)) add_unique(ids, std::move(id));  // MRG-4
  for (JsonValue& id : identifiers_field(ctx, seg, 2)) add_unique(ids, std::move(id));  // MRG-2
  if (ids.empty()) {
    if (!has_account) {
      ctx.warning(MappingContext::location(seg, 1),
                  "prior patient identifier missing: no merge link made");
    }
    return;
  }
  std::string key = identifier_key(ids.front());
  if (key == ctx.cursor.patient_key) {
    // Account and visit moves (A41, A45) repeat the patient's own id in MRG-1.
    if (!has_account) {
      ctx.warning(MappingContext::location(seg, 1),
                  "merged patient identifier equals surviving patient identifier: no merge link");
    }
    return;
  }
  if (!retires_prior_patient(ctx.trigger_event())) {
    // The prior patient of a move lives on: neither retired nor linked.
    ctx.warning(MappingContext::location(seg, 1),
                "prior patient of a move is not merged: identifiers not mapped");
    return;
  }
  JsonValue old = JsonValue::make_object();
  old.add("resourceType", JsonValue::make_string("Patient"));
  append_all(old, "identifier", std::move(ids));
  old.add("active", JsonValue::make_bool(false));
  append_all(old, "name", human_names_field(ctx, seg, 7));
  add_link(old, ctx.reference(ctx.cursor.patient), "replaced-by");
  const size_t known = ctx.entries().size();
  EntryRef merged = ctx.add("Patient", key, std::move(old));
  if (static_cast<size_t>(merged) >= known) mark_retired_patient(ctx, seg, merged);
  add_link(ctx.resource(ctx.cursor.patient), ctx.reference(merged), "replaces");
  ctx.add_focus(merged);
}

}  // namespace gw::v2fhir
