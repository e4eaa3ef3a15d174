// Rules beyond structure and primitive syntax: resource-level invariants,
// extensions (ext-1), references and required bindings on Coding and
// CodeableConcept.
#include <algorithm>
#include <cstddef>

#include "fhir/validate/references.h"
#include "fhir/validate/walker.h"

namespace gw::fhir::validation {
namespace {

using defs::TypeDef;
using defs::TypeKind;

const JsonValue* string_member(const JsonValue& obj, std::string_view key) {
  const JsonValue* v = obj.find(key);
  return v != nullptr && v->is_string() && !v->text().empty() ? v : nullptr;
}

const TypeDef* concrete_resource_type(const defs::Definitions& d, std::string_view name) {
  const TypeDef* t = d.find_type(name);
  return t != nullptr && t->kind == TypeKind::kResource && !t->is_abstract ? t : nullptr;
}

}  // namespace

void Walker::resource_rules(const JsonValue& res, const TypeDef& type, bool contained) {
  if (resource_depth_ == 1 && !options_.allow_missing_id && string_member(res, "id") == nullptr) {
    size_t old = push("id");
    issue("required", "resource id is required");
    pop(old);
  }
  if (!contained) return;
  if (res.find("contained") != nullptr) {
    size_t old = push("contained");
    issue("invariant", "dom-2: a contained resource must not contain resources");
    pop(old);
  }
  if (const JsonValue* meta = res.find("meta"); meta != nullptr && meta->is_object()) {
    if (meta->find("versionId") != nullptr || meta->find("lastUpdated") != nullptr) {
      size_t old = push("meta");
      issue("invariant",
            "dom-4: a contained resource must not have meta.versionId or meta.lastUpdated");
      pop(old);
    }
  }
}

void Walker::collect_contained(const JsonValue& res) {
  const JsonValue* list = res.find("contained");
  if (list == nullptr || !list->is_array()) return;
  for (const JsonValue& c : list->items()) {
    if (!c.is_object()) continue;
    const JsonValue* id = string_member(c, "id");
    if (id == nullptr) continue;
    const JsonValue* rt = string_member(c, "resourceType");
    contained_.push_back(ContainedEntry{
        id->text(), rt == nullptr ? nullptr : concrete_resource_type(defs_, rt->text())});
  }
  std::sort(contained_.begin() + static_cast<std::ptrdiff_t>(contained_base_), contained_.end(),
            [](const ContainedEntry& a, const ContainedEntry& b) { return a.id < b.id; });
}

void Walker::extension_rules(const JsonValue& ext) {
  bool has_value = false, has_extensions = false;
  for (const JsonMember& m : ext.members()) {
    std::string_view key = m.key;
    if (!key.empty() && key[0] == '_') key.remove_prefix(1);
    if (key.size() > 5 && key.substr(0, 5) == "value" && key[5] >= 'A' && key[5] <= 'Z')
      has_value = true;
    if (key == "extension") has_extensions = true;
  }
  if (has_value && has_extensions) {
    issue("invariant", "ext-1: an extension has either nested extensions or a value[x], not both");
  } else if (!has_value && !has_extensions) {
    issue("invariant", "ext-1: an extension needs a value[x] or nested extensions");
  }
}

void Walker::target_allowed(const TypeDef* target, const defs::ElementType& t) {
  auto targets = defs_.targets_of(t);
  if (target == nullptr || targets.empty()) return;
  uint16_t index = defs_.type_index(*target);
  for (uint16_t allowed : targets)
    if (allowed == index) return;
  issue("structure", "reference target type is not allowed for this element");
}

void Walker::reference_rules(const JsonValue& ref, const defs::ElementType& t) {
  const TypeDef* shown = nullptr;  // the target type the reference string shows
  if (const JsonValue* r = string_member(ref, "reference")) {
    ParsedReference p = parse_reference(r->text());
    size_t old = push("reference");
    switch (p.kind) {
      case ParsedReference::Kind::kInvalid:
        issue("value", p.problem);
        break;
      case ParsedReference::Kind::kContained: {
        if (p.contained_id.empty()) break;  // "#": the containing resource
        // Sorted by collect_contained: many references to many contained
        // resources must not cost their product.
        auto begin = contained_.begin() + static_cast<std::ptrdiff_t>(contained_base_);
        auto it = std::lower_bound(
            begin, contained_.end(), p.contained_id,
            [](const ContainedEntry& e, std::string_view id) { return e.id < id; });
        const ContainedEntry* hit =
            it != contained_.end() && it->id == p.contained_id ? &*it : nullptr;
        if (hit == nullptr) {
          issue("invariant", "ref-1: local reference has no matching contained resource");
        } else {
          shown = hit->type;
          target_allowed(shown, t);
        }
        break;
      }
      case ParsedReference::Kind::kRelative:
      case ParsedReference::Kind::kConditional:
        shown = concrete_resource_type(defs_, p.type);
        if (shown == nullptr) {
          issue("value", "reference names an unknown resource type");
        } else {
          target_allowed(shown, t);
        }
        break;
      case ParsedReference::Kind::kAbsolute:
        // Only a FHIR RESTful URL shows the type; other URLs are opaque.
        if (!p.type.empty()) {
          shown = concrete_resource_type(defs_, p.type);
          target_allowed(shown, t);
        }
        break;
      case ParsedReference::Kind::kUrn:
        break;
    }
    pop(old);
  }
  if (const JsonValue* type = string_member(ref, "type")) {
    size_t old = push("type");
    const TypeDef* declared = concrete_resource_type(defs_, type->text());
    target_allowed(declared, t);
    if (declared != nullptr && shown != nullptr && declared != shown) {
      issue("structure", "Reference.type differs from the type shown by Reference.reference");
    }
    pop(old);
  }
}

void Walker::coding_binding(const JsonValue& coding, uint32_t value_set) {
  const JsonValue* code = string_member(coding, "code");
  if (code == nullptr) return;
  const JsonValue* system = string_member(coding, "system");
  if (!defs_.contains_coding(value_set, system == nullptr ? std::string_view() : system->text(),
                             code->text())) {
    issue("code-invalid", "coding (system and code) is not in the required value set");
  }
}

void Walker::codeable_concept_binding(const JsonValue& cc, uint32_t value_set) {
  const JsonValue* codings = cc.find("coding");
  bool any = false;
  if (codings != nullptr && codings->is_array()) {
    for (const JsonValue& c : codings->items()) {
      if (!c.is_object()) continue;
      any = true;
      const JsonValue* code = string_member(c, "code");
      const JsonValue* system = string_member(c, "system");
      if (code != nullptr && system != nullptr &&
          defs_.contains_coding(value_set, system->text(), code->text()))
        return;
    }
  }
  issue("code-invalid",
        any ? "no coding is from the required value set"
            : "a coding from the required value set is required (text alone is not enough)");
}

}  // namespace gw::fhir::validation
