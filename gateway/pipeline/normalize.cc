#include "gateway/pipeline/normalize.h"

#include <charconv>
#include <string_view>
#include <utility>

#include "adapters/v2fhir/convert.h"
#include "fhir/json/canonical.h"
#include "fhir/validate/validator.h"

namespace gw::pipeline {
namespace {

bool is_segment_id(std::string_view s) {
  if (s.size() != 3) return false;
  for (char c : s)
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) return false;
  return true;
}

// Reads a decimal number at s[*pos]; 0 if none.
int read_int(std::string_view s, size_t* pos) {
  int v = 0;
  auto [p, ec] = std::from_chars(s.data() + *pos, s.data() + s.size(), v);
  if (ec != std::errc()) return 0;
  *pos = static_cast<size_t>(p - s.data());
  return v;
}

// "OBX[3]-5.2" or "PID-7" -> ErrorLocation; false for anything else.
bool parse_v2_location(std::string_view s, hl7::ErrorLocation* where) {
  if (s.size() < 3 || !is_segment_id(s.substr(0, 3))) return false;
  where->segment_id = std::string(s.substr(0, 3));
  size_t pos = 3;
  where->segment_sequence = 1;
  if (pos < s.size() && s[pos] == '[') {
    ++pos;
    where->segment_sequence = read_int(s, &pos);
    if (pos >= s.size() || s[pos] != ']') return false;
    ++pos;
  }
  if (pos < s.size() && s[pos] == '-') {
    ++pos;
    where->field = read_int(s, &pos);
    if (pos < s.size() && s[pos] == '.') {
      ++pos;
      where->component = read_int(s, &pos);
    }
  }
  return true;
}

NormalizeIssue from_mapping(const v2fhir::MappingIssue& i, NormalizeIssue::Kind kind) {
  return {kind, i.location, i.text};
}

}  // namespace

Normalized normalize_v2(const hl7::Message& message, const v2fhir::MappingConfig& config) {
  Normalized out;
  // The mapper reports an unsupported type as its only error (at MSH-9).
  const NormalizeIssue::Kind mapping_kind = v2fhir::is_supported_message_type(message.header())
                                                ? NormalizeIssue::Kind::kMapping
                                                : NormalizeIssue::Kind::kUnsupportedType;
  v2fhir::ConversionResult conv = v2fhir::convert_message(message, config);
  for (const auto& w : conv.warnings)
    out.warnings.push_back(from_mapping(w, NormalizeIssue::Kind::kMapping));
  for (const auto& e : conv.errors) out.errors.push_back(from_mapping(e, mapping_kind));
  if (!conv.ok()) return out;

  std::vector<v2fhir::MappedRecord> mapped = conv.records();
  fhir::JsonValue* entries = conv.bundle.find_mutable("entry");
  out.records.reserve(mapped.size());
  for (const v2fhir::MappedRecord& m : mapped) {
    fhir::JsonValue* resource = entries->mutable_items()[m.entry_index].find_mutable("resource");
    if (resource == nullptr) continue;
    // The record is the resource as a server would hold it: with its id. The
    // Bundle entry itself carries no id (conditional create/update), so the
    // id is added in place for validation and the canonical form, then
    // removed again; copying every resource cost more than mapping it.
    bool added_id = resource->find("id") == nullptr;
    if (added_id) resource->add("id", fhir::JsonValue::make_string(m.id));
    fhir::ValidationResult v = fhir::validate_resource(*resource);
    for (const fhir::ValidationIssue& issue : v.issues) {
      NormalizeIssue n{NormalizeIssue::Kind::kInvalidFhir, "FHIR " + issue.path, issue.message};
      if (issue.severity == fhir::IssueSeverity::kError ||
          issue.severity == fhir::IssueSeverity::kFatal) {
        out.errors.push_back(std::move(n));
      } else if (issue.severity == fhir::IssueSeverity::kWarning) {
        out.warnings.push_back(std::move(n));
      }
    }
    fhir::JsonResult<std::string> canonical = fhir::canonicalize(*resource);
    if (added_id) resource->remove("id");
    if (!canonical.ok()) {
      out.errors.push_back({NormalizeIssue::Kind::kInvalidFhir, "FHIR " + m.resource_type,
                            "resource could not be canonicalized"});
      continue;
    }
    store::RecordWrite w;
    w.resource_type = m.resource_type;
    w.resource_id = m.id;
    w.resource_json = std::move(canonical).value();
    w.identifiers = m.identifiers;
    out.records.push_back(std::move(w));
  }
  if (out.errors.empty()) {
    out.bundle = std::move(conv.bundle);
  } else {
    out.records.clear();
  }
  return out;
}

hl7::Error to_hl7_error(const NormalizeIssue& issue) {
  hl7::Error e;
  e.code = issue.kind == NormalizeIssue::Kind::kUnsupportedType
               ? hl7::ErrorCode::kUnsupportedMessageType
               : hl7::ErrorCode::kApplicationInternalError;
  if (!parse_v2_location(issue.location, &e.where)) e.where = {};
  e.detail =
      issue.kind == NormalizeIssue::Kind::kInvalidFhir && issue.location.starts_with("FHIR ")
          ? "mapped FHIR resource is invalid at " + issue.location.substr(5) + ": " + issue.text
          : issue.text;
  return e;
}

std::string summarize(const std::vector<NormalizeIssue>& issues, size_t max) {
  std::string s;
  for (size_t i = 0; i < issues.size() && i < max; ++i) {
    if (!s.empty()) s += "; ";
    s += issues[i].location + ": " + issues[i].text;
  }
  if (issues.size() > max) s += "; +" + std::to_string(issues.size() - max) + " more";
  return s;
}

}  // namespace gw::pipeline
