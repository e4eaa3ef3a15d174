#include "gateway/labels/labeler.h"

#include <string.h>

#include <algorithm>
#include <optional>
#include <string>
#include <unordered_map>

#include "fhir/json/canonical.h"
#include "gateway/labels/record_scope.h"

namespace gw::labels {

namespace {

using fhir::JsonValue;
using ledger::consortium::Label;
using ledger::consortium::label_bit;

// Where a resource type's codes say what the record is about. Elements that
// qualify a finding rather than name it (interpretation, method, bodySite,
// category, severity) are left out: they do not carry the diagnosis.
struct TypeElements {
  std::string_view type;
  std::vector<std::string_view> codes;  // dotted paths to CodeableConcepts
  std::vector<std::string_view> refs;   // dotted paths to References (propagation)
};
const std::vector<TypeElements>& type_elements() {
  static const std::vector<TypeElements> kElements = {
      {"AllergyIntolerance", {"code"}, {}},
      {"Condition", {"code", "evidence.code"}, {}},
      {"DiagnosticReport", {"code", "conclusionCode"}, {"result"}},
      {"DocumentReference", {"type"}, {}},
      {"Encounter", {"reasonCode"}, {"diagnosis.condition", "reasonReference"}},
      {"FamilyMemberHistory", {"condition.code"}, {}},
      {"Immunization", {"vaccineCode", "reasonCode"}, {}},
      {"Medication", {"code"}, {}},
      {"MedicationAdministration",
       {"medicationCodeableConcept", "reasonCode"},
       {"reasonReference"}},
      {"MedicationDispense", {"medicationCodeableConcept"}, {}},
      {"MedicationRequest", {"medicationCodeableConcept", "reasonCode"}, {"reasonReference"}},
      {"MedicationStatement", {"medicationCodeableConcept", "reasonCode"}, {"reasonReference"}},
      {"Observation",
       {"code", "valueCodeableConcept", "component.code", "component.valueCodeableConcept"},
       {"hasMember"}},
      {"Procedure", {"code", "reasonCode"}, {"reasonReference"}},
      {"ServiceRequest", {"code", "reasonCode"}, {"reasonReference"}},
  };
  return kElements;
}

const TypeElements* elements_of(std::string_view type) {
  for (const TypeElements& e : type_elements())
    if (e.type == type) return &e;
  return nullptr;
}

// Sensitivity labels travel along references; confidentiality (R, V) is a
// judgement about one record and does not.
constexpr uint64_t kSensitivityMask = 0xffff;

// Calls f on every value at `path` (arrays are entered at every step).
template <typename F>
void visit_path(const JsonValue& v, std::string_view path, const F& f) {
  if (v.is_array()) {
    for (const JsonValue& item : v.items()) visit_path(item, path, f);
    return;
  }
  if (path.empty()) {
    f(v);
    return;
  }
  if (!v.is_object()) return;
  const size_t dot = path.find('.');
  const JsonValue* next = v.find(path.substr(0, dot));
  if (next == nullptr) return;
  visit_path(*next, dot == std::string_view::npos ? std::string_view() : path.substr(dot + 1), f);
}

uint64_t concept_bits(const LabelRules& rules, const JsonValue& cc) {
  uint64_t bits = 0;
  auto coding_bits = [&](const JsonValue& coding) {
    const JsonValue* system = coding.find("system");
    const JsonValue* code = coding.find("code");
    if (system != nullptr && code != nullptr && system->is_string() && code->is_string())
      bits |= rules.match(system->text(), code->text());
  };
  if (const JsonValue* codings = cc.find("coding"); codings != nullptr) {
    for (const JsonValue& c : codings->items()) coding_bits(c);
  } else {
    coding_bits(cc);  // a bare Coding
  }
  return bits;
}

// "Observation/123" from "Observation/123", ".../fhir/Observation/123" or
// ".../Observation/123/_history/2"; empty for anything else (urn:uuid, #contained).
std::string_view type_and_id(std::string_view ref) {
  if (size_t h = ref.find("/_history/"); h != std::string_view::npos) ref = ref.substr(0, h);
  const size_t last = ref.rfind('/');
  if (last == std::string_view::npos || last == 0 || last + 1 == ref.size()) return {};
  const size_t prev = ref.rfind('/', last - 1);
  return prev == std::string_view::npos ? ref : ref.substr(prev + 1);
}

// glibc's memmem (two-way, vectorized) rather than string_view::find, which
// stops at every '"' of the JSON to compare the rest of the needle.
size_t find_in(std::string_view text, std::string_view needle, size_t pos = 0) {
  if (pos > text.size()) return std::string_view::npos;
  const void* at = ::memmem(text.data() + pos, text.size() - pos, needle.data(), needle.size());
  return at == nullptr ? std::string_view::npos
                       : static_cast<size_t>(static_cast<const char*>(at) - text.data());
}

bool mentions_any(std::string_view text, const std::vector<std::string>& needles) {
  for (const std::string& n : needles)
    if (find_in(text, n) != std::string_view::npos) return true;
  return false;
}

// True if some "code" member of the canonical JSON text holds a code some
// rule could match (or one this scan cannot read plainly: an escape). A
// Coding's code is always such a member, so false means no Coding of the
// record can match and it need not be parsed.
bool mentions_candidate_code(std::string_view json, const LabelRules& rules) {
  constexpr std::string_view kKey = "\"code\":\"";
  for (size_t pos = find_in(json, kKey); pos != std::string_view::npos;
       pos = find_in(json, kKey, pos)) {
    pos += kKey.size();
    const size_t end = json.find('"', pos);
    if (end == std::string_view::npos) return true;
    const std::string_view code = json.substr(pos, end - pos);
    if (code.find('\\') != std::string_view::npos || rules.could_match(code)) return true;
    pos = end;
  }
  return false;
}

struct Work {
  std::optional<JsonValue> resource;   // parsed when the record can gain labels
  uint64_t have = 0;                   // labels already in meta.security
  uint64_t want = 0;                   // own labels plus propagated ones
  std::vector<std::string_view> refs;  // "Type/id" of referenced records (views into resource)
};

}  // namespace

uint64_t direct_label_bits(const LabelRules& rules, const JsonValue& resource) {
  const JsonValue* type = resource.find("resourceType");
  if (type == nullptr || !type->is_string()) return 0;
  const TypeElements* e = elements_of(type->text());
  if (e == nullptr) return 0;
  uint64_t bits = 0;
  for (std::string_view path : e->codes)
    visit_path(resource, path, [&](const JsonValue& c) { bits |= concept_bits(rules, c); });
  return bits;
}

bool add_security_labels(uint64_t bits, JsonValue* resource) {
  bits &= kSensitivityMask & ~record_label_bits(*resource);
  if (bits == 0 || !resource->is_object()) return false;
  JsonValue* meta = resource->find_mutable("meta");
  if (meta == nullptr || !meta->is_object())
    meta = &resource->add("meta", JsonValue::make_object());
  JsonValue* security = meta->find_mutable("security");
  if (security == nullptr || !security->is_array())
    security = &meta->add("security", JsonValue::make_array());
  for (uint8_t i = 0; i < 64; ++i) {
    if ((bits & (uint64_t{1} << i)) == 0) continue;
    const auto label = static_cast<Label>(i);
    JsonValue coding = JsonValue::make_object();
    coding.add("system", JsonValue::make_string(std::string(kActCodeSystem)));
    coding.add("code", JsonValue::make_string(std::string(ledger::consortium::label_code(label))));
    coding.add("display", JsonValue::make_string(std::string(label_display(label))));
    security->push(std::move(coding));
  }
  auto text_of = [](const JsonValue& c, std::string_view key) -> std::string_view {
    const JsonValue* v = c.find(key);
    return v != nullptr && v->is_string() ? std::string_view(v->text()) : std::string_view();
  };
  std::vector<JsonValue>& items = security->mutable_items();
  std::stable_sort(items.begin(), items.end(), [&](const JsonValue& a, const JsonValue& b) {
    return std::pair(text_of(a, "system"), text_of(a, "code")) <
           std::pair(text_of(b, "system"), text_of(b, "code"));
  });
  items.erase(std::unique(items.begin(), items.end(),
                          [&](const JsonValue& a, const JsonValue& b) {
                            return !text_of(a, "code").empty() &&
                                   text_of(a, "system") == text_of(b, "system") &&
                                   text_of(a, "code") == text_of(b, "code");
                          }),
              items.end());
  return true;
}

gw::Status label_records(const LabelRules& rules, std::vector<store::RecordWrite>* records,
                         const OutsideLabels& outside, size_t* changed) {
  if (changed != nullptr) *changed = 0;
  std::vector<Work> work(records->size());
  auto parse = [&](size_t i) -> gw::Status {
    const store::RecordWrite& r = (*records)[i];
    auto parsed =
        fhir::parse_json(r.resource_json, fhir::own_document_limits(r.resource_json.size()));
    if (!parsed.ok())
      return internal_error("label: a " + r.resource_type +
                            " record could not be parsed: " + parsed.error().to_string());
    work[i].resource = std::move(parsed).value();
    work[i].have = record_label_bits(*work[i].resource);
    work[i].want = work[i].have;
    return ok_status();
  };
  // Own labels. A record of a type with nothing to match, or whose text
  // names no rule's system or code and carries no labels, cannot have any:
  // it is not parsed (most records of a feed).
  bool any_labeled = false;
  for (size_t i = 0; i < records->size(); ++i) {
    const std::string& json = (*records)[i].resource_json;
    const TypeElements* e = elements_of((*records)[i].resource_type);
    if (e == nullptr) continue;
    // The code scan first: one pass that rules out most records alone.
    const bool may_match =
        mentions_candidate_code(json, rules) && mentions_any(json, rules.systems());
    if (!may_match && find_in(json, "\"security\":") == std::string_view::npos) continue;
    GW_RETURN_IF_ERROR(parse(i));
    Work& w = work[i];
    if (may_match) w.want |= direct_label_bits(rules, *w.resource);
    any_labeled = any_labeled || (w.want & kSensitivityMask) != 0;
  }
  // References, only when there is a label they could carry.
  bool any_refs = false;
  if (any_labeled || outside) {
    for (size_t i = 0; i < records->size(); ++i) {
      const TypeElements* e = elements_of((*records)[i].resource_type);
      if (e == nullptr || e->refs.empty()) continue;
      if (!work[i].resource) GW_RETURN_IF_ERROR(parse(i));
      Work& w = work[i];
      for (std::string_view path : e->refs)
        visit_path(*w.resource, path, [&](const JsonValue& ref) {
          const JsonValue* target = ref.find("reference");
          if (target == nullptr || !target->is_string()) return;
          if (std::string_view t = type_and_id(target->text()); !t.empty()) w.refs.push_back(t);
        });
      any_refs = any_refs || !w.refs.empty();
    }
  }
  if (any_refs) {
    // "Type/id" -> position in the batch; built only when something refers.
    std::vector<std::string> keys(records->size());
    std::unordered_map<std::string_view, size_t> index;
    for (size_t i = 0; i < records->size(); ++i) {
      keys[i] = (*records)[i].resource_type + "/" + (*records)[i].resource_id;
      index.emplace(keys[i], i);
    }
    // Outside labels first, then a few rounds inside the batch: chains are
    // short (Encounter <- Condition, DiagnosticReport <- panel <- results).
    for (Work& w : work)
      if (outside)
        for (std::string_view t : w.refs) w.want |= outside(t) & kSensitivityMask;
    for (int round = 0; round < 4; ++round) {
      bool grew = false;
      for (Work& w : work)
        for (std::string_view t : w.refs) {
          auto at = index.find(t);
          if (at == index.end()) continue;
          const Work& target = work[at->second];
          const uint64_t add = target.want & kSensitivityMask & ~w.want;
          if (add != 0) {
            w.want |= add;
            grew = true;
          }
        }
      if (!grew) break;
    }
  }
  // Canonicalize everything first, so that a failure leaves the batch as it was.
  std::vector<std::pair<size_t, std::string>> rewritten;
  for (size_t i = 0; i < work.size(); ++i) {
    Work& w = work[i];
    if (!w.resource || (w.want & ~w.have) == 0) continue;
    if (!add_security_labels(w.want & ~w.have, &*w.resource)) continue;
    auto canonical = fhir::canonicalize(*w.resource);
    if (!canonical.ok())
      return internal_error("label: a " + (*records)[i].resource_type +
                            " record could not be canonicalized: " + canonical.error().to_string());
    rewritten.emplace_back(i, std::move(canonical).value());
  }
  for (auto& [i, json] : rewritten) (*records)[i].resource_json = std::move(json);
  if (changed != nullptr) *changed = rewritten.size();
  return ok_status();
}

}  // namespace gw::labels
