// Safe Harbor on a synthetic patient who has every identifier kind of
// §164.514(b)(2): each kind gone from the output bytes, what research needs
// kept, references consistent, every output resource valid R4.
#include "gateway/deid/safe_harbor.h"

#include <gtest/gtest.h>

#include <set>

#include "fhir/json/canonical.h"
#include "fhir/validate/validator.h"
#include "gateway/deid/deid_test_support.h"

namespace gw::deid {
namespace {

using fhir::JsonValue;
using namespace test_support;

// Input indexes in testdata/synthetic_patient.json.
enum : size_t {
  kPatient = 0,
  kEncounter = 9,
  kGlucose = 10,
  kAgeObs = 11,
  kVin = 12,
  kBio = 13,
  kCond1 = 14,
  kCond2 = 15,
  kFamily = 16,
  kMedReq = 17,
  kDeviceUse = 19,
  kModifiedDevice = 20,
};

class SafeHarborTest : public ::testing::Test {
 protected:
  void SetUp() override {
    input_ = synthetic_patient();
    ASSERT_EQ(input_.size(), 24u);
    auto r = deidentify(input_, key_, kToken, options());
    ASSERT_TRUE(r.ok()) << r.error().to_string();
    result_ = std::move(r).value();
    text_ = output_text(result_);
  }
  JsonValue out(size_t index) {
    const Record* r = output_of(result_, index);
    EXPECT_NE(r, nullptr) << "input record " << index << " was dropped";
    return r == nullptr ? JsonValue() : parse(*r);
  }

