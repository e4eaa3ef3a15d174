#include "adapters/v2fhir/context.h"

#include <utility>

#include "adapters/v2fhir/ids.h"

namespace gw::v2fhir {

using fhir::JsonValue;

std::string trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && (s[b] == ' ' || s[b] == '\t')) ++b;
  while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t')) --e;
  return std::string(s.substr(b, e - b));
}

std::string Seg::text(int field, int component, int sub) const {
  touch(field);
  hl7::Element e = view.at(field, 1, component, sub);
  if (!e.has_value()) return {};
  return trim(e.leaf().text_or_empty());
}

bool Seg::silent(int n) const {
  const hl7::Element f = view.field(n);
  const hl7::Delimiters& d = f.delimiters();
  const char structure[] = {d.repetition, d.component, d.subcomponent, ' ', '\t'};
  return f.raw().find_first_not_of(std::string_view(structure, sizeof structure)) ==
         std::string_view::npos;
}

void FieldUse::reset(const std::vector<hl7::SegmentView>& segments) {
  base_.resize(segments.size());
  uint32_t total = 0;
  for (size_t i = 0; i < segments.size(); ++i) {
    base_[i] = total;
    total += static_cast<uint32_t>(segments[i].field_count());
  }
  bits_.assign((total + 63) / 64, 0);
}

MappingContext::MappingContext(const hl7::Message& message, const MappingConfig& config,
                               std::shared_ptr<const TimeZone> zone)
    : message_(message), config_(config), zone_(std::move(zone)) {
  segments_ = message.segments();
  occurrence_.resize(segments_.size());
  repeated_.resize(segments_.size());
  // Occurrence numbers for issue locations, in one pass (few distinct ids).
  std::vector<std::pair<std::string_view, int>> counts;
  for (size_t i = 0; i < segments_.size(); ++i) {
    std::string_view id = segments_[i].id();
    auto it = counts.begin();
    while (it != counts.end() && it->first != id) ++it;
    occurrence_[i] = it == counts.end() ? (counts.emplace_back(id, 1), 1) : ++it->second;
  }
  for (size_t i = 0; i < segments_.size(); ++i) {
    for (const auto& c : counts) {
      if (c.first == segments_[i].id()) repeated_[i] = c.second > 1;
    }
  }
  field_use_.reset(segments_);
  const hl7::Header& h = message.header();
  sender_ = trim(h.sending_facility_hd.namespace_id);
  if (sender_.empty()) sender_ = trim(h.sending_facility_hd.universal_id);
  if (sender_.empty()) sender_ = trim(h.sending_application_hd.namespace_id);
  if (sender_.empty()) sender_ = "unknown";
  sender_urn_ = "urn:gateway:sender:" + urn_escape(sender_);
  event_ = trim(h.trigger_event);
  entries_.reserve(32);
}

namespace {

// Segments whose field 1 is a Set ID: it numbers the segment in its group and
// carries no data of its own (identity never comes from a position).
bool field_1_is_set_id(std::string_view id) {
  static constexpr std::string_view kIds[] = {
      "AIG", "AIL", "AIP", "AIS", "AL1", "CON", "DB1", "DG1", "FT1", "GT1", "IAM", "IN1", "IN3",
      "NK1", "NTE", "OBR", "OBX", "PID", "PR1", "PV1", "RGS", "SPM", "TQ1", "TXA", "UB1", "UB2"};
  for (std::string_view s : kIds) {
    if (s == id) return true;
  }
  return false;
}

}  // namespace

bool is_set_id_field(std::string_view segment_id, int field) {
  return field == 1 && field_1_is_set_id(segment_id);
}

Seg MappingContext::segment(size_t index) {
  return Seg{segments_[index], occurrence_[index], repeated_[index], &field_use_,
             field_use_.base(index)};
}

void MappingContext::warn_unread_fields(const std::vector<bool>& mapped) {
  for (size_t i = 0; i < segments_.size() && i < mapped.size(); ++i) {
    if (!mapped[i]) continue;
    const hl7::SegmentView& v = segments_[i];
    const bool header_like = i == 0;  // MSH-1 and MSH-2 are the delimiters
    const int count = v.field_count();
    const int first = header_like ? 3 : is_set_id_field(v.id(), 1) ? 2 : 1;
    for (int f = first; f <= count; ++f) {
      if (field_use_.marked(field_use_.base(i) + static_cast<uint32_t>(f - 1))) continue;
      if (!v.field(f).has_value()) continue;
      Seg seg{v, occurrence_[i], repeated_[i]};
      warning(location(seg, f), "field not mapped");
    }
  }
}

