// test-needs: integration swtpm anvil
// FHIR Consent in, grants on chain, state out, end to end: a gateway on
// swtpm, its ledger account funded on a real anvil, the consortium deployed
// with a second founder (hospital 2). A Patient stored over REST; `gatewayctl
// consent apply` grants hospital 2 TREAT excluding PSY; the Consent's ledger
// state goes from pending to recorded with a transaction, and the contract's
// own check says PERMIT (and EXCLUDED_LABEL for PSY records) under the token
// the gateway registered the patient with. Then the
// Consent is set inactive: the revocation is recorded and the check says
// REVOKED. Refusals name the element: an unknown patient, an unknown org,
// a patient another member registered (409).
#include <gtest/gtest.h>

#include <fstream>

#include "fhir/json/json.h"
#include "gateway/anchoring/ledger_deployment.h"
#include "gateway/crypto/secret.h"
#include "gateway/crypto/tokenizer.h"
#include "ledger-client/consortium/consent_registry.h"
#include "ledger-client/consortium/events.h"
#include "ledger-client/consortium/scope.h"
#include "tests/integration/ledger_fixture.h"
#include "tests/support/free_port.h"
#include "tests/support/test_certs.h"
#include "tests/support/wait.h"

namespace gw::testing {
namespace {

namespace cs = ledger::consortium;

constexpr char kOrgB[] = "urn:oid:2.16.840.1.113883.3.9999.2";

std::string consent(const std::string& id, const std::string& status, const std::string& patient,
                    const std::string& org) {
  return std::string(R"({"resourceType": "Consent",)") +
         (id.empty() ? "" : "\"id\": \"" + id + "\",") + "\"status\": \"" + status + R"(",
  "scope": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentscope",
                        "code": "patient-privacy"}]},
  "category": [{"coding": [{"system": "http://loinc.org", "code": "59284-0"}]}],
  "patient": )" +
         patient + R"(,
  "policyRule": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
                             "code": "OPTIN"}]},
  "provision": {"type": "permit",
    "actor": [{"role": {"coding": [{"system":
                 "http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "code": "IRCP"}]},
               "reference": {"identifier": {"system": "urn:ietf:rfc:3986", "value": ")" +
         org + R"("}}}],
    "purpose": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActReason",
                 "code": "TREAT"}],
    "provision": [{"type": "deny", "securityLabel": [
        {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "PSY"}]}]}})";
}

class ConsentIntegration : public LedgerFixture {
 protected:
  int apply(const std::string& json, std::string* out) {
    const std::string file = dir_.path() + "/consent.json";
    std::ofstream(file) << json;
    out->clear();
    return ctl({"consent", "apply", "--url", url_, "--ca", pki_.ca_cert, "--cert", pki_.client_cert,
                "--key", pki_.client_key, file},
               out);
  }
  int show(const std::string& id, std::string* out) {
    out->clear();
    return ctl({"consent", "show", "--url", url_, "--ca", pki_.ca_cert, "--cert", pki_.client_cert,
                "--key", pki_.client_key, id},
               out);
  }
  cs::Decision check(const ledger::Hash256& token, const ledger::Address& grantee,
                     uint64_t labels) {
    ledger::CallRequest c;
    c.to = deployment_.contracts.consents;
    c.data = cs::check(token, grantee, cs::Purpose::kTreat,
                       cs::category_bit(cs::Category::kConditions), labels);
    auto r = eth_->call(c, ledger::BlockRef::of(ledger::BlockTag::kLatest));
    EXPECT_TRUE(r) << r.error().describe();
    if (!r) return cs::Decision::kInvalidPurpose;
    auto d = cs::decode_check(*r);
    EXPECT_TRUE(d.ok());
    return d.ok() ? d->decision : cs::Decision::kInvalidPurpose;
  }

