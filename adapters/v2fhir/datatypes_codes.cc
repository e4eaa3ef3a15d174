// Codes and identifiers: CWE/CE -> CodeableConcept, CX/EI -> Identifier.
#include <cctype>
#include <utility>

#include "adapters/v2fhir/datatypes.h"
#include "adapters/v2fhir/ids.h"

namespace gw::v2fhir {

using fhir::JsonValue;

namespace {

struct SystemName {
  std::string_view name, uri;
};

// HL7 table 0396 names -> FHIR URIs (V2-to-FHIR IG code system map).
constexpr SystemName kCodingSystems[] = {
    {"LN", "http://loinc.org"},
    {"SCT", "http://snomed.info/sct"},
    {"SNM", "http://snomed.info/sct"},
    {"SNM3", "http://snomed.info/sct"},
    {"I10", "http://hl7.org/fhir/sid/icd-10"},
    {"I10C", "http://hl7.org/fhir/sid/icd-10-cm"},
    {"ICD10CM", "http://hl7.org/fhir/sid/icd-10-cm"},
    {"I10P", "http://www.cms.gov/Medicare/Coding/ICD10"},
    {"I9", "http://hl7.org/fhir/sid/icd-9"},
    {"I9C", "http://hl7.org/fhir/sid/icd-9-cm"},
    {"CVX", "http://hl7.org/fhir/sid/cvx"},
    {"MVX", "http://hl7.org/fhir/sid/mvx"},
    {"RXNORM", "http://www.nlm.nih.gov/research/umls/rxnorm"},
    {"UCUM", "http://unitsofmeasure.org"},
    {"NDC", "http://hl7.org/fhir/sid/ndc"},
    {"CPT", "http://www.ama-assn.org/go/cpt"},
    {"C4", "http://www.ama-assn.org/go/cpt"},
    {"CPT4", "http://www.ama-assn.org/go/cpt"},
    {"NCIT", "http://ncicb.nci.nih.gov/xml/owl/EVS/Thesaurus.owl"},
    {"CDCREC", "urn:oid:2.16.840.1.113883.6.238"},
    {"NUCCPID", "http://nucc.org/provider-taxonomy"},
    {"HCPCS", "urn:oid:2.16.840.1.113883.6.285"},
};

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

bool looks_like_oid(std::string_view s) {
  if (s.empty() || s.size() > 128 || s.front() == '.' || s.back() == '.') return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || c == '.')) return false;
  }
  return s.find("..") == std::string_view::npos;
}

const CodeTranslation* find_translation(const MappingConfig& config, std::string_view system,
                                        std::string_view code) {
  for (const CodeTranslation& t : config.code_translations) {
    if (t.from_system == system && t.from_code == code) return &t;
  }
  return nullptr;
}

// One CWE triplet -> Coding (pushed to `codings`), with translation/warnings.
void add_triplet(MappingContext& ctx, std::string_view code, std::string_view display,
                 std::string_view system_name, std::string_view version,
                 std::string_view default_table, const IssueLocation& loc, JsonValue& codings) {
  if (code.empty()) return;
  std::string name(system_name);
  if (name.empty() && !default_table.empty()) name = "HL7" + std::string(default_table);
  std::string uri = coding_system_uri(ctx, name);
  if (uri.empty() && !name.empty()) {
    const CodeTranslation* t = find_translation(ctx.config(), name, code);
    if (t != nullptr) {
      JsonValue c = make_coding(t->to_system, t->to_code, t->to_display);
      codings.push(std::move(c));
    } else if (is_local_coding_system(name)) {
      ctx.warning(loc, "local code without configured translation");
    } else {
      ctx.warning(loc, "unknown coding system");
    }
    uri = ctx.sender_urn() + ":codesystem:" + urn_escape(name);
  } else if (name.empty()) {
    ctx.warning(loc, "code without coding system");
  }
  JsonValue c = JsonValue::make_object();
  if (!uri.empty()) c.add("system", JsonValue::make_string(uri));
  if (!version.empty()) c.add("version", JsonValue::make_string(std::string(version)));
  c.add("code", JsonValue::make_string(std::string(code)));
  if (!display.empty()) c.add("display", JsonValue::make_string(std::string(display)));
  codings.push(std::move(c));
}

std::string trim_copy(const std::string& s) { return trim(s); }

}  // namespace

bool is_local_coding_system(std::string_view name) {
  return name == "L" || name == "LOCAL" || (name.size() >= 2 && name.substr(0, 2) == "99");
}

