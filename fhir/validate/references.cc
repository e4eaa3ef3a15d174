#include "fhir/validate/references.h"

#include "fhir/validate/primitives.h"

namespace gw::fhir::validation {
namespace {

bool is_type_name(std::string_view s) {
  if (s.empty() || s.size() > 64 || !(s[0] >= 'A' && s[0] <= 'Z')) return false;
  for (char c : s)
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) return false;
  return true;
}

bool has_scheme(std::string_view s) {
  if (s.empty() || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z'))) return false;
  for (size_t i = 1; i < s.size(); ++i) {
    char c = s[i];
    if (c == ':') return true;
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '+' || c == '.' || c == '-';
    if (!ok) return false;
  }
  return false;
}

// Splits "Type/id" or "Type/id/_history/vid" (the whole of `s`); true if it matches.
bool split_type_id(std::string_view s, std::string_view& type, bool strict_id) {
  auto slash = s.find('/');
  if (slash == std::string_view::npos) return false;
  type = s.substr(0, slash);
  std::string_view rest = s.substr(slash + 1);
  auto next = rest.find('/');
  std::string_view id = rest.substr(0, next);
  if (next != std::string_view::npos) {
    std::string_view history = rest.substr(next);
    constexpr std::string_view kHistory = "/_history/";
    if (history.substr(0, kHistory.size()) != kHistory) return false;
    if (!is_fhir_id(history.substr(kHistory.size()))) return false;
  }
  if (!is_type_name(type)) return false;
  return strict_id ? is_fhir_id(id) : !id.empty();
}

}  // namespace

ParsedReference parse_reference(std::string_view ref) {
  ParsedReference r;
  for (char c : ref) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      r.problem = "reference must not contain whitespace";
      return r;
    }
  }
  if (ref.empty()) {
    r.problem = "reference is empty";
    return r;
  }
  if (ref[0] == '#') {
    r.contained_id = ref.substr(1);
    if (!r.contained_id.empty() && !is_fhir_id(r.contained_id)) {
      r.problem = "local reference must be # followed by an id";
      return r;
    }
    r.kind = ParsedReference::Kind::kContained;
    return r;
  }
  if (ref.substr(0, 4) == "urn:") {
    bool uuid = ref.substr(0, 9) == "urn:uuid:";
    bool oid = ref.substr(0, 8) == "urn:oid:";
    if ((uuid && !is_uuid_urn(ref)) || (oid && !is_oid_urn(ref))) {
      r.problem = uuid ? "malformed urn:uuid reference" : "malformed urn:oid reference";
      return r;
    }
    r.kind = ParsedReference::Kind::kUrn;
    return r;
  }
  if (has_scheme(ref)) {
    r.kind = ParsedReference::Kind::kAbsolute;
    // A FHIR RESTful URL ends in Type/id or Type/id/_history/vid.
    std::string_view path = ref;
    auto q = path.find_first_of("?#");
    if (q != std::string_view::npos) path = path.substr(0, q);
    size_t cut = path.size();
    for (int i = 0; i < 4 && cut != std::string_view::npos && cut > 0; ++i) {
      cut = path.rfind('/', cut - 1);
      if (cut == std::string_view::npos) break;
      std::string_view type;
      if (split_type_id(path.substr(cut + 1), type, true)) {
        r.type = type;
        break;
      }
    }
    return r;
  }
  if (auto q = ref.find('?'); q != std::string_view::npos) {
    r.type = ref.substr(0, q);
    if (!is_type_name(r.type) || q + 1 == ref.size()) {
      r.problem = "conditional reference must be Type?search";
      r.type = {};
      return r;
    }
    r.kind = ParsedReference::Kind::kConditional;
    return r;
  }
  std::string_view type;
  if (!split_type_id(ref, type, true)) {
    r.problem = "relative reference must be Type/id or Type/id/_history/version";
    return r;
  }
  r.type = type;
  r.kind = ParsedReference::Kind::kRelative;
  return r;
}

}  // namespace gw::fhir::validation
