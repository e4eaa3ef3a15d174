// RXD (RDS^O13) -> MedicationDispense with its Medication, linked to the
// group's order (pharmacy.h).
#include <optional>
#include <string>
#include <utility>

#include "adapters/v2fhir/clinical.h"
#include "adapters/v2fhir/datatypes.h"
#include "adapters/v2fhir/pharmacy.h"
#include "adapters/v2fhir/pharmacy_util.h"
#include "adapters/v2fhir/segments.h"

namespace gw::v2fhir {

using fhir::JsonValue;

namespace {

// v2-0038 order status (ORC-5) -> medicationdispense-status.
const char* dispense_status(std::string_view s) {
  if (s == "CM") return "completed";
  if (s == "IP") return "in-progress";
  if (s == "A" || s == "SC") return "preparation";
  if (s == "CA") return "cancelled";
  if (s == "DC") return "stopped";
  if (s == "HD") return "on-hold";
  if (s == "ER") return "entered-in-error";
  return nullptr;
}

}  // namespace

// RXD -> MedicationDispense (FHIR R4 MedicationDispense v2 mappings).
void map_rxd(MappingContext& ctx, const Seg& seg) {
  if (!has_patient(ctx, seg)) return;
  JsonValue orc = begin_event_group(ctx, seg, 2);
  JsonValue md = JsonValue::make_object();
  md.add("resourceType", JsonValue::make_string("MedicationDispense"));
  drop_order_timing(ctx, orc, true);
  if (const JsonValue* dosage = orc.find("dosageInstruction")) md.add("dosageInstruction", *dosage);
  std::optional<Seg> orc_seg = group_orc(ctx);
  const char* status = nullptr;
  std::string handed_over = time_field(ctx, seg, 3, TimeKind::kDateTime);
  if (orc_seg && !orc_seg->text(5).empty()) {
    status = dispense_status(orc_seg->text(5));
    if (status == nullptr)
      ctx.warning(MappingContext::location(*orc_seg, 5), "order status not in table 0038");
  }
  if (orc_seg) {
    // Without ORC-5, ORC-1 can still say cancel, stop or hold; RE (results
    // follow) only frames the group.
    const char* from_control = request_status_from_control(orc_seg->text(1));
    if (status == nullptr && from_control != nullptr && std::string_view(from_control) != "active")
      status = from_control;
  }
  if (status == nullptr) status = !handed_over.empty() ? "completed" : "unknown";
  md.add("status", JsonValue::make_string(status));
  md.add("subject", ctx.reference(ctx.cursor.patient));
  if (ctx.cursor.encounter != kNoEntry) md.add("context", ctx.reference(ctx.cursor.encounter));
  if (ctx.cursor.rx_request == kNoEntry && !orc.is_null() && orc_seg) {
    // No RXE/RXO: the ORC's ordering provider and date have no element here.
    if (orc.find("requester") != nullptr)
      ctx.warning(MappingContext::location(*orc_seg, 12),
                  "ordering provider not mapped: the group has no order segment");
    if (orc.find("authoredOn") != nullptr)
      ctx.warning(MappingContext::location(*orc_seg, 9),
                  "order date not mapped: the group has no order segment");
  }
  JsonValue order = order_reference(ctx);
  if (!order.empty())
    md.add("authorizingPrescription", JsonValue::make_array()).push(std::move(order));
  JsonValue type = codeable_concept_field(ctx, seg, 33);
  if (!type.empty()) md.add("type", std::move(type));
  JsonValue quantity = quantity_fields(ctx, seg, 4, 5);
  if (!quantity.empty()) md.add("quantity", std::move(quantity));
  if (!handed_over.empty()) md.add("whenHandedOver", JsonValue::make_string(handed_over));
  add_actors(ctx, seg, 10, md);
  JsonValue daily = cq_quantity(ctx, seg, 12);
  if (!daily.empty())
    first_dosage(md, "dosageInstruction").add("maxDosePerPeriod", per_day(std::move(daily)));
  if (EntryRef destination = location_from_la2(ctx, seg, 13); destination != kNoEntry)
    md.add("destination", ctx.reference(destination));
  std::string substitution = seg.text(11);
  if (!substitution.empty()) {
    // v2-0167: G generic and T therapeutic substitutions were dispensed.
    JsonValue s = JsonValue::make_object();
    s.add("wasSubstituted", JsonValue::make_bool(substitution == "G" || substitution == "T"));
    JsonValue t = codeable_concept_field(ctx, seg, 11, 1, "0167");
    if (!t.empty()) s.add("type", std::move(t));
    md.add("substitution", std::move(s));
  }
  for (const hl7::Element& e : seg.field(9).children()) {
    std::string note = trim(e.text_or_empty());
    if (!note.empty()) add_note(md, std::move(note));
  }
  // The dispense sub-id counter numbers the dispenses of one order.
  std::string counter = seg.text(1);
  std::string key = ctx.cursor.rx_order_key + "|dispense|" +
                    (!counter.empty() ? counter : "#" + std::to_string(seg.occurrence));
  EntryRef med = add_medication(ctx, seg, 2, 6, key);
  add_batch(ctx, seg, med, 18, 19, 20);
  md.add("medicationReference", ctx.reference(med));
  EntryRef ref = ctx.add("MedicationDispense", key, std::move(md));
  std::string prescription = seg.text(7);
  if (!prescription.empty()) {
    JsonValue id = JsonValue::make_object();
    id.add("system", JsonValue::make_string(ctx.sender_urn() + ":prescription-number"));
    id.add("value", JsonValue::make_string(prescription));
    array_member(ctx.resource(ref), "identifier").push(std::move(id));
  }
  make_current_event(ctx, ref, med, "RXD");
}

}  // namespace gw::v2fhir
