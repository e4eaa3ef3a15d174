// MDM^T01..T11: TXA + OBX -> DocumentReference (IG segment maps
// TXA[DocumentReference], OBX[DocumentReference], TXA[Provenance]; the IG maps
// only MDM^T02, the other events follow its T02 map plus the event rules
// below).
//
// Identity is TXA-12 (unique document number): masterIdentifier and the first
// identifier, so the conditional update finds the document by it. Events:
//  - T01/T02 original, T03/T04 status change, T05/T06 addendum, T07/T08 edit,
//    T09/T10 replacement, T11 cancel; even numbers up to T10 carry content.
//  - relatesTo from TXA-13 (parent document): "appends" (addendum, or any
//    document with a parent), "replaces" for edits and replacements (an edit
//    that keeps its number, TXA-13 = TXA-12, relates to nothing).
//  - status from TXA-19 (T11: entered-in-error); docStatus from TXA-17, and
//    "amended" for a final document that an edit or replacement produced.
//  - An event without content (or content that could not be mapped) still
//    needs DocumentReference.content (1..*): one attachment without data,
//    marked data-absent-reason "unknown", with TXA-3's content type and the
//    title. The entry is marked partial (keep_stored "content"), so the
//    gateway's store keeps the content it has; a conditional update of the
//    Bundle replaces the resource, so a FHIR server receiving the Bundle
//    loses the attachment it had (see README, Deviations).
//
// The OBX after a TXA are the document, not observations: map_txa reads them
// ahead (map_obx_routed then skips them), because the text lines have to be
// joined before they are base64-encoded. Content:
//  - TX, FT, ST lines (and their repetitions) -> one attachment, text/plain
//    (or TXA-3 when it is a MIME type), lines joined with "\n" (the IG's
//    "application/text" and "text/hl7v2" are not registered MIME types; the
//    text is already unescaped);
//  - each ED value -> its own attachment (attachment_from_ed);
//  - each RP value -> an attachment with its url (attachment_from_rp);
//  - other value types -> not mapped (warning).
// NTE with the content become further text attachments (IG
// NTE[DocumentReference]; map_nte calls append_document_note); after a TXA
// without content, the first takes the placeholder's place.
// OBX-3 (the content's code, usually LOINC) adds a coding to the type from
// TXA-2; OBX-4 and OBX-1 only number the lines; OBX-11 is checked, not
// copied (a line marked wrong or deleted is warned).
//
// Only two things refuse the message here: no patient (no PID before the
// TXA), and a status change or cancel (T03, T04, T11) without TXA-12 — the
// event changes a document that only TXA-12 names, and a document minted
// for it would be an invented record. Every other bad field is a warning.
#include <algorithm>
#include <cctype>
#include <string>
#include <utility>
#include <vector>

#include "adapters/v2fhir/clinical.h"
#include "adapters/v2fhir/datatypes.h"
#include "adapters/v2fhir/docsched.h"

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

// "system|code" of every coding of a CodeableConcept, joined.
std::string codings_key(const JsonValue& codes) {
  std::string out;
  if (const JsonValue* codings = codes.find("coding")) {
    for (const JsonValue& c : codings->items()) {
      const JsonValue* system = c.find("system");
      const JsonValue* code = c.find("code");
      out += (system != nullptr ? system->text() : "") + "|" +
             (code != nullptr ? code->text() : "") + ";";
    }
  }
  return out;
}

// Adds the codings of `codes` to DocumentReference.type (the whole concept
// when there is no type yet), skipping codings already there.
void add_type_codings(JsonValue& doc, JsonValue codes) {
  JsonValue* type = doc.find_mutable("type");
  if (type == nullptr) {
    doc.add("type", std::move(codes));
    return;
  }
  JsonValue* codings = codes.find_mutable("coding");
  if (codings == nullptr) return;
  JsonValue* have = type->find_mutable("coding");
  if (have == nullptr) have = &type->add("coding", JsonValue::make_array());
  for (JsonValue& c : codings->mutable_items()) {
    bool seen = false;
    for (const JsonValue& h : have->items()) {
      const JsonValue *hs = h.find("system"), *hc = h.find("code"), *cs = c.find("system"),
                      *cc = c.find("code");
      seen |= hs != nullptr && cs != nullptr && hc != nullptr && cc != nullptr &&
              hs->text() == cs->text() && hc->text() == cc->text();
    }
    if (!seen) have->push(std::move(c));
  }
}

