#include "gateway/deid/walker.h"

#include <algorithm>
#include <array>

namespace gw::deid::internal {
namespace {

using fhir::JsonMember;
using fhir::JsonType;
using fhir::JsonValue;
using fhir::defs::ElementDef;
using fhir::defs::ElementType;
using fhir::defs::kNone;
using fhir::defs::PrimitiveKind;
using fhir::defs::TypeDef;
using fhir::defs::TypeKind;

// Types dropped whole wherever they occur: each is an identifier kind of
// §164.514(b)(2) or free text / content that may carry one.
constexpr std::array<std::string_view, 7> kDroppedTypes = {
    "HumanName", "ContactPoint", "Identifier", "Attachment",
    "Narrative", "Annotation",   "Signature"};

// Strings that are coded, not typed by a person: kept (unless they contain
// an identifying word of the input, see PhiWords). Every other string and
// markdown is dropped.
constexpr std::array<std::string_view, 7> kCodedStrings = {
    "Coding.display", "Coding.version", "Quantity.unit", "Age.unit",
    "Count.unit",     "Distance.unit",  "Duration.unit"};

// URIs that name code systems, unit systems or extensions; every other uri
// and url (which may point at a person or a record) is dropped.
constexpr std::array<std::string_view, 6> kCodeSystemUris = {"Coding.system",   "Quantity.system",
                                                             "Age.system",      "Count.system",
                                                             "Distance.system", "Duration.system"};

// Elements dropped although their type would pass: relatives and other
// persons of the patient (contact: relatives, employers; link: other Patient
// or RelatedPerson records).
constexpr std::array<std::string_view, 2> kDroppedElements = {"Patient.contact", "Patient.link"};

// Birth dates: 90+ rule instead of year only.
constexpr std::array<std::string_view, 2> kBirthDates = {"Patient.birthDate",
                                                         "FamilyMemberHistory.born"};

// Range-valued ages (onset and family-history ages): bounds over 89 grouped.
constexpr std::array<std::string_view, 6> kAgeRanges = {"Condition.onset",
                                                        "Condition.abatement",
                                                        "AllergyIntolerance.onset",
                                                        "FamilyMemberHistory.age",
                                                        "FamilyMemberHistory.deceased",
                                                        "FamilyMemberHistory.condition.onset"};

// Observation codes whose value is the person's age (LOINC Age, Age -
// reported, Age calculated).
constexpr std::array<std::string_view, 3> kAgeObservationCodes = {"30525-0", "21612-7", "29553-5"};

// The only extension values kept: an extension of unknown meaning may hold
// any number or text (an account number as valueInteger), so only codes and
// booleans pass, and nested extensions by the same rule.
constexpr std::array<std::string_view, 4> kExtensionValues = {
    "valueBoolean", "valueCode", "valueCoding", "valueCodeableConcept"};

// Meta keeps profiles and labels; versionId, lastUpdated, source and the
// server's own additions (author, account, compartment, ...) go.
constexpr std::array<std::string_view, 3> kMetaKept = {"profile", "security", "tag"};

constexpr std::array<std::string_view, 5> kAddressUses = {"home", "work", "temp", "old", "billing"};
constexpr std::array<std::string_view, 3> kAddressTypes = {"postal", "physical", "both"};

JsonValue years_90(bool with_comparator) {
  JsonValue q = JsonValue::make_object();
  q.add("value", JsonValue::make_number("90"));
  if (with_comparator) q.add("comparator", JsonValue::make_string(">="));
  q.add("unit", JsonValue::make_string("a"));
  q.add("system", JsonValue::make_string("http://unitsofmeasure.org"));
  q.add("code", JsonValue::make_string("a"));
  return q;
}

std::string_view text_of(const JsonValue* v) {
  return v != nullptr && v->is_string() ? std::string_view(v->text()) : std::string_view();
}

// True if the Quantity `q` is an age over 89 years.
bool over_89(const JsonValue& q) {
  const JsonValue* value = q.find("value");
  if (value == nullptr || !value->is_number()) return false;
  std::optional<double> years = age_in_years(value->text(), text_of(q.find("code")));
  // An unusable number cannot be judged: grouped as 90+ to be safe.
  return !years.has_value() || *years > 89;
}

// Range of ages: a bound over 89 becomes "90 and over" (low 90, no high).
void group_age_range(JsonValue& range) {
  const JsonValue* low = range.find("low");
  const JsonValue* high = range.find("high");
  if (low != nullptr && over_89(*low)) {
    range.add("low", years_90(false));  // Range bounds are SimpleQuantity: no comparator
    range.remove("high");
  } else if (high != nullptr && over_89(*high)) {
    range.remove("high");
  }
}

bool has_age_code(const JsonValue& obj) {
  const JsonValue* code = obj.find("code");
  const JsonValue* codings = code == nullptr ? nullptr : code->find("coding");
  if (codings == nullptr) return false;
  for (const JsonValue& c : codings->items()) {
    if (text_of(c.find("system")) == "http://loinc.org" &&
        listed(kAgeObservationCodes, text_of(c.find("code"))))
      return true;
  }
  return false;
}

// Observation (or component) of the person's age: values over 89 -> ">= 90 a".
void group_observed_age(JsonValue& obs) {
  if (!has_age_code(obs)) return;
  if (JsonValue* q = obs.find_mutable("valueQuantity"); q != nullptr && over_89(*q)) {
    *q = years_90(true);
  }
  if (const JsonValue* i = obs.find("valueInteger"); i != nullptr) {
    std::optional<double> years = age_in_years(i->text(), "a");
    if (!years || *years > 89) {
      obs.remove("valueInteger");
      obs.add("valueQuantity", years_90(true));
    }
  }
  if (JsonValue* r = obs.find_mutable("valueRange"); r != nullptr) group_age_range(*r);
}

bool safe_place_name(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == ' ' || c == '.' || c == '-' ||
           c == '\'';
  });
}

