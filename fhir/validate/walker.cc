#include "fhir/validate/walker.h"

#include <algorithm>

#include "fhir/validate/primitives.h"

namespace gw::fhir::validation {
namespace {

using defs::ElementDef;
using defs::ElementType;
using defs::kNone;
using defs::TypeDef;
using defs::TypeKind;

const SpecialTypes& special_types(const defs::Definitions& d) {
  static const SpecialTypes kTypes = [&] {
    auto index = [&](std::string_view name) {
      const TypeDef* t = d.find_type(name);
      return t == nullptr ? uint16_t{0xffff} : d.type_index(*t);
    };
    const TypeDef* element = d.find_type("Element");
    return SpecialTypes{index("Extension"), index("Reference"),
                        index("Coding"),    index("CodeableConcept"),
                        index("Resource"),  element == nullptr ? kNone : element->node};
  }();
  return kTypes;
}

const char* json_type_name(JsonType t) {
  switch (t) {
    case JsonType::kBool:
      return "wrong JSON type: a boolean is expected";
    case JsonType::kNumber:
      return "wrong JSON type: a number is expected";
    case JsonType::kString:
      return "wrong JSON type: a string is expected";
    default:
      return "wrong JSON type";
  }
}

}  // namespace

// The traversal buffers outlive one validation: a walker borrows them from
// its thread and gives them back, so validating a resource allocates nothing
// for them once they have grown. A nested walker (none exists today) would
// simply start with empty buffers.
namespace {
struct Scratch {
  std::string path;
  std::vector<Walker::Slot> slots;
  std::vector<Walker::ContainedEntry> contained;
};
thread_local Scratch scratch;
}  // namespace

Walker::Walker(const ValidationOptions& options, std::vector<ValidationIssue>& issues)
    : defs_(defs::definitions()),
      special_(special_types(defs_)),
      options_(options),
      issues_(issues) {
  path_.swap(scratch.path);
  slots_.swap(scratch.slots);
  contained_.swap(scratch.contained);
  path_.clear();
  slots_.clear();
  contained_.clear();
  if (path_.capacity() < 256) path_.reserve(256);
  if (slots_.capacity() < 512) slots_.reserve(512);
}

Walker::~Walker() {
  scratch.path.swap(path_);
  scratch.slots.swap(slots_);
  scratch.contained.swap(contained_);
}

// ---- issues and paths ---------------------------------------------------------

void Walker::issue(const char* code, const char* message, IssueSeverity severity) {
  if (stopped_) return;
  if (issues_.size() >= options_.max_issues) {
    stopped_ = true;
    issues_.push_back(ValidationIssue{IssueSeverity::kError, "too-costly", path_,
                                      "too many issues: validation stopped"});
    return;
  }
  issues_.push_back(ValidationIssue{severity, code, path_, message});
}

size_t Walker::push(std::string_view name) {
  size_t old = path_.size();
  if (!path_.empty()) path_ += '.';
  path_ += name;
  return old;
}

size_t Walker::push_key(std::string_view key) {
  return push(is_reportable_json_key(key) ? key : std::string_view("*"));
}

size_t Walker::push_index(size_t index) {
  size_t old = path_.size();
  char buf[24];
  int n = 0;
  char digits[20];
  do {
    digits[n++] = static_cast<char>('0' + index % 10);
    index /= 10;
  } while (index != 0);
  buf[0] = '[';
  for (int i = 0; i < n; ++i) buf[1 + i] = digits[n - 1 - i];
  buf[n + 1] = ']';
  path_.append(buf, n + 2);
  return old;
}

// ---- traversal -----------------------------------------------------------------

void Walker::validate_root(const JsonValue& value) { resource(value, false); }

void Walker::resource(const JsonValue& res, bool contained) {
  if (!res.is_object()) {
    size_t old = path_.empty() ? push("Resource") : path_.size();
    issue("structure", "a resource must be a JSON object");
    pop(old);
    return;
  }
  const JsonValue* rt = res.find("resourceType");
  const TypeDef* type = nullptr;
  if (rt != nullptr && rt->is_string()) type = defs_.find_type(rt->text());
  if (type == nullptr || type->kind != TypeKind::kResource || type->is_abstract) {
    size_t old = push("resourceType");
    if (rt == nullptr) {
      issue("required", "resourceType is missing");
    } else {
      issue("not-supported", "resourceType is not a known FHIR R4 resource type");
    }
    pop(old);
    return;
  }
  if (resource_depth_ >= kMaxResourceDepth) {
    issue("too-costly", "resources nested too deeply (contained or entry resources)");
    return;
  }
  size_t old = path_.size();
  if (path_.empty()) {
    path_ += type->name;
  } else {
    path_ += ".ofType(";
    path_ += type->name;
    path_ += ')';
  }
  ++resource_depth_;
  // References "#id" resolve against the contained resources of the nearest
  // resource that is not itself contained.
  size_t saved_base = contained_base_, saved_size = contained_.size();
  if (!contained) {
    contained_base_ = contained_.size();
    collect_contained(res);
  }
  resource_rules(res, *type, contained);
  object(res, type->node, true);
  contained_.resize(saved_size);
  contained_base_ = saved_base;
  --resource_depth_;
  pop(old);
}

void Walker::object(const JsonValue& obj, uint32_t node_index, bool resource_root) {
  if (stopped_) return;
  if (obj.members().empty()) {
    issue("invariant", "ele-1: an object must not be empty");
    return;
  }
  if (object_depth_ >= kMaxObjectDepth) {
    issue("too-costly", "elements nested too deeply");
    return;
  }
  ++object_depth_;
  const defs::NodeDef& node = defs_.node(node_index);
  const size_t base = slots_.size();
  slots_.resize(base + node.elements_count);
  for (const JsonMember& m : obj.members()) {
    std::string_view key = m.key;
    if (resource_root && key == "resourceType") continue;
    bool underscore = !key.empty() && key[0] == '_';
    defs::ChildMatch match = defs_.find_child(node_index, underscore ? key.substr(1) : key);
    const ElementDef* e = match.element;
    if (e != nullptr && underscore &&
        (e->is_attribute || defs_.type(match.type->type).kind != TypeKind::kPrimitive))
      e = nullptr;  // "_name" exists only for primitive elements
    if (e == nullptr) {
      size_t old = push_key(key);
      issue("structure",
            underscore ? "unknown element (no primitive element of this name)" : "unknown element");
      pop(old);
      continue;
    }
    Slot& slot = slots_[base + (e - defs_.elements_of(node).data())];
    if (slot.type != nullptr && slot.type != match.type) {
      size_t old = push_key(key);
      issue("structure", "only one type of a choice element [x] may be present");
      pop(old);
      continue;
    }
    slot.type = match.type;
    (underscore ? slot.ext : slot.value) = &m.value;
  }
  auto elements = defs_.elements_of(node);
  for (size_t i = 0; i < elements.size() && !stopped_; ++i) {
    Slot slot = slots_[base + i];  // copy: recursion below grows slots_
    const ElementDef& e = elements[i];
    if (slot.type == nullptr) {
      if (e.min > 0) {
        size_t old = push(e.name);
        if (e.is_choice) path_ += "[x]";
        issue("required", "required element is missing");
        pop(old);
      }
      continue;
    }
    member(e, *slot.type, slot.value, slot.ext);
  }
  slots_.resize(base);
  --object_depth_;
}

void Walker::member(const ElementDef& e, const ElementType& t, const JsonValue* v,
                    const JsonValue* ext) {
  size_t old = push(t.json_key);
  if (!e.repeats()) {
    // Report a wrong shape once, and still check whichever part is usable.
    bool bad_value = v != nullptr && v->is_array();
    bool bad_ext = ext != nullptr && ext->is_array();
    if (bad_value || bad_ext)
      issue("structure", "element has at most one value: it must not be a JSON array");
    if (bad_value) v = nullptr;
    if (bad_ext) ext = nullptr;
    if (v != nullptr || ext != nullptr) value(e, t, v, ext);
    pop(old);
    return;
  }
  bool bad_value = v != nullptr && !v->is_array();
  bool bad_ext = ext != nullptr && !ext->is_array();
  if (bad_value || bad_ext) {
    issue("structure", "repeating element must be a JSON array");
    if (bad_value) v = nullptr;
    if (bad_ext) ext = nullptr;
  }
  size_t nv = v == nullptr ? 0 : v->items().size();
  size_t nx = ext == nullptr ? 0 : ext->items().size();
  if ((v != nullptr && nv == 0) || (ext != nullptr && nx == 0)) {
    issue("invariant", "ele-1: an array must not be empty");
  }
  if (v != nullptr && ext != nullptr && nv != nx) {
    issue("structure", "value array and its \"_\" extension array differ in length");
  }
  size_t n = std::max(nv, nx);
  if (e.max != defs::kUnbounded && n > e.max) {
    issue("structure", "more items than the element's maximum cardinality");
  }
  if (n > 0 && n < e.min) issue("required", "fewer items than the element's minimum cardinality");
  for (size_t i = 0; i < n && !stopped_; ++i) {
    size_t old_i = push_index(i);
    const JsonValue* item = i < nv ? &v->items()[i] : nullptr;
    const JsonValue* xitem = i < nx ? &ext->items()[i] : nullptr;
    if (item != nullptr && item->is_null()) item = nullptr;
    if (xitem != nullptr && xitem->is_null()) xitem = nullptr;
    if (item == nullptr && xitem == nullptr) {
      issue("structure", "array item is null without a matching extension item");
    } else {
      value(e, t, item, xitem);
    }
    pop(old_i);
  }
  pop(old);
}

void Walker::value(const ElementDef& e, const ElementType& t, const JsonValue* v,
                   const JsonValue* ext) {
  const TypeDef& type = defs_.type(t.type);
  if (type.kind == TypeKind::kPrimitive) {
    if (ext != nullptr) {
      if (!ext->is_object()) {
        issue("structure", "\"_\" extension of a primitive must be a JSON object");
      } else {
        // {"id": ..., "extension": [...]} as in Element.
        object(*ext, special_.element_node, false);
      }
    }
    if (v != nullptr) {
      if (v->is_null()) {
        issue("structure", "null is only allowed inside arrays");
      } else {
        primitive(e, type, *v);
      }
    }
    return;
  }
  if (v == nullptr) return;  // "_name" of a complex element was refused earlier
  if (!v->is_object()) {
    issue("structure", "wrong JSON type: an object is expected");
    return;
  }
  complex(e, t, *v);
}

void Walker::primitive(const ElementDef& e, const TypeDef& type, const JsonValue& v) {
  JsonType expected = json_type_of(type.primitive);
  if (v.type() != expected) {
    issue("structure", json_type_name(expected));
    return;
  }
  if (expected == JsonType::kBool) return;
  const std::string& text = v.text();
  if (text.empty()) {
    issue("invariant", "ele-1: a string must not be empty");
    return;
  }
  if (const char* problem = check_primitive(type.primitive, text)) {
    issue("value", problem);
    return;
  }
  if (e.value_set != kNone && expected == JsonType::kString) {
    const defs::ValueSetDef& vs = defs_.value_sets()[e.value_set];
    if (vs.enumerable && !defs_.contains_code(e.value_set, text)) {
      issue("code-invalid", "code is not in the required value set");
    }
  }
}

void Walker::complex(const ElementDef& e, const ElementType& t, const JsonValue& v) {
  const TypeDef& type = defs_.type(t.type);
  if (t.type == special_.resource) {
    resource(v, e.name == "contained");
    return;
  }
  uint32_t node = e.children != kNone ? e.children : type.node;
  if (node == kNone) {
    issue("not-supported", "element type has no definition");
    return;
  }
  object(v, node, false);
  if (stopped_) return;
  if (t.type == special_.extension) {
    extension_rules(v);
  } else if (t.type == special_.reference) {
    reference_rules(v, t);
  } else if (e.value_set != kNone && defs_.value_sets()[e.value_set].enumerable) {
    if (t.type == special_.coding) coding_binding(v, e.value_set);
    if (t.type == special_.codeable_concept) codeable_concept_binding(v, e.value_set);
  }
}

}  // namespace gw::fhir::validation
