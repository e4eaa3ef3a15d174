// TQ1 of a pharmacy message -> the timing, priority and dose of a Dosage
// of the group's MedicationRequest or MedicationDispense (other messages'
// TQ1 goes to map_tq1, the order timing).
#include <optional>
#include <string>
#include <utility>

#include "adapters/v2fhir/clinical.h"
#include "adapters/v2fhir/datatypes.h"
#include "adapters/v2fhir/lab.h"
#include "adapters/v2fhir/pharmacy.h"
#include "adapters/v2fhir/pharmacy_util.h"

namespace gw::v2fhir {

using fhir::JsonValue;

namespace {

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

}  // namespace

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
  if (JsonValue period = period_of(start, end); !period.empty()) {
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
