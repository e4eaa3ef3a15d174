// RXO and RXE (original and encoded orders) -> the group's
// MedicationRequest, and RXC -> the ingredients of the group's Medication
// (RDE^O11, RDE^O25; the group structure is in pharmacy.h).
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

namespace {

// v2-0038 order status (ORC-5) -> medicationrequest-status.
const char* request_status(std::string_view s) {
  if (s == "A" || s == "IP" || s == "SC") return "active";
  if (s == "CM") return "completed";
  if (s == "CA") return "cancelled";
  if (s == "DC" || s == "RP") return "stopped";
  if (s == "HD") return "on-hold";
  if (s == "ER") return "entered-in-error";
  return nullptr;
}

// Dose (min/max amount + units) into Dosage.doseAndRate[0]: a doseQuantity,
// or a doseRange when a maximum is given; type "ordered" (IG RXO-2).
void set_dose(MappingContext& ctx, const Seg& seg, JsonValue& dosage, int min_field, int max_field,
              int units_field) {
  std::string low = number_text(ctx, seg, min_field);
  std::string high = max_field > 0 ? number_text(ctx, seg, max_field) : std::string();
  hl7::CWE units =
      units_at(ctx, seg.at(units_field, 1), MappingContext::location(seg, units_field));
  if (low.empty() && high.empty()) {
    if (seg.field(units_field).has_value())
      ctx.warning(MappingContext::location(seg, units_field), "units without an amount not mapped");
    return;
  }
  JsonValue dr = JsonValue::make_object();
  dr.add("type", make_concept("http://terminology.hl7.org/CodeSystem/dose-rate-type", "ordered",
                              "Ordered"));
  if (!high.empty() && high != low) {
    JsonValue range = JsonValue::make_object();
    if (!low.empty()) range.add("low", quantity(low, units));
    range.add("high", quantity(high, units));
    dr.add("doseRange", std::move(range));
  } else {
    dr.add("doseQuantity", quantity(!low.empty() ? low : high, units));
  }
  JsonValue& arr = array_member(dosage, "doseAndRate");
  if (arr.items().empty()) {
    arr.push(std::move(dr));
  } else {  // a rate may be there already: keep it, replace the dose
    JsonValue& first = arr.mutable_items().front();
    first.remove("doseQuantity");
    first.remove("doseRange");
    for (const fhir::JsonMember& m : dr.members()) first.add(m.key, m.value);
  }
}

// Merges the dosage an RXO/RXE built into the first Dosage of `mr`. Its
// dose replaces one a TQ1 right after the ORC gave (said in a warning).
void merge_dosage(MappingContext& ctx, const Seg& seg, JsonValue& mr, const JsonValue& dosage) {
  if (dosage.empty()) return;
  JsonValue& d = first_dosage(mr, "dosageInstruction");
  if (d.find("doseAndRate") != nullptr && dosage.find("doseAndRate") != nullptr &&
      d.find("timing") != nullptr)
    ctx.warning(MappingContext::location(seg, seg.id() == "RXO" ? 2 : 3),
                "the timing quantity is replaced by the give amount");
  for (const fhir::JsonMember& m : dosage.members()) d.add(m.key, m.value);
}

// RXO-9 / RXE-9 substitution status (tables 0161 / 0167) ->
// MedicationRequest.substitution.allowedCodeableConcept.
void set_allowed_substitution(MappingContext& ctx, const Seg& seg, int field, const char* table,
                              JsonValue& mr) {
  JsonValue substitution = codeable_concept_field(ctx, seg, field, 1, table);
  if (substitution.empty()) return;
  JsonValue s = JsonValue::make_object();
  s.add("allowedCodeableConcept", std::move(substitution));
  mr.add("substitution", std::move(s));
}

// RXO-27 / RXE-44 pharmacy order type (v2-0480: M medication, S IV large
// volume, O other solution) -> MedicationRequest.category.
void set_order_type(MappingContext& ctx, const Seg& seg, int field, JsonValue& mr) {
  JsonValue type = codeable_concept_field(ctx, seg, field, 1, "0480");
  if (type.empty()) return;
  JsonValue arr = JsonValue::make_array();
  arr.push(std::move(type));
  mr.add("category", std::move(arr));
}

// Order-level values of the group's ORC for a MedicationRequest: status from
// ORC-5 (else ORC-1), recorder from ORC-10.
void apply_orc(MappingContext& ctx, JsonValue& mr) {
  const char* status = nullptr;
  if (std::optional<Seg> found = group_orc(ctx)) {
    const Seg& orc = *found;
    std::string order_status = orc.text(5), control = orc.text(1);
    if (!order_status.empty()) {
      status = request_status(order_status);
      if (status == nullptr)
        ctx.warning(MappingContext::location(orc, 5), "order status not in table 0038");
    }
    if (status == nullptr) {
      status = request_status_from_control(control);
      if (status == nullptr && order_status.empty())
        ctx.warning(MappingContext::location(orc, 1), "order control code gives no status");
    }
    EntryRef recorder =
        practitioner_from_xcn(ctx, orc.at(10, 1), MappingContext::location(orc, 10));
    if (recorder != kNoEntry) mr.add("recorder", ctx.reference(recorder));
  }
  mr.add("status", JsonValue::make_string(status != nullptr ? status : "unknown"));
}

// The group's MedicationRequest for an RXO/RXE: a new one from the waiting
// ORC, else the one an RXO of this group opened (an RXE then refines it).
// The draft is built in `out`; returns the existing entry or kNoEntry.
EntryRef request_for(MappingContext& ctx, const Seg& seg, int code_field, JsonValue* out) {
  JsonValue orc = begin_group(ctx, seg, std::string(seg.field(code_field).raw()));
  if (orc.is_null()) {
    long anchor = find_back(ctx, seg, {"ORC", "RXO", "RXE", "RXD", "RXA"});
    if (ctx.cursor.rx_request != kNoEntry && anchor >= 0 &&
        ctx.message().segment(static_cast<size_t>(anchor)).id() == "RXO")
      return ctx.cursor.rx_request;
    if (anchor < 0 || ctx.message().segment(static_cast<size_t>(anchor)).id() != "ORC")
      begin_orphan_group(ctx, std::string(seg.field(code_field).raw()));
  }
  JsonValue mr = JsonValue::make_object();
  mr.add("resourceType", JsonValue::make_string("MedicationRequest"));
  if (const JsonValue* ids = orc.find("identifier")) mr.add("identifier", *ids);
  apply_orc(ctx, mr);
  mr.add("intent", JsonValue::make_string("order"));
  mr.add("subject", ctx.reference(ctx.cursor.patient));
  if (ctx.cursor.encounter != kNoEntry) mr.add("encounter", ctx.reference(ctx.cursor.encounter));
  // Timing and priority a TQ1 right after the ORC put on the draft.
  for (const char* carried : {"authoredOn", "requester", "priority", "dosageInstruction"}) {
    if (const JsonValue* v = orc.find(carried)) mr.add(carried, *v);
  }
  *out = std::move(mr);
  return kNoEntry;
}

// Adds or completes the group's MedicationRequest and makes it current.
void finish_request(MappingContext& ctx, const Seg& seg, EntryRef existing, JsonValue draft,
                    EntryRef medication, const std::string& key) {
  EntryRef ref = existing;
  if (ref == kNoEntry) {
    ref = ctx.add("MedicationRequest", key, std::move(draft));
    ctx.add_focus(ref);
  }
  ctx.resource(ref).add("medicationReference", ctx.reference(medication));
  ctx.cursor.rx_request = ref;
  ctx.cursor.rx_current = ref;
  ctx.cursor.rx_medication = medication;
  ctx.cursor.note_target = ref;
  ctx.cursor.note_owner = std::string(seg.id());
}

}  // namespace

