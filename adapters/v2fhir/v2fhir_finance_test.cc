// Financial, problem and referral messages (finance.h): identities that do
// not depend on positions, exact money, event-specific statuses, and bad
// fields that warn instead of losing the message. The rich messages are
// golden tests (testdata/bar_*, dft_*, ppr_*, ref_*).
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "adapters/v2fhir/test_expect.h"

namespace gw::v2fhir::testing {
namespace {

using fhir::JsonValue;

std::string Msh(std::string_view type, std::string_view control = "CTRL-1") {
  return "MSH|^~\\&|APP|GOODHEALTH|GW|GWFAC|20240402180511-0400||" + std::string(type) + "|" +
         std::string(control) + "|P|2.5.1\r";
}

const std::string kPid = S("PID", {{1, "1"},
                                   {3, "100210^^^GOODHEALTH^MR"},
                                   {5, "RIVERA^MARISOL"},
                                   {8, "F"},
                                   {18, "7700210^^^GOODHEALTH^AN"}});

// Converts and fails the test on any mapping error (each one named).
void ConvertClean(const std::string& er7, Converted* out) {
  Convert(er7, out);
  for (const MappingIssue& e : out->result.errors)
    ADD_FAILURE() << e.location.to_string() << ": " << e.text;
  ASSERT_TRUE(out->result.ok());
}

// fullUrls of the entries of `type`, in order.
std::vector<std::string> Urls(const Converted& c, std::string_view type) {
  std::vector<std::string> out;
  for (const JsonValue& e : c.result.bundle.find("entry")->items()) {
    if (e.find("resource")->find("resourceType")->text() == type)
      out.push_back(e.find("fullUrl")->text());
  }
  return out;
}

std::string Ft1(const std::string& set_id, const std::string& txn, const std::string& code,
                const std::string& amount) {
  return S("FT1", {{1, set_id},
                   {2, txn},
                   {4, "20240402"},
                   {6, "CG"},
                   {7, code + "^Charge^99CDM"},
                   {10, "1"},
                   {11, amount + "&USD"}});
}

TEST(FinanceCharges, IdentityIsTheTransactionIdNotTheSetId) {
  Converted a, b;
  ConvertClean(
      Msh("DFT^P03") + kPid + Ft1("1", "TX-1", "100", "10.00") + Ft1("2", "TX-2", "200", "20.00"),
      &a);
  // The same charges resent in another order, renumbered.
  ConvertClean(Msh("DFT^P03", "CTRL-2") + kPid + Ft1("1", "TX-2", "200", "20.00") +
                   Ft1("2", "TX-1", "100", "10.00"),
               &b);
  std::vector<std::string> ua = Urls(a, "ChargeItem"), ub = Urls(b, "ChargeItem");
  ASSERT_EQ(ua.size(), 2u);
  ASSERT_EQ(ub.size(), 2u);
  EXPECT_EQ(ua[0], ub[1]);
  EXPECT_EQ(ua[1], ub[0]);
  EXPECT_NE(ua[0], ua[1]);
}

TEST(FinanceCharges, WithoutTransactionIdContentDecidesNotPosition) {
  Converted a, b;
  ConvertClean(Msh("DFT^P03") + kPid + Ft1("1", "", "100", "10.00") + Ft1("2", "", "200", "20.00"),
               &a);
  ConvertClean(
      Msh("DFT^P03", "CTRL-2") + kPid + Ft1("1", "", "200", "20.00") + Ft1("2", "", "100", "10.00"),
      &b);
  std::vector<std::string> ua = Urls(a, "ChargeItem"), ub = Urls(b, "ChargeItem");
  ASSERT_EQ(ua.size(), 2u);
  ASSERT_EQ(ub.size(), 2u);
  EXPECT_NE(ua[0], ua[1]);  // two charges with the same set ids elsewhere stay two
  EXPECT_EQ(ua[0], ub[1]);
  EXPECT_EQ(ua[1], ub[0]);
  EXPECT_TRUE(HasWarning(a, "FT1[1]-2", "no transaction id"));
}

TEST(FinanceCharges, IdenticalLinesWithoutTransactionIdAreTwoCharges) {
  Converted a, b;
  std::string line = Ft1("1", "", "300", "5.00");
  ConvertClean(Msh("DFT^P03") + kPid + line + line, &a);
  ConvertClean(Msh("DFT^P03", "CTRL-2") + kPid + line + line, &b);
  std::vector<std::string> ua = Urls(a, "ChargeItem");
  ASSERT_EQ(ua.size(), 2u);
  EXPECT_NE(ua[0], ua[1]);
  EXPECT_EQ(ua, Urls(b, "ChargeItem"));  // and a resend finds the same two
}

TEST(FinanceCharges, BatchScopesTheTransactionId) {
  Converted c;
  std::string one = S("FT1", {{1, "1"}, {2, "7"}, {3, "B1"}, {6, "CG"}, {7, "100^C^99CDM"}});
  std::string two = S("FT1", {{1, "2"}, {2, "7"}, {3, "B2"}, {6, "CG"}, {7, "100^C^99CDM"}});
  ConvertClean(Msh("DFT^P03") + kPid + one + two, &c);
  EXPECT_EQ(Urls(c, "ChargeItem").size(), 2u);
}

TEST(FinanceCharges, MoneyIsExactWithItsCurrency) {
  Converted c;
  ConvertClean(Msh("DFT^P03") + kPid +
                   S("FT1", {{1, "1"},
                             {2, "TX-9"},
                             {6, "CG"},
                             {7, "100^C^99CDM"},
                             {10, "3"},
                             {11, "0.30&EUR"},
                             {12, "0.10&EUR"}}),
               &c);
  const JsonValue* ci = Resources(c, "ChargeItem").at(0);
  EXPECT_EQ(Canonical(*ci->find("priceOverride")), R"({"currency":"EUR","value":0.30})");
  std::string unit = Canonical(*ci->find("extension"));
  EXPECT_NE(unit.find(R"("valueMoney":{"currency":"EUR","value":0.10})"), std::string::npos)
      << unit;
}

TEST(FinanceCharges, BadFieldsWarnAndTheChargeSurvives) {
  Converted c;
  ConvertClean(Msh("DFT^P03") + kPid +
                   S("FT1", {{1, "1"},
                             {2, "TX-3"},
                             {6, "ZZ"},
                             {10, "many"},
                             {11, "12,50&USD"},
                             {12, "1.00&DOLLARS"}}),
               &c);
  std::vector<const JsonValue*> items = Resources(c, "ChargeItem");
  ASSERT_EQ(items.size(), 1u);
  EXPECT_EQ(items[0]->find("status")->text(), "unknown");
  EXPECT_EQ(items[0]->find("priceOverride"), nullptr);
  EXPECT_NE(Canonical(*items[0]->find("code")).find("data-absent-reason"), std::string::npos);
  EXPECT_TRUE(HasWarning(c, "FT1-6", "transaction type not mapped"));
  EXPECT_TRUE(HasWarning(c, "FT1-7", "transaction code missing"));
  EXPECT_TRUE(HasWarning(c, "FT1-10", "invalid quantity"));
  EXPECT_TRUE(HasWarning(c, "FT1-11.1", "invalid amount"));
  EXPECT_TRUE(HasWarning(c, "FT1-12.1", "currency"));
  ExpectNoContent(c.result, {"12,50", "DOLLARS"});
}

TEST(FinanceCharges, ProceduresOfAChargeAreItsService) {
  Converted c;
  ConvertClean(Msh("DFT^P11") + kPid + Ft1("1", "TX-1", "93000", "48.75") +
                   S("PR1", {{1, "1"}, {3, "93000^Electrocardiogram^C4"}, {5, "20240405"}}) +
                   Ft1("2", "TX-2", "100", "10.00"),
               &c);
  std::vector<const JsonValue*> items = Resources(c, "ChargeItem");
  ASSERT_EQ(items.size(), 2u);
  ASSERT_NE(items[0]->find("service"), nullptr);
  EXPECT_EQ(items[0]->find("service")->items().at(0).find("reference")->text(),
            Urls(c, "Procedure").at(0));
  EXPECT_EQ(items[1]->find("service"), nullptr);
}

TEST(FinanceCharges, MalformedFieldsOfTheseSegmentsNeverRefuseTheMessage) {
  Converted c;
  ConvertClean(Msh("DFT^P03") + kPid +
                   S("FT1", {{1, "1"},
                             {2, "TX-5"},
                             {4, "20241399"},
                             {5, "yesterday"},
                             {6, "CG"},
                             {7, "100^C^99CDM"}}) +
                   S("GT1", {{1, "1"}, {3, "RIVERA^TOMAS"}, {8, "1974-02-19"}, {11, "SPO"}}),
               &c);
  ASSERT_EQ(Resources(c, "ChargeItem").size(), 1u);
  EXPECT_EQ(Resources(c, "ChargeItem")[0]->find("occurrenceDateTime"), nullptr);
  EXPECT_TRUE(HasWarning(c, "FT1-4.1", "invalid timestamp"));
  EXPECT_TRUE(HasWarning(c, "FT1-5", "invalid timestamp"));
  EXPECT_TRUE(HasWarning(c, "GT1-8", "invalid timestamp"));
  ASSERT_EQ(Resources(c, "RelatedPerson").size(), 1u);

  Converted p;
  ConvertClean(Msh("PPR^PC1") + kPid +
                   S("PRB", {{1, "AD"},
                             {2, "noon"},
                             {3, "49436004^AF^SCT"},
                             {4, "PRB-9^GOODHEALTH-PL"},
                             {16, "2024-04-05"}}) +
                   S("ROL", {{2, "AD"}, {3, "CP"}, {4, "1234^DOC"}, {5, "soon"}}),
               &p);
  ASSERT_EQ(Resources(p, "Condition").size(), 1u);
  EXPECT_TRUE(HasWarning(p, "PRB-2", "invalid timestamp"));
  EXPECT_TRUE(HasWarning(p, "PRB-16", "invalid timestamp"));
  EXPECT_TRUE(HasWarning(p, "ROL-5", "invalid timestamp"));

  Converted r;
  ConvertClean(Msh("REF^I12") + S("RF1", {{1, "P"}, {6, "RFR-2^GOODHEALTH-REF"}, {7, "today"}}) +
                   S("PRD", {{1, "RP"}, {2, "WEISS^HANNA"}, {8, "2024-01-01"}}) + kPid,
               &r);
  ASSERT_EQ(Resources(r, "ServiceRequest").size(), 1u);
  EXPECT_TRUE(HasWarning(r, "RF1-7", "invalid timestamp"));
  EXPECT_TRUE(HasWarning(r, "PRD-8", "invalid timestamp"));
}

TEST(FinanceAccount, AccountFromPid18LinksChargesAndEncounter) {
  Converted c;
  ConvertClean(Msh("DFT^P03") + kPid +
                   S("PV1", {{1, "1"}, {2, "O"}, {19, "VN-1^^^GOODHEALTH^VN"}}) +
                   Ft1("1", "TX-1", "100", "10.00"),
               &c);
  std::vector<std::string> accounts = Urls(c, "Account");
  ASSERT_EQ(accounts.size(), 1u);
  const JsonValue* ci = Resources(c, "ChargeItem").at(0);
  EXPECT_EQ(ci->find("account")->items().at(0).find("reference")->text(), accounts[0]);
  const JsonValue* enc = Resources(c, "Encounter").at(0);
  EXPECT_EQ(enc->find("account")->items().at(0).find("reference")->text(), accounts[0]);
}

TEST(FinanceAccount, NoAccountNumberWarnsAndKeepsTheCharges) {
  Converted c;
  ConvertClean(Msh("DFT^P03") + S("PID", {{1, "1"}, {3, "100210^^^GOODHEALTH^MR"}}) +
                   Ft1("1", "TX-1", "100", "10.00"),
               &c);
  EXPECT_TRUE(Urls(c, "Account").empty());
  ASSERT_EQ(Resources(c, "ChargeItem").size(), 1u);
  EXPECT_EQ(Resources(c, "ChargeItem")[0]->find("account"), nullptr);
  EXPECT_TRUE(HasWarning(c, "PID-18", "no patient account number"));
}

TEST(FinanceAccount, GuarantorInAnAdtMessageOpensTheAccount) {
  Converted c;
  ConvertClean(
      Msh("ADT^A01") + kPid + S("GT1", {{1, "1"}, {3, "RIVERA^TOMAS"}, {11, "SPO^Spouse^HL70063"}}),
      &c);
  std::vector<const JsonValue*> accounts = Resources(c, "Account");
  ASSERT_EQ(accounts.size(), 1u);
  EXPECT_EQ(accounts[0]->find("guarantor")->items().at(0).find("party")->find("reference")->text(),
            Urls(c, "RelatedPerson").at(0));
}

TEST(FinanceAccount, PurgeMakesEveryAccountInactive) {
  Converted c;
  std::string pid2 =
      S("PID", {{1, "2"}, {3, "100211^^^GOODHEALTH^MR"}, {18, "7700211^^^GOODHEALTH^AN"}});
  ConvertClean(Msh("BAR^P02") + kPid + pid2, &c);
  std::vector<const JsonValue*> accounts = Resources(c, "Account");
  ASSERT_EQ(accounts.size(), 2u);
  for (const JsonValue* a : accounts) EXPECT_EQ(a->find("status")->text(), "inactive");
  EXPECT_NE(Canonical(*accounts[0]->find("subject")), Canonical(*accounts[1]->find("subject")));
}

TEST(FinanceAccount, DiagnosesAndCoveragesLinkToTheAccountsEncounter) {
  Converted c;
  ConvertClean(Msh("BAR^P01") + kPid +
                   S("PV1", {{1, "1"}, {2, "I"}, {19, "VN-1^^^GOODHEALTH^VN"}}) +
                   S("DG1", {{1, "1"}, {3, "K35.80^Appendicitis^I10"}}) +
                   S("IN1", {{1, "1"}, {3, "71234^^^NAIC^NIIP"}, {4, "PLAN"}, {36, "POL-1"}}),
               &c);
  const JsonValue* enc = Resources(c, "Encounter").at(0);
  ASSERT_NE(enc->find("diagnosis"), nullptr);
  EXPECT_EQ(enc->find("diagnosis")->items().at(0).find("condition")->find("reference")->text(),
            Urls(c, "Condition").at(0));
  const JsonValue* acc = Resources(c, "Account").at(0);
  ASSERT_NE(acc->find("coverage"), nullptr);
  EXPECT_EQ(acc->find("coverage")->items().at(0).find("coverage")->find("reference")->text(),
            Urls(c, "Coverage").at(0));
}

TEST(Problems, DeleteWithdrawsTheProblemWithoutClinicalStatus) {
  Converted c;
  ConvertClean(Msh("PPR^PC3") + kPid +
                   S("PRB", {{1, "DE"},
                             {2, "20240521110000"},
                             {3, "44054006^Diabetes^SCT"},
                             {4, "PRB-1^GOODHEALTH-PL"},
                             {14, "active"}}),
               &c);
  const JsonValue* cond = Resources(c, "Condition").at(0);
  EXPECT_EQ(cond->find("clinicalStatus"), nullptr);
  EXPECT_NE(Canonical(*cond->find("verificationStatus")).find("entered-in-error"),
            std::string::npos);
  EXPECT_TRUE(HasWarning(c, "PRB-14", "deleted problem"));
}

TEST(Problems, SameProblemInstanceIsOneCondition) {
  Converted a, b;
  std::string prb = S("PRB", {{1, "AD"},
                              {2, "20240410101000"},
                              {3, "49436004^Atrial fibrillation^SCT"},
                              {4, "PRB-7^GOODHEALTH-PL"},
                              {14, "active"}});
  std::string prb_update = S("PRB", {{1, "UC"},
                                     {2, "20240510101000"},
                                     {3, "49436004^Atrial fibrillation^SCT"},
                                     {4, "PRB-7^GOODHEALTH-PL"},
                                     {14, "resolved"}});
  ConvertClean(Msh("PPR^PC1") + kPid + prb, &a);
  ConvertClean(Msh("PPR^PC2", "CTRL-2") + kPid + prb_update, &b);
  EXPECT_EQ(Urls(a, "Condition"), Urls(b, "Condition"));
  EXPECT_NE(Canonical(*Resources(b, "Condition")[0]->find("clinicalStatus")).find("resolved"),
            std::string::npos);
}

TEST(Problems, UnknownStatusWarnsAndTheProblemSurvives) {
  Converted c;
  ConvertClean(Msh("PPR^PC1") + kPid +
                   S("PRB", {{1, "AD"},
                             {2, "20240410101000"},
                             {3, "49436004^Atrial fibrillation^SCT"},
                             {4, "PRB-8^GOODHEALTH-PL"},
                             {13, "maybe"},
                             {14, "smouldering"}}),
               &c);
  ASSERT_EQ(Resources(c, "Condition").size(), 1u);
  EXPECT_TRUE(HasWarning(c, "PRB-13", "confirmation status not mapped"));
  EXPECT_TRUE(HasWarning(c, "PRB-14", "life cycle status not mapped"));
}

TEST(Referrals, RfBeforePidGetsItsSubjectAndProviders) {
  Converted c;
  ConvertClean(Msh("REF^I12") +
                   S("RF1", {{1, "P"}, {2, "S"}, {6, "RFR-1^GOODHEALTH-REF"}, {7, "20240412"}}) +
                   S("PRD", {{1, "RP"}, {2, "WEISS^HANNA"}, {7, "6789012345^NPI"}}) +
                   S("PRD", {{1, "RT"}, {2, "MORENO^ISABEL"}, {7, "4455667788^NPI"}}) + kPid,
               &c);
  std::vector<const JsonValue*> srs = Resources(c, "ServiceRequest");
  ASSERT_EQ(srs.size(), 1u);
  const JsonValue* sr = srs[0];
  EXPECT_EQ(sr->find("status")->text(), "active");
  EXPECT_EQ(sr->find("priority")->text(), "stat");
  EXPECT_EQ(sr->find("subject")->find("reference")->text(), Urls(c, "Patient").at(0));
  std::vector<std::string> roles = Urls(c, "PractitionerRole");
  ASSERT_EQ(roles.size(), 2u);
  EXPECT_EQ(sr->find("requester")->find("reference")->text(), roles[0]);
  EXPECT_EQ(sr->find("performer")->items().at(0).find("reference")->text(), roles[1]);
}

TEST(Referrals, CancelRevokesTheSameReferral) {
  Converted a, b;
  std::string rf1 = S("RF1", {{1, "A"}, {6, "RFR-1^GOODHEALTH-REF"}, {7, "20240412"}});
  ConvertClean(Msh("REF^I12") + rf1 + kPid, &a);
  ConvertClean(Msh("REF^I14", "CTRL-2") + rf1 + kPid, &b);
  EXPECT_EQ(Urls(a, "ServiceRequest"), Urls(b, "ServiceRequest"));
  EXPECT_EQ(Resources(a, "ServiceRequest")[0]->find("status")->text(), "active");
  EXPECT_EQ(Resources(b, "ServiceRequest")[0]->find("status")->text(), "revoked");
}

TEST(Roles, RolFollowsTheSegmentItBelongsTo) {
  Converted c;
  std::string doc = "1234567890^ATTEND^ALICE^^^DR^^^^^^^NPI";
  ConvertClean(Msh("BAR^P01") + kPid +
                   S("ROL", {{2, "AD"}, {3, "PP^Primary Care Provider^HL70443"}, {4, doc}}) +
                   S("PV1", {{1, "1"}, {2, "I"}, {19, "VN-1^^^GOODHEALTH^VN"}}) +
                   S("ROL", {{2, "AD"}, {3, "CP^Consulting Provider^HL70443"}, {4, doc}}) +
                   S("PR1", {{1, "1"}, {3, "0DTJ4ZZ^Appendectomy^I10P"}, {5, "20240402"}}) +
                   S("ROL", {{2, "AD"}, {3, "AT^Attending^HL70443"}, {4, doc}}),
               &c);
  std::string practitioner = Urls(c, "Practitioner").at(0);
  const JsonValue* patient = Resources(c, "Patient").at(0);
  EXPECT_EQ(patient->find("generalPractitioner")->items().at(0).find("reference")->text(),
            practitioner);
  const JsonValue* enc = Resources(c, "Encounter").at(0);
  EXPECT_NE(Canonical(*enc->find("participant")).find("\"CP\""), std::string::npos);
  const JsonValue* proc = Resources(c, "Procedure").at(0);
  EXPECT_NE(Canonical(*proc->find("performer")).find("\"AT\""), std::string::npos);
  EXPECT_TRUE(Resources(c, "CareTeam").empty());
}

}  // namespace
}  // namespace gw::v2fhir::testing
