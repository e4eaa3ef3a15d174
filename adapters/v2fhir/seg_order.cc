// ORC, OBR, NTE -> ServiceRequest, DiagnosticReport, notes.
#include <utility>

#include "adapters/v2fhir/datatypes.h"
#include "adapters/v2fhir/docsched.h"
#include "adapters/v2fhir/lab.h"
#include "adapters/v2fhir/segments.h"

namespace gw::v2fhir {

using fhir::JsonValue;

namespace {

// v2-0038 order status -> request-status.
const char* request_status(std::string_view s) {
  if (s == "A" || s == "IP" || s == "SC") return "active";
  if (s == "CM") return "completed";
  if (s == "CA" || s == "DC") return "revoked";
  if (s == "HD") return "on-hold";
  if (s == "ER") return "entered-in-error";
  return nullptr;
}

// v2-0123 result status -> diagnostic-report-status.
const char* report_status(std::string_view s) {
  if (s == "O" || s == "I" || s == "S") return "registered";
  if (s == "A") return "partial";
  if (s == "P" || s == "R") return "preliminary";
  if (s == "C" || s == "M") return "corrected";
  if (s == "F") return "final";
  if (s == "X") return "cancelled";
  return nullptr;
}

bool has_identifier_type(const JsonValue& sr, std::string_view type) {
  const JsonValue* ids = sr.find("identifier");
  if (ids == nullptr) return false;
  for (const JsonValue& id : ids->items()) {
    const JsonValue* t = id.find("type");
    if (t == nullptr) continue;
    const JsonValue* c = t->find("coding");
    if (c != nullptr && !c->items().empty() && c->items()[0].find("code")->text() == type)
      return true;
  }
  return false;
}

// Placer (field_placer) and filler (field_filler) EIs -> identifiers; the
// filler number comes first: it is the key (results are the filler's).
std::vector<JsonValue> order_identifiers(MappingContext& ctx, const Seg& seg, int field_placer,
                                         int field_filler) {
  std::vector<JsonValue> out;
  JsonValue filler = identifier_from_ei(ctx, read_ei(seg.at(field_filler, 1)), "FILL",
                                        MappingContext::location(seg, field_filler));
  JsonValue placer = identifier_from_ei(ctx, read_ei(seg.at(field_placer, 1)), "PLAC",
                                        MappingContext::location(seg, field_placer));
  if (!filler.empty()) out.push_back(std::move(filler));
  if (!placer.empty()) out.push_back(std::move(placer));
  return out;
}

// The key of the order number of type `type` ("PLAC", "FILL") among an
// order's identifiers, else of its first identifier; "" without any.
std::string order_number_key(const JsonValue* ids, std::string_view type) {
  if (ids == nullptr || ids->items().empty()) return {};
  for (const JsonValue& id : ids->items()) {
    const JsonValue* t = id.find("type");
    const JsonValue* c = t != nullptr ? t->find("coding") : nullptr;
    if (c != nullptr && !c->items().empty() && c->items()[0].find("code")->text() == type)
      return identifier_key(id);
  }
  return identifier_key(ids->items()[0]);
}

void set_subject(MappingContext& ctx, JsonValue& r) {
  if (ctx.cursor.patient != kNoEntry) r.add("subject", ctx.reference(ctx.cursor.patient));
  if (ctx.cursor.encounter != kNoEntry) r.add("encounter", ctx.reference(ctx.cursor.encounter));
}

}  // namespace

void map_orc(MappingContext& ctx, const Seg& seg) {
  ctx.cursor.pending_orc_enterer = kNoEntry;
  ctx.cursor.pending_orc_control.clear();
  ctx.cursor.pending_orc_requester_id.clear();
  std::vector<JsonValue> ids = order_identifiers(ctx, seg, 2, 3);
  JsonValue sr = JsonValue::make_object();
  sr.add("resourceType", JsonValue::make_string("ServiceRequest"));
  if (!ids.empty()) {
    JsonValue& arr = sr.add("identifier", JsonValue::make_array());
    for (JsonValue& id : ids) arr.push(std::move(id));
  }
  // The order is known by its placer number when there is one: it exists
  // from the moment the order is placed and the filler's messages echo it,
  // so an order placed without a filler number (ORM, OML, RDE) and its
  // results (ORU, with both numbers) are one resource.
  std::string key = order_number_key(sr.find("identifier"), "PLAC");
  const char* status = request_status(seg.text(5));
  sr.add("status", JsonValue::make_string(status != nullptr ? status : "unknown"));
  sr.add("intent", JsonValue::make_string("order"));
  set_subject(ctx, sr);
  std::string authored = time_field(ctx, seg, 9, TimeKind::kDateTime);
  if (!authored.empty()) sr.add("authoredOn", JsonValue::make_string(authored));
  EntryRef requester = practitioner_from_xcn(ctx, seg.at(12, 1), MappingContext::location(seg, 12));
  if (requester != kNoEntry) sr.add("requester", ctx.reference(requester));
  // What OBR-16 is compared with (an OBR naming another provider is warned).
  ctx.cursor.pending_orc_requester_id = seg.text(12, 1) + "|" + seg.text(12, 2);
  // The ServiceRequest is completed by the OBR that follows (code is
  // required); without an order number it is only keyed there.
  ctx.cursor.order = kNoEntry;
  ctx.cursor.report = kNoEntry;
  ctx.cursor.observation = kNoEntry;
  ctx.cursor.specimen_observations = false;
  if (!specimen_first_message(ctx)) ctx.cursor.specimen = kNoEntry;
  ctx.cursor.pending_orc = std::move(sr);
  ctx.cursor.pending_orc_key = key;
  ctx.cursor.pending_orc_seg = MappingContext::location(seg);
  ctx.cursor.note_target = kNoEntry;
  ctx.cursor.note_owner = "ORC";
}

void map_obr(MappingContext& ctx, const Seg& seg) {
  if (ctx.cursor.patient == kNoEntry) {
    ctx.error(MappingContext::location(seg), "OBR without a preceding PID");
    return;
  }
  JsonValue code = codeable_concept_field(ctx, seg, 4);
  if (code.empty()) {
    ctx.warning(MappingContext::location(seg, 4), "universal service identifier missing");
    code = data_absent_element("unknown");
  }
  JsonValue sr = std::move(ctx.cursor.pending_orc);
  std::string key = std::move(ctx.cursor.pending_orc_key);
  ctx.cursor.pending_orc = JsonValue();
  ctx.cursor.pending_orc_key.clear();
  if (sr.is_null()) {
    sr = JsonValue::make_object();
    sr.add("resourceType", JsonValue::make_string("ServiceRequest"));
    sr.add("status", JsonValue::make_string("unknown"));
    sr.add("intent", JsonValue::make_string("order"));
    set_subject(ctx, sr);
  }
  std::vector<JsonValue> ids = order_identifiers(ctx, seg, 2, 3);
  std::vector<JsonValue> report_ids;
  for (JsonValue& id : ids) {
    const JsonValue* coding = id.find("type")->find("coding");
    std::string type = coding->items()[0].find("code")->text();
    if (type == "FILL") report_ids.push_back(id);
    if (has_identifier_type(sr, type)) continue;  // ORC-2/3 win over OBR-2/3
    JsonValue* arr = sr.find_mutable("identifier");
    if (arr == nullptr) arr = &sr.add("identifier", JsonValue::make_array());
    arr->push(std::move(id));
  }
  const JsonValue* sr_ids = sr.find("identifier");
  if (key.empty()) key = order_number_key(sr_ids, "PLAC");
  // Results (and the report) are the filler's: keyed by its number.
  std::string results_key = order_number_key(sr_ids, "FILL");
  std::string effective = time_field(ctx, seg, 7, TimeKind::kDateTime);
  std::string effective_end = time_field(ctx, seg, 8, TimeKind::kDateTime);
  // Identity: the order number with the service code. One filler number may
  // carry several orders (an accession with a panel and a culture), and each
  // must survive as itself.
  const std::string service = seg.text(4, 1) + "^" + seg.text(4, 3);
  if (key.empty()) {
    ctx.warning(MappingContext::location(seg, 3), "order without placer or filler number");
    key = results_key = ctx.cursor.patient_key + "|" + effective;
  }
  std::string suffix = "|service|" + service;
  sr.add("code", code);
  if (sr.find("requester") == nullptr) {
    EntryRef requester =
        practitioner_from_xcn(ctx, seg.at(16, 1), MappingContext::location(seg, 16));
    if (requester != kNoEntry) sr.add("requester", ctx.reference(requester));
  } else {
    lab_ordering_provider(ctx, seg);
  }
  // Child orders (microbiology) differ from their siblings by the parent
  // result they were spawned by.
  suffix += lab_order_fields(ctx, seg, sr);
  // In an order (no results), OBR-7/8 are when the observation is to be made
  // (the timing of ORC/TQ1 wins); with results they are the report's.
  if (!ctx.obr_creates_report) set_request_occurrence(sr, effective, effective_end);
  key += suffix;
  results_key += suffix;
  EntryRef order = ctx.add_with_key_identifier("ServiceRequest", key, std::move(sr));
  ctx.cursor.order = order;
  ctx.cursor.specimen_observations = false;
  if (!specimen_first_message(ctx)) ctx.cursor.specimen = kNoEntry;
  ctx.cursor.order_key = results_key;
  ctx.cursor.order_effective = effective;
  ctx.cursor.observation = kNoEntry;
  ctx.cursor.obx_in_order = 0;
  ctx.cursor.note_target = order;  // DiagnosticReport has no note in R4
  ctx.cursor.note_owner = "OBR";
  ctx.cursor.report = kNoEntry;
  if (!ctx.obr_creates_report) {
    lab_order_added(ctx, seg, order, kNoEntry, results_key);
    return;
  }

  JsonValue dr = JsonValue::make_object();
  dr.add("resourceType", JsonValue::make_string("DiagnosticReport"));
  if (!report_ids.empty()) {
    JsonValue& arr = dr.add("identifier", JsonValue::make_array());
    for (JsonValue& id : report_ids) arr.push(std::move(id));
  }
  dr.add("basedOn", JsonValue::make_array()).push(ctx.reference(order));
  std::string result_status = seg.text(25);
  const char* status = report_status(result_status);
  if (status == nullptr) {
    ctx.warning(MappingContext::location(seg, 25), result_status.empty()
                                                       ? "result status missing"
                                                       : "result status not in table 0123");
    status = "unknown";
  }
  dr.add("status", JsonValue::make_string(status));
  JsonValue section = codeable_concept_field(ctx, seg, 24, 1, "0074");
  ctx.cursor.order_section = seg.text(24, 1);
  if (section.empty() && !ctx.config().default_result_section.empty()) {
    ctx.cursor.order_section = ctx.config().default_result_section;
    section = make_concept("http://terminology.hl7.org/CodeSystem/v2-0074",
                           ctx.cursor.order_section);
  }
  if (!section.empty()) dr.add("category", JsonValue::make_array()).push(std::move(section));
  dr.add("code", std::move(code));
  set_subject(ctx, dr);
  if (!effective.empty() && !effective_end.empty()) {
    JsonValue period = JsonValue::make_object();
    period.add("start", JsonValue::make_string(effective));
    period.add("end", JsonValue::make_string(effective_end));
    dr.add("effectivePeriod", std::move(period));
  } else if (!effective.empty()) {
    dr.add("effectiveDateTime", JsonValue::make_string(effective));
  }
  std::string issued = time_field(ctx, seg, 22, TimeKind::kInstant);
  if (!issued.empty()) dr.add("issued", JsonValue::make_string(issued));
  lab_report_fields(ctx, seg, dr);
  EntryRef report = ctx.add_with_key_identifier("DiagnosticReport", results_key, std::move(dr));
  ctx.cursor.report = report;
  ctx.add_focus(report);
  lab_order_added(ctx, seg, order, report, results_key);
}

void map_nte(MappingContext& ctx, const Seg& seg) {
  std::string text;
  for (const hl7::Element& e : seg.field(3).children()) {
    std::string line = e.text_or_empty();
    if (!text.empty()) text.push_back('\n');
    text += line;
  }
  text = trim(text);
  if (text.empty()) return;
  if (ctx.cursor.note_target == kNoEntry) {
    ctx.warning(MappingContext::location(seg), "note without a resource to attach to");
    return;
  }
  JsonValue& target = ctx.resource(ctx.cursor.note_target);
  const std::string& type = ctx.entry(ctx.cursor.note_target).type;
  if (type == "Appointment" || type == "Slot") return append_comment(target, std::move(text));
  if (type == "DocumentReference")
    return append_document_note(ctx, ctx.cursor.note_target, std::move(text));
  if (type == "Patient" || type == "Encounter" || type == "DiagnosticReport") {
    ctx.warning(MappingContext::location(seg), "note not mapped: the resource has no note element");
    return;
  }
  add_note(target, std::move(text));
}

}  // namespace gw::v2fhir