// IG RXO[MedicationRequest].
void map_rxo(MappingContext& ctx, const Seg& seg) {
  if (!has_patient(ctx, seg)) return;
  JsonValue draft;
  EntryRef existing = request_for(ctx, seg, 1, &draft);
  JsonValue& mr = existing != kNoEntry ? ctx.resource(existing) : draft;
  if (existing == kNoEntry) mr.add("intent", JsonValue::make_string("original-order"));
  EntryRef med = add_medication(ctx, seg, 1, 5, ctx.cursor.rx_order_key);
  JsonValue dosage = JsonValue::make_object();
  set_dose(ctx, seg, dosage, 2, 3, 4);
  append_all(dosage, "additionalInstruction", codeable_concepts_field(ctx, seg, 7));
  merge_dosage(ctx, seg, mr, dosage);
  set_allowed_substitution(ctx, seg, 9, "0161", mr);
  JsonValue dispense = JsonValue::make_object();
  JsonValue quantity = quantity_fields(ctx, seg, 11, 12);
  if (!quantity.empty()) dispense.add("quantity", std::move(quantity));
  long refills = integer_field(ctx, seg, 13);
  if (refills >= 0)
    dispense.add("numberOfRepeatsAllowed", JsonValue::make_number(std::to_string(refills)));
  if (!dispense.empty()) mr.add("dispenseRequest", std::move(dispense));
  append_all(mr, "reasonCode", codeable_concepts_field(ctx, seg, 20));
  set_order_type(ctx, seg, 27, mr);
  finish_request(ctx, seg, existing, std::move(draft), med, ctx.cursor.rx_order_key);
}

