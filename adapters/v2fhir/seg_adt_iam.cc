// IAM (patient adverse reaction information, ADT^A60) -> AllergyIntolerance,
// after the IG's IAM[AllergyIntolerance] segment map.
#include <utility>

#include "adapters/v2fhir/adt.h"
#include "adapters/v2fhir/datatypes.h"
#include "adapters/v2fhir/segments.h"

namespace gw::v2fhir {

using fhir::JsonValue;

namespace {

constexpr char kClinical[] = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical";
constexpr char kVerification[] =
    "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification";

}  // namespace

void map_iam(MappingContext& ctx, const Seg& seg) {
  if (!has_patient(ctx, seg)) return;
  // Entries first: the recorder Practitioner (IAM-14 is only a name; the
  // IG maps it to Practitioner.name when IAM-15 does not name a relative).
  EntryRef recorder = kNoEntry;
  std::string reporter_relationship = seg.text(15, 1);
  if (seg.field(14).has_value()) {
    if (reporter_relationship.empty()) {
      std::vector<JsonValue> names = human_names_field(ctx, seg, 14);
      if (!names.empty()) {
        JsonValue pr = JsonValue::make_object();
        pr.add("resourceType", JsonValue::make_string("Practitioner"));
        std::string key = "IAM-14|" + std::string(seg.field(14).raw());
        append_all(pr, "name", std::move(names));
        recorder = ctx.add("Practitioner", key, std::move(pr));
      }
    } else if (reporter_relationship == "SEL") {
      seg.field(14);  // the patient: named in the PID
      recorder = ctx.cursor.patient;
    } else {
      JsonValue r = JsonValue::make_object();
      r.add("resourceType", JsonValue::make_string("RelatedPerson"));
      r.add("patient", ctx.reference(ctx.cursor.patient));
      append(r, "relationship", codeable_concept_field(ctx, seg, 15, 1, "0063"));
      append_all(r, "name", human_names_field(ctx, seg, 14));
      std::string key = ctx.cursor.patient_key + "|" + reporter_relationship + "|" +
                        std::string(seg.field(14).raw());
      recorder = ctx.add("RelatedPerson", key, std::move(r));
    }
  } else if (!reporter_relationship.empty()) {
    ctx.warning(MappingContext::location(seg, 15), "reporter relationship without a reporter");
  }

  JsonValue a = JsonValue::make_object();
  a.add("resourceType", JsonValue::make_string("AllergyIntolerance"));
  // IAM-7 allergy unique identifier is the identity across A60 updates.
  std::string key;
  hl7::Element uid = seg.at(7, 1);
  if (uid.has_value()) {
    JsonValue id = identifier_from_ei(ctx, read_ei(uid), "", MappingContext::location(seg, 7));
    if (!id.empty()) {
      key = identifier_key(id);
      append(a, "identifier", std::move(id));
    }
  }
  // IAM-6 action code (table 0206): D delete -> entered-in-error (then no
  // clinicalStatus, ait-2); A/U/X: the allergy as sent.
  std::string action = seg.text(6, 1);
  bool deleted = action == "D";
  if (!action.empty() && action != "A" && action != "U" && action != "X" && !deleted)
    ctx.warning(MappingContext::location(seg, 6), "allergy action code not in table 0206");
  JsonValue clinical = codeable_concept_field(ctx, seg, 17);
  if (!deleted) {
    std::string status = seg.text(17, 1);
    // IAM-17 (user-defined table 0438): codes of the FHIR clinical status
    // code system are used as such; anything else: active, with a warning.
    if (status == "inactive" || status == "resolved" || status == "active") {
      a.add("clinicalStatus", make_concept(kClinical, status));
    } else {
      if (!clinical.empty())
        ctx.warning(MappingContext::location(seg, 17), "allergy clinical status not mapped");
      a.add("clinicalStatus", make_concept(kClinical, "active", "Active"));
    }
  } else {
    a.add("verificationStatus", make_concept(kVerification, "entered-in-error"));
    if (!clinical.empty())
      ctx.warning(MappingContext::location(seg, 17),
                  "clinical status of a deleted allergy not mapped");
  }
  std::string category = seg.text(2, 1);        // v2-0127 -> category / type
  AllergenType type = allergen_type(category);  // v2-0127
  if (type.category != nullptr) append(a, "category", JsonValue::make_string(type.category));
  if (type.type != nullptr) a.add("type", JsonValue::make_string(type.type));
  if (!type.known && !category.empty())
    ctx.warning(MappingContext::location(seg, 2), "allergen type not in table 0127");
  JsonValue code = codeable_concept_field(ctx, seg, 3);
  // IAM-27 clinician identified code: more codings of the same allergen.
  JsonValue clinician = codeable_concept_field(ctx, seg, 27);
  if (!clinician.empty()) {
    if (code.empty()) code = JsonValue::make_object();
    if (const JsonValue* codings = clinician.find("coding"))
      for (const JsonValue& c : codings->items()) append(code, "coding", c);
  }
  if (code.empty()) {
    ctx.warning(MappingContext::location(seg, 3), "allergen code missing: code data-absent");
    code = data_absent("unknown");
  }
  if (key.empty()) {
    std::string ck;
    if (const JsonValue* codings = code.find("coding")) {
      const JsonValue& c0 = codings->items().front();
      ck = c0.find("system") ? c0.find("system")->text() + "|" : "|";
      ck += c0.find("code") ? c0.find("code")->text() : "";
    } else if (const JsonValue* t = code.find("text")) {
      ck = "text|" + t->text();
    }
    // Same key as AL1 (patient + code): an A60 updates the AL1's allergy.
    key = ctx.cursor.patient_key + "|" + (ck.empty() ? "uncoded|" + category : ck);
  }
  a.add("code", std::move(code));
  a.add("patient", ctx.reference(ctx.cursor.patient));
  if (ctx.cursor.encounter != kNoEntry) a.add("encounter", ctx.reference(ctx.cursor.encounter));
  std::string onset = time_field(ctx, seg, 11, TimeKind::kDateTime);
  std::string onset_text = seg.text(12);
  if (!onset.empty()) {
    a.add("onsetDateTime", JsonValue::make_string(onset));
    if (!onset_text.empty())
      ctx.warning(MappingContext::location(seg, 12), "onset text besides an onset date not mapped");
  } else if (!onset_text.empty()) {
    a.add("onsetString", JsonValue::make_string(onset_text));
  }
  std::string reported = time_field(ctx, seg, 13, TimeKind::kDateTime);
  if (!reported.empty()) a.add("recordedDate", JsonValue::make_string(reported));
  if (recorder != kNoEntry) a.add("recorder", ctx.reference(recorder));
  // Reaction: IAM-5 manifestation text, IAM-4 severity (v2-0128).
  std::string manifestation = seg.text(5);
  std::string severity = seg.text(4, 1);
  const char* sev = severity == "SV"   ? "severe"
                    : severity == "MO" ? "moderate"
                    : severity == "MI" ? "mild"
                                       : nullptr;
  if (severity == "SV") a.add("criticality", JsonValue::make_string("high"));
  if (severity == "MO" || severity == "MI") a.add("criticality", JsonValue::make_string("low"));
  if (severity == "U") a.add("criticality", JsonValue::make_string("unable-to-assess"));
  if (!severity.empty() && sev == nullptr && severity != "U")
    ctx.warning(MappingContext::location(seg, 4), "allergy severity not in table 0128");
  if (!manifestation.empty()) {
    JsonValue reaction = JsonValue::make_object();
    JsonValue m = JsonValue::make_object();
    m.add("text", JsonValue::make_string(manifestation));
    append(reaction, "manifestation", std::move(m));
    if (sev != nullptr) reaction.add("severity", JsonValue::make_string(sev));
    append(a, "reaction", std::move(reaction));
  }
  std::string reason = seg.text(8);  // IAM-8 action reason: a note
  if (!reason.empty()) add_note(a, reason);
  EntryRef ref = ctx.add("AllergyIntolerance", key, std::move(a));
  ctx.cursor.note_target = ref;
  ctx.cursor.note_owner = "IAM";
}

}  // namespace gw::v2fhir