std::string coding_system_uri(const MappingContext& ctx, std::string_view name) {
  if (name.empty()) return {};
  auto it = ctx.config().coding_systems.find(std::string(name));
  if (it != ctx.config().coding_systems.end()) return it->second;
  std::string up = upper(name);
  for (const SystemName& s : kCodingSystems) {
    if (s.name == up) return std::string(s.uri);
  }
  // HL7nnnn (and HL7nnnnn for newer tables) -> v2-nnnn.
  if (up.size() >= 7 && up.compare(0, 3, "HL7") == 0 &&
      all_digits(std::string_view(up).substr(3))) {
    return "http://terminology.hl7.org/CodeSystem/v2-" + up.substr(3);
  }
  return {};
}

JsonValue make_coding(std::string_view system, std::string_view code, std::string_view display) {
  JsonValue c = JsonValue::make_object();
  if (!system.empty()) c.add("system", JsonValue::make_string(std::string(system)));
  c.add("code", JsonValue::make_string(std::string(code)));
  if (!display.empty()) c.add("display", JsonValue::make_string(std::string(display)));
  return c;
}

JsonValue make_concept(std::string_view system, std::string_view code, std::string_view display) {
  JsonValue cc = JsonValue::make_object();
  cc.add("coding", JsonValue::make_array()).push(make_coding(system, code, display));
  return cc;
}

JsonValue codeable_concept(MappingContext& ctx, const hl7::CWE& raw, const IssueLocation& loc,
                           std::string_view default_table) {
  hl7::CWE cwe{trim_copy(raw.identifier),
               trim_copy(raw.text),
               trim_copy(raw.coding_system),
               trim_copy(raw.alternate_identifier),
               trim_copy(raw.alternate_text),
               trim_copy(raw.alternate_coding_system),
               trim_copy(raw.coding_system_version),
               trim_copy(raw.alternate_coding_system_version),
               trim_copy(raw.original_text)};
  JsonValue codings = JsonValue::make_array();
  add_triplet(ctx, cwe.identifier, cwe.text, cwe.coding_system, cwe.coding_system_version,
              default_table, loc, codings);
  add_triplet(ctx, cwe.alternate_identifier, cwe.alternate_text, cwe.alternate_coding_system,
              cwe.alternate_coding_system_version, default_table, loc, codings);
  JsonValue cc = JsonValue::make_object();
  if (!codings.empty()) cc.add("coding", std::move(codings));
  if (!cwe.original_text.empty()) {
    cc.add("text", JsonValue::make_string(cwe.original_text));
  } else if (!cwe.text.empty()) {
    cc.add("text", JsonValue::make_string(cwe.text));
  } else if (cwe.identifier.empty() && !cwe.alternate_text.empty()) {
    cc.add("text", JsonValue::make_string(cwe.alternate_text));
  }
  if (cc.empty()) return {};
  return cc;
}

JsonValue unreadable_concept(MappingContext& ctx, const hl7::Element& e, const IssueLocation& loc) {
  ctx.warning(loc, "invalid coded value: kept as text");
  std::string text = trim(e.text_or_empty());
  if (text.empty()) return {};
  JsonValue cc = JsonValue::make_object();
  cc.add("text", JsonValue::make_string(std::move(text)));
  return cc;
}

JsonValue codeable_concept_field(MappingContext& ctx, const Seg& seg, int field, int rep,
                                 std::string_view default_table) {
  hl7::Element e = seg.at(field, rep);
  if (!e.has_value()) return {};
  auto cwe = hl7::read_cwe(e);
  IssueLocation loc = MappingContext::location(seg, field, 0, rep > 1 ? rep : 0);
  if (!cwe.ok()) return unreadable_concept(ctx, e, loc);
  return codeable_concept(ctx, *cwe, loc, default_table);
}

std::vector<JsonValue> codeable_concepts_field(MappingContext& ctx, const Seg& seg, int field,
                                               std::string_view default_table) {
  std::vector<JsonValue> out;
  int rep = 0;
  for (const hl7::Element& e : seg.field(field).children()) {
    ++rep;
    if (!e.has_value()) continue;
    IssueLocation loc = MappingContext::location(seg, field, 0, rep > 1 ? rep : 0);
    auto cwe = hl7::read_cwe(e);
    JsonValue cc = cwe.ok() ? codeable_concept(ctx, *cwe, loc, default_table)
                            : unreadable_concept(ctx, e, loc);
    if (!cc.empty()) out.push_back(std::move(cc));
  }
  return out;
}

// ---- Identifiers -------------------------------------------------------------

