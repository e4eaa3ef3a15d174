// The identifying words of the input (PhiWords), gathered by the same R4
// type lookup as the walk: the values of names, identifiers, contact points,
// street addresses, reference displays and string-typed names.
#include <array>
#include <initializer_list>
#include <string_view>

#include "fhir/defs/definitions.h"
#include "gateway/deid/walker.h"

namespace gw::deid::internal {
namespace {

using fhir::JsonMember;
using fhir::JsonValue;
using fhir::defs::ElementDef;
using fhir::defs::ElementType;
using fhir::defs::kNone;
using fhir::defs::TypeDef;
using fhir::defs::TypeKind;

// Resources whose name (and alias) is a plain string: a relative, an
// employer, a place.
constexpr std::array<std::string_view, 4> kNamedByString = {"FamilyMemberHistory", "Organization",
                                                            "Location", "HealthcareService"};

void all_strings(const JsonValue& v, PhiWords& phi, int depth) {
  if (depth > 64) return;  // built values may be deeper than parsed ones
  if (v.is_string()) phi.add(v.text());
  for (const JsonValue& item : v.items()) all_strings(item, phi, depth + 1);
  for (const JsonMember& m : v.members()) all_strings(m.value, phi, depth + 1);
}

void harvest_object(const JsonValue& obj, uint32_t node_index, PhiWords& phi, int depth);

void harvest_value(const ElementDef& e, const ElementType& t, const JsonValue& v, PhiWords& phi,
                   int depth) {
  const auto& d = fhir::defs::definitions();
  const TypeDef& type = d.type(t.type);
  // Only the values: systems and codes of these types are not about a person
  // and would make every display with "http" or "org" look identifying.
  auto values = [&](std::initializer_list<std::string_view> keys) {
    for (std::string_view key : keys) {
      if (const JsonValue* part = v.find(key)) all_strings(*part, phi, depth);
    }
  };
  if (type.name == "HumanName") {
    values({"family", "given", "text"});
  } else if (type.name == "Identifier" || type.name == "ContactPoint") {
    values({"value"});
  } else if (type.name == "Address") {
    values({"line", "city", "district", "text", "postalCode"});
  } else if (type.name == "Reference") {
    if (const JsonValue* display = v.find("display")) all_strings(*display, phi, depth);
  } else if (type.kind == TypeKind::kResource) {
    const JsonValue* rt = v.find("resourceType");
    const TypeDef* inner = rt != nullptr && rt->is_string() ? d.find_type(rt->text()) : nullptr;
    if (inner != nullptr && inner->kind == TypeKind::kResource && inner->node != kNone) {
      harvest_object(v, inner->node, phi, depth + 1);
    }
  } else if (type.kind == TypeKind::kComplex) {
    uint32_t node = e.children != kNone ? e.children : type.node;
    if (node != kNone) harvest_object(v, node, phi, depth + 1);
  } else if ((e.name == "name" || e.name == "alias") &&
             listed(kNamedByString, d.node(e.node).path)) {
    all_strings(v, phi, depth);  // names that are plain strings
  }
}

void harvest_object(const JsonValue& obj, uint32_t node_index, PhiWords& phi, int depth) {
  if (!obj.is_object() || depth > 64) return;
  const auto& d = fhir::defs::definitions();
  for (const JsonMember& m : obj.members()) {
    fhir::defs::ChildMatch match = d.find_child(node_index, m.key);
    if (match.element == nullptr) continue;
    if (m.value.is_array()) {
      for (const JsonValue& item : m.value.items())
        harvest_value(*match.element, *match.type, item, phi, depth);
    } else {
      harvest_value(*match.element, *match.type, m.value, phi, depth);
    }
  }
}

}  // namespace

void harvest_phi(const JsonValue& resource, PhiWords& phi) {
  const JsonValue* rt = resource.find("resourceType");
  if (rt == nullptr || !rt->is_string()) return;
  const TypeDef* type = fhir::defs::definitions().find_type(rt->text());
  if (type == nullptr || type->kind != TypeKind::kResource || type->node == kNone) return;
  harvest_object(resource, type->node, phi, 0);
}

}  // namespace gw::deid::internal
