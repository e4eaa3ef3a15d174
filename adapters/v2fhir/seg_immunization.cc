// VXU^V04: ORC + RXA + RXR + OBX -> Immunization (IG segment maps
// ORC[Immunization], RXA[Immunization], RXR[Immunization]).
//
// OBX under an RXA (CDC immunization IG conventions, which the V2-to-FHIR IG
// leaves to realm guides):
//  - 64994-7 funding eligibility -> Immunization.programEligibility
//  - 30963-3 funding source      -> Immunization.fundingSource
//  - 69764-9 VIS document type   -> a new Immunization.education (documentType)
//  - 29768-9 / 29769-7 VIS published / presented dates -> that education
//    element, when an OBX 69764-9 with the same OBX-4 sub-id opened it
//    (education needs documentType or reference, invariant imm-1);
//  - anything else (vaccine type of a VIS, schedule, reactions, immunity...)
//    -> an Observation by the shared OBX mapper, with partOf = Immunization.
#include <utility>

#include "adapters/v2fhir/clinical.h"
#include "adapters/v2fhir/datatypes.h"
#include "adapters/v2fhir/segments.h"

namespace gw::v2fhir {

using fhir::JsonValue;

namespace {

constexpr char kPerformerFunction[] = "http://terminology.hl7.org/CodeSystem/v2-0443";
constexpr char kOrigin[] = "http://terminology.hl7.org/CodeSystem/immunization-origin";

// RXA-9 administration note (CDC table NIP001) -> immunization-origin.
const char* report_origin(std::string_view nip001) {
  if (nip001 == "02") return "provider";
  if (nip001 == "03" || nip001 == "05" || nip001 == "06" || nip001 == "08") return "record";
  if (nip001 == "04") return "recall";
  if (nip001 == "07") return "school";
  return nullptr;
}

void add_performer(JsonValue& imm, JsonValue actor, const char* code, const char* display) {
  JsonValue p = JsonValue::make_object();
  p.add("function", make_concept(kPerformerFunction, code, display));
  p.add("actor", std::move(actor));
  JsonValue* arr = imm.find_mutable("performer");
  if (arr == nullptr) arr = &imm.add("performer", JsonValue::make_array());
  arr->push(std::move(p));
}

// RXA-9 (first repetition) -> primarySource / reportOrigin.
void set_source(MappingContext& ctx, const Seg& seg, JsonValue& imm) {
  std::string code = seg.text(9, 1), text = seg.text(9, 2);
  if (code.empty() && text.empty()) return;
  bool primary = code == "00";
  imm.add("primarySource", JsonValue::make_bool(primary));
  if (primary) return;
  JsonValue origin = JsonValue::make_object();
  if (const char* o = report_origin(code))
    origin.add("coding", JsonValue::make_array()).push(make_coding(kOrigin, o));
  if (!text.empty()) origin.add("text", JsonValue::make_string(text));
  if (!origin.empty()) {
    imm.add("reportOrigin", std::move(origin));
  } else {
    ctx.warning(MappingContext::location(seg, 9),
                "administration note not mapped to a report origin");
  }
}

// Does the run of OBX right before `seg` with its OBX-4 sub-id start with a
// valued 69764-9 (VIS document type)? Bounded look-back.
bool in_vis_group(const MappingContext& ctx, const Seg& seg) {
  std::string sub = seg.text(4);
  size_t idx = seg.view.index();
  for (size_t steps = 0; idx > 0 && steps < 200; --idx, ++steps) {
    hl7::SegmentView prev = ctx.message().segment(idx - 1);
    if (prev.id() == "NTE") continue;
    if (prev.id() != "OBX" || trim(prev.get(4)) != sub) return false;
    if (trim(prev.get(3, 0, 1)) == "69764-9" && !trim(prev.get(5)).empty()) return true;
  }
  return false;
}

}  // namespace

void map_rxa(MappingContext& ctx, const Seg& seg) {
  // The ORC of this order group (map_orc left it waiting for an OBR).
  JsonValue orc = std::move(ctx.cursor.pending_orc);
  ctx.cursor.pending_orc = JsonValue();
  ctx.cursor.pending_orc_key.clear();
  ctx.cursor.note_target = kNoEntry;
  if (ctx.cursor.patient == kNoEntry) {
    ctx.error(MappingContext::location(seg), "RXA without a preceding PID");
    return;
  }
  JsonValue imm = JsonValue::make_object();
  imm.add("resourceType", JsonValue::make_string("Immunization"));
  std::string key;
  if (const JsonValue* ids = orc.find("identifier")) {  // ORC-3 filler first, ORC-2 placer
    imm.add("identifier", *ids);
    key = identifier_key(ids->items().front());
  }

  const char* status = nullptr;
  std::string action = seg.text(21), completion = seg.text(20);
  if (action == "D") {
    status = "entered-in-error";
  } else if (completion.empty() || completion == "CP" || completion == "PA") {
    status = "completed";
  } else if (completion == "RE" || completion == "NA") {
    status = "not-done";
  } else {
    ctx.error(MappingContext::location(seg, 20), "completion status not in table 0322");
    return;
  }
  imm.add("status", JsonValue::make_string(status));
  JsonValue reason = codeable_concept_field(ctx, seg, 18);
  if (!reason.empty()) imm.add("statusReason", std::move(reason));

  JsonValue vaccine = codeable_concept_field(ctx, seg, 5);
  if (vaccine.empty()) {
    ctx.error(MappingContext::location(seg, 5), "administered code required");
    return;
  }
  imm.add("vaccineCode", std::move(vaccine));
  imm.add("patient", ctx.reference(ctx.cursor.patient));
  if (ctx.cursor.encounter != kNoEntry) imm.add("encounter", ctx.reference(ctx.cursor.encounter));
  std::string occurrence = time_field(ctx, seg, 3, TimeKind::kDateTime);
  if (occurrence.empty()) {
    if (!seg.field(3).has_value())
      ctx.error(MappingContext::location(seg, 3), "administration date/time required");
    return;
  }
  imm.add("occurrenceDateTime", JsonValue::make_string(occurrence));
  if (action == "A") {
    std::string recorded = time_field(ctx, seg, 22, TimeKind::kDateTime);
    if (!recorded.empty()) imm.add("recorded", JsonValue::make_string(recorded));
  }
  set_source(ctx, seg, imm);
  if (EntryRef where = location_from_pl_field(ctx, seg, 27); where != kNoEntry) {
    imm.add("location", ctx.reference(where));
  }
  std::string lot = seg.text(15);
  if (!lot.empty()) imm.add("lotNumber", JsonValue::make_string(lot));
  std::string expiration = time_field(ctx, seg, 16, TimeKind::kDate);
  if (!expiration.empty()) imm.add("expirationDate", JsonValue::make_string(expiration));
  if (EntryRef maker = organization_from_cwe(ctx, seg, 17); maker != kNoEntry) {
    imm.add("manufacturer", ctx.reference(maker));
  }
  if (completion == "PA") imm.add("isSubpotent", JsonValue::make_bool(true));

  // RXA-6 999 is the CDC convention for "amount unknown".
  std::string amount = seg.text(6);
  if (!amount.empty() && amount != "999") {
    auto n = hl7::parse_number(amount);
    if (!n.ok()) {
      ctx.error(MappingContext::location(seg, 6), "administered amount is not a number");
      return;
    }
    hl7::CWE units;
    if (seg.field(7).has_value()) {
      auto u = hl7::read_cwe(seg.at(7, 1));
      if (!u.ok()) {
        ctx.error(MappingContext::location(seg, 7), "invalid units");
        return;
      }
      units = *u;
    }
    imm.add("doseQuantity", quantity(n->fhir_decimal(), units));
  }
  int rep = 0;
  for (const hl7::Element& e : seg.field(10).children()) {
    ++rep;
    EntryRef who =
        practitioner_from_xcn(ctx, e, MappingContext::location(seg, 10, 0, rep > 1 ? rep : 0));
    if (who != kNoEntry) add_performer(imm, ctx.reference(who), "AP", "Administering Provider");
  }
  if (const JsonValue* requester = orc.find("requester")) {  // ORC-12
    add_performer(imm, *requester, "OP", "Ordering Provider");
  }
  std::vector<JsonValue> reasons = codeable_concepts_field(ctx, seg, 19);
  if (!reasons.empty()) {
    JsonValue& arr = imm.add("reasonCode", JsonValue::make_array());
    for (JsonValue& r : reasons) arr.push(std::move(r));
  }
  if (key.empty()) {
    key = ctx.cursor.patient_key + "|" + std::string(seg.field(5).raw()) + "|" +
          std::string(seg.field(3).raw()) + "|" + std::to_string(seg.occurrence);
  }
  EntryRef ref = ctx.add("Immunization", key, std::move(imm), "RXA");
  ctx.add_focus(ref);
  ctx.cursor.note_target = ref;
  ctx.cursor.note_owner = "RXA";
}

void map_rxr(MappingContext& ctx, const Seg& seg) {
  size_t idx = seg.view.index();
  if (!message_is(ctx, "VXU") || idx == 0 || ctx.message().segment(idx - 1).id() != "RXA") {
    ctx.warning(MappingContext::location(seg), "route without a preceding RXA not mapped");
    return;
  }
  EntryRef imm = last_of_type(ctx, "Immunization");
  if (imm == kNoEntry) return;  // the RXA was not mapped (its error is reported)
  JsonValue route = codeable_concept_field(ctx, seg, 1, 1, "0162");
  JsonValue site = codeable_concept_field(ctx, seg, 2, 1, "0163");
  JsonValue& r = ctx.resource(imm);
  if (!route.empty()) r.add("route", std::move(route));
  if (!site.empty()) r.add("site", std::move(site));
}

void immunization_obx(MappingContext& ctx, const Seg& seg) {
  EntryRef imm = last_of_type(ctx, "Immunization");
  if (imm == kNoEntry) return;  // the RXA was not mapped (its error is reported)
  std::string code = seg.text(3, 1), type = seg.text(2);
  IssueLocation loc = MappingContext::location(seg, 5);
  bool coded = type == "CE" || type == "CWE";
  bool loinc = seg.text(3, 3) == "LN";
  JsonValue& r = ctx.resource(imm);
  if (loinc && coded && (code == "64994-7" || code == "30963-3")) {
    auto cwe = hl7::read_cwe(seg.at(5, 1));
    if (!cwe.ok()) {
      ctx.error(loc, "invalid coded value");
      return;
    }
    JsonValue cc = codeable_concept(ctx, *cwe, loc);
    if (cc.empty()) {
      ctx.warning(loc, "observation value missing");
    } else if (code == "64994-7") {
      JsonValue* arr = r.find_mutable("programEligibility");
      if (arr == nullptr) arr = &r.add("programEligibility", JsonValue::make_array());
      arr->push(std::move(cc));
    } else if (r.find("fundingSource") != nullptr) {
      ctx.warning(loc, "second funding source not mapped");
    } else {
      r.add("fundingSource", std::move(cc));
    }
    ctx.cursor.note_target = imm;
    return;
  }
  if (loinc && coded && code == "69764-9") {
    std::string document = seg.text(5, 2);
    if (document.empty()) document = seg.text(5, 1);
    if (document.empty()) {
      ctx.warning(loc, "observation value missing");
      return;
    }
    JsonValue edu = JsonValue::make_object();
    edu.add("documentType", JsonValue::make_string(document));
    JsonValue* arr = r.find_mutable("education");
    if (arr == nullptr) arr = &r.add("education", JsonValue::make_array());
    arr->push(std::move(edu));
    ctx.cursor.note_target = imm;
    return;
  }
  bool vis_date = loinc && (type == "TS" || type == "DTM" || type == "DT") &&
                  (code == "29768-9" || code == "29769-7");
  JsonValue* education = r.find_mutable("education");
  if (vis_date && education != nullptr && !education->items().empty() && in_vis_group(ctx, seg)) {
    std::string date =
        time_field(ctx, seg, 5, type == "DT" ? TimeKind::kDate : TimeKind::kDateTime);
    if (!date.empty()) {
      education->mutable_items().back().add(
          code == "29768-9" ? "publicationDate" : "presentationDate", JsonValue::make_string(date));
    }
    ctx.cursor.note_target = imm;
    return;
  }
  // Any other observation about this administration: an Observation.
  size_t before = ctx.entries().size();
  map_obx(ctx, seg);
  if (ctx.entries().size() > before && ctx.entries().back().type == "Observation") {
    JsonValue& obs = ctx.entries().back().resource;
    obs.add("partOf", JsonValue::make_array()).push(ctx.reference(imm));
  }
}

}  // namespace gw::v2fhir