std::string identifier_system(MappingContext& ctx, const hl7::HD& raw, std::string_view type_code,
                              const IssueLocation& loc) {
  std::string ns = trim(raw.namespace_id), uid = trim(raw.universal_id),
              uid_type = trim(raw.universal_id_type);
  const auto& systems = ctx.config().identifier_systems;
  if (!ns.empty()) {
    auto it = systems.find(ns);
    if (it != systems.end()) return it->second;
  }
  if (!uid.empty()) {
    auto it = systems.find(uid);
    if (it != systems.end()) return it->second;
    if ((uid_type == "ISO" || uid_type.empty()) && looks_like_oid(uid)) return "urn:oid:" + uid;
    if (uid_type == "URI" && uid.find(':') != std::string::npos) return uid;
  }
  if (ns == "NPI" || (ns.empty() && uid.empty() && type_code == "NPI"))
    return "http://hl7.org/fhir/sid/us-npi";
  if (ns == "USSSA" || ns == "SSA" || (ns.empty() && uid.empty() && type_code == "SS")) {
    return "http://hl7.org/fhir/sid/us-ssn";
  }
  if (!ns.empty() || !uid.empty()) {
    ctx.warning(loc, "assigning authority without configured identifier system");
    return ctx.sender_urn() + ":authority:" + urn_escape(!ns.empty() ? ns : uid);
  }
  ctx.warning(loc, "identifier without assigning authority");
  if (!type_code.empty()) return ctx.sender_urn() + ":type:" + urn_escape(type_code);
  return ctx.sender_urn() + ":authority:unknown";
}

JsonValue identifier_from_cx(MappingContext& ctx, const hl7::CX& cx, const IssueLocation& loc) {
  std::string value = trim(cx.id);
  if (value.empty()) return {};
  std::string type = trim(cx.identifier_type);
  JsonValue id = JsonValue::make_object();
  if (!type.empty()) {
    id.add("type", make_concept("http://terminology.hl7.org/CodeSystem/v2-0203", type));
  }
  id.add("system",
         JsonValue::make_string(identifier_system(ctx, cx.assigning_authority, type, loc)));
  id.add("value", JsonValue::make_string(std::move(value)));
  return id;
}

std::vector<JsonValue> identifiers_field(MappingContext& ctx, const Seg& seg, int field) {
  std::vector<JsonValue> out;
  int rep = 0;
  for (const hl7::Element& e : seg.field(field).children()) {
    ++rep;
    if (!e.has_value()) continue;
    IssueLocation loc = MappingContext::location(seg, field, 0, rep > 1 ? rep : 0);
    auto cx = hl7::read_cx(e);
    if (!cx.ok()) {
      ctx.warning(loc, "invalid identifier: not mapped");
      continue;
    }
    JsonValue id = identifier_from_cx(ctx, *cx, loc);
    if (!id.empty()) out.push_back(std::move(id));
  }
  return out;
}

EI read_ei(const hl7::Element& e) {
  EI ei;
  ei.id = trim(e.part(1).text_or_empty());
  ei.authority.namespace_id = trim(e.part(2).text_or_empty());
  ei.authority.universal_id = trim(e.part(3).text_or_empty());
  ei.authority.universal_id_type = trim(e.part(4).text_or_empty());
  return ei;
}

JsonValue identifier_from_ei(MappingContext& ctx, const EI& ei, std::string_view type_code,
                             const IssueLocation& loc) {
  if (ei.id.empty()) return {};
  JsonValue id = JsonValue::make_object();
  if (!type_code.empty()) {
    id.add("type", make_concept("http://terminology.hl7.org/CodeSystem/v2-0203", type_code));
  }
  id.add("system", JsonValue::make_string(identifier_system(ctx, ei.authority, {}, loc)));
  id.add("value", JsonValue::make_string(ei.id));
  return id;
}

const char* administrative_gender(std::string_view sex) {
  if (sex == "F") return "female";
  if (sex == "M") return "male";
  if (sex == "O" || sex == "A" || sex == "N") return "other";
  if (sex == "U") return "unknown";
  return nullptr;
}

std::string code_key(const JsonValue& cc) {
  if (cc.empty()) return {};
  const JsonValue* codings = cc.find("coding");
  if (codings != nullptr && !codings->items().empty()) {
    const JsonValue& c = codings->items().front();
    const JsonValue* s = c.find("system");
    const JsonValue* k = c.find("code");
    return (s ? s->text() : std::string()) + "|" + (k ? k->text() : std::string());
  }
  const JsonValue* t = cc.find("text");
  return t ? "text|" + t->text() : std::string();
}

std::string identifier_key(const JsonValue& identifier) {
  const JsonValue* s = identifier.find("system");
  const JsonValue* v = identifier.find("value");
  if (s == nullptr || v == nullptr) return {};
  return s->text() + "|" + v->text();
}

}  // namespace gw::v2fhir
