// Order, immunization, scheduling and document messages (clinical.h): error
// cases (testdata/errors), code-table mappings, helpers, hostile sizes. The
// rich messages are golden tests (v2fhir_golden_test, testdata/*.hl7).
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <string>

#include "adapters/v2fhir/clinical.h"
#include "adapters/v2fhir/test_expect.h"

namespace gw::v2fhir::testing {
namespace {

using fhir::JsonValue;

std::string Msh(std::string_view type) {
  return "MSH|^~\\&|APP|FAC|GW|GWFAC|20240101120000||" + std::string(type) + "|CTRL-1|P|2.5.1\r";
}

// ---- Error cases -----------------------------------------------------------

TEST(ClinicalErrors, EachErrorMessageFailsAtTheExpectedField) {
  const std::map<std::string, std::pair<std::string, std::string>> kExpected = {
      {"mdm_t03_error_no_document_number", {"TXA-12", "unique document number required"}},
  };
  int seen = 0;
  for (const auto& f : std::filesystem::directory_iterator(TestDataDir() / "errors")) {
    if (f.path().extension() != ".hl7") continue;
    ++seen;
    std::string name = f.path().stem().string();
    auto it = kExpected.find(name);
    ASSERT_NE(it, kExpected.end()) << "no expectation for errors/" << name;
    Converted c;
    std::string er7 = ReadFile(f.path());
    Convert(er7, &c);
    ASSERT_TRUE(c.parsed.ok()) << name;
    ASSERT_FALSE(c.result.ok()) << name << " converted without error";
    bool found = false;
    for (const MappingIssue& e : c.result.errors) {
      if (e.location.to_string() == it->second.first && e.text == it->second.second) found = true;
      // No value of the message in any issue: every field/component value of
      // 4+ characters is checked against the issue text.
      for (const MappingIssue* i : {&e}) {
        std::string token;
        for (char ch : er7 + "|") {
          if (ch == '|' || ch == '^' || ch == '~' || ch == '&' || ch == '\r') {
            if (token.size() >= 4 && token != "MSH" && token.find("\\") == std::string::npos) {
              EXPECT_EQ(i->text.find(token), std::string::npos) << name << ": issue quotes a value";
              EXPECT_EQ(i->location.to_string().find(token), std::string::npos)
                  << name << ": location quotes a value";
            }
            token.clear();
          } else {
            token.push_back(ch);
          }
        }
      }
    }
    EXPECT_TRUE(found) << name << ": expected " << it->second.first << ": " << it->second.second
                       << ", got " << c.result.errors.front().location.to_string() << ": "
                       << c.result.errors.front().text;
  }
  EXPECT_EQ(seen, static_cast<int>(kExpected.size()));
}

// ---- VXU ---------------------------------------------------------------------

// "10^9/L" sent without escaping the caret: one unit, as the sender meant it;
// a coded unit (with its coding system in .3) is left as coded.
TEST(ClinicalUnits, PowerOfTenWithAnUnescapedCaretIsOneUnit) {
  Converted c;
  ConvertText(Msh("ORU^R01") + "PID|1||1^^^A^MR\rOBR|1||F1^LAB|6690-2^WBC^LN\r"
                  "OBX|1|NM|6690-2^WBC^LN||7.5|10^9/L|4.0-11.0||||F\r"
                  "OBX|2|NM|718-7^Hgb^LN||13.1|g/dL^grams per deciliter^UCUM|||||F\r",
              {}, &c);
  ASSERT_TRUE(c.result.ok()) << Issues(c);
  auto obs = Resources(c.result, "Observation");
  ASSERT_EQ(obs.size(), 2u);
  EXPECT_EQ(obs[0]->find("valueQuantity")->find("unit")->text(), "10^9/L");
  EXPECT_EQ(obs[0]->find("referenceRange")->items()[0].find("low")->find("unit")->text(),
            "10^9/L");
  EXPECT_TRUE(HasWarning(c.result, "OBX[1]-6", "unescaped component separator"));
  EXPECT_EQ(obs[1]->find("valueQuantity")->find("code")->text(), "g/dL");
}

std::string Vxu(std::string_view rxa20, std::string_view rxa21 = "A") {
  return Msh("VXU^V04^VXU_V04") + "PID|1||P1^^^FAC^MR||DOE^JO||20200101|F\r" +
         "ORC|RE||IZ-1^FAC\r" +
         S("RXA", {{1, "0"},
                   {2, "1"},
                   {3, "20240610"},
                   {5, "08^Hep B^CVX"},
                   {6, "999"},
                   {20, std::string(rxa20)},
                   {21, std::string(rxa21)}});
}

TEST(ClinicalVxu, CompletionStatusMapsToImmunizationStatus) {
  struct Case {
    const char* rxa20;
    const char* rxa21;
    const char* status;
    bool subpotent;
  } kCases[] = {{"CP", "A", "completed", false}, {"", "A", "completed", false},
                {"PA", "A", "completed", true},  {"RE", "A", "not-done", false},
                {"NA", "A", "not-done", false},  {"CP", "D", "entered-in-error", false}};
  for (const Case& k : kCases) {
    Converted c;
    Convert(Vxu(k.rxa20, k.rxa21), &c);
    ASSERT_TRUE(c.result.ok()) << Issues(c);
    const JsonValue* imm = First(c, "Immunization");
    EXPECT_EQ(Text(imm, "status"), k.status) << k.rxa20 << "/" << k.rxa21;
    EXPECT_EQ(imm->find("isSubpotent") != nullptr, k.subpotent) << k.rxa20;
    EXPECT_EQ(imm->find("doseQuantity"), nullptr) << "999 is an unknown amount";
  }
  // An unknown completion status is a warning, not a refusal (see
  // v2fhir_pharmacy_test.cc for the other bad RXA fields).
  Converted bad;
  Convert(Vxu("ZZ"), &bad);
  ASSERT_TRUE(bad.result.ok()) << Issues(bad);
  EXPECT_EQ(Text(First(bad, "Immunization"), "status"), "completed");
}

TEST(ClinicalVxu, ObservationAfterRxaIsPartOfTheImmunization) {
  Converted c;
  Convert(Vxu("CP") + "OBX|1|CE|31044-1^Reaction^LN|1|39579001^Anaphylaxis^SCT||||||F\r", &c);
  ASSERT_TRUE(c.result.ok()) << Issues(c);
  const JsonValue* obs = First(c, "Observation");
  ASSERT_NE(obs, nullptr);
  const JsonValue* part_of = obs->find("partOf");
  ASSERT_NE(part_of, nullptr);
  EXPECT_EQ(part_of->items()[0].find("reference")->text().rfind("urn:uuid:", 0), 0u);
  EXPECT_EQ(obs->find("basedOn"), nullptr);
  for (const MappingIssue& w : c.result.warnings) {
    if (w.location.to_string().rfind("OBX", 0) == 0)
      ADD_FAILURE() << w.location.to_string() << ": " << w.text;
  }
}

TEST(ClinicalVxu, VisDateWithoutDocumentTypeIsAnObservation) {
  // Education needs documentType or reference (imm-1): a lone VIS date is not
  // education.
  Converted c;
  Convert(Vxu("CP") + "OBX|1|TS|29769-7^VIS presented^LN|5|20240610||||||F\r", &c);
  ASSERT_TRUE(c.result.ok()) << Issues(c);
  EXPECT_EQ(First(c, "Immunization")->find("education"), nullptr);
  EXPECT_NE(First(c, "Observation"), nullptr);
}

// A guard against quadratic work per OBX (an earlier version searched all
// entries for every OBX). Not a speed test: it compares 9,900 OBX with 990 on
// the same machine at the same moment; linear work is about 10x, quadratic
// about 100x, and the bound sits far from both, whatever the machine's speed.
TEST(ClinicalVxu, ManyObservationsScaleLinearly) {
  auto convert_ms = [](int count, Converted* c) {
    std::string obx;
    for (int i = 0; i < count; ++i)
      obx += "OBX|" + std::to_string(i + 1) + "|NM|59779-9^Schedule^LN|" + std::to_string(i) +
             "|1||||||F\r";
    // The same OBX before the RXA too: generic observations, no partOf.
    auto t0 = std::chrono::steady_clock::now();
    Convert(Vxu("CP") + obx, c);
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  };
  Converted small, large;
  double small_ms = convert_ms(990, &small);
  small_ms = std::min(small_ms, convert_ms(990, &small));  // the best of two: less noise
  double large_ms = convert_ms(9900, &large);
  // Best of two here as well when it looks slow: one run descheduled on a
  // loaded machine (seen at a load average of 10) is not quadratic work.
  if (large_ms / std::max(small_ms, 0.1) >= 40.0)
    large_ms = std::min(large_ms, convert_ms(9900, &large));
  ASSERT_TRUE(large.result.ok()) << Issues(large);
  EXPECT_EQ(large.result.bundle.find("entry")->items().size(), 9900u + 6u);
  EXPECT_LT(large_ms / std::max(small_ms, 0.1), 40.0)
      << "990 OBX: " << small_ms << " ms, 9900 OBX: " << large_ms << " ms";
  std::printf("VXU with 990 / 9900 OBX: %.0f / %.0f ms\n", small_ms, large_ms);
}

// ---- SIU ---------------------------------------------------------------------

std::string Siu(std::string_view sch25, std::string_view aip12 = "") {
  return Msh("SIU^S12^SIU_S12") + S("SCH", {{2, "A-1^FAC"}, {25, std::string(sch25)}}) +
         S("TQ1", {{1, "1"}, {7, "202403250930-0500"}, {8, "202403251000-0500"}}) +
         "PID|1||P1^^^FAC^MR||DOE^JO||20200101|F\rRGS|1|A\r" +
         S("AIP", {{1, "1"},
                   {2, "A"},
                   {3, "123^DOC^DAN^^^^^^FAC"},
                   {9, "20"},
                   {10, "MIN"},
                   {12, std::string(aip12)}});
}

TEST(ClinicalSiu, FillerStatusMapsToAppointmentAndParticipantStatus) {
  struct Case {
    const char* sch25;
    const char* status;
  } kCases[] = {{"Booked", "booked"},           {"", "booked"},
                {"Pending", "pending"},         {"Cancelled", "cancelled"},
                {"Complete", "fulfilled"},      {"Noshow", "noshow"},
                {"Waitlist", "waitlist"},       {"Started", "checked-in"},
                {"Deleted", "entered-in-error"}};
  for (const Case& k : kCases) {
    Converted c;
    Convert(Siu(k.sch25), &c);
    ASSERT_TRUE(c.result.ok()) << Issues(c);
    EXPECT_EQ(Text(First(c, "Appointment"), "status"), k.status) << k.sch25;
  }
  for (auto [aip12, status] :
       {std::pair{"", "accepted"}, std::pair{"Pending", "tentative"},
        std::pair{"Cancelled", "declined"}, std::pair{"Odd", "needs-action"}}) {
    Converted c;
    Convert(Siu("Booked", aip12), &c);
    ASSERT_TRUE(c.result.ok()) << Issues(c);
    const JsonValue& parts = *First(c, "Appointment")->find("participant");
    ASSERT_EQ(parts.items().size(), 2u);  // patient + practitioner
    EXPECT_EQ(parts.items()[1].find("status")->text(), status) << aip12;
  }
}

TEST(ClinicalSiu, EndIsStartPlusDurationAndParticipantPeriodFollows) {
  Converted c;
  Convert(Msh("SIU^S12") +
              S("SCH", {{2, "A-2^FAC"}, {9, "90"}, {10, "MIN"}, {11, "^^^202403252330-0500"}}) +
              "PID|1||P1^^^FAC^MR||DOE^JO\rRGS|1\r" +
              S("AIP", {{1, "1"},
                        {2, "A"},
                        {3, "123^DOC^DAN^^^^^^FAC"},
                        {6, "202403252330-0500"},
                        {9, "45"},
                        {10, "MIN"}}),
          &c);
  ASSERT_TRUE(c.result.ok()) << Issues(c);
  const JsonValue* a = First(c, "Appointment");
  EXPECT_EQ(Text(a, "start"), "2024-03-25T23:30:00-05:00");
  EXPECT_EQ(Text(a, "end"), "2024-03-26T01:00:00-05:00");
  EXPECT_EQ(Text(a, "minutesDuration"), "90");
  const JsonValue* period = a->find("participant")->items()[1].find("period");
  ASSERT_NE(period, nullptr);
  EXPECT_EQ(Text(period, "end"), "2024-03-26T00:15:00-05:00");
}

TEST(ClinicalSiu, NoParticipantAtAllIsAnError) {
  Converted c;
  Convert(Msh("SIU^S12") +
              S("SCH", {{2, "A-3^FAC"}, {11, "^^^202403250930-0500^202403251000-0500"}}) +
              "RGS|1\r",
          &c);
  ASSERT_FALSE(c.result.ok());
  EXPECT_EQ(c.result.errors.front().location.to_string(), "SCH");
}

// ---- MDM ---------------------------------------------------------------------

std::string Mdm(std::string_view txa17, std::string_view txa19, std::string_view obx) {
  return Msh("MDM^T02") + "PID|1||P1^^^FAC^MR||DOE^JO\r" +
         S("TXA", {{1, "1"},
                   {2, "DS^Discharge^HL70270"},
                   {3, "TX"},
                   {12, "DOC-1^FAC"},
                   {17, std::string(txa17)},
                   {19, std::string(txa19)}}) +
         std::string(obx);
}

TEST(ClinicalMdm, CompletionAndAvailabilityStatus) {
  struct Case {
    const char* txa17;
    const char* txa19;
    const char* doc_status;
    const char* status;
  } kCases[] = {{"AU", "AV", "final", "current"},
                {"LA", "", "final", "current"},
                {"PA", "AV", "preliminary", "current"},
                {"IP", "OB", "preliminary", "superseded"},
                {"DI", "CA", "preliminary", "entered-in-error"}};
  for (const Case& k : kCases) {
    Converted c;
    Convert(Mdm(k.txa17, k.txa19, "OBX|1|TX|X^Y^L||line||||||F\r"), &c);
    ASSERT_TRUE(c.result.ok()) << Issues(c);
    const JsonValue* d = First(c, "DocumentReference");
    EXPECT_EQ(Text(d, "docStatus"), k.doc_status) << k.txa17;
    EXPECT_EQ(Text(d, "status"), k.status) << k.txa19;
  }
}

TEST(ClinicalMdm, ContentFromTextLinesAndEncapsulatedData) {
  Converted c;
  Convert(Mdm("AU", "AV",
              "OBX|1|TX|X^Y^L||first~second||||||F\rOBX|2|FT|X^Y^L||third||||||F\r"
              "OBX|3|ED|X^Y^L||^TEXT^^Hex^4869||||||F\rOBX|4|ED|X^Y^L||^AP^RTF^A^abc||||||F\r"),
          &c);
  ASSERT_TRUE(c.result.ok()) << Issues(c);
  EXPECT_EQ(First(c, "Observation"), nullptr) << "document lines are no observations";
  const JsonValue& content = *First(c, "DocumentReference")->find("content");
  ASSERT_EQ(content.items().size(), 3u);
  auto attachment = [&](size_t i) { return content.items()[i].find("attachment"); };
  EXPECT_EQ(Text(attachment(0), "contentType"), "text/plain");
  EXPECT_EQ(Text(attachment(0), "data"), "SGk=");  // "Hi"
  EXPECT_EQ(Text(attachment(1), "contentType"), "application/rtf");
  EXPECT_EQ(Text(attachment(1), "data"), base64_encode("abc"));
  EXPECT_EQ(Text(attachment(2), "data"), base64_encode("first\nsecond\nthird"));
}

// Data that is not the base64 it claims is kept as received (text/plain)
// with a warning that does not quote it: the document is not lost.
TEST(ClinicalMdm, InvalidBase64IsKeptWithAWarningWithoutTheValue) {
  Converted c;
  Convert(Mdm("AU", "AV", "OBX|1|ED|X^Y^L||^AP^PDF^Base64^SECRET$DATA||||||F\r"), &c);
  ASSERT_TRUE(c.result.ok());
  bool warned = false;
  for (const auto& w : c.result.warnings) {
    EXPECT_EQ(w.text.find("SECRET"), std::string::npos);
    warned |= w.location.to_string() == "OBX-5" && w.text.find("not base64") != std::string::npos;
  }
  EXPECT_TRUE(warned);
  EXPECT_NE(Canonical(c.result.bundle).find(base64_encode("SECRET$DATA")), std::string::npos);
}

TEST(ClinicalMdm, LongDocumentIsLinear) {
  std::string obx;
  // The parser's default limit is 10000 segments per message.
  for (int i = 0; i < 9900; ++i)
    obx += "OBX|" + std::to_string(i + 1) + "|TX|X^Y^L||line of text " + std::to_string(i) +
           "||||||F\r";
  Converted c;
  auto t0 = std::chrono::steady_clock::now();
  Convert(Mdm("AU", "AV", obx), &c);
  ASSERT_TRUE(c.parsed.ok());
  auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
          .count();
  ASSERT_TRUE(c.result.ok()) << Issues(c);
  EXPECT_LT(ms, 5000);
  std::string data =
      Text(First(c, "DocumentReference")->find("content")->items()[0].find("attachment"), "data");
  EXPECT_GT(data.size(), 9900u * 16u);
}

// ---- ORM / OML ---------------------------------------------------------------

TEST(ClinicalOrders, OrderControlGivesStatusWhenOrc5IsEmpty) {
  for (auto [orc1, status] :
       {std::pair{"NW", "active"}, std::pair{"CA", "revoked"}, std::pair{"DC", "revoked"},
        std::pair{"HD", "on-hold"}, std::pair{"ZZ", "unknown"}}) {
    Converted c;
    Convert(Msh("ORM^O01") + "PID|1||P1^^^FAC^MR||DOE^JO\rORC|" + orc1 +
                "|O-1^FAC\rOBR|1|O-1^FAC||2345-7^Glucose^LN\r",
            &c);
    ASSERT_TRUE(c.result.ok()) << Issues(c);
    EXPECT_EQ(Text(First(c, "ServiceRequest"), "status"), status) << orc1;
  }
}

TEST(ClinicalOrders, Tq1GivesOccurrencePeriodAndPriority) {
  Converted c;
  Convert(
      Msh("OML^O21") + "PID|1||P1^^^FAC^MR||DOE^JO\rORC|NW|O-2^FAC\r" +
          "TQ1|1||||||202404030900-0500|202404031000-0500|A\rOBR|1|O-2^FAC||2345-7^Glucose^LN\r",
      &c);
  ASSERT_TRUE(c.result.ok()) << Issues(c);
  const JsonValue* sr = First(c, "ServiceRequest");
  EXPECT_EQ(Text(sr, "priority"), "asap");
  ASSERT_NE(sr->find("occurrencePeriod"), nullptr);
  EXPECT_EQ(Text(sr->find("occurrencePeriod"), "end"), "2024-04-03T10:00:00-05:00");
}

// ---- Helpers -----------------------------------------------------------------

TEST(ClinicalHelpers, AddMinutes) {
  EXPECT_EQ(add_minutes("2024-03-25T09:30:00-05:00", 30), "2024-03-25T10:00:00-05:00");
  EXPECT_EQ(add_minutes("2024-02-28T23:50:00Z", 20), "2024-02-29T00:10:00Z");  // leap year
  EXPECT_EQ(add_minutes("2023-12-31T23:00:00.250+01:00", 90), "2024-01-01T00:30:00.250+01:00");
  EXPECT_EQ(add_minutes("2024-03-25", 30), "");
  EXPECT_EQ(add_minutes("2024-03-25T09:30:00", 30), "");  // no offset
  EXPECT_EQ(add_minutes("2024-03-25T09:30:00Z", -1), "");
  EXPECT_EQ(add_minutes("9999-12-31T23:59:00Z", 1), "");
}

TEST(ClinicalHelpers, DurationMinutes) {
  EXPECT_EQ(duration_minutes("30", "MIN"), 30);
  EXPECT_EQ(duration_minutes("2", "H"), 120);
  EXPECT_EQ(duration_minutes("1", "d"), 1440);
  EXPECT_EQ(duration_minutes("", "MIN"), -1);
  EXPECT_EQ(duration_minutes("3.5", "MIN"), -1);
  EXPECT_EQ(duration_minutes("30", "WK"), -1);
  EXPECT_EQ(duration_minutes("99999999", "MIN"), -1);
}

TEST(ClinicalHelpers, Base64) {
  // RFC 4648 test vectors.
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode("f"), "Zg==");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_encode("foo"), "Zm9v");
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
  EXPECT_TRUE(is_base64("Zm9vYg=="));
  EXPECT_FALSE(is_base64("Zm9vYg="));
  EXPECT_FALSE(is_base64("Zm=vYg=="));
  EXPECT_FALSE(is_base64("Zm9v YmFy"));
  EXPECT_FALSE(is_base64(""));
}

}  // namespace
}  // namespace gw::v2fhir::testing
