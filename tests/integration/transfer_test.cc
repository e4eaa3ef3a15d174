// test-needs: integration swtpm anvil
// Record transfers between two real member gateways on one ledger: decided
// from the consent view, recorded on the TransferLog before delivery,
// delivered sealed over the member-to-member API, verified and stored by the
// recipient with a Provenance.
#include <gtest/gtest.h>

#include <set>

#include "fhir/json/write.h"
#include "gateway/crypto/sha256.h"
#include "tests/integration/transfer_consent.h"
#include "tests/integration/transfer_fixture.h"

namespace gw::testing {
namespace {

// A patient with an identifier both hospitals know (the SSN), a
// schizophrenia diagnosis (PSY) and a glucose result.
const std::string kAdmit =
    "MSH|^~\\&|ADT|HOSPA|GW|GW|20260101120000||ADT^A01|T-ADT-1|P|2.5.1\r"
    "EVN|A01|20260101120000\r"
    "PID|1||MRN-7781^^^HOSPA^MR~123-45-6789^^^SSA^SS||Transferova^Jana^Q||19800101|F|||"
    "12 Elm St^^Springfield^IL^62701||555-0142\r"
    "PV1|1|I|WARD1^101^A||||1234^Smith^John|||MED||||||||V-9001\r"
    "DG1|1||F20.0^Paranoid schizophrenia^I10||20260101|A\r";
const std::string kGlucose =
    "MSH|^~\\&|LAB|HOSPA|GW|GW|20260101130000||ORU^R01|T-ORU-1|P|2.5.1\r"
    "PID|1||MRN-7781^^^HOSPA^MR~123-45-6789^^^SSA^SS||Transferova^Jana^Q||19800101|F\r"
    "OBR|1|ORD-1|FIL-1|2345-7^Glucose^LN|||20260101123000\r"
    "OBX|1|NM|2345-7^Glucose^LN||95|mg/dL|70-99|N|||F\r";

// The resource without what each server adds when serving it.
std::string without_serving_meta(const std::string& json) {
  auto parsed = fhir::parse_json(json);
  if (!parsed.ok()) return "unparseable";
  fhir::JsonValue v = std::move(parsed).value();
  if (fhir::JsonValue* meta = v.find_mutable("meta")) {
    meta->remove("versionId");
    meta->remove("lastUpdated");
    if (meta->empty()) v.remove("meta");
  }
  return fhir::write_json(v);
}

class TransferTest : public TransferFixture {};

// Emergency access without a consent: refused by the gateway while the
// consortium's policy is off; with the policy on (a quorum's decision), the
// transfer is recorded flagged, delivered, verified and stored at the
// recipient byte for byte, with a Provenance that says so.
TEST_F(TransferTest, EmergencyAccessOnlyUnderThePolicyAndFlagged) {
  ASSERT_NO_FATAL_FAILURE(SetUpConsortium());
  ASSERT_NO_FATAL_FAILURE(send_hl7(a_, "admit", kAdmit));
  ASSERT_NO_FATAL_FAILURE(send_hl7(a_, "glucose", kGlucose));
  std::vector<std::string> patients = patients_named(a_, "MRN-7781");
  ASSERT_EQ(patients.size(), 1u);
  const std::string push = "/Patient/" + patients[0] + "/$transfer";

  rest::testing::Reply refused =
      a_.call("POST", push, transfer_params(b_.org_id, "ETREAT", {.reason = "unresponsive in ED"}));
  EXPECT_EQ(refused.status, 422) << refused.body;
  EXPECT_NE(refused.body.find("NO_CONSENT"), std::string::npos) << refused.body;
  // Without a grant, a treatment transfer is refused the same way.
  EXPECT_EQ(a_.call("POST", push, transfer_params(b_.org_id, "TREAT")).status, 422);
  // Not a member: refused before any check.
  EXPECT_EQ(a_.call("POST", push, transfer_params("urn:oid:1.2.3", "TREAT")).status, 422);

  // The quorum turns emergency access on (governance needs the outbox, so
  // the gateways stop meanwhile).
  ASSERT_NO_FATAL_FAILURE(enable_emergency_access());

  // Emergency access needs a named reason.
  rest::testing::Reply no_reason = a_.call("POST", push, transfer_params(b_.org_id, "ETREAT"));
  EXPECT_EQ(no_reason.status, 422) << no_reason.body;
  EXPECT_NE(no_reason.body.find("EMERGENCY_REASON_REQUIRED"), std::string::npos);

  rest::testing::Reply accepted =
      a_.call("POST", push, transfer_params(b_.org_id, "ETREAT", {.reason = "unresponsive in ED"}));
  ASSERT_EQ(accepted.status, 202) << accepted.body;
  ASSERT_TRUE(wait_until(
      [&] { return a_.gw->output().find("event=transfer.delivered") != std::string::npos; }, 60s))
      << a_.gw->output() << "\n---- B ----\n"
      << b_.gw->output();
  const std::string a_log = a_.gw->output();
  EXPECT_NE(a_log.find("event=transfer.recorded"), std::string::npos);
  EXPECT_NE(a_log.find("emergency=true"), std::string::npos);

  // B holds the patient now, and every record it received is A's, byte for
  // byte (apart from what each server adds when serving).
  std::vector<std::string> at_b = patients_named(b_, "MRN-7781");
  ASSERT_EQ(at_b, patients);
  const std::string b_log = b_.gw->output();
  const size_t received = b_log.find("event=transfer.received");
  ASSERT_NE(received, std::string::npos) << b_log;
  // Refusals keep their ids (the trail shows them): the accepted transfer
  // is the one the answer named.
  auto answer = fhir::parse_json(accepted.body);
  ASSERT_TRUE(answer.ok());
  const std::string transfer_id =
      answer.value().find("parameter")->items()[0].find("valueString")->text();
  const std::string transfer = ledger::to_hex_0x(a_.account) + "/" + transfer_id;
  EXPECT_NE(b_log.find("transfer=" + transfer), std::string::npos) << b_log;
  rest::testing::Reply patient_a = a_.call("GET", "/Patient/" + patients[0]);
  rest::testing::Reply patient_b = b_.call("GET", "/Patient/" + patients[0]);
  ASSERT_EQ(patient_b.status, 200) << patient_b.body;
  EXPECT_EQ(without_serving_meta(patient_a.body), without_serving_meta(patient_b.body));

  // The audit trails. A: the client's emergency requests (refused without
  // the policy, refused without a reason, then granted) and the transfer
  // sent; B: the transfer received from A. Each names the patient by the
  // same token, with the purpose ETREAT.
  const std::vector<AuditRow> at_a = a_.audit();
  const std::vector<AuditRow> emergency = rows_of(at_a, "emergency-access");
  ASSERT_EQ(emergency.size(), 3u);
  EXPECT_EQ(emergency[0].outcome, "4");
  EXPECT_NE(emergency[0].desc.find("NO_CONSENT"), std::string::npos) << emergency[0].desc;
  EXPECT_NE(emergency[1].desc.find("EMERGENCY_REASON_REQUIRED"), std::string::npos);
  EXPECT_EQ(emergency[2].outcome, "0") << emergency[2].desc;
  for (const AuditRow& r : emergency) {
    EXPECT_EQ(r.who, "client:ehr");
    EXPECT_EQ(r.purpose, "ETREAT");
    EXPECT_EQ(r.what, "Patient/" + patients[0]);
  }
  EXPECT_FALSE(emergency[2].token.empty());
  const std::vector<AuditRow> sent = rows_of(at_a, "transfer-sent");
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].who, "client:ehr");
  EXPECT_EQ(sent[0].outcome, "0");
  EXPECT_EQ(sent[0].purpose, "ETREAT");
  EXPECT_EQ(sent[0].token, emergency[2].token);
  EXPECT_EQ(sent[0].what, "Patient/" + patients[0]);
  EXPECT_NE(sent[0].desc.find("transfer " + transfer), std::string::npos) << sent[0].desc;
  const std::vector<AuditRow> got = rows_of(b_.audit(), "transfer-received");
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].who, "member:" + ledger::to_hex_0x(a_.account));
  EXPECT_EQ(got[0].outcome, "0");
  EXPECT_EQ(got[0].purpose, "ETREAT");
  EXPECT_EQ(got[0].token, sent[0].token);
  EXPECT_EQ(got[0].what, "Patient/" + patients[0]);
  EXPECT_NE(got[0].desc.find("transfer " + transfer), std::string::npos) << got[0].desc;
  for (const AuditRow& r : at_a) EXPECT_EQ(r.desc.find("unresponsive"), std::string::npos);

  // No PHI in either gateway's log.
  for (const std::string* log : {&a_log, &b_log}) {
    for (const char* phi :
         {"Transferova", "MRN-7781", "123-45-6789", "Elm St", "19800101", "unresponsive"}) {
      EXPECT_EQ(log->find(phi), std::string::npos) << phi;
    }
  }
}

