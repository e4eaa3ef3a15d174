// Every refusal of the mapping, with its kind and the exact element path the
// caller puts in OperationOutcome.issue.expression; and hostile input (wrong
// types, huge arrays, deep nesting) refused without a crash or leaked values.
#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "gateway/consent/consent_mapping.h"
#include "gateway/consent/consent_test_util.h"

namespace gw::consent {
namespace {

using namespace testing;  // NOLINT: the folder's test helpers
using Edit = std::function<void(fhir::JsonValue&)>;
constexpr ConsentErrorKind kInvalid = ConsentErrorKind::kInvalid;
constexpr ConsentErrorKind kNotExpressible = ConsentErrorKind::kNotExpressible;

struct Case {
  const char* name;
  Edit edit;
  ConsentErrorKind kind;
  const char* path;
};

Edit root(std::string key, std::string json) {
  return [=](fhir::JsonValue& c) { set(c, key, json); };
}
Edit drop(std::string key) {
  return [=](fhir::JsonValue& c) { c.remove(key); };
}
Edit prov(std::string key, std::string json) {
  return [=](fhir::JsonValue& c) { set(provision(c), key, json); };
}
Edit prov_drop(std::string key) {
  return [=](fhir::JsonValue& c) { provision(c).remove(key); };
}
// The root provision becomes a deny (every member, every purpose) plus `key`.
Edit deny_with(std::string key, std::string json) {
  return [=](fhir::JsonValue& c) {
    set(c, "provision", R"({"type": "deny"})");
    if (!key.empty()) set(provision(c), key, json);
  };
}
std::string coding(std::string_view system, std::string_view code) {
  return R"({"system": ")" + std::string(system) + R"(", "code": ")" + std::string(code) + "\"}";
}
std::string nested(std::string body) { return "[" + body + "]"; }
std::string psy_deny(std::string extra = "") {
  return R"({"type": "deny", "securityLabel": [)" + coding(kActCodeSystem, "PSY") + "]" + extra +
         "}";
}
std::string actor_json(std::string_view role_code, std::string reference) {
  return R"([{"role": {"coding": [)" + coding(kRoleSystem, role_code) + R"(]}, "reference": )" +
         reference + "}]";
}
std::string resource_classes(std::initializer_list<const char*> types) {
  std::string out = "[";
  for (const char* t : types) {
    if (out.size() > 1) out += ",";
    out += coding("http://hl7.org/fhir/resource-types", t);
  }
  return out + "]";
}

void expect_refused(const fhir::JsonValue& consent, ConsentErrorKind kind, std::string_view path,
                    const char* name) {
  ConsentResult<ConsentPlan> r = map(consent);
  ASSERT_FALSE(r.ok()) << name;
  EXPECT_EQ(r.error().kind, kind) << name << ": " << r.error().to_string();
  EXPECT_EQ(r.error().path, path) << name << ": " << r.error().to_string();
  EXPECT_FALSE(r.error().reason.empty()) << name;
  // Identifier values of the test data never appear in an error.
  for (std::string_view value : {"urn:oid:1.2.3", "M1", "p1"}) {
    EXPECT_EQ(r.error().to_string().find(value), std::string::npos) << name;
  }
}

void run(const std::vector<Case>& cases) {
  for (const Case& k : cases) {
    fhir::JsonValue c = permit();
    k.edit(c);
    expect_refused(c, k.kind, k.path, k.name);
  }
}

TEST(ConsentRefusalTest, Root) {
  const std::string scope = "http://terminology.hl7.org/CodeSystem/consentscope";
  run({
      {"resource type", root("resourceType", "\"Patient\""), kInvalid, "Consent"},
      {"unknown element", root("foo", "1"), kInvalid, "Consent.foo"},
      {"unreportable key", root("x y", "1"), kInvalid, "Consent.*"},
      {"modifier extension", root("modifierExtension", R"([{"url": "http://x"}])"), kNotExpressible,
       "Consent.modifierExtension"},
      {"implicit rules", root("implicitRules", "\"http://x\""), kNotExpressible,
       "Consent.implicitRules"},
      {"status missing", drop("status"), kInvalid, "Consent"},
      {"status draft", root("status", "\"draft\""), kNotExpressible, "Consent.status"},
      {"status proposed", root("status", "\"proposed\""), kNotExpressible, "Consent.status"},
      {"status rejected", root("status", "\"rejected\""), kNotExpressible, "Consent.status"},
      {"status unknown", root("status", "\"on\""), kInvalid, "Consent.status"},
      {"status number", root("status", "1"), kInvalid, "Consent.status"},
      {"scope missing", drop("scope"), kInvalid, "Consent"},
      {"scope research", root("scope", R"({"coding": [)" + coding(scope, "research") + "]}"),
       kNotExpressible, "Consent.scope"},
      {"scope text only", root("scope", R"({"text": "privacy"})"), kNotExpressible,
       "Consent.scope"},
      {"scope contradicting",
       root("scope", R"({"coding": [)" + coding(scope, "patient-privacy") + "," +
                         coding(scope, "adr") + "]}"),
       kNotExpressible, "Consent.scope"},
      {"policy rule opt-out",
       root("policyRule", R"({"coding": [)" + coding(kActCodeSystem, "OPTOUT") + "]}"),
       kNotExpressible, "Consent.policyRule"},
      {"patient missing", drop("patient"), kNotExpressible, "Consent"},
      {"patient not a Patient", root("patient", R"({"reference": "Group/g1"})"), kNotExpressible,
       "Consent.patient.reference"},
      {"patient URL", root("patient", R"({"reference": "https://x.example/Patient/p1"})"),
       kNotExpressible, "Consent.patient.reference"},
      {"patient version", root("patient", R"({"reference": "Patient/p1/_history/2"})"),
       kNotExpressible, "Consent.patient.reference"},
      {"patient contained", root("patient", R"({"reference": "#p1"})"), kNotExpressible,
       "Consent.patient.reference"},
      {"patient type", root("patient", R"({"reference": "Patient/p1", "type": "Group"})"), kInvalid,
       "Consent.patient.type"},
      {"patient both forms",
       root("patient", R"({"reference": "Patient/p1", "identifier": {"system": "http://h/mrn",
                                                                      "value": "M1"}})"),
       kNotExpressible, "Consent.patient"},
      {"patient identifier without system", root("patient", R"({"identifier": {"value": "M1"}})"),
       kNotExpressible, "Consent.patient.identifier"},
      {"patient identifier without value",
       root("patient", R"({"identifier": {"system": "http://h/mrn"}})"), kNotExpressible,
       "Consent.patient.identifier"},
      {"provision missing", drop("provision"), kNotExpressible, "Consent"},
      {"provision not an object", root("provision", "\"permit\""), kInvalid, "Consent.provision"},
      {"provision type missing", prov_drop("type"), kNotExpressible, "Consent.provision"},
      {"provision type unknown", prov("type", "\"maybe\""), kInvalid, "Consent.provision.type"},
  });
  ConsentResult<ConsentPlan> r = map(parse("[]"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().path, "Consent");
}

TEST(ConsentRefusalTest, PermitElements) {
  const std::string org =
      R"({"identifier": {"system": "urn:ietf:rfc:3986", "value": "urn:oid:1.2.3.2"}})";
  const std::string action = "http://terminology.hl7.org/CodeSystem/consentaction";
  run({
      {"securityLabel on the permit",
       prov("securityLabel", "[" + coding(kActCodeSystem, "PSY") + "]"), kNotExpressible,
       "Consent.provision.securityLabel"},
      {"dataPeriod", prov("dataPeriod", R"({"start": "2020-01-01T00:00:00Z"})"), kNotExpressible,
       "Consent.provision.dataPeriod"},
      {"data",
       prov("data", R"([{"meaning": "instance", "reference": {"reference": "Observation/o"}}])"),
       kNotExpressible, "Consent.provision.data"},
      {"action collect", prov("action", R"([{"coding": [)" + coding(action, "collect") + "]}]"),
       kNotExpressible, "Consent.provision.action[0]"},
      {"action other system",
       prov("action", R"([{"coding": [)" + coding("http://x", "use") + "]}]"), kNotExpressible,
       "Consent.provision.action[0]"},
      {"actor missing", prov_drop("actor"), kNotExpressible, "Consent.provision"},
      {"actor not an array", prov("actor", "{}"), kInvalid, "Consent.provision.actor"},
      {"actor role author", prov("actor", actor_json("AUT", org)), kNotExpressible,
       "Consent.provision.actor[0].role"},
      {"actor role missing", prov("actor", R"([{"reference": )" + org + "}]"), kInvalid,
       "Consent.provision.actor[0]"},
      {"actor literal reference",
       prov("actor", actor_json("IRCP", R"({"reference": "Organization/o1"})")), kNotExpressible,
       "Consent.provision.actor[0].reference"},
      {"actor practitioner",
       prov("actor",
            actor_json("IRCP",
                       R"({"type": "Practitioner", "identifier": {"value": "urn:oid:1.2.3.2"}})")),
       kNotExpressible, "Consent.provision.actor[0].reference.type"},
      {"actor unknown org",
       prov("actor", actor_json("IRCP", R"({"identifier": {"value": "urn:oid:1.2.3.99"}})")),
       kNotExpressible, "Consent.provision.actor[0].reference.identifier"},
      {"actor suspended",
       prov("actor", actor_json("IRCP", R"({"identifier": {"value": "urn:oid:1.2.3.9"}})")),
       kNotExpressible, "Consent.provision.actor[0].reference.identifier"},
      {"purpose missing", prov_drop("purpose"), kNotExpressible, "Consent.provision"},
      {"purpose empty", prov("purpose", "[]"), kInvalid, "Consent.provision.purpose"},
      {"purpose not a grant purpose", prov("purpose", "[" + coding(kReasonSystem, "POPHLTH") + "]"),
       kNotExpressible, "Consent.provision.purpose[0]"},
      {"purpose other system", prov("purpose", "[" + coding("http://x", "TREAT") + "]"),
       kNotExpressible, "Consent.provision.purpose[0]"},
      {"purpose a string", prov("purpose", R"(["TREAT"])"), kInvalid,
       "Consent.provision.purpose[0]"},
      {"purpose code a number", prov("purpose", R"([{"system": "x", "code": 1}])"), kInvalid,
       "Consent.provision.purpose[0].code"},
  });
}

TEST(ConsentRefusalTest, Period) {
  run({
      {"date only", prov("period", R"({"start": "2025-01-01"})"), kNotExpressible,
       "Consent.provision.period.start"},
      {"year only", prov("period", R"({"end": "2030"})"), kNotExpressible,
       "Consent.provision.period.end"},
      {"time without zone", prov("period", R"({"start": "2025-01-01T00:00:00"})"), kInvalid,
       "Consent.provision.period.start"},
      {"month 13", prov("period", R"({"start": "2025-13-01T00:00:00Z"})"), kInvalid,
       "Consent.provision.period.start"},
      {"30 February", prov("period", R"({"start": "2025-02-30T00:00:00Z"})"), kInvalid,
       "Consent.provision.period.start"},
      {"leap second", prov("period", R"({"start": "2016-12-31T23:59:60Z"})"), kInvalid,
       "Consent.provision.period.start"},
      {"zone beyond 14h", prov("period", R"({"start": "2025-01-01T00:00:00+15:00"})"), kInvalid,
       "Consent.provision.period.start"},
      {"number", prov("period", R"({"start": 2025})"), kInvalid, "Consent.provision.period.start"},
      {"ends before start",
       prov("period", R"({"start": "2026-01-01T00:00:00Z", "end": "2025-01-01T00:00:00Z"})"),
       kInvalid, "Consent.provision.period"},
      {"ended", prov("period", R"({"end": "2025-06-15T15:06:39Z"})"), kNotExpressible,
       "Consent.provision.period"},
      {"ended before 1970", prov("period", R"({"end": "1960-01-01T00:00:00Z"})"), kNotExpressible,
       "Consent.provision.period"},
  });
}

TEST(ConsentRefusalTest, ClassAndCode) {
  const std::string cat(kRecordCategorySystem);
  run({
      {"Observation", prov("class", resource_classes({"Observation"})), kNotExpressible,
       "Consent.provision.class[0]"},
      {"DiagnosticReport", prov("class", resource_classes({"DiagnosticReport"})), kNotExpressible,
       "Consent.provision.class[0]"},
      {"part of demographics", prov("class", resource_classes({"Condition", "Patient"})),
       kNotExpressible, "Consent.provision.class[1]"},
      {"Specimen (laboratory also holds Observations)",
       prov("class", resource_classes({"Specimen"})), kNotExpressible,
       "Consent.provision.class[0]"},
      {"Procedure (procedures also holds Observations)",
       prov("class", resource_classes({"Procedure"})), kNotExpressible,
       "Consent.provision.class[0]"},
      {"no category", prov("class", resource_classes({"Practitioner"})), kNotExpressible,
       "Consent.provision.class[0]"},
      {"not a resource type", prov("class", resource_classes({"Foo"})), kInvalid,
       "Consent.provision.class[0].code"},
      {"MIME class", prov("class", "[" + coding("urn:ietf:bcp:13", "application/pdf") + "]"),
       kNotExpressible, "Consent.provision.class[0]"},
      {"LOINC code",
       prov("code", R"([{"coding": [)" + coding("http://loinc.org", "8716-3") + "]}]"),
       kNotExpressible, "Consent.provision.code[0]"},
      {"unknown category", prov("code", R"([{"coding": [)" + coding(cat, "everything") + "]}]"),
       kNotExpressible, "Consent.provision.code[0].coding[0]"},
      {"two categories in one concept",
       prov("code",
            R"([{"coding": [)" + coding(cat, "laboratory") + "," + coding(cat, "imaging") + "]}]"),
       kNotExpressible, "Consent.provision.code[0]"},
      {"class and code",
       [](fhir::JsonValue& c) {
         set(provision(c), "class", resource_classes({"Condition"}));
         set(provision(c), "code",
             R"([{"coding": [{"system": ")" + std::string(kRecordCategorySystem) +
                 R"(", "code": "conditions"}]}])");
       },
       kNotExpressible, "Consent.provision.code"},
  });
}

