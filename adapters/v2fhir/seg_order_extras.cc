// Order messages (ORM^O01, OML^O21): SPM, TQ1 and the routed ORC, DG1 and
// OBX mappers (see clinical.h). The ServiceRequest itself comes from the
// shared ORC/OBR mappers (seg_order.cc); this file adds what the order
// messages carry beyond ORU: status from the order control code, timing and
// priority, reasons (DG1) and specimens (SPM, IG SPM[Specimen]).
#include <utility>

#include "adapters/v2fhir/clinical.h"
#include "adapters/v2fhir/datatypes.h"
#include "adapters/v2fhir/segments.h"

namespace gw::v2fhir {

using fhir::JsonValue;

namespace {

// v2-0119 order control code -> request-status, for an ORC without ORC-5
// (IG ConceptMap OrderControlCode[ServiceRequest.status]).
const char* status_from_order_control(std::string_view c) {
  if (c == "NW" || c == "OK" || c == "RL" || c == "XO" || c == "XX" || c == "XR" || c == "SC")
    return "active";
  if (c == "CA" || c == "OC" || c == "CR" || c == "DC" || c == "OD" || c == "DR") return "revoked";
  if (c == "HD" || c == "OH" || c == "HR") return "on-hold";
  return nullptr;
}

// v2-0485 (TQ1-9) / TQ-6 priority -> request-priority.
const char* request_priority(std::string_view p) {
  if (p == "S") return "stat";
  if (p == "A") return "asap";
  if (p == "R") return "routine";
  if (p == "T") return "urgent";  // timing critical
  return nullptr;
}

bool is_order_message(const MappingContext& ctx) {
  return message_is(ctx, "ORM") || message_is(ctx, "OML");
}

// The ServiceRequest being built: the ORC still waiting for its OBR, else
// the last mapped order. nullptr outside an order.
JsonValue* current_order(MappingContext& ctx) {
  if (!ctx.cursor.pending_orc.is_null()) return &ctx.cursor.pending_orc;
  if (ctx.cursor.order != kNoEntry) return &ctx.resource(ctx.cursor.order);
  return nullptr;
}

void set_occurrence(JsonValue& sr, const std::string& start, const std::string& end) {
  if (start.empty() || sr.find("occurrenceDateTime") != nullptr ||
      sr.find("occurrencePeriod") != nullptr)
    return;
  if (!end.empty()) {
    JsonValue period = JsonValue::make_object();
    period.add("start", JsonValue::make_string(start));
    period.add("end", JsonValue::make_string(end));
    sr.add("occurrencePeriod", std::move(period));
  } else {
    sr.add("occurrenceDateTime", JsonValue::make_string(start));
  }
}

void set_priority(MappingContext& ctx, JsonValue& sr, const std::string& code,
                  const IssueLocation& loc) {
  if (code.empty() || sr.find("priority") != nullptr) return;
  if (const char* p = request_priority(code)) {
    sr.add("priority", JsonValue::make_string(p));
  } else {
    ctx.warning(loc, "priority not mapped");
  }
}

void push_reference(JsonValue& r, const char* element, JsonValue ref) {
  JsonValue* arr = r.find_mutable(element);
  if (arr == nullptr) arr = &r.add(element, JsonValue::make_array());
  for (const JsonValue& existing : arr->items()) {
    const JsonValue* a = existing.find("reference");
    if (a != nullptr && a->text() == ref.find("reference")->text()) return;
  }
  arr->push(std::move(ref));
}

}  // namespace

void map_orc_routed(MappingContext& ctx, const Seg& seg) {
  map_orc(ctx, seg);
  if (!is_order_message(ctx) || ctx.cursor.pending_orc.is_null()) return;  // VXU: read by map_rxa
  JsonValue& sr = ctx.cursor.pending_orc;
  JsonValue* status = sr.find_mutable("status");
  if (status != nullptr && status->text() == "unknown" && seg.text(5).empty()) {
    if (const char* s = status_from_order_control(seg.text(1))) *status = JsonValue::make_string(s);
  }
  // ORC-7 quantity/timing (TQ, before v2.5): start .4, end .5, priority .6.
  set_occurrence(sr, time_component(ctx, seg, 7, 4, TimeKind::kDateTime),
                 time_component(ctx, seg, 7, 5, TimeKind::kDateTime));
  set_priority(ctx, sr, seg.text(7, 6), MappingContext::location(seg, 7, 6));
}

void map_tq1(MappingContext& ctx, const Seg& seg) {
  if (message_is(ctx, "SIU")) return;  // read by map_sch with the SCH it follows
  JsonValue* sr = current_order(ctx);
  if (sr == nullptr) {
    ctx.warning(MappingContext::location(seg), "timing without an order not mapped");
    return;
  }
  set_occurrence(*sr, time_field(ctx, seg, 7, TimeKind::kDateTime),
                 time_field(ctx, seg, 8, TimeKind::kDateTime));
  set_priority(ctx, *sr, seg.text(9, 1), MappingContext::location(seg, 9));
}

void map_dg1_routed(MappingContext& ctx, const Seg& seg) {
  bool in_order = is_order_message(ctx) && current_order(ctx) != nullptr;
  map_dg1(ctx, seg);
  if (!in_order || ctx.cursor.note_owner != "DG1" || ctx.cursor.note_target == kNoEntry) return;
  JsonValue ref = ctx.reference(ctx.cursor.note_target);  // the Condition map_dg1 made
  push_reference(*current_order(ctx), "reasonReference", std::move(ref));
}

void map_obx_routed(MappingContext& ctx, const Seg& seg) {
  const hl7::Message& m = ctx.message();
  if (message_is(ctx, "MDM")) {
    auto txa = m.find("TXA");
    if (txa && txa->index() < seg.view.index()) return;  // document content, read by map_txa
  }
  if (message_is(ctx, "VXU")) {
    auto rxa = m.find("RXA");
    if (rxa && rxa->index() < seg.view.index()) {
      immunization_obx(ctx, seg);
      return;
    }
  }
  map_obx(ctx, seg);
}

void map_spm(MappingContext& ctx, const Seg& seg) {
  if (ctx.cursor.patient == kNoEntry) {
    ctx.error(MappingContext::location(seg), "SPM without a preceding PID");
    return;
  }
  JsonValue type = codeable_concept_field(ctx, seg, 4, 1, "0487");
  if (type.empty()) {
    ctx.error(MappingContext::location(seg, 4), "specimen type required");
    return;
  }
  JsonValue spm = JsonValue::make_object();
  spm.add("resourceType", JsonValue::make_string("Specimen"));
  // SPM-2 (EIP): placer EI in .1, filler EI in .2 (subcomponents).
  IssueLocation loc2 = MappingContext::location(seg, 2);
  JsonValue filler = identifier_from_ei(ctx, read_ei(seg.at(2, 1, 2)), "FILL", loc2);
  JsonValue placer = identifier_from_ei(ctx, read_ei(seg.at(2, 1, 1)), "PLAC", loc2);
  std::string key;
  if (!filler.empty() || !placer.empty()) {
    key = identifier_key(!filler.empty() ? filler : placer);
    JsonValue& ids = spm.add("identifier", JsonValue::make_array());
    if (!filler.empty()) ids.push(std::move(filler));
    if (!placer.empty()) ids.push(std::move(placer));
  } else {
    key = ctx.cursor.order_key + "|" + ctx.cursor.patient_key + "|spm|" + seg.text(1) + "|" +
          std::to_string(seg.occurrence);
  }
  hl7::Element accession = seg.at(30, 1);
  if (accession.has_value()) {
    auto cx = hl7::read_cx(accession);
    if (!cx.ok()) {
      ctx.error(MappingContext::location(seg, 30), "invalid identifier");
      return;
    }
    JsonValue id = identifier_from_cx(ctx, *cx, MappingContext::location(seg, 30));
    if (!id.empty()) spm.add("accessionIdentifier", std::move(id));
  }
  std::string available = seg.text(20);
  if (available == "Y") spm.add("status", JsonValue::make_string("available"));
  if (available == "N") spm.add("status", JsonValue::make_string("unavailable"));
  spm.add("type", std::move(type));
  spm.add("subject", ctx.reference(ctx.cursor.patient));
  std::string received = time_field(ctx, seg, 18, TimeKind::kDateTime);
  if (!received.empty()) spm.add("receivedTime", JsonValue::make_string(received));
  if (ctx.cursor.order != kNoEntry)
    spm.add("request", JsonValue::make_array()).push(ctx.reference(ctx.cursor.order));

  JsonValue collection = JsonValue::make_object();
  std::string start = time_component(ctx, seg, 17, 1, TimeKind::kDateTime);
  std::string end = time_component(ctx, seg, 17, 2, TimeKind::kDateTime);
  if (!start.empty() && !end.empty()) {
    JsonValue period = JsonValue::make_object();
    period.add("start", JsonValue::make_string(start));
    period.add("end", JsonValue::make_string(end));
    collection.add("collectedPeriod", std::move(period));
  } else if (!start.empty()) {
    collection.add("collectedDateTime", JsonValue::make_string(start));
  }
  std::string amount = seg.text(12, 1);
  if (!amount.empty()) {
    auto n = hl7::parse_number(amount);
    auto units = hl7::read_cwe(seg.at(12, 1, 2));
    if (!n.ok() || !units.ok()) {
      ctx.error(MappingContext::location(seg, 12), "invalid collection amount");
      return;
    }
    collection.add("quantity", quantity(n->fhir_decimal(), *units));
  }
  JsonValue method = codeable_concept_field(ctx, seg, 7, 1, "0488");
  if (!method.empty()) collection.add("method", std::move(method));
  JsonValue site = codeable_concept_field(ctx, seg, 8);
  if (!site.empty()) collection.add("bodySite", std::move(site));
  if (!collection.empty()) spm.add("collection", std::move(collection));

  JsonValue container = JsonValue::make_object();
  JsonValue container_type = codeable_concept_field(ctx, seg, 27, 1, "0378");
  if (!container_type.empty()) container.add("type", std::move(container_type));
  JsonValue additive = codeable_concept_field(ctx, seg, 6, 1, "0371");
  if (!additive.empty()) container.add("additiveCodeableConcept", std::move(additive));
  if (!container.empty()) spm.add("container", JsonValue::make_array()).push(std::move(container));
  std::vector<JsonValue> conditions = codeable_concepts_field(ctx, seg, 24, "0493");
  if (!conditions.empty()) {
    JsonValue& arr = spm.add("condition", JsonValue::make_array());
    for (JsonValue& c : conditions) arr.push(std::move(c));
  }
  std::string description = seg.text(14);
  if (!description.empty()) add_note(spm, description);

  EntryRef ref = ctx.add("Specimen", key, std::move(spm), "SPM");
  if (ctx.cursor.order != kNoEntry)
    push_reference(ctx.resource(ctx.cursor.order), "specimen", ctx.reference(ref));
  ctx.cursor.note_target = ref;
  ctx.cursor.note_owner = "SPM";
}

}  // namespace gw::v2fhir