  crypto::SecretBytes key_ = study_key(0x11);
  std::vector<Record> input_;
  DeidResult result_;
  std::string text_;
};

TEST_F(SafeHarborTest, TheSyntheticInputIsValidR4) {
  // Otherwise "valid output" would prove nothing about real records.
  for (const Record& r : input_) {
    auto v = fhir::validate_resource(parse(r));
    EXPECT_TRUE(v.ok()) << r.resource_type << " " << (v.issues.empty() ? "" : v.issues[0].path);
  }
}

// One case per identifier kind of §164.514(b)(2)(i)(A)-(R), with the values
// the synthetic patient, relatives and employer carry.
struct Kind {
  const char* name;
  std::vector<std::string> values;
};
void PrintTo(const Kind& k, std::ostream* os) { *os << k.name; }
class IdentifierKindTest : public SafeHarborTest, public ::testing::WithParamInterface<Kind> {};

TEST_P(IdentifierKindTest, GoneFromOutput) {
  for (const std::string& v : GetParam().values) {
    bool in_input = false;
    for (const Record& r : input_) in_input = in_input || r.json.find(v) != std::string::npos;
    EXPECT_TRUE(in_input) << v << " (the test must search for what the input holds)";
    EXPECT_EQ(text_.find(v), std::string::npos) << GetParam().name << ": " << v;
  }
}

INSTANTIATE_TEST_SUITE_P(
    SafeHarbor, IdentifierKindTest,
    ::testing::Values(
        Kind{"A_Names",
             {"Zwolinski", "Hortensia", "Maribel", "Bartholomew", "Casimir", "Fairweather",
              "Ignatius", "Pettigrew", "Quasar Widgets", "Elsewhere"}},
        Kind{"B_Geography",
             {"Quillfeather", "Portsmouth", "Rockingham", "03601", "02138", "Brattle", "Cambridge",
              "Larkspur", "Dover", "03820", "Foundry", "Nashua", "03060", "43.0718", "70.7626",
              "Ward 7"}},
        Kind{"C_Dates",
             {"1934", "1925", "-02-17", "2026-03", "2019-05", "2001-08", "T04:35", "T08:00",
              "T10:15", "09:00:00"}},
        Kind{"D_Telephone", {"555-0142", "555-0177"}}, Kind{"E_Fax", {"555-0199"}},
        Kind{"F_Email", {"hortensia.zwolinski@example.com", "@example.com"}},
        Kind{"G_SSN", {"123-45-6789", "us-ssn"}},
        Kind{"H_MRN", {"MRN7731946", "hospital.example.org"}},
        Kind{"I_HealthPlan", {"HPB55501234"}}, Kind{"J_Account", {"ACCT99812345"}},
        Kind{"K_CertificateLicense", {"S530-4417-9921", "1497758842"}},
        Kind{"L_Vehicle", {"1HGCM82633A004352"}},
        Kind{"M_Device", {"SN88XK20931", "00884521234567", "ASSET-77120", "LOT-4471"}},
        Kind{"N_URL", {"hortensia-quilts", "example.net", "http://10."}},
        Kind{"O_IP", {"192.168.77.231", "10.77.3.41"}},
        Kind{"P_Biometric", {"IRIS-TEMPLATE-Q9X7W2"}},
        Kind{"Q_Photo", {"RkFDRVBIT1RPR1JBUEg=", "SG9ydGVuc2lh", "image/jpeg"}},
        Kind{"R_OtherNumbers",
             {"V000424242", "PRE311", "ACC2026-55123", "44178812", "urn:oid:1.2.840.9999.77",
              "glu-1", "enc-1", "son-1"}},
        Kind{"FreeText", {"headaches", "fasted", "tablet daily", "glucose per", "valueString"}}),
    [](const ::testing::TestParamInfo<Kind>& info) { return std::string(info.param.name); });

TEST_F(SafeHarborTest, EveryOutputResourceIsValidCanonicalR4) {
  fhir::ValidationOptions strict;
  strict.allow_missing_id = false;
  for (const Record& r : result_.records) {
    JsonValue v = parse(r);
    auto check = fhir::validate_resource(v, strict);
    EXPECT_TRUE(check.ok()) << r.resource_type << " "
                            << (check.issues.empty() ? "" : check.issues[0].path);
    EXPECT_EQ(fhir::canonicalize(v).value(), r.json);
    EXPECT_EQ(v.find("id")->text(), r.id);
    EXPECT_EQ(r.id.size(), 64u);
  }
}

TEST_F(SafeHarborTest, PatientCarriesOnlyThePseudonymAndThe90PlusMarker) {
  JsonValue p = out(kPatient);
  const JsonValue* ids = p.find("identifier");
  ASSERT_NE(ids, nullptr);
  ASSERT_EQ(ids->items().size(), 1u);
  EXPECT_EQ(ids->items()[0].find("system")->text(), "urn:gateway:study:STUDY-1:pseudonym");
  EXPECT_EQ(ids->items()[0].find("value")->text(), result_.pseudonym);
  EXPECT_EQ(result_.pseudonym.size(), 64u);
  EXPECT_EQ(text_.find(kToken), std::string::npos);
  EXPECT_EQ(p.find("birthDate"), nullptr);  // 92 at the reference date
  EXPECT_EQ(p.find("name"), nullptr);
  EXPECT_EQ(p.find("contact"), nullptr);
  EXPECT_EQ(p.find("text"), nullptr);
  std::set<std::string> urls;
  for (const JsonValue& e : p.find("extension")->items()) urls.insert(e.find("url")->text());
  EXPECT_EQ(urls, (std::set<std::string>{
                      "urn:gateway:deid:age-90-or-older",
                      "http://hl7.org/fhir/us/core/StructureDefinition/us-core-race"}));
  EXPECT_EQ(p.find("gender")->text(), "female");
  EXPECT_NE(text_.find("\"code\":\"2106-3\""), std::string::npos);  // race code kept
}

TEST_F(SafeHarborTest, AddressesKeepStateAndZip3WithRestrictedPrefixesZeroed) {
  JsonValue patient = out(kPatient);
  const JsonValue* addresses = patient.find("address");
  ASSERT_NE(addresses, nullptr);
  ASSERT_EQ(addresses->items().size(), 2u);
  const JsonValue& home = addresses->items()[0];
  EXPECT_EQ(home.find("postalCode")->text(), "000");  // 036: 20,000 people or fewer
  EXPECT_EQ(home.find("state")->text(), "NH");
  EXPECT_EQ(home.find("country")->text(), "US");
  EXPECT_EQ(home.find("period"), nullptr);
  const JsonValue& old = addresses->items()[1];
  EXPECT_EQ(old.find("postalCode")->text(), "021");
  EXPECT_EQ(old.find("state")->text(), "MA");
  EXPECT_EQ(old.find("city"), nullptr);
}

TEST_F(SafeHarborTest, DatesKeepTheYear) {
  EXPECT_EQ(out(kEncounter).find("period")->find("start")->text(), "2026");
  EXPECT_EQ(out(kEncounter).find("period")->find("end")->text(), "2026");
  EXPECT_EQ(out(kGlucose).find("effectiveDateTime")->text(), "2026");
  EXPECT_EQ(out(kGlucose).find("issued"), nullptr);  // instant: needs full precision
  EXPECT_EQ(out(kCond1).find("onsetDateTime")->text(), "2019");
  EXPECT_EQ(out(kMedReq).find("authoredOn")->text(), "2026");
}

TEST_F(SafeHarborTest, AgesOver89AreGroupedAs90OrOlder) {
  JsonValue age = out(kAgeObs);
  const JsonValue* q = age.find("valueQuantity");
  ASSERT_NE(q, nullptr);
  EXPECT_EQ(q->find("value")->text(), "90");
  EXPECT_EQ(q->find("comparator")->text(), ">=");
  JsonValue condition = out(kCond2);
  const JsonValue* onset = condition.find("onsetAge");
  ASSERT_NE(onset, nullptr);
  EXPECT_EQ(onset->find("value")->text(), "90");
  EXPECT_EQ(onset->find("comparator")->text(), ">=");
  JsonValue family = out(kFamily);  // the father, born 1925
  EXPECT_EQ(family.find("bornDate"), nullptr);
  EXPECT_EQ(family.find("extension")->items()[0].find("url")->text(),
            "urn:gateway:deid:age-90-or-older");
  EXPECT_EQ(family.find("relationship")->find("coding")->items()[0].find("code")->text(), "FTH");
}

TEST_F(SafeHarborTest, CodesQuantitiesAndLabelsAreKept) {
  JsonValue g = out(kGlucose);
  const JsonValue& coding = g.find("code")->find("coding")->items()[0];
  EXPECT_EQ(coding.find("code")->text(), "2345-7");
  EXPECT_EQ(coding.find("display")->text(), "Glucose [Mass/volume] in Serum or Plasma");
  EXPECT_EQ(g.find("code")->find("text"), nullptr);
  EXPECT_EQ(g.find("valueQuantity")->find("value")->text(), "105");
  EXPECT_EQ(g.find("valueQuantity")->find("unit")->text(), "mg/dL");
  EXPECT_EQ(g.find("note"), nullptr);
  EXPECT_EQ(out(kCond1).find("code")->find("coding")->items()[0].find("code")->text(), "38341003");
  EXPECT_EQ(out(kVin).find("valueString"), nullptr);
  EXPECT_EQ(out(kBio).find("valueSampledData")->find("data"), nullptr);
  // meta: the sensitivity label stays, PSEUDED is added, the rest goes.
  JsonValue patient = out(kPatient);
  const JsonValue* meta = patient.find("meta");
  ASSERT_NE(meta, nullptr);
  std::set<std::string> codes;
  for (const JsonValue& c : meta->find("security")->items()) codes.insert(c.find("code")->text());
  EXPECT_EQ(codes, (std::set<std::string>{"PSY", "PSEUDED"}));
  EXPECT_EQ(meta->find("versionId"), nullptr);
  EXPECT_EQ(meta->find("source"), nullptr);
  for (const Record& r : result_.records) {
    EXPECT_NE(r.json.find("\"code\":\"PSEUDED\""), std::string::npos) << r.resource_type;
  }
}

TEST_F(SafeHarborTest, ReferencesResolveWithinTheOutput) {
  std::set<std::string> present;
  for (const Record& r : result_.records) present.insert(r.resource_type + "/" + r.id);
  size_t resolved = 0;
  for (const Record& r : result_.records) {
    for (size_t pos = 0; (pos = r.json.find("\"reference\":\"", pos)) != std::string::npos;) {
      pos += 13;
      std::string ref = r.json.substr(pos, r.json.find('"', pos) - pos);
      EXPECT_TRUE(present.count(ref)) << r.resource_type << " -> " << ref.substr(0, ref.find('/'));
      ++resolved;
    }
  }
  EXPECT_GE(resolved, 12u);
  std::string patient = "Patient/" + output_of(result_, kPatient)->id;
  EXPECT_EQ(out(kGlucose).find("subject")->find("reference")->text(), patient);
  EXPECT_EQ(out(kGlucose).find("subject")->find("display"), nullptr);
  EXPECT_EQ(out(kGlucose).find("encounter")->find("reference")->text(),
            "Encounter/" + output_of(result_, kEncounter)->id);
  EXPECT_EQ(out(kGlucose).find("performer"), nullptr);  // Practitioner dropped
  JsonValue enc = out(kEncounter);
  EXPECT_EQ(enc.find("location"), nullptr);  // location.location was required
  EXPECT_EQ(enc.find("serviceProvider"), nullptr);
  EXPECT_EQ(enc.find("participant")->items()[0].find("individual"), nullptr);
}

TEST_F(SafeHarborTest, DropsAreCascadedAndCounted) {
  for (const char* type : {"RelatedPerson", "Organization", "Practitioner", "Location", "Account",
                           "Coverage", "DocumentReference", "Media", "Provenance"}) {
    EXPECT_EQ(find_type(result_, type), nullptr) << type;
    EXPECT_GE(result_.dropped_by_type[type], 1u) << type;
  }
  EXPECT_EQ(result_.dropped_by_type["Organization"], 2u);
  EXPECT_EQ(output_of(result_, kModifiedDevice), nullptr);
  EXPECT_EQ(output_of(result_, kDeviceUse), nullptr);  // its required device was dropped
  EXPECT_EQ(result_.dropped_by_reason[DropReason::kUnsafeModifier], 1u);
  EXPECT_EQ(result_.dropped_by_reason[DropReason::kNothingSafeLeft], 1u);
  EXPECT_EQ(result_.dropped_by_reason[DropReason::kResourceType], 10u);
  EXPECT_EQ(result_.records.size() + 12u, input_.size());
  // The Condition that cited the dropped DeviceUseStatement stays, without it.
  EXPECT_EQ(out(kCond1).find("evidence"), nullptr);
  EXPECT_EQ(text_.find("DeviceUseStatement/"), std::string::npos);
  // The kept Device lost its serial, UDI, URL and identifiers, not its type.
  const Record* device = find_type(result_, "Device");
  ASSERT_NE(device, nullptr);
  EXPECT_NE(device->json.find("469183006"), std::string::npos);
}

TEST_F(SafeHarborTest, SameStudyKeySameOutputOtherKeyUnlinkable) {
  auto again = deidentify(input_, key_, kToken, options());
  ASSERT_TRUE(again.ok());
  ASSERT_EQ(again->records.size(), result_.records.size());
  for (size_t i = 0; i < result_.records.size(); ++i) {
    EXPECT_EQ(again->records[i].json, result_.records[i].json);
  }
  crypto::SecretBytes other_key = study_key(0x22);
  auto other = deidentify(input_, other_key, kToken, options());
  ASSERT_TRUE(other.ok());
  EXPECT_NE(other->pseudonym, result_.pseudonym);
  std::string other_all;
  for (const Record& r : other->records) other_all += r.json;
  EXPECT_EQ(other_all.find(result_.pseudonym), std::string::npos);
  for (const Record& r : result_.records) EXPECT_EQ(other_all.find(r.id), std::string::npos);
  // Another patient of the same study gets another pseudonym.
  auto other_patient = deidentify(input_, key_, "another-token", options());
  ASSERT_TRUE(other_patient.ok());
  EXPECT_NE(other_patient->pseudonym, result_.pseudonym);
}

TEST(SafeHarborAges, AgeIsReachedAtDeathNotAtTheTransfer) {
  crypto::SecretBytes key = study_key(0x44);
  auto patient = [&](const char* death) {
    std::vector<Record> one{Record{"Patient", "p1",
                                   std::string(R"({"resourceType":"Patient","id":"p1",)") +
                                       R"("birthDate":"1930-05-01","deceasedDateTime":")" + death +
                                       "\"}"}};
    auto r = deidentify(one, key, kToken, options());
    EXPECT_TRUE(r.ok());
    return r.ok() ? r->records[0].json : std::string();
  };
  std::string died_at_69 = patient("2000-03-04");
  EXPECT_NE(died_at_69.find(R"("birthDate":"1930")"), std::string::npos);
  EXPECT_NE(died_at_69.find(R"("deceasedDateTime":"2000")"), std::string::npos);
  EXPECT_EQ(died_at_69.find("age-90-or-older"), std::string::npos);
  // Died some day of 2020: possibly after the 90th birthday.
  std::string died_2020 = patient("2020");
  EXPECT_EQ(died_2020.find("birthDate"), std::string::npos);
  EXPECT_NE(died_2020.find("age-90-or-older"), std::string::npos);
}

TEST(SafeHarborAges, YearsThatProveAnAgeOver89AreDropped) {
  crypto::SecretBytes key = study_key(0x45);
  std::vector<Record> records{
      Record{"Patient", "p1", R"({"resourceType":"Patient","id":"p1","gender":"male"})"},
      Record{"Condition", "c1", R"({"resourceType":"Condition","id":"c1",
        "code":{"coding":[{"system":"http://snomed.info/sct","code":"14189004"}]},
        "subject":{"reference":"Patient/p1"},"onsetDateTime":"1936-06-01",
        "recordedDate":"1937-01-02"})"}};
  auto r = deidentify(records, key, kToken, options());  // reference date 2026-12-07
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->records.size(), 2u);
  EXPECT_EQ(r->records[1].json.find("1936"), std::string::npos);
  EXPECT_NE(r->records[1].json.find(R"("recordedDate":"1937")"), std::string::npos);
}

