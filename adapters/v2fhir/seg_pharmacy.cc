// RXO, RXE, RXC, RXD, RXA (RAS), RXR and TQ1 of the pharmacy messages (see
// pharmacy.h for the group structure).
#include <initializer_list>
#include <optional>
#include <utility>

#include "adapters/v2fhir/clinical.h"
#include "adapters/v2fhir/datatypes.h"
#include "adapters/v2fhir/pharmacy.h"
#include "adapters/v2fhir/segments.h"

namespace gw::v2fhir {

using fhir::JsonValue;

namespace {

constexpr char kUcum[] = "http://unitsofmeasure.org";

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

// v2-0119 order control (ORC-1) -> medicationrequest-status, when ORC-5 is empty.
const char* request_status_from_control(std::string_view c) {
  if (c == "NW" || c == "OK" || c == "RL" || c == "XO" || c == "XX" || c == "XR" || c == "SC" ||
      c == "RF" || c == "AF" || c == "RE" || c == "RO" || c == "SN" || c == "PA")
    return "active";
  if (c == "CA" || c == "OC" || c == "CR") return "cancelled";
  if (c == "DC" || c == "OD" || c == "DR") return "stopped";
  if (c == "HD" || c == "OH" || c == "HR") return "on-hold";
  return nullptr;
}

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

// v2-0485 / TQ1-9 priority -> request-priority.
const char* request_priority(std::string_view p) {
  if (p == "S") return "stat";
  if (p == "A") return "asap";
  if (p == "R") return "routine";
  if (p == "T") return "urgent";
  return nullptr;
}

// A time unit (ANSI "D", UCUM "d", ...) -> units-of-time code; nullptr if none.
const char* time_unit(std::string_view u) {
  if (u == "s" || u == "S" || u == "SEC") return "s";
  if (u == "min" || u == "MIN" || u == "M") return "min";
  if (u == "h" || u == "H" || u == "HR" || u == "hr") return "h";
  if (u == "d" || u == "D" || u == "DAY" || u == "day" || u == "days") return "d";
  if (u == "wk" || u == "W" || u == "WK") return "wk";
  if (u == "mo" || u == "MO") return "mo";
  if (u == "a" || u == "Y" || u == "YR") return "a";
  return nullptr;
}

JsonValue& array_member(JsonValue& r, const char* name) {
  JsonValue* arr = r.find_mutable(name);
  return arr != nullptr ? *arr : r.add(name, JsonValue::make_array());
}

// The first Dosage of r.<element> ("dosageInstruction"), created if missing.
JsonValue& first_dosage(JsonValue& r, const char* element) {
  JsonValue& arr = array_member(r, element);
  if (arr.items().empty()) arr.push(JsonValue::make_object());
  return arr.mutable_items().front();
}

// Decimal text of an NM field/component; "" when absent, warning when not a number.
std::string number_text(MappingContext& ctx, const Seg& seg, int field, int component = 0) {
  std::string t = seg.text(field, component);
  if (t.empty()) return {};
  auto n = hl7::parse_number(t);
  if (!n.ok()) {
    ctx.warning(MappingContext::location(seg, field, component), "value is not a number");
    return {};
  }
  return n->fhir_decimal();
}

// A non-negative integer field (refills, counts); -1 when absent or not one.
long integer_field(MappingContext& ctx, const Seg& seg, int field) {
  std::string t = seg.text(field);
  if (t.empty()) return -1;
  long v = 0;
  for (char c : t) {
    if (c < '0' || c > '9' || v > 100000000) {
      ctx.warning(MappingContext::location(seg, field), "value is not a whole number");
      return -1;
    }
    v = v * 10 + (c - '0');
  }
  return v;
}

// CWE units of an element; empty on a malformed value (with a warning).
hl7::CWE units_at(MappingContext& ctx, const hl7::Element& e, const IssueLocation& loc) {
  if (!e.has_value()) return {};
  auto u = hl7::read_cwe(e);
  if (!u.ok()) {
    ctx.warning(loc, "invalid units");
    return {};
  }
  return *u;
}

// NM field + CWE units field -> Quantity (null when the amount is absent).
JsonValue quantity_fields(MappingContext& ctx, const Seg& seg, int amount, int units) {
  std::string value = number_text(ctx, seg, amount);
  hl7::CWE u = units_at(ctx, seg.at(units, 1), MappingContext::location(seg, units));
  if (value.empty()) {
    if (seg.field(units).has_value())
      ctx.warning(MappingContext::location(seg, units), "units without an amount not mapped");
    return {};
  }
  return quantity(value, u);
}

// CQ field (quantity ^ units as subcomponents) -> Quantity.
JsonValue cq_quantity(MappingContext& ctx, const Seg& seg, int field) {
  std::string value = number_text(ctx, seg, field, 1);
  if (value.empty()) return {};
  return quantity(value, units_at(ctx, seg.at(field, 1, 2), MappingContext::location(seg, field)));
}

// CQ field as a Duration-like Quantity in units-of-time ({value, unit, system, code}).
JsonValue cq_duration(MappingContext& ctx, const Seg& seg, int field, std::string* unit_out) {
  std::string value = number_text(ctx, seg, field, 1);
  if (value.empty()) return {};
  const char* unit = time_unit(seg.text(field, 2, 1));
  if (unit == nullptr) {
    ctx.warning(MappingContext::location(seg, field, 2), "duration units not a unit of time");
    return {};
  }
  if (unit_out != nullptr) *unit_out = unit;
  JsonValue q = JsonValue::make_object();
  q.add("value", JsonValue::make_number(value));
  q.add("unit", JsonValue::make_string(unit));
  q.add("system", JsonValue::make_string(kUcum));
  q.add("code", JsonValue::make_string(unit));
  return q;
}

// The last segment before `seg` with one of `ids`, or -1 (bounded look-back).
long find_back(MappingContext& ctx, const Seg& seg, std::initializer_list<std::string_view> ids) {
  size_t idx = seg.view.index();
  for (size_t steps = 0; idx > 0 && steps < 500; --idx, ++steps) {
    std::string_view id = ctx.message().segment(idx - 1).id();
    for (std::string_view want : ids) {
      if (id == want) return static_cast<long>(idx - 1);
    }
  }
  return -1;
}

// The ORC waiting in the cursor starts a new order group: its ServiceRequest
// draft (identifiers, status, requester, authoredOn; null if none waits) is
// returned and the rx_* group state is reset. `fallback_key` keys an order
// without placer or filler number.
JsonValue begin_group(MappingContext& ctx, const Seg& seg, const std::string& fallback_key) {
  if (ctx.cursor.pending_orc.is_null()) return {};
  JsonValue orc = std::move(ctx.cursor.pending_orc);
  std::string key = std::move(ctx.cursor.pending_orc_key);
  ctx.cursor.pending_orc = JsonValue();
  ctx.cursor.pending_orc_key.clear();
  ctx.cursor.rx_orc_index = static_cast<int>(find_back(ctx, seg, {"ORC"}));
  ctx.cursor.rx_order_id = JsonValue();
  if (const JsonValue* ids = orc.find("identifier"); ids != nullptr && !ids->items().empty())
    ctx.cursor.rx_order_id = ids->items().front();
  if (key.empty()) {
    ctx.warning(ctx.cursor.pending_orc_seg, "order without placer or filler number");
    key = ctx.cursor.patient_key + "|rx|" + fallback_key;
  }
  ctx.cursor.rx_order_key = std::move(key);
  ctx.cursor.rx_request = kNoEntry;
  ctx.cursor.rx_current = kNoEntry;
  ctx.cursor.rx_medication = kNoEntry;
  return orc;
}

// No ORC at all before this segment (a message without one): a group of its own.
void begin_orphan_group(MappingContext& ctx, const std::string& fallback_key) {
  ctx.cursor.rx_orc_index = -1;
  ctx.cursor.rx_order_id = JsonValue();
  ctx.cursor.rx_order_key = ctx.cursor.patient_key + "|rx|" + fallback_key;
  ctx.cursor.rx_request = kNoEntry;
  ctx.cursor.rx_current = kNoEntry;
  ctx.cursor.rx_medication = kNoEntry;
}

// The group's ORC segment (tracked), if the group has one.
std::optional<Seg> group_orc(MappingContext& ctx) {
  if (ctx.cursor.rx_orc_index < 0) return std::nullopt;
  return ctx.segment(static_cast<size_t>(ctx.cursor.rx_orc_index));
}

// Reference to the group's order: its MedicationRequest entry, else a
// logical reference by the ORC's first order number (the order itself is
// the pharmacy's or the placer's resource, not sent in this message).
JsonValue order_reference(MappingContext& ctx) {
  if (ctx.cursor.rx_request != kNoEntry) return ctx.reference(ctx.cursor.rx_request);
  if (ctx.cursor.rx_order_id.is_null()) return {};
  JsonValue ref = JsonValue::make_object();
  ref.add("type", JsonValue::make_string("MedicationRequest"));
  ref.add("identifier", ctx.cursor.rx_order_id);
  return ref;
}

// A Medication entry for the product named by `code_field` (dose form in
// `form_field`, 0 = none), keyed under the resource that uses it.
EntryRef add_medication(MappingContext& ctx, const Seg& seg, int code_field, int form_field,
                        const std::string& owner_key) {
  JsonValue med = JsonValue::make_object();
  med.add("resourceType", JsonValue::make_string("Medication"));
  JsonValue code = codeable_concept_field(ctx, seg, code_field);
  if (code.empty()) {
    ctx.warning(MappingContext::location(seg, code_field), "medication code missing");
  } else {
    med.add("code", std::move(code));
  }
  if (form_field > 0) {
    JsonValue form = codeable_concept_field(ctx, seg, form_field);
    if (!form.empty()) med.add("form", std::move(form));
  }
  std::string key = owner_key + "|medication|" + std::string(seg.id());
  return ctx.add("Medication", key, std::move(med), seg.id());
}

// Lot number / expiration / manufacturer fields of a dispense or an
// administration -> Medication.batch / manufacturer.
void add_batch(MappingContext& ctx, const Seg& seg, EntryRef med, int lot_field, int exp_field,
               int maker_field) {
  for (int f : {lot_field, exp_field, maker_field}) warn_extra_repetitions(ctx, seg, f);
  JsonValue batch = JsonValue::make_object();
  std::string lot = seg.text(lot_field);
  if (!lot.empty()) batch.add("lotNumber", JsonValue::make_string(lot));
  std::string expiration = time_field(ctx, seg, exp_field, TimeKind::kDateTime);
  if (!expiration.empty()) batch.add("expirationDate", JsonValue::make_string(expiration));
  EntryRef maker = organization_from_cwe(ctx, seg, maker_field);
  JsonValue& m = ctx.resource(med);
  if (!batch.empty()) m.add("batch", std::move(batch));
  if (maker != kNoEntry) m.add("manufacturer", ctx.reference(maker));
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

// A total daily dose (RXE-19, RXD-12) -> maxDosePerPeriod: dose per 1 d (IG RXE-19).
JsonValue per_day(JsonValue dose) {
  JsonValue ratio = JsonValue::make_object();
  ratio.add("numerator", std::move(dose));
  JsonValue day = JsonValue::make_object();
  day.add("value", JsonValue::make_number("1"));
  day.add("unit", JsonValue::make_string("d"));
  day.add("system", JsonValue::make_string(kUcum));
  day.add("code", JsonValue::make_string("d"));
  ratio.add("denominator", std::move(day));
  return ratio;
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

void push_all(JsonValue& r, const char* element, std::vector<JsonValue> values) {
  if (values.empty()) return;
  JsonValue& arr = array_member(r, element);
  for (JsonValue& v : values) arr.push(std::move(v));
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
    ref = ctx.add("MedicationRequest", key, std::move(draft), seg.id());
    ctx.add_focus(ref);
  }
  ctx.resource(ref).add("medicationReference", ctx.reference(medication));
  ctx.cursor.rx_request = ref;
  ctx.cursor.rx_current = ref;
  ctx.cursor.rx_medication = medication;
  ctx.cursor.note_target = ref;
  ctx.cursor.note_owner = std::string(seg.id());
}

// A TQ1 right after the ORC put timing/priority on the ORC draft; a group
// without RXO/RXE has no MedicationRequest to carry them: said in a warning
// (at the ORC) unless `keep_dosage` takes the dosage over.
void drop_order_timing(MappingContext& ctx, const JsonValue& orc, bool keep_dosage) {
  if (orc.find("priority") != nullptr ||
      (!keep_dosage && orc.find("dosageInstruction") != nullptr)) {
    if (std::optional<Seg> orc_seg = group_orc(ctx))
      ctx.warning(MappingContext::location(*orc_seg),
                  "order timing not mapped: the group has no order segment");
  }
}

bool has_patient(MappingContext& ctx, const Seg& seg) {
  if (ctx.cursor.patient != kNoEntry) return true;
  ctx.warning(MappingContext::location(seg), "segment without a preceding PID not mapped");
  return false;
}

}  // namespace

void warn_extra_repetitions(MappingContext& ctx, const Seg& seg, int field) {
  int rep = 0;
  for (const hl7::Element& e : seg.field(field).children()) {
    if (++rep > 1 && e.has_value()) {
      ctx.warning(MappingContext::location(seg, field, 0, rep), "further repetitions not mapped");
      return;
    }
  }
}

bool is_pharmacy_message(const MappingContext& ctx) {
  return message_is(ctx, "RDE") || message_is(ctx, "RDS") || message_is(ctx, "RAS");
}

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
  push_all(dosage, "additionalInstruction", codeable_concepts_field(ctx, seg, 7));
  merge_dosage(ctx, seg, mr, dosage);
  JsonValue substitution = codeable_concept_field(ctx, seg, 9, 1, "0161");
  if (!substitution.empty()) {
    JsonValue s = JsonValue::make_object();
    s.add("allowedCodeableConcept", std::move(substitution));
    mr.add("substitution", std::move(s));
  }
  JsonValue dispense = JsonValue::make_object();
  JsonValue quantity = quantity_fields(ctx, seg, 11, 12);
  if (!quantity.empty()) dispense.add("quantity", std::move(quantity));
  long refills = integer_field(ctx, seg, 13);
  if (refills >= 0)
    dispense.add("numberOfRepeatsAllowed", JsonValue::make_number(std::to_string(refills)));
  if (!dispense.empty()) mr.add("dispenseRequest", std::move(dispense));
  push_all(mr, "reasonCode", codeable_concepts_field(ctx, seg, 20));
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
  push_all(dosage, "additionalInstruction", codeable_concepts_field(ctx, seg, 7));
  JsonValue daily = cq_quantity(ctx, seg, 19);
  if (!daily.empty()) dosage.add("maxDosePerPeriod", per_day(std::move(daily)));
  merge_dosage(ctx, seg, mr, dosage);

