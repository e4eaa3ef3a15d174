// The helpers of pharmacy_util.h, and the two pharmacy.h functions every
// pharmacy mapper uses (is_pharmacy_message, warn_extra_repetitions).
#include <utility>

#include "adapters/v2fhir/clinical.h"
#include "adapters/v2fhir/datatypes.h"
#include "adapters/v2fhir/pharmacy.h"
#include "adapters/v2fhir/pharmacy_util.h"

namespace gw::v2fhir {

using fhir::JsonValue;

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
  return message_is(ctx, "RDE") || message_is(ctx, "RDS") || message_is(ctx, "RAS") ||
         message_is(ctx, "OMP");
}

const char* request_status_from_control(std::string_view c) {
  if (c == "NW" || c == "OK" || c == "RL" || c == "XO" || c == "XX" || c == "XR" || c == "SC" ||
      c == "RF" || c == "AF" || c == "RE" || c == "RO" || c == "SN" || c == "PA")
    return "active";
  if (c == "CA" || c == "OC" || c == "CR") return "cancelled";
  if (c == "DC" || c == "OD" || c == "DR") return "stopped";
  if (c == "HD" || c == "OH" || c == "HR") return "on-hold";
  return nullptr;
}

JsonValue& array_member(JsonValue& r, const char* name) {
  JsonValue* arr = r.find_mutable(name);
  return arr != nullptr ? *arr : r.add(name, JsonValue::make_array());
}

JsonValue& first_dosage(JsonValue& r, const char* element) {
  JsonValue& arr = array_member(r, element);
  if (arr.items().empty()) arr.push(JsonValue::make_object());
  return arr.mutable_items().front();
}

std::string number_text(MappingContext& ctx, const Seg& seg, int field, int component) {
  std::string t = seg.text(field, component);
  if (t.empty()) return {};
  auto n = hl7::parse_number(t);
  if (!n.ok()) {
    ctx.warning(MappingContext::location(seg, field, component), "value is not a number");
    return {};
  }
  return n->fhir_decimal();
}

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

hl7::CWE units_at(MappingContext& ctx, const hl7::Element& e, const IssueLocation& loc) {
  if (!e.has_value()) return {};
  auto u = hl7::read_cwe(e);
  if (!u.ok()) {
    ctx.warning(loc, "invalid units");
    return {};
  }
  return *u;
}

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

JsonValue cq_quantity(MappingContext& ctx, const Seg& seg, int field) {
  std::string value = number_text(ctx, seg, field, 1);
  if (value.empty()) return {};
  return quantity(value, units_at(ctx, seg.at(field, 1, 2), MappingContext::location(seg, field)));
}

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

JsonValue begin_event_group(MappingContext& ctx, const Seg& seg, int code_field) {
  JsonValue orc = begin_group(ctx, seg, std::string(seg.field(code_field).raw()));
  if (orc.is_null() && find_back(ctx, seg, {"ORC"}) < 0)
    begin_orphan_group(ctx, std::string(seg.field(code_field).raw()));
  return orc;
}

void make_current_event(MappingContext& ctx, EntryRef ref, EntryRef med, std::string_view owner) {
  ctx.add_focus(ref);
  ctx.cursor.rx_current = ref;
  ctx.cursor.rx_medication = med;
  ctx.cursor.note_target = ref;
  ctx.cursor.note_owner = std::string(owner);
}

void add_actors(MappingContext& ctx, const Seg& seg, int field, JsonValue& r) {
  for (EntryRef who : practitioner_entries(ctx, seg, field)) {
    JsonValue p = JsonValue::make_object();
    p.add("actor", ctx.reference(who));
    array_member(r, "performer").push(std::move(p));
  }
}

void begin_orphan_group(MappingContext& ctx, const std::string& fallback_key) {
  ctx.cursor.rx_orc_index = -1;
  ctx.cursor.rx_order_id = JsonValue();
  ctx.cursor.rx_order_key = ctx.cursor.patient_key + "|rx|" + fallback_key;
  ctx.cursor.rx_request = kNoEntry;
  ctx.cursor.rx_current = kNoEntry;
  ctx.cursor.rx_medication = kNoEntry;
}

std::optional<Seg> group_orc(MappingContext& ctx) {
  if (ctx.cursor.rx_orc_index < 0) return std::nullopt;
  return ctx.segment(static_cast<size_t>(ctx.cursor.rx_orc_index));
}

JsonValue order_reference(MappingContext& ctx) {
  if (ctx.cursor.rx_request != kNoEntry) return ctx.reference(ctx.cursor.rx_request);
  if (ctx.cursor.rx_order_id.is_null()) return {};
  JsonValue ref = JsonValue::make_object();
  ref.add("type", JsonValue::make_string("MedicationRequest"));
  ref.add("identifier", ctx.cursor.rx_order_id);
  return ref;
}

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
  return ctx.add("Medication", key, std::move(med));
}

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

void drop_order_timing(MappingContext& ctx, const JsonValue& orc, bool keep_dosage) {
  if (orc.find("priority") != nullptr ||
      (!keep_dosage && orc.find("dosageInstruction") != nullptr)) {
    if (std::optional<Seg> orc_seg = group_orc(ctx))
      ctx.warning(MappingContext::location(*orc_seg),
                  "order timing not mapped: the group has no order segment");
  }
}

}  // namespace gw::v2fhir
