// Referral messages (REF^I12 patient referral, REF^I14 cancel patient
// referral): RF1 -> ServiceRequest (FHIR R4 ServiceRequest/ReferralRequest
// v2 mappings: identifier RF1-6/RF1-11, status RF1-1, priority RF1-2,
// category RF1-3, reason RF1-10, authoredOn RF1-7; requester the PRD with
// role RP, performer the PRD with role RT or CP), PRD -> Practitioner /
// Organization + PractitionerRole, CTD -> the contact of that PRD.
//
// In REF the RF1 and PRD come before the PID, so the ServiceRequest waits in
// the cursor (pending_referral) until the routed PID mapper gives it its
// subject (complete_referral).
#include <string>
#include <utility>

#include "adapters/v2fhir/adt.h"
#include "adapters/v2fhir/clinical.h"
#include "adapters/v2fhir/datatypes.h"
#include "adapters/v2fhir/finance.h"
#include "adapters/v2fhir/ids.h"

namespace gw::v2fhir {

using fhir::JsonValue;

namespace {

// v2-0283 referral status -> request-status.
const char* referral_status(std::string_view s) {
  if (s == "A" || s == "P") return "active";  // accepted, pending
  if (s == "R") return "revoked";             // rejected
  if (s == "E") return "completed";           // expired: no longer actionable
  return nullptr;
}

// v2-0280 referral priority -> request-priority.
const char* referral_priority(std::string_view p) {
  if (p == "S") return "stat";
  if (p == "A") return "asap";
  if (p == "R") return "routine";
  return nullptr;
}

// The referral being built: the one waiting for its PID, else the mapped one.
JsonValue* current_referral(MappingContext& ctx) {
  if (!ctx.cursor.pending_referral.is_null()) return &ctx.cursor.pending_referral;
  if (ctx.cursor.referral != kNoEntry) return &ctx.resource(ctx.cursor.referral);
  return nullptr;
}

// PRD-7 (PLN: id ^ type ^ state ^ expiration) -> Identifiers.
std::vector<JsonValue> provider_identifiers(MappingContext& ctx, const Seg& seg) {
  std::vector<JsonValue> out;
  int rep = 0;
  for (const hl7::Element& e : seg.field(7).children()) {
    ++rep;
    std::string id = trim(e.part(1).text_or_empty());
    if (id.empty()) continue;
    hl7::HD authority;
    authority.namespace_id = trim(e.part(2).text_or_empty());
    IssueLocation loc = MappingContext::location(seg, 7, 0, rep > 1 ? rep : 0);
    JsonValue identifier = JsonValue::make_object();
    identifier.add("system", JsonValue::make_string(identifier_system(ctx, authority, "", loc)));
    identifier.add("value", JsonValue::make_string(id));
    out.push_back(std::move(identifier));
  }
  return out;
}

}  // namespace

namespace {
void rf1(MappingContext& ctx, const Seg& seg) {
  JsonValue sr = JsonValue::make_object();
  sr.add("resourceType", JsonValue::make_string("ServiceRequest"));
  std::vector<JsonValue> ids;
  IssueLocation loc6 = MappingContext::location(seg, 6);
  JsonValue originating = identifier_from_ei(ctx, read_ei(seg.at(6, 1)), "PLAC", loc6);
  if (!originating.empty()) ids.push_back(std::move(originating));
  int rep = 0;
  for (const hl7::Element& e : seg.field(11).children()) {
    ++rep;
    JsonValue external = identifier_from_ei(
        ctx, read_ei(e), "FILL", MappingContext::location(seg, 11, 0, rep > 1 ? rep : 0));
    if (!external.empty()) ids.push_back(std::move(external));
  }
  std::string key;
  if (!ids.empty()) {
    key = identifier_key(ids.front());
  } else {
    ctx.warning(MappingContext::location(seg, 6), "referral without identifier");
    key = "rf1|" + trim(ctx.message().header().control_id);
  }
  append_all(sr, "identifier", std::move(ids));
  std::string status_code = seg.text(1, 1);
  const char* status = referral_status(status_code);
  if (ctx.trigger_event() == "I14") status = "revoked";  // cancel patient referral
  if (status == nullptr) {
    if (!status_code.empty()) {
      ctx.warning(MappingContext::location(seg, 1), "referral status not mapped");
    }
    status = "unknown";
  }
  sr.add("status", JsonValue::make_string(status));
  sr.add("intent", JsonValue::make_string("order"));
  JsonValue& categories = sr.add("category", JsonValue::make_array());
  categories.push(make_concept("http://snomed.info/sct", "3457005", "Patient referral"));
  JsonValue type = codeable_concept_field(ctx, seg, 3, 1, "0281");
  if (!type.empty()) categories.push(std::move(type));
  JsonValue category = codeable_concept_field(ctx, seg, 5, 1, "0284");
  if (!category.empty()) categories.push(std::move(category));
  std::string priority = seg.text(2, 1);
  if (const char* p = referral_priority(priority)) {
    sr.add("priority", JsonValue::make_string(p));
  } else if (!priority.empty()) {
    ctx.warning(MappingContext::location(seg, 2), "referral priority not mapped");
  }
  append_all(sr, "orderDetail", codeable_concepts_field(ctx, seg, 4, "0282"));
  std::string effective = time_field(ctx, seg, 7, TimeKind::kDateTime);
  if (!effective.empty()) sr.add("authoredOn", JsonValue::make_string(effective));
  std::string expires = time_field(ctx, seg, 8, TimeKind::kDateTime);
  if (!expires.empty()) {
    JsonValue period = JsonValue::make_object();
    if (!effective.empty()) period.add("start", JsonValue::make_string(effective));
    period.add("end", JsonValue::make_string(expires));
    sr.add("occurrencePeriod", std::move(period));
  }
  append_all(sr, "reasonCode", codeable_concepts_field(ctx, seg, 10, "0336"));
  if (ctx.cursor.patient != kNoEntry) {
    complete_referral(ctx, std::move(sr), key);  // an RF1 after its PID
    return;
  }
  ctx.cursor.pending_referral = std::move(sr);
  ctx.cursor.pending_referral_key = std::move(key);
}
}  // namespace

void map_rf1(MappingContext& ctx, const Seg& seg) { map_leniently(ctx, seg, rf1); }

void complete_referral(MappingContext& ctx, JsonValue pending, const std::string& key) {
  pending.add("subject", ctx.reference(ctx.cursor.patient));
  EntryRef ref = ctx.add("ServiceRequest", key, std::move(pending));
  ctx.add_focus(ref);
  ctx.cursor.referral = ref;
}

namespace {
void prd(MappingContext& ctx, const Seg& seg) {
  IssueLocation loc = MappingContext::location(seg);
  JsonValue role_code = codeable_concept_field(ctx, seg, 1, 1, "0286");
  std::string role = seg.text(1, 1);
  // The provider: a Practitioner when named or identified, and/or the
  // organization of PRD-10 (v2.7+).
  EntryRef practitioner = kNoEntry;
  std::vector<JsonValue> names = human_names_field(ctx, seg, 2);
  std::vector<JsonValue> ids = provider_identifiers(ctx, seg);
  std::vector<JsonValue> addresses = addresses_field(ctx, seg, 3);
  std::vector<JsonValue> telecom = contact_points_field(ctx, seg, 5, "work");
  EntryRef organization =
      organization_from_xon(ctx, seg.at(10, 1), MappingContext::location(seg, 10));
  if (!names.empty() || !ids.empty()) {
    JsonValue p = JsonValue::make_object();
    p.add("resourceType", JsonValue::make_string("Practitioner"));
    std::string key =
        !ids.empty() ? identifier_key(ids.front()) : "name|" + std::string(seg.field(2).raw());
    append_all(p, "identifier", std::move(ids));
    append_all(p, "name", std::move(names));
    append_all(p, "telecom", std::move(telecom));
    append_all(p, "address", std::move(addresses));
    practitioner = ctx.add("Practitioner", key, std::move(p));
  } else if (organization != kNoEntry) {
    JsonValue& o = ctx.resource(organization);
    if (o.find("telecom") == nullptr) append_all(o, "telecom", std::move(telecom));
    if (o.find("address") == nullptr) append_all(o, "address", std::move(addresses));
  } else {
    ctx.warning(loc, "provider without name, identifier or organization not mapped");
    return;
  }
  EntryRef location = location_from_pl_field(ctx, seg, 4);
  std::string start = time_field(ctx, seg, 8, TimeKind::kDateTime);
  std::string end = time_field(ctx, seg, 9, TimeKind::kDateTime);
  // PractitionerRole: who, for which organization, in which role.
  JsonValue pr = JsonValue::make_object();
  pr.add("resourceType", JsonValue::make_string("PractitionerRole"));
  std::string key = "prd|";
  if (practitioner != kNoEntry) {
    pr.add("practitioner", ctx.reference(practitioner));
    key += ctx.entry(practitioner).id;
  }
  key += "|";
  if (organization != kNoEntry) {
    pr.add("organization", ctx.reference(organization));
    key += ctx.entry(organization).id;
  }
  key += "|" + role;
  if (!role_code.empty()) pr.add("code", JsonValue::make_array()).push(std::move(role_code));
  if (JsonValue period = period_of(start, end); !period.empty())
    pr.add("period", std::move(period));
  if (location != kNoEntry) {
    pr.add("location", JsonValue::make_array()).push(ctx.reference(location));
  }
  EntryRef role_ref = ctx.add("PractitionerRole", key, std::move(pr));
  ctx.cursor.provider_role = role_ref;
  ctx.cursor.provider_organization = organization;

  JsonValue* sr = current_referral(ctx);
  if (sr == nullptr) {
    ctx.warning(loc, "provider without a referral not linked");
    return;
  }
  // v2-0286: RP referring provider -> requester; RT referred to, CP
  // consulting provider -> performer; others (PP ...) are supporting info.
  if (role == "RP" && sr->find("requester") == nullptr) {
    sr->add("requester", ctx.reference(role_ref));
  } else {
    const char* element = role == "RT" || role == "CP" ? "performer" : "supportingInfo";
    JsonValue* arr = sr->find_mutable(element);
    if (arr == nullptr) arr = &sr->add(element, JsonValue::make_array());
    arr->push(ctx.reference(role_ref));
  }
}
}  // namespace

void map_prd(MappingContext& ctx, const Seg& seg) { map_leniently(ctx, seg, prd); }

namespace {
void ctd(MappingContext& ctx, const Seg& seg) {
  // The contact person of the provider (PRD) before it: an Organization
  // contact when the provider has an organization, else only the contact's
  // telecom on the PractitionerRole.
  if (ctx.cursor.provider_role == kNoEntry) {
    ctx.warning(MappingContext::location(seg), "contact without a provider not mapped");
    return;
  }
  std::vector<JsonValue> telecom = contact_points_field(ctx, seg, 5, "work");
  if (ctx.cursor.provider_organization == kNoEntry) {
    append_all(ctx.resource(ctx.cursor.provider_role), "telecom", std::move(telecom));
    for (int f : {1, 2, 3}) {
      if (!seg.field(f).empty()) {
        ctx.warning(MappingContext::location(seg, f),
                    "contact of a provider without organization: field not mapped");
      }
    }
    return;
  }
  JsonValue contact = JsonValue::make_object();
  JsonValue purpose = codeable_concept_field(ctx, seg, 1, 1, "0131");
  if (!purpose.empty()) contact.add("purpose", std::move(purpose));
  std::vector<JsonValue> names = human_names_field(ctx, seg, 2);
  if (!names.empty()) contact.add("name", std::move(names.front()));
  append_all(contact, "telecom", std::move(telecom));
  std::vector<JsonValue> addresses = addresses_field(ctx, seg, 3);
  if (!addresses.empty()) contact.add("address", std::move(addresses.front()));
  if (contact.empty()) return;
  JsonValue& org = ctx.resource(ctx.cursor.provider_organization);
  JsonValue* arr = org.find_mutable("contact");
  if (arr == nullptr) arr = &org.add("contact", JsonValue::make_array());
  arr->push(std::move(contact));
}
}  // namespace

void map_ctd(MappingContext& ctx, const Seg& seg) { map_leniently(ctx, seg, ctd); }

}  // namespace gw::v2fhir