class Walker {
 public:
  explicit Walker(const WalkContext& ctx) : d_(fhir::defs::definitions()), ctx_(ctx) {}

  WalkOutcome run(const JsonValue& in, const TypeDef& type) {
    WalkOutcome out;
    // Age is reached at death, not at the transfer: someone born 1930 who
    // died in 2000 was 70, and keeps the year of birth.
    reference_ = ctx_.reference_date;
    for (const char* key : {"deceasedDateTime", "deceasedDate"}) {
      if (auto death = latest_day(text_of(in.find(key))); death && *death < reference_) {
        reference_ = *death;
      }
    }
    std::optional<JsonValue> res = object(in, type.node, true);
    if (unsafe_root_) {
      out.verdict = WalkOutcome::Verdict::kUnsafeModifier;
      return out;
    }
    if (!res) {
      out.verdict = WalkOutcome::Verdict::kNothingSafeLeft;
      return out;
    }
    if (age_90_plus_) {
      JsonValue ext = JsonValue::make_object();
      ext.add("url", JsonValue::make_string(std::string(kAge90OrOlderUrl)));
      ext.add("valueBoolean", JsonValue::make_bool(true));
      JsonValue* list = res->find_mutable("extension");
      if (list == nullptr) list = &res->add("extension", JsonValue::make_array());
      list->push(std::move(ext));
    }
    bool something = false;
    for (const JsonMember& m : res->members()) something = something || m.key != "meta";
    // Labels alone are not a record; the caller still keeps a Patient.
    if (!something) out.verdict = WalkOutcome::Verdict::kNothingSafeLeft;
    out.resource = std::move(*res);
    out.targets = std::move(targets_);
    return out;
  }

 private:
  std::string qualified(const fhir::defs::NodeDef& node, const ElementDef& e) const {
    std::string q(node.path);
    q += '.';
    q += e.name;
    return q;
  }