// RXE -> MedicationRequest (the FHIR R4 MedicationRequest v2 mappings; the IG
// has no RXE map): the pharmacy's encoding of the order.
void map_rxe(MappingContext& ctx, const Seg& seg) {
  if (!has_patient(ctx, seg)) return;
  JsonValue draft;
  EntryRef existing = request_for(ctx, seg, 2, &draft);
  JsonValue& mr = existing != kNoEntry ? ctx.resource(existing) : draft;
  mr.add("intent", JsonValue::make_string("order"));
  EntryRef med = add_medication(ctx, seg, 2, 6, ctx.cursor.rx_order_key + "|encoded");

  JsonValue dosage = JsonValue::make_object();
  set_dose(ctx, seg, dosage, 3, 4, 5);
  JsonValue rate = JsonValue::make_object();
  std::string rate_value = number_text(ctx, seg, 23);
  hl7::CWE rate_units = units_at(ctx, seg.at(24, 1), MappingContext::location(seg, 24));
  if (!rate_value.empty()) {
    JsonValue& arr = array_member(dosage, "doseAndRate");
    if (arr.items().empty()) {
      JsonValue dr = JsonValue::make_object();
      dr.add("type", make_concept("http://terminology.hl7.org/CodeSystem/dose-rate-type", "ordered",
                                  "Ordered"));
      arr.push(std::move(dr));
    }
    arr.mutable_items().front().add("rateQuantity", quantity(rate_value, rate_units));
  }
  append_all(dosage, "additionalInstruction", codeable_concepts_field(ctx, seg, 7));
  JsonValue daily = cq_quantity(ctx, seg, 19);
  if (!daily.empty()) dosage.add("maxDosePerPeriod", per_day(std::move(daily)));
  merge_dosage(ctx, seg, mr, dosage);

  set_allowed_substitution(ctx, seg, 9, "0167", mr);
  JsonValue* dispense = mr.find_mutable("dispenseRequest");
  JsonValue dispense_new = JsonValue::make_object();
  JsonValue& dr = dispense != nullptr ? *dispense : dispense_new;
  JsonValue quantity = quantity_fields(ctx, seg, 10, 11);
  if (!quantity.empty()) dr.add("quantity", std::move(quantity));
  long refills = integer_field(ctx, seg, 12);
  if (refills >= 0)
    dr.add("numberOfRepeatsAllowed", JsonValue::make_number(std::to_string(refills)));
  if (EntryRef pharmacy = organization_from_cwe(ctx, seg, 40); pharmacy != kNoEntry)
    dr.add("performer", ctx.reference(pharmacy));
  if (dispense == nullptr && !dispense_new.empty())
    mr.add("dispenseRequest", std::move(dispense_new));

  // RDE^O25: the pharmacy asks the prescriber to authorize refills. That is
  // a new request (a proposal) about the prescription, not the prescription
  // itself: it gets its own key and identifier, the order is its
  // priorPrescription, and its date is the ORC-9 of the request.
  bool refill_request = existing == kNoEntry && ctx.trigger_event() == "O25";
  std::string prescription = seg.text(15);
  JsonValue prescription_id;
  if (!prescription.empty()) {
    prescription_id = JsonValue::make_object();
    prescription_id.add("system",
                        JsonValue::make_string(ctx.sender_urn() + ":prescription-number"));
    prescription_id.add("value", JsonValue::make_string(prescription));
    if (!refill_request) array_member(mr, "identifier").push(prescription_id);
  }
  append_all(mr, "reasonCode", codeable_concepts_field(ctx, seg, 27));
  set_order_type(ctx, seg, 44, mr);
  std::string original = time_field(ctx, seg, 32, TimeKind::kDateTime);
  std::optional<Seg> orc = group_orc(ctx);
  if (!original.empty() && refill_request) {
    ctx.warning(MappingContext::location(seg, 32),
                "original order date not mapped: it is the prior prescription's");
  } else if (!original.empty()) {
    // RXE-32 is the original order date; ORC-9 (the date of this
    // transaction) then has no element of its own.
    const JsonValue* authored = mr.find("authoredOn");
    if (authored != nullptr && authored->text() != original && orc)
      ctx.warning(MappingContext::location(*orc, 9),
                  "transaction date not mapped: the original order date is authoredOn");
    mr.add("authoredOn", JsonValue::make_string(original));
  }
  std::string key = ctx.cursor.rx_order_key;
  if (refill_request) {
    mr.add("intent", JsonValue::make_string("proposal"));
    mr.remove("identifier");
    JsonValue prior = order_reference(ctx);
    if (prior.empty() && !prescription_id.is_null()) {
      prior = JsonValue::make_object();
      prior.add("type", JsonValue::make_string("MedicationRequest"));
      prior.add("identifier", prescription_id);
    }
    if (!prior.empty()) mr.add("priorPrescription", std::move(prior));
    std::string when = orc ? std::string(orc->field(9).raw()) : std::string();
    key += "|refill-request|" + (!when.empty() ? when : trim(ctx.message().header().control_id));
  }
  finish_request(ctx, seg, existing, std::move(draft), med, key);
  if (refill_request && !prescription_id.is_null())  // after the minted id, which is the key
    array_member(ctx.resource(ctx.cursor.rx_request), "identifier").push(prescription_id);
}

