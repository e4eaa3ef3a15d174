// PID, PD1, NK1, MRG -> Patient, RelatedPerson (V2-to-FHIR IG segment maps).
#include <utility>

#include "adapters/v2fhir/datatypes.h"
#include "adapters/v2fhir/segments.h"

namespace gw::v2fhir {

using fhir::JsonValue;

namespace {

void add_all(JsonValue& obj, const char* key, std::vector<JsonValue> values) {
  if (values.empty()) return;
  JsonValue* arr = obj.find_mutable(key);
  if (arr == nullptr) arr = &obj.add(key, JsonValue::make_array());
  for (JsonValue& v : values) arr->push(std::move(v));
}

// v2-0001 -> administrative-gender (IG ConceptMap).
const char* gender(std::string_view sex) {
  if (sex == "F") return "female";
  if (sex == "M") return "male";
  if (sex == "O" || sex == "A" || sex == "N") return "other";
  if (sex == "U") return "unknown";
  return nullptr;
}

JsonValue typed_identifier(std::string_view system, std::string_view type, std::string value) {
  JsonValue id = JsonValue::make_object();
  id.add("type", make_concept("http://terminology.hl7.org/CodeSystem/v2-0203", type));
  id.add("system", JsonValue::make_string(std::string(system)));
  id.add("value", JsonValue::make_string(std::move(value)));
  return id;
}

void add_link(JsonValue& patient, JsonValue other, const char* type) {
  JsonValue* links = patient.find_mutable("link");
  if (links == nullptr) links = &patient.add("link", JsonValue::make_array());
  JsonValue l = JsonValue::make_object();
  l.add("other", std::move(other));
  l.add("type", JsonValue::make_string(type));
  links->push(std::move(l));
}

}  // namespace

void map_pid(MappingContext& ctx, const Seg& seg) {
  JsonValue p = JsonValue::make_object();
  p.add("resourceType", JsonValue::make_string("Patient"));
  std::vector<JsonValue> ids = identifiers_field(ctx, seg, 3);
  if (ids.empty()) {
    ctx.error(MappingContext::location(seg, 3), "patient identifier list required");
    return;
  }
  std::string key = identifier_key(ids.front());
  add_all(p, "identifier", std::move(ids));  // first: the business key (conditional update)
  add_all(p, "identifier", identifiers_field(ctx, seg, 2));  // v2.3 external id
  add_all(p, "identifier", identifiers_field(ctx, seg, 4));  // alternate id (pre v2.5)
  std::string ssn = seg.text(19);
  if (!ssn.empty()) {
    JsonValue id = typed_identifier("http://hl7.org/fhir/sid/us-ssn", "SS", ssn);
    JsonValue* arr = p.find_mutable("identifier");
    bool seen = false;  // often also sent in PID-3
    for (const JsonValue& existing : arr->items())
      seen = seen || identifier_key(existing) == identifier_key(id);
    if (!seen) arr->push(std::move(id));
  }
  add_all(p, "name", human_names_field(ctx, seg, 5));
  add_all(p, "name", human_names_field(ctx, seg, 9));  // alias
  std::string maiden = seg.text(6, 1, 1);
  if (!maiden.empty()) {
    JsonValue ext = JsonValue::make_object();
    ext.add("url", JsonValue::make_string(
                       "http://hl7.org/fhir/StructureDefinition/patient-mothersMaidenName"));
    ext.add("valueString", JsonValue::make_string(maiden));
    p.add("extension", JsonValue::make_array()).push(std::move(ext));
  }
  std::vector<JsonValue> telecom = contact_points_field(ctx, seg, 13, "home");
  add_all(p, "telecom", std::move(telecom));
  add_all(p, "telecom", contact_points_field(ctx, seg, 14, "work"));
  if (const char* g = gender(seg.text(8))) {
    p.add("gender", JsonValue::make_string(g));
  } else if (!seg.text(8).empty()) {
    ctx.warning(MappingContext::location(seg, 8), "administrative sex not in table 0001");
  }
  std::string birth = time_field(ctx, seg, 7, TimeKind::kDate);
  if (!birth.empty()) p.add("birthDate", JsonValue::make_string(birth));
  std::string death_time = time_field(ctx, seg, 29, TimeKind::kDateTime);
  std::string death_flag = seg.text(30);
  if (!death_time.empty()) {
    p.add("deceasedDateTime", JsonValue::make_string(death_time));
  } else if (death_flag == "Y") {
    p.add("deceasedBoolean", JsonValue::make_bool(true));
  } else if (death_flag == "N") {
    p.add("deceasedBoolean", JsonValue::make_bool(false));
  }
  add_all(p, "address", addresses_field(ctx, seg, 11));
  JsonValue marital = codeable_concept_field(ctx, seg, 16, 1, "0002");
  if (!marital.empty()) p.add("maritalStatus", std::move(marital));
  std::string multiple = seg.text(24);
  std::string order = seg.text(25);
  bool order_ok = !order.empty() && order.size() < 4 &&
                  order.find_first_not_of("0123456789") == std::string::npos;
  if (order_ok && multiple != "N") {
    p.add("multipleBirthInteger", JsonValue::make_number(std::to_string(std::stoi(order))));
  } else if (multiple == "Y" || multiple == "N") {
    p.add("multipleBirthBoolean", JsonValue::make_bool(multiple == "Y"));
  }
  JsonValue language = codeable_concept_field(ctx, seg, 15);
  if (!language.empty()) {
    JsonValue comm = JsonValue::make_object();
    comm.add("language", std::move(language));
    p.add("communication", JsonValue::make_array()).push(std::move(comm));
  }
  EntryRef ref = ctx.add("Patient", key, std::move(p), "PID");
  ctx.cursor = Cursor{};
  ctx.cursor.patient = ref;
  ctx.cursor.patient_key = key;
  ctx.cursor.note_target = ref;
  ctx.cursor.note_owner = "PID";
  ctx.add_focus(ref);
}

void map_pd1(MappingContext& ctx, const Seg& seg) {
  if (ctx.cursor.patient == kNoEntry) return;
  std::vector<JsonValue> gps;
  int rep = 0;
  for (const hl7::Element& e : seg.field(3).children()) {
    ++rep;
    EntryRef org =
        organization_from_xon(ctx, e, MappingContext::location(seg, 3, 0, rep > 1 ? rep : 0));
    if (org != kNoEntry) gps.push_back(ctx.reference(org));
  }
  rep = 0;
  for (const hl7::Element& e : seg.field(4).children()) {
    ++rep;
    EntryRef pr =
        practitioner_from_xcn(ctx, e, MappingContext::location(seg, 4, 0, rep > 1 ? rep : 0));
    if (pr != kNoEntry) gps.push_back(ctx.reference(pr));
  }
  add_all(ctx.resource(ctx.cursor.patient), "generalPractitioner", std::move(gps));
}

void map_nk1(MappingContext& ctx, const Seg& seg) {
  if (ctx.cursor.patient == kNoEntry) {
    ctx.warning(MappingContext::location(seg), "segment without a preceding PID not mapped");
    return;
  }
  JsonValue r = JsonValue::make_object();
  r.add("resourceType", JsonValue::make_string("RelatedPerson"));
  r.add("patient", ctx.reference(ctx.cursor.patient));
  std::vector<JsonValue> relationship;
  JsonValue rel = codeable_concept_field(ctx, seg, 3, 1, "0063");
  if (!rel.empty()) relationship.push_back(std::move(rel));
  for (JsonValue& role : codeable_concepts_field(ctx, seg, 7, "0131"))
    relationship.push_back(std::move(role));
  add_all(r, "relationship", std::move(relationship));
  add_all(r, "name", human_names_field(ctx, seg, 2));
  add_all(r, "telecom", contact_points_field(ctx, seg, 5, "home"));
  add_all(r, "telecom", contact_points_field(ctx, seg, 6, "work"));
  add_all(r, "address", addresses_field(ctx, seg, 4));
  // Key: patient + relationship + name as sent (hashed only, never shown).
  std::string key =
      ctx.cursor.patient_key + "|" + seg.text(3, 1) + "|" + std::string(seg.field(2).raw());
  ctx.add("RelatedPerson", key, std::move(r), "NK1");
}

void map_mrg(MappingContext& ctx, const Seg& seg) {
  if (ctx.cursor.patient == kNoEntry) {
    ctx.error(MappingContext::location(seg), "MRG without a preceding PID");
    return;
  }
  std::vector<JsonValue> ids = identifiers_field(ctx, seg, 1);
  if (ids.empty()) {
    ctx.error(MappingContext::location(seg, 1), "prior patient identifier list required");
    return;
  }
  std::string key = identifier_key(ids.front());
  if (key == ctx.cursor.patient_key) {
    ctx.error(MappingContext::location(seg, 1),
              "merged patient identifier equals surviving patient identifier");
    return;
  }
  JsonValue old = JsonValue::make_object();
  old.add("resourceType", JsonValue::make_string("Patient"));
  add_all(old, "identifier", std::move(ids));
  old.add("active", JsonValue::make_bool(false));
  add_all(old, "name", human_names_field(ctx, seg, 7));
  add_link(old, ctx.reference(ctx.cursor.patient), "replaced-by");
  EntryRef merged = ctx.add("Patient", key, std::move(old), "MRG");
  add_link(ctx.resource(ctx.cursor.patient), ctx.reference(merged), "replaces");
  ctx.add_focus(merged);
}

}  // namespace gw::v2fhir
