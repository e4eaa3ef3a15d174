#include "gateway/pipeline/normalize.h"

#include <string_view>
#include <unordered_map>
#include <utility>

#include "adapters/v2fhir/convert.h"
#include "fhir/json/canonical.h"
#include "fhir/validate/validator.h"
#include "gateway/store/compartment.h"

namespace gw::pipeline {
namespace {

NormalizeIssue from_mapping(const v2fhir::MappingIssue& i, NormalizeIssue::Kind kind) {
  return {kind, i.location, std::nullopt, i.text};
}

NormalizeIssue in_fhir(std::string path, std::string text) {
  return {NormalizeIssue::Kind::kInvalidFhir, {}, std::move(path), std::move(text)};
}

// In the Bundle, resources refer to each other by their entries' fullUrls
// ("urn:uuid:<id>"), which mean nothing outside the Bundle. A stored record
// is read alone (REST, export, transfers), so its references to resources
// of the same message become "Type/<id>", the record that holds them.
// Rewritten while the canonical text is written rather than in the tree,
// which stays the Bundle as mapped.
class EntryReferences : public fhir::ReferenceRewriter {
 public:
  explicit EntryReferences(const std::unordered_map<std::string_view, std::string_view>& type_of_id)
      : type_of_id_(type_of_id) {}
  bool rewrite(std::string_view reference, std::string& replacement) const override {
    constexpr std::string_view kUrn = "urn:uuid:";
    if (reference.substr(0, kUrn.size()) != kUrn) return false;
    const std::string_view id = reference.substr(kUrn.size());
    auto it = type_of_id_.find(id);
    if (it == type_of_id_.end()) return false;
    replacement.append(it->second);
    replacement += '/';
    replacement.append(id);
    return true;
  }

 private:
  const std::unordered_map<std::string_view, std::string_view>& type_of_id_;
};

}  // namespace

std::string NormalizeIssue::location() const {
  return fhir_path ? "FHIR " + *fhir_path : v2.to_string();
}

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
  // Ids as views of the entries' fullUrls (records() took the id from
  // there), which stay put while the loop below edits the resources, so that
  // each MappedRecord's strings can be moved into its RecordWrite.
  std::unordered_map<std::string_view, std::string_view> type_of_id;
  type_of_id.reserve(mapped.size());
  for (const v2fhir::MappedRecord& m : mapped) {
    std::string_view id = entries->items()[m.entry_index].find("fullUrl")->text();
    if (id.substr(0, 9) == "urn:uuid:") id.remove_prefix(9);
    type_of_id.emplace(id, m.resource_type);
  }
  const EntryReferences references(type_of_id);
  out.records.reserve(mapped.size());
  for (v2fhir::MappedRecord& m : mapped) {
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
      NormalizeIssue n = in_fhir(issue.path, issue.message);
      if (issue.severity == fhir::IssueSeverity::kError ||
          issue.severity == fhir::IssueSeverity::kFatal) {
        out.errors.push_back(std::move(n));
      } else if (issue.severity == fhir::IssueSeverity::kWarning) {
        out.warnings.push_back(std::move(n));
      }
    }
    fhir::JsonResult<std::string> canonical =
        fhir::canonicalize(*resource, fhir::NumberMode::kPreserveLexical, &references);
    if (added_id) resource->remove("id");
    if (!canonical.ok()) {
      out.errors.push_back(in_fhir(m.resource_type, "resource could not be canonicalized"));
      continue;
    }
    store::RecordWrite w;
    w.resource_type = m.resource_type;  // type_of_id views it
    w.resource_json = std::move(canonical).value();
    w.patients = store::patient_compartment_ids(
        m.resource_type, m.id, *resource, [&](std::string_view ref) -> std::string_view {
          constexpr std::string_view kUrn = "urn:uuid:";
          if (ref.substr(0, kUrn.size()) != kUrn) return {};
          auto it = type_of_id.find(ref.substr(kUrn.size()));
          return it != type_of_id.end() && it->second == "Patient" ? it->first : std::string_view();
        });
    w.resource_id = std::move(m.id);
    w.identifiers = std::move(m.identifiers);
    w.merge.keep_stored = std::move(m.partial.keep_stored);
    for (v2fhir::PartialUpdate::MergeBy& b : m.partial.merge_by)
      w.merge.merge_by.push_back({std::move(b.element), std::move(b.key_path)});
    // The labels this write gets are computed from its codes (labeler.h);
    // the ones a REST client or an earlier rule put on the stored version
    // stay (labels are only added on this path).
    w.merge.keep_stored_labels = true;
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
  if (issue.fhir_path) {
    e.detail = "mapped FHIR resource is invalid at " + *issue.fhir_path + ": " + issue.text;
    return e;
  }
  // Only positions with a segment id go to ERR-2 (a bare segment index or
  // the configuration has no place there).
  if (!issue.v2.where.segment_id.empty()) e.where = issue.v2.where;
  e.detail = issue.text;
  return e;
}

std::string summarize(const std::vector<NormalizeIssue>& issues, size_t max) {
  std::string s;
  for (size_t i = 0; i < issues.size() && i < max; ++i) {
    if (!s.empty()) s += "; ";
    s += issues[i].location() + ": " + issues[i].text;
  }
  if (issues.size() > max) s += "; +" + std::to_string(issues.size() - max) + " more";
  return s;
}

}  // namespace gw::pipeline
