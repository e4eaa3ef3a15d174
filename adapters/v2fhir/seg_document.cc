// MDM^T02: TXA + OBX -> DocumentReference (IG segment maps
// TXA[DocumentReference], OBX[DocumentReference]).
//
// The OBX after a TXA are the document, not observations: map_txa reads them
// ahead (map_obx_routed then skips them), because the text lines have to be
// joined before they are base64-encoded. Content:
//  - TX, FT, ST lines (and their repetitions) -> one attachment, text/plain,
//    lines joined with "\n" (the IG's "application/text" and "text/hl7v2" are
//    not registered MIME types; the text is already unescaped);
//  - each ED value -> its own attachment, contentType from ED-2/ED-3, data
//    from ED-5 (Base64 kept, Hex and ASCII re-encoded);
//  - other value types -> not mapped (warning).
// Not mapped: NTE (DocumentReference has no note), TXA-5/7/8/11/14/15/16/20..
#include <cctype>
#include <utility>

#include "adapters/v2fhir/clinical.h"
#include "adapters/v2fhir/datatypes.h"

namespace gw::v2fhir {

using fhir::JsonValue;

namespace {

// v2-0271 document completion status -> composition-status.
const char* doc_status(std::string_view s) {
  if (s == "AU" || s == "LA" || s == "DO") return "final";
  if (s == "DI" || s == "IN" || s == "IP" || s == "PA") return "preliminary";
  return nullptr;
}

// v2-0273 document availability status -> document-reference-status.
const char* reference_status(std::string_view s) {
  if (s.empty() || s == "AV" || s == "UN") return "current";
  if (s == "OB") return "superseded";
  if (s == "CA") return "entered-in-error";
  return nullptr;
}

// v2-0272 confidentiality -> v3 Confidentiality.
const char* confidentiality(std::string_view s) {
  if (s == "V") return "V";
  if (s == "R") return "R";
  if (s == "U") return "N";
  return nullptr;
}

void add_content(JsonValue& doc, JsonValue attachment) {
  JsonValue c = JsonValue::make_object();
  c.add("attachment", std::move(attachment));
  JsonValue* arr = doc.find_mutable("content");
  if (arr == nullptr) arr = &doc.add("content", JsonValue::make_array());
  arr->push(std::move(c));
}

// Reads the OBX following the TXA at `txa_index` into doc.content.
void read_content(MappingContext& ctx, size_t txa_index, JsonValue& doc) {
  const hl7::Message& m = ctx.message();
  std::string text;
  bool has_text = false;
  for (size_t i = txa_index + 1; i < m.segment_count(); ++i) {
    hl7::SegmentView v = m.segment(i);
    if (v.id() == "NTE" || v.id() == "CON") continue;
    if (v.id() != "OBX") break;
    Seg obx = ctx.segment(i);
    std::string type = obx.text(2);
    IssueLocation loc = MappingContext::location(obx, 5);
    if (type == "TX" || type == "FT" || type == "ST") {
      for (const hl7::Element& rep : obx.field(5).children()) {
        if (has_text) text.push_back('\n');
        text += rep.text_or_empty();
        has_text = true;
      }
    } else if (type == "ED") {
      int rep = 0;
      for (const hl7::Element& e : obx.field(5).children()) {
        ++rep;
        JsonValue a =
            attachment_from_ed(ctx, e, MappingContext::location(obx, 5, 0, rep > 1 ? rep : 0));
        if (!a.empty()) add_content(doc, std::move(a));
      }
    } else {
      ctx.warning(MappingContext::location(obx, 2), "value type not mapped into a document");
    }
  }
  if (has_text && !trim(text).empty()) {
    JsonValue a = JsonValue::make_object();
    a.add("contentType", JsonValue::make_string("text/plain"));
    a.add("data", JsonValue::make_string(base64_encode(text)));
    add_content(doc, std::move(a));
  }
}

}  // namespace

void map_txa(MappingContext& ctx, const Seg& seg) {
  ctx.cursor.note_target = kNoEntry;  // DocumentReference has no note element
  if (!message_is(ctx, "MDM")) {
    ctx.warning(MappingContext::location(seg), "segment not mapped");
    return;
  }
  if (ctx.cursor.patient == kNoEntry) {
    ctx.error(MappingContext::location(seg), "TXA without a preceding PID");
    return;
  }
  JsonValue doc = JsonValue::make_object();
  doc.add("resourceType", JsonValue::make_string("DocumentReference"));
  JsonValue master =
      identifier_from_ei(ctx, read_ei(seg.at(12, 1)), "", MappingContext::location(seg, 12));
  if (master.empty()) {
    ctx.error(MappingContext::location(seg, 12), "unique document number required");
    return;
  }
  std::string key = identifier_key(master);
  doc.add("masterIdentifier", std::move(master));
  std::string availability = seg.text(19, 1);
  const char* status = reference_status(availability);
  if (status == nullptr) {
    ctx.warning(MappingContext::location(seg, 19), "availability status not in table 0273");
    status = "current";
  }
  doc.add("status", JsonValue::make_string(status));
  std::string completion = seg.text(17, 1);
  if (const char* ds = doc_status(completion)) {
    doc.add("docStatus", JsonValue::make_string(ds));
  } else {
    ctx.warning(MappingContext::location(seg, 17), completion.empty()
                                                       ? "document completion status missing"
                                                       : "completion status not in table 0271");
  }
  JsonValue type = codeable_concept_field(ctx, seg, 2, 1, "0270");
  if (!type.empty()) doc.add("type", std::move(type));
  doc.add("subject", ctx.reference(ctx.cursor.patient));
  std::string origination = time_field(ctx, seg, 6, TimeKind::kInstant);
  std::string activity = time_field(ctx, seg, 4, TimeKind::kDateTime);
  if (origination.empty()) origination = time_field(ctx, seg, 4, TimeKind::kInstant);
  if (!origination.empty()) doc.add("date", JsonValue::make_string(origination));
  JsonValue authors = JsonValue::make_array();
  int rep = 0;
  for (const hl7::Element& e : seg.field(9).children()) {
    ++rep;
    EntryRef who =
        practitioner_from_xcn(ctx, e, MappingContext::location(seg, 9, 0, rep > 1 ? rep : 0));
    if (who != kNoEntry) authors.push(ctx.reference(who));
  }
  if (!authors.empty()) doc.add("author", std::move(authors));
  EntryRef authenticator =
      practitioner_from_xcn(ctx, seg.at(10, 1), MappingContext::location(seg, 10));
  if (authenticator != kNoEntry) doc.add("authenticator", ctx.reference(authenticator));
  JsonValue parent =
      identifier_from_ei(ctx, read_ei(seg.at(13, 1)), "", MappingContext::location(seg, 13));
  if (!parent.empty()) {
    // T02 with a parent document number: an addendum to that document.
    JsonValue rel = JsonValue::make_object();
    rel.add("code", JsonValue::make_string("appends"));
    JsonValue target = JsonValue::make_object();
    target.add("type", JsonValue::make_string("DocumentReference"));
    target.add("identifier", std::move(parent));
    rel.add("target", std::move(target));
    doc.add("relatesTo", JsonValue::make_array()).push(std::move(rel));
  }
  std::string title = seg.text(25);
  if (!title.empty()) doc.add("description", JsonValue::make_string(title));
  std::string conf = seg.text(18, 1);
  if (const char* c = confidentiality(conf)) {
    doc.add("securityLabel", JsonValue::make_array())
        .push(make_concept("http://terminology.hl7.org/CodeSystem/v3-Confidentiality", c));
  } else if (!conf.empty()) {
    ctx.warning(MappingContext::location(seg, 18), "confidentiality status not in table 0272");
  }
  read_content(ctx, seg.view.index(), doc);
  if (doc.find("content") == nullptr) {
    ctx.error(MappingContext::location(seg), "document content (OBX) required");
    return;
  }
  JsonValue context = JsonValue::make_object();
  if (ctx.cursor.encounter != kNoEntry)
    context.add("encounter", JsonValue::make_array()).push(ctx.reference(ctx.cursor.encounter));
  if (!activity.empty()) {
    JsonValue period = JsonValue::make_object();
    period.add("start", JsonValue::make_string(activity));
    context.add("period", std::move(period));
  }
  if (!context.empty()) doc.add("context", std::move(context));
  EntryRef ref = ctx.add("DocumentReference", key, std::move(doc), "TXA");
  ctx.add_focus(ref);
}

}  // namespace gw::v2fhir
