// Consent.provision: a permit (grants, with nested denies as excluded labels)
// or a deny (per member and purpose). README.md in this folder lists every
// accepted form.
#include "gateway/consent/consent_provision.h"

#include <algorithm>
#include <bit>
#include <utility>

#include "gateway/consent/consent_scope.h"

namespace gw::consent::internal {
namespace {

using ledger::consortium::purpose_bit;

constexpr std::string_view kParticipationType =
    "http://terminology.hl7.org/CodeSystem/v3-ParticipationType";
constexpr std::string_view kActReason = "http://terminology.hl7.org/CodeSystem/v3-ActReason";
constexpr std::string_view kConsentAction = "http://terminology.hl7.org/CodeSystem/consentaction";

// The purposes a member may be granted records for; a deny may name any assigned
// purpose, since denying more only narrows.
constexpr Purpose kGrantPurposes[] = {Purpose::kTreat,   Purpose::kEtreat, Purpose::kHpaymt,
                                      Purpose::kHoperat, Purpose::kHresch, Purpose::kPubhlth,
                                      Purpose::kPatrqt,  Purpose::kCoc};
constexpr uint32_t kEveryPurpose = 0xFFFFFFFFu;  // the reserved codes too: "every purpose"

constexpr std::string_view kProvisionElements[] = {
    "id",     "extension",     "modifierExtension", "type",  "period", "actor",
    "action", "securityLabel", "purpose",           "class", "code",   "dataPeriod",
    "data",   "provision"};

Check check_actions(const JsonValue& provision, const std::string& path) {
  const JsonValue* v = provision.find("action");
  if (v == nullptr) return std::nullopt;
  const std::string apath = child(path, "action");
  GW_CONSENT_CHECK(check_array(*v, apath, kMaxCodings, "actions"));
  for (size_t i = 0; i < v->items().size(); ++i) {
    const std::string ipath = item(apath, i);
    GW_ASSIGN_OR_RETURN(std::vector<CodingView> codings, read_concept(v->items()[i], ipath));
    bool known = false, other = false;
    for (const CodingView& c : codings) {
      if (c.system != kConsentAction) continue;
      (c.code == "access" || c.code == "disclose" || c.code == "use" ? known : other) = true;
    }
    if (!known || other) {
      return not_expressible(ipath,
                             "the ledger controls disclosure only: action may be access, "
                             "disclose or use of http://terminology.hl7.org/CodeSystem/"
                             "consentaction");
    }
  }
  return std::nullopt;
}

// The member accounts of actor[], sorted and without repeats.
ConsentResult<std::vector<Address>> read_actors(const JsonValue& actors, const std::string& path,
                                                const MemberResolver& resolve, bool for_grant) {
  GW_CONSENT_CHECK(check_array(actors, path, kMaxActors, "actors"));
  std::vector<Address> out;
  for (size_t i = 0; i < actors.items().size(); ++i) {
    const JsonValue& actor = actors.items()[i];
    const std::string apath = item(path, i);
    GW_CONSENT_CHECK(
        check_object(actor, apath, {"id", "extension", "modifierExtension", "role", "reference"}));
    const JsonValue* role = actor.find("role");
    const JsonValue* ref = actor.find("reference");
    if (role == nullptr || ref == nullptr) return invalid(apath, "role and reference are required");
    const std::string rpath = child(apath, "role");
    GW_ASSIGN_OR_RETURN(std::vector<CodingView> roles, read_concept(*role, rpath));
    bool recipient = false, other = false;
    for (const CodingView& c : roles) {
      if (c.system != kParticipationType) continue;
      (c.code == "IRCP" || c.code == "PRCP" ? recipient : other) = true;
    }
    if (!recipient || other) {
      return not_expressible(rpath,
                             "the ledger names recipients only: role IRCP or PRCP of "
                             "http://terminology.hl7.org/CodeSystem/v3-ParticipationType");
    }
    const std::string refpath = child(apath, "reference");
    GW_ASSIGN_OR_RETURN(ReferenceView r, read_reference(*ref, refpath));
    if (!r.type.empty() && r.type != "Organization") {
      return not_expressible(child(refpath, "type"), "actors are member organizations");
    }
    if (!r.reference.empty() || !r.identifier) {
      return not_expressible(refpath,
                             "give the organization by identifier only (its consortium "
                             "org_id); a literal reference is not resolved to a member");
    }
    const std::optional<Member> m = resolve(r.identifier->system, r.identifier->value);
    if (!m || m->account == Address{}) {
      return not_expressible(child(refpath, "identifier"), "no consortium member has this org_id");
    }
    if (for_grant && !m->active) {
      return not_expressible(child(refpath, "identifier"),
                             "this member is not active; grants need an active member");
    }
    out.push_back(m->account);
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

ConsentResult<uint32_t> read_purposes(const JsonValue& purposes, const std::string& path,
                                      bool for_grant) {
  GW_CONSENT_CHECK(check_array(purposes, path, kMaxPurposes, "purposes"));
  uint32_t mask = 0;
  for (size_t i = 0; i < purposes.items().size(); ++i) {
    const std::string ipath = item(path, i);
    GW_ASSIGN_OR_RETURN(CodingView c, read_coding(purposes.items()[i], ipath));
    if (c.system != kActReason) {
      return not_expressible(ipath,
                             "purpose must be a code of "
                             "http://terminology.hl7.org/CodeSystem/v3-ActReason");
    }
    const std::optional<Purpose> p = ledger::consortium::purpose_from_code(c.code);
    const bool allowed =
        p && (!for_grant || std::find(std::begin(kGrantPurposes), std::end(kGrantPurposes), *p) !=
                                std::end(kGrantPurposes));
    if (!allowed) {
      return not_expressible(ipath, for_grant
                                        ? "grants are for TREAT, ETREAT, HPAYMT, HOPERAT, "
                                          "HRESCH, PUBHLTH, PATRQT or COC only"
                                        : "not a purpose of use the consortium has a code for");
    }
    mask |= purpose_bit(*p);
  }
  return mask;
}

// The first of `names` present in `provision` is refused with `reason`.
Check refuse_any(const JsonValue& provision, const std::string& path,
                 std::initializer_list<std::string_view> names, std::string_view reason) {
  for (std::string_view name : names) {
    if (provision.find(name) != nullptr) {
      return not_expressible(child(path, name), std::string(reason));
    }
  }
  return std::nullopt;
}

// A nested provision of a permit: type deny with securityLabel only.
ConsentResult<uint64_t> read_nested_deny(const JsonValue& v, const std::string& path) {
  GW_CONSENT_CHECK(check_object(v, path, kProvisionElements));
  const JsonValue* type = v.find("type");
  if (type == nullptr) return not_expressible(path, "a nested provision needs type deny");
  GW_ASSIGN_OR_RETURN(std::string_view t, read_string(*type, child(path, "type"), 16));
  if (t == "permit") {
    return not_expressible(child(path, "type"),
                           "nested permits are not expressible: the ledger grants per actor and "
                           "purpose; write a separate Consent");
  }
  if (t != "deny") return invalid(child(path, "type"), "provision type is permit or deny");
  GW_CONSENT_CHECK(refuse_any(
      v, path,
      {"period", "actor", "action", "purpose", "class", "code", "dataPeriod", "data", "provision"},
      "a nested deny may carry only securityLabel (labels excluded from the permit's grants)"));
  const JsonValue* labels = v.find("securityLabel");
  if (labels == nullptr) return not_expressible(path, "a nested deny needs securityLabel");
  return exclusions_from_labels(*labels, child(path, "securityLabel"));
}

Check map_permit(const JsonValue& p, const std::string& path, const MemberResolver& resolve,
                 uint64_t now, ConsentPlan* plan) {
  GW_CONSENT_CHECK(refuse_any(p, path, {"securityLabel"},
                              "on a permit, securityLabel limits it to records carrying these "
                              "labels, which the ledger cannot express; exclude labels with a "
                              "nested provision of type deny carrying securityLabel"));
  GW_CONSENT_CHECK(refuse_any(p, path, {"dataPeriod", "data"},
                              "the ledger grants by record category, not by the records' dates "
                              "or by named resources"));
  GW_CONSENT_CHECK(check_actions(p, path));
  const JsonValue* actors = p.find("actor");
  if (actors == nullptr) {
    return not_expressible(path,
                           "a permit needs actor: the ledger grants to named member "
                           "organizations, not to everyone");
  }
  const JsonValue* purposes = p.find("purpose");
  if (purposes == nullptr) {
    return not_expressible(path, "a permit needs purpose: 'every purpose' is not a grant");
  }
  GW_ASSIGN_OR_RETURN(std::vector<Address> grantees,
                      read_actors(*actors, child(path, "actor"), resolve, true));
  GW_ASSIGN_OR_RETURN(uint32_t mask, read_purposes(*purposes, child(path, "purpose"), true));
  if (grantees.size() * static_cast<size_t>(std::popcount(mask)) > kMaxGrantPairs) {
    return not_expressible(path, "more than " + std::to_string(kMaxGrantPairs) +
                                     " (actor, purpose) pairs; split the Consent");
  }
  ValidityWindow window;
  if (const JsonValue* period = p.find("period")) {
    GW_ASSIGN_OR_RETURN(window, read_period(*period, child(path, "period")));
  }
  if (window.until <= now) {
    return not_expressible(child(path, "period"),
                           "the period has ended; to take a Consent back set status inactive");
  }
  const JsonValue* classes = p.find("class");
  const JsonValue* codes = p.find("code");
  uint64_t categories = all_categories();
  if (classes != nullptr && codes != nullptr) {
    return not_expressible(child(path, "code"),
                           "class and code together mean their "
                           "intersection; give one of them");
  }
  if (classes != nullptr) {
    GW_ASSIGN_OR_RETURN(categories, categories_from_classes(*classes, child(path, "class")));
  } else if (codes != nullptr) {
    GW_ASSIGN_OR_RETURN(categories, categories_from_codes(*codes, child(path, "code")));
  }
  uint64_t exclusions = 0;
  if (const JsonValue* nested = p.find("provision")) {
    const std::string npath = child(path, "provision");
    GW_CONSENT_CHECK(check_array(*nested, npath, kMaxNestedProvisions, "nested provisions"));
    for (size_t i = 0; i < nested->items().size(); ++i) {
      GW_ASSIGN_OR_RETURN(uint64_t bits, read_nested_deny(nested->items()[i], item(npath, i)));
      exclusions |= bits;
    }
  }
  for (const Address& grantee : grantees) {
    for (uint8_t n = 0; n < 32; ++n) {
      if ((mask >> n & 1) == 0) continue;
      plan->grants.push_back(PlannedGrant{grantee, static_cast<Purpose>(n), categories, exclusions,
                                          window.from, window.until});
    }
  }
  return std::nullopt;
}

Check map_deny(const JsonValue& p, const std::string& path, const MemberResolver& resolve,
               ConsentPlan* plan) {
  GW_CONSENT_CHECK(refuse_any(
      p, path, {"class", "code", "securityLabel", "period", "dataPeriod", "data", "provision"},
      "a deny is per member and purpose only: the ledger cannot limit it "
      "to some records or to a period"));
  GW_CONSENT_CHECK(check_actions(p, path));
  std::vector<Address> members;
  if (const JsonValue* actors = p.find("actor")) {
    GW_ASSIGN_OR_RETURN(members, read_actors(*actors, child(path, "actor"), resolve, false));
  } else {
    members.push_back(Address{});  // every member
  }
  uint32_t mask = kEveryPurpose;
  if (const JsonValue* purposes = p.find("purpose")) {
    GW_ASSIGN_OR_RETURN(mask, read_purposes(*purposes, child(path, "purpose"), false));
  }
  for (const Address& m : members) plan->denies.push_back(PlannedDeny{m, mask});
  return std::nullopt;
}

}  // namespace

Check map_provision(const JsonValue& provision, const std::string& path,
                    const MemberResolver& resolve_member, uint64_t now, ConsentPlan* plan) {
  GW_CONSENT_CHECK(check_object(provision, path, kProvisionElements));
  const JsonValue* ptype = provision.find("type");
  if (ptype == nullptr) return not_expressible(path, "give type permit or deny");
  GW_ASSIGN_OR_RETURN(std::string_view t, read_string(*ptype, child(path, "type"), 16));
  if (t == "permit") {
    GW_CONSENT_CHECK(map_permit(provision, path, resolve_member, now, plan));
  } else if (t == "deny") {
    GW_CONSENT_CHECK(map_deny(provision, path, resolve_member, plan));
  } else {
    return invalid(child(path, "type"), "provision type is permit or deny");
  }
  return std::nullopt;
}

}  // namespace gw::consent::internal
