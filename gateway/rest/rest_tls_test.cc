// TLS behaviour of the FHIR REST endpoint: TLS 1.2+ only, server
// authentication, mutual TLS, a real curl client, and stop() under load.
#include <Poco/Net/HTTPClientSession.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <thread>

#include "gateway/auth/client_registry.h"
#include "gateway/rest/rest_test_util.h"
#include "tests/support/tls_probe.h"

namespace gw::rest::testing {
namespace {

const char* kPatient = R"({"resourceType":"Patient","name":[{"family":"Turing"}]})";

// Runs a shell command; returns its stdout, sets *exit_code.
std::string run(const std::string& command, int* exit_code) {
  std::string out;
  FILE* p = ::popen(command.c_str(), "r");
  if (p == nullptr) {
    *exit_code = -1;
    return out;
  }
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  *exit_code = ::pclose(p);
  return out;
}

class RestTlsTest : public RestFixture {};

TEST_F(RestTlsTest, PlainHttpToTheTlsPortFails) {
  start();
  Poco::Net::HTTPClientSession plain("127.0.0.1", server_->port());
  plain.setTimeout(Poco::Timespan(5, 0));
  Poco::Net::HTTPRequest req("GET", "/metadata", Poco::Net::HTTPMessage::HTTP_1_1);
  EXPECT_THROW(
      {
        plain.sendRequest(req);
        Poco::Net::HTTPResponse resp;
        plain.receiveResponse(resp);
      },
      Poco::Exception);
  // The server is still fine afterwards.
  EXPECT_EQ(call("GET", "/metadata").status, 200);
}

TEST_F(RestTlsTest, ClientTrustingAnotherCaRefusesTheServer) {
  start();
  auto wrong = client_context(pki_.other_ca_cert);
  EXPECT_THROW(https_call(wrong, server_->port(), "GET", "/metadata"), Poco::Exception);
}

TEST_F(RestTlsTest, OnlyTls12AndLaterAreAccepted) {
  start();
  EXPECT_EQ(gw::testing::accepted_tls_versions(server_->port(), pki_.ca_cert), "TLS1.2 TLS1.3");
}

// A registered client's certificate: its scopes and nothing more. Without a
// certificate only the open endpoints answer; one from another CA fails the
// handshake.
std::shared_ptr<const auth::ClientRegistry> his_registry(std::vector<std::string> scopes) {
  auth::RegisteredClient his;
  his.name = "his";
  his.cert_subject = "CN=his.example.org,O=gateway tests";  // RFC 2253: last RDN first
  his.grant = *auth::make_client_grant(scopes, {});
  return std::make_shared<const auth::ClientRegistry>(std::vector{his});
}

TEST_F(RestTlsTest, MutualTlsIdentifiesTheClientByItsCertificate) {
  RestOptions o = options();
  o.allow_anonymous = false;
  o.client_ca_file = pki_.ca_cert;
  o.clients = his_registry({"system/Patient.c"});
  start(o);
  EXPECT_EQ(https_call(ctx_, server_->port(), "GET", "/metadata").status, 200);
  Reply anonymous = https_call(ctx_, server_->port(), "POST", "/Patient", kPatient);
  EXPECT_EQ(anonymous.status, 401) << anonymous.body;
  auto foreign = client_context(pki_.ca_cert, pki_.other_client_cert, pki_.other_client_key);
  EXPECT_THROW(https_call(foreign, server_->port(), "GET", "/metadata"), Poco::Exception);
  auto good = client_context(pki_.ca_cert, pki_.client_cert, pki_.client_key);
  Reply r = https_call(good, server_->port(), "POST", "/Patient", kPatient);
  ASSERT_EQ(r.status, 201) << r.body;
  std::vector<store::StoredMessageSummary> messages = store_->list(0, 10);
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0].sender, "his");  // the client the certificate is registered to
  EXPECT_EQ(messages[0].channel, "fhir");
  EXPECT_EQ(messages[0].message_type, "FHIR create Patient");
  // Create only: reading what it wrote needs r.
  Reply read = https_call(good, server_->port(), "GET", "/Patient?identifier=x|y");
  EXPECT_EQ(read.status, 403) << read.body;
  EXPECT_NE(read.body.find("needs system/Patient.s"), std::string::npos) << read.body;
}

