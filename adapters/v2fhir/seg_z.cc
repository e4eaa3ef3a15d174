// Z-segments -> extensions, by MappingConfig::z_rules.
#include <cstdlib>
#include <utility>

#include "adapters/v2fhir/datatypes.h"
#include "adapters/v2fhir/segments.h"

namespace gw::v2fhir {

using fhir::JsonValue;

namespace {

const ZSegmentRule* find_rule(const MappingConfig& config, std::string_view segment, int field) {
  for (const ZSegmentRule& r : config.z_rules) {
    if (r.field == field && r.segment == segment) return &r;
  }
  return nullptr;
}

// The extension value per rule.value_type; null after an error.
JsonValue extension_value(MappingContext& ctx, const Seg& seg, int field, const std::string& type,
                          std::string* key) {
  IssueLocation loc = MappingContext::location(seg, field);
  std::string text = seg.text(field);
  if (type == "string") {
    *key = "valueString";
    return JsonValue::make_string(text);
  }
  if (type == "code") {
    *key = "valueCode";
    return JsonValue::make_string(text);
  }
  if (type == "boolean") {
    *key = "valueBoolean";
    if (text == "Y" || text == "true" || text == "1") return JsonValue::make_bool(true);
    if (text == "N" || text == "false" || text == "0") return JsonValue::make_bool(false);
    ctx.warning(loc, "value is not a boolean: kept as text");
    *key = "valueString";
    return JsonValue::make_string(text);
  }
  if (type == "integer" || type == "decimal") {
    auto n = hl7::parse_number(text);
    bool ok = n.ok() && !n->text.empty();
    std::string d = ok ? n->fhir_decimal() : std::string();
    if (ok && type == "integer") {
      ok = d.find('.') == std::string::npos && d.size() <= 10 &&
           std::strtoll(d.c_str(), nullptr, 10) <= 2147483647 &&
           std::strtoll(d.c_str(), nullptr, 10) >= -2147483648LL;
    }
    if (!ok) {
      ctx.warning(loc, type == "integer" ? "value is not an integer: kept as text"
                                         : "value is not a decimal: kept as text");
      *key = "valueString";
      return JsonValue::make_string(text);
    }
    *key = type == "integer" ? "valueInteger" : "valueDecimal";
    return JsonValue::make_number(d);
  }
  if (type == "dateTime") {
    *key = "valueDateTime";
    std::string v = time_field(ctx, seg, field, TimeKind::kDateTime);
    if (v.empty()) return {};
    return JsonValue::make_string(v);
  }
  if (type == "CodeableConcept") {
    *key = "valueCodeableConcept";
    return codeable_concept_field(ctx, seg, field);
  }
  ctx.warning(loc, "Z-segment rule value type not supported: kept as text");
  *key = "valueString";
  return JsonValue::make_string(text);
}

}  // namespace

void map_z_segment(MappingContext& ctx, const Seg& seg) {
  if (ctx.config().z_segments == ZSegmentPolicy::kIgnore) {
    ctx.warning(MappingContext::location(seg), "Z-segment not mapped");
    return;
  }
  int fields = seg.view.field_count();
  for (int f = 1; f <= fields; ++f) {
    if (!seg.field(f).has_value()) continue;
    const ZSegmentRule* rule = find_rule(ctx.config(), seg.id(), f);
    if (rule == nullptr) {
      ctx.warning(MappingContext::location(seg, f), "Z-segment field not mapped");
      continue;
    }
    EntryRef target = ctx.first_of_type(rule->resource);
    if (target == kNoEntry) {
      ctx.warning(MappingContext::location(seg, f),
                  "no resource of the rule's type in this message");
      continue;
    }
    std::string key;
    JsonValue value = extension_value(ctx, seg, f, rule->value_type, &key);
    if (value.empty() || (value.is_string() && value.text().empty())) continue;
    JsonValue ext = JsonValue::make_object();
    ext.add("url", JsonValue::make_string(rule->extension_url));
    ext.add(key, std::move(value));
    JsonValue& resource = ctx.resource(target);
    JsonValue* arr = resource.find_mutable("extension");
    if (arr == nullptr) arr = &resource.add("extension", JsonValue::make_array());
    arr->push(std::move(ext));
  }
}

}  // namespace gw::v2fhir
