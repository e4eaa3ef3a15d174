// OBX -> Observation (value by OBX-2, reference range, interpretation...).
#include <algorithm>
#include <utility>

#include "adapters/v2fhir/clinical.h"
#include "adapters/v2fhir/datatypes.h"
#include "adapters/v2fhir/lab.h"
#include "adapters/v2fhir/result_sections.h"
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

// The whole of OBX-5 as received (repetitions joined by newlines), for a value
// kept as text because it could not be read as its type says.
std::string raw_value(const Seg& seg) {
  std::string text;
  for (const hl7::Element& e : seg.field(5).children()) {
    if (!text.empty()) text.push_back('\n');
    text += e.text_or_empty();
  }
  return trim(text);
}

// Keeps a value that does not read as its declared type: valueString with the
// text as sent, and a warning that says why. Nothing the sender wrote is lost.
void keep_as_text(MappingContext& ctx, const Seg& seg, const IssueLocation& loc, const char* why,
                  JsonValue& obs) {
  ctx.warning(loc, why);
  std::string text = raw_value(seg);
  if (!text.empty()) obs.add("valueString", JsonValue::make_string(std::move(text)));
}

// ED and RP values are documents, not observation values (R4 Observation has
// no valueAttachment): a DocumentReference holds the attachment and the
// Observation points at it through derivedFrom (the IG's OBX[DocumentReference]).
void add_document_value(MappingContext& ctx, const Seg& seg, std::string_view type,
                        const std::string& key, JsonValue& obs) {
  JsonValue content = JsonValue::make_array();
  int rep = 0;
  for (const hl7::Element& e : seg.field(5).children()) {
    ++rep;
    IssueLocation loc = MappingContext::location(seg, 5, 0, rep > 1 ? rep : 0);
    JsonValue a = type == "ED" ? attachment_from_ed(ctx, e, loc) : attachment_from_rp(ctx, e, loc);
    if (a.empty()) continue;
    JsonValue c = JsonValue::make_object();
    c.add("attachment", std::move(a));
    content.push(std::move(c));
  }
  if (content.empty()) return;
  JsonValue doc = JsonValue::make_object();
  doc.add("resourceType", JsonValue::make_string("DocumentReference"));
  doc.add("status", JsonValue::make_string("current"));
  if (const JsonValue* code = obs.find("code")) doc.add("type", *code);
  if (const JsonValue* subject = obs.find("subject")) doc.add("subject", *subject);
  doc.add("content", std::move(content));
  EntryRef ref = ctx.add("DocumentReference", key + "|document", std::move(doc));
  obs.add("derivedFrom", JsonValue::make_array()).push(ctx.reference(ref));
  if (ctx.cursor.report != kNoEntry) {
    // The report's presented form is the same attachment.
    JsonValue& dr = ctx.resource(ctx.cursor.report);
    JsonValue* forms = dr.find_mutable("presentedForm");
    if (forms == nullptr) forms = &dr.add("presentedForm", JsonValue::make_array());
    for (const JsonValue& c : ctx.resource(ref).find("content")->items())
      forms->push(*c.find("attachment"));
  }
}