TEST_F(RestTlsTest, CurlClient) {
  int rc = 0;
  run("curl --version > /dev/null 2>&1", &rc);
  if (rc != 0) GTEST_SKIP() << "curl not installed";
  RestOptions o = options();
  o.allow_anonymous = false;
  o.client_ca_file = pki_.ca_cert;
  o.clients = his_registry({"system/Patient.cr"});
  start(o);
  const std::string body_file = dir_.file("patient.json");
  std::ofstream(body_file) << kPatient;
  const std::string url = "https://localhost:" + std::to_string(server_->port());
  const std::string tls =
      " --cacert " + pki_.ca_cert + " --cert " + pki_.client_cert + " --key " + pki_.client_key;
  std::string out = run("curl -s -S -i --max-time 20" + tls +
                            " -H 'Content-Type: application/fhir+json; charset=utf-8'"
                            " --data-binary @" +
                            body_file + " " + url + "/Patient",
                        &rc);
  ASSERT_EQ(rc, 0) << out;
  EXPECT_NE(out.find("HTTP/1.1 201"), std::string::npos) << out;
  EXPECT_NE(out.find("\"family\":\"Turing\""), std::string::npos) << out;
  const size_t loc = out.find("Location: ");
  ASSERT_NE(loc, std::string::npos);
  std::string location = out.substr(loc + 10, out.find('\r', loc) - loc - 10);
  out = run("curl -s -S -o /dev/null -w '%{http_code}' --max-time 20" + tls + " '" + location + "'",
            &rc);
  EXPECT_EQ(out, "200");
  // Without a client certificate: only the open endpoints.
  out = run("curl -s -S -o /dev/null -w '%{http_code}' --max-time 20 --cacert " + pki_.ca_cert +
                " '" + location + "'",
            &rc);
  EXPECT_EQ(out, "401");
}

TEST_F(RestTlsTest, ChunkedBodiesAreBoundedAndRequestsAreReported) {
  RestOptions o = options();
  o.max_body_bytes = 32 * 1024;
  std::mutex mu;
  std::vector<std::string> log;
  o.on_request = [&](const std::string& method, const std::string& type, int status,
                     const std::string& peer) {
    std::lock_guard<std::mutex> lock(mu);
    log.push_back(method + " " + type + " " + std::to_string(status) + " " +
                  peer.substr(0, peer.find(':')));
  };
  start(o);
  auto chunked_post = [&](const std::string& body) {
    Poco::Net::HTTPSClientSession session("localhost", server_->port(), ctx_);
    Poco::Net::HTTPRequest req("POST", "/Patient", Poco::Net::HTTPMessage::HTTP_1_1);
    req.setContentType("application/fhir+json");
    req.setChunkedTransferEncoding(true);
    session.sendRequest(req) << body;
    Poco::Net::HTTPResponse resp;
    std::string out;
    Poco::StreamCopier::copyToString(session.receiveResponse(resp), out);
    return std::make_pair(static_cast<int>(resp.getStatus()), out);
  };
  auto small = chunked_post(kPatient);
  EXPECT_EQ(small.first, 201) << small.second;
  const std::string id = text_at(fhir::parse_json(small.second).value(), {"id"});
  auto big = chunked_post(std::string(100 * 1024, ' ') + kPatient);
  EXPECT_EQ(big.first, 413) << big.second;
  EXPECT_EQ(store_->count_records(), 1);
  ASSERT_EQ(call("GET", "/Patient/" + id).status, 200);
  server_->stop();
  std::lock_guard<std::mutex> lock(mu);
  EXPECT_EQ(log,
            (std::vector<std::string>{"POST Patient 201 127.0.0.1", "POST Patient 413 127.0.0.1",
                                      "GET Patient 200 127.0.0.1"}));
}

TEST_F(RestTlsTest, StopWhileRequestsAreInFlightReturnsCleanly) {
  start();
  std::atomic<bool> done{false};
  std::mutex mu;
  std::vector<std::string> created;  // ids the server answered 201 for
  std::atomic<int> failures{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 6; ++t) {
    clients.emplace_back([&] {
      while (!done) {
        try {
          Reply r = call("POST", "/Patient", kPatient);
          if (r.status == 201) {
            std::lock_guard<std::mutex> lock(mu);
            created.push_back(text_at(r.json(), {"id"}));
          } else {
            ++failures;
          }
        } catch (const Poco::Exception&) {
          ++failures;  // refused or cut off by the shutdown
          std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const auto t0 = std::chrono::steady_clock::now();
  server_->stop();
  const auto stop_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
          .count();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  done = true;
  for (auto& c : clients) c.join();
  EXPECT_LT(stop_ms, 5000);
  ASSERT_GT(created.size(), 0u);
  // Every 201 was sent only after its commit: each such resource is in the store.
  for (const std::string& id : created) {
    EXPECT_TRUE(store_->read_record("Patient", id).has_value()) << id;
  }
  EXPECT_EQ(store_->count_records(), static_cast<int64_t>(created.size()));
  // Stopped means stopped.
  EXPECT_THROW(call("GET", "/metadata"), Poco::Exception);
  server_->stop();  // idempotent
}

}  // namespace
}  // namespace gw::rest::testing