  // The kept part of an object of `node`, or nullopt to drop it (nothing
  // left, or a required element not safe to keep).
  std::optional<JsonValue> object(const JsonValue& in, uint32_t node_index, bool root) {
    if (!in.is_object()) return std::nullopt;
    const fhir::defs::NodeDef& node = d_.node(node_index);
    JsonValue out = JsonValue::make_object();
    for (const JsonMember& m : in.members()) {
      // "_name": primitive extensions (birth times, data-absent reasons) are
      // of unknown content and dropped with the rest of the unlisted.
      if (m.key.empty() || m.key[0] == '_') continue;
      if (root && (m.key == "resourceType" || m.key == "id")) continue;
      fhir::defs::ChildMatch match = d_.find_child(node_index, m.key);
      if (match.element == nullptr) continue;  // not R4: not on the allow list
      const ElementDef& e = *match.element;
      if (e.name == "modifierExtension" || (root && e.name == "implicitRules")) {
        // A modifier we cannot keep would change what the rest means: the
        // object goes whole (at the root: the resource).
        if (root) unsafe_root_ = true;
        return std::nullopt;
      }
      if (node.path == "Meta" && !listed(kMetaKept, e.name)) continue;
      if (node.path == "Extension" && e.name == "value" && !listed(kExtensionValues, m.key))
        continue;
      std::string q = qualified(node, e);
      if (listed(kDroppedElements, q)) continue;
      if (e.repeats()) {
        if (!m.value.is_array()) continue;
        JsonValue list = JsonValue::make_array();
        for (const JsonValue& item : m.value.items()) {
          if (auto v = value(e, *match.type, q, item)) list.push(std::move(*v));
        }
        if (!list.empty()) out.add(m.key, std::move(list));
      } else if (!m.value.is_array()) {
        if (auto v = value(e, *match.type, q, m.value)) out.add(m.key, std::move(*v));
      }
    }
    if (node.path == "Coding" && out.find("code") == nullptr) out.remove("display");
    if (node.path == "Observation" || node.path == "Observation.component") {
      group_observed_age(out);
    }
    for (const ElementDef& e : d_.elements_of(node)) {
      if (e.min == 0) continue;
      bool present = false;
      for (const ElementType& t : d_.types_of(e))
        present = present || out.find(t.json_key) != nullptr;
      if (!present) return std::nullopt;
    }
    if (out.empty() && !root) return std::nullopt;
    return out;
  }

  std::optional<JsonValue> value(const ElementDef& e, const ElementType& t, const std::string& q,
                                 const JsonValue& v) {
    const TypeDef& type = d_.type(t.type);
    if (type.kind == TypeKind::kPrimitive) return primitive(q, type.primitive, v);
    if (listed(kBirthDates, q)) return std::nullopt;  // a birth Period or string: not a date
    if (type.kind == TypeKind::kResource) return std::nullopt;  // contained resources
    if (listed(kDroppedTypes, type.name)) return std::nullopt;
    if (type.name == "Reference") return reference(v);
    if (type.name == "Address") return address(v);
    uint32_t node = e.children != kNone ? e.children : type.node;
    if (node == kNone) return std::nullopt;
    std::optional<JsonValue> out = object(v, node, false);
    if (!out) return std::nullopt;
    if (type.name == "Extension" && out->find("extension") == nullptr) {
      bool has_value = false;
      for (const JsonMember& m : out->members()) has_value = has_value || m.key != "url";
      if (!has_value) return std::nullopt;  // ext-1: a value or nested extensions
    }
    if (type.name == "Age" && over_89(*out)) return years_90(true);
    if (type.name == "Range" && listed(kAgeRanges, q)) group_age_range(*out);
    return out;
  }

  std::optional<JsonValue> primitive(const std::string& q, PrimitiveKind kind, const JsonValue& v) {
    switch (kind) {
      case PrimitiveKind::kBoolean:
        return v.is_bool() ? std::optional<JsonValue>(v) : std::nullopt;
      case PrimitiveKind::kInteger:
      case PrimitiveKind::kUnsignedInt:
      case PrimitiveKind::kPositiveInt:
      case PrimitiveKind::kDecimal:
        return v.is_number() ? std::optional<JsonValue>(v) : std::nullopt;
      default:
        break;
    }
    if (!v.is_string() || v.text().empty()) return std::nullopt;
    switch (kind) {
      case PrimitiveKind::kCode:
      case PrimitiveKind::kCanonical:  // definitions (profiles, questionnaires), not people
        return v;
      case PrimitiveKind::kString:
      case PrimitiveKind::kMarkdown:
        if (!listed(kCodedStrings, q) || ctx_.phi->matches(v.text())) return std::nullopt;
        return v;
      case PrimitiveKind::kUri:
      case PrimitiveKind::kUrl:
        if (listed(kCodeSystemUris, q) || q == "Extension.url") return v;
        return std::nullopt;
      case PrimitiveKind::kDate:
      case PrimitiveKind::kDateTime:
        if (listed(kBirthDates, q)) return birth_date(v.text());
        if (auto year = year_only(v.text())) {
          // An event 90 years ago or more proves the person is over 89: even
          // its year is a date "indicative of such age".
          if (std::stoi(*year) <= static_cast<int>(reference_.year()) - 90) return std::nullopt;
          return JsonValue::make_string(*year);
        }
        return std::nullopt;
      default:
        // id (other than Resource.id), oid, uuid: identifying numbers; instant
        // and time: more precise than a year; base64Binary, xhtml: content.
        return std::nullopt;
    }
  }

