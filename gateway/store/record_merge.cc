#include "gateway/store/record_merge.h"

#include <algorithm>
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

// (system, code) of a security label Coding; nullopt for anything else.
std::optional<std::pair<std::string, std::string>> label_key(const JsonValue& coding) {
  if (!coding.is_object()) return std::nullopt;
  const JsonValue* code = coding.find("code");
  const JsonValue* system = coding.find("system");
  if (code == nullptr || !code->is_string()) return std::nullopt;
  if (system != nullptr && !system->is_string()) return std::nullopt;
  return std::make_pair(system != nullptr ? system->text() : std::string(), code->text());
}

// keep_stored_labels: the stored meta.security Codings the write lacks join it.
void keep_stored_labels(JsonValue& out, const JsonValue& stored) {
  const JsonValue* stored_meta = stored.find("meta");
  const JsonValue* stored_labels =
      stored_meta != nullptr && stored_meta->is_object() ? stored_meta->find("security") : nullptr;
  if (stored_labels == nullptr || !stored_labels->is_array()) return;
  std::vector<const JsonValue*> missing;
  {
    std::set<std::pair<std::string, std::string>> have;
    const JsonValue* meta = out.find("meta");
    const JsonValue* labels =
        meta != nullptr && meta->is_object() ? meta->find("security") : nullptr;
    if (labels != nullptr && !labels->is_array()) return;  // the write's, as written
    if (labels != nullptr)
      for (const JsonValue& c : labels->items())
        if (auto k = label_key(c)) have.insert(std::move(*k));
    for (const JsonValue& c : stored_labels->items()) {
      auto k = label_key(c);
      if (k && have.insert(std::move(*k)).second) missing.push_back(&c);
    }
  }
  if (missing.empty()) return;
  JsonValue* meta = out.find_mutable("meta");
  if (meta == nullptr) meta = &out.add("meta", JsonValue::make_object());
  if (!meta->is_object()) return;
  JsonValue* labels = meta->find_mutable("security");
  if (labels == nullptr) labels = &meta->add("security", JsonValue::make_array());
  for (const JsonValue* c : missing) labels->push(*c);
  // Sorted by (system, code), each pair once (the write's first); Codings
  // without a key keep their order after the others.
  std::vector<JsonValue>& items = labels->mutable_items();
  std::stable_sort(items.begin(), items.end(), [](const JsonValue& a, const JsonValue& b) {
    auto ka = label_key(a), kb = label_key(b);
    if (!ka || !kb) return ka.has_value() && !kb.has_value();
    return *ka < *kb;
  });
  std::set<std::pair<std::string, std::string>> seen;
  JsonValue unique = JsonValue::make_array();
  for (JsonValue& c : items) {
    auto k = label_key(c);
    if (k && !seen.insert(std::move(*k)).second) continue;
    unique.push(std::move(c));
  }
  *labels = std::move(unique);
}

}  // namespace

Result<std::string> merge_record(std::string_view stored, std::string_view write,
                                 const MergeRules& rules) {
  // Labels alone, and none stored: nothing to merge (the common case of a v2
  // write, which is canonical already), so neither text is parsed.
  if (rules.empty() &&
      (!rules.keep_stored_labels || stored.find("\"security\"") == std::string_view::npos)) {
    return std::string(write);
  }
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
  if (rules.keep_stored_labels) keep_stored_labels(out, *old_doc);
  auto canonical = fhir::canonicalize(out);
  if (!canonical.ok()) return internal_error("merged record could not be canonicalized");
  return std::move(canonical).value();
}

}  // namespace gw::store::internal
