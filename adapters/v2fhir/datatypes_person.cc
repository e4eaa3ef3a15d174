// Names, addresses, telecom, practitioners and organizations.
#include <utility>

#include "adapters/v2fhir/datatypes.h"

namespace gw::v2fhir {

using fhir::JsonValue;

namespace {

void add_string(JsonValue& obj, const char* key, const std::string& raw) {
  std::string v = trim(raw);
  if (!v.empty()) obj.add(key, JsonValue::make_string(std::move(v)));
}

void push_string(JsonValue& obj, const char* key, const std::string& raw) {
  std::string v = trim(raw);
  if (v.empty()) return;
  JsonValue* arr = obj.find_mutable(key);
  if (arr == nullptr) arr = &obj.add(key, JsonValue::make_array());
  arr->push(JsonValue::make_string(std::move(v)));
}

// v2-0200 name type -> HumanName.use (IG ConceptMap, codes without a
// counterpart are left without use).
const char* name_use(std::string_view t) {
  if (t == "L" || t == "R" || t == "C") return "official";
  if (t == "D" || t == "A" || t == "T") return "usual";
  if (t == "M") return "maiden";
  if (t == "N") return "nickname";
  if (t == "S") return "anonymous";
  if (t == "B" || t == "BAD") return "old";
  if (t == "TEMP") return "temp";
  return nullptr;
}

JsonValue string_extension(const char* url, const std::string& value) {
  JsonValue e = JsonValue::make_object();
  e.add("url", JsonValue::make_string(url));
  e.add("valueString", JsonValue::make_string(value));
  return e;
}

// Period from two DTM elements (either may be empty); null when both are.
JsonValue validity_period(MappingContext& ctx, const hl7::Element& start, const hl7::Element& end,
                          const IssueLocation& loc) {
  JsonValue p = JsonValue::make_object();
  for (const auto& [el, key] : {std::pair{&start, "start"}, std::pair{&end, "end"}}) {
    if (!el->has_value()) continue;
    auto ts = hl7::read_timestamp(*el);
    if (!ts.ok()) {
      ctx.warning(loc, "validity date is not a timestamp");
      continue;
    }
    std::string t = fhir_time(ctx, *ts, TimeKind::kDateTime, loc);
    if (!t.empty()) p.add(key, JsonValue::make_string(std::move(t)));
  }
  if (p.empty()) return {};
  return p;
}

// XAD-1 street address (SAD): 1.1 street or mailing address, 1.2 street
// name, 1.3 dwelling number. The line is 1.1 (or "1.3 1.2" when only the
// parts are sent); the parts go in the ISO 21090 ADXP extensions of the line.
void add_street_parts(JsonValue& address, const hl7::Element& sad) {
  std::string name = trim(sad.part(2).text_or_empty()), number = trim(sad.part(3).text_or_empty());
  if (name.empty() && number.empty()) return;
  JsonValue* lines = address.find_mutable("line");
  if (lines == nullptr) {
    lines = &address.add("line", JsonValue::make_array());
    lines->push(JsonValue::make_string(trim(number + " " + name)));
  }
  JsonValue ext = JsonValue::make_array();
  const char* base = "http://hl7.org/fhir/StructureDefinition/iso21090-ADXP-";
  if (!name.empty()) ext.push(string_extension((std::string(base) + "streetName").c_str(), name));
  if (!number.empty())
    ext.push(string_extension((std::string(base) + "houseNumber").c_str(), number));
  JsonValue extended = JsonValue::make_object();
  extended.add("extension", std::move(ext));
  // Extensions of the first line live in "_line"[0].
  JsonValue underscore = JsonValue::make_array();
  underscore.push(std::move(extended));
  for (size_t i = 1; i < lines->items().size(); ++i) underscore.push(JsonValue());
  address.add("_line", std::move(underscore));
}

}  // namespace

JsonValue human_name(const hl7::XPN& xpn) {
  JsonValue n = JsonValue::make_object();
  std::string type = trim(xpn.name_type);
  if (const char* use = name_use(type)) n.add("use", JsonValue::make_string(use));
  add_string(n, "family", xpn.family);
  push_string(n, "given", xpn.given);
  push_string(n, "given", xpn.middle);
  push_string(n, "prefix", xpn.prefix);
  push_string(n, "suffix", xpn.suffix);
  push_string(n, "suffix", xpn.degree);
  if (n.find("family") == nullptr && n.find("given") == nullptr && n.find("prefix") == nullptr &&
      n.find("suffix") == nullptr) {
    return {};
  }
  return n;
}

JsonValue address(const hl7::XAD& xad) {
  JsonValue a = JsonValue::make_object();
  std::string type = trim(xad.address_type);
  // v2-0190 -> Address.use / Address.type.
  if (type == "H" || type == "RH" || type == "L") {
    a.add("use", JsonValue::make_string("home"));
  } else if (type == "B" || type == "O") {
    a.add("use", JsonValue::make_string("work"));
  } else if (type == "C") {
    a.add("use", JsonValue::make_string("temp"));
  } else if (type == "BA") {
    a.add("use", JsonValue::make_string("billing"));
  } else if (type == "BDL" || type == "BR" || type == "OLD") {
    a.add("use", JsonValue::make_string("old"));
  } else if (type == "M") {
    a.add("type", JsonValue::make_string("postal"));
  } else if (type == "SH") {
    a.add("type", JsonValue::make_string("physical"));
  }
  push_string(a, "line", xad.street);
  push_string(a, "line", xad.other_designation);
  add_string(a, "city", xad.city);
  add_string(a, "district", xad.county);
  add_string(a, "state", xad.state);
  add_string(a, "postalCode", xad.postal_code);
  add_string(a, "country", xad.country);
  if (a.find("line") == nullptr && a.find("city") == nullptr && a.find("district") == nullptr &&
      a.find("state") == nullptr && a.find("postalCode") == nullptr &&
      a.find("country") == nullptr) {
    return {};
  }
  return a;
}

namespace {

// v2-0202 telecommunication equipment type -> ContactPoint.system (IG
// ConceptMap): Internet and X.400 are email, FX fax, BP pager, TDD/TTY and
// MD other; PH and CP are phones (CP also makes the use "mobile").
const char* equipment_system(std::string_view equipment) {
  if (equipment == "Internet" || equipment == "X.400") return "email";
  if (equipment == "FX") return "fax";
  if (equipment == "BP") return "pager";
  if (equipment == "TDD" || equipment == "TTY" || equipment == "MD") return "other";
  return nullptr;
}

// v2-0201 telecommunication use code -> ContactPoint.use.
const char* use_of(std::string_view use_code, std::string_view equipment) {
  if (equipment == "CP" || use_code == "PRS") return "mobile";
  if (use_code == "PRN" || use_code == "VHN") return "home";
  if (use_code == "WPN") return "work";
  return nullptr;
}

}  // namespace

JsonValue contact_point(const hl7::XTN& xtn, std::string_view default_use) {
  std::string use_code = trim(xtn.use_code), equipment = trim(xtn.equipment_type);
  std::string email = trim(xtn.email);
  JsonValue c = JsonValue::make_object();
  std::string value;
  const char* system = equipment_system(equipment);
  if (!email.empty() || use_code == "NET") system = "email";
  if (use_code == "BPN" && system == nullptr) system = "pager";
  JsonValue parts = JsonValue::make_array();  // the number's components, as sent
  if (system != nullptr && std::string_view(system) == "email") {
    value = !email.empty() ? email : trim(xtn.formatted);
  } else {
    if (system == nullptr) system = "phone";
    std::string country = trim(xtn.country_code), area = trim(xtn.area_code),
                local = trim(xtn.local_number), ext = trim(xtn.extension);
    if (!local.empty()) {
      // "+<country> <area> <local>[ ext. <extension>]", and each component
      // in the core contactpoint-* extensions so nothing depends on parsing
      // the text back.
      if (!country.empty()) value += "+" + country + " ";
      if (!area.empty()) value += area + " ";
      value += local;
      if (!ext.empty()) value += " ext. " + ext;
      const char* base = "http://hl7.org/fhir/StructureDefinition/contactpoint-";
      if (!country.empty())
        parts.push(string_extension((std::string(base) + "country").c_str(), country));
      if (!area.empty()) parts.push(string_extension((std::string(base) + "area").c_str(), area));
      parts.push(string_extension((std::string(base) + "local").c_str(), local));
      if (!ext.empty())
        parts.push(string_extension((std::string(base) + "extension").c_str(), ext));
    } else {
      value = trim(xtn.formatted);  // v2.3 style: XTN-1 holds the number
    }
  }
  if (value.empty()) return {};
  if (!parts.empty()) c.add("extension", std::move(parts));
  c.add("system", JsonValue::make_string(system));
  c.add("value", JsonValue::make_string(std::move(value)));
  if (const char* use = use_of(use_code, equipment)) {
    c.add("use", JsonValue::make_string(use));
  } else if (!default_use.empty() && use_code.empty()) {
    c.add("use", JsonValue::make_string(std::string(default_use)));
  }
  return c;
}

std::vector<JsonValue> human_names_field(MappingContext& ctx, const Seg& seg, int field) {
  std::vector<JsonValue> out;
  int rep = 0;
  for (const hl7::Element& e : seg.field(field).children()) {
    ++rep;
    if (!e.has_value()) continue;
    IssueLocation loc = MappingContext::location(seg, field, 0, rep > 1 ? rep : 0);
    auto xpn = hl7::read_xpn(e);
    if (!xpn.ok()) {
      ctx.warning(loc, "invalid name: kept as text");
      JsonValue n = JsonValue::make_object();
      add_string(n, "text", std::string(e.raw()));
      if (!n.empty()) out.push_back(std::move(n));
      continue;
    }
    JsonValue n = human_name(*xpn);
    if (n.empty()) continue;
    // XPN-10 validity range (start & end), else XPN-12 effective and XPN-13
    // expiration (v2.5+).
    JsonValue period = validity_period(ctx, e.part(10).part(1), e.part(10).part(2), loc);
    if (period.empty()) period = validity_period(ctx, e.part(12), e.part(13), loc);
    if (!period.empty()) n.add("period", std::move(period));
    out.push_back(std::move(n));
  }
  return out;
}

std::vector<JsonValue> addresses_field(MappingContext& ctx, const Seg& seg, int field) {
  std::vector<JsonValue> out;
  int rep = 0;
  for (const hl7::Element& e : seg.field(field).children()) {
    ++rep;
    if (!e.has_value()) continue;
    IssueLocation loc = MappingContext::location(seg, field, 0, rep > 1 ? rep : 0);
    auto xad = hl7::read_xad(e);
    if (!xad.ok()) {
      ctx.warning(loc, "invalid address: kept as text");
      JsonValue a = JsonValue::make_object();
      add_string(a, "text", std::string(e.raw()));
      if (!a.empty()) out.push_back(std::move(a));
      continue;
    }
    JsonValue a = address(*xad);
    if (a.empty()) continue;
    add_street_parts(a, e.part(1));
    // XAD-12 validity range, else XAD-13 effective and XAD-14 expiration.
    JsonValue period = validity_period(ctx, e.part(12).part(1), e.part(12).part(2), loc);
    if (period.empty()) period = validity_period(ctx, e.part(13), e.part(14), loc);
    if (!period.empty()) a.add("period", std::move(period));
    out.push_back(std::move(a));
  }
  return out;
}

std::vector<JsonValue> contact_points_field(MappingContext& ctx, const Seg& seg, int field,
                                            std::string_view default_use) {
  std::vector<JsonValue> out;
  int rep = 0;
  for (const hl7::Element& e : seg.field(field).children()) {
    ++rep;
    if (!e.has_value()) continue;
    IssueLocation loc = MappingContext::location(seg, field, 0, rep > 1 ? rep : 0);
    auto xtn = hl7::read_xtn(e);
    if (!xtn.ok()) {
      ctx.warning(loc, "invalid telecom: kept as text");
      std::string raw = trim(e.raw());
      if (raw.empty()) continue;
      JsonValue c = JsonValue::make_object();
      c.add("system", JsonValue::make_string("other"));
      c.add("value", JsonValue::make_string(raw));
      out.push_back(std::move(c));
      continue;
    }
    JsonValue c = contact_point(*xtn, default_use);
    if (c.empty()) continue;
    // XTN-13 start and XTN-14 expiration; XTN-18 preference order -> rank.
    JsonValue period = validity_period(ctx, e.part(13), e.part(14), loc);
    if (!period.empty()) c.add("period", std::move(period));
    std::string rank = trim(e.part(18).text_or_empty());
    if (!rank.empty()) {
      if (rank.size() <= 6 && rank.find_first_not_of("0123456789") == std::string::npos &&
          rank != "0" && rank[0] != '0') {
        c.add("rank", JsonValue::make_number(rank));
      } else {
        ctx.warning(loc, "telecom preference order is not a positive integer");
      }
    }
    out.push_back(std::move(c));
  }
  return out;
}

// ---- Practitioner / Organization entries ------------------------------------

std::vector<EntryRef> practitioner_entries(MappingContext& ctx, const Seg& seg, int field) {
  std::vector<EntryRef> out;
  int rep = 0;
  for (const hl7::Element& e : seg.field(field).children()) {
    ++rep;
    EntryRef pr =
        practitioner_from_xcn(ctx, e, MappingContext::location(seg, field, 0, rep > 1 ? rep : 0));
    if (pr != kNoEntry) out.push_back(pr);
  }
  return out;
}

EntryRef practitioner_from_xcn(MappingContext& ctx, const hl7::Element& xcn,
                               const IssueLocation& loc) {
  if (!xcn.has_value()) return kNoEntry;
  std::string id = trim(xcn.part(1).text_or_empty());
  hl7::HD authority{trim(xcn.part(9).part(1).text_or_empty()),
                    trim(xcn.part(9).part(2).text_or_empty()),
                    trim(xcn.part(9).part(3).text_or_empty())};
  std::string type_code = trim(xcn.part(13).text_or_empty());
  std::string system;
  if (!id.empty()) {
    system = identifier_system(ctx, authority, type_code, loc);
    // Named before in this message (attending = admitting...): reuse it.
    EntryRef seen = ctx.find("Practitioner", system + "|" + id);
    if (seen != kNoEntry) return seen;
  }
  hl7::XPN xpn;
  xpn.family = xcn.part(2).part(1).text_or_empty();
  xpn.given = xcn.part(3).text_or_empty();
  xpn.middle = xcn.part(4).text_or_empty();
  xpn.suffix = xcn.part(5).text_or_empty();
  xpn.prefix = xcn.part(6).text_or_empty();
  xpn.degree = xcn.part(7).text_or_empty();
  JsonValue name = human_name(xpn);
  if (id.empty() && name.empty()) return kNoEntry;
  JsonValue p = JsonValue::make_object();
  p.add("resourceType", JsonValue::make_string("Practitioner"));
  std::string key;
  if (!id.empty()) {
    JsonValue identifier = JsonValue::make_object();
    if (!type_code.empty()) {
      identifier.add("type",
                     make_concept("http://terminology.hl7.org/CodeSystem/v2-0203", type_code));
    }
    identifier.add("system", JsonValue::make_string(system));
    identifier.add("value", JsonValue::make_string(id));
    key = system + "|" + id;
    p.add("identifier", JsonValue::make_array()).push(std::move(identifier));
  } else {
    // No id: the name is the only key we have (hashed, never shown).
    key = "name|" + xpn.family + "|" + xpn.given + "|" + xpn.middle + "|" + xpn.prefix;
  }
  if (!name.empty()) p.add("name", JsonValue::make_array()).push(std::move(name));
  return ctx.add("Practitioner", key, std::move(p));
}

EntryRef organization_from_xon(MappingContext& ctx, const hl7::Element& xon,
                               const IssueLocation& loc) {
  if (!xon.has_value()) return kNoEntry;
  std::string name = trim(xon.part(1).text_or_empty());
  std::string id = trim(xon.part(10).text_or_empty());
  if (id.empty()) id = trim(xon.part(3).text_or_empty());
  if (id.empty() && name.empty()) return kNoEntry;
  JsonValue o = JsonValue::make_object();
  o.add("resourceType", JsonValue::make_string("Organization"));
  std::string key;
  if (!id.empty()) {
    hl7::CX cx;
    cx.id = id;
    cx.assigning_authority = {trim(xon.part(6).part(1).text_or_empty()),
                              trim(xon.part(6).part(2).text_or_empty()),
                              trim(xon.part(6).part(3).text_or_empty())};
    cx.identifier_type = trim(xon.part(7).text_or_empty());
    JsonValue identifier = identifier_from_cx(ctx, cx, loc);
    key = identifier_key(identifier);
    o.add("identifier", JsonValue::make_array()).push(std::move(identifier));
  } else {
    key = "name|" + name;
  }
  if (!name.empty()) o.add("name", JsonValue::make_string(name));
  return ctx.add("Organization", key, std::move(o));
}

EntryRef organization_from_name(MappingContext& ctx, std::string_view raw_name) {
  std::string name = trim(raw_name);
  if (name.empty()) return kNoEntry;
  JsonValue o = JsonValue::make_object();
  o.add("resourceType", JsonValue::make_string("Organization"));
  o.add("name", JsonValue::make_string(name));
  return ctx.add("Organization", "name|" + name, std::move(o));
}

EntryRef organization_from_hd(MappingContext& ctx, const hl7::HD& hd, const IssueLocation& loc) {
  std::string ns = trim(hd.namespace_id), uid = trim(hd.universal_id);
  if (ns.empty() && uid.empty()) return kNoEntry;
  JsonValue o = JsonValue::make_object();
  o.add("resourceType", JsonValue::make_string("Organization"));
  std::string key;
  if (!uid.empty()) {
    JsonValue identifier = JsonValue::make_object();
    std::string system =
        trim(hd.universal_id_type) == "ISO" ? "urn:ietf:rfc:3986" : ctx.sender_urn() + ":HD";
    std::string value = trim(hd.universal_id_type) == "ISO" ? "urn:oid:" + uid : uid;
    identifier.add("system", JsonValue::make_string(system));
    identifier.add("value", JsonValue::make_string(value));
    key = identifier_key(identifier);
    o.add("identifier", JsonValue::make_array()).push(std::move(identifier));
  } else {
    key = "name|" + ns;
  }
  if (!ns.empty()) o.add("name", JsonValue::make_string(ns));
  return ctx.add("Organization", key, std::move(o));
}

void add_note(JsonValue& resource, std::string text) {
  if (text.empty()) return;
  JsonValue* notes = resource.find_mutable("note");
  if (notes == nullptr) notes = &resource.add("note", JsonValue::make_array());
  JsonValue a = JsonValue::make_object();
  a.add("text", JsonValue::make_string(std::move(text)));
  notes->push(std::move(a));
}

}  // namespace gw::v2fhir

namespace gw::v2fhir {

fhir::JsonValue data_absent_element(std::string_view reason) {
  fhir::JsonValue ext = fhir::JsonValue::make_object();
  ext.add("url", fhir::JsonValue::make_string(
                     "http://hl7.org/fhir/StructureDefinition/data-absent-reason"));
  ext.add("valueCode", fhir::JsonValue::make_string(std::string(reason)));
  fhir::JsonValue out = fhir::JsonValue::make_object();
  out.add("extension", fhir::JsonValue::make_array()).push(std::move(ext));
  return out;
}

}  // namespace gw::v2fhir
