// The Consent endpoint through the FHIR API: a Consent for a stored patient
// becomes outbox items (registerPatient, grants, revocations) and a stored
// record; its ledger state follows the items; refusals name the element.
// The consortium is a fixed directory here (the integration test uses the
// chain); the stores and the outbox are the real SQLite ones.
#include "gateway/consent/consent_service.h"

#include <gtest/gtest.h>

#include "fhir/json/write.h"
#include "gateway/audit/audit_log.h"
#include "gateway/consent/consent_test_util.h"
#include "gateway/store/store_test_util.h"
#include "ledger-client/outbox/item_codec.h"

namespace gw::consent {
namespace {

// The tests are about consents; the caller may do everything.
std::shared_ptr<const auth::ClientGrant> full_grant() {
  return std::make_shared<const auth::ClientGrant>(
      *auth::make_client_grant({"system/*.cruds"}, {}));
}

using namespace gw::consent::testing;
using fhir::JsonValue;

constexpr std::string_view kPatient = R"({"resourceType":"Patient","id":"p1",
  "identifier":[{"value":"no-system"},{"system":"urn:mrn","value":"M1"}]})";

class ConsentServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store::StoreOptions so;
    so.path = dir_.file("messages.db");
    so.keys = store::testing::test_keys();
    records_ = store::testing::open_or_die(so);
    ASSERT_NE(records_, nullptr);
    auto consents = ConsentStore::open(dir_.file("consents.db"));
    ASSERT_TRUE(consents.ok());
    consents_ = std::move(consents).value();
    auto outbox = ledger::OutboxStore::open(dir_.file("outbox.db"));
    ASSERT_TRUE(outbox.ok());
    outbox_ = std::move(outbox).value();
    store_patient("p1", kPatient);
    start(outbox_.get());
  }

  void start(ledger::OutboxStore* outbox) {
    ConsentServiceOptions o;
    o.records = records_.get();
    o.keys = store::testing::test_keys();
    o.consents = consents_.get();
    o.outbox = outbox;
    o.consent_registry = account(0xC0);
    o.self = account(1);
    o.lookups.member_by_org_id = [](std::string_view org) { return directory()("", org); };
    o.lookups.custodian = [this](const ledger::Hash256&) { return custodian_; };
    o.lookups.applied_block = [this] { return applied_block_; };
    o.base_url = "https://gw.example";
    o.now_ms = [] { return static_cast<int64_t>(kNow) * 1000; };
    o.registration_wait = std::chrono::milliseconds(0);  // nothing drains this outbox
    o.audit = audit_;
    service_ = std::make_unique<ConsentService>(o);
    rest::ApiOptions ao;
    ao.base_url = o.base_url;
    ao.extensions.push_back(service_->extension());
    ao.own_write_types.push_back("Consent");
    api_ = std::make_unique<rest::FhirApi>(records_.get(), ao);
  }

  void store_patient(const std::string& id, std::string_view json) {
    store::RecordWrite w;
    w.resource_type = "Patient";
    w.resource_id = id;
    w.resource_json = std::string(json);
    w.identifiers = {{"", "no-system"}, {"urn:mrn", "M1"}};
    store::InboundMessage m = store::testing::make_message("s", "c-" + id, "raw");
    m.records.push_back(std::move(w));
    ASSERT_EQ(records_->submit_sync(std::move(m)).kind, store::CommitResult::Kind::kStored);
  }

  rest::RestResponse call(const std::string& method, const std::string& target,
                          const std::string& body = "") {
    rest::RestRequest r;
    r.method = method;
    r.target = target;
    r.body = body;
    r.content_type = "application/fhir+json";
    r.sender = caller_;
    r.client_authenticated = caller_ != "https";
    r.peer = "10.0.0.7:50000";
    r.grant = full_grant();
    return api_->handle(r);
  }
  static JsonValue body_of(const rest::RestResponse& r) { return parse(r.body); }
  // The ledger state's sub-extension `name` of a served Consent ("" if absent).
  static std::string state(const JsonValue& consent, std::string_view name) {
    const JsonValue* ext = consent.find("extension");
    if (ext == nullptr) return "";
    for (const JsonValue& e : ext->items()) {
      if (e.find("url")->text() != kLedgerStateUrl) continue;
      for (const JsonValue& s : e.find("extension")->items()) {
        if (s.find("url")->text() != name) continue;
        const JsonValue* v = s.find("valueCode");
        if (v == nullptr) v = s.find("valueString");
        return v->text();
      }
    }
    return "";
  }
  static std::string expression(const rest::RestResponse& r) {
    JsonValue o = body_of(r);
    const JsonValue* issue = o.find("issue");
    if (issue == nullptr || issue->items().empty()) return "";
    const JsonValue* e = issue->items()[0].find("expression");
    return e == nullptr || e->items().empty() ? "" : e->items()[0].text();
  }
  std::vector<ledger::OutboxItem> items() {
    auto all = outbox_->latest(std::nullopt, std::nullopt, 100);
    EXPECT_TRUE(all.ok());
    std::vector<ledger::OutboxItem> out(all->rbegin(), all->rend());
    return out;
  }
  std::string consent_json(std::string_view status = "active", std::string_view id = "") {
    JsonValue c = permit();
    c.remove("id");
    if (!id.empty()) c.add("id", JsonValue::make_string(std::string(id)));
    c.add("status", JsonValue::make_string(std::string(status)));
    return fhir::write_json(c);
  }

  store::testing::TempDir dir_;
  std::unique_ptr<store::MessageStore> records_;
  std::unique_ptr<ConsentStore> consents_;
  std::unique_ptr<ledger::OutboxStore> outbox_;
  std::optional<Address> custodian_;
  uint64_t applied_block_ = 1000;
  std::unique_ptr<ConsentService> service_;
  std::unique_ptr<rest::FhirApi> api_;
  std::shared_ptr<audit::AuditLog> audit_;  // set before start() to audit
  std::string caller_ = "https";            // the client's name, as the HTTPS server sets it
};

