// AL1, DG1, PR1, IN1 -> AllergyIntolerance, Condition, Procedure, Coverage.
#include <utility>

#include "adapters/v2fhir/datatypes.h"
#include "adapters/v2fhir/segments.h"

namespace gw::v2fhir {

using fhir::JsonValue;

namespace {

bool need_patient(MappingContext& ctx, const Seg& seg) {
  if (ctx.cursor.patient != kNoEntry) return true;
  ctx.warning(MappingContext::location(seg), "segment without a preceding PID not mapped");
  return false;
}

void add_subject(MappingContext& ctx, JsonValue& r, const char* patient_key,
                 const char* encounter_key) {
  r.add(patient_key, ctx.reference(ctx.cursor.patient));
  if (encounter_key != nullptr && ctx.cursor.encounter != kNoEntry) {
    r.add(encounter_key, ctx.reference(ctx.cursor.encounter));
  }
}

std::string code_key(const JsonValue& cc) {
  if (cc.empty()) return {};
  const JsonValue* codings = cc.find("coding");
  if (codings != nullptr && !codings->items().empty()) {
    const JsonValue& c = codings->items().front();
    const JsonValue* s = c.find("system");
    const JsonValue* k = c.find("code");
    return (s ? s->text() : std::string()) + "|" + (k ? k->text() : std::string());
  }
  const JsonValue* t = cc.find("text");
  return t ? "text|" + t->text() : std::string();
}

}  // namespace

void map_al1(MappingContext& ctx, const Seg& seg) {
  if (!need_patient(ctx, seg)) return;
  JsonValue a = JsonValue::make_object();
  a.add("resourceType", JsonValue::make_string("AllergyIntolerance"));
  // ait-2: clinicalStatus is required unless entered-in-error; an allergy
  // sent in a current AL1 segment is active.
  a.add("clinicalStatus",
        make_concept("http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical", "active",
                     "Active"));
  std::string category = seg.text(2, 1);
  const char* cat = nullptr;  // v2-0127 -> allergy-intolerance-category
  if (category == "DA" || category == "MC") cat = "medication";
  if (category == "FA") cat = "food";
  if (category == "EA" || category == "AA" || category == "PA" || category == "LA")
    cat = "environment";
  if (cat != nullptr) a.add("category", JsonValue::make_array()).push(JsonValue::make_string(cat));
  std::string severity = seg.text(4, 1);  // v2-0128 -> criticality
  if (severity == "SV") a.add("criticality", JsonValue::make_string("high"));
  if (severity == "MO" || severity == "MI") a.add("criticality", JsonValue::make_string("low"));
  if (severity == "U") a.add("criticality", JsonValue::make_string("unable-to-assess"));
  JsonValue code = codeable_concept_field(ctx, seg, 3);
  if (code.empty()) {
    ctx.error(MappingContext::location(seg, 3), "allergen code required");
    return;
  }
  std::string key = ctx.cursor.patient_key + "|" + code_key(code);
  a.add("code", std::move(code));
  add_subject(ctx, a, "patient", "encounter");
  std::string onset = time_field(ctx, seg, 6, TimeKind::kDateTime);
  if (!onset.empty()) a.add("onsetDateTime", JsonValue::make_string(onset));
  JsonValue manifestations = JsonValue::make_array();
  for (const hl7::Element& e : seg.field(5).children()) {
    std::string text = trim(e.text_or_empty());
    if (text.empty()) continue;
    JsonValue cc = JsonValue::make_object();
    cc.add("text", JsonValue::make_string(text));
    manifestations.push(std::move(cc));
  }
  if (!manifestations.empty()) {
    JsonValue reaction = JsonValue::make_object();
    reaction.add("manifestation", std::move(manifestations));
    a.add("reaction", JsonValue::make_array()).push(std::move(reaction));
  }
  EntryRef ref = ctx.add("AllergyIntolerance", key, std::move(a), "AL1");
  ctx.cursor.note_target = ref;
  ctx.cursor.note_owner = "AL1";
}

void map_dg1(MappingContext& ctx, const Seg& seg) {
  if (!need_patient(ctx, seg)) return;
  JsonValue c = JsonValue::make_object();
  c.add("resourceType", JsonValue::make_string("Condition"));
  JsonValue category = make_concept("http://terminology.hl7.org/CodeSystem/condition-category",
                                    "encounter-diagnosis", "Encounter Diagnosis");
  c.add("category", JsonValue::make_array()).push(std::move(category));
  JsonValue code = codeable_concept_field(ctx, seg, 3);
  if (code.empty()) {  // v2.3: DG1-4 description only
    std::string text = seg.text(4);
    if (!text.empty()) {
      code = JsonValue::make_object();
      code.add("text", JsonValue::make_string(text));
    }
  }
  if (code.empty()) {
    ctx.error(MappingContext::location(seg, 3), "diagnosis code required");
    return;
  }
  std::string key = ctx.cursor.patient_key + "|" + ctx.cursor.encounter_key + "|" + code_key(code);
  c.add("code", std::move(code));
  add_subject(ctx, c, "subject", "encounter");
  std::string onset = time_field(ctx, seg, 5, TimeKind::kDateTime);
  if (!onset.empty()) c.add("onsetDateTime", JsonValue::make_string(onset));
  EntryRef ref = ctx.add("Condition", key, std::move(c), "DG1");
  ctx.cursor.note_target = ref;
  ctx.cursor.note_owner = "DG1";
}

void map_pr1(MappingContext& ctx, const Seg& seg) {
  if (!need_patient(ctx, seg)) return;
  JsonValue p = JsonValue::make_object();
  p.add("resourceType", JsonValue::make_string("Procedure"));
  // PR1 carries no status; a procedure reported in PR1 is not asserted as
  // completed by the message, so "unknown".
  p.add("status", JsonValue::make_string("unknown"));
  JsonValue code = codeable_concept_field(ctx, seg, 3);
  if (code.empty()) {
    ctx.error(MappingContext::location(seg, 3), "procedure code required");
    return;
  }
  std::string performed = time_field(ctx, seg, 5, TimeKind::kDateTime);
  std::string key = ctx.cursor.patient_key + "|" + code_key(code) + "|" + performed;
  p.add("code", std::move(code));
  add_subject(ctx, p, "subject", "encounter");
  if (!performed.empty()) p.add("performedDateTime", JsonValue::make_string(performed));
  JsonValue performers = JsonValue::make_array();
  int rep = 0;
  for (const hl7::Element& e : seg.field(12).children()) {  // PR1-12 procedure practitioner
    ++rep;
    EntryRef pr =
        practitioner_from_xcn(ctx, e, MappingContext::location(seg, 12, 0, rep > 1 ? rep : 0));
    if (pr == kNoEntry) continue;
    JsonValue perf = JsonValue::make_object();
    perf.add("actor", ctx.reference(pr));
    performers.push(std::move(perf));
  }
  if (!performers.empty()) p.add("performer", std::move(performers));
  EntryRef ref = ctx.add("Procedure", key, std::move(p), "PR1");
  ctx.cursor.note_target = ref;
  ctx.cursor.note_owner = "PR1";
}

void map_in1(MappingContext& ctx, const Seg& seg) {
  if (!need_patient(ctx, seg)) return;
  JsonValue c = JsonValue::make_object();
  c.add("resourceType", JsonValue::make_string("Coverage"));
  std::string policy = seg.text(36);
  if (!policy.empty()) {
    JsonValue id = JsonValue::make_object();
    id.add("type", make_concept("http://terminology.hl7.org/CodeSystem/v2-0203", "MB"));
    id.add("system", JsonValue::make_string(ctx.sender_urn() + ":policy-number"));
    id.add("value", JsonValue::make_string(policy));
    c.add("identifier", JsonValue::make_array()).push(std::move(id));
  }
  c.add("status", JsonValue::make_string("active"));
  c.add("beneficiary", ctx.reference(ctx.cursor.patient));
  std::string relationship = seg.text(17, 1);  // v2-0063 -> subscriber-relationship
  const char* rel = nullptr;
  if (relationship == "SEL") rel = "self";
  if (relationship == "SPO") rel = "spouse";
  if (relationship == "CHD") rel = "child";
  if (relationship == "DOM") rel = "common";
  if (relationship == "PAR") rel = "parent";
  if (relationship == "OTH") rel = "other";
  if (!relationship.empty() && rel == nullptr) {
    ctx.warning(MappingContext::location(seg, 17), "insured relationship not mapped");
  }
  if (rel != nullptr) {
    c.add("relationship",
          make_concept("http://terminology.hl7.org/CodeSystem/subscriber-relationship", rel));
  }
  std::string start = time_field(ctx, seg, 12, TimeKind::kDateTime);
  std::string end = time_field(ctx, seg, 13, TimeKind::kDateTime);
  if (!start.empty() || !end.empty()) {
    JsonValue period = JsonValue::make_object();
    if (!start.empty()) period.add("start", JsonValue::make_string(start));
    if (!end.empty()) period.add("end", JsonValue::make_string(end));
    c.add("period", std::move(period));
  }
  // Payor: IN1-3 company id (CX) + IN1-4 company name (XON).
  EntryRef payor = kNoEntry;
  std::vector<JsonValue> company_ids = identifiers_field(ctx, seg, 3);
  std::string company_name = seg.text(4, 1);
  if (!company_ids.empty()) {
    JsonValue org = JsonValue::make_object();
    org.add("resourceType", JsonValue::make_string("Organization"));
    std::string key = identifier_key(company_ids.front());
    JsonValue& arr = org.add("identifier", JsonValue::make_array());
    for (JsonValue& id : company_ids) arr.push(std::move(id));
    if (!company_name.empty()) org.add("name", JsonValue::make_string(company_name));
    payor = ctx.add("Organization", key, std::move(org), "IN1");
  } else {
    payor = organization_from_name(ctx, company_name, "IN1");
  }
  if (payor == kNoEntry) {
    ctx.error(MappingContext::location(seg, 3), "insurance company required");
    return;
  }
  c.add("payor", JsonValue::make_array()).push(ctx.reference(payor));
  JsonValue classes = JsonValue::make_array();
  auto add_class = [&](const char* type, std::string value, std::string name) {
    if (value.empty()) return;
    JsonValue cl = JsonValue::make_object();
    cl.add("type", make_concept("http://terminology.hl7.org/CodeSystem/coverage-class", type));
    cl.add("value", JsonValue::make_string(std::move(value)));
    if (!name.empty()) cl.add("name", JsonValue::make_string(std::move(name)));
    classes.push(std::move(cl));
  };
  add_class("plan", seg.text(2, 1), seg.text(2, 2));
  add_class("group", seg.text(8), seg.text(9, 1));
  if (!classes.empty()) c.add("class", std::move(classes));
  std::string key = !policy.empty()
                        ? ctx.sender_urn() + ":policy-number|" + policy
                        : ctx.cursor.patient_key + "|" + ctx.entry(payor).id + "|" + seg.text(2, 1);
  ctx.add("Coverage", key, std::move(c), "IN1");
}

}  // namespace gw::v2fhir