void map_rxc(MappingContext& ctx, const Seg& seg) {
  if (ctx.cursor.rx_medication == kNoEntry) {
    ctx.warning(MappingContext::location(seg), "component without a medication not mapped");
    return;
  }
  JsonValue item = codeable_concept_field(ctx, seg, 2);
  if (item.empty()) {
    ctx.warning(MappingContext::location(seg, 2), "component code missing");
    return;
  }
  JsonValue ingredient = JsonValue::make_object();
  ingredient.add("itemCodeableConcept", std::move(item));
  // v2-0166: A additive (the active part of a mix), B base (the carrier).
  std::string type = seg.text(1);
  if (type == "A" || type == "B") {
    ingredient.add("isActive", JsonValue::make_bool(type == "A"));
  } else if (!type.empty()) {
    ctx.warning(MappingContext::location(seg, 1), "component type not in table 0166");
  }
  JsonValue amount = quantity_fields(ctx, seg, 3, 4);
  if (!amount.empty()) {
    // Amount of the component in one unit of the medication (the mix).
    JsonValue ratio = JsonValue::make_object();
    ratio.add("numerator", std::move(amount));
    JsonValue one = JsonValue::make_object();
    one.add("value", JsonValue::make_number("1"));
    ratio.add("denominator", std::move(one));
    ingredient.add("strength", std::move(ratio));
  }
  array_member(ctx.resource(ctx.cursor.rx_medication), "ingredient").push(std::move(ingredient));
}

}  // namespace gw::v2fhir
