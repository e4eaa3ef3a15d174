// Two member gateways on one consortium ledger, each with its own swtpm,
// store, keys and TLS certificate, started as an operator would: provisioned
// with gatewayctl, founders deployed from their own member entries, the
// member-to-member API ([peering]) on fixed loopback ports each names in the
// other's [peers].
#pragma once

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>

#include "fhir/json/json.h"
#include "gateway/anchoring/ledger_deployment.h"
#include "gateway/rest/rest_test_util.h"
#include "tests/integration/audit_events.h"
#include "tests/integration/ledger_fixture.h"
#include "tests/support/free_port.h"
#include "tests/support/test_certs.h"
#include "tests/support/wait.h"

namespace gw::testing {

struct Member {
  std::string dir;
  TestPki pki;
  uint16_t peering_port = 0;
  std::unique_ptr<GatewaydProcess> gw;
  ledger::Address account{};
  std::string org_id, name;
  Poco::Net::Context::Ptr https;

  uint16_t https_port() const { return gw->channel_ports().at("fhir"); }
  // The audit trail as the member's auditor reads it (audit_events.h).
  std::vector<AuditRow> audit() {
    return audit_rows([this](const std::string& target) { return call("GET", target); });
  }
  rest::testing::Reply call(const std::string& method, const std::string& target,
                            const std::string& body = "") {
    return rest::testing::https_call(https, https_port(), method, target, body);
  }
};

class TransferFixture : public LedgerFixture {
 protected:
  // Starts anvil, makes two members (a = "Hospital A", b = "Hospital B"),
  // deploys the consortium with both as founders (quorum 2) and starts both
  // gatewayds.
  void SetUpConsortium() {
    auto started = AnvilProcess::start(anvil_options_);
    ASSERT_TRUE(started.ok()) << started.error().message();
    anvil_ = std::move(*started);
    connect_rpc();
    ASSERT_NO_FATAL_FAILURE(make_member(a_, "a", 1));
    ASSERT_NO_FATAL_FAILURE(make_member(b_, "b", 2));
    // Each names the other's member API.
    for (auto [self, other] : {std::pair{&a_, &b_}, std::pair{&b_, &a_}}) {
      std::ofstream(self->gw->config_path(), std::ios::app)
          << "\n[peers]\n\"" << ledger::to_hex_0x(other->account)
          << "\" = \"https://127.0.0.1:" << other->peering_port << "\"\n";
    }
    const std::string founders = dir_.path() + "/founders.json";
    {
      std::ofstream f(founders);
      f << "[" << entry_of(a_) << ", " << entry_of(b_) << "]";
    }
    std::string out;
    ASSERT_EQ(ctl({"ledger", "deploy", "--config", a_.gw->config_path(), "--founders", founders,
                   "--quorum", "2"},
                  &out),
              0)
        << out;
    std::filesystem::create_directories(b_.dir + "/state/ledger");
    std::filesystem::copy_file(a_.dir + "/state/ledger/consortium.json",
                               b_.dir + "/state/ledger/consortium.json");
    auto d = gw::anchoring::read_deployment(a_.dir + "/state/ledger/consortium.json");
    ASSERT_TRUE(d) << d.error().message();
    deployment_ = *d;
    ASSERT_NO_FATAL_FAILURE(start_both());
  }

  void start_both() {
    for (Member* m : {&a_, &b_}) {
      gw::Status s = m->gw->start(std::chrono::seconds(60));
      ASSERT_TRUE(s.ok()) << s.message();
    }
  }
  void stop_both() {
    for (Member* m : {&a_, &b_}) EXPECT_EQ(m->gw->terminate(), 0) << m->gw->output();
  }

  // The quorum (A proposes, B approves) turns the consortium's emergency
  // access policy on. Governance goes through gatewayctl and the outbox, so
  // both gateways are stopped meanwhile and started again after.
  void enable_emergency_access() {
    ASSERT_NO_FATAL_FAILURE(stop_both());
    std::string out;
    ASSERT_EQ(ctl({"ledger", "propose-policy", "--config", a_.gw->config_path(),
                   "--emergency-access", "on"},
                  &out),
              0)
        << out;
    const size_t at = out.find("proposal id: ");
    ASSERT_NE(at, std::string::npos) << out;
    const std::string id =
        out.substr(at + 13, out.find_first_not_of("0123456789", at + 13) - at - 13);
    ASSERT_EQ(ctl({"ledger", "approve", "--config", b_.gw->config_path(), "--proposal", id}, &out),
              0)
        << out;
    ASSERT_NO_FATAL_FAILURE(start_both());
  }

