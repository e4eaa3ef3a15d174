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
//    -> an Observation by the shared OBX mapper, with partOf = Immunization;
//    a 31044-1 reaction is also listed in Immunization.reaction.
//
// RXA and RXR also occur in the pharmacy messages: an RXA of a RAS is a
// medication administration (pharmacy.h), never an Immunization.
#include <utility>

#include "adapters/v2fhir/clinical.h"
#include "adapters/v2fhir/datatypes.h"
#include "adapters/v2fhir/pharmacy.h"
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

// RXA-9 administration notes: a first repetition coded in NIP001 (or with
// no coding system) -> primarySource / reportOrigin (CDC IG); every other
// repetition is a free note -> Immunization.note.
void set_source(MappingContext& ctx, const Seg& seg, JsonValue& imm) {
  int rep = 0;
  for (const hl7::Element& e : seg.field(9).children()) {
    ++rep;
    std::string code = trim(e.part(1).text_or_empty()), text = trim(e.part(2).text_or_empty()),
                system = trim(e.part(3).text_or_empty());
    if (code.empty() && text.empty()) continue;
    bool origin_note = rep == 1 && (system == "NIP001" || (system.empty() && !code.empty()));
    if (!origin_note) {
      add_note(imm, !text.empty() ? text : code);
      continue;
    }
    bool primary = code == "00";
    imm.add("primarySource", JsonValue::make_bool(primary));
    if (primary) continue;
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

// LA2 (point of care ^ room ^ bed ^ facility (HD) ^ status ^ type ^
// building ^ floor ^ street ^ other designation ^ city ^ state ^ zip ^
// country) -> the same Location hierarchy as a PL (location_hierarchy_from_pl:
// one entry per level, keyed by the path from the facility down, partOf the
// level above), the address (components 9-14) on the most specific level.
EntryRef location_from_la2(MappingContext& ctx, const Seg& seg, int field) {
  hl7::Element la = seg.at(field, 1);
  if (!la.has_value()) return kNoEntry;
  auto part = [&la](int i) { return trim(la.part(i).text_or_empty()); };
  std::string facility = trim(la.part(4).part(1).text_or_empty());
  std::string facility_oid = trim(la.part(4).part(2).text_or_empty());
  bool oid = trim(la.part(4).part(3).text_or_empty()) == "ISO" && !facility_oid.empty();
  if (facility.empty()) facility = facility_oid;
  struct Level {
    std::string name;
    const char* physical;
  } levels[] = {{facility, "si"}, {part(7), "bu"}, {part(8), "lvl"},
                {part(1), "wa"},  {part(2), "ro"}, {part(3), "bd"}};
  JsonValue address = JsonValue::make_object();
  JsonValue lines = JsonValue::make_array();
  for (int i : {9, 10}) {
    if (!part(i).empty()) lines.push(JsonValue::make_string(part(i)));
  }
  if (!lines.empty()) address.add("line", std::move(lines));
  const std::pair<int, const char*> kParts[] = {
      {11, "city"}, {12, "state"}, {13, "postalCode"}, {14, "country"}};
  for (const auto& [i, element] : kParts) {
    if (!part(i).empty()) address.add(element, JsonValue::make_string(part(i)));
  }
  EntryRef parent = kNoEntry;
  for (int i = 0; i < 6; ++i) {
    if (levels[i].name.empty()) continue;
    std::string key;
    for (int j = 0; j < 6; ++j) {
      if (j > 0) key += "|";
      if (j <= i) key += levels[j].name;
    }
    JsonValue loc = JsonValue::make_object();
    loc.add("resourceType", JsonValue::make_string("Location"));
    if (i == 0 && oid) {
      JsonValue id = JsonValue::make_object();
      id.add("system", JsonValue::make_string("urn:ietf:rfc:3986"));
      id.add("value", JsonValue::make_string("urn:oid:" + facility_oid));
      loc.add("identifier", JsonValue::make_array()).push(std::move(id));
    }
    loc.add("name", JsonValue::make_string(levels[i].name));
    loc.add("mode", JsonValue::make_string("instance"));
    loc.add("physicalType",
            make_concept("http://terminology.hl7.org/CodeSystem/location-physical-type",
                         levels[i].physical));
    if (parent != kNoEntry) loc.add("partOf", ctx.reference(parent));
    parent = ctx.add("Location", key, std::move(loc));
  }
  if (address.empty()) return parent;
  if (parent == kNoEntry) {  // an address only: a Location of its own
    JsonValue loc = JsonValue::make_object();
    loc.add("resourceType", JsonValue::make_string("Location"));
    loc.add("mode", JsonValue::make_string("instance"));
    loc.add("address", std::move(address));
    return ctx.add("Location", "address|" + std::string(seg.field(field).raw()), std::move(loc));
  }
  JsonValue& most_specific = ctx.resource(parent);
  if (most_specific.find("address") == nullptr) most_specific.add("address", std::move(address));
  return parent;
}

void map_rxa(MappingContext& ctx, const Seg& seg) {
  if (is_pharmacy_message(ctx)) {  // RAS: a medication administration
    map_rxa_administration(ctx, seg);
    return;
  }
  // The ORC of this order group (map_orc left it waiting for an OBR).
  JsonValue orc = std::move(ctx.cursor.pending_orc);
  ctx.cursor.pending_orc = JsonValue();
  ctx.cursor.pending_orc_key.clear();
  ctx.cursor.note_target = kNoEntry;
  ctx.cursor.rx_current = kNoEntry;  // until this RXA's Immunization exists
  if (!has_patient(ctx, seg)) return;
  // RXA-1/RXA-2 (give / administration sub-id counters) only number the
  // administrations of an order; CDC fixes them at 0 and 1.
  seg.touch(1);
  seg.touch(2);
  if (long orc_index = orc.is_null() ? -1 : static_cast<long>(seg.view.index()) - 1;
      orc_index > 0 && ctx.message().segment(static_cast<size_t>(orc_index)).id() == "ORC") {
    // ORC-1 (RE: observations follow) only frames the order group.
    ctx.segment(static_cast<size_t>(orc_index)).touch(1);
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
  std::vector<JsonValue> refusals = codeable_concepts_field(ctx, seg, 18);
  if (!action.empty() && action != "A" && action != "U" && action != "D")
    ctx.warning(MappingContext::location(seg, 21), "action code not in table 0206");
  if (action == "D") {
    status = "entered-in-error";
  } else if (completion.empty() || completion == "CP" || completion == "PA") {
    status = "completed";
  } else if (completion == "RE" || completion == "NA") {
    status = "not-done";
  } else {
    // Best effort: a refusal reason says it was not given, else the RXA
    // records an administration.
    ctx.warning(MappingContext::location(seg, 20), "completion status not in table 0322");
    status = refusals.empty() ? "completed" : "not-done";
  }
  imm.add("status", JsonValue::make_string(status));
  if (!refusals.empty()) {
    imm.add("statusReason", std::move(refusals.front()));
    if (refusals.size() > 1)
      ctx.warning(MappingContext::location(seg, 18, 0, 2), "further refusal reasons not mapped");
  }

  JsonValue vaccine = codeable_concept_field(ctx, seg, 5);
  if (vaccine.empty()) {
    // vaccineCode is required: the IG's data-absent-reason instead of a refusal.
    ctx.warning(MappingContext::location(seg, 5), "administered code missing");
    vaccine = JsonValue::make_object();
    JsonValue absent = JsonValue::make_object();
    absent.add("url", JsonValue::make_string(
                          "http://hl7.org/fhir/StructureDefinition/data-absent-reason"));
    absent.add("valueCode", JsonValue::make_string("unknown"));
    vaccine.add("extension", JsonValue::make_array()).push(std::move(absent));
  }
  imm.add("vaccineCode", std::move(vaccine));
  imm.add("patient", ctx.reference(ctx.cursor.patient));
  if (ctx.cursor.encounter != kNoEntry) imm.add("encounter", ctx.reference(ctx.cursor.encounter));
  std::string occurrence = time_field(ctx, seg, 3, TimeKind::kDateTime);
  if (occurrence.empty()) {
    // occurrence[x] is required and nothing else in the message says when.
    if (!seg.field(3).has_value())
      ctx.warning(MappingContext::location(seg, 3),
                  "administration date/time missing: immunization not mapped");
    return;
  }
  imm.add("occurrenceDateTime", JsonValue::make_string(occurrence));
  std::string recorded = time_field(ctx, seg, 22, TimeKind::kDateTime);
  if (action == "A" || action.empty()) {
    if (!recorded.empty()) imm.add("recorded", JsonValue::make_string(recorded));
  } else if (!recorded.empty()) {
    // IG: RXA-22 is Immunization.recorded only for an add (the first record).
    ctx.warning(MappingContext::location(seg, 22), "system entry date of an update not mapped");
  }
  set_source(ctx, seg, imm);
  EntryRef where = location_from_pl_field(ctx, seg, 27);
  EntryRef administered_at = location_from_la2(ctx, seg, 11);
  if (where == kNoEntry) where = administered_at;
  if (where != kNoEntry) imm.add("location", ctx.reference(where));
  if (administered_at != kNoEntry && where != administered_at)
    ctx.warning(MappingContext::location(seg, 11),
                "administered-at location not mapped: RXA-27 names the location");
  for (int f : {15, 16, 17}) warn_extra_repetitions(ctx, seg, f);  // lot, expiry, maker: 0..1
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
  hl7::CWE units;
  if (seg.field(7).has_value()) {
    auto u = hl7::read_cwe(seg.at(7, 1));
    if (u.ok()) {
      units = *u;
    } else {
      ctx.warning(MappingContext::location(seg, 7), "invalid units");
    }
  }
  if (!amount.empty() && amount != "999") {
    auto n = hl7::parse_number(amount);
    if (n.ok()) {
      imm.add("doseQuantity", quantity(n->fhir_decimal(), units));
    } else {
      ctx.warning(MappingContext::location(seg, 6), "administered amount is not a number");
    }
  }
  for (EntryRef who : practitioner_entries(ctx, seg, 10))
    add_performer(imm, ctx.reference(who), "AP", "Administering Provider");
  if (const JsonValue* requester = orc.find("requester")) {  // ORC-12
    add_performer(imm, *requester, "OP", "Ordering Provider");
  }
  if (long orc_index = static_cast<long>(seg.view.index()) - 1;
      !orc.is_null() && orc_index > 0 &&
      ctx.message().segment(static_cast<size_t>(orc_index)).id() == "ORC") {
    // ORC-10 entered by (CDC IG: the person who recorded the dose) is the
    // Provenance's enterer (Immunization has no recorder; EVN-5 wins).
    Seg orc_seg = ctx.segment(static_cast<size_t>(orc_index));
    EntryRef enterer =
        practitioner_from_xcn(ctx, orc_seg.at(10, 1), MappingContext::location(orc_seg, 10));
    if (enterer != kNoEntry && ctx.event_info.enterer == kNoEntry) ctx.event_info.enterer = enterer;
    if (enterer != kNoEntry && ctx.event_info.enterer != enterer)
      ctx.warning(MappingContext::location(orc_seg, 10),
                  "entered by not mapped: the message's Provenance names another enterer");
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
  EntryRef ref = ctx.add("Immunization", key, std::move(imm));
  ctx.add_focus(ref);
  ctx.cursor.rx_current = ref;
  ctx.cursor.note_target = ref;
  ctx.cursor.note_owner = "RXA";
}

void map_rxr(MappingContext& ctx, const Seg& seg) {
  if (is_pharmacy_message(ctx)) {
    map_rxr_pharmacy(ctx, seg);
    return;
  }
  size_t idx = seg.view.index();
  if (!message_is(ctx, "VXU") || idx == 0 || ctx.message().segment(idx - 1).id() != "RXA") {
    ctx.warning(MappingContext::location(seg), "route without a preceding RXA not mapped");
    return;
  }
  // The Immunization of the RXA this segment follows (none if that RXA was
  // not mapped: its warning is reported).
  EntryRef imm = ctx.cursor.rx_current;
  if (imm == kNoEntry || ctx.entry(imm).type != "Immunization") return;
  JsonValue route = codeable_concept_field(ctx, seg, 1, 1, "0162");
  JsonValue site = codeable_concept_field(ctx, seg, 2, 1, "0163");
  JsonValue& r = ctx.resource(imm);
  if (!route.empty()) r.add("route", std::move(route));
  if (!site.empty()) r.add("site", std::move(site));
}

void immunization_obx(MappingContext& ctx, const Seg& seg) {
  // The Immunization of the RXA this segment follows (none if that RXA was
  // not mapped: its warning is reported).
  EntryRef imm = ctx.cursor.rx_current;
  if (imm == kNoEntry || ctx.entry(imm).type != "Immunization") return;
  std::string code = seg.text(3, 1), type = seg.text(2);
  IssueLocation loc = MappingContext::location(seg, 5);
  bool coded = type == "CE" || type == "CWE";
  bool loinc = seg.text(3, 3) == "LN";
  JsonValue& r = ctx.resource(imm);
  // Folded into the Immunization, the OBX-4 sub-id only groups the OBX of one
  // detail (a VIS and its dates), and a final status is the Immunization's own.
  auto fold_checks = [&ctx, &seg] {
    seg.touch(4);
    std::string result_status = seg.text(11);
    if (!result_status.empty() && result_status != "F" && result_status != "C")
      ctx.warning(MappingContext::location(seg, 11),
                  "result status not final: the value is kept in the immunization");
  };
  if (loinc && coded && (code == "64994-7" || code == "30963-3")) {
    fold_checks();
    auto cwe = hl7::read_cwe(seg.at(5, 1));
    if (!cwe.ok()) {
      ctx.warning(loc, "invalid coded value not mapped");
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
    fold_checks();
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
    fold_checks();
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
    EntryRef obs_ref = static_cast<EntryRef>(ctx.entries().size() - 1);
    JsonValue& obs = ctx.resource(obs_ref);
    obs.add("partOf", JsonValue::make_array()).push(ctx.reference(imm));
    if (loinc && code == "31044-1") {  // CDC: a reaction to this dose
      JsonValue reaction = JsonValue::make_object();
      if (const JsonValue* when = obs.find("effectiveDateTime")) reaction.add("date", *when);
      reaction.add("detail", ctx.reference(obs_ref));
      JsonValue* arr = ctx.resource(imm).find_mutable("reaction");
      if (arr == nullptr) arr = &ctx.resource(imm).add("reaction", JsonValue::make_array());
      arr->push(std::move(reaction));
    }
  }
}

}  // namespace gw::v2fhir