  // Stores Patient n over REST (a first identifier without a system, then
  // two with one); returns its id ("" on failure, reported).
  std::string store_patient(int n) {
    const std::string body = R"({"resourceType":"Patient","identifier":[{"value":"LOCAL-)" +
                             std::to_string(n) +
                             R"("},{"system":"urn:oid:1.2.3.4.5","value":"MRN-CONSENT-)" +
                             std::to_string(n) + R"("},{"system":"urn:other","value":"OTHER-)" +
                             std::to_string(n) + R"("}],"name":[{"family":"Consentia"}]})";
    std::string reply, err;
    const int rc = run_command(
        {"/usr/bin/curl", "-sS", "--fail-with-body", "--cacert", pki_.ca_cert, "--cert",
         pki_.client_cert, "--key", pki_.client_key, "-H", "Content-Type: application/fhir+json",
         "-X", "POST", "--data", body, url_ + "/Patient"},
        &reply, &err);
    auto parsed = fhir::parse_json(reply);
    EXPECT_TRUE(rc == 0 && parsed.ok()) << reply << err;
    if (rc != 0 || !parsed.ok() || parsed->find("id") == nullptr) return "";
    return parsed->find("id")->text();
  }
  // The token of Patient n's first identifier with a system: HMAC with the
  // tokenization key derived from the test consortium key (keys/key_store.cc).
  static ledger::Hash256 token_of(int n) {
    auto key = ledger::from_hex(kTestConsortiumKeyHex);
    auto tok_key =
        crypto::hmac_sha256_secret(*key, std::string("tokenize|v1|") + kTestConsortiumId);
    EXPECT_TRUE(tok_key.has_value());
    if (!tok_key) return {};
    auto tokenizer = crypto::Tokenizer::create(std::move(*tok_key));
    EXPECT_TRUE(tokenizer.has_value());
    if (!tokenizer) return {};
    auto bytes = crypto::token_bytes(
        tokenizer->token("urn:oid:1.2.3.4.5", "MRN-CONSENT-" + std::to_string(n)));
    return bytes.value_or(ledger::Hash256{});
  }
  std::vector<cs::PatientRegistered> registrations() {
    ledger::LogFilter f;
    f.addresses = {deployment_.contracts.consents};
    f.from_block = ledger::BlockRef::at(0);
    auto logs = eth_->get_logs(f);
    EXPECT_TRUE(logs) << logs.error().describe();
    std::vector<cs::PatientRegistered> out;
    for (const auto& l : logs ? *logs : std::vector<ledger::Log>{}) {
      auto e = cs::decode_event(l.topics, l.data);
      if (!e || !e->has_value()) continue;
      if (const auto* r = std::get_if<cs::PatientRegistered>(&**e)) out.push_back(*r);
    }
    return out;
  }

  TestPki pki_;
  std::string url_;
  anchoring::LedgerDeployment deployment_;
};

