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

JsonValue contact_point(const hl7::XTN& xtn, std::string_view default_use) {
  std::string use_code = trim(xtn.use_code), equipment = trim(xtn.equipment_type);
  std::string email = trim(xtn.email);
  JsonValue c = JsonValue::make_object();
  std::string value;
  const char* system = "phone";
  if (!email.empty() || use_code == "NET" || equipment == "Internet" || equipment == "X.400") {
    system = "email";
    value = !email.empty() ? email : trim(xtn.formatted);
  } else {
    if (equipment == "FX") system = "fax";
    if (equipment == "BP" || use_code == "BPN") system = "pager";
    std::string country = trim(xtn.country_code), area = trim(xtn.area_code),
                local = trim(xtn.local_number);
    if (!local.empty()) {
      // v2.5 components: "+<country> <area> <local>[ ext. <extension>]".
      if (!country.empty()) value += "+" + country + " ";
      if (!area.empty()) value += area + " ";
      value += local;
      std::string ext = trim(xtn.extension);
      if (!ext.empty()) value += " ext. " + ext;
    } else {
      value = trim(xtn.formatted);  // v2.3 style: XTN-1 holds the number
    }
  }
  if (value.empty()) return {};
  c.add("system", JsonValue::make_string(system));
  c.add("value", JsonValue::make_string(std::move(value)));
  // v2-0201 -> ContactPoint.use; equipment CP (cell phone) -> mobile.
  const char* use = nullptr;
  if (equipment == "CP" || use_code == "PRS") {
    use = "mobile";
  } else if (use_code == "PRN" || use_code == "VHN") {
    use = "home";
  } else if (use_code == "WPN") {
    use = "work";
  } else if (use_code == "ORN" || use_code == "EMR") {
    use = nullptr;
  } else if (!default_use.empty() && use_code.empty()) {
    c.add("use", JsonValue::make_string(std::string(default_use)));
  }
  if (use != nullptr) c.add("use", JsonValue::make_string(use));
  return c;
}

std::vector<JsonValue> human_names_field(MappingContext& ctx, const Seg& seg, int field) {
  std::vector<JsonValue> out;
  int rep = 0;
  for (const hl7::Element& e : seg.field(field).children()) {
    ++rep;
    if (!e.has_value()) continue;
    auto xpn = hl7::read_xpn(e);
    if (!xpn.ok()) {
      ctx.error(MappingContext::location(seg, field, 0, rep > 1 ? rep : 0), "invalid name");
      continue;
    }
    JsonValue n = human_name(*xpn);
    if (!n.empty()) out.push_back(std::move(n));
  }
  return out;
}

std::vector<JsonValue> addresses_field(MappingContext& ctx, const Seg& seg, int field) {
  std::vector<JsonValue> out;
  int rep = 0;
  for (const hl7::Element& e : seg.field(field).children()) {
    ++rep;
    if (!e.has_value()) continue;
    auto xad = hl7::read_xad(e);
    if (!xad.ok()) {
      ctx.error(MappingContext::location(seg, field, 0, rep > 1 ? rep : 0), "invalid address");
      continue;
    }
    JsonValue a = address(*xad);
    if (!a.empty()) out.push_back(std::move(a));
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
    auto xtn = hl7::read_xtn(e);
    if (!xtn.ok()) {
      ctx.error(MappingContext::location(seg, field, 0, rep > 1 ? rep : 0), "invalid telecom");
      continue;
    }
    JsonValue c = contact_point(*xtn, default_use);
    if (!c.empty()) out.push_back(std::move(c));
  }
  return out;
}

// ---- Practitioner / Organization entries ------------------------------------

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
  return ctx.add("Practitioner", key, std::move(p), "XCN");
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
  return ctx.add("Organization", key, std::move(o), "XON");
}

EntryRef organization_from_name(MappingContext& ctx, std::string_view raw_name,
                                std::string_view minted_segment) {
  std::string name = trim(raw_name);
  if (name.empty()) return kNoEntry;
  JsonValue o = JsonValue::make_object();
  o.add("resourceType", JsonValue::make_string("Organization"));
  o.add("name", JsonValue::make_string(name));
  return ctx.add("Organization", "name|" + name, std::move(o), minted_segment);
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
  return ctx.add("Organization", key, std::move(o), "HD");
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