// MDM events (table 0003, T01..T11).
enum class DocEvent { kOriginal, kStatus, kAddendum, kEdit, kReplace, kCancel, kUnknown };

struct EventInfo {
  DocEvent kind = DocEvent::kUnknown;
  bool with_content = true;
};

EventInfo document_event(std::string_view event) {
  if (event.size() != 3 || event[0] != 'T') return {};
  int n = (event[1] - '0') * 10 + (event[2] - '0');
  static constexpr DocEvent kKinds[] = {DocEvent::kOriginal, DocEvent::kStatus, DocEvent::kAddendum,
                                        DocEvent::kEdit, DocEvent::kReplace};
  if (n >= 1 && n <= 10) return {kKinds[(n - 1) / 2], n % 2 == 0};
  if (n == 11) return {DocEvent::kCancel, false};
  return {};
}

// TXA-3 (table 0191, or a MIME type some senders put there) -> contentType,
// "" when it is neither.
std::string presentation_mime(std::string_view s) {
  if (s.find('/') != std::string_view::npos && s.find(' ') == std::string_view::npos)
    return std::string(s);
  if (s == "TX" || s == "FT" || s == "TEXT") return "text/plain";
  return {};
}

// v2-0085 result status of a content line: the statuses a document line can
// carry without changing what the document says.
bool ordinary_line_status(std::string_view s) {
  return s.empty() || s == "F" || s == "C" || s == "P" || s == "R" || s == "S" || s == "I" ||
         s == "A";
}

// Reads the OBX following the TXA at `txa_index` into doc.content.
void read_content(MappingContext& ctx, size_t txa_index, const std::string& text_mime,
                  JsonValue& doc) {
  const hl7::Message& m = ctx.message();
  std::string text;
  bool has_text = false;
  std::string content_code;  // codes of the first content OBX-3
  for (size_t i = txa_index + 1; i < m.segment_count(); ++i) {
    hl7::SegmentView v = m.segment(i);
    if (v.id() == "NTE" || v.id() == "CON") continue;
    if (v.id() != "OBX") break;
    Seg obx = ctx.segment(i);
    // OBX-3 codes the content (usually a LOINC document code, the
    // preferred binding of DocumentReference.type): a coding of the type.
    // OBX-4 only numbers the lines of the one document (segment order).
    JsonValue code = codeable_concept_field(ctx, obx, 3);
    if (!code.empty()) {
      if (content_code.empty()) {
        content_code = codings_key(code);
        add_type_codings(doc, std::move(code));
      } else if (codings_key(code) != content_code) {
        ctx.warning(MappingContext::location(obx, 3),
                    "content line code differs from the first line's; not mapped");
      }
    }
    obx.touch(4);
    std::string line_status = obx.text(11, 1);
    if (!ordinary_line_status(line_status)) {
      ctx.warning(MappingContext::location(obx, 11),
                  "content line status not mapped into the document");
    }
    std::string type = obx.text(2);
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
    } else if (type == "RP") {
      int rep = 0;
      for (const hl7::Element& e : obx.field(5).children()) {
        ++rep;
        JsonValue a =
            attachment_from_rp(ctx, e, MappingContext::location(obx, 5, 0, rep > 1 ? rep : 0));
        if (!a.empty()) add_content(doc, std::move(a));
      }
    } else {
      ctx.warning(MappingContext::location(obx, 2), "value type not mapped into a document");
    }
  }
  if (has_text && !trim(text).empty()) {
    JsonValue a = JsonValue::make_object();
    a.add("contentType", JsonValue::make_string(text_mime.empty() ? "text/plain" : text_mime));
    a.add("data", JsonValue::make_string(base64_encode(text)));
    add_content(doc, std::move(a));
  }
}