  // Sends HL7 v2 messages (ER7 with \r) to a member's MLLP channel.
  void send_hl7(Member& m, const std::string& name, const std::string& er7) {
    const std::string file = m.dir + "/" + name + ".hl7";
    std::ofstream(file, std::ios::binary) << er7;
    std::string out;
    ASSERT_EQ(ctl({"send", "--to", "127.0.0.1:" + std::to_string(m.gw->port()), file}, &out), 0)
        << out;
  }

  // The ids of the Patients a member holds with identifier value `value`.
  std::vector<std::string> patients_named(Member& m, const std::string& value) {
    std::vector<std::string> ids;
    rest::testing::Reply r = m.call("GET", "/Patient?identifier=" + value);
    EXPECT_EQ(r.status, 200) << r.body;
    auto bundle = fhir::parse_json(r.body);
    if (!bundle.ok()) return ids;
    const fhir::JsonValue* entries = bundle.value().find("entry");
    if (entries == nullptr) return ids;
    for (const fhir::JsonValue& e : entries->items()) {
      ids.push_back(e.find("resource")->find("id")->text());
    }
    return ids;
  }

  std::string entry_of(Member& m) {
    std::string out;
    EXPECT_EQ(ctl({"ledger", "member-entry", "--config", m.gw->config_path(), "--org-id", m.org_id,
                   "--name", m.name, "--accreditation", "TEST"},
                  &out),
              0)
        << out;
    // member-entry prints a one-element array.
    const size_t open = out.find('['), close = out.rfind(']');
    return out.substr(open + 1, close - open - 1);
  }

  Member a_, b_;
  gw::anchoring::LedgerDeployment deployment_;
  AnvilOptions anvil_options_;  // set before SetUpConsortium (e.g. a state file)
  // More [peering] lines of a member's configuration, by tag ("a", "b"),
  // set before SetUpConsortium (e.g. forward_fhir).
  std::map<std::string, std::string> peering_extra_;

 private:
  void make_member(Member& m, const std::string& tag, int n) {
    m.dir = dir_.path() + "/" + tag;
    std::filesystem::create_directories(m.dir + "/pki");
    auto pki = make_test_pki(m.dir + "/pki", "client-" + tag);
    ASSERT_TRUE(pki.ok()) << pki.status().message();
    m.pki = *pki;
    m.peering_port = free_loopback_port();
    m.org_id = "urn:oid:2.16.840.1.113883.3.9999." + std::to_string(n);
    m.name = "Hospital " + std::string(1, static_cast<char>('A' + n - 1));
    // The hospital's own systems reach the FHIR API as a configured client
    // (mutual TLS); the member-to-member API has its own rule. The same
    // client is the hospital's auditor, so tests read the audit trail.
    m.https = rest::testing::client_context(m.pki.ca_cert, m.pki.client_cert, m.pki.client_key);
    m.gw = std::make_unique<GatewaydProcess>(
        m.dir,
        "result_section = \"LAB\"\n\n[https]\nenabled = true\nlisten = \"127.0.0.1:0\"\ncert_file "
        "= \"" +
            m.pki.server_cert + "\"\nkey_file = \"" + m.pki.server_key + "\"\nclient_ca_file = \"" +
            m.pki.ca_cert + "\"\n\n[ledger]\nenabled = true\nrpc_url = \"" + anvil_->url() +
            "\"\nchain_id = 31337\nrequest_timeout_ms = 2000\nview_poll_ms = 200\n\n"
            "[peering]\nenabled = true\nlisten = \"127.0.0.1:" +
            std::to_string(m.peering_port) + "\"\n" + peering_extra_[tag] +
            "\n[client.ehr]\ncert_subject = \"CN=client-" + tag +
            ",O=gateway tests\"\nscopes = [\"system/*.cruds\"]\nroles = [\"auditor\"]\n");
    ASSERT_NO_FATAL_FAILURE(provision(*m.gw));
    m.account = address_;
  }
};

}  // namespace gw::testing