TEST_F(ConsentServiceTest, CreateRegistersThePatientFirstThenQueuesTheGrantAndReportsItsState) {
  // Nobody is custodian: registerPatient is queued, and the Consent waits for it.
  rest::RestResponse waiting = call("POST", "/Consent", consent_json());
  ASSERT_EQ(waiting.status, 503) << waiting.body;
  ASSERT_NE(waiting.header("Retry-After"), nullptr);
  std::vector<ledger::OutboxItem> registration = items();
  ASSERT_EQ(registration.size(), 1u);
  EXPECT_EQ(registration[0].kind, ledger::ItemKind::kCall);
  // Asked again before it is final: the same item, not a second one.
  EXPECT_EQ(call("POST", "/Consent", consent_json()).status, 503);
  ASSERT_EQ(items().size(), 1u);
  ledger::Hash256 reg_tx{};
  reg_tx.fill(0x11);
  ASSERT_TRUE(
      outbox_
          ->finish_item(registration[0].seq, ledger::ItemState::kDone, "", 9, reg_tx, std::nullopt)
          .ok());

  rest::RestResponse created = call("POST", "/Consent", consent_json());
  ASSERT_EQ(created.status, 201) << created.body;
  JsonValue c = body_of(created);
  const std::string id = c.find("id")->text();
  EXPECT_EQ(state(c, "state"), "pending");
  ASSERT_NE(created.header("Location"), nullptr);
  EXPECT_EQ(*created.header("Location"), "https://gw.example/Consent/" + id + "/_history/1");

  std::vector<ledger::OutboxItem> queued = items();
  ASSERT_EQ(queued.size(), 2u);
  EXPECT_EQ(queued[0].kind, ledger::ItemKind::kCall);  // registerPatient first
  ASSERT_EQ(queued[1].kind, ledger::ItemKind::kConsentGrant);
  auto grant = ledger::decode_grant_body(queued[1].body);
  ASSERT_TRUE(grant.ok());
  EXPECT_EQ(grant->grantee, kB);
  EXPECT_EQ(grant->purpose, Purpose::kTreat);
  // The token is the one of the first identifier with a system.
  auto token = crypto::token_bytes(store::testing::test_keys()->patient_token("urn:mrn", "M1"));
  ASSERT_TRUE(token.has_value());
  EXPECT_EQ(grant->patient_token, *token);

  ledger::Hash256 tx{};
  tx.fill(0xAB);
  ASSERT_TRUE(
      outbox_->finish_item(queued[1].seq, ledger::ItemState::kDone, "", 10, tx, std::nullopt).ok());
  // Final in block 10, but the consent view has applied only block 9:
  // transfers would not see it yet.
  applied_block_ = 9;
  JsonValue lagging = body_of(call("GET", "/Consent/" + id));
  EXPECT_EQ(state(lagging, "state"), "pending");
  EXPECT_EQ(state(lagging, "transaction"), ledger::to_hex_0x(tx));
  applied_block_ = 10;
  JsonValue read = body_of(call("GET", "/Consent/" + id));
  EXPECT_EQ(state(read, "state"), "recorded");
  EXPECT_EQ(state(read, "transaction"), ledger::to_hex_0x(tx));

  // Taking it back: one revocation, no second registration.
  custodian_ = account(1);
  rest::RestResponse revoked = call("PUT", "/Consent/" + id, consent_json("inactive", id));
  ASSERT_EQ(revoked.status, 200) << revoked.body;
  EXPECT_EQ(state(body_of(revoked), "state"), "pending");
  queued = items();
  ASSERT_EQ(queued.size(), 3u);
  EXPECT_EQ(queued[2].kind, ledger::ItemKind::kCall);
  ASSERT_TRUE(outbox_
                  ->finish_item(queued[2].seq, ledger::ItemState::kRefused, "NoSuchGrant(0xabab)",
                                11, tx, std::nullopt)
                  .ok());
  JsonValue after = body_of(call("GET", "/Consent/" + id));
  EXPECT_EQ(state(after, "state"), "refused");
  EXPECT_EQ(state(after, "reason"), "NoSuchGrant");

  JsonValue list = body_of(call("GET", "/Consent?patient=Patient/p1"));
  EXPECT_EQ(list.find("total")->text(), "1");
  EXPECT_EQ(body_of(call("GET", "/Consent?patient=Patient/p2")).find("total")->text(), "0");
}