// The attachment of a document whose content this message does not carry.
JsonValue absent_content(const std::string& mime, const std::string& title) {
  JsonValue a = JsonValue::make_object();
  JsonValue dar = JsonValue::make_object();
  dar.add("url",
          JsonValue::make_string("http://hl7.org/fhir/StructureDefinition/data-absent-reason"));
  dar.add("valueCode", JsonValue::make_string("unknown"));
  a.add("extension", JsonValue::make_array()).push(std::move(dar));
  if (!mime.empty()) a.add("contentType", JsonValue::make_string(mime));
  if (!title.empty()) a.add("title", JsonValue::make_string(title));
  return a;
}

// {"type": type, "identifier": identifier}: a logical reference.
JsonValue identifier_reference(std::string_view type, JsonValue identifier) {
  JsonValue ref = JsonValue::make_object();
  ref.add("type", JsonValue::make_string(std::string(type)));
  ref.add("identifier", std::move(identifier));
  return ref;
}

// Number of repetitions of field n (0 when empty).
int repetitions(const Seg& seg, int field) {
  int n = 0;
  for (const hl7::Element& e : seg.field(field).children()) {
    (void)e;
    ++n;
  }
  return n;
}

// TXA[Provenance]: who transcribed and edited the document, and why it
// changed. recorded = the last edit time (TXA-8), else the transcription time
// (TXA-7); occurred = the transcription time; agents = originators (TXA-9,
// author) and transcriptionists (TXA-11, enterer); reason = TXA-21.
void add_document_provenance(MappingContext& ctx, const Seg& seg, EntryRef doc,
                             const std::string& doc_key, const std::vector<EntryRef>& authors) {
  std::string transcribed = lenient_time(ctx, seg, 7, TimeKind::kInstant);
  std::string edited;
  int edits = repetitions(seg, 8);
  for (int rep = edits; rep >= 1 && edited.empty(); --rep)
    edited = lenient_time(ctx, seg, 8, TimeKind::kInstant, 0, rep);
  if (edits > 1) {
    ctx.warning(MappingContext::location(seg, 8),
                "earlier edit times not mapped (the last one is the provenance's)");
  }
  std::vector<EntryRef> transcriptionists = practitioner_entries(ctx, seg, 11);
  std::string reason = seg.text(21);
  const std::string& recorded = !edited.empty() ? edited : transcribed;
  if (recorded.empty()) {
    if (!transcriptionists.empty() || !reason.empty()) {
      ctx.warning(MappingContext::location(seg, !reason.empty() ? 21 : 11),
                  "document provenance without transcription or edit time not mapped");
    }
    return;
  }
  const char* kParticipant = "http://terminology.hl7.org/CodeSystem/provenance-participant-type";
  JsonValue agents = JsonValue::make_array();
  for (EntryRef who : authors) {
    JsonValue a = JsonValue::make_object();
    a.add("type", make_concept(kParticipant, "author", "Author"));
    a.add("who", ctx.reference(who));
    agents.push(std::move(a));
  }
  for (EntryRef who : transcriptionists) {
    JsonValue a = JsonValue::make_object();
    a.add("type", make_concept(kParticipant, "enterer", "Enterer"));
    a.add("who", ctx.reference(who));
    agents.push(std::move(a));
  }
  if (agents.empty() && ctx.sending_organization != kNoEntry) {
    JsonValue a = JsonValue::make_object();
    a.add("type", make_concept(kParticipant, "custodian", "Custodian"));
    a.add("who", ctx.reference(ctx.sending_organization));
    agents.push(std::move(a));
  }
  if (agents.empty()) {
    ctx.warning(MappingContext::location(seg, 7),
                "document provenance without an agent not mapped");
    return;
  }
  JsonValue prov = JsonValue::make_object();
  prov.add("resourceType", JsonValue::make_string("Provenance"));
  prov.add("target", JsonValue::make_array()).push(ctx.reference(doc));
  if (!transcribed.empty()) prov.add("occurredDateTime", JsonValue::make_string(transcribed));
  prov.add("recorded", JsonValue::make_string(recorded));
  if (!reason.empty()) {
    JsonValue r = JsonValue::make_object();
    r.add("text", JsonValue::make_string(reason));
    prov.add("reason", JsonValue::make_array()).push(std::move(r));
  }
  prov.add("activity", make_concept("http://terminology.hl7.org/CodeSystem/v3-DataOperation",
                                    !edited.empty() ? "UPDATE" : "CREATE"));
  prov.add("agent", std::move(agents));
  ctx.add_created("Provenance", "TXA|" + doc_key + "|" + recorded, std::move(prov));
}

}  // namespace

