#include "adapters/v2fhir/mapping_config.h"

#include <cctype>
#include <set>

#include "adapters/v2fhir/time_zone.h"

namespace gw::v2fhir {

namespace {

// scheme ":" rest, no whitespace: absolute URI in the sense of FHIR's uri.
bool is_absolute_uri(const std::string& s) {
  size_t colon = s.find(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 >= s.size()) return false;
  if (!std::isalpha(static_cast<unsigned char>(s[0]))) return false;
  for (size_t i = 0; i < colon; ++i) {
    char c = s[i];
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-' && c != '.')
      return false;
  }
  for (char c : s) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return false;
  }
  return true;
}

bool is_resource_name(const std::string& s) {
  if (s.empty() || s.size() > 64 || !std::isupper(static_cast<unsigned char>(s[0]))) return false;
  for (char c : s) {
    if (!std::isalpha(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// The first problem of a config, "" when there is none.
std::string first_problem(const MappingConfig& c) {
  if (auto zone = find_time_zone(c.time_zone); !zone.ok()) {
    return "time_zone \"" + c.time_zone + "\": " + zone.error().message();
  }
  for (const auto& [authority, uri] : c.identifier_systems) {
    if (authority.empty()) return "identifier_systems: empty assigning authority";
    if (!is_absolute_uri(uri))
      return "identifier_systems[\"" + authority + "\"]: not an absolute URI";
  }
  for (const auto& [name, uri] : c.coding_systems) {
    if (name.empty()) return "coding_systems: empty coding system name";
    if (!is_absolute_uri(uri)) return "coding_systems[\"" + name + "\"]: not an absolute URI";
  }
  for (size_t i = 0; i < c.code_translations.size(); ++i) {
    const CodeTranslation& t = c.code_translations[i];
    std::string where = "code_translations[" + std::to_string(i) + "]";
    if (t.from_system.empty() || t.from_code.empty())
      return where + ": from_system and from_code required";
    if (!is_absolute_uri(t.to_system)) return where + ": to_system not an absolute URI";
    if (t.to_code.empty()) return where + ": to_code required";
  }
  static const std::set<std::string> kTypes = {"string",  "code",     "boolean",        "integer",
                                               "decimal", "dateTime", "CodeableConcept"};
  std::set<std::pair<std::string, int>> seen;
  for (size_t i = 0; i < c.z_rules.size(); ++i) {
    const ZSegmentRule& r = c.z_rules[i];
    std::string where = "z_rules[" + std::to_string(i) + "]";
    if (r.segment.size() != 3 || r.segment[0] != 'Z')
      return where + ": segment must be a Z-segment id";
    for (char ch : r.segment) {
      if (!std::isupper(static_cast<unsigned char>(ch)) &&
          !std::isdigit(static_cast<unsigned char>(ch))) {
        return where + ": segment must be a Z-segment id";
      }
    }
    if (r.field < 1 || r.field > 999) return where + ": field must be 1..999";
    if (!is_resource_name(r.resource)) return where + ": resource must be a resource type name";
    if (!is_absolute_uri(r.extension_url)) return where + ": extension_url not an absolute URL";
    if (kTypes.count(r.value_type) == 0) return where + ": unknown value_type";
    if (!seen.emplace(r.segment, r.field).second)
      return where + ": duplicate rule for the same field";
  }
  return {};
}

}  // namespace

gw::Status check_mapping_config(const MappingConfig& c) {
  std::string problem = first_problem(c);
  if (problem.empty()) return ok_status();
  return invalid_argument_error(std::move(problem));
}

}  // namespace gw::v2fhir