void MappingContext::error(IssueLocation location, std::string text) {
  if (errors_.size() < 100) errors_.push_back({std::move(location), std::move(text)});
}

void MappingContext::warning(IssueLocation location, std::string text) {
  if (warnings_.size() < 200) warnings_.push_back({std::move(location), std::move(text)});
}

IssueLocation MappingContext::location(const Seg& seg, int field, int component, int repetition) {
  IssueLocation l = IssueLocation::in_segment(seg.id(), field, seg.occurrence, seg.repeated);
  if (field > 0) {
    l.where.repetition = repetition;
    l.where.component = component;
  }
  return l;
}

EntryRef MappingContext::find(std::string_view type, std::string_view key) const {
  std::string k(type);
  k.push_back('|');
  k.append(key);
  auto it = by_key_.find(k);
  return it == by_key_.end() ? kNoEntry : it->second;
}

EntryRef MappingContext::add(std::string_view type, std::string_view key, JsonValue resource) {
  return add_entry(type, key, std::move(resource), false);
}

EntryRef MappingContext::add_with_key_identifier(std::string_view type, std::string_view key,
                                                 JsonValue resource) {
  return add_entry(type, key, std::move(resource), true);
}

EntryRef MappingContext::add_entry(std::string_view type, std::string_view key, JsonValue resource,
                                   bool always_mint) {
  std::string k(type);
  k.push_back('|');
  k.append(key);
  auto it = by_key_.find(k);
  if (it != by_key_.end()) return it->second;
  Entry e;
  e.type = std::string(type);
  e.id = deterministic_uuid(sender_ + "|" + k);
  JsonValue* ids = resource.find_mutable("identifier");
  if (ids == nullptr || ids->items().empty() || always_mint) {
    JsonValue id = JsonValue::make_object();
    // One system per sender, whatever segment the resource came from: the
    // same resource (same id) is minted the same identifier in every message,
    // so a receiving server's conditional update finds it again.
    id.add("system", JsonValue::make_string(sender_urn_ + ":resource-id"));
    id.add("value", JsonValue::make_string(e.id));
    JsonValue arr = JsonValue::make_array();
    arr.push(std::move(id));
    if (ids != nullptr) {
      for (JsonValue& other : ids->mutable_items()) arr.push(std::move(other));
    }
    resource.add("identifier", std::move(arr));
  }
  e.resource = std::move(resource);
  e.request = RequestKind::kConditionalUpdate;
  entries_.push_back(std::move(e));
  EntryRef ref = static_cast<EntryRef>(entries_.size() - 1);
  by_key_.emplace(std::move(k), ref);
  return ref;
}

EntryRef MappingContext::add_created(std::string_view type, std::string_view key,
                                     JsonValue resource) {
  std::string k(type);
  k.push_back('|');
  k.append(key);
  auto it = by_key_.find(k);
  if (it != by_key_.end()) return it->second;
  Entry e;
  e.type = std::string(type);
  e.id = deterministic_uuid(sender_ + "|" + k);
  // MessageHeader and Provenance have no identifier element to match on: an
  // update of the deterministic id makes them idempotent (the same message
  // gives the same id and content). Portable: servers that take conditional
  // updates also take client-assigned ids, while a conditional create on a
  // tag needs the server to search tags.
  JsonValue with_id = JsonValue::make_object();
  with_id.add("resourceType", JsonValue::make_string(e.type));
  with_id.add("id", JsonValue::make_string(e.id));
  for (const fhir::JsonMember& m : resource.members()) {
    if (m.key != "resourceType" && m.key != "id") with_id.add(m.key, m.value);
  }
  e.resource = std::move(with_id);
  e.request = RequestKind::kUpdateById;
  entries_.push_back(std::move(e));
  EntryRef ref = static_cast<EntryRef>(entries_.size() - 1);
  by_key_.emplace(std::move(k), ref);
  return ref;
}

JsonValue MappingContext::reference(EntryRef ref) const {
  JsonValue r = JsonValue::make_object();
  r.add("reference", JsonValue::make_string("urn:uuid:" + entries_[ref].id));
  return r;
}

void MappingContext::add_focus(EntryRef ref) {
  if (ref == kNoEntry) return;
  for (EntryRef f : focus_) {
    if (f == ref) return;
  }
  focus_.push_back(ref);
}

EntryRef MappingContext::first_of_type(std::string_view type) const {
  for (size_t i = 0; i < entries_.size(); ++i) {
    if (entries_[i].type == type) return static_cast<EntryRef>(i);
  }
  return kNoEntry;
}

}  // namespace gw::v2fhir