void map_txa(MappingContext& ctx, const Seg& seg) {
  ctx.cursor.note_target = kNoEntry;  // until the DocumentReference exists
  if (!message_is(ctx, "MDM")) {
    ctx.warning(MappingContext::location(seg), "segment not mapped");
    return;
  }
  if (ctx.cursor.patient == kNoEntry) {
    ctx.error(MappingContext::location(seg), "TXA without a preceding PID");
    return;
  }
  EventInfo event = document_event(ctx.trigger_event());
  JsonValue doc = JsonValue::make_object();
  doc.add("resourceType", JsonValue::make_string("DocumentReference"));

  // Identity: TXA-12, else (for an event that makes a new document) minted
  // from the message, which then cannot be updated by a later message.
  JsonValue master =
      identifier_from_ei(ctx, read_ei(seg.at(12, 1)), "", MappingContext::location(seg, 12));
  std::string key;
  if (!master.empty()) {
    key = identifier_key(master);
  } else if (event.kind == DocEvent::kStatus || event.kind == DocEvent::kCancel) {
    ctx.error(MappingContext::location(seg, 12), "unique document number required");
    return;
  } else {
    ctx.warning(MappingContext::location(seg, 12),
                "unique document number missing; the document cannot be updated later");
    key = "MSH|" + trim(ctx.message().header().control_id) + "|" + std::to_string(seg.occurrence);
  }
  if (!master.empty()) {
    doc.add("masterIdentifier", master);
    doc.add("identifier", JsonValue::make_array()).push(std::move(master));
  }
  // TXA-16 unique document file name (IG: identifier, ST[Identifier]); it
  // follows TXA-12 (or the minted identifier), which stays the key.
  std::string file_name = seg.text(16);
  JsonValue file_id;
  if (!file_name.empty()) {
    file_id = JsonValue::make_object();
    file_id.add("system", JsonValue::make_string(ctx.sender_urn() + ":document-file-name"));
    file_id.add("value", JsonValue::make_string(file_name));
    if (JsonValue* ids = doc.find_mutable("identifier")) ids->push(std::move(file_id));
  }

  // status: TXA-19 (IG: "current" when not valued); a cancel is an error of
  // entry whatever TXA-19 says.
  std::string availability = seg.text(19, 1);
  const char* status = reference_status(availability);
  if (status == nullptr) {
    ctx.warning(MappingContext::location(seg, 19), "availability status not in table 0273");
    status = "current";
  }
  if (event.kind == DocEvent::kCancel) {
    if (!availability.empty() && std::string_view(status) != "entered-in-error") {
      ctx.warning(MappingContext::location(seg, 19),
                  "availability status contradicts the cancel event; entered-in-error used");
    }
    status = "entered-in-error";
  }
  doc.add("status", JsonValue::make_string(status));
  std::string completion = seg.text(17, 1);
  const char* ds = doc_status(completion);
  if (ds == nullptr) {
    ctx.warning(MappingContext::location(seg, 17), completion.empty()
                                                       ? "document completion status missing"
                                                       : "completion status not in table 0271");
  }
  if (event.kind == DocEvent::kCancel) {
    ds = "entered-in-error";
  } else if (ds != nullptr && std::string_view(ds) == "final" &&
             (event.kind == DocEvent::kEdit || event.kind == DocEvent::kReplace)) {
    ds = "amended";
  }
  if (ds != nullptr) doc.add("docStatus", JsonValue::make_string(ds));
  JsonValue type = codeable_concept_field(ctx, seg, 2, 1, "0270");
  if (!type.empty()) doc.add("type", std::move(type));
  // TXA-24 folder assignment: the folders the document is filed in.
  JsonValue categories = JsonValue::make_array();
  for (JsonValue& c : codeable_concepts_field(ctx, seg, 24)) categories.push(std::move(c));
  if (!categories.empty()) doc.add("category", std::move(categories));
  doc.add("subject", ctx.reference(ctx.cursor.patient));
  std::string origination = lenient_time(ctx, seg, 6, TimeKind::kInstant);
  std::string activity = lenient_time(ctx, seg, 4, TimeKind::kDateTime);
  // Without TXA-6 the activity time dates the document when it is an instant.
  if (origination.empty() && activity.find('T') != std::string::npos) origination = activity;
  if (!origination.empty()) doc.add("date", JsonValue::make_string(origination));
  std::vector<EntryRef> authors = practitioner_entries(ctx, seg, 9);
  if (!authors.empty()) {
    JsonValue& arr = doc.add("author", JsonValue::make_array());
    for (EntryRef who : authors) arr.push(ctx.reference(who));
  }
  // TXA-10 assigned authenticator, else the first who authenticated (TXA-22,
  // PPN: an XCN followed by the time of authentication in PPN-15).
  std::vector<EntryRef> authenticators = practitioner_entries(ctx, seg, 10);
  std::vector<EntryRef> authenticated = practitioner_entries(ctx, seg, 22);
  if (authenticators.empty() && !authenticated.empty()) authenticators.push_back(authenticated[0]);
  if (!authenticators.empty()) doc.add("authenticator", ctx.reference(authenticators[0]));
  if (authenticators.size() > 1) {
    ctx.warning(MappingContext::location(seg, 10),
                "further authenticators not mapped (DocumentReference has one)");
  }
  if (!authenticated.empty() &&
      (authenticated[0] != authenticators[0] || authenticated.size() > 1)) {
    ctx.warning(MappingContext::location(seg, 22),
                "authentication persons not mapped (DocumentReference has one authenticator)");
  }
  for (int rep = 1, n = repetitions(seg, 22); rep <= n; ++rep) {
    if (!trim(seg.at(22, rep, 15).text_or_empty()).empty()) {
      ctx.warning(MappingContext::location(seg, 22, 15, rep > 1 ? rep : 0),
                  "authentication time not mapped");
    }
  }

  // relatesTo: TXA-13 parent document.
  JsonValue parent =
      identifier_from_ei(ctx, read_ei(seg.at(13, 1)), "", MappingContext::location(seg, 13));
  bool needs_parent = event.kind == DocEvent::kAddendum || event.kind == DocEvent::kReplace;
  if (!parent.empty() && identifier_key(parent) != key) {
    const char* code =
        event.kind == DocEvent::kEdit || event.kind == DocEvent::kReplace ? "replaces" : "appends";
    JsonValue rel = JsonValue::make_object();
    rel.add("code", JsonValue::make_string(code));
    rel.add("target", identifier_reference("DocumentReference", std::move(parent)));
    doc.add("relatesTo", JsonValue::make_array()).push(std::move(rel));
  } else if (parent.empty() && needs_parent) {
    ctx.warning(MappingContext::location(seg, 13),
                "parent document number missing; the relation to it is not mapped");
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
  // Fields DocumentReference has no element for.
  if (!seg.text(20, 1).empty())
    ctx.warning(MappingContext::location(seg, 20), "document storage status not mapped");
  if (seg.field(23).has_value())
    ctx.warning(MappingContext::location(seg, 23), "distributed copies not mapped");
  if (seg.field(26).has_value())
    ctx.warning(MappingContext::location(seg, 26), "agreed due date not mapped");
  if (seg.field(27).has_value())
    ctx.warning(MappingContext::location(seg, 27), "creating facility not mapped");

  // Content: TXA-3 names its presentation.
  std::string presentation = seg.text(3);
  std::string mime = presentation_mime(presentation);
  if (!presentation.empty() && mime.empty()) {
    ctx.warning(MappingContext::location(seg, 3),
                "content presentation is not a MIME type; not mapped");
  }
  read_content(ctx, seg.view.index(), mime, doc);
  const bool placeholder = doc.find("content") == nullptr;
  if (placeholder) {
    if (event.with_content) {
      ctx.warning(MappingContext::location(seg),
                  "document content (OBX) missing or not mapped; the document has no data");
    }
    add_content(doc, absent_content(mime, title));
  }

  JsonValue context = JsonValue::make_object();
  if (ctx.cursor.encounter != kNoEntry)
    context.add("encounter", JsonValue::make_array()).push(ctx.reference(ctx.cursor.encounter));
  if (!activity.empty()) {
    JsonValue period = JsonValue::make_object();
    period.add("start", JsonValue::make_string(activity));
    context.add("period", std::move(period));
  }
  JsonValue specialty = codeable_concept_field(ctx, seg, 28);
  if (!specialty.empty()) context.add("practiceSetting", std::move(specialty));
  // Related: the primary activity providers (TXA-5) and the orders the
  // document answers (TXA-14 placer, TXA-15 filler order numbers).
  JsonValue related = JsonValue::make_array();
  for (EntryRef who : practitioner_entries(ctx, seg, 5)) related.push(ctx.reference(who));
  int rep = 0;
  for (const hl7::Element& e : seg.field(14).children()) {
    ++rep;
    JsonValue id = identifier_from_ei(ctx, read_ei(e), "PLAC",
                                      MappingContext::location(seg, 14, 0, rep > 1 ? rep : 0));
    if (!id.empty()) related.push(identifier_reference("ServiceRequest", std::move(id)));
  }
  JsonValue filler =
      identifier_from_ei(ctx, read_ei(seg.at(15, 1)), "FILL", MappingContext::location(seg, 15));
  if (!filler.empty()) related.push(identifier_reference("ServiceRequest", std::move(filler)));
  // An order of the message (MDM COMMON_ORDER group: ORC/OBR before TXA).
  if (ctx.cursor.order != kNoEntry) related.push(ctx.reference(ctx.cursor.order));
  if (!related.empty()) context.add("related", std::move(related));
  if (!context.empty()) doc.add("context", std::move(context));
  const size_t entries_before = ctx.entries().size();
  EntryRef ref = ctx.add("DocumentReference", key, std::move(doc));
  // The placeholder says nothing about the document's content: a store that
  // has the content keeps it (the event's status, dates and people apply).
  if (placeholder && ctx.entries().size() > entries_before)
    ctx.entries()[ref].partial.keep_stored.push_back("content");
  if (!file_id.empty() && ctx.resource(ref).find("masterIdentifier") == nullptr)
    ctx.resource(ref).find_mutable("identifier")->push(std::move(file_id));
  ctx.add_focus(ref);
  ctx.cursor.note_target = ref;  // NTE with the content: append_document_note
  ctx.cursor.note_owner = "TXA";
  add_document_provenance(ctx, seg, ref, key, authors);
}

void append_document_note(MappingContext& ctx, EntryRef ref, std::string text) {
  if (text.empty()) return;
  JsonValue& document = ctx.resource(ref);
  std::vector<std::string>& keep = ctx.entries()[ref].partial.keep_stored;
  if (auto it = std::find(keep.begin(), keep.end(), "content"); it != keep.end()) {
    // The note is the only content this message has: it takes the
    // placeholder's place and joins the stored attachments (an empty key
    // path merges distinct items), so neither the note nor them is lost.
    keep.erase(it);
    ctx.entries()[ref].partial.merge_by.push_back({"content", ""});
    document.remove("content");
  }
  JsonValue a = JsonValue::make_object();
  a.add("contentType", JsonValue::make_string("text/plain"));
  a.add("data", JsonValue::make_string(base64_encode(text)));
  add_content(document, std::move(a));
}

std::string lenient_time(MappingContext& ctx, const Seg& seg, int field, TimeKind kind,
                         int component, int rep) {
  hl7::Element e = seg.at(field, rep, component);
  if (!e.has_value()) return {};
  IssueLocation loc = MappingContext::location(seg, field, component, rep > 1 ? rep : 0);
  auto ts = hl7::read_timestamp(e);
  if (!ts.ok() || ts->year < 1 ||
      (ts->has_offset && (ts->offset_minutes > 14 * 60 || ts->offset_minutes < -(13 * 60 + 59)))) {
    ctx.warning(loc, "invalid timestamp; not mapped");
    return {};
  }
  return fhir_time(ctx, *ts, kind, loc);
}

}  // namespace gw::v2fhir