TEST(ConsentRefusalTest, NestedProvisions) {
  const std::string conf = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality";
  run({
      {"nested permit", prov("provision", nested(R"({"type": "permit"})")), kNotExpressible,
       "Consent.provision.provision[0].type"},
      {"nested without type",
       prov("provision", nested(R"({"securityLabel": [)" + coding(kActCodeSystem, "PSY") + "]}")),
       kNotExpressible, "Consent.provision.provision[0]"},
      {"nested without label", prov("provision", nested(R"({"type": "deny"})")), kNotExpressible,
       "Consent.provision.provision[0]"},
      {"nested dataPeriod",
       prov("provision", nested(psy_deny(R"(, "dataPeriod": {"start": "2020-01-01T00:00:00Z"})"))),
       kNotExpressible, "Consent.provision.provision[0].dataPeriod"},
      {"nested actor", prov("provision", nested(psy_deny(R"(, "actor": [])"))), kNotExpressible,
       "Consent.provision.provision[0].actor"},
      {"nested purpose", prov("provision", nested(psy_deny(R"(, "purpose": [])"))), kNotExpressible,
       "Consent.provision.provision[0].purpose"},
      {"nested class", prov("provision", nested(psy_deny(R"(, "class": [])"))), kNotExpressible,
       "Consent.provision.provision[0].class"},
      {"nested in nested",
       prov("provision", nested(psy_deny(R"(, "provision": [)" + psy_deny() + "]"))),
       kNotExpressible, "Consent.provision.provision[0].provision"},
      {"nested modifier extension",
       prov("provision", nested(psy_deny(R"(, "modifierExtension": [{"url": "http://x"}])"))),
       kNotExpressible, "Consent.provision.provision[0].modifierExtension"},
      {"unknown label",
       prov("provision",
            nested(R"({"type": "deny", "securityLabel": [)" + coding(kActCodeSystem, "PSY") + "," +
                   coding(kActCodeSystem, "XYZ") + "]}")),
       kNotExpressible, "Consent.provision.provision[0].securityLabel[1]"},
      {"PSY under Confidentiality",
       prov("provision",
            nested(R"({"type": "deny", "securityLabel": [)" + coding(conf, "PSY") + "]}")),
       kNotExpressible, "Consent.provision.provision[0].securityLabel[0]"},
      {"R under ActCode",
       prov("provision",
            nested(R"({"type": "deny", "securityLabel": [)" + coding(kActCodeSystem, "R") + "]}")),
       kNotExpressible, "Consent.provision.provision[0].securityLabel[0]"},
      {"second nested bad",
       prov("provision", "[" + psy_deny() + R"(, {"type": "deny", "securityLabel": "PSY"}])"),
       kInvalid, "Consent.provision.provision[1].securityLabel"},
  });
}

TEST(ConsentRefusalTest, DenyElements) {
  run({
      {"deny class", deny_with("class", resource_classes({"Condition"})), kNotExpressible,
       "Consent.provision.class"},
      {"deny code", deny_with("code", "[]"), kNotExpressible, "Consent.provision.code"},
      {"deny securityLabel", deny_with("securityLabel", "[" + coding(kActCodeSystem, "PSY") + "]"),
       kNotExpressible, "Consent.provision.securityLabel"},
      {"deny period", deny_with("period", R"({"start": "2025-01-01T00:00:00Z"})"), kNotExpressible,
       "Consent.provision.period"},
      {"deny nested", deny_with("provision", nested(psy_deny())), kNotExpressible,
       "Consent.provision.provision"},
      {"deny unknown actor",
       deny_with("actor", actor_json("IRCP", R"({"identifier": {"value": "urn:oid:1.2.3.99"}})")),
       kNotExpressible, "Consent.provision.actor[0].reference.identifier"},
      {"deny unknown purpose", deny_with("purpose", "[" + coding(kReasonSystem, "FOO") + "]"),
       kNotExpressible, "Consent.provision.purpose[0]"},
  });
}

std::string repeated(const std::string& item, size_t n) {
  std::string out = "[";
  for (size_t i = 0; i < n; ++i) out += (i ? "," : "") + item;
  return out + "]";
}

TEST(ConsentRefusalTest, BoundsAndHostileInput) {
  const std::string one_actor =
      actor_json("IRCP", R"({"identifier": {"value": "urn:oid:1.2.3.2"}})");
  const std::string actor_item = one_actor.substr(1, one_actor.size() - 2);
  const std::string treat = coding(kReasonSystem, "TREAT");
  std::string eight_purposes = "[";
  for (const char* p :
       {"TREAT", "ETREAT", "HPAYMT", "HOPERAT", "HRESCH", "PUBHLTH", "PATRQT", "COC"})
    eight_purposes += std::string(eight_purposes.size() > 1 ? "," : "") + coding(kReasonSystem, p);
  eight_purposes += "]";
  run({
      {"65 actors", prov("actor", repeated(actor_item, 65)), kNotExpressible,
       "Consent.provision.actor"},
      {"17 purposes", prov("purpose", repeated(treat, 17)), kNotExpressible,
       "Consent.provision.purpose"},
      {"17 nested", prov("provision", repeated(psy_deny(), 17)), kNotExpressible,
       "Consent.provision.provision"},
      {"100000 purposes", prov("purpose", repeated("{}", 100000)), kNotExpressible,
       "Consent.provision.purpose"},
      {"33 labels",
       prov("provision", nested(R"({"type": "deny", "securityLabel": )" +
                                repeated(coding(kActCodeSystem, "PSY"), 33) + "}")),
       kNotExpressible, "Consent.provision.provision[0].securityLabel"},
  });
  // 64 pairs are fine; 9 distinct actors x 8 purposes are not. Distinct
  // members come from a resolver that knows any org_id.
  fhir::JsonValue c = permit();
  std::string actors = "[";
  for (int i = 0; i < 9; ++i) {
    const std::string a =
        actor_json("IRCP", R"({"identifier": {"value": "org)" + std::to_string(i) + R"("}})");
    actors += (i ? "," : "") + a.substr(1, a.size() - 2);
  }
  set(provision(c), "actor", actors + "]");
  set(provision(c), "purpose", eight_purposes);
  const MemberResolver anyone = [](std::string_view, std::string_view value) {
    Address a{};
    a[0] = 1;
    a[19] = static_cast<uint8_t>(value.back());
    return std::optional<Member>(Member{a, true});
  };
  ConsentResult<ConsentPlan> r = map_consent(c, anyone, kNow);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().path, "Consent.provision");
  set(provision(c), "purpose", "[" + treat + "]");
  r = map_consent(c, anyone, kNow);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->grants.size(), 9u);

  // Deep nesting and oversize text are refused by the parser's limits.
  const std::string deep = R"({"resourceType": "Consent", "extension": )" + std::string(5000, '[') +
                           std::string(5000, ']') + "}";
  r = map_consent_json(deep, directory(), kNow);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, kInvalid);
  r = map_consent_json(std::string(2u << 20, ' '), directory(), kNow);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, kInvalid);
}

TEST(ConsentRefusalTest, AResolverAnsweringTheZeroAccountIsNotAMember) {
  // Zero means "every member" to setDeny; a member can never have it.
  const MemberResolver zero = [](std::string_view, std::string_view) {
    return std::optional<Member>(Member{Address{}, true});
  };
  ConsentResult<ConsentPlan> r = map_consent(permit(), zero, kNow);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().path, "Consent.provision.actor[0].reference.identifier");
}

TEST(ConsentRefusalTest, ErrorsNeverCarryIdentifierValues) {
  fhir::JsonValue c = permit();
  set(provision(c), "actor",
      actor_json("IRCP", R"({"identifier": {"system": "http://h", "value": "SECRET-ORG-123"}})"));
  ConsentResult<ConsentPlan> r = map(c);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().to_string().find("SECRET"), std::string::npos);
  c = permit();
  set(c, "patient", R"({"identifier": {"value": "MRN-SECRET-77"}})");
  r = map(c);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().to_string().find("SECRET"), std::string::npos);
}

}  // namespace
}  // namespace gw::consent
