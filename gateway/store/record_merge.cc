#include "gateway/store/record_merge.h"

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fhir/json/canonical.h"
#include "fhir/json/json.h"

namespace gw::store::internal {
namespace {

using fhir::JsonValue;

// The string at dotted `path` inside `item`, or nullopt; for an empty path
// the item's canonical JSON.
std::optional<std::string> key_of(const JsonValue& item, std::string_view path) {
  if (path.empty()) {
    auto whole = fhir::canonicalize(item);
    return whole.ok() ? std::optional<std::string>(std::move(whole).value()) : std::nullopt;
  }
  const JsonValue* v = &item;
  while (!path.empty()) {
    const size_t dot = path.find('.');
    v = v->find(path.substr(0, dot));
    if (v == nullptr) return std::nullopt;
    path = dot == std::string_view::npos ? std::string_view() : path.substr(dot + 1);
  }
  if (!v->is_string()) return std::nullopt;
  return v->text();
}

// keep_stored for one element name (both halves of a FHIR primitive).
void keep_stored(JsonValue& out, const JsonValue& stored, const std::string& name) {
  const std::string shadow = "_" + name;
  const JsonValue* value = stored.find(name);
  const JsonValue* extensions = stored.find(shadow);
  if (value == nullptr && extensions == nullptr) return;
  out.remove(name);
  out.remove(shadow);
  if (value != nullptr) out.add(name, *value);
  if (extensions != nullptr) out.add(shadow, *extensions);
}

// merge_by for one array element.
void merge_by(JsonValue& out, const JsonValue& stored, const MergeRules::MergeBy& rule) {
  const JsonValue* old_items = stored.find(rule.element);
  if (old_items == nullptr) return;
  JsonValue* new_items = out.find_mutable(rule.element);
  if (new_items == nullptr) {
    out.add(rule.element, *old_items);
    return;
  }
  if (!new_items->is_array() || !old_items->is_array()) return;
  // The write's items by key, in the write's order.
  std::map<std::string, std::vector<const JsonValue*>, std::less<>> written;
  for (const JsonValue& item : new_items->items()) {
    if (auto k = key_of(item, rule.key_path)) written[*k].push_back(&item);
  }
  JsonValue merged = JsonValue::make_array();
  std::set<std::string, std::less<>> placed;  // keys whose write items are in `merged`
  for (const JsonValue& item : old_items->items()) {
    const std::optional<std::string> k = key_of(item, rule.key_path);
    if (!k) continue;  // cannot be matched: dropped (see MergeRules)
    auto w = written.find(*k);
    if (w == written.end()) {
      merged.push(item);
    } else if (placed.insert(*k).second) {
      for (const JsonValue* n : w->second) merged.push(*n);
    }
  }
  for (const JsonValue& item : new_items->items()) {
    const std::optional<std::string> k = key_of(item, rule.key_path);
    if (k && placed.count(*k) != 0) continue;
    merged.push(item);
  }
  *new_items = std::move(merged);
}

}  // namespace

Result<std::string> merge_record(std::string_view stored, std::string_view write,
                                 const MergeRules& rules) {
  auto old_doc = fhir::parse_json(stored, fhir::own_document_limits(stored.size()));
  if (!old_doc.ok()) {
    return data_loss_error("stored record does not parse: " +
                           std::string(fhir::json_error_code_name(old_doc.error().code)));
  }
  auto new_doc = fhir::parse_json(write, fhir::own_document_limits(write.size()));
  if (!new_doc.ok()) {
    return internal_error("record write does not parse: " +
                          std::string(fhir::json_error_code_name(new_doc.error().code)));
  }
  JsonValue out = std::move(new_doc).value();
  if (!out.is_object() || !old_doc->is_object()) return std::string(write);  // not a resource
  for (const std::string& name : rules.keep_stored) keep_stored(out, *old_doc, name);
  for (const MergeRules::MergeBy& rule : rules.merge_by) merge_by(out, *old_doc, rule);
  auto canonical = fhir::canonicalize(out);
  if (!canonical.ok()) return internal_error("merged record could not be canonicalized");
  return std::move(canonical).value();
}

}  // namespace gw::store::internal
