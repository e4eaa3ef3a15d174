// TS/DTM -> FHIR date, dateTime and instant; NM + units -> Quantity.
#include <cstdio>
#include <utility>

#include "adapters/v2fhir/datatypes.h"

namespace gw::v2fhir {

using fhir::JsonValue;

namespace {

void append2(std::string& out, int v) {
  out.push_back(static_cast<char>('0' + (v / 10) % 10));
  out.push_back(static_cast<char>('0' + v % 10));
}

void append_offset(std::string& out, int minutes) {
  if (minutes == 0) {
    out.push_back('Z');
    return;
  }
  out.push_back(minutes < 0 ? '-' : '+');
  int m = minutes < 0 ? -minutes : minutes;
  append2(out, m / 60);
  out.push_back(':');
  append2(out, m % 60);
}

}  // namespace

std::string fhir_time(MappingContext& ctx, const hl7::Timestamp& ts, TimeKind kind,
                      const IssueLocation& loc) {
  using P = hl7::Precision;
  if (ts.precision == P::kNone) return {};
  if (ts.year < 1) {  // FHIR years start at 0001
    ctx.warning(loc, "timestamp out of range: not mapped");
    return {};
  }
  std::string out;
  out.reserve(32);
  char year[8];
  std::snprintf(year, sizeof year, "%04d", ts.year);
  out += year;
  if (ts.precision >= P::kMonth) {
    out.push_back('-');
    append2(out, ts.month);
  }
  if (ts.precision >= P::kDay) {
    out.push_back('-');
    append2(out, ts.day);
  }
  if (kind == TimeKind::kDate || ts.precision <= P::kDay) {
    if (kind == TimeKind::kInstant) {
      ctx.warning(loc, "timestamp without time cannot be an instant");
      return {};
    }
    return out;
  }
  // A time is present: FHIR needs hh:mm and an offset.
  out.push_back('T');
  append2(out, ts.hour);
  out.push_back(':');
  // Hour or minute precision completes with zeros: the R4 dateTime and
  // instant regexes require seconds once a time is present ("Seconds must be
  // provided due to schema type constraints but may be zero-filled").
  append2(out, ts.minute);
  out.push_back(':');
  append2(out, ts.second);
  if (ts.precision >= P::kFraction && !ts.fraction.empty()) {
    out.push_back('.');
    out += ts.fraction;
  }
  int offset = ts.has_offset ? ts.offset_minutes
                             : ctx.zone().offset_for_local(ts.year, ts.month, ts.day, ts.hour,
                                                           ts.minute, ts.second);
  if (offset > 14 * 60 || offset < -(13 * 60 + 59)) {  // FHIR: -13:59 .. +14:00
    ctx.warning(loc, "UTC offset outside the FHIR range: not mapped");
    return {};
  }
  append_offset(out, offset);
  return out;
}

std::string time_component(MappingContext& ctx, const Seg& seg, int field, int component,
                           TimeKind kind) {
  hl7::Element e = seg.at(field, 1, component);
  if (!e.has_value()) return {};
  IssueLocation loc = MappingContext::location(seg, field, component);
  auto ts = hl7::read_timestamp(e);
  if (!ts.ok()) {
    ctx.warning(loc, "invalid timestamp: not mapped");
    return {};
  }
  return fhir_time(ctx, *ts, kind, loc);
}

JsonValue period_of(std::string_view start, std::string_view end) {
  if (start.empty() && end.empty()) return {};
  JsonValue period = JsonValue::make_object();
  if (!start.empty()) period.add("start", JsonValue::make_string(std::string(start)));
  if (!end.empty()) period.add("end", JsonValue::make_string(std::string(end)));
  return period;
}

std::string time_field(MappingContext& ctx, const Seg& seg, int field, TimeKind kind) {
  return time_component(ctx, seg, field, 0, kind);
}

// ---- Quantity ----------------------------------------------------------------

bool is_known_ucum_unit(std::string_view u) {
  // Common lab and vital-sign units written the same way in UCUM.
  static constexpr std::string_view kUnits[] = {
      "%",      "/uL",   "10*3/uL", "10*6/uL", "10*9/L", "10*12/L", "cm",      "cm[H2O]",
      "Cel",    "d",     "dL",      "fL",      "g",      "g/dL",    "g/L",     "h",
      "IU/L",   "kg",    "kg/m2",   "L",       "m",      "mg",      "mg/dL",   "mg/L",
      "min",    "mL",    "mL/min",  "mm",      "mm[Hg]", "mmol/L",  "mo",      "ms",
      "mU/L",   "ng/mL", "nmol/L",  "pg",      "pg/mL",  "s",       "U/L",     "ug/dL",
      "ug/L",   "ug/mL", "umol/L",  "wk",      "a",      "[in_i]",  "[lb_av]", "/min",
      "[degF]", "meq/L", "mosm/kg", "ng/dL",   "pmol/L", "uIU/mL",  "{ratio}"};
  for (std::string_view k : kUnits) {
    if (k == u) return true;
  }
  return false;
}

JsonValue quantity(std::string_view decimal, const hl7::CWE& unit) {
  if (decimal.empty()) return {};
  JsonValue value = JsonValue::make_number(std::string(decimal));
  if (value.is_null()) return {};
  JsonValue q = JsonValue::make_object();
  q.add("value", std::move(value));
  std::string code = trim(unit.identifier), text = trim(unit.text),
              system = trim(unit.coding_system);
  if (code.empty() && text.empty()) return q;
  bool ucum = system == "UCUM" || (system.empty() && is_known_ucum_unit(code));
  q.add("unit", JsonValue::make_string(!text.empty() ? text : code));
  if (ucum && !code.empty()) {
    q.add("system", JsonValue::make_string("http://unitsofmeasure.org"));
    q.add("code", JsonValue::make_string(code));
  }
  return q;
}

}  // namespace gw::v2fhir
