// test-needs: swtpm integration
// Issue 17's table: every HTTPS endpoint × every kind of caller (anonymous,
// wrong CA, expired certificate, no scope, read-only, write, admin, auditor,
// a SMART Backend Services token, an expired token, a garbage token, a
// replayed assertion, an assertion for another audience), with the status
// each must get, against one real gatewayd (swtpm, no ledger). Then the audit
// trail those requests left, the bad tokens and assertions the token endpoint
// must refuse, `gatewayctl audit verify`, and no PHI in gatewayd's log.
#include <Poco/Net/NetSSL.h>
#include <gtest/gtest.h>

#include <array>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <set>
#include <sstream>

#include "tests/integration/access_table_rows.h"
#include "tests/integration/access_table_support.h"
#include "tests/support/gatewayd_process.h"
#include "tests/support/test_certs.h"

namespace gw::testing {
namespace {

using namespace access;  // NOLINT: the table's vocabulary
using auth::testing::TestKey;

class AccessTable : public ::testing::Test {
 protected:
  void SetUp() override {
    Poco::Net::initializeSSL();
    d_ = dir_.path();
    auto made = make_test_pki_for_clients(
        d_, {"reader", "writer", "updater", "labonly", "secops", "auditor"}, "reader");
    ASSERT_TRUE(made.ok()) << made.status().message();
    pki_ = *made;
    key_ = TestKey::generate(auth::JwsAlg::kES384, "registry-1");
    jwks_ = d_ + "/registry.jwks.json";
    std::ofstream(jwks_) << auth::testing::jwks_of({key_.public_jwk()});
    std::string clients;
    for (const auto& [name, grant] : std::vector<std::pair<std::string, std::string>>{
             {"reader", "scopes = [\"system/*.rs\"]"},
             {"writer", "scopes = [\"system/*.cruds\"]"},
             {"updater", "scopes = [\"system/Patient.rus\"]"},
             {"labonly", "scopes = [\"system/Organization.r\"]"},
             {"secops", "roles = [\"admin\"]"},
             {"auditor", "roles = [\"auditor\"]"}}) {
      clients += "[client." + name + "]\ncert_subject = \"CN=" + name + ",O=gateway tests\"\n" +
                 grant + "\n";
    }
    clients +=
        "[client.registry]\njwks_file = \"" + jwks_ + "\"\nscopes = [\"system/Patient.rs\"]\n";
    gw_ = std::make_unique<GatewaydProcess>(
        d_, "\n[https]\nenabled = true\nlisten = \"127.0.0.1:0\"\ncert_file = \"" +
                pki_.pki.server_cert + "\"\nkey_file = \"" + pki_.pki.server_key +
                "\"\nclient_ca_file = \"" + pki_.pki.ca_cert + "\"\n" + clients);
    gw::Status started = gw_->start();
    ASSERT_TRUE(started.ok()) << started.message();
    port_ = gw_->channel_ports()["fhir"];
    ASSERT_NE(port_, 0) << gw_->output();
    token_url_ = "https://127.0.0.1:" + std::to_string(port_) + "/auth/token";
  }

  Caller with_cert(const std::string& name, const TestClientCert& c) const {
    Caller out;
    out.name = name;
    out.ctx = rest::testing::client_context(pki_.pki.ca_cert, c.cert, c.key);
    return out;
  }
  Caller plain(const std::string& name) const {
    Caller out;
    out.name = name;
    out.ctx = rest::testing::client_context(pki_.pki.ca_cert);
    return out;
  }
  std::string assertion(const Claims& c) const { return key_.sign(key_.header(), c.json()); }
  std::string fresh_assertion() const { return assertion(fresh_claims("registry", token_url_)); }
  // POST /auth/token with `form`.
  Reply token_request(const std::string& form) const {
    return call(plain("token"), port_, "POST", "/auth/token", form, kFormType);
  }
  std::string access_token_for(const std::string& assertion) const {
    const Reply r = token_request(token_form(assertion, "system/Patient.rs"));
    EXPECT_EQ(r.status, 200) << r.body;
    return rest::testing::text_at(r.json(), {"access_token"});
  }
  void expire_token(const std::string& token) const {
    expire_access_token(d_ + "/state/auth.db", token);
  }
  // An auditor's AuditEvent search.
  std::vector<Event> audit_search(const Caller& auditor, const std::string& query) const {
    const Reply r = call(auditor, port_, "GET", "/AuditEvent?_count=1000&" + query);
    EXPECT_EQ(r.status, 200) << r.body;
    return events_of(r);
  }