TEST_F(ConsentServiceTest, RefusalsNameTheElementAndQueueNothing) {
  JsonValue unknown_patient = permit();
  set(unknown_patient, "patient", R"({"reference": "Patient/nobody"})");
  rest::RestResponse r = call("POST", "/Consent", fhir::write_json(unknown_patient));
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(expression(r), "Consent.patient");

  JsonValue by_identifier = permit();
  set(by_identifier, "patient", R"({"identifier": {"system": "urn:mrn", "value": "M2"}})");
  EXPECT_EQ(call("POST", "/Consent", fhir::write_json(by_identifier)).status, 422);

  JsonValue unknown_org = permit();
  provision(unknown_org).find_mutable("actor")->mutable_items()[0] = actor("urn:oid:9.9.9");
  r = call("POST", "/Consent", fhir::write_json(unknown_org));
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(expression(r).rfind("Consent.provision.actor[0]", 0), 0u) << expression(r);

  custodian_ = account(7);
  r = call("POST", "/Consent", consent_json());
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(expression(r), "Consent.patient");
  custodian_.reset();

  EXPECT_EQ(call("POST", "/Consent", "{not json").status, 400);
  EXPECT_EQ(call("DELETE", "/Consent/x").status, 405);
  EXPECT_EQ(call("GET", "/Consent/none").status, 404);
  EXPECT_EQ(call("GET", "/Consent?identifier=a").status, 400);
  EXPECT_TRUE(items().empty());

  // A Consent in a transaction or batch Bundle is refused (the transaction as a whole).
  const std::string bundle =
      R"({"resourceType":"Bundle","type":"transaction","entry":[{"request":{"method":"POST",)"
      R"("url":"Consent"},"resource":)" +
      consent_json() + "}]}";
  EXPECT_EQ(call("POST", "/", bundle).status, 422);
  std::string batch = bundle;
  batch.replace(batch.find("transaction"), 11, "batch");
  rest::RestResponse b = call("POST", "/", batch);
  EXPECT_EQ(b.status, 200);
  EXPECT_NE(b.body.find("\"422"), std::string::npos) << b.body;
  EXPECT_TRUE(items().empty());
}