TEST_F(SafeHarborTest, AnEmployersNameInADisplayIsDropped) {
  // "Quasar" is only in Organization.name and a reference display.
  std::vector<Record> records = input_;
  records[kCond2].json = R"({"resourceType":"Condition","id":"cond-2","subject":{"reference":
    "Patient/MRN7731946"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"396275006",
    "display":"Osteoarthritis from work at quasar"}]}})";
  records[kPatient].json.erase(records[kPatient].json.find("\"contact\""));
  records[kPatient].json += R"("active":true})";
  auto r = deidentify(records, key_, kToken, options());
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  const Record* c = output_of(*r, kCond2);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->json.find("quasar"), std::string::npos);
  EXPECT_NE(c->json.find("396275006"), std::string::npos);
}

TEST_F(SafeHarborTest, ANameTypedIntoACodedDisplayIsDropped) {
  std::vector<Record> records = input_;
  records[kCond2].json = R"j({"resourceType":"Condition","id":"cond-2","subject":{"reference":
    "Patient/MRN7731946"},"code":{"coding":[{"system":"http://snomed.info/sct","code":"396275006",
    "display":"Osteoarthritis (per Mrs. ZWOLINSKI)"}]}})j";
  auto r = deidentify(records, key_, kToken, options());
  ASSERT_TRUE(r.ok());
  const Record* c = output_of(*r, kCond2);
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->json.find("ZWOLINSKI"), std::string::npos);
  EXPECT_EQ(c->json.find("Osteoarthritis"), std::string::npos);
  EXPECT_NE(c->json.find("396275006"), std::string::npos);
}

}  // namespace
}  // namespace gw::deid
