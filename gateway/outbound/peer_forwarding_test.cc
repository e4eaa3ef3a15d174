// A received transfer (a "peer" message: its records and Provenance stored,
// its raw a sealed envelope that is not HL7 v2) forwarded to the hospital's
// own FHIR server: what the transaction holds in each request style, and the
// real path end to end, a real message store, the real queue and a real
// HTTPS FHIR receiver that is down at first.
#include <gtest/gtest.h>

#include <map>

#include "fhir/json/json.h"
#include "gateway/outbound/forwarder.h"
#include "gateway/outbound/outbound_service.h"
#include "gateway/store/store_test_util.h"
#include "tests/support/fhir_receiver.h"
#include "tests/support/test_certs.h"
#include "tests/support/wait.h"

namespace gw::outbound {
namespace {

using namespace std::chrono_literals;
using Kind = Delivery::Kind;

constexpr char kPatientId[] = "0b0e6a57-1c55-5f0e-8d3e-4a2f1e9c0d11";
constexpr char kObservationId[] = "obs-1";
constexpr char kProvenanceId[] = "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90";

store::RecordWrite record(const std::string& type, const std::string& id, const std::string& json,
                          std::vector<std::pair<std::string, std::string>> identifiers = {}) {
  store::RecordWrite w;
  w.resource_type = type;
  w.resource_id = id;
  w.resource_json = json;
  w.identifiers = std::move(identifiers);
  return w;
}

// What the receiver stores for a transfer: two records and their Provenance.
std::vector<store::RecordWrite> transfer_records() {
  const std::string patient = std::string(R"({"id":")") + kPatientId +
                              R"(","identifier":[{"system":"urn:oid:1.2.3","value":"MRN-7"}],)"
                              R"("name":[{"family":"Example"}],"resourceType":"Patient"})";
  const std::string observation = std::string(R"({"code":{"text":"K"},"id":")") + kObservationId +
                                  R"(","resourceType":"Observation","status":"final",)"
                                  R"("subject":{"reference":"Patient/)" +
                                  kPatientId + R"("}})";
  const std::string provenance = std::string(R"({"id":")") + kProvenanceId +
                                 R"(","recorded":"2026-12-07T10:00:00Z",)"
                                 R"("resourceType":"Provenance","target":[{"reference":"Patient/)" +
                                 kPatientId + R"("},{"reference":"Observation/)" + kObservationId +
                                 R"("}]})";
  return {record("Patient", kPatientId, patient, {{"urn:oid:1.2.3", "MRN-7"}}),
          record("Observation", kObservationId, observation),
          record("Provenance", kProvenanceId, provenance)};
}

std::vector<store::StoredRecord> as_stored(const std::vector<store::RecordWrite>& writes) {
  std::vector<store::StoredRecord> out;
  for (const store::RecordWrite& w : writes) {
    store::StoredRecord r;
    r.seq = static_cast<int64_t>(out.size()) + 1;
    r.resource_type = w.resource_type;
    r.resource_id = w.resource_id;
    r.resource_json = w.resource_json;
    out.push_back(std::move(r));
  }
  return out;
}

// entry's request.url -> entry, of a transaction Bundle.
std::map<std::string, fhir::JsonValue> entries_by_url(const fhir::JsonValue& bundle) {
  std::map<std::string, fhir::JsonValue> out;
  for (const fhir::JsonValue& e : bundle.find("entry")->items()) {
    EXPECT_EQ(e.find("request")->find("method")->text(), "PUT");
    out.emplace(e.find("request")->find("url")->text(), e);
  }
  return out;
}

TEST(StoredRecordsPayloadTest, ByIdPutsEveryRecordAtItsId) {
  const FhirPayload p =
      stored_records_payload(as_stored(transfer_records()), FhirRequestStyle::kById);
  ASSERT_EQ(p.kind, Kind::kDelivered) << p.detail;
  auto b = fhir::parse_json(p.json);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->find("type")->text(), "transaction");
  auto by_url = entries_by_url(*b);
  ASSERT_EQ(by_url.size(), 3u);
  const fhir::JsonValue& obs = by_url.at(std::string("Observation/") + kObservationId);
  EXPECT_EQ(obs.find("resource")->find("subject")->find("reference")->text(),
            std::string("Patient/") + kPatientId);
  EXPECT_EQ(by_url.at(std::string("Patient/") + kPatientId).find("resource")->find("id")->text(),
            kPatientId);
  EXPECT_TRUE(by_url.count(std::string("Provenance/") + kProvenanceId));
}

TEST(StoredRecordsPayloadTest, ConditionalMatchesOnTheIdentifierAndPointsReferencesAtTheEntry) {
  const FhirPayload p =
      stored_records_payload(as_stored(transfer_records()), FhirRequestStyle::kConditional);
  ASSERT_EQ(p.kind, Kind::kDelivered) << p.detail;
  auto b = fhir::parse_json(p.json);
  ASSERT_TRUE(b.ok());
  auto by_url = entries_by_url(*b);
  ASSERT_EQ(by_url.size(), 3u);
  const std::string urn = std::string("urn:uuid:") + kPatientId;
  const fhir::JsonValue& patient = by_url.at("Patient?identifier=urn:oid:1.2.3|MRN-7");
  EXPECT_EQ(patient.find("fullUrl")->text(), urn);
  EXPECT_EQ(patient.find("resource")->find("id"), nullptr);
  // No identifier (Observation), or the Provenance: by id, referring to the entry.
  const fhir::JsonValue& obs = by_url.at(std::string("Observation/") + kObservationId);
  EXPECT_EQ(obs.find("resource")->find("subject")->find("reference")->text(), urn);
  const fhir::JsonValue& prov = by_url.at(std::string("Provenance/") + kProvenanceId);
  EXPECT_EQ(prov.find("resource")->find("target")->items()[0].find("reference")->text(), urn);
  // Deterministic: a resend is the same request.
  EXPECT_EQ(
      stored_records_payload(as_stored(transfer_records()), FhirRequestStyle::kConditional).json,
      p.json);
}