// The operator's view: a transfer started with `gatewayctl transfer send`
// (a REST client of $transfer) shows in `transfer list` / `show` on the
// custodian, read beside the running gatewayd, and as received in
// `transfer list --incoming` on the recipient. Emergency access is the path
// that needs no Consent, so the policy is switched on first.
TEST_F(TransferTest, GatewayctlSendsAndListsATransfer) {
  ASSERT_NO_FATAL_FAILURE(SetUpConsortium());
  ASSERT_NO_FATAL_FAILURE(send_hl7(a_, "admit", kAdmit));
  std::vector<std::string> patients = patients_named(a_, "MRN-7781");
  ASSERT_EQ(patients.size(), 1u);
  ASSERT_NO_FATAL_FAILURE(enable_emergency_access());

  const std::string url = "https://127.0.0.1:" + std::to_string(a_.https_port());
  const std::vector<std::string> send = {"transfer",  "send",
                                         "--url",     url,
                                         "--ca",      a_.pki.ca_cert,
                                         "--cert",    a_.pki.client_cert,
                                         "--key",     a_.pki.client_key,
                                         "--patient", "Patient/" + patients[0],
                                         "--to",      b_.org_id,
                                         "--purpose", "ETREAT"};
  // Without a reason: refused by gatewayd, exit 1, the reason code on stderr.
  std::string out;
  ASSERT_EQ(ctl(send, &out), 1) << out;
  EXPECT_NE(out.find("EMERGENCY_REASON_REQUIRED"), std::string::npos) << out;
  out.clear();  // ctl() appends
  std::vector<std::string> with_reason = send;
  with_reason.insert(with_reason.end(), {"--reason", "unresponsive in ED"});
  ASSERT_EQ(ctl(with_reason, &out), 0) << out;
  const size_t named = out.find("transfer ");
  ASSERT_NE(named, std::string::npos) << out;
  const std::string id = out.substr(named + 9, out.find(' ', named + 9) - named - 9);
  ASSERT_TRUE(wait_until(
      [&] { return a_.gw->output().find("event=transfer.delivered") != std::string::npos; }, 60s))
      << a_.gw->output() << "\n---- B ----\n"
      << b_.gw->output();

  // Read while both gatewayds run.
  out.clear();
  ASSERT_EQ(ctl({"transfer", "list", "--config", a_.gw->config_path()}, &out), 0) << out;
  EXPECT_NE(out.find("\n" + id + "  delivered  " + ledger::to_hex_0x(b_.account) + "  ETREAT  "),
            std::string::npos)
      << out;
  out.clear();
  ASSERT_EQ(ctl({"transfer", "show", "--config", a_.gw->config_path(), "--json", id}, &out), 0)
      << out;
  ASSERT_NE(out.find('{'), std::string::npos) << out;
  auto shown = fhir::parse_json(out.substr(out.find('{')));
  ASSERT_TRUE(shown.ok()) << out;
  EXPECT_EQ(shown->find("state")->text(), "delivered");
  EXPECT_TRUE(shown->find("flagged_emergency")->as_bool());
  EXPECT_EQ(shown->find("tx_hash")->text().size(), 66u) << out;
  EXPECT_EQ(out.find("unresponsive"), std::string::npos) << "the emergency reason is not shown";
  out.clear();
  ASSERT_EQ(ctl({"transfer", "list", "--config", b_.gw->config_path(), "--incoming"}, &out), 0)
      << out;
  EXPECT_NE(out.find(ledger::to_hex_0x(a_.account) + "  " + id + "  stored  ETREAT  "),
            std::string::npos)
      << out;
}

}  // namespace
}  // namespace gw::testing

