// Order and laboratory messages (ORM^O01, OML^O21, OMG^O19, OUL^R22-R24,
// ORU^R01): SPM, TQ1 and the routed ORC, DG1 and OBX mappers (see clinical.h
// and lab.h). The ServiceRequest itself comes from the shared ORC/OBR mappers
// (seg_order.cc); this file adds timing and priority, reasons (DG1),
// specimens (SPM, IG SPM[Specimen]) and, in OUL, the ORC that follows its OBR.
// No field refuses a message here: what does not read is warned and left out.
#include <utility>

#include "adapters/v2fhir/clinical.h"
#include "adapters/v2fhir/datatypes.h"
#include "adapters/v2fhir/lab.h"
#include "adapters/v2fhir/segments.h"

namespace gw::v2fhir {

using fhir::JsonValue;

namespace {

bool is_order_message(const MappingContext& ctx) {
  return message_is(ctx, "ORM") || message_is(ctx, "OML") || message_is(ctx, "OMG") ||
         message_is(ctx, "OMI");
}

// Messages whose ORC fields the laboratory hooks map (lab.h); VXU and the
// pharmacy messages read their ORC themselves.
bool is_lab_message(const MappingContext& ctx) {
  return is_order_message(ctx) || message_is(ctx, "ORU") || message_is(ctx, "OUL");
}

// The ServiceRequest being built: the ORC still waiting for its OBR, else
// the last mapped order. nullptr outside an order.
JsonValue* current_order(MappingContext& ctx) {
  if (!ctx.cursor.pending_orc.is_null()) return &ctx.cursor.pending_orc;
  if (ctx.cursor.order != kNoEntry) return &ctx.resource(ctx.cursor.order);
  return nullptr;
}

// In OUL the ORC follows its OBR: what it says completes that order (what
// the OBR already gave stays; a status only replaces "unknown").
void merge_into_order(MappingContext& ctx, const JsonValue& orc) {
  JsonValue& sr = ctx.resource(ctx.cursor.order);
  for (const fhir::JsonMember& m : orc.members()) {
    if (m.key == "resourceType" || m.key == "subject" || m.key == "encounter") continue;
    if (m.key == "identifier") {
      JsonValue* ids = sr.find_mutable("identifier");
      if (ids == nullptr) ids = &sr.add("identifier", JsonValue::make_array());
      for (const JsonValue& id : m.value.items()) {
        bool seen = false;
        for (const JsonValue& have : ids->items())
          seen = seen || identifier_key(have) == identifier_key(id);
        if (!seen) ids->push(id);
      }
      continue;
    }
    const JsonValue* have = sr.find(m.key);
    if (have == nullptr || (m.key == "status" && have->text() == "unknown")) sr.add(m.key, m.value);
  }
}

}  // namespace

void map_orc_routed(MappingContext& ctx, const Seg& seg) {
  // OUL: the ORC follows the OBR it completes (OUL_R22 ORDER group).
  const bool completes_obr =
      message_is(ctx, "OUL") && ctx.cursor.order != kNoEntry && ctx.cursor.note_owner == "OBR";
  // map_orc starts a new order in the cursor: what the OBR opened is put back.
  const EntryRef order = ctx.cursor.order, report = ctx.cursor.report;
  const EntryRef specimen = ctx.cursor.specimen, parent_result = ctx.cursor.parent_result;
  std::string order_key = completes_obr ? ctx.cursor.order_key : std::string();
  map_orc(ctx, seg);
  if (!is_lab_message(ctx) || ctx.cursor.pending_orc.is_null()) return;  // VXU: read by map_rxa
  JsonValue& sr = ctx.cursor.pending_orc;
  lab_orc_fields(ctx, seg, sr);
  // ORC-7 quantity/timing (TQ, before v2.5): start .4, end .5, priority .6.
  set_request_occurrence(sr, time_component(ctx, seg, 7, 4, TimeKind::kDateTime),
                         time_component(ctx, seg, 7, 5, TimeKind::kDateTime));
  set_request_priority(ctx, sr, seg.text(7, 6), MappingContext::location(seg, 7, 6));
  if (!completes_obr) return;
  JsonValue orc = std::move(ctx.cursor.pending_orc);
  ctx.cursor.pending_orc = JsonValue();
  ctx.cursor.pending_orc_key.clear();
  ctx.cursor.order = order;
  ctx.cursor.order_key = std::move(order_key);
  ctx.cursor.report = report;
  ctx.cursor.specimen = specimen;
  ctx.cursor.parent_result = parent_result;
  const JsonValue* orc_requester = orc.find("requester");
  const JsonValue* obr_requester = ctx.resource(ctx.cursor.order).find("requester");
  if (orc_requester != nullptr && obr_requester != nullptr &&
      orc_requester->find("reference")->text() != obr_requester->find("reference")->text()) {
    ctx.warning(MappingContext::location(seg, 12),
                "ordering provider differs from OBR-16: OBR-16 kept as requester");
  }
  merge_into_order(ctx, orc);
  lab_order_provenance(ctx, ctx.cursor.order, ctx.cursor.order_key);
  ctx.cursor.note_target = ctx.cursor.order;
  ctx.cursor.note_owner = "ORC";
}

void map_tq1(MappingContext& ctx, const Seg& seg) {
  if (message_is(ctx, "SIU")) return;  // read by map_sch with the SCH it follows
  JsonValue* sr = current_order(ctx);
  if (sr == nullptr) {
    ctx.warning(MappingContext::location(seg), "timing without an order not mapped");
    return;
  }
  set_request_occurrence(*sr, time_field(ctx, seg, 7, TimeKind::kDateTime),
                         time_field(ctx, seg, 8, TimeKind::kDateTime));
  set_request_priority(ctx, *sr, seg.text(9, 1), MappingContext::location(seg, 9));
}

void map_dg1_routed(MappingContext& ctx, const Seg& seg) {
  bool in_order = is_order_message(ctx) && current_order(ctx) != nullptr;
  map_dg1(ctx, seg);
  if (!in_order || ctx.cursor.note_owner != "DG1" || ctx.cursor.note_target == kNoEntry) return;
  JsonValue ref = ctx.reference(ctx.cursor.note_target);  // the Condition map_dg1 made
  push_unique_reference(*current_order(ctx), "reasonReference", std::move(ref));
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
  // A new specimen group: in OUL^R22/R23 the orders that follow are done on
  // this specimen, so the previous group's order ends here.
  if (specimen_first_message(ctx)) {
    ctx.cursor.order = kNoEntry;
    ctx.cursor.report = kNoEntry;
    ctx.cursor.observation = kNoEntry;
    ctx.cursor.parent_result = kNoEntry;
  }
  // SPM-4 is required in v2 but Specimen.type is optional in FHIR: the
  // specimen is kept without it (never refused for a field).
  JsonValue type = codeable_concept_field(ctx, seg, 4, 1, "0487");
  if (type.empty()) ctx.warning(MappingContext::location(seg, 4), "specimen type missing");
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
  }
  hl7::Element accession = seg.at(30, 1);
  if (accession.has_value()) {
    auto cx = hl7::read_cx(accession);
    if (!cx.ok()) {
      ctx.warning(MappingContext::location(seg, 30), "invalid accession identifier not mapped");
    } else {
      JsonValue id = identifier_from_cx(ctx, *cx, MappingContext::location(seg, 30));
      if (!id.empty()) {
        if (key.empty()) key = "accession|" + identifier_key(id);
        spm.add("accessionIdentifier", std::move(id));
      }
    }
  }
  std::string collected = seg.text(17, 1);
  if (key.empty()) {
    // No number at all: what the specimen is (order, type, collection time),
    // never its position in the message.
    key = ctx.cursor.order_key + "|" + ctx.cursor.patient_key + "|spm|" + seg.text(4, 1) + "|" +
          collected;
    if (ctx.find("Specimen", key) != kNoEntry) {
      ctx.warning(MappingContext::location(seg, 2),
                  "specimen without identifier like an earlier one: told apart by its rank");
      std::string base = key;
      for (int n = 2; ctx.find("Specimen", key) != kNoEntry; ++n)
        key = base + "|rank|" + std::to_string(n);
    }
  }
  std::string available = seg.text(20);
  if (available == "Y") spm.add("status", JsonValue::make_string("available"));
  if (available == "N") spm.add("status", JsonValue::make_string("unavailable"));
  if (!available.empty() && available != "Y" && available != "N")
    ctx.warning(MappingContext::location(seg, 20), "specimen availability not Y or N: not mapped");
  if (!type.empty()) spm.add("type", std::move(type));
  if (ctx.cursor.patient != kNoEntry) spm.add("subject", ctx.reference(ctx.cursor.patient));
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
    // A number that does not read is dropped with a warning; units that do
    // not read leave the number without them.
    auto n = hl7::parse_number(amount);
    if (!n.ok() || n->text.empty()) {
      ctx.warning(MappingContext::location(seg, 12, 1), "collection amount is not a number");
    } else {
      hl7::CWE unit;
      if (seg.at(12, 1, 2).has_value()) {
        auto units = hl7::read_cwe(seg.at(12, 1, 2));
        if (units.ok()) {
          unit = *units;
        } else {
          ctx.warning(MappingContext::location(seg, 12, 2),
                      "invalid units: amount kept without them");
        }
      }
      collection.add("quantity", quantity(n->fhir_decimal(), unit));
    }
  }
  JsonValue method = codeable_concept_field(ctx, seg, 7, 1, "0488");
  if (!method.empty()) collection.add("method", std::move(method));
  JsonValue site = codeable_concept_field(ctx, seg, 8, 1, "0163");
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

  EntryRef ref = ctx.add("Specimen", key, std::move(spm));
  if (ctx.cursor.order != kNoEntry) {
    push_unique_reference(ctx.resource(ctx.cursor.order), "specimen", ctx.reference(ref));
    if (ctx.cursor.report != kNoEntry)
      push_unique_reference(ctx.resource(ctx.cursor.report), "specimen", ctx.reference(ref));
  }
  // ORU_R01 sends the SPECIMEN group after the results of its order: those
  // results are of this specimen too.
  if (ctx.cursor.report != kNoEntry && !specimen_first_message(ctx)) {
    if (const JsonValue* results = ctx.resource(ctx.cursor.report).find("result")) {
      for (const JsonValue& r : results->items()) {
        for (size_t i = 0; i < ctx.entries().size(); ++i) {
          Entry& e = ctx.entries()[i];
          if (e.type != "Observation" || "urn:uuid:" + e.id != r.find("reference")->text())
            continue;
          if (e.resource.find("specimen") == nullptr)
            e.resource.add("specimen", ctx.reference(ref));
        }
      }
    }
  }
  ctx.cursor.specimen = ref;
  ctx.cursor.specimen_key = key;
  ctx.cursor.specimen_observations = true;  // until a SAC, ORC or OBR
  ctx.cursor.note_target = ref;
  ctx.cursor.note_owner = "SPM";
}

}  // namespace gw::v2fhir
