// The accepted forms of a FHIR Consent and the exact plan each maps to
// (README.md in this folder lists them).
#include "gateway/consent/consent_mapping.h"

#include <gtest/gtest.h>

#include "gateway/consent/consent_scope.h"
#include "gateway/consent/consent_test_util.h"

namespace gw::consent {
namespace {

using namespace testing;  // NOLINT: the folder's test helpers
using ledger::consortium::Category;
using ledger::consortium::category_bit;
using ledger::consortium::kOpenEnded;
using ledger::consortium::Label;
using ledger::consortium::label_bit;
using ledger::consortium::purpose_bit;

constexpr uint64_t k2025 = 1'735'689'600;       // 2025-01-01T00:00:00Z
constexpr uint64_t k2030Paris = 1'893'452'400;  // 2030-01-01T00:00:00+01:00

ConsentPlan mapped(const fhir::JsonValue& consent) {
  ConsentResult<ConsentPlan> r = map(consent);
  if (!r.ok()) {
    ADD_FAILURE() << r.error().to_string();
    return {};
  }
  return *std::move(r);
}

TEST(ConsentMappingTest, PermitWithNestedDenyIsOneExactGrant) {
  const ConsentPlan plan = mapped(permit());
  EXPECT_TRUE(plan.in_force());
  EXPECT_EQ(plan.patient, (PatientRef{"p1", "", ""}));
  ASSERT_EQ(plan.grants.size(), 1u);
  const PlannedGrant& g = plan.grants[0];
  EXPECT_EQ(g.grantee, kB);
  EXPECT_EQ(g.purpose, Purpose::kTreat);
  EXPECT_EQ(g.categories, internal::all_categories());
  EXPECT_EQ(g.exclusions, label_bit(Label::kPsy));
  EXPECT_EQ(g.valid_from, k2025);
  EXPECT_EQ(g.valid_until, k2030Paris + 1);  // the end second is included
  EXPECT_TRUE(plan.denies.empty());
}

TEST(ConsentMappingTest, NoClassOrCodeMeansEveryDefinedCategory) {
  EXPECT_EQ(internal::all_categories(), (uint64_t{1} << 17) - 1);
  for (uint8_t n = 0; n < 17; ++n) {
    const auto c = static_cast<Category>(n);
    EXPECT_EQ(category_from_code(category_code(c)), c) << int(n);
  }
}

TEST(ConsentMappingTest, PatientByIdentifier) {
  fhir::JsonValue c = permit();
  set(c, "patient", R"({"identifier": {"system": "http://hospital.example/mrn", "value": "M1"}})");
  const ConsentPlan plan = mapped(c);
  EXPECT_EQ(plan.patient, (PatientRef{"", "http://hospital.example/mrn", "M1"}));
}

TEST(ConsentMappingTest, InactiveAndEnteredInErrorAreNotInForceWhateverTheProvision) {
  for (const char* status : {"inactive", "entered-in-error"}) {
    fhir::JsonValue c = permit();
    set(c, "status", std::string("\"") + status + "\"");
    // A provision that an active Consent could not carry: it is not read.
    set(provision(c), "dataPeriod", R"({"start": "2020-01-01"})");
    const ConsentPlan plan = mapped(c);
    EXPECT_FALSE(plan.in_force()) << status;
    EXPECT_TRUE(plan.grants.empty());
    EXPECT_EQ(plan.patient.id, "p1");
  }
}

TEST(ConsentMappingTest, OneGrantPerActorAndPurposeSortedWithoutRepeats) {
  fhir::JsonValue c = permit();
  fhir::JsonValue actors = fhir::JsonValue::make_array();
  actors.push(actor(kOrgC));
  actors.push(actor(kOrgB, "PRCP"));
  actors.push(actor(kOrgC));  // the same member again
  provision(c).add("actor", std::move(actors));
  fhir::JsonValue purposes = fhir::JsonValue::make_array();
  for (const char* code : {"COC", "TREAT", "COC"}) purposes.push(purpose(code));
  provision(c).add("purpose", std::move(purposes));
  const ConsentPlan plan = mapped(c);
  ASSERT_EQ(plan.grants.size(), 4u);
  const std::pair<Address, Purpose> expected[] = {
      {kB, Purpose::kTreat}, {kB, Purpose::kCoc}, {kC, Purpose::kTreat}, {kC, Purpose::kCoc}};
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(plan.grants[i].grantee, expected[i].first) << i;
    EXPECT_EQ(plan.grants[i].purpose, expected[i].second) << i;
    EXPECT_EQ(plan.grants[i].exclusions, label_bit(Label::kPsy));
  }
}

TEST(ConsentMappingTest, EveryGrantPurpose) {
  const std::pair<const char*, Purpose> codes[] = {
      {"TREAT", Purpose::kTreat},     {"ETREAT", Purpose::kEtreat}, {"HPAYMT", Purpose::kHpaymt},
      {"HOPERAT", Purpose::kHoperat}, {"HRESCH", Purpose::kHresch}, {"PUBHLTH", Purpose::kPubhlth},
      {"PATRQT", Purpose::kPatrqt},   {"COC", Purpose::kCoc}};
  for (const auto& [code, p] : codes) {
    fhir::JsonValue c = permit();
    fhir::JsonValue purposes = fhir::JsonValue::make_array();
    purposes.push(purpose(code));
    provision(c).add("purpose", std::move(purposes));
    const ConsentPlan plan = mapped(c);
    ASSERT_EQ(plan.grants.size(), 1u) << code;
    EXPECT_EQ(plan.grants[0].purpose, p) << code;
  }
}

TEST(ConsentMappingTest, PeriodBoundsAreExactToTheSecond) {
  struct Case {
    const char* period;
    uint64_t from, until;
  };
  const Case cases[] = {
      {nullptr, 0, kOpenEnded},
      {R"({"start": "2025-01-01T00:00:00Z"})", k2025, kOpenEnded},
      {R"({"end": "2030-01-01T00:00:00+01:00"})", 0, k2030Paris + 1},
      // A start inside a second begins at the next whole second; an end
      // inside a second includes all of that second.
      {R"({"start": "2025-01-01T00:00:00.250Z", "end": "2030-01-01T00:00:00.750+01:00"})",
       k2025 + 1, k2030Paris + 1},
      {R"({"start": "2025-01-01T00:00:00.000Z"})", k2025, kOpenEnded},
      {R"({"start": "2024-12-31T19:30:00-04:30"})", k2025, kOpenEnded},
      {R"({"start": "1969-12-31T23:59:59Z"})", 0, kOpenEnded},  // before the epoch: from the start
      {R"({"end": "9999-12-31T23:59:59Z"})", 0, 253'402'300'800},
      {R"({"start": "2028-02-29T00:00:00Z"})", 1'835'395'200, kOpenEnded},  // leap day
  };
  for (const Case& k : cases) {
    fhir::JsonValue c = permit();
    if (k.period)
      set(provision(c), "period", k.period);
    else
      provision(c).remove("period");
    const ConsentPlan plan = mapped(c);
    ASSERT_EQ(plan.grants.size(), 1u) << (k.period ? k.period : "none");
    EXPECT_EQ(plan.grants[0].valid_from, k.from) << (k.period ? k.period : "none");
    EXPECT_EQ(plan.grants[0].valid_until, k.until) << (k.period ? k.period : "none");
  }
}

TEST(ConsentMappingTest, ResourceTypeClassesCoveringWholeCategories) {
  struct Case {
    const char* types;
    uint64_t categories;
  };
  const Case cases[] = {
      {R"(["Condition"])", category_bit(Category::kConditions)},
      {R"(["Person", "Patient", "RelatedPerson"])", category_bit(Category::kDemographics)},
      {R"(["AllergyIntolerance", "Condition", "Condition"])",
       category_bit(Category::kAllergies) | category_bit(Category::kConditions)},
      {R"(["Medication", "MedicationRequest", "MedicationStatement",
           "MedicationAdministration", "MedicationDispense"])",
       category_bit(Category::kMedications)},
  };
  for (const Case& k : cases) {
    fhir::JsonValue c = permit();
    fhir::JsonValue classes = fhir::JsonValue::make_array();
    const fhir::JsonValue types = parse(k.types);
    for (const fhir::JsonValue& t : types.items()) {
      classes.push(parse(R"({"system": "http://hl7.org/fhir/resource-types", "code": ")" +
                         t.text() + "\"}"));
    }
    provision(c).add("class", std::move(classes));
    const ConsentPlan plan = mapped(c);
    ASSERT_EQ(plan.grants.size(), 1u) << k.types;
    EXPECT_EQ(plan.grants[0].categories, k.categories) << k.types;
  }
}

TEST(ConsentMappingTest, RecordCategoryCodes) {
  fhir::JsonValue c = permit();
  const std::string sys(kRecordCategorySystem);
  set(provision(c), "code",
      R"([{"coding": [{"system": ")" + sys + R"(", "code": "laboratory"}]},
          {"coding": [{"system": "http://loinc.org", "code": "8716-3"},
                      {"system": ")" +
          sys + R"(", "code": "vital-signs"}], "text": "Vitals"}])");
  const ConsentPlan plan = mapped(c);
  ASSERT_EQ(plan.grants.size(), 1u);
  EXPECT_EQ(plan.grants[0].categories,
            category_bit(Category::kLaboratory) | category_bit(Category::kVitalSigns));
}

TEST(ConsentMappingTest, NestedDeniesAddUpToExclusions) {
  fhir::JsonValue c = permit();
  set(provision(c), "provision", R"([
    {"type": "deny", "securityLabel": [
      {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "ETH"},
      {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "HIV"}]},
    {"type": "deny", "securityLabel": [
      {"system": "http://terminology.hl7.org/CodeSystem/v3-Confidentiality", "code": "R"}]}])");
  const ConsentPlan plan = mapped(c);
  ASSERT_EQ(plan.grants.size(), 1u);
  EXPECT_EQ(plan.grants[0].exclusions,
            label_bit(Label::kEth) | label_bit(Label::kHiv) | label_bit(Label::kRestricted));
  provision(c).remove("provision");
  EXPECT_EQ(mapped(c).grants.at(0).exclusions, 0u);
}

