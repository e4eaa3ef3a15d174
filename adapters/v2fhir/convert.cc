#include "adapters/v2fhir/convert.h"

#include <algorithm>
#include <cctype>
#include <utility>

#include "adapters/v2fhir/context.h"
#include "adapters/v2fhir/datatypes.h"
#include "adapters/v2fhir/ids.h"
#include "adapters/v2fhir/messages.h"
#include "adapters/v2fhir/segments.h"

namespace gw::v2fhir {

using fhir::JsonValue;

namespace {

// Builds the Provenance of the message: targets every mapped resource.
void add_provenance(MappingContext& ctx, const std::string& recorded) {
  JsonValue prov = JsonValue::make_object();
  prov.add("resourceType", JsonValue::make_string("Provenance"));
  JsonValue targets = JsonValue::make_array();
  for (size_t i = 0; i < ctx.entries().size(); ++i) {
    if (static_cast<EntryRef>(i) == ctx.message_header) continue;
    targets.push(ctx.reference(static_cast<EntryRef>(i)));
  }
  if (targets.empty()) return;
  prov.add("target", std::move(targets));
  const auto& ev = ctx.event_info;
  const std::string& occurred = !ev.occurred.empty() ? ev.occurred : ev.recorded;
  if (!occurred.empty()) prov.add("occurredDateTime", JsonValue::make_string(occurred));
  // EVN-2 is when the event was recorded (IG: Provenance.recorded); MSH-7,
  // when the message was sent, stands in when EVN-2 has no time of day.
  prov.add("recorded", JsonValue::make_string(
                           ev.recorded.find('T') != std::string::npos ? ev.recorded : recorded));
  if (ev.place != kNoEntry) prov.add("location", ctx.reference(ev.place));
  if (!ev.reason.empty()) prov.add("reason", JsonValue::make_array()).push(ev.reason);
  JsonValue activity =
      make_concept("http://terminology.hl7.org/CodeSystem/v2-0003", ctx.trigger_event());
  prov.add("activity", std::move(activity));
  const char* kParticipant = "http://terminology.hl7.org/CodeSystem/provenance-participant-type";
  JsonValue agents = JsonValue::make_array();
  EntryRef who = ctx.sending_organization;
  if (who == kNoEntry) {
    // No MSH-4: the sending application (MSH-3) as a Device.
    const hl7::HD& app = ctx.message().header().sending_application_hd;
    std::string name = trim(!app.namespace_id.empty() ? app.namespace_id : app.universal_id);
    if (name.empty()) name = "unknown";
    JsonValue device = JsonValue::make_object();
    device.add("resourceType", JsonValue::make_string("Device"));
    JsonValue dn = JsonValue::make_object();
    dn.add("name", JsonValue::make_string(name));
    dn.add("type", JsonValue::make_string("user-friendly-name"));
    device.add("deviceName", JsonValue::make_array()).push(std::move(dn));
    who = ctx.add("Device", "MSH-3|" + name, std::move(device));
    prov.find_mutable("target")->push(ctx.reference(who));
  }
  JsonValue author = JsonValue::make_object();
  author.add("type", make_concept(kParticipant, "author", "Author"));
  author.add("who", ctx.reference(who));
  agents.push(std::move(author));
  if (ev.enterer != kNoEntry) {
    JsonValue enterer = JsonValue::make_object();
    enterer.add("type", make_concept(kParticipant, "enterer", "Enterer"));
    enterer.add("who", ctx.reference(ev.enterer));
    agents.push(std::move(enterer));
  }
  prov.add("agent", std::move(agents));
  ctx.add_created("Provenance", "MSH|" + trim(ctx.message().header().control_id), std::move(prov));
}

JsonValue bundle_entry(const MappingContext& ctx, Entry& e) {
  JsonValue out = JsonValue::make_object();
  out.add("fullUrl", JsonValue::make_string("urn:uuid:" + e.id));
  JsonValue request = JsonValue::make_object();
  if (e.request == RequestKind::kUpdateById) {
    request.add("method", JsonValue::make_string("PUT"));
    request.add("url", JsonValue::make_string(e.type + "/" + e.id));
  } else {
    const JsonValue& first = e.resource.find("identifier")->items().front();
    request.add("method", JsonValue::make_string("PUT"));
    request.add("url",
                JsonValue::make_string(e.type + "?" +
                                       token_query("identifier", first.find("system")->text(),
                                                   first.find("value")->text())));
  }
  out.add("resource", std::move(e.resource));
  out.add("request", std::move(request));
  return out;
}

std::string_view segment_list_missing(const hl7::Message& m, std::string_view required) {
  size_t pos = 0;
  while (pos < required.size()) {
    size_t end = required.find(' ', pos);
    if (end == std::string_view::npos) end = required.size();
    std::string_view id = required.substr(pos, end - pos);
    if (!id.empty() && !m.find(id)) return id;
    pos = end + 1;
  }
  return {};
}

}  // namespace

IssueLocation IssueLocation::in_segment(std::string_view segment_id, int field, int occurrence,
                                        bool repeated) {
  IssueLocation l;
  l.where.segment_id = std::string(segment_id);
  l.where.segment_sequence = occurrence;
  l.where.field = field;
  l.repeated = repeated;
  return l;
}

std::string IssueLocation::to_string() const {
  if (where.segment_id.empty()) {
    if (where.segment_index > 0) return "segment " + std::to_string(where.segment_index);
    return "config";
  }
  std::string out = where.segment_id;
  if (repeated) out += "[" + std::to_string(where.segment_sequence) + "]";
  if (where.field > 0) {
    out += "-" + std::to_string(where.field);
    if (where.repetition > 0) out += "(" + std::to_string(where.repetition) + ")";
    if (where.component > 0) out += "." + std::to_string(where.component);
  }
  return out;
}

std::vector<MappedRecord> ConversionResult::records() const {
  std::vector<MappedRecord> out;
  const JsonValue* entries = bundle.find("entry");
  if (entries == nullptr) return out;
  for (size_t i = 0; i < entries->items().size(); ++i) {
    const JsonValue& e = entries->items()[i];
    const JsonValue* resource = e.find("resource");
    const JsonValue* full_url = e.find("fullUrl");
    if (resource == nullptr || full_url == nullptr) continue;
    MappedRecord r;
    const JsonValue* type = resource->find("resourceType");
    r.resource_type = type ? type->text() : std::string();
    r.id =
        full_url->text().rfind("urn:uuid:", 0) == 0 ? full_url->text().substr(9) : full_url->text();
    r.resource = resource;
    r.entry_index = i;
    if (i < partial.size()) r.partial = partial[i];
    if (const JsonValue* ids = resource->find("identifier")) {
      for (const JsonValue& id : ids->items()) {
        const JsonValue* s = id.find("system");
        const JsonValue* v = id.find("value");
        if (s != nullptr && v != nullptr) r.identifiers.emplace_back(s->text(), v->text());
      }
    }
    out.push_back(std::move(r));
  }
  return out;
}

std::vector<std::string> supported_message_types() {
  std::vector<std::string> out;
  for (const MessageProfile& p : message_profiles()) out.emplace_back(p.type);
  std::sort(out.begin(), out.end());
  return out;
}

bool is_supported_message_type(const hl7::Header& h) {
  return find_message_profile(trim(h.message_code) + "^" + trim(h.trigger_event)) != nullptr ||
         find_family_default(trim(h.message_code), trim(h.trigger_event)) != nullptr;
}

ConversionResult convert_message(const hl7::Message& message, const MappingConfig& config) {
  ConversionResult result;
  const hl7::Header& h = message.header();
  std::string type = trim(h.message_code) + "^" + trim(h.trigger_event);
  const MessageProfile* profile = find_message_profile(type);
  bool family_default = false;
  if (profile == nullptr) {
    profile = find_family_default(trim(h.message_code), trim(h.trigger_event));
    family_default = profile != nullptr;
  }
  if (profile == nullptr) {
    // Message type and event are structure (table 0076/0003 codes), not PHI;
    // still, only letters and digits are echoed.
    std::string shown;
    for (char c : type.substr(0, 16))
      shown.push_back(std::isalnum(static_cast<unsigned char>(c)) || c == '^' ? c : '?');
    result.errors.push_back(
        {IssueLocation::in_segment("MSH", 9), "unsupported message type " + shown});
    return result;
  }
  auto zone = find_time_zone(config.time_zone);
  if (!zone.ok()) {
    result.errors.push_back({IssueLocation{}, "time zone: " + zone.error().message()});
    return result;
  }
  std::string_view missing = segment_list_missing(message, profile->required);
  if (!missing.empty()) {
    result.errors.push_back({IssueLocation::in_segment(missing), "required segment missing"});
    return result;
  }

  MappingContext ctx(message, config, *zone);
  if (family_default) {
    ctx.warning(IssueLocation::in_segment("MSH", 9),
                "trigger event not in the mapping table: segments mapped without event semantics");
  }
  ctx.encounter_status = std::string(profile->encounter_status);
  ctx.obr_creates_report = profile->obr_creates_report;

  std::vector<bool> mapped(ctx.segment_count());
  for (size_t i = 0; i < ctx.segment_count(); ++i) {
    Seg seg = ctx.segment(i);
    std::string_view id = seg.id();
    if (!id.empty() && id[0] == 'Z') {
      map_z_segment(ctx, seg);  // warns field by field itself
      continue;
    }
    SegmentMapper mapper = find_segment_mapper(id);
    if (mapper == nullptr) {
      if (hl7::is_reportable_segment_id(id)) {
        ctx.warning(MappingContext::location(seg), "segment not mapped");
      } else {
        IssueLocation at;
        at.where.segment_index = static_cast<int>(i + 1);
        ctx.warning(std::move(at), "segment not mapped");
      }
      continue;
    }
    mapped[i] = true;
    mapper(ctx, seg);
  }
  if (!ctx.cursor.pending_orc.is_null()) {
    ctx.warning(ctx.cursor.pending_orc_seg, "order without OBR not mapped");
  }

  // MessageHeader.focus and the Provenance.
  Seg msh = ctx.segment(0);
  std::string recorded = time_field(ctx, msh, 7, TimeKind::kInstant);
  if (recorded.empty()) {
    // Provenance.recorded is an instant: without one the message still maps,
    // with no Provenance and no Bundle.timestamp (never the wall clock: the
    // output must be the same for the same message).
    ctx.warning(MappingContext::location(msh, 7),
                "message date/time not valued to the second: no Provenance recorded");
  }
  if (ctx.message_header != kNoEntry && !ctx.focus().empty()) {
    JsonValue focus = JsonValue::make_array();
    for (EntryRef f : ctx.focus()) focus.push(ctx.reference(f));
    ctx.resource(ctx.message_header).add("focus", std::move(focus));
  }
  if (!recorded.empty()) add_provenance(ctx, recorded);
  ctx.warn_unread_fields(mapped);

  result.errors = std::move(ctx.errors());
  result.warnings = std::move(ctx.warnings());
  if (!result.errors.empty()) return result;

  JsonValue bundle = JsonValue::make_object();
  bundle.add("resourceType", JsonValue::make_string("Bundle"));
  std::string control_id = trim(h.control_id);
  if (!control_id.empty()) {
    JsonValue id = JsonValue::make_object();
    id.add("system", JsonValue::make_string(ctx.sender_urn() + ":message-control-id"));
    id.add("value", JsonValue::make_string(control_id));
    bundle.add("identifier", std::move(id));
  }
  bundle.add("type", JsonValue::make_string("transaction"));
  if (!recorded.empty()) bundle.add("timestamp", JsonValue::make_string(recorded));
  JsonValue& entries = bundle.add("entry", JsonValue::make_array());
  entries.mutable_items().reserve(ctx.entries().size());
  result.partial.reserve(ctx.entries().size());
  for (Entry& e : ctx.entries()) {
    entries.push(bundle_entry(ctx, e));
    result.partial.push_back(std::move(e.partial));
  }
  result.bundle = std::move(bundle);
  return result;
}

}  // namespace gw::v2fhir
