// What a destination's answer means for an outbound item, and what a FHIR
// destination is sent. ACKs are built by the project's own builder.
#include "gateway/outbound/forwarder.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "adapters/hl7/ack.h"
#include "fhir/json/json.h"
#include "gateway/outbound/outbound_test_util.h"

namespace gw::outbound {
namespace {

using Kind = Delivery::Kind;

std::string ack_for(const std::string& message, hl7::AckCode code,
                    std::vector<hl7::Error> errors = {}) {
  auto parsed = hl7::parse(message);
  EXPECT_TRUE(parsed.header != nullptr);
  hl7::AckParams p;
  p.control_id = "ACK1";
  p.timestamp = "20260101120000+0000";
  p.errors = std::move(errors);
  return hl7::build_ack(*parsed.header, code, p);
}

hl7::Error error_with(hl7::ErrorCode code) {
  hl7::Error e;
  e.code = code;
  e.detail = "x";
  return e;
}

TEST(ClassifyHttpStatusTest, ConfirmedRefusedOrRetried) {
  for (int s : {200, 201, 204}) EXPECT_EQ(classify_http_status(s), Kind::kDelivered) << s;
  for (int s : {400, 409, 412, 413, 415, 422})
    EXPECT_EQ(classify_http_status(s), Kind::kRejected) << s;
  // The server or our credentials, not this message: the queue waits.
  for (int s : {401, 403, 404, 405, 408, 429, 500, 502, 503, 504})
    EXPECT_EQ(classify_http_status(s), Kind::kRetry) << s;
  EXPECT_EQ(classify_http_status(302), Kind::kRetry);
}

TEST(ClassifyAckTest, OnlyAnAckForThisMessageDecides) {
  const std::string msg = testing::testdata_message("adt_a01.hl7");
  const std::string id = hl7::parse(msg).header->control_id;
  ASSERT_FALSE(id.empty());
  EXPECT_EQ(classify_ack(ack_for(msg, hl7::AckCode::kAA), id).kind, Kind::kDelivered);
  EXPECT_EQ(classify_ack(ack_for(msg, hl7::AckCode::kCA), id).kind, Kind::kDelivered);
  Delivery ae = classify_ack(
      ack_for(msg, hl7::AckCode::kAE, {error_with(hl7::ErrorCode::kRequiredFieldMissing)}), id);
  EXPECT_EQ(ae.kind, Kind::kRejected);
  EXPECT_EQ(ae.detail, "the MLLP receiver answered AE with error 101");
  EXPECT_EQ(classify_ack(ack_for(msg, hl7::AckCode::kAR,
                                 {error_with(hl7::ErrorCode::kUnsupportedProcessingId)}),
                         id)
                .kind,
            Kind::kRejected);
  EXPECT_EQ(classify_ack(ack_for(msg, hl7::AckCode::kCE), id).kind, Kind::kRejected);
  // AR 207 is the receiver's "resend later".
  EXPECT_EQ(classify_ack(ack_for(msg, hl7::AckCode::kAR,
                                 {error_with(hl7::ErrorCode::kApplicationInternalError)}),
                         id)
                .kind,
            Kind::kRetry);
  // An ACK for another message (a late answer to an earlier attempt) decides nothing.
  EXPECT_EQ(classify_ack(ack_for(msg, hl7::AckCode::kAA), id + "X").kind, Kind::kRetry);
  EXPECT_EQ(classify_ack("not an ack", id).kind, Kind::kRetry);
}

TEST(FhirPayloadTest, ConditionalIsTheMappedBundleAndByIdAddressesEveryEntryById) {
  const std::string msg = testing::testdata_message("adt_a01.hl7");
  const FhirPayload conditional =
      fhir_payload(msg, {}, v2fhir::MappingConfig{}, FhirRequestStyle::kConditional);
  ASSERT_EQ(conditional.kind, Kind::kDelivered) << conditional.detail;
  auto c = fhir::parse_json(conditional.json);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->find("type")->text(), "transaction");
  size_t conditional_puts = 0;
  for (const fhir::JsonValue& e : c->find("entry")->items()) {
    const std::string url = e.find("request")->find("url")->text();
    const fhir::JsonValue* body_id = e.find("resource")->find("id");
    if (url.find("?identifier=") != std::string::npos) {
      ++conditional_puts;
      EXPECT_EQ(body_id, nullptr) << url;
    } else {  // MessageHeader, Provenance: no identifier element, PUT by id
      ASSERT_NE(body_id, nullptr) << url;
      EXPECT_EQ(url, e.find("resource")->find("resourceType")->text() + "/" + body_id->text());
    }
  }
  EXPECT_GT(conditional_puts, 0u);