TEST_F(ConsentServiceTest, OverlapPatientChangeAndLedgerDisabled) {
  custodian_ = account(1);  // this gateway
  rest::RestResponse first = call("POST", "/Consent", consent_json());
  ASSERT_EQ(first.status, 201) << first.body;
  const std::string id = body_of(first).find("id")->text();
  rest::RestResponse overlap = call("POST", "/Consent", consent_json());
  EXPECT_EQ(overlap.status, 422);
  EXPECT_EQ(expression(overlap), "Consent.provision");

  store_patient("p2", R"({"resourceType":"Patient","id":"p2",
      "identifier":[{"system":"urn:mrn","value":"M9"}]})");
  JsonValue moved = parse(consent_json("active", id));
  set(moved, "patient", R"({"reference": "Patient/p2"})");
  // p2's token (from its own identifier) is another: a Consent does not move.
  rest::RestResponse r = call("PUT", "/Consent/" + id, fhir::write_json(moved));
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(expression(r), "Consent.patient");

  // A stale If-Match is refused before anything is queued.
  const size_t before = items().size();
  rest::RestRequest stale;
  stale.grant = full_grant();
  stale.method = "PUT";
  stale.target = "/Consent/" + id;
  stale.body = consent_json("inactive", id);
  stale.if_match = "W/\"9\"";
  EXPECT_EQ(api_->handle(stale).status, 412);
  EXPECT_EQ(items().size(), before);

  // A deny of every purpose for everyone: its state says it blocks emergency access.
  store_patient("p3", R"({"resourceType":"Patient","id":"p3",
      "identifier":[{"system":"urn:mrn","value":"M3"}]})");
  JsonValue deny = parse(consent_json());
  set(deny, "patient", R"({"reference": "Patient/p3"})");
  set(deny, "provision", R"({"type": "deny"})");
  rest::RestResponse denied = call("POST", "/Consent", fhir::write_json(deny));
  ASSERT_EQ(denied.status, 201) << denied.body;
  EXPECT_NE(state(body_of(denied), "note").find("emergency"), std::string::npos) << denied.body;
  EXPECT_EQ(state(body_of(first), "note"), "");

  EXPECT_EQ(call("POST", "/Consent", std::string(2 << 20, ' ')).status, 413);

  start(nullptr);  // [ledger] disabled
  EXPECT_EQ(call("POST", "/Consent", consent_json()).status, 503);
  EXPECT_EQ(call("GET", "/Consent/" + id).status, 200);
}

// Each stored version is one consent-change entry, durable before the
// answer: the client, the Consent, the patient's token, the purposes, the
// kind of change. Refusals and 503s store nothing and write no entry (the
// REST layer audits those requests).
TEST_F(ConsentServiceTest, EachStoredVersionIsOneConsentChangeEntry) {
  auto log = audit::AuditLog::open(dir_.file("audit.db"), audit::AuditKeys::random_for_tests());
  ASSERT_TRUE(log.ok()) << log.error().message();
  audit_ = std::move(log).value();
  caller_ = "ehr";
  start(outbox_.get());
  custodian_ = account(1);  // already registered: the write goes through at once

  rest::RestResponse created = call("POST", "/Consent", consent_json());
  ASSERT_EQ(created.status, 201) << created.body;
  const std::string id = body_of(created).find("id")->text();
  EXPECT_EQ(call("POST", "/Consent", R"({"resourceType":"Consent"})").status / 100, 4);
  rest::RestResponse revoked = call("PUT", "/Consent/" + id, consent_json("inactive", id));
  ASSERT_EQ(revoked.status, 200) << revoked.body;

  auto page = audit_->query({});
  ASSERT_TRUE(page.ok()) << page.error().message();
  ASSERT_EQ(page->entries.size(), 2u);
  auto token = crypto::token_bytes(store::testing::test_keys()->patient_token("urn:mrn", "M1"));
  ASSERT_TRUE(token.has_value());
  for (const audit::StoredAuditEntry& s : page->entries) {
    const audit::AuditEntry& e = s.entry;
    EXPECT_EQ(e.action, audit::Action::kConsentChange);
    EXPECT_EQ(e.actor.to_string(), "client:ehr");
    EXPECT_EQ(e.source, "10.0.0.7:50000");
    EXPECT_EQ(e.resource_type, "Consent");
    EXPECT_EQ(e.resource_id, id);
    ASSERT_TRUE(e.patient.has_value());
    EXPECT_EQ(*e.patient, *token);
    EXPECT_EQ(e.outcome.kind, audit::OutcomeKind::kSuccess);
  }
  const audit::AuditEntry& create = page->entries[0].entry;
  EXPECT_EQ(create.purpose, "TREAT");
  EXPECT_EQ(create.outcome.http_status, 201);
  EXPECT_EQ(create.detail, "create; 1 grants, 0 denies; 1 ledger calls");
  const audit::AuditEntry& revoke = page->entries[1].entry;
  EXPECT_EQ(revoke.purpose, "");
  EXPECT_EQ(revoke.outcome.http_status, 200);
  EXPECT_EQ(revoke.detail, "revoke; 0 grants, 0 denies; 1 ledger calls");
}

}  // namespace
}  // namespace gw::consent
