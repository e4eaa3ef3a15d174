#include "fhir/defs/gen/structure_tables.h"

#include <map>

namespace gw::fhir::defs_gen {
namespace {

constexpr std::string_view kSdPrefix = "http://hl7.org/fhir/StructureDefinition/";
constexpr std::string_view kFhirTypeExt =
    "http://hl7.org/fhir/StructureDefinition/structuredefinition-fhir-type";

std::string_view parent_path(std::string_view path) {
  auto dot = path.rfind('.');
  return dot == std::string_view::npos ? std::string_view{} : path.substr(0, dot);
}

bool clean_field(std::string_view s) { return s.find_first_of("\t\n\r") == std::string_view::npos; }

// The FHIR type code of one ElementDefinition.type entry, or "" if unusable.
// FHIRPath system types (System.String) carry the FHIR type in an extension.
std::string type_code(const Json& type, bool& from_system_type) {
  std::string code(str(type, "code"));
  from_system_type = false;
  if (code.rfind("http://hl7.org/fhirpath/System.", 0) != 0) return code;
  from_system_type = true;
  if (const Json* exts = member(type, "extension"); exts != nullptr && exts->IsArray()) {
    for (const auto& e : exts->GetArray()) {
      if (str(e, "url") == kFhirTypeExt) {
        std::string_view v = str(e, "valueUrl");
        if (v.empty()) v = str(e, "valueUri");
        return std::string(v);
      }
    }
  }
  return {};
}

}  // namespace

bool StructureTables::add_bundle(const Json& bundle, std::string& error) {
  const Json* entries = member(bundle, "entry");
  if (entries == nullptr || !entries->IsArray()) {
    error = "not a Bundle with entries";
    return false;
  }
  for (const auto& e : entries->GetArray()) {
    const Json* r = member(e, "resource");
    if (r == nullptr || str(*r, "resourceType") != "StructureDefinition") continue;
    std::string_view kind = str(*r, "kind");
    std::string_view derivation = str(*r, "derivation");
    // Base definitions only: specializations plus the roots (Resource, Element)
    // that have no derivation. Constraints (SimpleQuantity, MoneyQuantity) are
    // profiles on Quantity: elements typed with them are treated as Quantity.
    if (kind != "resource" && kind != "complex-type" && kind != "primitive-type") continue;
    if (!derivation.empty() && derivation != "specialization") continue;
    if (!add_structure(*r, error)) return false;
  }
  return true;
}

bool StructureTables::add_structure(const Json& sd, std::string& error) {
  std::string name(str(sd, "type"));
  std::string_view kind = str(sd, "kind");
  const Json* abstract = member(sd, "abstract");
  bool is_abstract = abstract != nullptr && abstract->IsBool() && abstract->GetBool();
  if (name.empty() || !clean_field(name)) {
    error = "StructureDefinition without a usable type";
    return false;
  }
  char kind_letter = kind == "resource" ? 'R' : kind == "primitive-type" ? 'P' : 'C';
  lines_ += "T\t" + name + "\t" + kind_letter + "\t" + (is_abstract ? "1" : "0") + "\n";
  if (kind_letter == 'R') ++stats_.resource_types;
  if (kind_letter == 'C') ++stats_.complex_types;
  if (kind_letter == 'P') {
    // Primitive values are checked by hand-written code; their snapshot only
    // describes id/extension/value, which the validator knows.
    ++stats_.primitive_types;
    return true;
  }
  const Json* snapshot = member(sd, "snapshot");
  const Json* elements = snapshot == nullptr ? nullptr : member(*snapshot, "element");
  if (elements == nullptr || !elements->IsArray()) {
    error = "no snapshot in " + name;
    return false;
  }
  // Group element lines by parent path; node order = first appearance.
  std::vector<std::string> node_order;
  std::map<std::string, std::string> node_lines;
  std::set<std::string> parents;
  for (const auto& el : elements->GetArray()) {
    std::string_view path = str(el, "path");
    parents.insert(std::string(parent_path(path)));
  }
  for (const auto& el : elements->GetArray()) {
    std::string path(str(el, "path"));
    if (path == name) continue;  // the root element describes the type itself
    std::string parent(parent_path(path));
    if (parent.empty() || !clean_field(path)) {
      error = "bad element path in " + name;
      return false;
    }
    std::string last = path.substr(parent.size() + 1);
    bool choice = last.size() > 3 && last.compare(last.size() - 3, 3, "[x]") == 0;
    if (choice) last.resize(last.size() - 3);

    std::string flags;
    if (choice) flags += 'c';
    std::string types;
    const Json* type_list = member(el, "type");
    if (type_list != nullptr && type_list->IsArray()) {
      for (const auto& t : type_list->GetArray()) {
        bool system_type = false;
        std::string code = type_code(t, system_type);
        if (code.empty() || !clean_field(code)) {
          error = "unusable type code at " + path;
          return false;
        }
        if (system_type) {
          // In 4.0.1 Resource.id is System.String marked fhir-type "string",
          // but the specification (resource.html) types it `id`, and the
          // reference validator checks it as such.
          if (kind_letter == 'R' && path == name + ".id") {
            code = "id";
          } else {
            flags += 'a';  // Element.id / Extension.url: no "_name" companion
          }
        }
        if (!types.empty()) types += ';';
        types += code;
        if (code == "Reference") {
          std::string targets;
          bool any = false;
          if (const Json* tp = member(t, "targetProfile"); tp != nullptr && tp->IsArray()) {
            for (const auto& p : tp->GetArray()) {
              std::string_view url = p.IsString() ? p.GetString() : "";
              if (url.rfind(kSdPrefix, 0) != 0) continue;
              std::string_view target = url.substr(kSdPrefix.size());
              if (target == "Resource") any = true;
              if (!targets.empty()) targets += ',';
              targets += target;
            }
          }
          if (!any && !targets.empty()) types += ":" + targets;
        }
      }
    }
    std::string content_ref(str(el, "contentReference"));
    std::string children = "-";
    if (!content_ref.empty()) {
      auto hash = content_ref.find('#');
      children = content_ref.substr(hash == std::string::npos ? 0 : hash + 1);
      ++stats_.content_references;
    } else if (parents.count(path)) {
      children = path;
    }
    if (types.empty() && content_ref.empty()) {
      error = "element without type at " + path;
      return false;
    }
    std::string value_set = "-";
    if (const Json* b = member(el, "binding")) {
      if (str(*b, "strength") == "required" && !str(*b, "valueSet").empty()) {
        value_set = std::string(strip_version(str(*b, "valueSet")));
        required_value_sets_.insert(value_set);
      }
    }
    const Json* min = member(el, "min");
    std::string max(str(el, "max"));
    if (min == nullptr || !min->IsUint() || max.empty()) {
      error = "element without cardinality at " + path;
      return false;
    }
    if (!node_lines.count(parent)) node_order.push_back(parent);
    node_lines[parent] += "E\t" + last + "\t" + std::to_string(min->GetUint()) + "\t" + max + "\t" +
                          (flags.empty() ? "-" : flags) + "\t" + (types.empty() ? "-" : types) +
                          "\t" + value_set + "\t" + children + "\n";
    ++stats_.elements;
  }
  for (const auto& n : node_order) {
    lines_ += "N\t" + n + "\n" + node_lines[n];
    ++stats_.nodes;
  }
  return true;
}

}  // namespace gw::fhir::defs_gen