  const FhirPayload by_id = fhir_payload(msg, {}, v2fhir::MappingConfig{}, FhirRequestStyle::kById);
  ASSERT_EQ(by_id.kind, Kind::kDelivered) << by_id.detail;
  auto b = fhir::parse_json(by_id.json);
  ASSERT_TRUE(b.ok());
  ASSERT_EQ(b->find("entry")->items().size(), c->find("entry")->items().size());
  for (const fhir::JsonValue& e : b->find("entry")->items()) {
    const fhir::JsonValue* request = e.find("request");
    const fhir::JsonValue* resource = e.find("resource");
    const std::string id = e.find("fullUrl")->text().substr(9);  // urn:uuid:<id>
    EXPECT_EQ(request->find("method")->text(), "PUT");
    EXPECT_EQ(request->find("url")->text(), resource->find("resourceType")->text() + "/" + id);
    EXPECT_EQ(resource->find("id")->text(), id);
    EXPECT_EQ(request->find("ifNoneExist"), nullptr);
  }
  // Deterministic: the same message gives the same bytes (a resend is the same request).
  EXPECT_EQ(fhir_payload(msg, {}, v2fhir::MappingConfig{}, FhirRequestStyle::kById).json,
            by_id.json);
}

TEST(FhirPayloadTest, NothingToForwardIsSkippedAndAnUnreadableMessageRefused) {
  const std::string msg = testing::testdata_message("adt_a01.hl7");
  FhirPayload ack = fhir_payload(ack_for(msg, hl7::AckCode::kAA), {}, v2fhir::MappingConfig{},
                                 FhirRequestStyle::kConditional);
  EXPECT_EQ(ack.kind, Kind::kSkipped);
  std::string unsupported = msg;
  const size_t at = unsupported.find("ADT^A01");
  ASSERT_NE(at, std::string::npos);
  unsupported.replace(at, 7, "ZZZ^Z99");
  FhirPayload z =
      fhir_payload(unsupported, {}, v2fhir::MappingConfig{}, FhirRequestStyle::kConditional);
  EXPECT_EQ(z.kind, Kind::kSkipped) << z.detail;
  FhirPayload junk =
      fhir_payload("garbage", {}, v2fhir::MappingConfig{}, FhirRequestStyle::kConditional);
  EXPECT_EQ(junk.kind, Kind::kRejected);
  EXPECT_TRUE(junk.json.empty());
}

TEST(FhirForwarderTest, SetupErrorsNameTheProblemNeverTheUrl) {
  FhirForwarderOptions o;
  o.url = "http://user:secret@example.org/fhir";
  auto r = make_fhir_forwarder(o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message().find("secret"), std::string::npos);
  o.url = "https://user:secret@example.org/fhir";
  o.ca_file = "/nonexistent/ca.pem";
  r = make_fhir_forwarder(o);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("/nonexistent/ca.pem"), std::string::npos);
  EXPECT_EQ(r.error().message().find("secret"), std::string::npos);
}

}  // namespace
}  // namespace gw::outbound

