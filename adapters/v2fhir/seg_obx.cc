// OBX -> Observation (value by OBX-2, reference range, interpretation...).
#include <utility>

#include "adapters/v2fhir/datatypes.h"
#include "adapters/v2fhir/segments.h"

namespace gw::v2fhir {

using fhir::JsonValue;

namespace {

// v2-0085 -> observation-status (IG ConceptMap).
const char* observation_status(std::string_view s) {
  if (s == "F" || s == "U") return "final";
  if (s == "P" || s == "R" || s == "S") return "preliminary";
  if (s == "C") return "corrected";
  if (s == "X" || s == "N") return "cancelled";
  if (s == "I" || s == "O") return "registered";
  if (s == "D" || s == "W") return "entered-in-error";
  return nullptr;
}

// Exact FHIR decimal of NM text, or "" when it is not a number.
std::string decimal_of(std::string_view text) {
  auto n = hl7::parse_number(trim(text));
  if (!n.ok() || n->text.empty()) return {};
  return n->fhir_decimal();
}

JsonValue simple_quantity(std::string_view decimal, const hl7::CWE& units) {
  JsonValue q = quantity(decimal, units);
  return q;
}

// OBX-7 "3.5-5.0", "<5", "<=5", ">10", ">=10"; anything else is text.
JsonValue reference_range(std::string_view raw, const hl7::CWE& units) {
  std::string text = trim(raw);
  if (text.empty()) return {};
  JsonValue range = JsonValue::make_object();
  auto comparator = [&](std::string_view prefix, const char* bound) {
    if (text.compare(0, prefix.size(), prefix) != 0) return false;
    std::string d = decimal_of(std::string_view(text).substr(prefix.size()));
    if (d.empty()) return false;
    range.add(bound, simple_quantity(d, units));
    return true;
  };
  bool done = comparator("<=", "high") || comparator(">=", "low") || comparator("<", "high") ||
              comparator(">", "low");
  if (done) {
    range.add("text", JsonValue::make_string(text));  // keeps strict vs inclusive
    return range;
  }
  // low-high: the separator is a '-' that is not a sign (not first, not after another '-').
  for (size_t i = 1; i + 1 < text.size(); ++i) {
    if (text[i] != '-') continue;
    std::string lo = decimal_of(std::string_view(text).substr(0, i));
    std::string hi = decimal_of(std::string_view(text).substr(i + 1));
    if (lo.empty() || hi.empty()) continue;
    range.add("low", simple_quantity(lo, units));
    range.add("high", simple_quantity(hi, units));
    return range;
  }
  range.add("text", JsonValue::make_string(text));
  return range;
}

// OBX-5 by OBX-2. Returns false (after an error) when the value is unusable.
bool set_value(MappingContext& ctx, const Seg& seg, std::string_view type, const hl7::CWE& units,
               JsonValue& obs) {
  hl7::Element field = seg.field(5);
  if (!field.has_value()) return true;
  IssueLocation loc = MappingContext::location(seg, 5);
  int reps = field.child_count();
  if (type == "ST" || type == "TX" || type == "FT") {
    std::string text;  // repetitions of text are lines of one value
    for (const hl7::Element& e : field.children()) {
      if (!text.empty()) text.push_back('\n');
      text += e.text_or_empty();
    }
    if (type == "ST") text = trim(text);
    if (!text.empty()) obs.add("valueString", JsonValue::make_string(std::move(text)));
    return true;
  }
  if (reps > 1) ctx.warning(loc, "observation value repetitions beyond the first not mapped");
  hl7::Element first = seg.at(5, 1);
  if (type == "NM") {
    std::string d = decimal_of(first.text_or_empty());
    if (d.empty()) {
      ctx.error(loc, "observation value is not a number");
      return false;
    }
    obs.add("valueQuantity", quantity(d, units));
    return true;
  }
  if (type == "SN") {
    std::string cmp = trim(first.part(1).text_or_empty());
    std::string n1 = decimal_of(first.part(2).text_or_empty());
    std::string sep = trim(first.part(3).text_or_empty());
    std::string raw2 = trim(first.part(4).text_or_empty());
    std::string n2 = decimal_of(raw2);
    if (n1.empty() && !trim(first.part(2).text_or_empty()).empty()) {
      ctx.error(MappingContext::location(seg, 5, 2), "structured numeric value is not a number");
      return false;
    }
    if (sep.empty() && raw2.empty()) {
      if (n1.empty()) return true;
      JsonValue q = quantity(n1, units);
      if (cmp == "<" || cmp == ">" || cmp == "<=" || cmp == ">=") {
        q.add("comparator", JsonValue::make_string(cmp));
      } else if (!cmp.empty() && cmp != "=") {
        ctx.error(MappingContext::location(seg, 5, 1),
                  "structured numeric comparator not supported");
        return false;
      }
      obs.add("valueQuantity", std::move(q));
      return true;
    }
    if (n1.empty() || n2.empty() || !cmp.empty()) {
      ctx.error(loc, "structured numeric value not supported");
      return false;
    }
    if (sep == "-") {
      JsonValue r = JsonValue::make_object();
      r.add("low", quantity(n1, units));
      r.add("high", quantity(n2, units));
      obs.add("valueRange", std::move(r));
      return true;
    }
    if (sep == ":" || sep == "/") {
      JsonValue r = JsonValue::make_object();
      JsonValue num = JsonValue::make_object(), den = JsonValue::make_object();
      num.add("value", JsonValue::make_number(n1));
      den.add("value", JsonValue::make_number(n2));
      r.add("numerator", std::move(num));
      r.add("denominator", std::move(den));
      obs.add("valueRatio", std::move(r));
      return true;
    }
    ctx.error(MappingContext::location(seg, 5, 3), "structured numeric separator not supported");
    return false;
  }
  if (type == "CE" || type == "CWE" || type == "CNE" || type == "CF") {
    auto cwe = hl7::read_cwe(first);
    if (!cwe.ok()) {
      ctx.error(loc, "invalid coded value");
      return false;
    }
    JsonValue cc = codeable_concept(ctx, *cwe, loc);
    if (!cc.empty()) obs.add("valueCodeableConcept", std::move(cc));
    return true;
  }
  if (type == "DT" || type == "TS" || type == "DTM") {
    auto ts = hl7::read_timestamp(first);
    if (!ts.ok()) {
      ctx.error(loc, "observation value is not a timestamp");
      return false;
    }
    std::string v = fhir_time(ctx, *ts, type == "DT" ? TimeKind::kDate : TimeKind::kDateTime, loc);
    if (!v.empty()) obs.add("valueDateTime", JsonValue::make_string(v));
    return true;
  }
  ctx.error(MappingContext::location(seg, 2), "observation value type not supported");
  return false;
}

}  // namespace

void map_obx(MappingContext& ctx, const Seg& seg) {
  if (ctx.cursor.patient == kNoEntry) {
    ctx.error(MappingContext::location(seg), "OBX without a preceding PID");
    return;
  }
  ++ctx.cursor.obx_in_order;
  JsonValue obs = JsonValue::make_object();
  obs.add("resourceType", JsonValue::make_string("Observation"));
  std::string status_code = seg.text(11);
  const char* status = observation_status(status_code);
  if (status == nullptr) {
    ctx.error(MappingContext::location(seg, 11),
              status_code.empty() ? "observation result status required"
                                  : "observation result status not in table 0085");
    return;
  }
  obs.add("status", JsonValue::make_string(status));
  JsonValue code = codeable_concept_field(ctx, seg, 3);
  if (code.empty()) {
    ctx.error(MappingContext::location(seg, 3), "observation identifier required");
    return;
  }
  // Key: within an order, set id + sub-id (position when those repeat); else
  // patient + encounter + code + set id.
  std::string set_id = seg.text(1) + "|" + seg.text(4);
  std::string key;
  if (ctx.cursor.order != kNoEntry) {
    key = ctx.cursor.order_key + "|obx|" + set_id;
    if (seg.text(1).empty() || ctx.find("Observation", key) != kNoEntry) {
      key = ctx.cursor.order_key + "|obx-position|" + std::to_string(ctx.cursor.obx_in_order);
    }
  } else {
    key = ctx.cursor.patient_key + "|" + ctx.cursor.encounter_key + "|" +
          std::string(seg.field(3).raw()) + "|" + set_id + "|" + std::to_string(seg.occurrence);
  }
  obs.add("code", std::move(code));
  if (ctx.cursor.order != kNoEntry)
    obs.add("basedOn", JsonValue::make_array()).push(ctx.reference(ctx.cursor.order));
  obs.add("subject", ctx.reference(ctx.cursor.patient));
  if (ctx.cursor.encounter != kNoEntry) obs.add("encounter", ctx.reference(ctx.cursor.encounter));
  std::string effective = time_field(ctx, seg, 14, TimeKind::kDateTime);
  if (effective.empty()) effective = ctx.cursor.order_effective;
  if (!effective.empty()) obs.add("effectiveDateTime", JsonValue::make_string(effective));
  JsonValue performers = JsonValue::make_array();
  int rep = 0;
  for (const hl7::Element& e : seg.field(16).children()) {
    ++rep;
    EntryRef pr =
        practitioner_from_xcn(ctx, e, MappingContext::location(seg, 16, 0, rep > 1 ? rep : 0));
    if (pr != kNoEntry) performers.push(ctx.reference(pr));
  }
  if (!performers.empty()) obs.add("performer", std::move(performers));
  hl7::CWE units;
  if (seg.field(6).has_value()) {
    auto u = hl7::read_cwe(seg.at(6, 1));
    if (!u.ok()) {
      ctx.error(MappingContext::location(seg, 6), "invalid units");
      return;
    }
    units = *u;
  }
  if (!set_value(ctx, seg, seg.text(2), units, obs)) return;
  if (obs.find("valueQuantity") == nullptr && obs.find("valueRange") == nullptr &&
      !seg.text(6).empty() && seg.text(2) != "NM" && seg.text(2) != "SN") {
    ctx.warning(MappingContext::location(seg, 6), "units of a non-numeric value not mapped");
  }
  std::vector<JsonValue> interpretations = codeable_concepts_field(ctx, seg, 8, "0078");
  if (!interpretations.empty()) {
    JsonValue& arr = obs.add("interpretation", JsonValue::make_array());
    for (JsonValue& i : interpretations) {
      // v2-0078 codes are the v3 ObservationInterpretation codes.
      JsonValue* codings = i.find_mutable("coding");
      if (codings != nullptr) {
        for (JsonValue& c : codings->mutable_items()) {
          const JsonValue* sys = c.find("system");
          if (sys == nullptr || sys->text() == "http://terminology.hl7.org/CodeSystem/v2-0078" ||
              sys->text().rfind(ctx.sender_urn(), 0) == 0) {
            c.add("system",
                  JsonValue::make_string(
                      "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"));
          }
        }
      }
      arr.push(std::move(i));
    }
  }
  JsonValue range = reference_range(seg.text(7), units);
  if (!range.empty()) obs.add("referenceRange", JsonValue::make_array()).push(std::move(range));
  JsonValue method = codeable_concept_field(ctx, seg, 17);
  if (!method.empty()) obs.add("method", std::move(method));
  EntryRef ref = ctx.add("Observation", key, std::move(obs), "OBX");
  ctx.cursor.observation = ref;
  ctx.cursor.note_target = ref;
  ctx.cursor.note_owner = "OBX";
  if (ctx.cursor.report != kNoEntry) {
    JsonValue& dr = ctx.resource(ctx.cursor.report);
    JsonValue* results = dr.find_mutable("result");
    if (results == nullptr) results = &dr.add("result", JsonValue::make_array());
    results->push(ctx.reference(ref));
  }
}

}  // namespace gw::v2fhir