TEST(ConsentMappingTest, DisclosureActionsAndPlainExtensionsAreAccepted) {
  fhir::JsonValue c = permit();
  set(provision(c), "action", R"([
    {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentaction", "code": "access"}]},
    {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentaction", "code": "disclose"},
                {"system": "http://example.org/local", "code": "send"}]},
    {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentaction", "code": "use"}]}])");
  set(c, "_status", R"({"extension": [{"url": "http://example.org/x", "valueString": "y"}]})");
  set(provision(c), "extension", R"([{"url": "http://example.org/x", "valueString": "y"}])");
  set(c, "policy", R"([{"uri": "https://hospital.example/privacy-policy"}])");
  EXPECT_EQ(mapped(c).grants.size(), 1u);
}

TEST(ConsentMappingTest, DenyWithoutActorsOrPurposesDeniesEveryMemberEveryPurpose) {
  fhir::JsonValue c = permit();
  set(c, "provision", R"({"type": "deny"})");
  const ConsentPlan plan = mapped(c);
  EXPECT_TRUE(plan.grants.empty());
  ASSERT_EQ(plan.denies.size(), 1u);
  EXPECT_EQ(plan.denies[0], (PlannedDeny{Address{}, 0xFFFFFFFFu}));
}

TEST(ConsentMappingTest, DenyPerMemberAndPurposeIncludingSuspendedMembers) {
  fhir::JsonValue c = permit();
  fhir::JsonValue deny = parse(R"({"type": "deny"})");
  fhir::JsonValue actors = fhir::JsonValue::make_array();
  actors.push(actor(kOrgS));  // denying a suspended member only narrows
  actors.push(actor(kOrgB));
  deny.add("actor", std::move(actors));
  fhir::JsonValue purposes = fhir::JsonValue::make_array();
  purposes.push(purpose("HMARKT"));  // any assigned purpose may be denied
  purposes.push(purpose("HRESCH"));
  deny.add("purpose", std::move(purposes));
  c.add("provision", std::move(deny));
  const ConsentPlan plan = mapped(c);
  const uint32_t mask = purpose_bit(Purpose::kHmarkt) | purpose_bit(Purpose::kHresch);
  ASSERT_EQ(plan.denies.size(), 2u);
  EXPECT_EQ(plan.denies[0], (PlannedDeny{kB, mask}));
  EXPECT_EQ(plan.denies[1], (PlannedDeny{kS, mask}));
}

TEST(ConsentMappingTest, FromJsonText) {
  ConsentResult<ConsentPlan> r = map_consent_json(kPermit, directory(), kNow);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(r->grants.size(), 1u);
  ConsentResult<ConsentPlan> bad =
      map_consent_json(R"({"resourceType": "Consent",)", directory(), kNow);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().kind, ConsentErrorKind::kInvalid);
  EXPECT_EQ(bad.error().path, "Consent");
}

}  // namespace
}  // namespace gw::consent