  std::optional<JsonValue> birth_date(const std::string& date) {
    switch (birth_age(date, reference_)) {
      case BirthAge::kUnder90:
        return JsonValue::make_string(date.substr(0, 4));
      case BirthAge::k90OrOlder:
        age_90_plus_ = true;
        return std::nullopt;
      case BirthAge::kUnknown:
        break;
    }
    return std::nullopt;
  }

  // Only relative references to records still in the output survive, as
  // "Type/<new id>"; display, identifier, absolute URLs, contained ("#")
  // and anything unresolvable go.
  std::optional<JsonValue> reference(const JsonValue& v) {
    std::string_view ref = text_of(v.find("reference"));
    size_t slash = ref.find('/');
    if (slash == std::string_view::npos) return std::nullopt;
    std::string_view type = ref.substr(0, slash);
    std::string_view rest = ref.substr(slash + 1);
    size_t next = rest.find('/');
    std::string_view id = rest.substr(0, next);
    if (next != std::string_view::npos) {
      std::string_view history = rest.substr(next);
      if (history.substr(0, 10) != "/_history/" || history.size() == 10) return std::nullopt;
    }
    std::string key = std::string(type) + "/" + std::string(id);
    auto it = ctx_.ids->find(key);
    if (it == ctx_.ids->end()) return std::nullopt;
    JsonValue out = JsonValue::make_object();
    out.add("reference", JsonValue::make_string(std::string(type) + "/" + it->second));
    targets_.push_back(std::move(key));
    return out;
  }

  // State and country stay (subdivisions smaller than a state go), with the
  // ZIP code's first three digits ("000" for restricted prefixes).
  std::optional<JsonValue> address(const JsonValue& v) {
    if (!v.is_object()) return std::nullopt;
    JsonValue out = JsonValue::make_object();
    std::string_view country = text_of(v.find("country"));
    for (std::string_view key : {"state", "country"}) {
      std::string_view s = text_of(v.find(key));
      if (safe_place_name(s) && !ctx_.phi->matches(s)) {
        out.add(std::string(key), JsonValue::make_string(std::string(s)));
      }
    }
    if (auto zip = zip3(text_of(v.find("postalCode")), country, ctx_.restricted_zip3)) {
      out.add("postalCode", JsonValue::make_string(*zip));
    }
    if (out.empty()) return std::nullopt;
    // Codes of required bindings: anything else would make the resource
    // invalid (and dropped) for the sake of a code research does not need.
    std::string_view use = text_of(v.find("use"));
    if (listed(kAddressUses, use)) out.add("use", JsonValue::make_string(std::string(use)));
    std::string_view type = text_of(v.find("type"));
    if (listed(kAddressTypes, type)) out.add("type", JsonValue::make_string(std::string(type)));
    return out;
  }

  const fhir::defs::Definitions& d_;
  const WalkContext& ctx_;
  std::chrono::year_month_day reference_{};  // of ages: the transfer, or death if earlier
  bool unsafe_root_ = false;
  bool age_90_plus_ = false;
  std::vector<std::string> targets_;
};

}  // namespace

WalkOutcome walk_resource(const JsonValue& resource, const TypeDef& type,
                          const WalkContext& context) {
  return Walker(context).run(resource, type);
}

}  // namespace gw::deid::internal