TEST_F(ConsentIntegration, GrantRecordedCheckedOnChainThenRevoked) {
  auto started = AnvilProcess::start(AnvilOptions{});
  ASSERT_TRUE(started.ok()) << started.error().message();
  anvil_ = std::move(*started);
  connect_rpc();
  auto pki = make_test_pki(dir_.path(), "ops");
  ASSERT_TRUE(pki.ok()) << pki.status().message();
  pki_ = *pki;
  const uint16_t https_port = free_loopback_port();
  ASSERT_NE(https_port, 0);
  url_ = "https://127.0.0.1:" + std::to_string(https_port);
  GatewaydProcess gw(dir_.path(),
                     "\n[ledger]\nenabled = true\nrpc_url = \"" + anvil_->url() +
                         "\"\nchain_id = 31337\nrequest_timeout_ms = 2000\nview_poll_ms = 200\n"
                         "\n[https]\nenabled = true\nlisten = \"127.0.0.1:" +
                         std::to_string(https_port) + "\"\ncert_file = \"" + pki_.server_cert +
                         "\"\nkey_file = \"" + pki_.server_key + "\"\nclient_ca_file = \"" +
                         pki_.ca_cert +
                         "\"\n\n[client.ops]\ncert_subject = \"CN=ops,O=gateway tests\"\n"
                         "scopes = [\"system/*.cruds\"]\n");
  ASSERT_NO_FATAL_FAILURE(provision(gw));

  // Founders: this gateway and hospital 2 (a made-up account; it only receives).
  std::string out;
  ASSERT_EQ(ctl({"ledger", "member-entry", "--config", gw.config_path(), "--org-id",
                 "urn:oid:2.16.840.1.113883.3.9999.1", "--name", "Hospital 1", "--tls-fingerprint",
                 std::string(64, '2'), "--accreditation", "TEST"},
                &out),
            0)
      << out;
  auto a_entry = fhir::parse_json(out);
  ASSERT_TRUE(a_entry.ok() && a_entry->is_array()) << out;
  ledger::Address b{};
  b.fill(0xB2);
  std::string a_json = out.substr(out.find('{'), out.rfind('}') - out.find('{') + 1);
  const std::string founders = dir_.path() + "/founders.json";
  std::ofstream(founders) << "[" << a_json << ", " << member_json(b, 2, '4') << "]\n";
  out.clear();
  ASSERT_EQ(ctl({"ledger", "deploy", "--config", gw.config_path(), "--founders", founders,
                 "--quorum", "2"},
                &out),
            0)
      << out;
  auto deployment = anchoring::read_deployment(dir_.path() + "/state/ledger/consortium.json");
  ASSERT_TRUE(deployment) << deployment.error().message();
  deployment_ = *deployment;
  if (gw::Status s = gw.start(); !s.ok()) FAIL() << s.message();

  // A Patient, over REST.
  const std::string patient_id = store_patient(1);
  ASSERT_FALSE(patient_id.empty());
  const std::string ref = R"({"reference": "Patient/)" + patient_id + "\"}";

  // Until the view has read the registry, hospital 2 is an unknown org: the
  // refusal stores nothing, so asking again is safe.
  ASSERT_TRUE(
      wait_until([&] { return apply(consent("", "active", ref, kOrgB), &out) == 0; }, 60s, 500ms))
      << out;
  // Answered as soon as the calls are queued: the chain has not seen them yet.
  EXPECT_NE(out.find("version 1 status active ledger pending"), std::string::npos) << out;
  const size_t at = out.find("Consent/");
  ASSERT_NE(at, std::string::npos) << out;
  const std::string id = out.substr(at + 8, out.find(' ', at) - at - 8);

  ASSERT_TRUE(wait_until(
      [&] {
        return show(id, &out) == 0 &&
               out.find("ledger recorded transaction 0x") != std::string::npos;
      },
      60s, 250ms))
      << out;

  // The patient was registered once, with this gateway as custodian: its
  // token is the one the grant was written under.
  // That token is the one of the Patient's first identifier with a system
  // and a value, as every member computes it from the consortium key.
  std::vector<cs::PatientRegistered> registered = registrations();
  ASSERT_EQ(registered.size(), 1u);
  EXPECT_EQ(registered[0].custodian, address_);
  const std::optional<ledger::Hash256> token = registered[0].patient_token;
  EXPECT_EQ(token, token_of(1));
  EXPECT_EQ(check(*token, b, 0), cs::Decision::kPermit);
  EXPECT_EQ(check(*token, b, cs::label_bit(cs::Label::kPsy)), cs::Decision::kExcludedLabel);

  // Taken back: a revocation, recorded; the contract says REVOKED.
  ASSERT_EQ(apply(consent(id, "inactive", ref, kOrgB), &out), 0) << out;
  ASSERT_TRUE(wait_until(
      [&] {
        return show(id, &out) == 0 &&
               out.find("status inactive ledger recorded transaction 0x") != std::string::npos;
      },
      60s, 250ms))
      << out;
  EXPECT_EQ(check(*token, b, 0), cs::Decision::kRevoked);

  // Refusals name the element and store nothing.
  EXPECT_EQ(apply(consent("", "active", R"({"reference": "Patient/nobody"})", kOrgB), &out), 1);
  EXPECT_NE(out.find("Consent.patient:"), std::string::npos) << out;
  EXPECT_EQ(apply(consent("", "active", ref, "urn:oid:9.9.9"), &out), 1);
  EXPECT_NE(out.find("Consent.provision.actor[0]"), std::string::npos) << out;

  // Another member (hospital 2, impersonated on anvil) registered patient 2:
  // this gateway is not its custodian, so its Consent belongs elsewhere.
  const std::string patient2 = store_patient(2);
  ASSERT_FALSE(patient2.empty());
  ASSERT_TRUE(
      ledger::testing::set_balance(*rpc_, b, *ledger::Uint256::from_decimal("1000000000000000000"))
          .ok());
  ASSERT_TRUE(rpc_->call("anvil_impersonateAccount", "[\"" + ledger::to_hex_0x(b) + "\"]").ok());
  auto sent = rpc_->call(
      "eth_sendTransaction",
      "[{\"from\":\"" + ledger::to_hex_0x(b) + "\",\"to\":\"" +
          ledger::to_hex_0x(deployment_.contracts.consents) + "\",\"data\":\"" +
          ledger::to_hex_0x(cs::register_patient(token_of(2), ledger::Address{})) + "\"}]");
  ASSERT_TRUE(sent.ok());
  const std::string ref2 = R"({"reference": "Patient/)" + patient2 + "\"}";
  EXPECT_EQ(apply(consent("", "active", ref2, kOrgB), &out), 1);
  EXPECT_NE(out.find("answered 409"), std::string::npos) << out;
  EXPECT_NE(out.find("Consent.patient:"), std::string::npos) << out;
  EXPECT_EQ(registrations().size(), 2u) << "this gateway did not register patient 2 too";

  out.clear();
  ASSERT_EQ(ctl({"consent", "list", "--url", url_, "--ca", pki_.ca_cert, "--cert", pki_.client_cert,
                 "--key", pki_.client_key, "--patient", "Patient/" + patient_id},
                &out),
            0)
      << out;
  EXPECT_NE(out.find("1 Consent(s)"), std::string::npos) << out;

  // No patient data in gatewayd's output.
  EXPECT_EQ(gw.output().find("MRN-CONSENT-"), std::string::npos);
  EXPECT_EQ(gw.output().find(ledger::to_hex(token_of(1))), std::string::npos);
  EXPECT_EQ(gw.output().find("Consentia"), std::string::npos);
  EXPECT_EQ(gw.terminate(), 0);
}

}  // namespace
}  // namespace gw::testing
