// RXA of a RAS^O17 -> MedicationAdministration with its Medication, and RXR
// of any pharmacy message -> the route, site and method of the current
// order's, dispense's or administration's Dosage (pharmacy.h).
#include <optional>
#include <string>
#include <utility>

#include "adapters/v2fhir/adt.h"
#include "adapters/v2fhir/clinical.h"
#include "adapters/v2fhir/datatypes.h"
#include "adapters/v2fhir/pharmacy.h"
#include "adapters/v2fhir/pharmacy_util.h"
#include "adapters/v2fhir/segments.h"

namespace gw::v2fhir {

using fhir::JsonValue;

// RXA of a RAS -> MedicationAdministration (FHIR R4 MedicationAdministration
// v2 mappings; IG ORC[MedicationAdministration] for the ordering provider).
void map_rxa_administration(MappingContext& ctx, const Seg& seg) {
  if (!has_patient(ctx, seg)) return;
  JsonValue orc = begin_event_group(ctx, seg, 5);
  JsonValue ma = JsonValue::make_object();
  ma.add("resourceType", JsonValue::make_string("MedicationAdministration"));
  drop_order_timing(ctx, orc, false);
  std::string completion = seg.text(20), action = seg.text(21);
  const char* status = nullptr;
  if (action == "D") {
    status = "entered-in-error";
  } else if (completion.empty() || completion == "CP") {
    status = "completed";
  } else if (completion == "PA") {
    status = "stopped";  // partially administered: halted before the full dose
  } else if (completion == "RE" || completion == "NA") {
    status = "not-done";
  } else {
    ctx.warning(MappingContext::location(seg, 20), "completion status not in table 0322");
    status = "unknown";
  }
  if (!action.empty() && action != "A" && action != "U" && action != "D")
    ctx.warning(MappingContext::location(seg, 21), "action code not in table 0206");
  ma.add("status", JsonValue::make_string(status));
  append_all(ma, "statusReason", codeable_concepts_field(ctx, seg, 18));
  ma.add("subject", ctx.reference(ctx.cursor.patient));
  if (ctx.cursor.encounter != kNoEntry) ma.add("context", ctx.reference(ctx.cursor.encounter));
  std::string start = time_field(ctx, seg, 3, TimeKind::kDateTime);
  std::string end = time_field(ctx, seg, 4, TimeKind::kDateTime);
  if (start.empty()) {
    ctx.warning(MappingContext::location(seg, 3),
                "administration date/time missing: administration not mapped");
    return;
  }
  if (!end.empty() && end != start) {
    JsonValue period = JsonValue::make_object();
    period.add("start", JsonValue::make_string(start));
    period.add("end", JsonValue::make_string(end));
    ma.add("effectivePeriod", std::move(period));
  } else {
    ma.add("effectiveDateTime", JsonValue::make_string(start));
  }
  add_actors(ctx, seg, 10, ma);
  if (std::optional<Seg> orc_seg = group_orc(ctx)) {
    // Status comes from RXA-20/21; the order control (RE: results follow)
    // only frames the group.
    orc_seg->touch(1);
  }
  if (ctx.cursor.rx_request == kNoEntry) {
    // IG ORC[MedicationAdministration]: ORC-12 -> performer, function OP.
    if (const JsonValue* requester = orc.find("requester")) {
      JsonValue p = JsonValue::make_object();
      p.add("function", make_concept("http://terminology.hl7.org/CodeSystem/v2-0443", "OP",
                                     "Ordering Provider"));
      p.add("actor", *requester);
      array_member(ma, "performer").push(std::move(p));
    }
    std::optional<Seg> orc_seg = group_orc(ctx);
    if (orc.find("authoredOn") != nullptr && orc_seg)
      ctx.warning(MappingContext::location(*orc_seg, 9),
                  "order date not mapped: the group has no order segment");
  }
  append_all(ma, "reasonCode", codeable_concepts_field(ctx, seg, 19));
  JsonValue order = order_reference(ctx);
  if (!order.empty()) ma.add("request", std::move(order));
  // RXA-6 / RXA-7 -> dosage.dose (route and site come with the RXR).
  std::string amount = number_text(ctx, seg, 6);
  hl7::CWE units = units_at(ctx, seg.at(7, 1), MappingContext::location(seg, 7));
  if (!amount.empty()) {
    JsonValue dosage = JsonValue::make_object();
    dosage.add("dose", quantity(amount, units));
    ma.add("dosage", std::move(dosage));
  }
  for (const hl7::Element& e : seg.field(9).children()) {
    std::string text = trim(e.part(2).text_or_empty());  // CWE-2, else the code
    if (text.empty()) text = trim(e.part(9).text_or_empty());
    if (text.empty()) text = trim(e.part(1).text_or_empty());
    if (!text.empty()) add_note(ma, std::move(text));
  }
  // Give / administration sub-id counters number the administrations of one order.
  std::string key = ctx.cursor.rx_order_key + "|administration|" + seg.text(1) + "|" + seg.text(2);
  if (seg.text(1).empty() && seg.text(2).empty()) key += "#" + std::to_string(seg.occurrence);
  EntryRef med = add_medication(ctx, seg, 5, 8, key);
  add_batch(ctx, seg, med, 15, 16, 17);
  ma.add("medicationReference", ctx.reference(med));
  EntryRef ref = ctx.add("MedicationAdministration", key, std::move(ma));
  make_current_event(ctx, ref, med, "RXA");
}

// IG RXR[MedicationRequest] (and the same elements of the Dosage of a
// dispense or an administration).
void map_rxr_pharmacy(MappingContext& ctx, const Seg& seg) {
  if (ctx.cursor.rx_current == kNoEntry) {
    ctx.warning(MappingContext::location(seg), "route without a medication segment not mapped");
    return;
  }
  JsonValue& r = ctx.resource(ctx.cursor.rx_current);
  bool administration = ctx.entry(ctx.cursor.rx_current).type == "MedicationAdministration";
  JsonValue route = codeable_concept_field(ctx, seg, 1, 1, "0162");
  JsonValue site = codeable_concept_field(ctx, seg, 2, 1, "0163");
  JsonValue method = codeable_concept_field(ctx, seg, 4, 1, "0165");
  JsonValue instruction;
  if (!administration) instruction = codeable_concept_field(ctx, seg, 5);
  if (route.empty() && site.empty() && method.empty() && instruction.empty()) return;
  JsonValue* dosage = nullptr;
  if (administration) {
    dosage = r.find_mutable("dosage");
    if (dosage == nullptr) dosage = &r.add("dosage", JsonValue::make_object());
  } else {
    dosage = &first_dosage(r, "dosageInstruction");
  }
  if (dosage->find("route") != nullptr) {
    ctx.warning(MappingContext::location(seg), "further route not mapped");
    return;
  }
  if (!route.empty()) dosage->add("route", std::move(route));
  if (!site.empty()) dosage->add("site", std::move(site));
  if (!method.empty()) dosage->add("method", std::move(method));
  if (!instruction.empty())
    array_member(*dosage, "additionalInstruction").push(std::move(instruction));
}

}  // namespace gw::v2fhir