// OBX-5 by OBX-2. A value that does not read as its type is kept as text
// with a warning; an unknown type likewise.
void set_value(MappingContext& ctx, const Seg& seg, std::string_view type, const hl7::CWE& units,
               const std::string& key, JsonValue& obs) {
  hl7::Element field = seg.field(5);
  if (field.is_null()) {
    // OBX-5 "": the sender states there is no value (HL7 null).
    obs.add("dataAbsentReason",
            make_concept("http://terminology.hl7.org/CodeSystem/data-absent-reason", "unknown",
                         "Unknown"));
    return;
  }
  if (!field.has_value()) return;
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
    return;
  }
  if (type == "ED" || type == "RP") {
    add_document_value(ctx, seg, type, key, obs);
    return;
  }
  if (reps > 1) {
    keep_as_text(ctx, seg, loc, "repeated observation value kept as text", obs);
    return;
  }
  hl7::Element first = seg.at(5, 1);
  if (type == "NM") {
    std::string d = decimal_of(first.text_or_empty());
    if (d.empty()) return keep_as_text(ctx, seg, loc, "observation value is not a number", obs);
    obs.add("valueQuantity", quantity(d, units));
    return;
  }
  if (type == "SN") {
    std::string cmp = trim(first.part(1).text_or_empty());
    std::string n1 = decimal_of(first.part(2).text_or_empty());
    std::string sep = trim(first.part(3).text_or_empty());
    std::string raw2 = trim(first.part(4).text_or_empty());
    std::string n2 = decimal_of(raw2);
    if (n1.empty() && !trim(first.part(2).text_or_empty()).empty())
      return keep_as_text(ctx, seg, loc, "structured numeric value is not a number", obs);
    if (sep.empty() && raw2.empty()) {
      if (n1.empty()) return;
      JsonValue q = quantity(n1, units);
      if (cmp == "<" || cmp == ">" || cmp == "<=" || cmp == ">=") {
        q.add("comparator", JsonValue::make_string(cmp));
      } else if (!cmp.empty() && cmp != "=") {
        return keep_as_text(ctx, seg, loc, "structured numeric comparator not supported", obs);
      }
      obs.add("valueQuantity", std::move(q));
      return;
    }
    if (n1.empty() || n2.empty() || !cmp.empty())
      return keep_as_text(ctx, seg, loc, "structured numeric value not supported", obs);
    if (sep == "-") {
      JsonValue r = JsonValue::make_object();
      r.add("low", quantity(n1, units));
      r.add("high", quantity(n2, units));
      obs.add("valueRange", std::move(r));
      return;
    }
    if (sep == ":" || sep == "/") {
      JsonValue r = JsonValue::make_object();
      JsonValue num = JsonValue::make_object(), den = JsonValue::make_object();
      num.add("value", JsonValue::make_number(n1));
      den.add("value", JsonValue::make_number(n2));
      r.add("numerator", std::move(num));
      r.add("denominator", std::move(den));
      obs.add("valueRatio", std::move(r));
      return;
    }
    return keep_as_text(ctx, seg, loc, "structured numeric separator not supported", obs);
  }
  if (type == "CE" || type == "CWE" || type == "CNE" || type == "CF" || type == "ID" ||
      type == "IS") {
    auto cwe = hl7::read_cwe(first);
    if (!cwe.ok()) return keep_as_text(ctx, seg, loc, "invalid coded value", obs);
    JsonValue cc = codeable_concept(ctx, *cwe, loc);
    if (!cc.empty()) obs.add("valueCodeableConcept", std::move(cc));
    return;
  }
  if (type == "DT" || type == "TS" || type == "DTM") {
    auto ts = hl7::read_timestamp(first);
    if (!ts.ok()) return keep_as_text(ctx, seg, loc, "observation value is not a timestamp", obs);
    std::string v = fhir_time(ctx, *ts, type == "DT" ? TimeKind::kDate : TimeKind::kDateTime, loc);
    if (!v.empty()) obs.add("valueDateTime", JsonValue::make_string(v));
    return;
  }
  keep_as_text(ctx, seg, MappingContext::location(seg, 2),
               type.empty() ? "observation value type missing: value kept as text"
                            : "observation value type not supported: value kept as text",
               obs);
}

// Result identity, never a position alone: OBX-21 (observation instance
// identifier) when given; else the order's filler (or placer) number + OBX-3
// code + OBX-4 sub-id; outside an order, patient + encounter + code + sub-id
// + effective time. A second OBX with the same identity in one message gets
// its rank among those (with a warning): text lines of one result sent as
// several OBX without sub-ids are the usual cause.
std::string result_key(MappingContext& ctx, const Seg& seg, const std::string& effective) {
  std::string specimen_key = specimen_result_key(ctx, seg);  // an observation of the specimen
  if (!specimen_key.empty()) return specimen_key;
  std::string code = seg.text(3, 1) + "^" + seg.text(3, 3);
  std::string sub_id = seg.text(4);
  if (ctx.cursor.order != kNoEntry) return ctx.cursor.order_key + "|result|" + code + "|" + sub_id;
  return ctx.cursor.patient_key + "|" + ctx.cursor.encounter_key + "|result|" + code + "|" +
         sub_id + "|" + effective;
}

// A result of an order inherits its section's category: every v2-0074 lab
// section is "laboratory", every imaging modality "imaging" (the same
// classification consents use, ledger-client/consortium/scope.cc); other
// sections (EC, PHY, ...) and results outside an order say nothing.
const char* observation_category(const Cursor& cursor) {
  if (cursor.order == kNoEntry || cursor.order_section.empty()) return nullptr;
  for (std::string_view s : laboratory_sections())
    if (s == cursor.order_section) return "laboratory";
  for (std::string_view s : imaging_sections())
    if (s == cursor.order_section) return "imaging";
  return nullptr;
}

}  // namespace

std::span<const std::string_view> laboratory_sections() {
  static constexpr std::string_view kLab[] = {"LAB", "BG",  "BLB", "CG",  "CH",  "CP",
                                              "HM",  "IMM", "MB",  "MCB", "MYC", "SP",
                                              "SR",  "TX",  "URN", "VR",  "HLA", "OSL"};
  return kLab;
}

std::span<const std::string_view> imaging_sections() {
  static constexpr std::string_view kImaging[] = {"RAD", "CT",  "MR",  "NMR", "NMS", "RUS",
                                                  "US",  "VUS", "XRC", "CUS", "OUS"};
  return kImaging;
}