  JsonValue substitution = codeable_concept_field(ctx, seg, 9, 1, "0167");
  if (!substitution.empty()) {
    JsonValue s = JsonValue::make_object();
    s.add("allowedCodeableConcept", std::move(substitution));
    mr.add("substitution", std::move(s));
  }
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
  push_all(mr, "reasonCode", codeable_concepts_field(ctx, seg, 27));
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

// RXD -> MedicationDispense (FHIR R4 MedicationDispense v2 mappings).
void map_rxd(MappingContext& ctx, const Seg& seg) {
  if (!has_patient(ctx, seg)) return;
  JsonValue orc = begin_group(ctx, seg, std::string(seg.field(2).raw()));
  if (orc.is_null() && find_back(ctx, seg, {"ORC"}) < 0)
    begin_orphan_group(ctx, std::string(seg.field(2).raw()));
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
  int rep = 0;
  for (const hl7::Element& e : seg.field(10).children()) {
    ++rep;
    EntryRef who =
        practitioner_from_xcn(ctx, e, MappingContext::location(seg, 10, 0, rep > 1 ? rep : 0));
    if (who == kNoEntry) continue;
    JsonValue p = JsonValue::make_object();
    p.add("actor", ctx.reference(who));
    array_member(md, "performer").push(std::move(p));
  }
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
  EntryRef ref = ctx.add("MedicationDispense", key, std::move(md), "RXD");
  std::string prescription = seg.text(7);
  if (!prescription.empty()) {
    JsonValue id = JsonValue::make_object();
    id.add("system", JsonValue::make_string(ctx.sender_urn() + ":prescription-number"));
    id.add("value", JsonValue::make_string(prescription));
    array_member(ctx.resource(ref), "identifier").push(std::move(id));
  }
  ctx.add_focus(ref);
  ctx.cursor.rx_current = ref;
  ctx.cursor.rx_medication = med;
  ctx.cursor.note_target = ref;
  ctx.cursor.note_owner = "RXD";
}

// RXA of a RAS -> MedicationAdministration (FHIR R4 MedicationAdministration
// v2 mappings; IG ORC[MedicationAdministration] for the ordering provider).
void map_rxa_administration(MappingContext& ctx, const Seg& seg) {
  if (!has_patient(ctx, seg)) return;
  JsonValue orc = begin_group(ctx, seg, std::string(seg.field(5).raw()));
  if (orc.is_null() && find_back(ctx, seg, {"ORC"}) < 0)
    begin_orphan_group(ctx, std::string(seg.field(5).raw()));
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
  push_all(ma, "statusReason", codeable_concepts_field(ctx, seg, 18));
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
  int rep = 0;
  for (const hl7::Element& e : seg.field(10).children()) {
    ++rep;
    EntryRef who =
        practitioner_from_xcn(ctx, e, MappingContext::location(seg, 10, 0, rep > 1 ? rep : 0));
    if (who == kNoEntry) continue;
    JsonValue p = JsonValue::make_object();
    p.add("actor", ctx.reference(who));
    array_member(ma, "performer").push(std::move(p));
  }
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
  push_all(ma, "reasonCode", codeable_concepts_field(ctx, seg, 19));
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
  EntryRef ref = ctx.add("MedicationAdministration", key, std::move(ma), "RXA");
  ctx.add_focus(ref);
  ctx.cursor.rx_current = ref;
  ctx.cursor.rx_medication = med;
  ctx.cursor.note_target = ref;
  ctx.cursor.note_owner = "RXA";
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

// IG TQ1[MedicationRequest]: a Dosage's timing. The first TQ1 of a group
// completes dosageInstruction[0]; each further one adds a Dosage (sequence).
void map_tq1_routed(MappingContext& ctx, const Seg& seg) {
  if (!is_pharmacy_message(ctx)) {
    map_tq1(ctx, seg);
    return;
  }
  JsonValue* target = nullptr;
  if (!ctx.cursor.pending_orc.is_null()) {
    target = &ctx.cursor.pending_orc;  // carried to the MedicationRequest by RXO/RXE
  } else if (ctx.cursor.rx_current != kNoEntry &&
             ctx.entry(ctx.cursor.rx_current).type != "MedicationAdministration") {
    target = &ctx.resource(ctx.cursor.rx_current);
  }
  if (target == nullptr) {
    ctx.warning(MappingContext::location(seg), "timing without a medication order not mapped");
    return;
  }
  JsonValue dosage = JsonValue::make_object();
  JsonValue timing = JsonValue::make_object();
  JsonValue repeat = JsonValue::make_object();
  JsonValue dose = cq_quantity(ctx, seg, 2);
  if (!dose.empty()) {
    JsonValue dr = JsonValue::make_object();
    dr.add("doseQuantity", std::move(dose));
    dosage.add("doseAndRate", JsonValue::make_array()).push(std::move(dr));
  }
  // TQ1-3 repeat pattern (v2-0335): Timing.code; PRN is "as needed".
  JsonValue pattern;
  if (seg.field(3).has_value()) {
    auto cwe = hl7::read_cwe(seg.at(3, 1, 1));
    if (cwe.ok()) {
      pattern = codeable_concept(ctx, *cwe, MappingContext::location(seg, 3), "0335");
      if (trim(cwe->identifier) == "PRN") dosage.add("asNeededBoolean", JsonValue::make_bool(true));
    } else {
      ctx.warning(MappingContext::location(seg, 3), "invalid repeat pattern");
    }
  }
  if (!pattern.empty()) timing.add("code", std::move(pattern));
  int pattern_rep = 0;
  for (const hl7::Element& rpt : seg.field(3).children()) {
    // Only the pattern code (RPT-1) of one repetition has a Timing element;
    // explicit RPT details (alignment, phase, period, event offset) do not.
    bool details = ++pattern_rep > 1 && rpt.has_value();
    for (int c = 2; !details && c <= 11; ++c) details = rpt.part(c).has_value();
    if (details) {
      ctx.warning(MappingContext::location(seg, 3), "repeat pattern details not mapped");
      break;
    }
  }
  JsonValue times = JsonValue::make_array();
  for (const hl7::Element& e : seg.field(4).children()) {
    std::string t = trim(e.text_or_empty());
    if (t.empty()) continue;
    bool ok = (t.size() == 4 || t.size() == 6);
    for (char c : t) ok = ok && c >= '0' && c <= '9';
    if (!ok || std::stoi(t.substr(0, 2)) > 23 || std::stoi(t.substr(2, 2)) > 59 ||
        (t.size() == 6 && std::stoi(t.substr(4, 2)) > 59)) {
      ctx.warning(MappingContext::location(seg, 4), "explicit time not mapped: not HHMM[SS]");
      continue;
    }
    times.push(JsonValue::make_string(t.substr(0, 2) + ":" + t.substr(2, 2) + ":" +
                                      (t.size() == 6 ? t.substr(4, 2) : "00")));
  }
  if (!times.empty()) repeat.add("timeOfDay", std::move(times));
  std::string start = time_field(ctx, seg, 7, TimeKind::kDateTime);
  std::string end = time_field(ctx, seg, 8, TimeKind::kDateTime);
  if (!start.empty() || !end.empty()) {
    JsonValue period = JsonValue::make_object();
    if (!start.empty()) period.add("start", JsonValue::make_string(start));
    if (!end.empty()) period.add("end", JsonValue::make_string(end));
    repeat.add("boundsPeriod", std::move(period));
    if (seg.field(6).has_value())
      ctx.warning(MappingContext::location(seg, 6),
                  "service duration not mapped: start or end date/time given");
  } else {
    JsonValue duration = cq_duration(ctx, seg, 6, nullptr);
    if (!duration.empty()) repeat.add("boundsDuration", std::move(duration));
  }
  std::string unit;
  JsonValue occurrence = cq_duration(ctx, seg, 13, &unit);
  if (!occurrence.empty()) {
    repeat.add("duration", *occurrence.find("value"));
    repeat.add("durationUnit", JsonValue::make_string(unit));
  }
  long count = integer_field(ctx, seg, 14);
  if (count > 0) repeat.add("count", JsonValue::make_number(std::to_string(count)));
  if (!repeat.empty()) timing.add("repeat", std::move(repeat));
  if (!timing.empty()) dosage.add("timing", std::move(timing));
  std::string condition = seg.text(10);
  if (!condition.empty()) {
    JsonValue c = JsonValue::make_object();
    c.add("text", JsonValue::make_string(condition));
    dosage.add("additionalInstruction", JsonValue::make_array()).push(std::move(c));
  }
  std::string text = seg.text(11);
  if (!text.empty()) dosage.add("text", JsonValue::make_string(text));

  std::string priority = seg.text(9, 1);
  warn_extra_repetitions(ctx, seg, 9);
  if (!priority.empty()) {
    if (const char* p = request_priority(priority)) {
      target->add("priority", JsonValue::make_string(p));
    } else {
      ctx.warning(MappingContext::location(seg, 9), "priority not mapped");
    }
  }
  if (dosage.empty()) return;
  JsonValue& arr = array_member(*target, "dosageInstruction");
  if (arr.items().empty() || arr.items().back().find("timing") == nullptr) {
    if (arr.items().empty()) arr.push(JsonValue::make_object());
    JsonValue& d = arr.mutable_items().back();
    for (const fhir::JsonMember& m : dosage.members()) {
      if (m.key == "additionalInstruction" && d.find(m.key) != nullptr) {
        for (const JsonValue& v : m.value.items()) array_member(d, "additionalInstruction").push(v);
      } else if (d.find(m.key) == nullptr) {
        d.add(m.key, m.value);
      } else {
        int field = m.key == "doseAndRate" ? 2 : m.key == "asNeededBoolean" ? 3 : 11;
        ctx.warning(MappingContext::location(seg, field),
                    "not mapped: the order segment already gives it");
      }
    }
  } else {
    arr.push(std::move(dosage));
  }
  if (arr.items().size() > 1) {
    int n = 0;
    for (JsonValue& d : arr.mutable_items())
      d.add("sequence", JsonValue::make_number(std::to_string(++n)));
  }
}

}  // namespace gw::v2fhir
