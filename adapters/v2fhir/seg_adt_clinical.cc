// AL1, DG1, PR1, IN1 -> AllergyIntolerance, Condition, Procedure, Coverage.
#include <utility>

#include "adapters/v2fhir/adt.h"
#include "adapters/v2fhir/datatypes.h"
#include "adapters/v2fhir/segments.h"

namespace gw::v2fhir {

using fhir::JsonValue;

namespace {

void add_subject(MappingContext& ctx, JsonValue& r, const char* patient_key,
                 const char* encounter_key) {
  r.add(patient_key, ctx.reference(ctx.cursor.patient));
  if (encounter_key != nullptr && ctx.cursor.encounter != kNoEntry) {
    r.add(encounter_key, ctx.reference(ctx.cursor.encounter));
  }
}

// An EI field (DG1-20, PR1-19) as a list of at most one Identifier.
std::vector<JsonValue> ei_identifiers(MappingContext& ctx, const Seg& seg, int field) {
  std::vector<JsonValue> out;
  hl7::Element e = seg.at(field, 1);
  if (!e.has_value()) return out;
  JsonValue id = identifier_from_ei(ctx, read_ei(e), "", MappingContext::location(seg, field));
  if (!id.empty()) out.push_back(std::move(id));
  return out;
}

}  // namespace

void map_al1(MappingContext& ctx, const Seg& seg) {
  if (!has_patient(ctx, seg)) return;
  JsonValue a = JsonValue::make_object();
  a.add("resourceType", JsonValue::make_string("AllergyIntolerance"));
  // ait-2: clinicalStatus is required unless entered-in-error; an allergy
  // sent in a current AL1 segment is active.
  a.add("clinicalStatus",
        make_concept("http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical", "active",
                     "Active"));
  std::string category = seg.text(2, 1);
  AllergenType type = allergen_type(category);  // v2-0127
  if (type.category != nullptr) append(a, "category", JsonValue::make_string(type.category));
  if (type.type != nullptr) a.add("type", JsonValue::make_string(type.type));
  std::string severity = seg.text(4, 1);  // v2-0128 -> criticality
  if (severity == "SV") a.add("criticality", JsonValue::make_string("high"));
  if (severity == "MO" || severity == "MI") a.add("criticality", JsonValue::make_string("low"));
  if (severity == "U") a.add("criticality", JsonValue::make_string("unable-to-assess"));
  if (!severity.empty() && a.find("criticality") == nullptr)
    ctx.warning(MappingContext::location(seg, 4), "allergy severity not in table 0128");
  if (!type.known && !category.empty())
    ctx.warning(MappingContext::location(seg, 2), "allergen type not in table 0127");
  JsonValue code = codeable_concept_field(ctx, seg, 3);
  std::string key;
  if (code.empty()) {
    // No allergen: the allergy is still recorded, code marked unknown; keyed
    // by what is left (type, reaction) since no code identifies it.
    ctx.warning(MappingContext::location(seg, 3), "allergen code missing: code data-absent");
    code = data_absent("unknown");
    key = ctx.cursor.patient_key + "|uncoded|" + category + "|" + std::string(seg.field(5).raw());
  } else {
    key = ctx.cursor.patient_key + "|" + code_key(code);
  }
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
  EntryRef ref = ctx.add("AllergyIntolerance", key, std::move(a));
  ctx.cursor.note_target = ref;
  ctx.cursor.note_owner = "AL1";
}

void map_dg1(MappingContext& ctx, const Seg& seg) {
  if (!has_patient(ctx, seg)) return;
  JsonValue c = JsonValue::make_object();
  c.add("resourceType", JsonValue::make_string("Condition"));
  JsonValue category = make_concept("http://terminology.hl7.org/CodeSystem/condition-category",
                                    "encounter-diagnosis", "Encounter Diagnosis");
  c.add("category", JsonValue::make_array()).push(std::move(category));
  JsonValue code = codeable_concept_field(ctx, seg, 3);
  // DG1-2 / PR1-2 coding method: deprecated since v2.3 (the coding system is
  // CWE-3); no place for it.
  if (seg.field(2).has_value())
    ctx.warning(MappingContext::location(seg, 2), "diagnosis coding method not mapped");
  std::string description = seg.text(4);  // v2.3: DG1-4 description only
  if (!description.empty()) {
    if (code.empty()) code = JsonValue::make_object();
    if (code.find("text") == nullptr) code.add("text", JsonValue::make_string(description));
  }
  std::vector<JsonValue> ids = ei_identifiers(ctx, seg, 20);  // DG1-20 diagnosis identifier
  std::string key;
  if (!ids.empty()) {
    key = identifier_key(ids.front());
  } else if (!code.empty()) {
    key = ctx.cursor.patient_key + "|" + ctx.cursor.encounter_key + "|" + code_key(code);
  } else {
    key = ctx.cursor.patient_key + "|" + ctx.cursor.encounter_key + "|uncoded|" +
          std::string(seg.field(5).raw());
  }
  if (code.empty()) {
    ctx.warning(MappingContext::location(seg, 3), "diagnosis code missing: code data-absent");
    code = data_absent("unknown");
  }
  append_all(c, "identifier", std::move(ids));
  c.add("code", std::move(code));
  add_subject(ctx, c, "subject", "encounter");
  std::string onset = time_field(ctx, seg, 5, TimeKind::kDateTime);
  if (!onset.empty()) c.add("onsetDateTime", JsonValue::make_string(onset));
  std::string recorded = time_field(ctx, seg, 19, TimeKind::kDateTime);  // attestation
  if (!recorded.empty()) c.add("recordedDate", JsonValue::make_string(recorded));
  EntryRef asserter = practitioner_from_xcn(ctx, seg.at(16, 1), MappingContext::location(seg, 16));
  if (asserter != kNoEntry) c.add("asserter", ctx.reference(asserter));
  EntryRef ref = ctx.add("Condition", key, std::move(c));
  // Encounter.diagnosis (IG DG1[Encounter]): use from DG1-6, rank DG1-15.
  if (ctx.cursor.encounter != kNoEntry) {
    JsonValue diagnosis = JsonValue::make_object();
    diagnosis.add("condition", ctx.reference(ref));
    std::string type = seg.text(6, 1);  // v2-0052 -> diagnosis-role
    if (!type.empty()) {
      JsonValue use = JsonValue::make_object();
      JsonValue& codings = use.add("coding", JsonValue::make_array());
      if (type == "A")
        codings.push(make_coding("http://terminology.hl7.org/CodeSystem/diagnosis-role", "AD",
                                 "Admission diagnosis"));
      if (type == "F")
        codings.push(make_coding("http://terminology.hl7.org/CodeSystem/diagnosis-role", "DD",
                                 "Discharge diagnosis"));
      codings.push(make_coding("http://terminology.hl7.org/CodeSystem/v2-0052", type));
      diagnosis.add("use", std::move(use));
    }
    std::string rank = seg.text(15);
    if (!rank.empty()) {
      if (rank.size() < 4 && rank.find_first_not_of("0123456789") == std::string::npos &&
          std::stoi(rank) > 0) {
        diagnosis.add("rank", JsonValue::make_number(std::to_string(std::stoi(rank))));
      } else {
        ctx.warning(MappingContext::location(seg, 15), "diagnosis priority not a positive number");
      }
    }
    JsonValue& enc = ctx.resource(ctx.cursor.encounter);
    bool listed = false;
    if (const JsonValue* list = enc.find("diagnosis")) {
      for (const JsonValue& d : list->items())
        listed = listed || d.find("condition")->find("reference")->text() ==
                               ctx.reference(ref).find("reference")->text();
    }
    if (!listed) append(enc, "diagnosis", std::move(diagnosis));
  } else if (!seg.text(6).empty() || !seg.text(15).empty()) {
    ctx.warning(MappingContext::location(seg, 6), "diagnosis type and priority need a visit (PV1)");
  }
  ctx.cursor.note_target = ref;
  ctx.cursor.note_owner = "DG1";
}

void map_pr1(MappingContext& ctx, const Seg& seg) {
  if (!has_patient(ctx, seg)) return;
  JsonValue p = JsonValue::make_object();
  p.add("resourceType", JsonValue::make_string("Procedure"));
  // PR1 carries no status; a procedure reported in PR1 is not asserted as
  // completed by the message, so "unknown".
  p.add("status", JsonValue::make_string("unknown"));
  JsonValue code = codeable_concept_field(ctx, seg, 3);
  std::string performed = time_field(ctx, seg, 5, TimeKind::kDateTime);
  std::vector<JsonValue> ids = ei_identifiers(ctx, seg, 19);  // PR1-19 procedure identifier
  if (seg.field(2).has_value())
    ctx.warning(MappingContext::location(seg, 2), "procedure coding method not mapped");
  // v2.3 feeds: PR1-4 description only. Nothing at all: the procedure is
  // still recorded, its code marked unknown.
  std::string description = seg.text(4);
  if (!description.empty()) {
    if (code.empty()) code = JsonValue::make_object();
    if (code.find("text") == nullptr) code.add("text", JsonValue::make_string(description));
  }
  if (code.empty()) {
    ctx.warning(MappingContext::location(seg, 3), "procedure code missing: code data-absent");
    code = data_absent("unknown");
  }
  std::string key = !ids.empty() ? identifier_key(ids.front())
                                 : ctx.cursor.patient_key + "|" + code_key(code) + "|" + performed;
  if (code_key(code).empty() && ids.empty()) key = ctx.cursor.patient_key + "|uncoded|" + performed;
  append_all(p, "identifier", std::move(ids));
  p.add("code", std::move(code));
  add_subject(ctx, p, "subject", "encounter");
  if (!performed.empty()) p.add("performedDateTime", JsonValue::make_string(performed));
  JsonValue performers = JsonValue::make_array();
  for (EntryRef pr : practitioner_entries(ctx, seg, 12)) {  // PR1-12 procedure practitioner
    JsonValue perf = JsonValue::make_object();
    perf.add("actor", ctx.reference(pr));
    performers.push(std::move(perf));
  }
  if (!performers.empty()) p.add("performer", std::move(performers));
  EntryRef ref = ctx.add("Procedure", key, std::move(p));
  ctx.cursor.note_target = ref;
  ctx.cursor.note_owner = "PR1";
}

void map_in1(MappingContext& ctx, const Seg& seg) {
  if (!has_patient(ctx, seg)) return;
  // Entries first (payor, subscriber, employer), then the Coverage.
  // Payor: IN1-3 company id (CX) + IN1-4 company name (XON), IN1-5 address,
  // IN1-7 phone (IG: on the payor Organization).
  std::vector<JsonValue> company_ids = identifiers_field(ctx, seg, 3);
  std::string company_name = seg.text(4, 1);
  std::vector<JsonValue> company_address = addresses_field(ctx, seg, 5);
  std::vector<JsonValue> company_phone = contact_points_field(ctx, seg, 7, "work");
  EntryRef payor = kNoEntry;
  if (!company_ids.empty() || !company_name.empty()) {
    JsonValue org = JsonValue::make_object();
    org.add("resourceType", JsonValue::make_string("Organization"));
    std::string key =
        !company_ids.empty() ? identifier_key(company_ids.front()) : "name|" + company_name;
    append_all(org, "identifier", std::move(company_ids));
    if (!company_name.empty()) org.add("name", JsonValue::make_string(company_name));
    append_all(org, "telecom", std::move(company_phone));
    append_all(org, "address", std::move(company_address));
    payor = ctx.add("Organization", key, std::move(org));
  } else if (!company_address.empty() || !company_phone.empty()) {
    ctx.warning(MappingContext::location(seg, 5), "insurer address or phone without an insurer");
  }

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
  // Subscriber (IG: IN1-16 name of insured): the Patient when the insured is
  // the patient (IN1-17 SEL), else a RelatedPerson with IN1-16/18/19/43.
  EntryRef subscriber = kNoEntry;
  std::vector<JsonValue> insured_names = human_names_field(ctx, seg, 16);
  std::string insured_birth = time_field(ctx, seg, 18, TimeKind::kDate);
  std::vector<JsonValue> insured_address = addresses_field(ctx, seg, 19);
  std::string insured_sex = seg.text(43, 1);
  if (relationship == "SEL") {
    subscriber = ctx.cursor.patient;  // the PID already carries name, birth date, address
  } else if (!insured_names.empty()) {
    JsonValue r = JsonValue::make_object();
    r.add("resourceType", JsonValue::make_string("RelatedPerson"));
    r.add("patient", ctx.reference(ctx.cursor.patient));
    if (!relationship.empty())
      append(r, "relationship", codeable_concept_field(ctx, seg, 17, 1, "0063"));
    std::string key =
        ctx.cursor.patient_key + "|" + relationship + "|" + std::string(seg.field(16).raw());
    append_all(r, "name", std::move(insured_names));
    const char* g = insured_sex == "F"    ? "female"
                    : insured_sex == "M"  ? "male"
                    : insured_sex == "U"  ? "unknown"
                    : insured_sex.empty() ? nullptr
                                          : "other";
    if (g != nullptr) r.add("gender", JsonValue::make_string(g));
    if (!insured_birth.empty()) r.add("birthDate", JsonValue::make_string(insured_birth));
    append_all(r, "address", std::move(insured_address));
    subscriber = ctx.add("RelatedPerson", key, std::move(r));
  } else if (!insured_birth.empty() || !insured_address.empty() || !insured_sex.empty()) {
    ctx.warning(MappingContext::location(seg, 16), "insured details without the insured's name");
  }
  // Policy holder (IG: IN1-11 insured's group employer -> Organization, with
  // IN1-10 ids and IN1-44 employer address); else the subscriber holds it.
  EntryRef holder = kNoEntry;
  std::string employer = seg.text(11, 1);
  std::vector<JsonValue> employer_ids = identifiers_field(ctx, seg, 10);
  std::vector<JsonValue> employer_address = addresses_field(ctx, seg, 44);
  if (!employer.empty() || !employer_ids.empty()) {
    JsonValue org = JsonValue::make_object();
    org.add("resourceType", JsonValue::make_string("Organization"));
    std::string key =
        !employer_ids.empty() ? identifier_key(employer_ids.front()) : "name|" + employer;
    append_all(org, "identifier", std::move(employer_ids));
    if (!employer.empty()) org.add("name", JsonValue::make_string(employer));
    append_all(org, "address", std::move(employer_address));
    holder = ctx.add("Organization", key, std::move(org));
  } else {
    holder = subscriber;
    if (!employer_address.empty())
      ctx.warning(MappingContext::location(seg, 44), "employer address without an employer");
  }

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
  JsonValue plan_type = codeable_concept_field(ctx, seg, 15, 1, "0086");
  if (!plan_type.empty()) c.add("type", std::move(plan_type));
  if (holder != kNoEntry) c.add("policyHolder", ctx.reference(holder));
  if (subscriber != kNoEntry) c.add("subscriber", ctx.reference(subscriber));
  std::string subscriber_id = seg.text(49, 1);  // IN1-49 insured's id number
  if (!subscriber_id.empty()) c.add("subscriberId", JsonValue::make_string(subscriber_id));
  c.add("beneficiary", ctx.reference(ctx.cursor.patient));
  if (rel != nullptr) {
    c.add("relationship",
          make_concept("http://terminology.hl7.org/CodeSystem/subscriber-relationship", rel));
  }
  std::string start = time_field(ctx, seg, 12, TimeKind::kDateTime);
  std::string end = time_field(ctx, seg, 13, TimeKind::kDateTime);
  if (JsonValue period = period_of(start, end); !period.empty()) c.add("period", std::move(period));
  if (payor != kNoEntry) {
    c.add("payor", JsonValue::make_array()).push(ctx.reference(payor));
  } else {
    // Coverage.payor is 1..*: a Reference holding only data-absent-reason.
    ctx.warning(MappingContext::location(seg, 3), "insurance company missing: payor data-absent");
    c.add("payor", JsonValue::make_array()).push(data_absent("unknown"));
  }
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
  if (seg.text(2, 1).empty() && !seg.text(2, 2).empty())  // class.value is required
    ctx.warning(MappingContext::location(seg, 2), "health plan name without plan id not mapped");
  add_class("group", seg.text(8), seg.text(9, 1));
  if (!classes.empty()) c.add("class", std::move(classes));
  // IN1-22 coordination of benefits priority -> Coverage.order.
  std::string order = seg.text(22);
  if (!order.empty()) {
    if (order.size() < 4 && order.find_first_not_of("0123456789") == std::string::npos &&
        std::stoi(order) > 0) {
      c.add("order", JsonValue::make_number(std::to_string(std::stoi(order))));
    } else {
      ctx.warning(MappingContext::location(seg, 22),
                  "coordination of benefits priority not mapped");
    }
  }
  std::string payor_key = payor != kNoEntry ? ctx.entry(payor).id : std::string("no-payor");
  std::string key = !policy.empty()
                        ? ctx.sender_urn() + ":policy-number|" + policy
                        : ctx.cursor.patient_key + "|" + payor_key + "|" + seg.text(2, 1);
  ctx.add("Coverage", key, std::move(c));
}

}  // namespace gw::v2fhir