  // Runs the table and prints it; counts answered requests per caller.
  void run_table(const std::vector<Caller>& callers);
  void check_cell(const Row& row, int col, const Caller& c, const std::string& target,
                  const Reply& r, const std::string& error);
  void check_trail(const Caller& auditor);
  void check_nothing_else_written(const Caller& reader);
  void check_bad_assertions();

  TempDir dir_;
  std::string d_, jwks_, token_url_;
  MultiClientPki pki_;
  TestKey key_;
  std::unique_ptr<GatewaydProcess> gw_;
  uint16_t port_ = 0;
  std::string registry_token_;
  std::map<std::string, int> answered_;  // requests answered over HTTP, by caller
  int auth_failures_ = 0;                // answers that must be auth-failure entries
  std::set<std::string> tls_errors_;     // how refused handshakes failed, by caller
};

void AccessTable::check_cell(const Row& row, int col, const Caller& c, const std::string& target,
                             const Reply& r, const std::string& error) {
  SCOPED_TRACE(c.name + " " + row.method + " " + target);
  EXPECT_EQ(r.status, row.expect[col]) << r.body << error;
  if (r.status == 401) {
    const std::string challenge = r.header("WWW-Authenticate");
    EXPECT_EQ(challenge.rfind("Bearer realm=\"gatewayd\"", 0), 0u) << challenge;
    if (row.token_request) {
      EXPECT_NE(challenge.find("error=\"invalid_client\""), std::string::npos) << challenge;
    } else if (!c.bearer.empty()) {
      EXPECT_NE(challenge.find("error=\"invalid_token\""), std::string::npos) << challenge;
    }
  }
  const bool oauth = row.token_request || row.path.rfind("/.well-known/", 0) == 0;
  if ((r.status == 401 || r.status == 403) && !oauth) {
    EXPECT_TRUE(rest::testing::is_operation_outcome(r)) << r.body;
  }
  if (r.status == 403) {
    const auto other = row.denied_for.find(col);
    const std::string& denied = other != row.denied_for.end() ? other->second : row.denied;
    EXPECT_EQ(rest::testing::text_at(r.json(), {"issue", "0", "diagnostics"}), denied) << r.body;
  }
  if (r.status == 200 && row.path.find("$access-report") != std::string::npos) {
    EXPECT_EQ(r.body.rfind("%PDF-", 0), 0u);
    EXPECT_EQ(r.header("Content-Type"), "application/pdf");
  }
  if (r.status == 200 && row.path == "/.well-known/smart-configuration") {
    EXPECT_EQ(rest::testing::text_at(r.json(), {"token_endpoint"}), token_url_) << r.body;
  }
  if (row.token_request && r.status >= 400) {
    EXPECT_FALSE(rest::testing::text_at(r.json(), {"error"}).empty()) << r.body;
    EXPECT_FALSE(rest::testing::text_at(r.json(), {"error_description"}).empty()) << r.body;
  }
  if (r.status == 401 || (row.token_request && r.status >= 400)) ++auth_failures_;
}

void AccessTable::run_table(const std::vector<Caller>& callers) {
  std::ostringstream out;
  out << "\nendpoint × caller -> status (TLS: handshake refused; -: nothing to send)\n"
      << std::left << std::setw(44) << "";
  for (const Caller& c : callers) out << std::setw(14) << c.name;
  out << "\n";
  for (const Row& row : table()) {
    std::string shown = row.method + " " + replace_all(row.path, kMrn, "<mrn>");
    if (row.path == "/") {
      shown +=
          row.body.find("\"transaction\"") != std::string::npos ? " (transaction)" : " (batch)";
    }
    out << std::setw(44) << shown.substr(0, 43);
    for (int col = 0; col < kCols; ++col) {
      const Caller& c = callers[col];
      int got = kNa;
      if (row.expect[col] != kNa && (!c.token_only || row.token_request)) {
        const std::string target =
            replace_all(replace_all(row.path, "{id}", kPatient), "{caller}", c.name);
        std::string body = row.body;
        if (row.token_request) body = token_form(c.assertion);
        if (body.empty() && row.method == "PUT") body = patient_json("new-" + c.name, kMrn);
        std::string error;
        const Reply r =
            call(c, port_, row.method, target, body, row.token_request ? kFormType : "", &error);
        check_cell(row, col, c, target, r, error);
        if (row.entry[col] != 0) {
          EXPECT_EQ(
              rest::testing::text_at(r.json(), {"entry", "0", "response", "status"}).substr(0, 3),
              std::to_string(row.entry[col]))
              << c.name << " " << r.body;
          if (row.entry[col] == 403) {
            EXPECT_EQ(rest::testing::text_at(r.json(), {"entry", "0", "response", "outcome",
                                                        "issue", "0", "diagnostics"}),
                      "needs system/Patient.r")
                << r.body;
          }
        }
        got = r.status;
        if (got != kTls) ++answered_[c.name];
        if (got == kTls) {
          // The server's alert names the reason, unless the connection was
          // reset before the client read it.
          const std::string alert =
              col == kExpCert ? "alert certificate expired" : "alert unknown ca";
          EXPECT_TRUE(error.find(alert) != std::string::npos ||
                      error.find("reset by peer") != std::string::npos)
              << c.name << ": " << error;
          tls_errors_.insert(c.name + ": " + error);
        }
      } else {
        EXPECT_EQ(row.expect[col], kNa) << c.name << " " << shown;
      }
      out << std::setw(14) << cell(got);
    }
    out << "\n";
  }
  for (const std::string& e : tls_errors_) out << "  " << e << "\n";
  std::cout << out.str() << std::flush;
}

void AccessTable::check_trail(const Caller& auditor) {
  // The reader's entries: one per answer at least, all naming the reader.
  const std::vector<Event> reader = audit_search(auditor, "agent=client:reader");
  EXPECT_GE(static_cast<int>(reader.size()), answered_["reader"]);
  for (const Event& e : reader) EXPECT_EQ(e.agent, "client:reader");
  // The patient's: reads by the reader and the writer (its identifier has a
  // system, so it has a consortium token the entries name).
  const std::vector<Event> patient =
      audit_search(auditor, "patient=Patient/" + std::string(kPatient));
  auto read_by = [&](const std::string& agent) {
    for (const Event& e : patient) {
      if (e.agent == agent && e.action == "read" && e.outcome == "0") return true;
    }
    return false;
  };
  EXPECT_TRUE(read_by("client:reader"));
  EXPECT_TRUE(read_by("client:writer"));
  EXPECT_TRUE(read_by("client:registry"));
  for (const Event& e : patient) {
    EXPECT_NE(e.agent, "client:labonly") << "a refused read names no patient it did not reach";
  }
  // A batch entry refused is an entry too: labonly's read of the patient.
  bool refused_entry = false;
  for (const Event& e : audit_search(auditor, "agent=client:labonly")) {
    refused_entry |= e.action == "read" && e.outcome == "4";
  }
  EXPECT_TRUE(refused_entry);
  // Failed authentications: anonymous ones, the token endpoint's refusals of
  // the registry's assertions, and token requests without an assertion from
  // clients known by their certificate; every one refused (4).
  int failures = 0;
  for (const char* agent :
       {"anonymous", "client:registry", "client:reader", "client:writer", "client:updater",
        "client:labonly", "client:secops", "client:auditor"}) {
    for (const Event& e : audit_search(auditor, std::string("agent=") + agent)) {
      if (e.action != "auth-failure") continue;
      ++failures;
      EXPECT_EQ(e.outcome, "4") << agent;
    }
  }
  std::cout << "auth-failure entries in the trail: " << failures
            << " (refused authentications sent: " << auth_failures_ << ")\n";
  EXPECT_GE(failures, auth_failures_);
  EXPECT_GT(auth_failures_, 20);
}

void AccessTable::check_nothing_else_written(const Caller& reader) {
  // Only the writer's create, transaction and update-as-create happened.
  for (const char* suffix : {"-post", "-tx"}) {
    const Reply r = call(reader, port_, "GET",
                         std::string("/Patient?identifier=") + kMrnSystem + "%7C" + kMrn + suffix);
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(entry_count(r), 1u) << suffix << ": " << r.body;
  }
  for (int col = 0; col < kCols; ++col) {
    const std::string target = std::string("/Patient/new-") + kColNames[col];
    EXPECT_EQ(call(reader, port_, "GET", target).status, col == kWriter ? 200 : 404) << target;
  }
}

void AccessTable::check_bad_assertions() {
  struct Bad {
    std::string what, form;
    int status;
    std::string error;  // OAuth error code
  };
  const std::string kid = key_.kid;
  auto fresh = [&] { return fresh_claims("registry", token_url_); };
  Claims big = fresh();
  big.extra = ",\"pad\":\"" + std::string(9000, 'x') + "\"";
  Claims skewed = fresh();
  skewed.iat = now_s() - 900;
  skewed.exp = now_s() - 600;  // ten minutes ago, beyond the 60 s leeway
  const std::string long_header = "{\"alg\":\"ES384\",\"kid\":\"" + kid +
                                  "\",\"typ\":\"JWT\",\"x\":\"" + std::string(1500, 'y') + "\"}";
  const std::vector<Bad> bad = {
      {"alg none", token_form(alg_none_token(kid, fresh())), 401, "invalid_client"},
      {"HS256 keyed with the public JWK", token_form(hs256_token(kid, key_.public_jwk(), fresh())),
       401, "invalid_client"},
      {"token over 8 KiB", token_form(assertion(big)), 401, "invalid_client"},
      {"header over 1 KiB", token_form(key_.sign(long_header, fresh().json())), 401,
       "invalid_client"},
      {"exp 10 min ago", token_form(assertion(skewed)), 401, "invalid_client"},
      {"not a JWS", token_form("not.a.jws"), 401, "invalid_client"},
      {"wildcard inside a type", token_form(fresh_assertion(), "system/Pat*.rs"), 400,
       "invalid_scope"},
      {"patient/ scope", token_form(fresh_assertion(), "patient/*.rs"), 400, "invalid_scope"},
      {"search restriction", token_form(fresh_assertion(), "system/Patient.rs?gender=female"), 400,
       "invalid_scope"},
  };
  for (const Bad& b : bad) {
    SCOPED_TRACE(b.what);
    const Reply r = token_request(b.form);
    EXPECT_EQ(r.status, b.status) << r.body;
    EXPECT_EQ(rest::testing::text_at(r.json(), {"error"}), b.error) << r.body;
    EXPECT_FALSE(rest::testing::text_at(r.json(), {"error_description"}).empty()) << r.body;
    if (r.status == 401) {
      EXPECT_NE(r.header("WWW-Authenticate").find("error=\"invalid_client\""), std::string::npos);
    }
    if (r.status >= 400) ++auth_failures_;
  }
  // An oversized Bearer token on a FHIR path: refused, never a crash.
  Caller huge = plain("huge-bearer");
  huge.bearer = std::string(10000, 'A');
  std::string error;
  const Reply r = call(huge, port_, "GET", "/Patient/" + std::string(kPatient), "", "", &error);
  EXPECT_TRUE(r.status == 400 || r.status == 401 || r.status == 431) << r.status << error;
  std::cout << "a 10 000-byte Bearer token: " << cell(r.status) << "\n";
  if (r.status == 401) ++auth_failures_;
  // Still serving, and still issuing good tokens.
  EXPECT_EQ(call(plain("after"), port_, "GET", "/metadata").status, 200);
  Caller again = plain("registry-again");
  again.bearer = access_token_for(fresh_assertion());
  EXPECT_EQ(call(again, port_, "GET", "/Patient/" + std::string(kPatient)).status, 200);
}

TEST_F(AccessTable, EveryEndpointForEveryCaller) {
  // The table's patient, written by the writer.
  const Caller writer = with_cert("writer", pki_.clients.at("writer"));
  const Reply created =
      call(writer, port_, "PUT", "/Patient/" + std::string(kPatient), patient_json(kPatient, kMrn));
  ASSERT_EQ(created.status, 201) << created.body;

  // The registry's token; the assertion it spent is then replayed.
  const std::string spent = fresh_assertion();
  registry_token_ = access_token_for(spent);
  ASSERT_FALSE(registry_token_.empty());
  // A second token whose row is expired before its first use
  // (token_lifetime_s is at least 60 s: waiting it out would be slower than
  // the whole table). Not used before: gatewayd keeps a token it has looked
  // up in memory until the expiry it read, so a row edited afterwards would
  // not be seen — the registry's token shows tokens work.
  Caller expired = plain(kColNames[kExpToken]);
  expired.bearer = access_token_for(fresh_assertion());
  expire_token(expired.bearer);

  std::vector<Caller> callers(kCols);
  callers[kAnon] = plain(kColNames[kAnon]);
  callers[kWrongCa] =
      with_cert(kColNames[kWrongCa], {pki_.pki.other_client_cert, pki_.pki.other_client_key});
  callers[kExpCert] = with_cert(kColNames[kExpCert], pki_.expired);
  for (Col c : {kLabonly, kReader, kWriter, kUpdater, kSecops, kAuditor}) {
    callers[c] = with_cert(kColNames[c], pki_.clients.at(kColNames[c]));
  }
  callers[kRegistry] = plain(kColNames[kRegistry]);
  callers[kRegistry].bearer = registry_token_;
  callers[kRegistry].assertion = fresh_assertion();
  callers[kExpToken] = expired;
  callers[kGarbage] = plain(kColNames[kGarbage]);
  callers[kGarbage].bearer = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
  callers[kReplayed] = plain(kColNames[kReplayed]);
  callers[kReplayed].assertion = spent;
  callers[kReplayed].token_only = true;
  callers[kOtherAud] = plain(kColNames[kOtherAud]);
  callers[kOtherAud].assertion =
      assertion(fresh_claims("registry", "https://other.example.org/auth/token"));
  callers[kOtherAud].token_only = true;

  run_table(callers);
  check_nothing_else_written(callers[kReader]);
  check_bad_assertions();
  check_trail(callers[kAuditor]);

  // The trail verifies once gatewayd has stopped (swtpm serves one client).
  EXPECT_EQ(gw_->terminate(), 0);
  std::string out;
  EXPECT_EQ(run_command({gatewayctl_path(), "audit", "verify", "--config", gw_->config_path(),
                         "--no-ledger"},
                        &out),
            0)
      << out;
  const std::string log = gw_->output();
  for (const std::string& secret :
       {std::string(kFamily), std::string(kMrn), registry_token_, std::string(kBirthDate)}) {
    EXPECT_EQ(log.find(secret), std::string::npos) << "in gatewayd's log: " << secret;
  }
}

// Issue 17: "GET /metadata stays open and lists the security services".
// gateway/rest/fhir_capability.cc lists none yet (no rest.security), so this
// is disabled until it does: run it with --gtest_also_run_disabled_tests.
TEST_F(AccessTable, MetadataListsTheSecurityServices) {
  const Reply r = call(plain("anonymous"), port_, "GET", "/metadata");
  ASSERT_EQ(r.status, 200) << r.body;
  const fhir::JsonValue doc = r.json();
  const fhir::JsonValue* rests = doc.find("rest");
  ASSERT_TRUE(rests != nullptr && rests->is_array() && !rests->items().empty()) << r.body;
  const fhir::JsonValue* security = rests->items()[0].find("security");
  ASSERT_NE(security, nullptr) << "no rest.security in the CapabilityStatement";
  std::set<std::string> services;
  if (const fhir::JsonValue* service = security->find("service"); service && service->is_array()) {
    for (const fhir::JsonValue& s : service->items()) {
      services.insert(rest::testing::text_at(s, {"coding", "0", "code"}));
    }
  }
  // http://terminology.hl7.org/CodeSystem/restful-security-service
  EXPECT_EQ(services.count("SMART-on-FHIR"), 1u) << r.body;
  EXPECT_EQ(services.count("Certificates"), 1u) << r.body;
  // SMART's oauth-uris extension names the token endpoint.
  EXPECT_NE(r.body.find(token_url_), std::string::npos) << r.body;
}

}  // namespace
}  // namespace gw::testing
