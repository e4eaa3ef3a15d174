// Result identity: Observations, DiagnosticReports and ServiceRequests are
// identified by what they are (OBX-21, or the order number with the service
// and result codes and OBX-4 sub-id), never by their position in the message,
// so a corrected report that renumbers its results updates each result in
// place instead of writing one test's value over another's.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "adapters/v2fhir/test_util.h"

namespace gw::v2fhir::testing {
namespace {

using fhir::JsonValue;

const std::string kHead =
    "MSH|^~\\&|LIS|CITYLAB|EHR|HOSP|20240315103005||ORU^R01|C1|P|2.5.1\r"
    "PID|1||P1^^^A^MR||DOE^JANE\r";

std::string Obr(const std::string& set_id, const std::string& filler, const std::string& code) {
  return "OBR|" + set_id + "||" + filler + "^CITYLAB|" + code +
         "|||20240315080000|||||||||||||||20240315100000||CH|F\r";
}

// Observation id (the entry's urn:uuid) by OBX-3 code.
std::map<std::string, std::string> ObservationIdsByCode(const ConversionResult& r) {
  std::map<std::string, std::string> out;
  for (const MappedRecord& rec : r.records()) {
    if (rec.resource_type != "Observation") continue;
    const JsonValue& coding = rec.resource->find("code")->find("coding")->items()[0];
    out[coding.find("code")->text()] = rec.id;
  }
  return out;
}

std::string ValueOf(const ConversionResult& r, const std::string& id) {
  for (const MappedRecord& rec : r.records()) {
    if (rec.id == id) return rec.resource->find("valueQuantity")->find("value")->text();
  }
  return {};
}

TEST(ResultIdentity, RenumberedCorrectionUpdatesEachResultInPlace) {
  Converted first, corrected;
  ConvertText(kHead + Obr("1", "F100", "24323-8^CMP^LN") +
                  "OBX|1|NM|2345-7^Glucose^LN||95|mg/dL|||||F\r"
                  "OBX|2|NM|2951-2^Sodium^LN||140|mmol/L|||||F\r",
              {}, &first);
  // The correction sends sodium first: set ids 1 and 2 now name other tests.
  ConvertText(kHead + Obr("1", "F100", "24323-8^CMP^LN") +
                  "OBX|1|NM|2951-2^Sodium^LN||139|mmol/L|||||C\r"
                  "OBX|2|NM|2345-7^Glucose^LN||96|mg/dL|||||C\r",
              {}, &corrected);
  ASSERT_TRUE(first.result.ok());
  ASSERT_TRUE(corrected.result.ok());
  auto a = ObservationIdsByCode(first.result), b = ObservationIdsByCode(corrected.result);
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a["2345-7"], b["2345-7"]);
  EXPECT_EQ(a["2951-2"], b["2951-2"]);
  EXPECT_NE(a["2345-7"], a["2951-2"]);
  EXPECT_EQ(ValueOf(corrected.result, b["2345-7"]), "96");
  EXPECT_EQ(ValueOf(corrected.result, b["2951-2"]), "139");
}

TEST(ResultIdentity, SubIdsTellResultsWithTheSameCodeApart) {
  Converted c;
  ConvertText(kHead + Obr("1", "F200", "600-7^Culture^LN") +
                  "OBX|1|NM|11475-1^Count^LN|1|10|/uL|||||F\r"
                  "OBX|2|NM|11475-1^Count^LN|2|20|/uL|||||F\r",
              {}, &c);
  ASSERT_TRUE(c.result.ok());
  int observations = 0;
  for (const auto& r : c.result.records()) observations += r.resource_type == "Observation";
  EXPECT_EQ(observations, 2);
  for (const auto& w : c.result.warnings) EXPECT_EQ(w.text.find("rank"), std::string::npos);
}

TEST(ResultIdentity, ObservationInstanceIdentifierWins) {
  Converted a, b;
  ConvertText(kHead + Obr("1", "F300", "24323-8^CMP^LN") +
                  "OBX|1|NM|2345-7^Glucose^LN||95|mg/dL|||||F||||||||||INST-1^CITYLAB\r",
              {}, &a);
  // Same instance id, another code (a recoded result): still the same resource.
  ConvertText(kHead + Obr("1", "F300", "24323-8^CMP^LN") +
                  "OBX|1|NM|2339-0^Glucose^LN||95|mg/dL|||||C||||||||||INST-1^CITYLAB\r",
              {}, &b);
  ASSERT_TRUE(a.result.ok());
  ASSERT_TRUE(b.result.ok());
  auto ia = ObservationIdsByCode(a.result), ib = ObservationIdsByCode(b.result);
  EXPECT_EQ(ia["2345-7"], ib["2339-0"]);
  for (const auto& r : a.result.records()) {
    if (r.resource_type != "Observation") continue;
    bool has_instance = false;
    for (const auto& [system, value] : r.identifiers) has_instance |= value == "INST-1";
    EXPECT_TRUE(has_instance);
  }
}

TEST(ResultIdentity, OrdersSharingAFillerNumberBothSurvive) {
  Converted c;
  ConvertText(
      kHead + Obr("1", "F400", "24323-8^CMP^LN") + "OBX|1|NM|2345-7^Glucose^LN||95|mg/dL|||||F\r" +
          Obr("2", "F400", "58410-2^CBC^LN") + "OBX|1|NM|6690-2^WBC^LN||7.1|10*3/uL|||||F\r",
      {}, &c);
  ASSERT_TRUE(c.result.ok());
  std::map<std::string, int> count;
  std::map<std::string, std::string> first_identifier;
  for (const auto& r : c.result.records()) {
    ++count[r.resource_type];
    if (r.resource_type == "ServiceRequest" || r.resource_type == "DiagnosticReport") {
      const std::string key = r.identifiers[0].first + "|" + r.identifiers[0].second;
      EXPECT_TRUE(first_identifier.emplace(key, r.resource_type).second)
          << "two resources would be updated through one identifier";
    }
  }
  EXPECT_EQ(count["ServiceRequest"], 2);
  EXPECT_EQ(count["DiagnosticReport"], 2);
  EXPECT_EQ(count["Observation"], 2);
}

TEST(ResultIdentity, RepeatedCodeWithoutSubIdIsKeptAndNamed) {
  Converted c;
  ConvertText(kHead + Obr("1", "F500", "18748-4^Imaging report^LN") +
                  "OBX|1|TX|18782-3^Findings^LN||Line one||||||F\r"
                  "OBX|2|TX|18782-3^Findings^LN||Line two||||||F\r",
              {}, &c);
  ASSERT_TRUE(c.result.ok());
  std::string bundle = Canonical(c.result.bundle);
  EXPECT_NE(bundle.find("Line one"), std::string::npos);
  EXPECT_NE(bundle.find("Line two"), std::string::npos);
  bool named = false;
  for (const auto& w : c.result.warnings) named |= w.location.to_string() == "OBX[2]-4";
  EXPECT_TRUE(named);
}

std::string IdOf(const ConversionResult& r, const std::string& type) {
  for (const MappedRecord& rec : r.records())
    if (rec.resource_type == type) return rec.id;
  return {};
}

// The EHR places an order with its placer number only; the lab's results
// carry both numbers. The order is one ServiceRequest across the two
// messages (keyed by the placer number), the report and results are keyed by
// the filler's, and each message has its own order Provenance.
TEST(ResultIdentity, OrderPlacedWithoutFillerNumberIsTheOrderItsResultsAnswer) {
  Converted placed, resulted;
  ConvertText(
      "MSH|^~\\&|CPOE|HOSP|LIS|CITYLAB|20240315080000||ORM^O01|O1|P|2.5.1\r"
      "PID|1||P1^^^A^MR||DOE^JANE\r"
      "ORC|NW|PL77^CPOE||||||||||1234^WELBY^MARCUS\r"
      "OBR|1|PL77^CPOE||2345-7^Glucose^LN|||20240315080000\r",
      {}, &placed);
  ConvertText(
      "MSH|^~\\&|LIS|CITYLAB|CPOE|HOSP|20240315103005||ORU^R01|R1|P|2.5.1\r"
      "PID|1||P1^^^A^MR||DOE^JANE\r"
      "ORC|RE|PL77^CPOE|F900^CITYLAB|||||||||1234^WELBY^MARCUS\r"
      "OBR|1|PL77^CPOE|F900^CITYLAB|2345-7^Glucose^LN|||20240315080000|||||||||||||||"
      "20240315100000||CH|F\r"
      "OBX|1|NM|2345-7^Glucose^LN||95|mg/dL|||||F\r",
      {}, &resulted);
  ASSERT_TRUE(placed.result.ok());
  ASSERT_TRUE(resulted.result.ok());
  // Ids are per sender (MSH-4): the lab's own feed (CITYLAB) keeps its
  // orders apart from the hospital's, even under the same numbers.
  const std::string order = IdOf(placed.result, "ServiceRequest");
  ASSERT_FALSE(order.empty());
  EXPECT_NE(IdOf(resulted.result, "ServiceRequest"), order);
  // The same facility's order and results (MSH-4 HOSP on both, as when the
  // LIS sends for the hospital): one ServiceRequest.
  Converted resulted_same_sender;
  std::string oru =
      "MSH|^~\\&|LIS|HOSP|CPOE|HOSP|20240315103005||ORU^R01|R1|P|2.5.1\r"
      "PID|1||P1^^^A^MR||DOE^JANE\r"
      "ORC|RE|PL77^CPOE|F900^CITYLAB|||||||||1234^WELBY^MARCUS\r"
      "OBR|1|PL77^CPOE|F900^CITYLAB|2345-7^Glucose^LN|||20240315080000|||||||||||||||"
      "20240315100000||CH|F\r"
      "OBX|1|NM|2345-7^Glucose^LN||95|mg/dL|||||F\r";
  ConvertText(oru, {}, &resulted_same_sender);
  ASSERT_TRUE(resulted_same_sender.result.ok());
  EXPECT_EQ(IdOf(resulted_same_sender.result, "ServiceRequest"), order);
  // The report is the filler's: a report sent later without the placer
  // number is the same report.
  Converted filler_only;
  std::string no_placer = oru;
  for (size_t p = no_placer.find("PL77^CPOE"); p != std::string::npos;
       p = no_placer.find("PL77^CPOE"))
    no_placer.erase(p, 9);
  ConvertText(no_placer, {}, &filler_only);
  ASSERT_TRUE(filler_only.result.ok());
  EXPECT_EQ(IdOf(filler_only.result, "DiagnosticReport"),
            IdOf(resulted_same_sender.result, "DiagnosticReport"));
  EXPECT_EQ(ObservationIdsByCode(filler_only.result),
            ObservationIdsByCode(resulted_same_sender.result));
  // Two order events, two Provenances.
  std::string placed_prov, resulted_prov;
  for (const MappedRecord& rec : placed.result.records())
    if (rec.resource_type == "Provenance" && rec.resource->find("activity") != nullptr &&
        rec.resource->find("target")->items()[0].find("reference")->text() == "urn:uuid:" + order)
      placed_prov = rec.id;
  for (const MappedRecord& rec : resulted_same_sender.result.records())
    if (rec.resource_type == "Provenance" && rec.id != placed_prov) resulted_prov = rec.id;
  EXPECT_NE(placed_prov, resulted_prov);
}

}  // namespace
}  // namespace gw::v2fhir::testing