TEST(StoredRecordsPayloadTest, NothingIsSkippedAndABadRecordRefused) {
  EXPECT_EQ(stored_records_payload({}, FhirRequestStyle::kById).kind, Kind::kSkipped);
  auto bad = as_stored(transfer_records());
  bad[1].resource_json = "{not json";
  EXPECT_EQ(stored_records_payload(bad, FhirRequestStyle::kById).kind, Kind::kRejected);
  auto other = as_stored(transfer_records());
  other[1].resource_type = "Condition";  // stored as one type, is another
  const FhirPayload p = stored_records_payload(other, FhirRequestStyle::kById);
  EXPECT_EQ(p.kind, Kind::kRejected);
  EXPECT_EQ(p.json, "");
}

TEST(PeerForwardingTest, AReceivedTransferReachesTheLocalFhirServerOnceItIsUp) {
  store::testing::TempDir dir;
  auto pki = testing::make_test_pki(dir.path().string(), "gateway");
  ASSERT_TRUE(pki.ok()) << pki.error().message();
  store::StoreOptions so;
  so.path = dir.store_file();
  so.keys = store::testing::test_keys();
  std::unique_ptr<store::MessageStore> store = store::testing::open_or_die(so);
  ASSERT_TRUE(store);

  testing::FhirReceiver::Log log;
  auto receiver =
      std::make_unique<testing::FhirReceiver>(pki->server_cert, pki->server_key, 0, &log);
  const uint16_t port = receiver->port();
  receiver.reset();  // down when the transfer arrives

  FhirForwarderOptions fo;
  fo.url = "https://localhost:" + std::to_string(port) + "/fhir";
  fo.ca_file = pki->ca_cert;
  fo.timeout = 5s;
  fo.store = store.get();
  fo.source = FhirSource::kStoredRecords;
  fo.style = FhirRequestStyle::kConditional;
  auto forwarder = make_fhir_forwarder(std::move(fo));
  ASSERT_TRUE(forwarder.ok()) << forwarder.error().message();
  std::vector<DestinationSpec> d;
  d.push_back({"peering/fhir", "peer", std::move(forwarder).value(), 10ms, 40ms});
  OutboundOptions oo;
  oo.queue_path = dir.file("outbound.db");
  oo.poll = 20ms;
  auto started = OutboundService::start(oo, store.get(), std::move(d));
  ASSERT_TRUE(started.ok()) << started.error().message();
  std::unique_ptr<OutboundService> service = std::move(started).value();
  auto counts = [&] {
    auto c = service->counts();
    return c.ok() && !c->empty() ? c->front() : DestinationCounts{};
  };

  // A v2 message on a channel is not this destination's; the transfer is.
  store::InboundMessage v2 = store::testing::make_message("APP|FAC", "V1", "MSH|^~\\&|x");
  ASSERT_EQ(store->submit_sync(std::move(v2)).kind, store::CommitResult::Kind::kStored);
  store::InboundMessage t = store::testing::make_message("member:0xabc", "7", "sealed envelope");
  t.channel = "peer";
  t.message_type = "TRANSFER";
  t.records = transfer_records();
  ASSERT_EQ(store->submit_sync(std::move(t)).kind, store::CommitResult::Kind::kStored);

  ASSERT_TRUE(gw::testing::wait_until([&] { return counts().retried >= 2; }, 60s));
  EXPECT_EQ(counts().queued, 1);
  EXPECT_EQ(counts().sent, 0);
  receiver = std::make_unique<testing::FhirReceiver>(pki->server_cert, pki->server_key, port, &log);
  ASSERT_TRUE(gw::testing::wait_until([&] { return counts().sent == 1; }, 60s))
      << "retried " << counts().retried << ", dead " << counts().dead;
  service->stop();

  const std::vector<std::string> bodies = log.snapshot();
  ASSERT_EQ(bodies.size(), 1u);
  ASSERT_TRUE(bodies[0].starts_with("POST /fhir\n"));
  auto bundle = fhir::parse_json(bodies[0].substr(bodies[0].find('\n') + 1));
  ASSERT_TRUE(bundle.ok());
  EXPECT_EQ(bundle->find("type")->text(), "transaction");
  auto by_url = entries_by_url(*bundle);
  EXPECT_EQ(by_url.size(), 3u);
  // Every record as stored, and the Provenance.
  EXPECT_EQ(by_url.at("Patient?identifier=urn:oid:1.2.3|MRN-7")
                .find("resource")
                ->find("name")
                ->items()[0]
                .find("family")
                ->text(),
            "Example");
  EXPECT_TRUE(by_url.count(std::string("Observation/") + kObservationId));
  EXPECT_TRUE(by_url.count(std::string("Provenance/") + kProvenanceId));
}

}  // namespace
}  // namespace gw::outbound