namespace gw::outbound {
namespace {

// The Bundle entry (resource) whose resourceType is `type`.
const fhir::JsonValue* entry_resource(const fhir::JsonValue& bundle, const std::string& type) {
  for (const fhir::JsonValue& e : bundle.find("entry")->items()) {
    const fhir::JsonValue* r = e.find("resource");
    if (r->find("resourceType")->text() == type) return r;
  }
  return nullptr;
}

std::string full_url_id(const fhir::JsonValue& bundle, const std::string& type) {
  for (const fhir::JsonValue& e : bundle.find("entry")->items())
    if (e.find("resource")->find("resourceType")->text() == type)
      return e.find("fullUrl")->text().substr(9);
  return {};
}

// An MDM status change without the document's content: the store merged it
// with the stored document; the destination gets that merged document (with
// the text), not the placeholder that would replace its copy's content.
TEST(FhirPayloadTest, PartialResourceIsSentAsTheStoreMergedIt) {
  const std::string msg = testing::testdata_message("mdm_t03_operative_report_authenticated.hl7");
  const FhirPayload alone =
      fhir_payload(msg, {}, v2fhir::MappingConfig{}, FhirRequestStyle::kConditional);
  ASSERT_EQ(alone.kind, Kind::kDelivered) << alone.detail;
  auto a = fhir::parse_json(alone.json);
  ASSERT_TRUE(a.ok());
  const std::string doc_id = full_url_id(*a, "DocumentReference");
  const std::string patient_id = full_url_id(*a, "Patient");
  ASSERT_FALSE(doc_id.empty());
  // Without the store: the placeholder attachment (no data) as mapped.
  EXPECT_EQ(entry_resource(*a, "DocumentReference")
                ->find("content")->items()[0].find("attachment")->find("data"),
            nullptr);

  // The stored, merged version: the text, references as the store holds them.
  const std::string stored =
      R"({"content":[{"attachment":{"contentType":"text/plain","data":"T3BlcmF0aXZlIHJlcG9ydA=="}}],)"
      R"("docStatus":"final","id":")" + doc_id + R"(","resourceType":"DocumentReference",)"
      R"("status":"current","subject":{"reference":"Patient/)" + patient_id + R"("},)"
      R"("author":[{"reference":"Practitioner/not-in-this-bundle"}]})";
  std::vector<std::pair<std::string, std::string>> asked;
  StoredRecordLookup lookup = [&](const std::string& type,
                                  const std::string& id) -> std::optional<std::string> {
    asked.emplace_back(type, id);
    if (type == "DocumentReference" && id == doc_id) return stored;
    return std::nullopt;
  };
  const FhirPayload merged =
      fhir_payload(msg, {}, v2fhir::MappingConfig{}, FhirRequestStyle::kConditional, lookup);
  ASSERT_EQ(merged.kind, Kind::kDelivered) << merged.detail;
  auto m = fhir::parse_json(merged.json);
  ASSERT_TRUE(m.ok());
  const fhir::JsonValue* doc = entry_resource(*m, "DocumentReference");
  EXPECT_EQ(doc->find("content")->items()[0].find("attachment")->find("data")->text(),
            "T3BlcmF0aXZlIHJlcG9ydA==");
  // References to entries of the Bundle are fullUrls again; others stay.
  EXPECT_EQ(doc->find("subject")->find("reference")->text(), "urn:uuid:" + patient_id);
  EXPECT_EQ(doc->find("author")->items()[0].find("reference")->text(),
            "Practitioner/not-in-this-bundle");
  EXPECT_EQ(doc->find("id"), nullptr);  // a conditional update's body has no id
  // Only the partial resources were looked up: the document, and the Patient
  // and Encounter, which keep what their PID and PV1 leave empty.
  std::vector<std::string> types;
  for (const auto& [type, id] : asked) types.push_back(type);
  std::sort(types.begin(), types.end());
  EXPECT_EQ(types, (std::vector<std::string>{"DocumentReference", "Encounter", "Patient"}));

  // By id: the body keeps its id.
  const FhirPayload by_id =
      fhir_payload(msg, {}, v2fhir::MappingConfig{}, FhirRequestStyle::kById, lookup);
  auto b = fhir::parse_json(by_id.json);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(entry_resource(*b, "DocumentReference")->find("id")->text(), doc_id);

  // A stored record that does not parse: refused, not sent cut down.
  StoredRecordLookup broken = [](const std::string&, const std::string&) {
    return std::optional<std::string>("{not json");
  };
  EXPECT_EQ(
      fhir_payload(msg, {}, v2fhir::MappingConfig{}, FhirRequestStyle::kConditional, broken).kind,
      Kind::kRejected);
}

}  // namespace
}  // namespace gw::outbound