namespace gw::testing {
namespace {

// A TREAT Consent for `org` that excludes psychiatry (PSY).
std::string treat_consent(const std::string& id, const std::string& status,
                          const std::string& patient_id, const std::string& org) {
  return consent_json({.id = id,
                       .status = status,
                       .patient_id = patient_id,
                       .org = org,
                       .purpose = "TREAT",
                       .denied_label = "PSY"});
}

// The value of `key=` on the last log line with `event`, or "".
std::string last_field(const std::string& log, const std::string& event, const std::string& key) {
  const size_t at = log.rfind("event=" + event);
  if (at == std::string::npos) return "";
  const size_t end = log.find('\n', at);
  const std::string line = log.substr(at, end - at);
  const size_t k = line.find(" " + key + "=");
  if (k == std::string::npos) return "";
  const size_t v = k + key.size() + 2;
  return line.substr(v, line.find(' ', v) - v);
}

class ConsentedTransferTest : public TransferFixture {};

// Hospital B pulls a patient from A under a TREAT consent that excludes
// psychiatry: B receives exactly the permitted records, byte for byte as A
// holds them, and none labeled PSY. After A revokes the consent, B's next
// pull is refused.
TEST_F(ConsentedTransferTest, PullDeliversThePermittedRecordsAndARevocationStopsTheNext) {
  ASSERT_NO_FATAL_FAILURE(SetUpConsortium());
  ASSERT_NO_FATAL_FAILURE(send_hl7(a_, "admit", kAdmit));
  ASSERT_NO_FATAL_FAILURE(send_hl7(a_, "glucose", kGlucose));
  std::vector<std::string> patients = patients_named(a_, "MRN-7781");
  ASSERT_EQ(patients.size(), 1u);
  const std::string consent_id =
      write_consent(a_, treat_consent("", "active", patients[0], b_.org_id));
  ASSERT_FALSE(consent_id.empty());

  // B knows the patient by the SSN, as A stored it.
  auto patient = fhir::parse_json(a_.call("GET", "/Patient/" + patients[0]).body);
  ASSERT_TRUE(patient.ok());
  std::string ssn_system;
  for (const fhir::JsonValue& id : patient.value().find("identifier")->items()) {
    if (id.find("value")->text() == "123-45-6789") ssn_system = id.find("system")->text();
  }
  ASSERT_FALSE(ssn_system.empty());
  rest::testing::Reply asked =
      b_.call("POST", "/$request-transfer",
              request_transfer_params(a_.org_id, ssn_system, "123-45-6789", "TREAT"));
  ASSERT_EQ(asked.status, 202) << asked.body;
  ASSERT_TRUE(wait_until(
      [&] { return b_.gw->output().find("event=transfer.received") != std::string::npos; }, 60s))
      << a_.gw->output() << "\n---- B ----\n"
      << b_.gw->output();

  // What arrived: the Provenance lists it.
  const std::string transfer = last_field(b_.gw->output(), "transfer.received", "transfer");
  ASSERT_FALSE(transfer.empty());
  const std::string provenance_id = crypto::to_hex(crypto::sha256("gw-transfer|" + transfer));
  rest::testing::Reply prov = b_.call("GET", "/Provenance/" + provenance_id);
  ASSERT_EQ(prov.status, 200) << prov.body;
  auto targets = fhir::parse_json(prov.body);
  ASSERT_TRUE(targets.ok());
  std::set<std::string> received;
  for (const fhir::JsonValue& t : targets.value().find("target")->items()) {
    received.insert(t.find("reference")->text());
  }
  EXPECT_EQ(prov.body.find("BTG"), std::string::npos) << "not an emergency transfer";
  bool observation = false;
  for (const std::string& ref : received) {
    EXPECT_EQ(ref.rfind("Condition/", 0), std::string::npos) << "a PSY diagnosis left A: " << ref;
    rest::testing::Reply at_a = a_.call("GET", "/" + ref);
    rest::testing::Reply at_b = b_.call("GET", "/" + ref);
    ASSERT_EQ(at_b.status, 200) << ref;
    EXPECT_EQ(without_serving_meta(at_a.body), without_serving_meta(at_b.body)) << ref;
    EXPECT_EQ(at_b.body.find("\"PSY\""), std::string::npos) << ref;
    if (ref.rfind("Observation/", 0) == 0) observation = true;
  }
  EXPECT_TRUE(observation) << "the glucose result is within TREAT";
  EXPECT_TRUE(received.count("Patient/" + patients[0]));
  // A labeled the diagnosis PSY and kept it home.
  EXPECT_NE(a_.gw->output().find("excluded_by_label="), std::string::npos);
  EXPECT_EQ(last_field(a_.gw->output(), "transfer.prepared", "excluded_by_label") == "0", false);

  // A revokes. A pull decided once the revocation is final in A's view is
  // refused by A itself; one decided just before is refused by the
  // contract when A records it. Either way nothing more reaches B.
  write_consent(a_, treat_consent(consent_id, "inactive", patients[0], b_.org_id), "PUT",
                "/Consent/" + consent_id);
  rest::testing::Reply again =
      b_.call("POST", "/$request-transfer",
              request_transfer_params(a_.org_id, ssn_system, "123-45-6789", "TREAT"));
  ASSERT_EQ(again.status, 202) << again.body;
  ASSERT_TRUE(wait_until(
      [&] {
        const std::string a_log = a_.gw->output();
        return a_log.find("reason=REVOKED") != std::string::npos ||
               a_log.find("detail=REVOKED") != std::string::npos;
      },
      30s))
      << a_.gw->output();
  std::this_thread::sleep_for(1s);  // a delivery, were there one, would come now
  const std::string b_log = b_.gw->output();
  size_t deliveries = 0;
  for (size_t at = 0; (at = b_log.find("event=transfer.received", at)) != std::string::npos; ++at) {
    ++deliveries;
  }
  EXPECT_EQ(deliveries, 1u) << b_log;

  // The audit trails. A: the Consent's two changes (create, then revoke) by
  // the client, and one transfer sent, asked for by B (a pull); B: one
  // received from A. All name the patient by one token; no request's
  // purpose is other than TREAT.
  const std::vector<AuditRow> at_a = a_.audit();
  const std::vector<AuditRow> changes = rows_of(at_a, "consent-change");
  ASSERT_EQ(changes.size(), 2u);
  EXPECT_EQ(changes[0].who, "client:ehr");
  EXPECT_EQ(changes[0].what, "Consent/" + consent_id);
  EXPECT_EQ(changes[0].purpose, "TREAT");
  EXPECT_NE(changes[0].desc.find("create"), std::string::npos) << changes[0].desc;
  EXPECT_NE(changes[1].desc.find("revoke"), std::string::npos) << changes[1].desc;
  EXPECT_EQ(changes[1].token, changes[0].token);
  EXPECT_FALSE(changes[0].token.empty());
  // The REST layer's own entries of the same writes stay beside them.
  EXPECT_FALSE(rows_of(at_a, "create").empty());
  const std::vector<AuditRow> sent = rows_of(at_a, "transfer-sent");
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].who, "member:" + ledger::to_hex_0x(b_.account));
  EXPECT_EQ(sent[0].purpose, "TREAT");
  EXPECT_EQ(sent[0].token, changes[0].token);
  EXPECT_EQ(sent[0].what, "Patient/" + patients[0]);
  const std::vector<AuditRow> got = rows_of(b_.audit(), "transfer-received");
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].who, "member:" + ledger::to_hex_0x(a_.account));
  EXPECT_EQ(got[0].purpose, "TREAT");
  EXPECT_EQ(got[0].token, changes[0].token);
  EXPECT_NE(got[0].desc.find("transfer " + transfer), std::string::npos) << got[0].desc;
  // The second pull: refused by A's own check (one entry naming B and the
  // reason) or by the contract when recorded (no decision of A's to enter).
  const std::vector<AuditRow> refused = rows_of(at_a, "transfer-refused");
  ASSERT_LE(refused.size(), 1u);
  for (const AuditRow& r : refused) {
    EXPECT_EQ(r.who, "member:" + ledger::to_hex_0x(b_.account));
    EXPECT_TRUE(r.desc.starts_with("REVOKED;")) << r.desc;
    EXPECT_EQ(r.purpose, "TREAT");
  }
}

}  // namespace
}  // namespace gw::testing