void map_obx(MappingContext& ctx, const Seg& seg) {
  if (ctx.cursor.patient == kNoEntry) {
    ctx.error(MappingContext::location(seg), "OBX without a preceding PID");
    return;
  }
  ++ctx.cursor.obx_in_order;
  JsonValue obs = JsonValue::make_object();
  obs.add("resourceType", JsonValue::make_string("Observation"));
  // Identifier: OBX-21 when given (it is then also the key).
  JsonValue instance =
      identifier_from_ei(ctx, read_ei(seg.at(21, 1)), "", MappingContext::location(seg, 21));
  std::string status_code = seg.text(11);
  const char* status = observation_status(status_code);
  if (status == nullptr) {
    ctx.warning(MappingContext::location(seg, 11),
                status_code.empty()
                    ? "observation result status missing: status unknown"
                    : "observation result status not in table 0085: status unknown");
    status = "unknown";
  }
  obs.add("status", JsonValue::make_string(status));
  if (const char* category = observation_category(ctx.cursor); category != nullptr) {
    obs.add("category", JsonValue::make_array())
        .push(make_concept("http://terminology.hl7.org/CodeSystem/observation-category", category));
  }
  JsonValue code = codeable_concept_field(ctx, seg, 3);
  if (code.empty()) {
    ctx.warning(MappingContext::location(seg, 3), "observation identifier missing");
    code = data_absent_element("unknown");
  }
  std::string effective = time_field(ctx, seg, 14, TimeKind::kDateTime);
  std::string key;
  if (!instance.empty()) {
    key = "instance|" + identifier_key(instance);
    obs.add("identifier", JsonValue::make_array()).push(std::move(instance));
  } else {
    key = result_key(ctx, seg, effective);
  }
  if (ctx.find("Observation", key) != kNoEntry) {
    ctx.warning(MappingContext::location(seg, 4),
                "result with the same code and sub-id as an earlier one: told apart by its rank");
    std::string base = key;
    int& n = ctx.result_ranks[base];
    for (n = std::max(n, 2);; ++n) {
      key = base + "|rank|" + std::to_string(n);
      if (ctx.find("Observation", key) == kNoEntry) break;
    }
  }
  obs.add("code", std::move(code));
  if (ctx.cursor.order != kNoEntry)
    obs.add("basedOn", JsonValue::make_array()).push(ctx.reference(ctx.cursor.order));
  obs.add("subject", ctx.reference(ctx.cursor.patient));
  if (ctx.cursor.encounter != kNoEntry) obs.add("encounter", ctx.reference(ctx.cursor.encounter));
  if (effective.empty()) effective = ctx.cursor.order_effective;
  if (!effective.empty()) obs.add("effectiveDateTime", JsonValue::make_string(effective));
  JsonValue performers = JsonValue::make_array();
  for (EntryRef pr : practitioner_entries(ctx, seg, 16)) performers.push(ctx.reference(pr));
  if (!performers.empty()) obs.add("performer", std::move(performers));
  hl7::CWE units;
  if (seg.field(6).has_value()) {
    auto u = hl7::read_cwe(seg.at(6, 1));
    if (u.ok()) {
      units = *u;
    } else {
      ctx.warning(MappingContext::location(seg, 6), "invalid units");
    }
    // "10^9/L", "10^3/uL": many lab systems write a power of ten with an
    // unescaped component separator, which splits the unit into a number
    // and the rest. Without a coding system in .3, the two are one unit.
    const std::string first = trim(units.identifier), second = trim(units.text);
    if (!first.empty() && !second.empty() && trim(units.coding_system).empty() &&
        first.find_first_not_of("0123456789") == std::string::npos) {
      ctx.warning(MappingContext::location(seg, 6),
                  "units with an unescaped component separator read as one unit");
      units = hl7::CWE{};
      units.text = first + "^" + second;
    }
  }
  set_value(ctx, seg, seg.text(2), units, key, obs);
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
  lab_observation_fields(ctx, seg, obs);
  EntryRef ref = ctx.add("Observation", key, std::move(obs));
  ctx.cursor.observation = ref;
  ctx.cursor.note_target = ref;
  ctx.cursor.note_owner = "OBX";
  lab_observation_added(ctx, ref);
  // Observations of the specimen are not results of the report.
  if (ctx.cursor.report != kNoEntry && !ctx.cursor.specimen_observations) {
    JsonValue& dr = ctx.resource(ctx.cursor.report);
    JsonValue* results = dr.find_mutable("result");
    if (results == nullptr) results = &dr.add("result", JsonValue::make_array());
    results->push(ctx.reference(ref));
  }
}

}  // namespace gw::v2fhir
